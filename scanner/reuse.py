"""Analysing only what changed: the regions of a video frame that differ from the last analysed frame, and what
detectors may take over from that frame's analysis elsewhere.

A video frame between scene cuts mostly shows what the last analysed frame (the reference) showed, moved by the
camera. `tracking.FrameSampler` already measures, per block, how much the frame differs from the reference warped
by the camera's motion. Where nothing differs, the reference's detections still hold (warped to this frame); where
something does, a detector looks again — at a padded crop grown to take in every earlier detection it touches, so
a face or a text line half in a changed block is detected whole. Pure geometry here; the detectors that use it
(faces, text) and the engine that hands it to them decide what to carry.

Fail closed: a region counts as changed at half the sampler's own threshold, so nothing the sampler would have
re-analysed the whole frame for goes unlooked-at; a frame whose changed regions cover most of it, a scene cut, and
every few seconds a frame in any case are analysed in full (see scanner.video).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Sequence, TypeVar

import cv2
import numpy as np

from . import geometry
from .findings import Box
from .tracking import apply_affine

T = TypeVar("T")

PAD_BLOCKS = 1  # changed blocks are grown by this many blocks on every side before they become regions
MAX_REGIONS = 12  # more changed regions than this: merged into fewer, larger ones (each crop has a fixed cost)


@dataclass
class Change:
    """How a frame differs from the reference, and what the reference's analysis left for each detector."""

    affine: np.ndarray  # 2x3, full-resolution pixels: reference -> this frame
    regions: list[Box]  # regions of this frame to look at again (full resolution)
    memo: dict[str, Any] = field(default_factory=dict)  # per detector: what it saw on the reference

    def area_fraction(self, w: int, h: int) -> float:
        return union_area(self.regions) / float(max(1, w * h))


