"""Wristbands, specimen labels and the barcodes on them.

Two outputs:
- every barcode / QR code zxing-cpp decodes anywhere in the frame: kind "text", category "barcode" (Safe Harbor R),
  text = the payload (masked in the findings file), box = the code itself. A code is an identifier whatever it
  encodes (an MRN, an accession number), so it is redacted like one.
- every band or label region: a light strip or patch, at any angle, holding small print and/or a barcode:
  kind "text", category "identifier", context "wristband" (long strip) or "label". The region is reported itself,
  not only the lines OCR reads in it, because a band is nothing but identifiers (name, DOB, MRN, barcode) and it
  is small: redacting all of it costs the picture nothing, while a band reported line by line leaks whatever the
  OCR misread at 60 degrees. It also gives the text detector its context (a surname alone on a band is a name).

Bands are found as light regions whose minimum-area rectangle is long and well filled, then cut out upright
(`cv2.warpPerspective`) and checked for small text lines (`screens.find_text_lines`) or barcode bars.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import cv2
import numpy as np

from .. import geometry
from ..findings import Box, Finding
from .base import Frame
from .screens import consistent_lines, count_rows, downscale, find_text_lines, to_gray

WORK_MAX_SIDE = 1600
BAND_MIN_ASPECT = 3.0  # visible part of a band is a long strip; a label is squarer
MAX_TEXT_TO_WIDTH = 0.45  # band print is small relative to the band; a plate's or a sign's glyphs are not
MIN_SHORT_SIDE = 10  # canvas pixels: narrower strips hold nothing legible


@dataclass(frozen=True)
class Barcode:
    payload: str
    format: str
    box: Box  # source pixels


@dataclass(frozen=True)
class Strip:
    """A candidate band/label: its rotated rectangle on the canvas and what was found inside."""

    corners: np.ndarray  # 4x2 canvas pixels
    box: Box  # canvas pixels
    aspect: float
    text_lines: int
    rows: int
    bars: bool  # barcode-like bars seen (decoded or not)

    @property
    def context(self) -> str:
        return "wristband" if self.aspect >= BAND_MIN_ASPECT else "label"


def decode_barcodes(gray: np.ndarray) -> list[Barcode]:
    """Every barcode and 2-D code zxing-cpp decodes in a grey image (any rotation, inverted too)."""
    import zxingcpp

    out = []
    for r in zxingcpp.read_barcodes(gray):
        if not r.text:
            continue
        p = r.position
        pts = [(p.top_left.x, p.top_left.y), (p.top_right.x, p.top_right.y),
               (p.bottom_right.x, p.bottom_right.y), (p.bottom_left.x, p.bottom_left.y)]
        h, w = gray.shape[:2]
        box = geometry.clip(geometry.from_points(pts), w, h)
        if geometry.height(box) < 4:  # a linear code's position is a line across the bars: give it height
            box = geometry.clip(geometry.pad(box, 0, max(8, geometry.width(box) // 6)), w, h)
        out.append(Barcode(r.text, str(r.format).split(".")[-1], box))
    return out


def has_barcode_bars(gray: np.ndarray) -> bool:
    """Barcode-like bars in an upright crop: a run of at least 12 dark bars that each cross most of a band of
    rows, with clean gaps between them. Printed text never has full-height strokes in such numbers."""
    h, w = gray.shape
    if h < 8 or w < 24:
        return False
    _, dark = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    best = 0
    # Bars sit in some horizontal band of the crop (a label has text above): try the whole and five bands.
    for a, b in ((0.1, 0.9), (0.05, 0.35), (0.25, 0.55), (0.45, 0.75), (0.65, 0.95)):
        band = dark[int(a * h):max(int(a * h) + 2, int(b * h))]
        frac = band.mean(axis=0)
        bar = frac >= 0.85
        clean = bar | (frac <= 0.15)
        # Count bar runs in stretches where every column is pure bar or pure space, allowing two blurred
        # columns at a time (a rotated, resampled bar edge).
        runs, dirty = 0, 0
        for x in range(1, w):
            dirty = 0 if clean[x] else dirty + 1
            if dirty > 2:
                best, runs = max(best, runs), 0
            elif bar[x] and not bar[x - 1]:
                runs += 1
        best = max(best, runs)
    return best >= 12


def rectify(img: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """The rotated rectangle `corners` cut out upright, its long side horizontal."""
    return rectify_with_transform(img, corners)[0]


def rectify_with_transform(img: np.ndarray, corners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`rectify`, plus the 3x3 matrix that maps crop pixels back to `img` pixels."""
    c = order_corners(corners)  # first side is the longest: the crop is never taller than wide
    w = max(1, int(round(max(np.linalg.norm(c[0] - c[1]), np.linalg.norm(c[3] - c[2])))))
    h = max(1, int(round(max(np.linalg.norm(c[0] - c[3]), np.linalg.norm(c[1] - c[2])))))
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    m = cv2.getPerspectiveTransform(c.astype(np.float32), dst)
    out = cv2.warpPerspective(img, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out, np.linalg.inv(m)


def order_corners(pts: np.ndarray) -> np.ndarray:
    """A rectangle's 4 corners in clockwise order (image coordinates) starting so that the first side is a long
    side running rightwards: the cut-out is then upright for plates and level text, never mirrored. Ordering by
    angle around the centre works at any rotation (x+y sorting breaks at exactly 45 degrees)."""
    pts = np.asarray(pts, np.float32).reshape(4, 2)
    c = pts.mean(axis=0)
    pts = pts[np.argsort(np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0]))]  # clockwise on screen (y down)
    sides = [np.linalg.norm(pts[(i + 1) % 4] - pts[i]) for i in range(4)]
    longest = max(sides)
    starts = [i for i in range(4) if sides[i] >= 0.999 * longest or sides[i] >= sides[(i + 1) % 4]]
    start = max(starts, key=lambda i: pts[(i + 1) % 4][0] - pts[i][0])
    return np.roll(pts, -start, axis=0)


