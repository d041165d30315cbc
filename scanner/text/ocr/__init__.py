"""OCR engines behind one interface (`OcrEngine.read(rgb) -> [TextLine]`), created once per process."""
from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np

from ... import geometry
from ...options import OCR_ENGINES as ENGINES
from .base import OcrEngine, TextLine

DEFAULT_ENGINE = "rapid"

_lock = threading.Lock()


class UnionEngine:
    """Every line any engine read: where a miss costs most (redaction), two readers miss less than one.

    Lines from different engines that cover the same place are kept once (the more confident reading), so the
    classifier does not see duplicates; a line only one engine found is kept as it is.
    """

    name = "all"

    def __init__(self, engines: list[OcrEngine]):
        self.engines = engines

    def read(self, image_rgb: np.ndarray) -> list[TextLine]:
        lines: list[TextLine] = []
        for eng in self.engines:
            for line in eng.read(image_rgb):
                dup = next((i for i, k in enumerate(lines) if k.engine != line.engine
                            and geometry.iou(k.box, line.box) > 0.5), None)
                if dup is None:
                    lines.append(line)
                elif line.confidence > lines[dup].confidence:
                    lines[dup] = line
        return lines


@lru_cache(maxsize=None)
def _engine(name: str) -> OcrEngine:
    if name == "rapid":
        from .rapid import RapidOcrEngine

        return RapidOcrEngine()
    if name == "easyocr":
        from .easy import EasyOcrEngine

        return EasyOcrEngine()
    if name == "all":
        return UnionEngine([_engine("rapid"), _engine("easyocr")])
    raise ValueError(f"unknown OCR engine {name!r} (choose from {', '.join(ENGINES)})")


def get_engine(name: str = DEFAULT_ENGINE) -> OcrEngine:
    """The process-wide engine for `name`, loaded on first use and reused for every later file."""
    with _lock:
        return _engine(name)


__all__ = ["ENGINES", "DEFAULT_ENGINE", "OcrEngine", "TextLine", "UnionEngine", "get_engine"]
