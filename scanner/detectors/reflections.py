"""Reflection detector: text mirrored left-right (a monitor seen in a glass door, a window, a glossy floor).

Text-line detection is nearly mirror-invariant, so mirrored lines are found by RapidOCR's line detector, run here
on a contrast-enhanced (CLAHE) 960 px canvas because reflections are faint. Each line is then recognised twice, as
it is and flipped horizontally; a line is mirrored when the flipped reading is clearly better than the straight one
(reader confidence x how word-like the reading is x how much of the line it read). Upside-down reflections in
glossy floors work too: flipped left-right they are upside-down text, which the recogniser's angle classifier turns.
Mirrored lines are classified by `scanner.text` in the "reflection" context, in mirrored coordinates so labels still
sit left of their values; mirrored text that is not PHI yields nothing. Straight text is the text detector's job
and is never reported here.
"""
from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np

from .. import geometry, reuse
from ..findings import Box, Finding
from ..text.ocr.crop import crop_quad
from .base import Frame

DET_MAX_SIDE = 960  # reflections worth reporting are large; detection on a 960 canvas keeps within ~1 s per frame
MAX_CANDIDATES = 80  # busiest screens have ~60 lines; beyond this the budget (~1 s/frame) would be blown
MIN_LINE_HEIGHT = 8  # px at full resolution: below this neither reading means anything
LINE_PAD = 6  # px: a region looked at again takes in earlier mirrored lines this close to it
MIN_FLIPPED_SCORE = 0.55  # the flipped reading must itself be good (confidence x word-likeness)
MIN_MARGIN = 0.15  # ... and better than the straight reading by this much
HEAD_RATIO = 8  # pre-screen a line by its first 8 line-heights (~10 characters), read flipped
MIN_HEAD_SCORE = 0.5  # lower than MIN_FLIPPED_SCORE: the cut can split a glyph at the end of the head
MIN_ALNUM = 3  # "A1" mirrored is not worth a finding
CROP_MAX_H = 192  # px: taller line crops are shrunk before reading (4x the recogniser's 48 px input)
KNOWN_MIN_CONFIDENCE = 0.5  # a text finding this sure is redacted by default: its line need not be read again

# Mirrored text is read in mirrored coordinates: a label ("MRN:") sits right of its value in the image.
CONTEXT = "reflection"


@dataclass(frozen=True)
class Reading:
    text: str
    confidence: float  # the recogniser's

    @property
    def score(self) -> float:
        return self.confidence * wordlike(self.text)


@dataclass(frozen=True)
class MirroredLine:
    """A line judged mirrored: where it is in the image, what it says read flipped, how sure the judgement is."""

    box: Box  # image pixels
    text: str
    confidence: float  # recogniser confidence of the flipped reading
    margin: float  # flipped score minus straight score


# ---------------------------------------------------------------------------------------------------------------
# How word-like a reading is. Garbage from reading mirrored glyphs straight looks like "Boow 4I5 B6q B" or
# "DOB:03\I4\I∂2√": letters inside numbers, odd case, non-ASCII symbols, letter pairs English does not use.


@lru_cache(maxsize=1)
def _bigram_logp() -> tuple[dict[str, float], float]:
    """Letter-bigram log-probabilities (with ^ start and $ end) from the US Census name lists in the `names`
    package: ~90k first and last names are a fair sample of English spelling and exactly what we look for."""
    counts: dict[str, int] = {}
    try:
        import names

        folder = Path(names.__file__).parent
        files = [folder / f for f in ("dist.all.last", "dist.female.first", "dist.male.first")]
    except ImportError:  # pragma: no cover - pinned dependency
        files = []
    words = []
    for f in files:
        if f.is_file():
            words += [ln.split()[0].lower() for ln in f.read_text().splitlines() if ln.strip()]
    words += _COMMON_WORDS
    for w in words:
        w = f"^{w}$"
        for a, b in zip(w, w[1:]):
            counts[a + b] = counts.get(a + b, 0) + 1
    total = sum(counts.values()) or 1
    floor = math.log(0.5 / total)
    return {k: math.log(v / total) for k, v in counts.items()}, floor


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    """Census first and last names plus common screen words: a reading made of these is certainly real text, which
    is what separates 'TIMOTHY' from the equally pronounceable 'YHTOMIT' read off a mirrored name."""
    words = set(_COMMON_WORDS)
    try:
        import names

        folder = Path(names.__file__).parent
        for f in ("dist.all.last", "dist.female.first", "dist.male.first"):
            p = folder / f
            if p.is_file():
                words.update(ln.split()[0].lower() for ln in p.read_text().splitlines() if ln.strip())
    except ImportError:  # pragma: no cover - pinned dependency
        pass
    return frozenset(words)


