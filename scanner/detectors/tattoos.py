"""Tattoo detector: dark or coloured ink patterns inside regions of skin.

Rules find and measure candidates; a small learned judge (tattoo_judge.py) decides:
1. skin: a YCrCb + hue rule, widened by the colour of faces the face detector found (`prior`);
2. regions: skin closed and hole-filled, so ink (not skin-coloured) becomes part of the limb it sits on;
3. ink: pixels clearly darker than the skin around them (local level by normalised convolution, so soft shadows and
   shading cancel out) or clearly not skin-coloured, away from the region border and outside faces;
4. clusters of ink strokes, each measured (ink, contrast, edge sharpness, stroke directions, dots, straight edges,
   the skin around it and that skin's texture) and checked against the known look-alikes (VETOES: not surrounded
   by skin; round dots = moles and freckles; parallel streaks or sparse strokes = wood grain and hair; soft edges =
   shadows; long straight edges = frames and furniture; rows of glyphs, or light lettering cut out of a panel =
   print; one flat convex blob of paint = an object; many same-size clusters or a four-sided region = cloth, paper,
   boards; faces = the face detector's);
5. the judge, trained on real photos, scores every cluster from all of that, the veto included, and overrules the
   rules where it is nearly sure (tattoo_judge.py); its score is the finding's confidence: at or above 0.5 the
   default policy redacts it, below it is a "possible tattoo", severity low, flagged.

Known misses: armbands and other straight-edged solid bands (they look like made things), solid convex designs (a
filled disc), ink on skin the colour rule misses when no face gives the person's tone, very fine line work.
Everything runs on a <= 960 px canvas (~0.1-0.2 s per 1080p frame).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import cv2
import numpy as np

from .. import geometry
from ..findings import Box, Finding
from .base import Frame
from .tattoo_judge import TattooJudge, load_judge

CANVAS_MAX_SIDE = 960
CONFIDENT = 0.5  # the policy's min_confidence: at or above, severity medium and redacted; below, flagged
MIN_REGION_FRAC = 0.002  # skin regions smaller than this (of the canvas) hold no readable tattoo
MIN_INK_PX = 80  # ink pixels in a cluster on the canvas (~9x9): smaller marks are moles, specks, noise
WALL_FRAC = 0.5  # "skin" over half the frame is as likely a skin-coloured wall: rings round discs there are objects
MIN_LETTER_HOLES = 10  # letter-shaped holes in a block of light lettering (a sign's few words have dozens)


@dataclass(frozen=True)
class Candidate:
    """One cluster of ink inside a skin region, with the measurements the judgement uses (canvas pixels)."""

    box: Box
    ink_px: int
    fill: float  # ink pixels / box area
    contrast: float  # mean darkness of ink below the local skin level (grey levels)
    dot_frac: float  # share of ink in small round blobs (moles, freckles)
    coherence: float  # 0..1 orientation coherence of the gradients (1 = all parallel: grain, hair)
    sharpness: float  # edge gradient at the ink boundary relative to the contrast (shadows are soft)
    ring_skin: float  # skin around the cluster, all round or on two opposite sides (a tattoo sits on skin)
    straight: float  # share of the ink's outline on long straight segments (frames, furniture, print)
    text_line: bool  # a row of separate similar-height glyphs, or inside a block of such lines: print
    repeated: bool  # one of many same-size clusters in the region: a printed or woven pattern
    region_frac: float  # the skin region's share of the canvas (a wall the colour of skin is large)
    rectangle: bool  # the region is a smallish four-cornered patch: a garment panel, a sheet, a board
    region_span: float  # share of the region's box the cluster's box covers (1 = pattern everywhere: cloth)
    colour_ink: float  # share of ink that is strongly coloured (not dark): red/green/blue tattoo ink
    solid_shape: bool = False  # one flat convex blob of paint (a disc, a sign panel): an object, not drawn ink
    skin_texture: float = -1.0  # median |Laplacian| of the skin around the cluster (-1: too little skin there)
    skin_texture_p90: float = -1.0  # its 90th percentile: skin is smooth, fur, food, cloth and wood are not


# ------------------------------------------------------------------------------------------------------ skin
def generic_skin(rgb: np.ndarray) -> np.ndarray:
    """Boolean skin mask by a YCrCb box plus a hue band: covers light to dark skin under ordinary white light."""
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    y, cr, cb = ycc[:, :, 0], ycc[:, :, 1], ycc[:, :, 2]
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    hue, sat = hsv[:, :, 0], hsv[:, :, 1]
    return ((cr >= 135) & (cr <= 180) & (cb >= 80) & (cb <= 135) & (y >= 35)
            & ((hue <= 25) | (hue >= 165)) & (sat >= 25))


def face_skin(rgb: np.ndarray, faces: Sequence[Box]) -> Optional[np.ndarray]:
    """Skin the colour of the detected faces (Mahalanobis distance in CrCb), or None without usable faces.

    Catches skin the generic rule misses (very dark or very pale skin, coloured light) when the person's own face
    is in shot."""
    ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    samples = []
    for b in faces:
        w, h = geometry.width(b), geometry.height(b)
        inner = (b[0] + w // 4, b[1] + h // 3, b[2] - w // 4, b[3] - h // 4)  # cheeks and nose, not hair or eyes
        patch = ycc[inner[1]:inner[3], inner[0]:inner[2]].reshape(-1, 3)
        if len(patch) >= 30:
            samples.append(patch)
    if not samples:
        return None
    px = np.concatenate(samples).astype(np.float32)
    crcb = px[:, 1:]
    mean = crcb.mean(axis=0)
    cov = np.cov(crcb.T) + np.eye(2) * 4.0  # floor: a flat synthetic face has ~zero variance
    inv = np.linalg.inv(cov)
    d = ycc[:, :, 1:].astype(np.float32) - mean
    mahal = np.einsum("...i,ij,...j->...", d, inv, d)
    y = ycc[:, :, 0].astype(np.float32)
    ymean = float(px[:, 0].mean())
    return (mahal <= 9.0) & (y >= 0.45 * ymean) & (y <= min(255.0, 1.6 * ymean + 20))


def skin_regions(skin: np.ndarray) -> list[np.ndarray]:
    """Closed, hole-filled connected regions of skin large enough to hold a tattoo (boolean masks)."""
    h, w = skin.shape
    m = cv2.morphologyEx(skin.astype(np.uint8), cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    k = max(5, int(0.025 * max(h, w))) | 1
    m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for c in contours:
        if cv2.contourArea(c) < MIN_REGION_FRAC * h * w:
            continue
        r = np.zeros((h, w), np.uint8)
        cv2.drawContours(r, [c], -1, 1, thickness=cv2.FILLED)  # filling the outline makes ink holes part of it
        out.append(r.astype(bool))
    return out


# ------------------------------------------------------------------------------------------------------ ink
def local_level(y: np.ndarray, skin: np.ndarray, k: int) -> np.ndarray:
    """The skin's own brightness around each pixel: a blur over skin pixels only (normalised convolution)."""
    s = skin.astype(np.float32)
    num = cv2.blur(y * s, (k, k))
    den = cv2.blur(s, (k, k))
    return np.where(den > 0.05, num / np.maximum(den, 1e-6), 0.0)


