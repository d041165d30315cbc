"""Cut a (possibly rotated) text line out of an image, upright, for a recogniser."""
from __future__ import annotations

from typing import Optional

import cv2
import numpy as np


CUBIC_REACH = 3  # source pixels a bicubic sample reads around its position (two), plus one for rounding


def crop_quad(image: np.ndarray, quad: np.ndarray, min_side: int = 4,
              max_height: Optional[int] = None) -> Optional[np.ndarray]:
    """Perspective-crop the quadrilateral `quad` (4x2, clockwise from top-left) to an upright rectangle.

    Lines taller than wide (vertical text, a wristband photographed upright) are turned 90 degrees so the
    recogniser sees them horizontally. Returns None for degenerate quads. With `max_height`, a line whose text is
    taller comes out shrunk to that height (area-averaged first, so it does not alias): the recogniser reads lines
    48 px high, and the text detector sometimes returns a region half a 12 MP photo tall as one line (0.16 s to
    warp at full size, for nothing).

    Only the quad's bounding box (and the few pixels bicubic sampling reads around it) goes to OpenCV: handed a
    whole 12 MP frame as a reversed-channel view, it copied all 36 MB for every line (~30 ms a line).
    """
    q = np.asarray(quad, dtype=np.float32).reshape(4, 2)
    w = int(round(max(np.linalg.norm(q[0] - q[1]), np.linalg.norm(q[2] - q[3]))))
    h = int(round(max(np.linalg.norm(q[0] - q[3]), np.linalg.norm(q[1] - q[2]))))
    if w < min_side or h < min_side:
        return None
    ih, iw = image.shape[:2]
    x0, y0 = np.maximum(np.floor(q.min(0)).astype(int) - CUBIC_REACH, 0)
    x1, y1 = np.minimum(np.ceil(q.max(0)).astype(int) + CUBIC_REACH + 1, (iw, ih))
    if x1 - x0 < 1 or y1 - y0 < 1 or not _convex(q):
        # Wholly outside the picture (the border pixels are all there is), or a twisted quad, whose mapping reads
        # pixels beyond its own box: the whole image, as before.
        x0, y0, x1, y1 = 0, 0, iw, ih
    q = q - np.array([x0, y0], np.float32)
    upright = h >= 1.5 * w  # turned 90 degrees below: then its width is the height of the text
    text_height = w if upright else h
    if max_height is not None and text_height > max_height:
        s = max_height / text_height
        sw, sh = max(1, round((x1 - x0) * s)), max(1, round((y1 - y0) * s))
        src = _area_shrunk(image[y0:y1, x0:x1], (sw, sh))
        q = q * np.array([sw / (x1 - x0), sh / (y1 - y0)], np.float32)
        w, h = max(1, round(w * s)), max(1, round(h * s))
    else:
        src = np.ascontiguousarray(image[y0:y1, x0:x1])
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(q, dst)
    out = cv2.warpPerspective(src, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    if upright:
        return np.ascontiguousarray(np.rot90(out))
    return out


def _area_shrunk(box: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`box` area-averaged down to `size` (w, h). A reversed-channel view (the OCR engines' BGR of an RGB frame) is
    shrunk in its own memory order and the small result reversed: copying a large box of it first costs more
    than the shrinking (85 ms for half a 12 MP photo)."""
    if box.ndim == 3 and box.strides[2] < 0:
        return np.ascontiguousarray(cv2.resize(box[:, :, ::-1], size, interpolation=cv2.INTER_AREA)[:, :, ::-1])
    return cv2.resize(np.ascontiguousarray(box), size, interpolation=cv2.INTER_AREA)


def _convex(q: np.ndarray) -> bool:
    """True for a convex quad (the turn at every corner has the same sign): the projective map of the upright
    rectangle then stays inside it."""
    edges = np.roll(q, -1, axis=0) - q
    turns = edges[:, 0] * np.roll(edges, -1, axis=0)[:, 1] - edges[:, 1] * np.roll(edges, -1, axis=0)[:, 0]
    return bool(np.all(turns > 0) or np.all(turns < 0))


def padded_upscaled(crop: np.ndarray, factor: float, pad_frac: float) -> np.ndarray:
    """`crop` with a margin of `pad_frac` of its height on every side (edge pixels repeated), scaled by `factor`.

    For a second reading of a small line: the recogniser reads a tight 8-12 px crop worse than the same ink with a
    margin, sampled finer (bicubic) than its own resize does.
    """
    pad = max(1, int(round(pad_frac * crop.shape[0])))
    out = cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    return cv2.resize(out, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