# Common words on clinical screens and signs that census names do not spell (adds their letter pairs).
_COMMON_WORDS = tuple((
    "patient name date birth dob mrn room bed allergies allergy medication medications order orders admitted admit "
    "discharge doctor dr nurse rn md physician attending provider phone tel fax email address street st avenue ave "
    "road rd city state zip insurance account acct number no id the and with for from this that to of in on at by "
    "is are be not no yes all any new old station exit please wash your hands hygiene saves lives emergency ward "
    "unit icu er visitor visitors only staff blood pressure heart rate pulse temperature temp weight height age sex "
    "male female notes note diagnosis dx history hx lab labs results result test tests normal high low mg ml kg "
    "left right day days time am pm today monday tuesday wednesday thursday friday saturday sunday january "
    "february march april may june july august september october november december jan feb mar apr jun jul aug "
    "sep oct nov dec chart record records care team surgery clinic hospital medical center health plan member "
    "group code status full pending scheduled bedside floor wing north south east west main entrance pharmacy "
    "radiology oncology pediatrics cardiology private restricted caution wet authorized personnel keep door closed "
    "open push pull elevator stairs restroom waiting area welcome fire alarm oxygen in use hand sanitizer").split())

_OK_PUNCT = set(":/.,-#()'&+*@")
_TOKENS = re.compile(r"[A-Za-z]+|\d+|\s+|.")


def _alpha_word_score(letters: str) -> float:
    if len(letters) == 1:
        return 0.8 if letters in "AaI" else 0.6
    case_ok = letters.islower() or letters.isupper() or (letters[0].isupper() and letters[1:].islower())
    logp, floor = _bigram_logp()
    w = f"^{letters.lower()}$"
    mean = sum(logp.get(a + b, floor) for a, b in zip(w, w[1:])) / (len(w) - 1)
    # Real words and names average about -5.5 per pair here, garbage -8 or lower; map that onto 0..1.
    plaus = 1.0 / (1.0 + math.exp(-(mean + 7.0) * 2.0))
    # Out-of-vocabulary words are capped below known ones, so a known reading beats a pronounceable reversal.
    known = letters.lower() in _vocabulary()
    return (1.0 if known else 0.75 * plaus) * (1.0 if case_ok else 0.5)


def token_scores(text: str) -> list[tuple[str, float]]:
    """Each letter run, digit run and symbol of `text` with a 0..1 score of how real it looks.

    Readers drop spaces ('DOB:03/14/1957'), so text is cut into runs rather than words. A letter run between two
    digit runs (4I5) or a digit run between two letter runs (B6q) is the signature of glyphs read the wrong way
    round; 'MRN12345' (letters then digits) is an ordinary identifier.
    """
    toks = _TOKENS.findall(text)
    kind = ["s" if t.isspace() else "a" if t[0].isalpha() and t.isascii() else
            "d" if t[0].isdigit() and t.isascii() else "p" for t in toks]
    bad = [k == "p" and (not t.isascii() or t not in _OK_PUNCT) for t, k in zip(toks, kind)]
    out = []
    for i, t in enumerate(toks):
        if kind[i] == "s":
            continue
        prev = kind[i - 1] if i > 0 else ""
        nxt = kind[i + 1] if i + 1 < len(toks) else ""
        if kind[i] == "a":
            if prev == nxt == "d" or (prev == "d" and len(t) <= 2):
                sc = 0.1  # 4I5, 03I: letters the reader found where mirrored digits were
            else:
                sc = _alpha_word_score(t)
        elif kind[i] == "d":
            sc = 0.1 if prev == nxt == "a" else 1.0
        elif not out and t in ":;,.":
            sc = 0.1  # no line starts with a colon; a mirrored "Label: value" read straight often does
        else:
            sc = 0.0 if not t.isascii() else 0.5 if t in _OK_PUNCT else 0.1
        if (i > 0 and bad[i - 1]) or (i + 1 < len(toks) and bad[i + 1]):
            sc *= 0.5  # a stray symbol (\ ! ∂ |) taints what it touches
        out.append((t, sc))
    return out