def changed_regions(pooled: np.ndarray, threshold: float, block_px: float, w: int, h: int,
                    pad_blocks: int = PAD_BLOCKS) -> list[Box]:
    """Boxes (full resolution, clipped to w x h) around the blocks of `pooled` (mean |difference| per block)
    above `threshold`; `block_px` is a block's side in full-resolution pixels."""
    on = (pooled > threshold).astype(np.uint8)
    if not on.any():
        return []
    if pad_blocks > 0:
        k = 2 * pad_blocks + 1
        on = cv2.dilate(on, np.ones((k, k), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(on, connectivity=8)
    boxes = []
    for x, y, bw, bh, _ in stats[1:n]:
        boxes.append(geometry.clip((int(x * block_px), int(y * block_px), int(np.ceil((x + bw) * block_px)),
                                    int(np.ceil((y + bh) * block_px))), w, h))
    # Blocks below a partial last row or column of the block grid: the grid ignores the remainder of the
    # frame, so a region touching the grid's edge runs to the frame's edge.
    gw, gh = pooled.shape[1] * block_px, pooled.shape[0] * block_px
    boxes = [(x0, y0, w if x1 >= gw - 1 else x1, h if y1 >= gh - 1 else y1) for x0, y0, x1, y1 in boxes]
    return merge_touching(boxes, MAX_REGIONS)


def full_affine(small_affine: np.ndarray, scale: float) -> np.ndarray:
    """A motion measured on the small grey copy (`scale` = full pixels per small pixel), in full-res pixels."""
    a = np.array(small_affine, dtype=np.float64).copy()
    a[:, 2] *= scale
    return a


def moved_box(box: Box, affine: np.ndarray) -> Box:
    """`box` moved by `affine`: its four corners' bounding box, rounded outward, not clipped to any frame."""
    x0, y0, x1, y1 = box
    pts = apply_affine(affine, [[x0, y0], [x1, y0], [x0, y1], [x1, y1]])
    return (int(np.floor(pts[:, 0].min())), int(np.floor(pts[:, 1].min())),
            int(np.ceil(pts[:, 0].max())), int(np.ceil(pts[:, 1].max())))


def warp_box(box: Box, affine: np.ndarray, w: int, h: int) -> Optional[Box]:
    """`box` moved by `affine`, clipped to the w x h frame; None if it left the frame."""
    out = geometry.clip(moved_box(box, affine), w, h)
    return out if geometry.area(out) > 0 else None


def warp_points(points: Sequence[Sequence[float]], affine: np.ndarray) -> tuple[tuple[float, float], ...]:
    return tuple((float(x), float(y)) for x, y in apply_affine(affine, points))


def merge_touching(boxes: Iterable[Box], max_count: int = MAX_REGIONS) -> list[Box]:
    """Overlapping boxes merged until none overlap; then, while more than `max_count` remain, the two whose union
    adds the least area are merged."""
    out = list(boxes)
    changed = True
    while changed:
        changed = False
        for i in range(len(out)):
            for j in range(i + 1, len(out)):
                if geometry.intersection(out[i], out[j]):
                    out[i] = geometry.union([out[i], out[j]])
                    del out[j]
                    changed = True
                    break
            if changed:
                break
    while len(out) > max_count:
        best = min(((i, j) for i in range(len(out)) for j in range(i + 1, len(out))),
                   key=lambda ij: geometry.area(geometry.union([out[ij[0]], out[ij[1]]])) -
                   geometry.area(out[ij[0]]) - geometry.area(out[ij[1]]))
        i, j = best
        out[i] = geometry.union([out[i], out[j]])
        del out[j]
        out = merge_touching(out, max_count)
    return out


def regions_to_look_at(change: Change, boxes: Sequence[Box], pad: int, w: int, h: int) -> list[Box]:
    """The regions a detector looks at again, given the boxes of what it found on the reference: the changed
    regions, plus every earlier detection the camera moved across the frame's edge (what is left of a line half
    out of the picture is read again: its words no longer sit where the reference's box says), grown over every
    earlier detection they touch."""
    moved = [(b, geometry.clip(b, w, h)) for b in (moved_box(b, change.affine) for b in boxes)]
    inside = [c for _, c in moved if geometry.area(c) > 0]
    cut = [c for b, c in moved if geometry.area(c) > 0 and c != b]  # clipping changed it: it crosses the edge
    return grow_regions(list(change.regions) + cut, inside, pad, w, h)


def grow_regions(regions: Sequence[Box], boxes: Sequence[Box], pad: int, w: int, h: int) -> list[Box]:
    """`regions` grown (and merged) until every box in `boxes` is either wholly inside one or clear of all: what a
    detector looks at again must hold each earlier detection it touches whole. Boxes are padded by `pad` first."""
    padded = [geometry.clip(geometry.pad(b, pad), w, h) for b in boxes]
    out = merge_touching(regions)
    while True:
        grown = []
        for r in out:
            touching = [b for b in padded if geometry.intersection(b, r)]
            grown.append(geometry.union([r] + touching) if touching else r)
        grown = merge_touching(grown)
        if grown == out:
            return out
        out = grown


def union_area(boxes: Sequence[Box]) -> int:
    """Area covered by `boxes` (overlaps counted once)."""
    if not boxes:
        return 0
    xs = sorted({b[0] for b in boxes} | {b[2] for b in boxes})
    total = 0
    for xa, xb in zip(xs, xs[1:]):
        spans = sorted((b[1], b[3]) for b in boxes if b[0] <= xa and b[2] >= xb)
        covered, end = 0, None
        for y0, y1 in spans:
            if end is None or y0 > end:
                covered += y1 - y0
                end = y1
            elif y1 > end:
                covered += y1 - end
                end = y1
        total += covered * (xb - xa)
    return total


def partition(change: Change, before: Sequence[T], box_of: Callable[[T], Box], pad: int, w: int, h: int
              ) -> tuple[list[Box], list[tuple[T, Box]]]:
    """What a detector does with the reference's detections `before`: the regions to look at again
    (`regions_to_look_at`) and the detections taken over, with their boxes in this frame (`carry`)."""
    regions = regions_to_look_at(change, [box_of(it) for it in before], pad, w, h)
    return regions, carry(before, box_of, change.affine, regions, w, h)


def carry(items: Iterable[T], box_of: Callable[[T], Box], affine: np.ndarray, regions: Sequence[Box],
          w: int, h: int) -> list[tuple[T, Box]]:
    """The reference's items that lie outside every region looked at again, with their boxes in this frame."""
    out = []
    for it in items:
        box = warp_box(box_of(it), affine, w, h)
        if box is not None and not any(geometry.intersection(box, r) for r in regions):
            out.append((it, box))
    return out

