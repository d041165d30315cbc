"""Imaging overlays (scanner/text/overlay.py) and the medical-image finder (scanner/framekind.imaging_regions):
OCR-line fixtures shaped like a viewer's corner text, and synthetic pixels; no models."""
from __future__ import annotations

import numpy as np
import pytest

from scanner.framekind import imaging_regions
from scanner.text import classify_lines
from scanner.text.ocr.base import TextLine
from scanner.text.overlay import is_parameter_line


def ln(text, x, y, h=12):
    return TextLine(text=text, box=(x, y, x + 7 * len(text), y + h), confidence=0.9)


@pytest.mark.parametrize("text", ["kV 120", "mAs 250", "Slice 5.0 mm", "W 400 L 40", "W:400 L:40", "Se: 3 Im: 45",
                                  "TR 500 TE 15", "FOV 350", "Zoom 150%", "L", "R", "CT CHEST W/O CONTRAST",
                                  "MR ABDOMEN", "Chest 5.0 B30f", "AX T1 FS POST"])
def test_acquisition_parameters_and_study_descriptions_are_kept(text):
    assert is_parameter_line(text)


@pytest.mark.parametrize("text", ["AMBROSE^VICKY^M", "devin crenshaw", "łukasz wiśniewski", "Austin Regional Medical",
                                  "RAD7919211", "1999 Sep 23", "Madison", "045Y F"])
def test_patient_and_study_lines_are_not_parameters(text):
    assert not is_parameter_line(text)


def corner():
    return [ln("AMBROSE^VICKY^M", 8, 8), ln("ID: RAD7919211", 8, 22), ln("1999 Sep 23", 8, 36),
            ln("Austin Regional Medical", 8, 50), ln("Center", 8, 64),
            ln("kV 120", 400, 8), ln("mAs 250", 400, 22), ln("W 400 L 40", 400, 480), ln("L", 250, 250)]


def test_every_overlay_line_but_parameters_is_an_identifier():
    got = {m.text for m in classify_lines(corner(), "imaging")}
    for t in ("AMBROSE^VICKY^M", "RAD7919211", "1999 Sep 23", "Austin Regional Medical"):
        assert any(t in g or g in t for g in got), t
    assert not got & {"kV 120", "mAs 250", "W 400 L 40", "L"}


def test_a_wrapped_institution_name_is_covered_on_both_lines():
    got = {m.text for m in classify_lines(corner(), "imaging")}
    assert "Center" in got  # an everyday word alone, but it continues the line above


def test_the_same_lines_outside_an_image_are_judged_as_usual():
    got = {m.text for m in classify_lines(corner(), None)}
    assert "Center" not in got and "Austin Regional Medical" not in got


def ct_like(h=512, w=512, seed=0):
    """Black background, a noisy grey body ellipse with brighter structures: what a CT slice looks like."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w]
    body = ((yy - h / 2) / (0.4 * h)) ** 2 + ((xx - w / 2) / (0.45 * w)) ** 2 <= 1
    img = np.zeros((h, w), np.float32)
    img[body] = 90 + 40 * np.sin(xx[body] / 9.0) * np.cos(yy[body] / 13.0)
    img += rng.normal(0, 12, img.shape) * body
    return np.repeat(np.clip(img, 0, 255).astype(np.uint8)[:, :, None], 3, axis=2)


def test_a_ct_slice_is_a_medical_image():
    boxes = imaging_regions(ct_like())
    assert len(boxes) == 1
    x0, y0, x1, y1 = boxes[0]
    assert (x1 - x0) * (y1 - y0) >= 0.5 * 512 * 512


def test_a_ct_inside_a_light_viewer_is_found_where_it_is():
    page = np.full((900, 1400, 3), 240, np.uint8)
    page[200:712, 600:1112] = ct_like()
    (x0, y0, x1, y1), = imaging_regions(page)
    assert 560 <= x0 <= 640 and 160 <= y0 <= 240 and 1070 <= x1 <= 1150 and 670 <= y1 <= 750


def test_colour_photos_flat_dark_panels_and_white_pages_are_not():
    rng = np.random.default_rng(3)
    colour = rng.integers(0, 255, (400, 600, 3), dtype=np.uint8)
    panel = np.full((400, 600, 3), 250, np.uint8)
    panel[:, :150] = (40, 40, 40)  # a dark side bar with a few white labels
    panel[50:60, 20:120] = 255
    panel[90:100, 20:100] = 255
    assert imaging_regions(colour) == []
    assert imaging_regions(panel) == []
    assert imaging_regions(np.full((400, 600, 3), 255, np.uint8)) == []


class UnreadReader:
    """The detector's OCR input, fixed: one line read, two boxes of ink the recogniser could not read."""

    def __init__(self, lines, unread):
        self.lines, self.unread = lines, unread

    def read(self, rgb):
        return self.lines

    def read_with_unread(self, rgb):
        return self.lines, self.unread


def test_unread_ink_over_a_medical_image_is_a_finding_and_redacted_when_redacting():
    from scanner.detectors.base import Frame
    from scanner.detectors.text import TextDetector
    from scanner.policy import Policy

    frame = Frame(ct_like())
    det = TextDetector(UnreadReader([ln("kV 120", 400, 8)], [(8, 8, 60, 16), (8, 30, 60, 33)]))
    found = det.detect(frame, [])
    assert [f.box for f in found] == [(8, 8, 60, 16)]  # the 3 px sliver is no text
    assert found[0].context == "imaging"
    assert Policy().apply(found, redacting=True)[0].action == "redact"


def test_unread_ink_on_a_screenshot_is_ignored():
    from scanner.detectors.base import Frame
    from scanner.detectors.text import TextDetector

    page = np.full((600, 900, 3), 255, np.uint8)
    page[:60] = (246, 131, 112)  # header bar
    page[60:, :160] = (30, 30, 30)  # side bar
    assert Frame(page).kind == "screenshot"
    assert TextDetector(UnreadReader([], [(10, 10, 60, 30)])).detect(Frame(page), []) == []


@pytest.mark.parametrize("text,name", [("AMBROSE^VICKY^M", "AMBROSE^VICKY^M"), ("Patient: DOE^JOHN", "DOE^JOHN"),
                                       ("LI^NA", "LI^NA")])
def test_dicom_person_names_anywhere(text, name):
    from scanner.text import classify_spans

    assert ("name", name) in {(c, t) for c, _, _, t in classify_spans(text)}


@pytest.mark.parametrize("text", ["x^2 + y^2", "a^b", "10^6 cells"])
def test_carets_in_formulas_are_no_names(text):
    from scanner.text import classify_spans

    assert "name" not in {c for c, *_ in classify_spans(text)}
