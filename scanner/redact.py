"""Redaction styles (irreversible) and the annotated copy a person looks at to fix the shot.

Every style destroys the pixels under the box: `fill` paints them solid; `pixelate` is a mosaic of noisy tiles at
least as large as the text is tall; `blur` is the same tiles, smoothed. For text (and plates, tattoos, screens) the
tiles take the colour of the box's *border* (the background around the text), never the block averages of the
text itself: block averages of a rendered name still spell out its letters' ink, and rendering candidate names the
same way picks the right one well above chance (tests/test_irreversible.py measures it). Only faces keep a coarse
mosaic of their own pixels (blocks a fifth of the face), so the patch still reads as "a face was here".
"""
from __future__ import annotations

from typing import Iterable, Optional

import cv2
import numpy as np

from . import geometry
from .findings import Box, Finding
from .options import STYLES  # noqa: F401  (the styles redact_image takes; defined with the options)
FILL_COLOUR = (0, 0, 0)

_rng = np.random.default_rng()  # fresh entropy each process: noise must not be reproducible by an attacker


def redaction_box(f: Finding, w: int, h: int) -> Box:
    """The padded box actually painted for a finding (so no stroke, descender or ear survives at the edge)."""
    if f.kind == "face":
        # Face boxes hug brow to chin, and stop at a mask or hand over the mouth: pad the sides (ears), the top
        # (hairline) and most of all the bottom (jaw, chin), which identify too.
        bw, bh = geometry.width(f.box), geometry.height(f.box)
        x0, y0, x1, y1 = f.box
        return geometry.clip((int(x0 - 0.15 * bw), int(y0 - 0.2 * bh), int(x1 + 0.15 * bw + 0.999),
                              int(y1 + 0.35 * bh + 0.999)), w, h)
    return geometry.pad_for_redaction(f.box, w, h)


def _noisy(block: np.ndarray, amplitude: int = 48) -> np.ndarray:
    noise = _rng.integers(-amplitude, amplitude + 1, size=block.shape, dtype=np.int16)
    return np.clip(block.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def _border_colour(region: np.ndarray) -> np.ndarray:
    """Median colour of the region's outermost ring: the background around the text, independent of the text."""
    ring = np.concatenate([region[0], region[-1], region[:, 0], region[:, -1]])
    return np.median(ring, axis=0).round().astype(np.uint8)


def _tiles(region: np.ndarray, block: int, keep_shape: bool) -> np.ndarray:
    """The coarse grid a mosaic is made of: block averages (faces) or the border colour everywhere (text)."""
    h, w = region.shape[:2]
    gw, gh = max(1, w // block), max(1, h // block)
    if keep_shape:
        return cv2.resize(region, (gw, gh), interpolation=cv2.INTER_AREA).reshape((gh, gw) + region.shape[2:])
    return np.broadcast_to(_border_colour(region), (gh, gw) + region.shape[2:]).copy()


def pixelate_region(region: np.ndarray, block: int, keep_shape: bool = False) -> np.ndarray:
    h, w = region.shape[:2]
    small = _noisy(_tiles(region, block, keep_shape))
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST).reshape(region.shape)


def blur_region(region: np.ndarray, strength: int, keep_shape: bool = False) -> np.ndarray:
    h, w = region.shape[:2]
    # Blur from a tiny copy: whatever the kernel, detail finer than the copy's pixels is gone, not merely softened.
    small = _noisy(_tiles(region, strength, keep_shape), 24)
    up = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    k = max(3, (strength * 2) | 1)
    return cv2.GaussianBlur(up, (k, k), 0).reshape(region.shape)


def redact_image(rgb: np.ndarray, findings: Iterable[Finding], style: str = "fill") -> np.ndarray:
    """A copy of `rgb` with every finding whose action is 'redact' destroyed in `style`."""
    if style not in STYLES:
        raise ValueError(f"unknown redaction style {style!r} (choose from {', '.join(STYLES)})")
    out = rgb.copy()
    h, w = out.shape[:2]
    for f in findings:
        if f.action != "redact" or f.kind == "metadata":  # metadata is stripped (fresh encode), not painted
            continue
        x0, y0, x1, y1 = redaction_box(f, w, h)
        if x1 <= x0 or y1 <= y0:
            continue
        if style == "fill":
            out[y0:y1, x0:x1] = FILL_COLOUR
            continue
        # Blocks at least as big as the text is tall (a face: a fifth of its height), never below 12 px.
        size = max(12, geometry.height(f.box) // (5 if f.kind == "face" else 1))
        region = out[y0:y1, x0:x1]
        keep_shape = f.kind == "face"
        out[y0:y1, x0:x1] = (pixelate_region(region, size, keep_shape) if style == "pixelate"
                             else blur_region(region, size, keep_shape))
    return out


SEVERITY_COLOUR = {"high": (230, 30, 30), "medium": (255, 140, 0), "low": (240, 210, 0)}
ALLOW_COLOUR = (40, 180, 60)


def label_of(f: Finding) -> str:
    tag = "allowed face" if f.action == "allow" else f"{f.safe_harbor}:{f.category}"
    return f"{f.id + ' ' if f.id else ''}{tag} {f.confidence:.2f}"


def annotate_image(rgb: np.ndarray, findings: Iterable[Finding], redacted: Optional[np.ndarray] = None) -> np.ndarray:
    """Boxes coloured by severity (green: allowed) with a short label: id, Safe Harbor letter, category, confidence."""
    out = (redacted if redacted is not None else rgb).copy()
    h, w = out.shape[:2]
    thick = max(2, round(max(h, w) / 600))
    font_scale = max(0.45, max(h, w) / 2400)
    for f in findings:
        if f.action == "ignore" or f.kind == "metadata":  # whole-image box: listed in the report, not drawn
            continue
        colour = ALLOW_COLOUR if f.action == "allow" else SEVERITY_COLOUR.get(f.severity, SEVERITY_COLOUR["high"])
        x0, y0, x1, y1 = f.box
        cv2.rectangle(out, (x0, y0), (x1 - 1, y1 - 1), colour, thick)
        text = label_of(f)
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, max(1, thick // 2))
        ty = y0 - 4 if y0 - th - base - 4 >= 0 else min(h - 1, y1 + th + 4)
        cv2.rectangle(out, (x0, ty - th - base), (min(w - 1, x0 + tw + 4), ty + base // 2), colour, -1)
        cv2.putText(out, text, (x0 + 2, ty - base // 2), cv2.FONT_HERSHEY_SIMPLEX, font_scale, (255, 255, 255),
                    max(1, thick // 2), cv2.LINE_AA)
    return out