def wordlike(text: str) -> float:
    """0..1: how much a whole reading looks like real text (names, words, numbers); runs weighted by length."""
    if sum(c.isalnum() and c.isascii() for c in text) < MIN_ALNUM:
        return 0.0
    scored = token_scores(text)
    total = sum(len(t) for t, _ in scored)
    return sum(sc * len(t) for t, sc in scored) / total if total else 0.0


def _alnum(text: str) -> int:
    return sum(c.isalnum() and c.isascii() for c in text)


def judge(straight: Reading, flipped: Reading) -> Optional[float]:
    """The margin by which `flipped` reads better than `straight`, or None when the line is not mirrored.

    Each reading's score is also weighted by how much of the line it read (sqrt of its share of the longer
    reading's characters): a recogniser skips glyphs it cannot make sense of, so mirrored "MRN: 60545222" read
    straight comes out as a plausible but shorter ":00242555".
    """
    fs = flipped.score
    if fs < MIN_FLIPPED_SCORE:
        return None
    longest = max(_alnum(straight.text), _alnum(flipped.text), 1)
    share = lambda r: math.sqrt(_alnum(r.text) / longest)  # noqa: E731
    margin = fs * share(flipped) - straight.score * share(straight)
    return margin if margin >= MIN_MARGIN else None


# ---------------------------------------------------------------------------------------------------------------
# Image helpers


def enhance(rgb: np.ndarray) -> np.ndarray:
    """CLAHE on lightness: lifts faint reflected strokes (10 grey levels of contrast) to where a detector sees them."""
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
    lab[:, :, 0] = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8)).apply(lab[:, :, 0])
    return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)


def stretch(crop_bgr: np.ndarray) -> np.ndarray:
    """Percentile contrast stretch of one line crop (grey, 3 channels), so a faint line reads like a printed one."""
    grey = cv2.cvtColor(crop_bgr, cv2.COLOR_BGR2GRAY).astype(np.float32)
    lo, hi = np.percentile(grey, (2, 98))
    if hi - lo < 4:
        out = grey
    else:
        out = np.clip((grey - lo) * (255.0 / (hi - lo)), 0, 255)
    return cv2.cvtColor(out.astype(np.uint8), cv2.COLOR_GRAY2BGR)


def mirror_box(b: Box, w: int) -> Box:
    """The box a region occupies in the horizontally flipped image of width w (its own inverse)."""
    return (w - b[2], b[1], w - b[0], b[3])