LIGHT_LEVELS = (150, 180, 205, 230)  # a band is lighter than what is around it, but walls and skin vary


def light_masks(rgb: np.ndarray) -> list[np.ndarray]:
    """Masks of light, mostly unsaturated pixels at several grey levels (a white band on pale skin separates at
    the top level, a cream label on a dark tray at the bottom one)."""
    gray = to_gray(rgb)
    sat = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)[..., 1]
    out = []
    for level in LIGHT_LEVELS:
        m = ((gray >= level) & (sat <= 90)).astype(np.uint8)
        # Close over the print (glyphs, bars) so a band is one blob; open to drop thin specks and edges.
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
        out.append(cv2.morphologyEx(m, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8)))
    return out


def find_strips(rgb: np.ndarray, max_side: int = WORK_MAX_SIDE) -> tuple[list[Strip], float]:
    """Band and label candidates with small print or bars inside, in canvas pixels; and the canvas scale."""
    small, s = downscale(rgb, max_side)
    gray = to_gray(small)
    H, W = gray.shape
    contours = [c for m in light_masks(small) for c in cv2.findContours(m, cv2.RETR_EXTERNAL,
                                                                         cv2.CHAIN_APPROX_SIMPLE)[0]]
    strips: list[Strip] = []
    for c in contours:
        area = cv2.contourArea(c)
        if area < 0.0004 * W * H or area > 0.12 * W * H:
            continue
        (cx, cy), (rw, rh), ang = cv2.minAreaRect(c)
        short, long_ = min(rw, rh), max(rw, rh)
        if short < MIN_SHORT_SIDE or long_ < 1.3 * short or area < 0.75 * rw * rh:
            continue
        corners = cv2.boxPoints(((cx, cy), (rw, rh), ang))
        crop = rectify(gray, corners)
        ch = crop.shape[0]
        blobs = [b for b in find_text_lines(crop, min_h=3, max_h=max(6, int(0.6 * ch)))
                 if geometry.height(b.box) <= MAX_TEXT_TO_WIDTH * ch]
        lines, med_h = consistent_lines(blobs)
        # Band print is set tight: two lines often merge into one blob, so count rows from the ink itself.
        rows = max(count_rows(lines, med_h), ink_rows(crop, lines))
        bars = has_barcode_bars(crop)
        aspect = long_ / short
        # A band carries at least two rows of print (name; DOB and MRN) or a barcode; a label three rows or a
        # barcode. One line of lettering (AMBULANCE, a sign) is neither.
        cover = sum(geometry.area(b.box) for b in lines) / max(1, crop.size)
        is_band = aspect >= BAND_MIN_ASPECT and (bars or rows >= 2)
        # A label without a barcode must be mostly print (a poster has a title and pictures).
        is_label = aspect < BAND_MIN_ASPECT and (bars or (rows >= 3 and len(lines) >= 4 and cover >= 0.12))
        if not (is_band or is_label):
            continue
        if not bars and _plate_glyphs(crop) >= 4:  # a plate's big characters: the plate detector's business
            continue
        box = geometry.clip(geometry.from_points(corners), W, H)
        strips.append(Strip(corners, box, aspect, len(lines), rows, bars))
    return _innermost(strips), s


