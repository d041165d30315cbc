"""Learned region finders: small segmentation nets that map the pixels of one kind of object (licence plates).

The nets are the PP-OCRv6 small text detector (Apache-2.0) fine-tuned by this project on licensed photos
(`bench/train_plates.py`; data, provenance and licences in models/MANIFEST.md). Each takes an RGB picture, normalised
as ImageNet, any size in multiples of 32, and returns a probability map of the same size; a region is a connected
blob of the map above a threshold, scored by its mean probability (a plate is ~0.95-1.0 over its whole area; text
that only looks a little like a plate is a ragged blob at 0.6-0.8).

One ONNX Runtime session per model file per process, loaded on first use; a missing file is a clear error, never a
download.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from .findings import Box

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)
MIN_BLOB_PX = 12  # map pixels: smaller blobs are speckle


@dataclass(frozen=True)
class Region:
    box: Box  # source pixels, axis-aligned, the thresholded blob rounded outward
    mean_prob: float
    canvas_px: int  # blob area on the net's canvas: how much evidence there was
    px_per_canvas: float = 1.0  # source pixels per canvas pixel where the blob was found: its size on the canvas


def canvas_size(h: int, w: int, side: int) -> tuple[int, int]:
    """(height, width) with the long side about `side`, both multiples of 32 (the net halves the size five times)."""
    s = side / max(h, w)
    return max(32, round(h * s / 32) * 32), max(32, round(w * s / 32) * 32)


def blobs(prob: np.ndarray, threshold: float, scale_x: float, scale_y: float,
          offset: tuple[int, int] = (0, 0)) -> list[Region]:
    """Connected blobs of `prob` >= threshold as Regions, boxes mapped by the scale factors (source px per map px)
    and shifted by `offset` (the map's top-left corner in source pixels)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats((prob >= threshold).astype(np.uint8), connectivity=8)
    ox, oy = offset
    out = []
    for k in range(1, n):
        x, y, w, h, area = (int(v) for v in stats[k])
        if area < MIN_BLOB_PX:
            continue
        mean = float(prob[y:y + h, x:x + w][labels[y:y + h, x:x + w] == k].mean())
        box = (ox + int(x * scale_x), oy + int(y * scale_y),
               ox + int(np.ceil((x + w) * scale_x)), oy + int(np.ceil((y + h) * scale_y)))
        out.append(Region(box, mean, area, max(scale_x, scale_y)))
    return out


class RegionNet:
    """One learned region finder (an ONNX file in models/)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._session = None
        self._lock = threading.Lock()

    def _get_session(self):
        with self._lock:
            if self._session is None:
                if not self.path.is_file():
                    raise RuntimeError(f"model file {self.path} is missing: it ships with scanner in models/ "
                                       f"(reinstall scanner, or run `make venv` in a checkout)")
                import onnxruntime as ort

                self._session = ort.InferenceSession(str(self.path), providers=["CPUExecutionProvider"])
            return self._session

    def probability(self, rgb: np.ndarray, side: int) -> np.ndarray:
        """The net's map for `rgb` resized so its long side is about `side` (the map has the canvas's size)."""
        h, w = rgb.shape[:2]
        ch, cw = canvas_size(h, w, side)
        interp = cv2.INTER_AREA if cw < w else cv2.INTER_LINEAR
        img = cv2.resize(rgb, (cw, ch), interpolation=interp)
        x = ((img.astype(np.float32) / 255.0 - MEAN) / STD).transpose(2, 0, 1)[None]
        return self._get_session().run(None, {"x": np.ascontiguousarray(x)})[0][0, 0]

    def regions(self, rgb: np.ndarray, side: int, threshold: float = 0.5,
                offset: tuple[int, int] = (0, 0)) -> list[Region]:
        """Blobs of the map over the whole picture at canvas `side`, in source pixels (shifted by `offset` when
        `rgb` is a window of a larger picture)."""
        h, w = rgb.shape[:2]
        prob = self.probability(rgb, side)
        return blobs(prob, threshold, w / prob.shape[1], h / prob.shape[0], offset)


_NETS: dict[str, RegionNet] = {}


def get_net(name: str, models_dir: Optional[Path] = None) -> RegionNet:
    """The shared RegionNet for models/<name>.onnx (loaded lazily, once per process)."""
    path = (models_dir or MODELS_DIR) / f"{name}.onnx"
    key = str(path)
    if key not in _NETS:
        _NETS[key] = RegionNet(path)
    return _NETS[key]