class LineFinder:
    """Text-line detection for reflections: RapidOCR's detector (the model inside the `rapidocr` wheel) run on a
    canvas of at most `max_side`, on a contrast-enhanced image.

    A separate, detection-only RapidOCR instance because the shared engine's detector scales every image UP to a
    736 px short side (its default 'min' limit); reflections worth reporting are large enough for a 960 px canvas,
    which costs about half as much. Boxes come back in full-resolution pixels.
    """

    def __init__(self, max_side: int = DET_MAX_SIDE):
        import logging

        from rapidocr import RapidOCR

        from ..text.ocr.rapid import load_detector

        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        self._ocr = RapidOCR(params={"Global.log_level": "error", "Global.use_cls": False, "Global.use_rec": False,
                                     "Det.limit_type": "max", "Det.limit_side_len": max_side})
        load_detector(self._ocr)  # now, once, on the tidied weights
        self.max_side = max_side
        self._lock = threading.Lock()

    def __call__(self, rgb: np.ndarray, regions: Optional[Sequence[Box]] = None) -> list[np.ndarray]:
        """Line quads in `rgb`; with `regions` (full-resolution boxes), only in those parts of the same canvas."""
        h, w = rgb.shape[:2]
        s = min(1.0, self.max_side / max(h, w))
        if min(h, w) * s < 32:  # a strip thinner than a text line (and RapidOCR cannot resize it): nothing to read
            return []
        small = rgb if s == 1.0 else cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        bgr = np.ascontiguousarray(enhance(small)[:, :, ::-1])
        if regions is None:
            return [q / s for q in self._detect(bgr)]
        out = []
        for x0, y0, x1, y1 in regions:  # cut from the enhanced whole canvas: the same contrast as a full look
            cx0, cy0 = int(x0 * s), int(y0 * s)
            part = bgr[cy0:int(np.ceil(y1 * s)), cx0:int(np.ceil(x1 * s))]
            if part.size == 0:
                continue
            ph, pw = part.shape[:2]
            if min(ph, pw) < 32:  # RapidOCR cannot take it: pad with the edge's own pixels (adds no text)
                part = cv2.copyMakeBorder(part, 0, max(0, 32 - ph), 0, max(0, 32 - pw), cv2.BORDER_REPLICATE)
            out += [np.clip(q, 0, (pw, ph)) / s + (cx0 / s, cy0 / s) for q in self._detect(np.ascontiguousarray(part))]
        return out

    def _detect(self, bgr: np.ndarray) -> list[np.ndarray]:
        with self._lock:
            res = self._ocr(bgr, use_det=True, use_cls=False, use_rec=False)
        if res.boxes is None:
            return []
        return [np.asarray(q, dtype=np.float32) for q in res.boxes]


def same_line(a: Box, b: Box) -> bool:
    """Two boxes of one text line from different detectors: the smaller almost inside the larger, and not a small
    part of it (detectors pad line boxes differently, so plain IoU is too strict)."""
    inter = geometry.intersection(a, b)
    small, large = sorted((geometry.area(a), geometry.area(b)))
    return small > 0 and inter >= 0.8 * small and inter >= 0.35 * large


def find_mirrored_lines(find_lines, engine, rgb: np.ndarray, known: Sequence[Box] = ()) -> list[MirroredLine]:
    """Every text line in `rgb` that reads better flipped than straight. `find_lines(rgb)` gives line quads,
    `engine.recognise(crops)` reads them (the shared RapidOCR engine). Lines on `known` boxes (already reported
    as PHI by an earlier detector, so already covered) are not read again."""
    h, w = rgb.shape[:2]
    bgr = rgb[:, :, ::-1]  # a view: crop_quad copies only each line's box
    cands: list[tuple[Box, np.ndarray]] = []
    for q in find_lines(rgb):
        box = geometry.clip(geometry.from_points(q), w, h)
        if geometry.height(box) < MIN_LINE_HEIGHT or geometry.width(box) < 2 * MIN_LINE_HEIGHT:
            continue
        if any(same_line(box, k) for k in known):
            continue
        crop = crop_quad(bgr, q, max_height=CROP_MAX_H)
        if crop is not None:
            cands.append((box, stretch(crop)))
    # Largest lines first when over budget: small print in a reflection is the least readable anyway.
    cands.sort(key=lambda c: -geometry.height(c[0]))
    cands = cands[:MAX_CANDIDATES]
    if not cands:
        return []
    # Three steps, so that a screen full of straight lines costs about one short recognition per line:
    # 1. the first HEAD_RATIO line-heights of each flipped line (where a mirrored line starts): straight lines read
    #    as garbage there and stop; 2. the whole flipped line for those that read well; 3. the straight line, to
    #    compare against.
    flipped_crops = [np.ascontiguousarray(c[:, ::-1]) for _, c in cands]
    heads = [c[:, :HEAD_RATIO * c.shape[0]] for c in flipped_crops]
    head_read = [Reading(t.strip(), s) for t, s in engine.recognise(heads)]
    promising = [i for i, r in enumerate(head_read) if r.score >= MIN_HEAD_SCORE]
    whole = {i: (head_read[i] if heads[i].shape[1] == flipped_crops[i].shape[1] else None) for i in promising}
    todo = [i for i in promising if whole[i] is None]
    for i, (t, s) in zip(todo, engine.recognise([flipped_crops[i] for i in todo])):
        whole[i] = Reading(t.strip(), s)
    promising = [i for i in promising if whole[i].score >= MIN_FLIPPED_SCORE]
    straight = engine.recognise([cands[i][1] for i in promising])
    out = []
    for i, (t, s) in zip(promising, straight):
        margin = judge(Reading(t.strip(), s), whole[i])
        if margin is not None:
            out.append(MirroredLine(box=cands[i][0], text=whole[i].text, confidence=whole[i].confidence,
                                    margin=margin))
    return out


