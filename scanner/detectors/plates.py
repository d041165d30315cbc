"""Licence plates (Safe Harbor L): a learned plate map and plate-shaped regions with plate-like glyphs, read by OCR.

The rules are geometry plus OCR:
1. candidates: light (or yellow) rectangles at several grey levels, any small rotation, whose minimum-area
   rectangle has a plate's proportions (about 1.3:1 to 6.5:1: US 2:1, EU 4.7:1, two-line plates ~1.6:1);
2. glyphs: cut out upright, the rectangle must hold a row (or two rows) of 4+ dark characters of one height,
   each 25-90% of the plate height (two-line: 20-50%), spanning at least half its width — AMBULANCE lettering on
   a white body, chrome badges and signs fail on the rectangle or on the glyph proportions; a row of characters
   must sit inside the plate's border (a word cut out of a board by the grey threshold runs into its sides), and
   many tall narrow bars are a barcode;
3. reading: the crop goes to the OCR engine; text shaped like a plate (4-9 letters/digits with a digit) raises
   the confidence, and confidently read text without any digit (EXIT, RADIOLOGY), or of four characters where
   four glyphs were counted (a room number, 509A), or in lower case (lettering on a screen or a sign), rejects
   the candidate. A plate whose characters OCR misreads is still reported from geometry alone.

A learned plate finder runs beside the rules (union for recall): a small segmentation net trained by this project
on licensed plate photos (scanner.regionnet, models/plates.onnx) maps plate pixels on a 1280 px canvas. With it, a
rules candidate needs a second opinion too: plate-like text read from it, or any blob of the map on it. Its blobs
count when they are solid (mean probability >= 0.96, or >= 0.93 with plate-like text read) and not thin; OCR
then vetoes what it reads clearly as something else: a dictionary word without a digit (EMERGENCY), lower-case
lettering (a watermark, a shop sign), or three or four characters (a speed limit, a badge such as G37S). Vanity
plates (FALLYOU) and unreadable far plates stay plates. In a picture much larger than the canvas (a 12 MP photo is
~3 source px per canvas px) a far plate is only a faint smudge on the map: the net looks again, at the picture's own
resolution, at a window around each faint or small blob (a few, merged; ~0.1 s each).

The plate detector runs after the text detector. If the text detector already reported text inside the plate,
that finding is turned into the plate finding (one finding, not two).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Optional, Sequence

import cv2
import numpy as np

from .. import geometry, reuse
from ..findings import Box, Finding
from ..regionnet import Region, RegionNet, blobs, get_net
from ..text.lexicon import word_info
from .base import Frame
from .screens import downscale, to_gray
from .wristbands import rectify

WORK_MAX_SIDE = 1920  # plates are small: keep a 1080p-class canvas
ASPECT_RANGE = (1.3, 6.5)
MIN_PLATE_H = 9  # canvas pixels
GREY_LEVELS = (120, 150, 180, 210, 235)
SIDE_MARGIN = 0.02  # share of the plate width left free on each side of the characters (the plate's border)
MIN_BARCODE_BARS = 8
MIN_GLYPH_CONTRAST = 40  # grey levels between a plate's characters and its background

PLATE_PAD = 24  # px: a region looked at again takes in earlier plates this close to it
NET_SIDE = 1280  # the learned finder's canvas: a 40 px plate in a 4000 px photo is still ~13 px there
NET_MIN_MEAN = 0.96  # a plate's blob is solid; blobs on lettering, badges and edges are ragged and fainter
NET_READ_MEAN = 0.93  # a fainter blob is a plate too when OCR reads plate-like text from it
NET_MIN_H = 5  # canvas pixels
NET_ASPECT = (0.8, 8.0)  # width / height of a blob: square motorbike plates to long EU plates
NET_PAD = (0.08, 0.15)  # share of the blob's width / height added on each side: the map stops short of the rim
CLEAR_READ = 0.8  # OCR confidence at which a reading can veto a candidate
# A 12 MP photo is ~3 source px per canvas px: a far plate is a faint smudge there. Faint or small blobs get a
# second, closer look: the net runs again on a window around each, at the photo's own resolution.
ZOOM_SCALE = 1.5  # source px per canvas px from which the closer look pays
ZOOM_FROM = 0.3  # map threshold of a blob worth a closer look
ZOOM_WINDOW = 384  # source px: the least side of a window (a plate needs its car around it)
ZOOM_GROW = 4  # a window is at least this many times the blob's width and height
ZOOM_MAX = 8  # windows per picture, the faintest dropped first: bounds the cost
ZOOM_MAX_SIDE = 1280  # canvas of a closer look: windows merged into a large one are looked at no finer than this

_PLATE_TEXT = re.compile(r"^[A-Z0-9]{5,9}$")


def plate_like_text(text: str) -> bool:
    """Plate-shaped text: 5-9 letters/digits once spaces and dashes go, at least two of them digits and at most
    five letters (US 7ABC123, ABC1234; EU AB-123-CD; UK AB12 CDE) — badges (320i, 4MATIC) and words fail."""
    t = re.sub(r"[\s\-\.·:]", "", text.upper())
    return (bool(_PLATE_TEXT.match(t)) and sum(c.isdigit() for c in t) >= 2
            and sum(c.isalpha() for c in t) <= 5)


@dataclass(frozen=True)
class PlateCandidate:
    corners: np.ndarray  # 4x2 canvas pixels
    box: Box  # canvas pixels
    aspect: float
    glyphs: int
    two_line: bool
    confidence: float


def glyph_rows(crop_gray: np.ndarray) -> tuple[int, bool]:
    """Number of plate-like characters in an upright plate crop, and whether they sit on two rows.

    Characters are dark connected components (Otsu) of one height, 25-90% of the plate height for one row or
    20-50% for two, narrower than tall, whose row spans at least half the plate's width.
    """
    h, w = crop_gray.shape
    best, two = 0, False
    _, dark = cv2.threshold(crop_gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ink, paper = crop_gray[dark > 0], crop_gray[dark == 0]
    if ink.size == 0 or paper.size == 0 or float(paper.mean()) - float(ink.mean()) < MIN_GLYPH_CONTRAST:
        return 0, False  # Otsu splits plain tarmac or paint noise into specks too: printed glyphs contrast
    for binary in (dark, 255 - dark):  # dark glyphs on light plates; light on dark for old/inverted plates
        n, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
        comps = [tuple(int(v) for v in st) for st in stats[1:]]
        if is_barcode(comps, h):
            return 0, False
        for lo, hi, rows in ((0.25, 0.9, 1), (0.2, 0.5, 2)):
            # Letters set tight touch and merge into one component: a wide one counts as several characters.
            # Glyph ink fills 20-75% of its box; a window bar or a lamp is solid.
            chars = [c for c in comps if lo * h <= c[3] <= hi * h and 0.08 * c[3] <= c[2] <= 6 * c[3]
                     and c[1] > 0 and c[1] + c[3] < h and 0.2 <= c[4] / (c[2] * c[3]) <= 0.75]
            if sum(_n_chars(c) for c in chars) < 4:
                continue
            heights = np.array([c[3] for c in chars], np.float64)
            med = float(np.median(heights))
            chars = [c for c in chars if abs(c[3] - med) <= 0.2 * med]
            # Group by vertical centre into rows; a plate row spans at least half the plate.
            chars.sort(key=lambda c: c[1] + c[3] / 2)
            groups: list[list[tuple]] = []
            for c in chars:
                cy = c[1] + c[3] / 2
                if groups and abs(cy - (groups[-1][-1][1] + groups[-1][-1][3] / 2)) <= 0.3 * med:
                    groups[-1].append(c)
                else:
                    groups.append([c])
            # A plate's characters sit inside its border: a row running into the crop's side is a word cut out
            # of a board or a label by the threshold, not a plate.
            good = [g for g in groups if sum(_n_chars(c) for c in g) >= (4 if rows == 1 else 2)
                    and sum(_n_chars(c) == 1 for c in g) >= 2
                    and (max(c[0] + c[2] for c in g) - min(c[0] for c in g)) >= (0.5 if rows == 1 else 0.3) * w
                    and min(c[0] for c in g) >= SIDE_MARGIN * w
                    and max(c[0] + c[2] for c in g) <= (1 - SIDE_MARGIN) * w]
            if rows == 2 and len(good) < 2:
                continue
            count = sum(_n_chars(c) for g in good[:rows] for c in g) if good else 0
            if count > 10 * rows:  # a plate row holds at most ~9 characters; more is a label's small print
                continue
            if count > best:
                best, two = count, rows == 2
    return best, two


def is_barcode(comps: Sequence[tuple], h: int) -> bool:
    """Many tall, narrow bars side by side (x, y, w, h, area components of an upright crop): a barcode, its bars
    upright or slanted (a band's barcode seen at another angle than the light strip around it). A plate has at
    most a few narrow strokes (1, I) among its characters."""
    bars = [c for c in comps if c[3] >= 0.5 * h and c[2] <= 0.25 * c[3]]
    return len(bars) >= MIN_BARCODE_BARS


def _n_chars(comp: tuple) -> int:
    """Characters in one dark component (x, y, w, h, area): touching letters merge, ~0.55 h wide each."""
    w, h = comp[2], comp[3]
    return 1 if w <= 1.1 * h else max(1, round(w / (0.55 * h)))


def find_candidates(rgb: np.ndarray, max_side: int = WORK_MAX_SIDE,
                    picture_area: Optional[float] = None) -> tuple[list[PlateCandidate], float]:
    """Plate-shaped light regions with glyph rows. `picture_area` (source px²): the whole picture's when `rgb` is
    a region of it, for the rule that a plate is a small part of the picture."""
    small, s = downscale(rgb, max_side)
    gray = to_gray(small)
    H, W = gray.shape
    max_area = 0.05 * (picture_area * s * s if picture_area else W * H)
    # Yellow plates (UK rear, NL) are light in the red+green mix even where the grey value is middling.
    yellowish = cv2.max(small[..., 0], small[..., 1])
    cands: list[PlateCandidate] = []
    for src in (gray, yellowish):
        for level in GREY_LEVELS:
            # No morphological closing: a plate's thin dark border is what separates it from a light car body.
            m = (src >= level).astype(np.uint8)
            for c in cv2.findContours(m, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)[0]:
                area = cv2.contourArea(c)
                if area < 150 or area > max_area:
                    continue
                (cx, cy), (rw, rh), ang = cv2.minAreaRect(c)
                short, long_ = min(rw, rh), max(rw, rh)
                if short < MIN_PLATE_H or not ASPECT_RANGE[0] <= long_ / short <= ASPECT_RANGE[1]:
                    continue
                # The glyphs are holes in a light plate, so judge the fill on the outer hull, not the contour.
                hull_area = cv2.contourArea(cv2.convexHull(c))
                if hull_area < 0.85 * rw * rh:
                    continue
                tilt = min(abs(ang) % 90, 90 - abs(ang) % 90)
                if tilt > 30:  # plates are photographed roughly level; a steep light strip is something else
                    continue
                corners = cv2.boxPoints(((cx, cy), (rw, rh), ang))
                box = geometry.clip(geometry.from_points(corners), W, H)
                if any(geometry.iou(box, k.box) >= 0.6 for k in cands):
                    continue
                crop = rectify(gray, corners)
                glyphs, two = glyph_rows(crop)
                if glyphs < 4:
                    continue
                conf = min(0.8, 0.5 + 0.04 * glyphs)
                cands.append(PlateCandidate(corners, box, long_ / short, glyphs, two, conf))
    # A plate inside its own dark border is found twice (inner and outer outline): keep the outer one.
    keep: list[PlateCandidate] = []
    for c in sorted(cands, key=lambda c: geometry.area(c.box), reverse=True):
        if any(geometry.coverage(c.box, k.box) >= 0.7 and geometry.area(k.box) <= 2.5 * geometry.area(c.box)
               for k in keep):
            continue
        keep.append(c)
    return keep, s


def zoom_windows(faint: Sequence[Region], w: int, h: int) -> list[Box]:
    """Windows of a w x h picture around faint or small first-pass blobs (the most probable first), grown to at
    least ZOOM_WINDOW px and ZOOM_GROW times the blob; windows that overlap merge into one."""
    windows: list[Box] = []  # never two that overlap
    for r in sorted(faint, key=lambda r: r.mean_prob, reverse=True)[:ZOOM_MAX]:
        cx, cy = (r.box[0] + r.box[2]) / 2, (r.box[1] + r.box[3]) / 2
        half_w = max(ZOOM_WINDOW, ZOOM_GROW * geometry.width(r.box)) / 2
        half_h = max(ZOOM_WINDOW, ZOOM_GROW * geometry.height(r.box)) / 2
        win = geometry.clip((int(cx - half_w), int(cy - half_h), int(cx + half_w), int(cy + half_h)), w, h)
        # The new window swallows every window it overlaps (again once it has grown).
        while (hit := next((o for o in windows if geometry.intersection(o, win)), None)) is not None:
            windows.remove(hit)
            win = geometry.union([hit, win])
        windows.append(win)
    return windows


def plate_blobs(regions: Sequence[Region], w: int, h: int) -> list[Region]:
    """Solid, plate-proportioned blobs of a w x h picture, boxes padded to the plate's rim (the map fades a little
    inside it)."""
    out = []
    for r in regions:
        bw, bh = geometry.width(r.box), geometry.height(r.box)
        if r.mean_prob < NET_READ_MEAN or bh < NET_MIN_H * r.px_per_canvas:
            continue
        if not NET_ASPECT[0] * bh <= bw <= NET_ASPECT[1] * bh:
            continue
        box = geometry.clip(geometry.pad(r.box, NET_PAD[0] * bw, NET_PAD[1] * bh), w, h)
        out.append(Region(box, r.mean_prob, r.canvas_px, r.px_per_canvas))
    return out


def lower_case(read: str) -> bool:
    """Two or more lower-case Latin letters: lettering, not a plate (plates are read in capitals)."""
    return sum(c.islower() for c in re.sub(r"[^A-Za-z0-9]", "", read)) >= 2


def vetoed_by_reading(read: str, conf: float) -> bool:
    """Text read clearly from a learned candidate that shows it is not a plate: lower-case lettering (watermarks,
    shop signs), a dictionary word with no digit (EMERGENCY; a vanity plate is rarely a plain word), or three or
    four characters (a speed limit, a model badge). Plates are read in capitals with five or more characters."""
    if not read or conf < CLEAR_READ:
        return False
    alnum = re.sub(r"[^A-Za-z0-9]", "", read)
    if lower_case(read) or len(alnum) <= 4:
        return True
    words = re.findall(r"[A-Za-z]{3,}", read)
    return not any(c.isdigit() for c in alnum) and bool(words) and all(word_info(t).common for t in words)


def read_plate(engine, rgb: np.ndarray, corners_src: np.ndarray, two_line: bool) -> tuple[str, float]:
    """OCR the plate, cut upright from the full-resolution image and scaled so characters are ~40 px tall.

    Engines with a bare recogniser (RapidOCR) get the crop (or its two rows) directly: the plate is already
    found, so running text detection again would only cost time. Others read the crop whole.
    """
    c = corners_src.astype(np.float32)
    centre = c.mean(axis=0)
    crop = rectify(rgb, (c - centre) * np.array([1.04, 1.1], np.float32) + centre)
    if crop.size == 0 or min(crop.shape[:2]) < 4:
        return "", 0.0
    f = max(1.0, 64 / crop.shape[0])
    if f > 1.0:
        crop = cv2.resize(crop, (round(crop.shape[1] * f), round(crop.shape[0] * f)), interpolation=cv2.INTER_CUBIC)
    h = crop.shape[0]
    if hasattr(engine, "recognise"):
        parts = [crop[: h // 2], crop[h // 2:]] if two_line else [crop[int(0.12 * h):]]  # US: skip state name
        results = engine.recognise([np.ascontiguousarray(p[:, :, ::-1]) for p in parts])
        results = [(t.strip(), sc) for t, sc in results if t.strip()]
        if not results:
            return "", 0.0
        return " ".join(t for t, _ in results), float(np.mean([sc for _, sc in results]))
    lines = sorted(engine.read(np.ascontiguousarray(crop)), key=lambda t: (t.box[1], t.box[0]))
    if not lines:
        return "", 0.0
    # Keep the big lines (the registration), not the state name or the dealer's slogan.
    tallest = max(geometry.height(t.box) for t in lines)
    main = [t for t in lines if geometry.height(t.box) >= 0.6 * tallest]
    return " ".join(t.text for t in main), float(np.mean([t.confidence for t in main]))


class PlateDetector:
    name = "plates"

    def __init__(self, engine=None, max_side: int = WORK_MAX_SIDE, net: Optional[RegionNet] = None,
                 net_side: int = NET_SIDE):
        self.engine = engine  # an OcrEngine, or None for geometry only
        self.max_side = max_side
        self.net = net  # the learned plate finder, or None for the rules only
        self.net_side = net_side
        self.last: list[Finding] = []  # every plate of the last frame (what `detect_changed` takes over)

    def detect(self, frame: Frame, prior: Sequence[Finding]) -> list[Finding]:
        if frame.kind == "screenshot":  # no plate can be in a screenshot
            self.last = []
            return []
        return self._report(self._remember(self._plates(frame.rgb, screen_boxes(prior))), prior)

    reusable = True  # scanner.reuse: both finders work on a region at the whole frame's scales

    def memo(self) -> list[Finding]:
        return self.last

    def detect_changed(self, frame: Frame, prior: Sequence[Finding], change: reuse.Change) -> list[Finding]:
        """`detect` for a video frame that differs from the reference only in `change.regions` (scanner.reuse):
        both finders look at those regions, grown over every earlier plate they touch, at the whole frame's
        scales; the reference's other plates are taken over where the camera moved them."""
        if frame.kind == "screenshot":
            return self.detect(frame, prior)
        before: list[Finding] = change.memo[self.name]
        w, h = frame.size
        regions, kept = reuse.partition(change, before, lambda f: f.box, PLATE_PAD, w, h)
        screens = screen_boxes(prior)
        plates = []
        for x0, y0, x1, y1 in regions:
            local = [geometry.translate(b, -x0, -y0) for b in screens]
            for f in self._plates(frame.rgb[y0:y1, x0:x1], local, frame_size=(w, h)):
                plates.append(replace(f, box=geometry.translate(f.box, x0, y0)))
        plates += [replace(f, box=box) for f, box in kept]
        return self._report(self._remember(plates), prior)

    def _plates(self, rgb: np.ndarray, screens: list[Box], frame_size: Optional[tuple[int, int]] = None
                ) -> list[Finding]:
        """Every plate in `rgb`: the rules' (read and judged by OCR), then the learned map's that the rules did
        not find. `frame_size`: `rgb` is a region of a frame this size, looked at at the whole frame's scales."""
        h, w = rgb.shape[:2]
        fw, fh = frame_size or (w, h)
        zoom = max(w, h) / max(fw, fh)
        regions = self.map_regions(rgb, max(32, round(self.net_side * zoom))) if self.net is not None else None
        plates = self._from_rules(rgb, regions, screens, max(32, round(self.max_side * zoom)), float(fw * fh))
        return plates + self._from_map(rgb, regions or [], screens, plates)  # after: it grows the rules' plates

    def _remember(self, plates: list[Finding]) -> list[Finding]:
        """Copies kept for the next frame: merging into a text finding changes the findings handed on."""
        self.last = [replace(f) for f in plates]
        return plates

    @staticmethod
    def _report(plates: list[Finding], prior: Sequence[Finding]) -> list[Finding]:
        """The plates that are new findings: one the text detector already reported text inside becomes that
        text finding instead (see merged_into_prior)."""
        return [f for f in plates if merged_into_prior(f, prior) is None]

    def map_regions(self, rgb: np.ndarray, side: Optional[int] = None) -> list[Region]:
        """Blobs of the learned map over the picture (canvas `side`, default the detector's); in a large picture,
        also the blobs of a closer look, at the picture's own resolution, at windows around its faint or small
        blobs."""
        h, w = rgb.shape[:2]
        prob = self.net.probability(rgb, side or self.net_side)
        sx, sy = w / prob.shape[1], h / prob.shape[0]
        first = blobs(prob, 0.5, sx, sy)
        if max(sx, sy) < ZOOM_SCALE:
            return first
        faint = [r for r in blobs(prob, ZOOM_FROM, sx, sy)
                 if r.mean_prob < NET_MIN_MEAN or geometry.height(r.box) < 2 * NET_MIN_H * r.px_per_canvas]
        out = list(first)  # kept beside the closer look's blobs: each can hold the crop OCR reads best
        for x0, y0, x1, y1 in zoom_windows(faint, w, h):
            out += self.net.regions(rgb[y0:y1, x0:x1], min(ZOOM_MAX_SIDE, max(x1 - x0, y1 - y0)), offset=(x0, y0))
        return out

    def _from_rules(self, rgb: np.ndarray, regions: Optional[list[Region]], screens: list[Box],
                    max_side: Optional[int] = None, picture_area: Optional[float] = None) -> list[Finding]:
        """Plates the geometry rules find, read and judged by OCR; with the learned map, a rules candidate needs its
        agreement (any blob on it) or plate-like text."""
        h, w = rgb.shape[:2]
        cands, s = find_candidates(rgb, max_side or self.max_side, picture_area)
        found = []
        for c in cands:
            box = geometry.clip(geometry.scale(c.box, 1 / s), w, h)
            if any(geometry.coverage(box, sb) >= 0.7 for sb in screens):  # a cell of a table, a band's print
                continue
            conf, text, note = c.confidence, None, f"{c.glyphs} plate glyphs" + (", two rows" if c.two_line else "")
            if self.engine is not None:
                read, rconf = read_plate(self.engine, rgb, c.corners / s, c.two_line)
                plate_text = bool(read) and plate_like_text(read)
                if (regions is not None and not plate_text
                        and not any(geometry.intersection(box, r.box) for r in regions)):
                    continue  # the rules' shape alone, with neither plate-like text nor the learned map: not a plate
                if plate_text:
                    conf, text, note = max(conf, read_confidence(rconf)), read, note + ", plate-like text"
                elif read and rconf >= CLEAR_READ and not any(ch.isdigit() for ch in read) and len(read.strip()) >= 3:
                    continue  # clearly read lettering without a digit: a sign or a badge, not a plate
                elif read and rconf >= CLEAR_READ and lower_case(read):
                    continue  # lower-case lettering: a screen's or a sign's, plates are capitals
                elif read and rconf >= CLEAR_READ and c.glyphs <= 4 and len(re.sub(r"[^A-Za-z0-9]", "", read)) <= 4:
                    continue  # four characters, clearly read and counted alike: a room number or a bed label
                elif read:
                    text = read
            found.append(Finding(kind="plate", category="plate", box=box, confidence=conf, severity="high",
                                 context="plate", text=text, detector=self.name, note=note))
        return found

    def _from_map(self, rgb: np.ndarray, regions: list[Region], screens: list[Box],
                  plates: list[Finding]) -> list[Finding]:
        """Plates of the learned map that the rules did not find (those it did find grow to cover both outlines)."""
        h, w = rgb.shape[:2]
        found = []
        for r in plate_blobs(regions, w, h):
            if any(geometry.coverage(r.box, sb) >= 0.7 for sb in screens):
                continue
            conf = min(0.95, 0.55 + 10 * max(0.0, r.mean_prob - NET_MIN_MEAN))
            same = [f for f in plates + found
                    if geometry.coverage(r.box, f.box) >= 0.3 or geometry.coverage(f.box, r.box) >= 0.3]
            if same:  # both finders found it: the union covers the plate whichever outline was tighter
                same[0].box = geometry.union([same[0].box, r.box])
                same[0].confidence = max(same[0].confidence, conf)
                continue
            text, note = None, f"learned plate map {r.mean_prob:.2f}"
            if self.engine is not None:
                x0, y0, x1, y1 = r.box
                corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)
                read, rconf = read_plate(self.engine, rgb, corners, two_line=x1 - x0 < 2.2 * (y1 - y0))
                plate_text = bool(read) and plate_like_text(read)
                if vetoed_by_reading(read, rconf) or (r.mean_prob < NET_MIN_MEAN and not plate_text):
                    continue
                if plate_text:
                    conf, note = max(conf, read_confidence(rconf)), note + ", plate-like text"
                text = read or None
            elif r.mean_prob < NET_MIN_MEAN:
                continue
            found.append(Finding(kind="plate", category="plate", box=r.box, confidence=conf, severity="high",
                                 context="plate", text=text, detector=self.name, note=note))
        return found


