"""Cut a (possibly rotated) text line out of an image, upright, for a recogniser."""
from __future__ import annotations

from typing import Optional

import cv2
import numpy as np


def crop_quad(image: np.ndarray, quad: np.ndarray, min_side: int = 4) -> Optional[np.ndarray]:
    """Perspective-crop the quadrilateral `quad` (4x2, clockwise from top-left) to an upright rectangle.

    Lines taller than wide (vertical text, a wristband photographed upright) are turned 90 degrees so the
    recogniser sees them horizontally. Returns None for degenerate quads.
    """
    q = np.asarray(quad, dtype=np.float32).reshape(4, 2)
    w = int(round(max(np.linalg.norm(q[0] - q[1]), np.linalg.norm(q[2] - q[3]))))
    h = int(round(max(np.linalg.norm(q[0] - q[3]), np.linalg.norm(q[1] - q[2]))))
    if w < min_side or h < min_side:
        return None
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(q, dst)
    out = cv2.warpPerspective(image, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    if h >= 1.5 * w:
        out = np.ascontiguousarray(np.rot90(out))
    return out


def padded_upscaled(crop: np.ndarray, factor: float, pad_frac: float) -> np.ndarray:
    """`crop` with a margin of `pad_frac` of its height on every side (edge pixels repeated), scaled by `factor`.

    For a second reading of a small line: the recogniser reads a tight 8-12 px crop worse than the same ink with a
    margin, sampled finer (bicubic) than its own resize does.
    """
    pad = max(1, int(round(pad_frac * crop.shape[0])))
    out = cv2.copyMakeBorder(crop, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    return cv2.resize(out, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