def mirror_certainty(margin: float) -> float:
    """How sure the line is mirrored, from the reading margin: 0.15 -> 0.7, 0.45 and above -> 1."""
    return min(1.0, 0.55 + margin)


def findings_from_lines(lines: Sequence[MirroredLine], width: int, classify_lines) -> list[Finding]:
    """Classify mirrored lines (in mirrored coordinates) and turn each PHI match into a 'reflection' finding."""
    if not lines:
        return []
    from ..text.ocr.base import TextLine

    as_read = [TextLine(text=ln.text, box=mirror_box(ln.box, width), confidence=ln.confidence, engine="mirror")
               for ln in lines]
    out = []
    for m in classify_lines(as_read, context=CONTEXT):
        box = mirror_box(tuple(int(v) for v in m.box), width)
        # The certainty of the weakest mirrored line this match overlaps scales the classifier's confidence.
        over = [ln for ln in lines if geometry.intersection(ln.box, box) > 0]
        certainty = min((mirror_certainty(ln.margin) for ln in over), default=mirror_certainty(MIN_MARGIN))
        out.append(Finding(kind="reflection", category=m.category, box=box,
                           confidence=float(m.confidence) * certainty, severity=m.severity, context=CONTEXT,
                           text=m.text, detector="reflections",
                           note=f"mirrored text; {m.reason}" if getattr(m, "reason", None) else "mirrored text"))
    return out


class ReflectionDetector:
    name = "reflections"

    def __init__(self, engine=None, max_side: int = DET_MAX_SIDE):
        if engine is None:
            from ..text.ocr import get_engine

            engine = get_engine("rapid")  # its recogniser, shared with the text detector and loaded once
        self.engine = engine
        self.find_lines = LineFinder(max_side)
        self.last_lines: list[MirroredLine] = []  # for the benchmark: what was judged mirrored at all

    def detect(self, frame: Frame, prior: Sequence[Finding]) -> list[Finding]:
        from ..text import classify_lines

        if frame.kind == "screenshot":  # drawn, not photographed: nothing is mirrored in glass
            self.last_lines = []
            return []
        # Lines the text detector already reported as PHI it would redact are covered whichever way round they
        # read; skipping them keeps a full EHR screen (every line PHI, none mirrored) cheap.
        known = [f.box for f in prior if f.kind == "text" and f.confidence >= KNOWN_MIN_CONFIDENCE]
        self.last_lines = find_mirrored_lines(self.find_lines, self.engine, frame.rgb, known)
        return findings_from_lines(self.last_lines, frame.size[0], classify_lines)

    reusable = True  # scanner.reuse: lines are found on the whole frame's canvas, cut to the changed regions

    def memo(self) -> list[MirroredLine]:
        return self.last_lines

    def detect_changed(self, frame: Frame, prior: Sequence[Finding], change: reuse.Change) -> list[Finding]:
        """`detect` for a video frame that differs from the reference only in `change.regions`: mirrored lines
        are looked for there (grown over every earlier one they touch); the reference's others are taken over
        where the camera moved them, and all are judged together."""
        from ..text import classify_lines

        if frame.kind == "screenshot":
            return self.detect(frame, prior)
        before: list[MirroredLine] = change.memo[self.name]
        w, h = frame.size
        regions, kept = reuse.partition(change, before, lambda ln: ln.box, LINE_PAD, w, h)
        known = [f.box for f in prior if f.kind == "text" and f.confidence >= KNOWN_MIN_CONFIDENCE]
        fresh = find_mirrored_lines(lambda rgb: self.find_lines(rgb, regions) if regions else [], self.engine,
                                    frame.rgb, known)
        self.last_lines = fresh + [replace(ln, box=box) for ln, box in kept]
        return findings_from_lines(self.last_lines, w, classify_lines)


def make(options, policy) -> ReflectionDetector:
    return ReflectionDetector()
