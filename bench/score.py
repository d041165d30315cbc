"""Scoring a redaction against ground truth: pure functions on boxes and strings, no models.

A ground-truth PHI region (or face) is caught when the union of the boxes actually painted covers >= 90% of it.
Innocuous text is kept when <= 10% of it is painted. A painted box that touches no PHI, face or neutral region
(labels and headers sit next to values, so painting them is not a false alarm) is spurious: over-redaction.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

import numpy as np

from scanner import geometry
from scanner.findings import Box

CAUGHT_COVERAGE = 0.90
KEPT_MAX_COVERAGE = 0.10


def union_coverage(region: Box, boxes: Iterable[Box]) -> float:
    """Fraction of `region`'s pixels inside the union of `boxes` (exact, by rasterising inside the region)."""
    x0, y0, x1, y1 = region
    w, h = x1 - x0, y1 - y0
    if w <= 0 or h <= 0:
        return 0.0
    mask = np.zeros((h, w), bool)
    for b in boxes:
        bx0, by0, bx1, by1 = max(b[0], x0) - x0, max(b[1], y0) - y0, min(b[2], x1) - x0, min(b[3], y1) - y0
        if bx1 > bx0 and by1 > by0:
            mask[by0:by1, bx0:bx1] = True
    return float(mask.mean())