def ink_rows(crop: np.ndarray, blobs) -> int:
    """Text rows inside the blobs' span: runs of ink-bearing pixel rows separated by blank ones."""
    if not blobs:
        return 0
    x0, y0, x1, y1 = geometry.union(b.box for b in blobs)
    region = crop[y0:y1, x0:x1]
    if region.size == 0:
        return 0
    _, dark = cv2.threshold(region, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    inked = dark.mean(axis=1) > 0.02
    starts = np.flatnonzero(np.diff(inked.astype(np.int8)) == 1).size + int(inked[0])
    return int(starts)


def _plate_glyphs(crop: np.ndarray) -> int:
    from .plates import glyph_rows  # plates imports `rectify` from here

    return glyph_rows(crop)[0]


def _innermost(strips: list[Strip]) -> list[Strip]:
    """One strip per object: the same band found at two grey levels, or a band inside the pale arm around it,
    keeps the tighter strip."""
    keep = []
    for st in sorted(strips, key=lambda t: geometry.area(t.box)):
        if any(geometry.coverage(k.box, st.box) >= 0.7 for k in keep):
            continue
        keep.append(st)
    return keep


# Degrees from level/upright beyond which page-level OCR misses a band's lines. Measured on drawn bands
# (tests/test_wristbands.py scenes): page OCR read the MRN at 25, 30 and -30 degrees but not at 15, 35, 40, 45,
# 60 or 150; the upright cut-out is read at all of them.
READ_MIN_TILT = 10.0


@dataclass
class UprightReading:
    lines: list  # TextLines, boxes in image pixels
    unread_ink: float  # fraction of the cut-out's print lying outside every line read (1.0: nothing read)


def read_upright(engine, rgb: np.ndarray, corners_src: np.ndarray) -> UprightReading:
    """OCR a band/label from its upright cut-out; each line's box mapped back to the image.

    Page-level text detection finds no lines on print tilted 45-70 degrees (measured: one box over the whole
    band, read as '-'), so the band is cut out level and read there.
    """
    from ..text.ocr import TextLine

    crop, back = rectify_with_transform(rgb, corners_src)
    f = max(1.0, 48 / max(1, crop.shape[0]))  # small print: give the recogniser ~14 px letters at least
    if f > 1.0:
        crop = cv2.resize(crop, (round(crop.shape[1] * f), round(crop.shape[0] * f)), interpolation=cv2.INTER_CUBIC)
    h, w = rgb.shape[:2]
    read = engine.read(np.ascontiguousarray(crop))
    lines = []
    for ln in read:
        x0, y0, x1, y1 = ln.box
        pts = np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], np.float32) / f
        img_pts = cv2.perspectiveTransform(pts, back)[0]
        lines.append(TextLine(text=ln.text, box=geometry.clip(geometry.from_points(img_pts), w, h),
                              confidence=ln.confidence, quad=tuple(map(tuple, img_pts.tolist())),
                              engine=ln.engine))
    return UprightReading(lines, unread_ink(to_gray(crop), [ln.box for ln in read]))


def unread_ink(gray: np.ndarray, boxes: Sequence[Box]) -> float:
    """Fraction of the dark print on a light card that lies outside every box read (each padded by a quarter of
    its height): 0 when every stroke on the card belongs to a line that was read."""
    h, w = gray.shape[:2]
    m = max(2, round(0.04 * min(h, w)))  # the cut-out's rim: card edge, shadow, neighbouring background
    inner = gray[m:h - m, m:w - m]
    if inner.size == 0:
        return 1.0
    thr, _ = cv2.threshold(inner, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = inner <= min(thr, float(np.median(inner)) - 40)  # clearly darker than the card, not paper texture
    total = int(ink.sum())
    if total == 0:
        return 0.0
    covered = np.zeros_like(ink)
    for x0, y0, x1, y1 in boxes:
        p = max(2, round(0.25 * (y1 - y0)))
        covered[max(0, y0 - m - p):max(0, y1 - m + p), max(0, x0 - m - p):max(0, x1 - m + p)] = True
    return float((ink & ~covered).sum()) / total


def classify_strip_lines(lines: Sequence, context: str) -> list[Finding]:
    """The identifiers among a band's or label's lines, judged in its context (a surname alone is a name)."""
    from ..text import classify_lines

    return [Finding(kind="text", category=m.category, box=m.box, confidence=m.confidence, severity=m.severity,
                    context=context, text=m.text, detector="wristbands", note=m.reason)
            for m in classify_lines(lines, context=context)]


SIGN_READ_MIN_CONFIDENCE = 0.85  # every line read this surely ...
SIGN_MAX_UNREAD_INK = 0.03  # ... no print left outside the lines read (a missed row could be the patient's name) ...
SIGN_CONFIDENCE = 0.45  # ... and plain wording: below the policy's redact floor (0.5), so flagged, not redacted


def reads_as_a_sign(reading: UprightReading) -> bool:
    """A label-shaped card whose print was all read, surely, as plain signage or clinical wording ("Oxygen in
    use", "Metoprolol 25 mg", "HR 88") with no identifier among it is a sign, not a patient label. Any print left
    unread, unsure reading, name-like word, longer number or PHI match keeps it a label."""
    from ..text import is_plain_wording

    lines = reading.lines
    return (bool(lines) and reading.unread_ink <= SIGN_MAX_UNREAD_INK
            and all(ln.confidence >= SIGN_READ_MIN_CONFIDENCE and is_plain_wording(ln.text) for ln in lines)
            and not classify_strip_lines(lines, "label"))


def decode_in_strip(rgb: np.ndarray, corners_src: np.ndarray) -> list[Barcode]:
    """Barcodes decoded from a strip's upright cut-out, boxes mapped back to the image."""
    crop, back = rectify_with_transform(to_gray(rgb), corners_src)
    h, w = rgb.shape[:2]
    out = []
    for bc in decode_barcodes(crop):
        x0, y0, x1, y1 = bc.box
        pts = cv2.perspectiveTransform(np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], np.float32), back)[0]
        out.append(Barcode(bc.payload, bc.format, geometry.clip(geometry.from_points(pts), w, h)))
    return out