def level_kernel(side: int) -> int:
    """Window of the local skin level: wide enough to span a design, narrow enough to follow shading."""
    return max(9, int(0.06 * side)) | 1


def ink_mask(grey: np.ndarray, hsv: np.ndarray, skin: np.ndarray, region: np.ndarray,
             side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ink, darkness below local skin, strongly coloured) for one region, away from its border. `side` is the
    canvas's longer side (the arrays may be a crop of it)."""
    y = grey
    k = level_kernel(side)
    level = local_level(y, skin & region, k)
    dark = level - y
    inner = cv2.erode(region.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    # Darker than the skin by more than its own texture: 3.5 robust sigmas of skin-minus-level, at least 12 levels.
    resid = dark[inner & skin]
    sigma = 1.4826 * float(np.median(np.abs(resid - np.median(resid)))) if resid.size > 50 else 6.0
    thresh = np.maximum(max(12.0, 3.5 * sigma), 0.15 * level)
    hue, sat = hsv[:, :, 0].astype(int), hsv[:, :, 1]
    # Coloured ink: saturated and away from the skin hue band (reds are skin-like, so only deep saturated reds).
    coloured = (sat >= 90) & (((hue > 28) & (hue < 160)) | (sat >= 200)) & ~skin
    ink = inner & ((dark >= thresh) | coloured)
    return ink, dark, coloured


# ------------------------------------------------------------------------------------------------------ measures
def _coherence(grey: np.ndarray, mask: np.ndarray) -> float:
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    m = mask.astype(bool)
    if m.sum() < 10:
        return 0.0
    jxx, jyy, jxy = float((gx[m] ** 2).sum()), float((gy[m] ** 2).sum()), float((gx[m] * gy[m]).sum())
    tr = jxx + jyy
    return float(np.sqrt((jxx - jyy) ** 2 + 4 * jxy ** 2) / tr) if tr > 0 else 0.0


def _dot_fraction(ink: np.ndarray) -> float:
    """Share of ink area in small round blobs: the shape of moles and freckles, not of drawn strokes."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    total = int(stats[1:, cv2.CC_STAT_AREA].sum()) if n > 1 else 0
    if not total:
        return 0.0
    dots = 0
    for i in range(1, n):
        a = stats[i, cv2.CC_STAT_AREA]
        bw, bh = stats[i, cv2.CC_STAT_WIDTH], stats[i, cv2.CC_STAT_HEIGHT]
        round_ = a >= 0.5 * bw * bh and 0.6 <= bw / max(bh, 1) <= 1.6  # a digital 7 px disc fills 0.6
        if a <= 300 and round_:
            dots += a
    return dots / total


def _straight_fraction(ink: np.ndarray) -> float:
    """Share of the ink's outline lying on straight segments at least 0.6 of the cluster's size long."""
    edge = cv2.morphologyEx(ink.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    n = int(edge.sum())
    if n < 20:
        return 0.0
    h, w = ink.shape
    min_len = max(15, int(0.6 * max(h, w)))
    lines = cv2.HoughLinesP(edge * 255, 1, np.pi / 180, threshold=int(0.8 * min_len), minLineLength=min_len,
                            maxLineGap=2)
    if lines is None:
        return 0.0
    on = np.zeros_like(edge)
    for x0, y0, x1, y1 in lines[:, 0]:
        cv2.line(on, (int(x0), int(y0)), (int(x1), int(y1)), 1, 2)
    return float((on & edge).sum() / n)


def _is_text_line(ink: np.ndarray) -> bool:
    """A row of >= 5 separate glyph-sized blobs of similar height in a wide box: printed text, not a tattoo."""
    h, w = ink.shape
    if w < 2.5 * h:
        return False
    n, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    hs = np.array([stats[i, cv2.CC_STAT_HEIGHT] for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= 6], float)
    if len(hs) < 5:
        return False
    tall = hs[hs >= 0.4 * hs.max()]
    return len(tall) >= 5 and float(tall.std() / tall.mean()) < 0.3


def _filled_outline(ink: np.ndarray) -> np.ndarray:
    """The ink with its holes filled (uint8 0/1): the outline of the shape the ink draws."""
    contours, _ = cv2.findContours(ink.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    outline = np.zeros(ink.shape, np.uint8)
    cv2.drawContours(outline, contours, -1, 1, thickness=cv2.FILLED)
    return outline


def _solidity(mask: np.ndarray) -> float:
    """Area of a mask over the area of its convex hull (1 = convex: a disc, a panel; stars and scrolls less)."""
    pts = cv2.findNonZero(mask.astype(np.uint8))
    if pts is None:
        return 0.0
    hull_area = cv2.contourArea(cv2.convexHull(pts))
    return float(mask.sum()) / hull_area if hull_area > 0 else 0.0


def _is_solid_shape(ink: np.ndarray, rings: bool = False) -> bool:
    """Ink that is one flat convex blob of paint: its outline (holes filled) nearly convex and either >= 75% inked
    (a disc, a sticker, a sign panel with light lettering) or, with `rings`, a band around one convex hole (a
    ring round a disc of another colour, a frame). Tattoos are strokes (outlines, script, mandalas: little of the
    outline inked, in many holes) or spiky fills (stars, tribal: a hull far bigger than the shape)."""
    outline = _filled_outline(ink)
    filled = int(outline.sum())
    if filled < MIN_INK_PX or _solidity(outline) < 0.9:
        return False
    inked = ink.astype(bool)
    if int(inked.sum()) >= 0.75 * filled:
        return True
    if not rings:
        return False
    holes = (outline.astype(bool) & ~inked).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=4)
    if n < 2:
        return False
    big = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return stats[big, cv2.CC_STAT_AREA] >= 0.9 * holes.sum() and _solidity(labels == big) >= 0.95


def _has_light_lettering(ink: np.ndarray, g: int) -> bool:
    """Lines of light lettering cut out of the ink (a sign panel: white text on a dark plate): a block of >= 3
    text lines among the ink's holes, covering a fair part of the cluster and made of many letter-sized holes
    (a flower's petals or a mandala's sectors are a handful of big ones)."""
    holes = (_filled_outline(ink).astype(bool) & ~ink.astype(bool)).astype(np.uint8)
    n, _, stats, cents = cv2.connectedComponentsWithStats(holes, connectivity=8)
    for b in text_blocks(holes, g):
        if geometry.area(b) < 0.15 * ink.size:
            continue
        letters = sum(1 for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= 3
                      and stats[i, cv2.CC_STAT_HEIGHT] <= 0.4 * geometry.height(b)
                      and b[0] <= cents[i][0] < b[2] and b[1] <= cents[i][1] < b[3])
        if letters >= MIN_LETTER_HOLES:
            return True
    return False


def _is_rectangle(region: np.ndarray) -> bool:
    """A region outlined by four straight sides. Limbs, faces and torsos have rounded outlines."""
    contours, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return False
    c = max(contours, key=cv2.contourArea)
    poly = cv2.approxPolyDP(c, 0.02 * cv2.arcLength(c, True), True)
    return len(poly) == 4 and cv2.isContourConvex(poly) and cv2.contourArea(poly) > 0.9 * cv2.contourArea(c)


def _surrounding_skin(skin: np.ndarray, box: Box) -> float:
    """How much skin surrounds a box: the skin share of a ring around it, or of two opposite sides of the ring when
    that is higher (a design across a narrow forearm has skin above and below it, background left and right)."""
    h, w = skin.shape
    bw, bh = geometry.width(box), geometry.height(box)
    m = (int(max(6, 0.3 * bw)), int(max(6, 0.3 * bh)))
    x0, y0, x1, y1 = box
    sides = {"top": (x0, y0 - m[1], x1, y0), "bottom": (x0, y1, x1, y1 + m[1]),
             "left": (x0 - m[0], y0, x0, y1), "right": (x1, y0, x1 + m[0], y1)}
    frac = {}
    for k, b in sides.items():
        cx0, cy0, cx1, cy1 = geometry.clip(b, w, h)
        patch = skin[cy0:cy1, cx0:cx1]
        frac[k] = float(patch.mean()) if patch.size else 0.0  # beyond the frame edge counts as not skin
    ring = sum(frac.values()) / 4
    return max(ring, min(frac["top"], frac["bottom"]), min(frac["left"], frac["right"]))


def skin_texture(lap: np.ndarray, skin: np.ndarray, box: Box) -> tuple[float, float]:
    """Median and 90th percentile of |Laplacian| (`lap`) over the skin pixels around `box` (a margin of half its
    size, the box itself left out), or (-1, -1) when fewer than 20 skin pixels are there."""
    h, w = skin.shape
    bw, bh = geometry.width(box), geometry.height(box)
    x0, y0, x1, y1 = geometry.clip((box[0] - bw // 2, box[1] - bh // 2, box[2] + bw // 2, box[3] + bh // 2), w, h)
    m = skin[y0:y1, x0:x1].copy()
    m[box[1] - y0:box[3] - y0, box[0] - x0:box[2] - x0] = False
    if m.sum() <= 20:
        return -1.0, -1.0
    v = lap[y0:y1, x0:x1][m]
    return float(np.median(v)), float(np.percentile(v, 90))


def _sharpness(grey: np.ndarray, ink: np.ndarray, contrast: float) -> float:
    """Mean gradient on the ink's outline divided by its contrast: ~0.3+ for drawn ink, < 0.12 for soft shadows."""
    if contrast <= 0:
        return 0.0
    edge = cv2.morphologyEx(ink.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)).astype(bool)
    if not edge.any():
        return 0.0
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.sqrt(gx ** 2 + gy ** 2) / 8.0  # Sobel 3x3 gain is 8 for a unit step spread over 2 px
    return float(mag[edge].mean() / contrast)


