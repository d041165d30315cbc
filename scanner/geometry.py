"""Box geometry: pure functions on (x0, y0, x1, y1) integer boxes, x1/y1 exclusive."""
from __future__ import annotations

from typing import Iterable, Sequence

from .findings import Box


def width(b: Box) -> int:
    return max(0, b[2] - b[0])


def height(b: Box) -> int:
    return max(0, b[3] - b[1])


def area(b: Box) -> int:
    return width(b) * height(b)


def clip(b: Box, w: int, h: int) -> Box:
    return (min(max(b[0], 0), w), min(max(b[1], 0), h), min(max(b[2], 0), w), min(max(b[3], 0), h))


def intersection(a: Box, b: Box) -> int:
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


def iou(a: Box, b: Box) -> float:
    inter = intersection(a, b)
    union = area(a) + area(b) - inter
    return inter / union if union else 0.0


def coverage(inner: Box, outer: Box) -> float:
    """Fraction of `inner`'s area that lies inside `outer`."""
    a = area(inner)
    return intersection(inner, outer) / a if a else 0.0


def union(boxes: Iterable[Box]) -> Box:
    bs = list(boxes)
    if not bs:
        raise ValueError("union of no boxes")
    return (min(b[0] for b in bs), min(b[1] for b in bs), max(b[2] for b in bs), max(b[3] for b in bs))


def pad(b: Box, px: int | float, py: int | float | None = None) -> Box:
    """Grow a box by px horizontally and py (default px) vertically, rounding outward."""
    py = px if py is None else py
    return (int(b[0] - px), int(b[1] - py), int(b[2] + px + 0.999), int(b[3] + py + 0.999))


def pad_for_redaction(b: Box, w: int, h: int) -> Box:
    """Padding that leaves no stroke of the text outside the fill.

    OCR boxes hug the glyph centres; descenders, accents and anti-aliasing spill a few pixels past them. A margin
    proportional to the box height (min 3 px) covers that without swallowing neighbouring lines.
    """
    m = max(3, round(0.2 * height(b)))
    return clip(pad(b, m, m), w, h)


def scale(b: Box, sx: float, sy: float | None = None) -> Box:
    sy = sx if sy is None else sy
    return (int(b[0] * sx), int(b[1] * sy), int(round(b[2] * sx + 0.499)), int(round(b[3] * sy + 0.499)))


def translate(b: Box, dx: int, dy: int) -> Box:
    return (b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy)


def from_points(points: Sequence[Sequence[float]]) -> Box:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (int(min(xs)), int(min(ys)), int(max(xs) + 0.999), int(max(ys) + 0.999))


def merge_overlapping(boxes: Sequence[Box], min_iou: float = 0.5) -> list[Box]:
    """Greedy merge of boxes that overlap by at least `min_iou` (or one mostly inside the other)."""
    merged: list[Box] = []
    for b in sorted(boxes, key=area, reverse=True):
        for i, m in enumerate(merged):
            if iou(b, m) >= min_iou or coverage(b, m) >= 0.8:
                merged[i] = union([m, b])
                break
        else:
            merged.append(b)
    return merged


def tiles(w: int, h: int, tile: int, overlap: int) -> list[Box]:
    """Cover a w x h image with square-ish tiles of side <= tile that overlap by `overlap` pixels."""
    if w <= tile and h <= tile:
        return [(0, 0, w, h)]
    step = max(1, tile - overlap)

    def starts(n: int) -> list[int]:
        if n <= tile:
            return [0]
        s = list(range(0, n - tile, step))
        s.append(n - tile)
        return s

    return [(x, y, min(x + tile, w), min(y + tile, h)) for y in starts(h) for x in starts(w)]