def read_confidence(ocr_confidence: float) -> float:
    """A plate's confidence once OCR read plate-like text from it."""
    return min(0.95, 0.6 + 0.35 * ocr_confidence)


def screen_boxes(prior: Sequence[Finding]) -> list[Box]:
    """Regions whose print is not a plate: screens, wristbands, labels."""
    return [f.box for f in prior if f.kind == "screen" or f.context in ("wristband", "label")]


def merged_into_prior(plate: Finding, prior: Sequence[Finding]) -> Optional[Finding]:
    """If the text detector already reported text inside this plate, make that finding the plate finding
    (kind/category plate, the plate's box, the better confidence) and report nothing new: one finding per plate.
    Returns the finding of `prior` that became the plate, or None."""
    inside = [f for f in prior if f.kind == "text" and f.category not in ("barcode",) and f.context is None
              and geometry.coverage(f.box, plate.box) >= 0.6]
    if not inside:
        return None
    first = inside[0]
    first.kind, first.category, first.context = "plate", "plate", "plate"
    first.box = geometry.union([plate.box] + [f.box for f in inside])
    first.confidence = max(first.confidence, plate.confidence)
    first.text = first.text or plate.text
    first.note = plate.note
    # Further lines of the same plate (a two-line plate) become part of it too: mark them as the same plate.
    for f in inside[1:]:
        f.kind, f.category, f.context = "plate", "plate", "plate"
    return first


def make(options, policy) -> PlateDetector:
    from ..text.ocr import get_engine

    return PlateDetector(get_engine(options.ocr), net=get_net("plates"))
