"""What every OCR engine returns, and the small protocol engines implement."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np

from ...findings import Box


@dataclass(frozen=True)
class TextLine:
    """One line of text read from an image: its axis-aligned box in image pixels, the text, the reader's confidence.

    `quad` is the four corners (clockwise from top-left) when the reader reports a rotated box; `box` is always
    the axis-aligned box that covers it.
    """

    text: str
    box: Box
    confidence: float
    quad: tuple[tuple[float, float], ...] | None = None
    engine: str = ""


class OcrEngine(Protocol):
    name: str

    def read(self, image_rgb: np.ndarray) -> Sequence[TextLine]:
        """Read every line of text in an RGB uint8 image; boxes in that image's pixels."""
        ...