def text_blocks(ink: np.ndarray, g: int) -> list[Box]:
    """Boxes of printed text blocks: >= 3 stacked, left-aligned or overlapping, similar-height lines of ink."""
    joined = cv2.morphologyEx(ink.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((1, 3 * g), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    lines = [(int(x), int(y), int(x + bw), int(y + bh)) for x, y, bw, bh, a in stats[1:]
             if bw >= 4 * bh and 4 <= bh <= 60]
    lines.sort(key=lambda b: b[1])
    blocks: list[list[Box]] = []
    for b in lines:
        for blk in blocks:
            last = blk[-1]
            hl, hb = last[3] - last[1], b[3] - b[1]
            overlap = min(last[2], b[2]) - max(last[0], b[0])
            if (0 < b[1] - last[1] <= 3 * hl and max(hl, hb) <= 1.6 * min(hl, hb)
                    and overlap >= 0.4 * min(last[2] - last[0], b[2] - b[0])):
                blk.append(b)
                break
        else:
            blocks.append([b])
    return [geometry.union(blk) for blk in blocks if len(blk) >= 3]


def repeated(boxes: Sequence[Box], b0: Box, min_count: int = 6) -> bool:
    """Whether b0 is one of >= min_count clusters of about the same size and shape: a printed or woven
    pattern (a tattoo sleeve is a few different designs, not six copies of one)."""
    a0, r0 = geometry.area(b0), geometry.width(b0) / max(1, geometry.height(b0))
    similar = sum(1 for b in boxes if 0.6 * a0 <= geometry.area(b) <= 1.6 * a0
                  and 0.7 * r0 <= geometry.width(b) / max(1, geometry.height(b)) <= 1.4 * r0)
    return similar >= min_count


def candidates_in_region(grey: np.ndarray, hsv: np.ndarray, skin: np.ndarray, region: np.ndarray,
                         exclude: np.ndarray, side: int, region_frac: float) -> list[Candidate]:
    """Ink clusters in one skin region. Arrays are a crop around the region (boxes are in the crop's pixels);
    `side` is the canvas's longer side and `region_frac` the region's share of the canvas."""
    ink, dark, coloured = ink_mask(grey, hsv, skin, region, side)
    ink &= ~exclude
    if ink.sum() < MIN_INK_PX:
        return []
    ys, xs = np.nonzero(region)
    region_box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    rectangle = region_frac < 0.3 and _is_rectangle(region)
    g = max(3, int(0.012 * side)) | 1  # strokes of one design are a few px apart: group them
    groups = cv2.dilate(ink.astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (g, g)))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(groups, connectivity=8)
    blocks = text_blocks(ink, g)
    all_boxes = [(int(x), int(y), int(x + bw), int(y + bh)) for x, y, bw, bh, a in stats[1:]]
    sizeable = [b for b, a in zip(all_boxes, stats[1:, cv2.CC_STAT_AREA]) if a >= MIN_INK_PX]
    out = []
    for i in range(1, n):
        x, y0, bw, bh = (int(v) for v in stats[i, :4])
        box = (x, y0, x + bw, y0 + bh)
        sub = (labels[y0:y0 + bh, x:x + bw] == i) & ink[y0:y0 + bh, x:x + bw]
        px = int(sub.sum())
        if px < MIN_INK_PX:
            continue
        d = dark[y0:y0 + bh, x:x + bw][sub]
        contrast = float(np.clip(d, 0, None).mean())
        col = float(coloured[y0:y0 + bh, x:x + bw][sub].mean())
        gsub = grey[y0:y0 + bh, x:x + bw]
        ring_skin = _surrounding_skin(skin, box)
        span = geometry.area(box) / max(1, geometry.area(region_box))
        out.append(Candidate(box=box, ink_px=px, fill=px / max(1, bw * bh), contrast=contrast,
                             dot_frac=_dot_fraction(sub),
                             coherence=_coherence(gsub, cv2.dilate(sub.astype(np.uint8), np.ones((3, 3), np.uint8))),
                             sharpness=_sharpness(gsub, sub, contrast), ring_skin=ring_skin,
                             straight=_straight_fraction(sub),
                             text_line=(_is_text_line(sub) or any(geometry.coverage(box, b) >= 0.6 for b in blocks)
                                        or _has_light_lettering(sub, g)),
                             repeated=repeated(sizeable, box),
                             region_frac=region_frac, rectangle=rectangle, region_span=span, colour_ink=col,
                             solid_shape=_is_solid_shape(sub, rings=region_frac >= WALL_FRAC)))
    return out


# ------------------------------------------------------------------------------------------------------ judgement
# The known look-alikes, in the order they are tested: (why, test). The judge sees which one fired.
VETOES: tuple[tuple[str, Callable[[Candidate], bool]], ...] = (
    ("not surrounded by skin", lambda c: c.ring_skin < 0.45),
    ("round dots (moles, freckles)", lambda c: c.dot_frac >= 0.6),
    ("parallel streaks (wood grain, hair)", lambda c: c.coherence >= 0.75 or (c.coherence >= 0.6 and c.fill < 0.1)),
    ("sparse strokes (hair, texture, edges of things)", lambda c: c.fill < 0.08),
    ("rectangular patch (cloth, paper, board)", lambda c: c.rectangle),
    ("soft edges (shadow)", lambda c: c.colour_ink < 0.3 and c.sharpness < 0.12),
    ("straight edges (frames, furniture, boards)", lambda c: c.straight >= 0.45),
    ("printed text", lambda c: c.text_line),
    ("flat convex blob of paint (disc, sticker, sign panel)", lambda c: c.solid_shape),
    ("repeating pattern (cloth, print)", lambda c: c.repeated),
    ("pattern over the whole region (cloth, wood)",
     lambda c: c.region_frac < 0.3 and c.region_span >= 0.75 and c.fill >= 0.08),
)
VETO_REASONS = tuple(why for why, _ in VETOES)
# Look-alikes the judge does not overrule: made things whose measure is specific (no real tattoo of the training
# photos got one, or, for painted discs, only parts of tattoos that other clusters of the same design covered), and
# ink not surrounded by skin (10 of 2,140 such clusters of the training photos touched a tattoo: too few to learn
# when to rescue one, and a rescued one can be a whole dog).
# A cluster holding (or inside) a screen the screens detector found is a monitor on a skin-coloured wall: final too.
SCREEN_VETO = "holds a screen (a monitor on a skin-coloured wall)"
FINAL_VETOES = frozenset({SCREEN_VETO, "not surrounded by skin", "rectangular patch (cloth, paper, board)",
                          "soft edges (shadow)", "printed text",
                          "flat convex blob of paint (disc, sticker, sign panel)",
                          "pattern over the whole region (cloth, wood)"})


def veto(c: Candidate) -> Optional[str]:
    """Why a candidate is a known look-alike rather than a tattoo, or None."""
    return next((why for why, test in VETOES if test(c)), None)


class TattooDetector:
    name = "tattoos"

    def __init__(self, judge: Optional[TattooJudge] = None, max_side: int = CANVAS_MAX_SIDE):
        # Without a judge (bench/train_tattoos.py collecting candidates to train one) nothing is reported.
        self.judge = judge
        self.max_side = max_side
        self.last_candidates: list[tuple[Candidate, Optional[str], float]] = []  # for the benchmark and tests

    def detect(self, frame: Frame, prior: Sequence[Finding]) -> list[Finding]:
        if frame.kind == "screenshot":  # no skin in a screenshot is a tattoo risk worth a UI's false fills
            return []
        rgb = frame.rgb
        h, w = rgb.shape[:2]
        s = min(1.0, self.max_side / max(h, w))
        small = rgb if s == 1.0 else cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        sh, sw = small.shape[:2]
        faces = [geometry.clip(geometry.scale(f.box, s), sw, sh) for f in prior if f.kind == "face"]
        screens = [geometry.scale(f.box, s) for f in prior if f.kind == "screen"]
        skin = generic_skin(small)
        fs = face_skin(small, faces)
        if fs is not None:
            skin |= fs
        # Eyes, brows, lips and beards are dark marks inside skin: faces are the face detector's, not ours. Hair
        # falls over the forehead above a face detector's box (brows to chin): reach higher above than below.
        exclude = np.zeros((sh, sw), bool)
        for b in faces:
            fw, fh = geometry.width(b), geometry.height(b)
            x0, y0, x1, y1 = geometry.clip((b[0] - 0.2 * fw, b[1] - 0.6 * fh, b[2] + 0.2 * fw, b[3] + 0.3 * fh), sw, sh)
            exclude[int(y0):int(y1), int(x0):int(x1)] = True
        grey = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
        hsv = cv2.cvtColor(small, cv2.COLOR_RGB2HSV)
        lap = np.abs(cv2.Laplacian(cv2.GaussianBlur(grey, (3, 3), 0), cv2.CV_32F))
        side = max(sh, sw)
        self.last_candidates = []
        findings = []
        for region in skin_regions(skin):
            # Work on a crop around the region (with room for the local skin level): cost follows the skin, not
            # the frame, when a scene has many small skin-coloured patches.
            ys, xs = np.nonzero(region)
            m = level_kernel(side)
            x0, y0, x1, y1 = geometry.clip((int(xs.min()) - m, int(ys.min()) - m, int(xs.max()) + m + 1,
                                            int(ys.max()) + m + 1), sw, sh)
            crop = (slice(y0, y1), slice(x0, x1))
            cands = candidates_in_region(grey[crop], hsv[crop], skin[crop], region[crop], exclude[crop], side,
                                         float(region.mean()))
            for c in cands:
                box = geometry.translate(c.box, x0, y0)
                texture, texture_p90 = skin_texture(lap, skin, box)
                c = dataclasses.replace(c, box=box, skin_texture=texture, skin_texture_p90=texture_p90)
                on_screen = any(geometry.coverage(sb, box) >= 0.5 or geometry.coverage(box, sb) >= 0.5
                                for sb in screens)
                why = veto(c) or (SCREEN_VETO if on_screen else None)
                judged = self.judge is not None and why not in FINAL_VETOES
                score = self.judge.score(c, why, bool(faces)) if judged else 0.0
                self.last_candidates.append((c, why, score))
                if not judged or not self.judge.keeps(score, why is not None):
                    continue
                confident = score >= CONFIDENT
                findings.append(Finding(kind="tattoo", category="tattoo",
                                        box=geometry.clip(geometry.pad(geometry.scale(c.box, 1 / s), 4), w, h),
                                        confidence=round(score, 3), severity="medium" if confident else "low",
                                        detector=self.name,
                                        note=("tattoo (ink pattern on skin)" if confident else "possible tattoo")
                                        + (f"; rules said {why}" if why else "")))
        return findings


def make(options, policy) -> TattooDetector:
    return TattooDetector(load_judge())