def tilt_of(corners: np.ndarray) -> float:
    """Degrees between the strip's long side and the nearest of horizontal/vertical."""
    c = order_corners(corners)
    dx, dy = c[1] - c[0]
    a = abs(np.degrees(np.arctan2(dy, dx))) % 90
    return float(min(a, 90 - a))


class WristbandDetector:
    name = "wristbands"

    def __init__(self, engine=None, max_side: int = WORK_MAX_SIDE):
        self.engine = engine  # an OcrEngine to read tilted bands with, or None (regions and barcodes only)
        self.max_side = max_side

    def detect(self, frame: Frame, prior: Sequence[Finding]) -> list[Finding]:
        h, w = frame.rgb.shape[:2]
        out: list[Finding] = []
        codes = decode_barcodes(to_gray(frame.rgb))
        for bc in codes:
            out.append(Finding(kind="text", category="barcode", box=bc.box, confidence=0.95, severity="high",
                               text=bc.payload, detector=self.name, note=f"{bc.format} decoded"))
        if frame.kind == "screenshot":  # a screenshot shows codes, never a band; its buttons and bars look like bands
            return out
        strips, s = find_strips(frame.rgb, self.max_side)
        screens = [f.box for f in prior if f.kind == "screen"]
        for st in strips:
            box = geometry.clip(geometry.scale(st.box, 1 / s), w, h)
            # A light panel inside a screen is the screen's business, unless it carries a barcode (a label the
            # screen detector took for a tiny board).
            if not st.bars and any(geometry.coverage(box, sb) >= 0.7 for sb in screens):
                continue
            if not any(geometry.coverage(bc.box, box) >= 0.6 for bc in codes):
                # zxing finds codes level or at right angles; a tilted band's code is decoded from its cut-out.
                for bc in decode_in_strip(frame.rgb, st.corners / s):
                    codes.append(bc)
                    out.append(Finding(kind="text", category="barcode", box=bc.box, confidence=0.95,
                                       severity="high", text=bc.payload, detector=self.name,
                                       note=f"{bc.format} decoded on a tilted {st.context}"))
            decoded = any(geometry.coverage(bc.box, box) >= 0.6 for bc in codes)
            conf = min(0.95, 0.55 + 0.1 * min(st.rows, 3) + (0.15 if st.bars or decoded else 0.0))
            note = f"{st.context} region: {st.text_lines} print lines" + (", barcode" if st.bars or decoded else "")
            tilted = tilt_of(st.corners) >= READ_MIN_TILT
            maybe_sign = st.context == "label" and not (st.bars or decoded)
            reading = (read_upright(self.engine, frame.rgb, st.corners / s)
                       if self.engine is not None and (tilted or maybe_sign) else None)
            severity = "high"
            if maybe_sign and reading is not None and reads_as_a_sign(reading):
                conf, severity = min(conf, SIGN_CONFIDENCE), "low"
                note += "; all its print reads as signage or clinical wording: flagged, not redacted"
            out.append(Finding(kind="text", category="identifier", box=box, confidence=conf, severity=severity,
                               context=st.context, detector=self.name, note=note))
            if tilted and reading is not None:
                out.extend(classify_strip_lines(reading.lines, st.context))
        return out


def make(options, policy) -> WristbandDetector:
    from ..text.ocr import get_engine

    return WristbandDetector(get_engine(options.ocr))
