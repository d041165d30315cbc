"""RapidOCR (PP-OCRv6 small, ONNX; the models ship inside the `rapidocr` wheel).

Detection runs on a canvas no larger than `det_max_side` (text detection is most of the cost and scales with pixels);
each detected line is then cut from the FULL-resolution image and recognised there, so a 15 px name plate in a 12 MP
photo is read from its real pixels rather than from a 7 px thumbnail.
"""
from __future__ import annotations

import logging
import threading
from typing import Sequence

import cv2
import numpy as np

from .. import geometry
from .base import TextLine
from .crop import crop_quad

DEFAULT_DET_MAX_SIDE = 2048


class RapidOcrEngine:
    name = "rapid"

    def __init__(self, det_max_side: int = DEFAULT_DET_MAX_SIDE, min_score: float = 0.3):
        try:
            from rapidocr import RapidOCR
        except ImportError as e:  # pragma: no cover - pinned dependency
            raise RuntimeError("RapidOCR is not installed: the 'rapidocr' and 'onnxruntime' packages provide it "
                               "(run `make venv`)") from e
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        self._ocr = RapidOCR(params={"Global.log_level": "error"})
        # Load the three ONNX sessions now, once per process: model files are inside the wheel, nothing downloads.
        self._det = self._ocr._load_det_model()
        self._cls = self._ocr._load_cls_model()
        self._rec = self._ocr._load_rec_model()
        self._lock = threading.Lock()
        self.det_max_side = det_max_side
        self.min_score = min_score

    def detect_quads(self, image_rgb: np.ndarray) -> list[np.ndarray]:
        """Text-line quadrilaterals (4x2 float, full-resolution pixels) found on a downscaled canvas."""
        h, w = image_rgb.shape[:2]
        s = min(1.0, self.det_max_side / max(h, w))
        canvas = image_rgb if s == 1.0 else cv2.resize(image_rgb, (round(w * s), round(h * s)),
                                                       interpolation=cv2.INTER_AREA)
        # RapidOCR scales the canvas until its SHORT side is 736 px: a 20000x20 strip (a 2048x2 canvas) would become
        # 736x753664 (6 GiB). Pad the short side with the median colour (adds no text) to a quarter of the long one.
        ch, cw = canvas.shape[:2]
        short_min = max(32, max(ch, cw) // 4)
        if min(ch, cw) < short_min:
            fill = [int(v) for v in np.median(canvas.reshape(-1, canvas.shape[2]), axis=0)]
            canvas = cv2.copyMakeBorder(canvas, 0, max(0, short_min - ch), 0, max(0, short_min - cw),
                                        cv2.BORDER_CONSTANT, value=fill)
        bgr = np.ascontiguousarray(canvas[:, :, ::-1])
        with self._lock:
            res = self._det(bgr)
        if res.boxes is None:
            return []
        return [np.clip(np.asarray(q, dtype=np.float32), 0, (cw, ch)) / s for q in res.boxes]

    def recognise(self, crops_bgr: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        if not crops_bgr:
            return []
        from rapidocr.ch_ppocr_rec.typings import TextRecInput

        with self._lock:
            cls = self._cls(list(crops_bgr))
            imgs = cls.img_list if cls.img_list is not None else list(crops_bgr)
            rec = self._rec(TextRecInput(img=imgs))
        if rec.txts is None:
            return [("", 0.0)] * len(crops_bgr)
        return [(t, float(sc)) for t, sc in zip(rec.txts, rec.scores)]

    def read(self, image_rgb: np.ndarray) -> list[TextLine]:
        h, w = image_rgb.shape[:2]
        quads = self.detect_quads(image_rgb)
        bgr = image_rgb[:, :, ::-1]
        crops = [crop_quad(bgr, q) for q in quads]
        keep = [i for i, c in enumerate(crops) if c is not None]
        results = self.recognise([crops[i] for i in keep])
        lines = []
        for i, (text, score) in zip(keep, results):
            text = text.strip()
            if not text or score < self.min_score:
                continue
            q = quads[i]
            box = geometry.clip(geometry.from_points(q), w, h)
            lines.append(TextLine(text=text, box=box, confidence=score,
                                  quad=tuple((float(x), float(y)) for x, y in q), engine=self.name))
        return lines
