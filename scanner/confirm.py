"""Region findings confirmed by the learned text detector: a screen, board, band or label region is kept only where
the OCR's text detector saw text in it.

The region finders (scanner.detectors.screens, .wristbands) are rules: rows of small contrasty marks inside a light
or dark panel. On real photos with no screen at all they fire on fur, grass, a tiger's stripes, a quilt, a car
bonnet (measured on bench/real_data/photos_neg_dev: 20 of 52 photos got a screen or band region, each making the
verdict `review`). The OCR detector (a trained DB network) finds text lines, read or not, and finds none in fur or
grass. So a region it saw no text in — and that carries no decoded barcode — holds nothing anyone could read:
it goes. A region with even one line the recogniser could not read stays (its ink may be a name too small to read).
"""
from __future__ import annotations

from typing import Sequence

from . import geometry
from .findings import Box, Finding

TEXT_INSIDE = 0.5  # share of a text box inside a region for it to count as that region's text


def is_text_region(f: Finding) -> bool:
    """A finding that stands for a region expected to hold text: a screen/board, or a band/label region."""
    return f.kind == "screen" or (f.detector == "wristbands" and f.category == "identifier"
                                  and f.context in ("wristband", "label"))


def confirm_regions(findings: Sequence[Finding], text_boxes: Sequence[Box]) -> list[Finding]:
    """`findings` less the text regions holding none of `text_boxes` (every line the OCR detector found, read or
    unread) and no decoded barcode."""
    barcodes = [f.box for f in findings if f.category == "barcode"]

    def confirmed(region: Finding) -> bool:
        return any(geometry.coverage(b, region.box) >= TEXT_INSIDE for b in (*text_boxes, *barcodes))

    return [f for f in findings if not is_text_region(f) or confirmed(f)]