def normalise(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def read_back(truth: str, read: str) -> bool:
    """Did a reader recover the identifier? The whole string (letters and digits only), or any word of it of 4+
    characters, appears in what was read; or the two are >= 80% alike (OCR drops a character or two)."""
    t, r = normalise(truth), normalise(read)
    if not t or not r:
        return False
    if t in r:
        return True
    if any(len(w) >= 4 and w in r for w in (normalise(x) for x in re.split(r"[\s,./@-]+", truth))):
        return True
    return difflib.SequenceMatcher(None, t, r).ratio() >= 0.8


@dataclass
class RegionResult:
    label: str
    category: str
    safe_harbor: str
    text: str
    box: Box
    coverage: float
    read_by_ocr: Optional[bool] = None  # did the scanner's OCR read this text at all (miss: OCR or classifier?)
    tesseract_original: Optional[bool] = None  # Tesseract reads it in the input (the check can read at all)
    tesseract_redacted: Optional[bool] = None  # Tesseract reads it in the redacted output (must never be True)

    @property
    def caught(self) -> bool:
        return self.coverage >= CAUGHT_COVERAGE

    @property
    def kept(self) -> bool:
        return self.coverage <= KEPT_MAX_COVERAGE


@dataclass
class SceneScore:
    name: str
    width: int
    height: int
    regions: list[RegionResult] = field(default_factory=list)
    redacted_boxes: list[Box] = field(default_factory=list)
    spurious_boxes: list[Box] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    error: Optional[str] = None

    @property
    def size_label(self) -> str:
        mp = self.width * self.height / 1e6
        return f"{self.width}x{self.height}" + (f" ({mp:.0f} MP)" if mp >= 5 else "")


def score_scene(name: str, width: int, height: int, truth: Sequence[dict], redacted: Sequence[Box]) -> SceneScore:
    """Match what was painted (`redacted`, boxes in pixels) against ground-truth regions (Region.to_json dicts)."""
    s = SceneScore(name, width, height, redacted_boxes=list(redacted))
    for r in truth:
        box = tuple(r["box"])
        s.regions.append(RegionResult(r["label"], r["category"], r.get("safe_harbor", ""), r["text"], box,
                                      union_coverage(box, redacted)))
    targets = [tuple(r["box"]) for r in truth if r["label"] in ("phi", "face", "neutral")]
    s.spurious_boxes = [b for b in redacted if all(geometry.intersection(b, t) == 0 for t in targets)]
    return s


def _rate(hits: int, total: int) -> Optional[float]:
    return round(hits / total, 4) if total else None


def percentile(values: Sequence[float], q: float) -> Optional[float]:
    return round(float(np.percentile(values, q)), 3) if len(values) else None


def summarise(scenes: Sequence[SceneScore]) -> dict:
    """The benchmark's figures: recall per Safe Harbor letter, faces, kept rate, over-redaction, read-back, time."""
    ok = [s for s in scenes if s.error is None]
    regions = [r for s in ok for r in s.regions]
    phi = [r for r in regions if r.label == "phi"]
    faces = [r for r in regions if r.label == "face"]
    keep = [r for r in regions if r.label == "keep"]
    per_letter: dict[str, dict] = {}
    for letter in sorted({r.safe_harbor for r in phi}):
        rs = [r for r in phi if r.safe_harbor == letter]
        per_letter[letter] = {"categories": sorted({r.category for r in rs}), "n": len(rs),
                              "caught": sum(r.caught for r in rs), "recall": _rate(sum(r.caught for r in rs), len(rs))}
    missed = [r for r in phi if not r.caught]
    redacted_area = sum(geometry.area(b) for s in ok for b in s.redacted_boxes)
    spurious_area = sum(geometry.area(b) for s in ok for b in s.spurious_boxes)
    image_area = sum(s.width * s.height for s in ok)
    out: dict = {
        "scenes": len(scenes), "errors": [f"{s.name}: {s.error}" for s in scenes if s.error],
        "text_phi": {"n": len(phi), "caught": len(phi) - len(missed),
                     "recall": _rate(len(phi) - len(missed), len(phi))},
        "per_safe_harbor": per_letter,
        "faces": {"n": len(faces), "caught": sum(r.caught for r in faces),
                  "recall": _rate(sum(r.caught for r in faces), len(faces))},
        "innocuous": {"n": len(keep), "kept": sum(r.kept for r in keep), "kept_rate": _rate(sum(r.kept for r in keep),
                                                                                            len(keep))},
        "over_redaction": {"spurious_boxes": sum(len(s.spurious_boxes) for s in ok),
                           "redacted_boxes": sum(len(s.redacted_boxes) for s in ok),
                           "spurious_share_of_redacted_area": _rate(spurious_area, redacted_area) or 0,
                           "spurious_share_of_image_area": round(spurious_area / image_area, 5) if image_area else 0},
        "misses": {"ocr_did_not_read": [_miss(r) for r in missed if r.read_by_ocr is False],
                   "read_but_not_redacted": [_miss(r) for r in missed if r.read_by_ocr],
                   "unknown": [_miss(r) for r in missed if r.read_by_ocr is None]},
        "redacted_innocuous": [f"{r.category}: {r.text!r} ({r.coverage:.0%})" for r in keep if not r.kept],
        "timing": timing_summary(ok),
    }
    checked = [r for r in phi if r.caught and r.tesseract_redacted is not None]
    if checked:
        out["tesseract"] = {"regions_checked": len(checked),
                            "readable_in_original": sum(bool(r.tesseract_original) for r in checked),
                            "read_back_from_redacted": sum(bool(r.tesseract_redacted) for r in checked),
                            "read_back_strings": [r.text for r in checked if r.tesseract_redacted]}
    return out


def _miss(r: RegionResult) -> str:
    return f"{r.safe_harbor}/{r.category}: {r.text!r} (covered {r.coverage:.0%}, {geometry.height(r.box)} px high)"


def timing_summary(scenes: Sequence[SceneScore]) -> dict:
    """Seconds per image (median, p90) by image size, and the mean seconds of each stage (result.timings keys)."""
    by_size: dict[str, list[SceneScore]] = {}
    for s in scenes:
        by_size.setdefault(s.size_label, []).append(s)
    out = {}
    for label, group in sorted(by_size.items(), key=lambda kv: kv[1][0].width * kv[1][0].height):
        totals = [s.timings.get("total_s", 0.0) for s in group]
        stages = sorted({k for s in group for k in s.timings if k not in ("total_s", "cpu_s")})
        cpu = [s.timings["cpu_s"] for s in group if "cpu_s" in s.timings]
        out[label] = {"n": len(group), "median_s": percentile(totals, 50), "p90_s": percentile(totals, 90),
                      "cpu_median_s": percentile(cpu, 50),
                      "stage_mean_s": {k: round(float(np.mean([s.timings.get(k, 0.0) for s in group])), 3)
                                       for k in stages}}
    return out
