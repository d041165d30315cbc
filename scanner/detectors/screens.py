"""Screens, monitors and whiteboards: find the region itself, so the text inside is judged in its context.

A region is reported when it holds *dense small text* (many short, aligned lines — an EHR screen, a tracker board,
a census whiteboard), whether or not OCR can read it: text a person can read by zooming in is a leak even where
the OCR failed. Signs and notices (up to four lines), windows and picture frames (no text lines), and patterned cloth
(no glyph-like strokes) are not screens.

Everything here is classical image processing on a downscaled grey canvas (no model): gradient strokes closed
into text-line blobs, blobs clustered into regions, and 4-sided contours (bezels, board frames, seen in
perspective) to give a cluster its full extent. `find_text_lines` is shared with the wristband and plate detectors.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import cv2
import numpy as np

from .. import geometry
from ..findings import Box, Finding
from .base import Frame

WORK_MAX_SIDE = 1280  # screens are big; a 720p-class canvas keeps 6 px text lines visible and costs ~30 ms
MIN_LINES = 4  # a sign has one to three lines; an EHR row table, a board or a monitor has more
MIN_ROWS = 5  # a sign or a notice holds up to four rows (title, message, a drug, a vital); a screen or a board more
MIN_TEXT_COVER = 0.06  # fraction of the region covered by text-line blobs
MAX_LINE_FRACTION = 0.2  # a screen's median line is at most this fraction of the region height (signs: bigger)
MIN_WIDTH_SPREAD = 0.2  # coefficient of variation of line widths: text varies, a woven/printed pattern repeats


def to_gray(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb


def downscale(img: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """`img` shrunk so its longer side is at most `max_side`, and the factor (<= 1) it was shrunk by."""
    h, w = img.shape[:2]
    s = min(1.0, max_side / max(h, w))
    if s == 1.0:
        return img, 1.0
    return cv2.resize(img, (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA), s


@dataclass(frozen=True)
class TextBlob:
    """One line (or word) of text-like strokes found without reading it."""

    box: Box
    stroke_fill: float  # fraction of the blob's box that is stroke edges (text ~0.2-0.7)
    vertical_share: float  # share of gradient energy from vertical strokes (text >= 0.3; stripes/rules ~0)


def find_text_lines(gray: np.ndarray, min_h: int = 4, max_h: int = 80, min_contrast: int = 24,
                    join: int = 0) -> list[TextBlob]:
    """Text-line blobs in a grey image: strong local gradients (glyph strokes), joined horizontally into lines.

    `join` is the horizontal closing width in pixels (0: a third of `min_h`..`max_h` scale, 7 px). Blobs must be
    wider than tall, partly (not solidly) filled with stroke edges, and carry vertical-stroke energy, which rules
    out table rules, stripes and frame edges.
    """
    g = cv2.GaussianBlur(gray, (3, 3), 0)
    grad = cv2.morphologyEx(g, cv2.MORPH_GRADIENT, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    edges = (grad >= min_contrast).astype(np.uint8)
    # Long straight edges (table rules, bezels, frames, stripes) are not glyphs: take them out before joining,
    # or a rule under a row glues every row of a table into one block. A 25 px run tolerates ~7 degrees of slant
    # (the edge band is ~4 px thick); glyph edges break between letters well before 25 px.
    for kern in ((25, 1), (1, 25)):
        long_runs = cv2.morphologyEx(edges, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, kern))
        edges[long_runs > 0] = 0
    k = join or 7
    closed = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, 1)))
    # No vertical closing: tightly set rows (a band, a dense EHR table seen at an angle) must stay apart.
    n, _, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    gx = np.abs(cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3))
    gy = np.abs(cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3))
    ix, iy, ie = cv2.integral(gx), cv2.integral(gy), cv2.integral(edges)

    def box_sum(integral: np.ndarray, x: int, y: int, w: int, h: int) -> float:
        return float(integral[y + h, x + w] - integral[y, x + w] - integral[y + h, x] + integral[y, x])

    blobs = []
    for i in range(1, n):
        x, y, w, h, _ = (int(v) for v in stats[i])
        if not (min_h <= h <= max_h) or w < 1.2 * h:
            continue
        fill = box_sum(ie, x, y, w, h) / (w * h)
        if not 0.12 <= fill <= 0.8:
            continue
        ex, ey = box_sum(ix, x, y, w, h), box_sum(iy, x, y, w, h)
        vshare = ex / (ex + ey + 1e-6)
        if vshare < 0.3 or is_periodic(edges[y + h // 2, x:x + w]):
            continue
        blobs.append(TextBlob((x, y, x + w, y + h), fill, vshare))
    return blobs


def is_periodic(row: np.ndarray) -> bool:
    """True when the stroke edges along a line repeat at one pitch (dots, checks, a knit): text's letters have
    different widths, so its stroke spacing is irregular."""
    r = row.astype(np.int8)
    starts = np.flatnonzero(np.diff(r) == 1)
    if len(starts) < 6:
        return False
    gaps = np.diff(starts).astype(np.float64)
    return gaps.std() / gaps.mean() < 0.15


@dataclass(frozen=True)
class Region:
    """A candidate screen/board region in canvas pixels and what it contains."""

    box: Box
    lines: int
    cover: float
    median_line_h: float
    context: str
    confidence: float


def quad_frames(gray: np.ndarray, min_area_frac: float = 0.01) -> list[tuple[Box, np.ndarray]]:
    """Convex 4-sided contours (bezels, board frames; in perspective too): (axis-aligned box, 4x2 corners)."""
    h, w = gray.shape
    edges = cv2.Canny(cv2.GaussianBlur(gray, (5, 5), 0), 40, 120)
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    out: list[tuple[Box, np.ndarray]] = []
    for c in contours:
        a = cv2.contourArea(c)
        if a < min_area_frac * w * h or a > 0.95 * w * h:
            continue
        approx = cv2.approxPolyDP(c, 0.03 * cv2.arcLength(c, True), True)
        if len(approx) != 4 or not cv2.isContourConvex(approx):
            continue
        x, y, bw, bh = cv2.boundingRect(approx)
        if a < 0.6 * bw * bh:  # strongly skewed quads are rarely screens; keeps the box honest
            continue
        box = (x, y, x + bw, y + bh)
        if any(geometry.iou(box, b) >= 0.9 for b, _ in out):  # inner and outer edge of one frame
            continue
        out.append((box, approx.reshape(4, 2)))
    return out


def cluster_lines(blobs: Sequence[TextBlob], shape: tuple[int, int]) -> list[tuple[Box, list[TextBlob]]]:
    """Group text blobs that sit close together (a table, a board) into clusters."""
    if not blobs:
        return []
    h, w = shape
    med = float(np.median([geometry.height(b.box) for b in blobs]))
    mask = np.zeros((h, w), np.uint8)
    for b in blobs:
        x0, y0, x1, y1 = b.box
        mask[y0:y1, x0:x1] = 1
    kx, ky = max(3, int(3 * med)) | 1, max(3, int(2.0 * med)) | 1  # boards: wide leading
    mask = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (kx, ky)))
    n, labels = cv2.connectedComponents(mask)
    groups: dict[int, list[TextBlob]] = {}
    for b in blobs:
        cx, cy = (b.box[0] + b.box[2]) // 2, (b.box[1] + b.box[3]) // 2
        groups.setdefault(int(labels[cy, cx]), []).append(b)
    return [(geometry.union(bl.box for bl in g), g) for g in groups.values()]


def classify_context(rgb_small: np.ndarray, gray: np.ndarray, box: Box, corners: Optional[np.ndarray]) -> str:
    """'whiteboard' for a bright, unsaturated surface without a dark bezel; 'monitor' otherwise.

    The bezel is looked for in the outer band of the region's own outline (its frame's corners when a frame was
    found, so a tilted screen's band is not wall): a monitor's is dark plastic, a whiteboard's a light rim.
    """
    x0, y0, x1, y1 = box
    inner = gray[y0:y1, x0:x1]
    bg = float(np.percentile(inner, 60))  # background dominates a text region
    hsv = cv2.cvtColor(rgb_small[y0:y1, x0:x1], cv2.COLOR_RGB2HSV)
    sat = float(np.median(hsv[..., 1]))
    m = max(3, int(0.04 * min(x1 - x0, y1 - y0)))
    # Work in a window around the region so the ring just outside the outline (a bezel around the glass) counts.
    H, W = gray.shape
    wx0, wy0, wx1, wy1 = geometry.clip(geometry.pad(box, m + 1), W, H)
    win = gray[wy0:wy1, wx0:wx1]
    outline = np.zeros(win.shape, np.uint8)
    pts = corners if corners is not None else np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])
    cv2.fillConvexPoly(outline, (np.asarray(pts) - [wx0, wy0]).astype(np.int32), 1)
    kernel = np.ones((2 * m + 1, 2 * m + 1), np.uint8)
    inside_band = outline.astype(bool) & ~cv2.erode(outline, kernel).astype(bool)
    outside_ring = cv2.dilate(outline, kernel).astype(bool) & ~outline.astype(bool)
    bezel_dark = any(px.size > 0 and float(np.median(px)) < 80
                     for px in (win[inside_band], win[outside_ring]))
    if bg >= 170 and sat <= 40 and not bezel_dark:
        return "whiteboard"
    return "monitor"


def judge_region(box: Box, blobs: Sequence[TextBlob]) -> Optional[tuple[int, float, float, float]]:
    """(lines, cover, median line height, confidence) if the region holds dense small text, else None.

    Dense small text means: at least MIN_LINES line blobs of about the same height on at least MIN_ROWS distinct
    rows (a wall notice of four lines is not a screen), covering a fair share of the region, each line small
    relative to the region (a sign's one to three big lines fail this; their letters break into fragments of very
    different heights), and line widths that vary (names, numbers, labels) — a check or dot pattern repeats one
    blob size.
    """
    inside = [b for b in blobs if geometry.coverage(b.box, box) >= 0.6]
    if len(inside) < MIN_LINES:
        return None
    lines, med_h = consistent_lines(inside)
    if len(lines) < MIN_LINES or count_rows(lines, med_h) < MIN_ROWS:
        return None
    widths = np.array([geometry.width(b.box) for b in lines], np.float64)
    if widths.std() / widths.mean() < MIN_WIDTH_SPREAD:
        return None
    # A woven check breaks into pieces of two or three sizes repeated on a lattice; a table's cells differ
    # (names), even where some columns (MRNs, dates) repeat one width.
    sizes = {(round(geometry.width(b.box) / 3), round(geometry.height(b.box) / 2)) for b in lines}
    if len(lines) >= 12 and len(sizes) < 0.15 * len(lines):
        return None
    area = geometry.area(box)
    cover = sum(geometry.area(b.box) for b in lines) / area if area else 0.0
    if cover < MIN_TEXT_COVER or med_h > MAX_LINE_FRACTION * geometry.height(box):
        return None
    rows = count_rows(lines, med_h)
    conf = min(0.95, 0.45 + 0.04 * min(rows, 8) + 0.8 * min(cover, 0.25))
    return len(lines), cover, med_h, conf


def consistent_lines(blobs: Sequence[TextBlob]) -> tuple[list[TextBlob], float]:
    """The blobs about as tall as the median one (real lines of one text size; a big letter's fragments are
    not), and that median height."""
    if not blobs:
        return [], 0.0
    med_h = float(np.median([geometry.height(b.box) for b in blobs]))
    return [b for b in blobs if 0.6 * med_h <= geometry.height(b.box) <= 1.6 * med_h], med_h


def count_rows(blobs: Sequence[TextBlob], line_h: float) -> int:
    """Distinct text rows: blob centres more than 0.7 line heights apart vertically."""
    ys = sorted((b.box[1] + b.box[3]) / 2 for b in blobs)
    rows, last = 0, None
    for y in ys:
        if last is None or y - last > 0.7 * line_h:
            rows += 1
            last = y
    return rows


def find_regions(rgb: np.ndarray, max_side: int = WORK_MAX_SIDE) -> tuple[list[Region], float]:
    """Screen/board regions in canvas pixels, and the canvas scale (canvas = source * scale)."""
    small, s = downscale(rgb, max_side)
    gray = to_gray(small)
    h, w = gray.shape
    blobs = find_text_lines(gray, max_h=max(12, h // 10))
    quads = quad_frames(gray)
    regions: list[Region] = []
    for cbox, members in cluster_lines(blobs, (h, w)):
        if len(members) < MIN_LINES:
            continue
        # The smallest 4-sided frame that holds most of the cluster gives the screen's full extent (its bezel).
        frames = [q for q in quads if geometry.coverage(cbox, q[0]) >= 0.8
                  and geometry.area(q[0]) <= 12 * geometry.area(cbox)]
        frame = min(frames, key=lambda q: geometry.area(q[0])) if frames else None
        box = frame[0] if frame else geometry.clip(
            geometry.pad(cbox, 0.03 * geometry.width(cbox), 0.05 * geometry.height(cbox)), w, h)
        judged = judge_region(box, blobs) or judge_region(cbox, blobs)
        if judged is None:
            continue
        lines, cover, med_h, conf = judged
        if frame:
            conf = min(0.97, conf + 0.05)
        context = classify_context(small, gray, box, frame[1] if frame else None)
        regions.append(Region(box, lines, cover, med_h, context, conf))
    # Two clusters inside one frame (two columns of one screen) are one region.
    merged: list[Region] = []
    for r in sorted(regions, key=lambda r: geometry.area(r.box), reverse=True):
        if any(geometry.coverage(r.box, m.box) >= 0.7 for m in merged):
            continue
        merged.append(r)
    return merged, s


class ScreenDetector:
    name = "screens"

    def __init__(self, max_side: int = WORK_MAX_SIDE):
        self.max_side = max_side

    def detect(self, frame: Frame, prior: Sequence[Finding]) -> list[Finding]:
        if frame.kind == "screenshot":  # the whole picture is the screen: its text is judged as screen text
            return []
        h, w = frame.rgb.shape[:2]
        regions, s = find_regions(frame.rgb, self.max_side)
        out = []
        for r in regions:
            box = geometry.clip(geometry.scale(r.box, 1 / s), w, h)
            out.append(Finding(kind="screen", category="screen", box=box, confidence=r.confidence,
                               severity="medium", context=r.context, detector=self.name,
                               note=f"{r.lines} text lines, {r.cover:.0%} text cover"))
        return out


def make(options, policy) -> ScreenDetector:
    return ScreenDetector()
