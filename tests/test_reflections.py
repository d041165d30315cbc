"""Reflection detector: mirrored text is read flipped, judged against its straight reading, classified as PHI.

Most tests are pure logic (word-likeness, the mirror judgement, box mirroring, contrast helpers, the PHI mapping
in mirrored coordinates) on readings RapidOCR really produced for mirrored lines; two run the real OCR on small
scenes drawn here.
"""
from __future__ import annotations

import random

import cv2
import numpy as np
import pytest

from bench.context_reflect_tattoo import (blend_mirrored, corridor, line_boxes, mirrored_line_boxes, text_patch,
                                          wall)
from scanner import geometry
from scanner.detectors import REGISTRY
from scanner.detectors import reflections as R
from scanner.detectors.base import Frame
from scanner.findings import Finding
from scanner.text import classify_lines

# (straight reading, flipped reading) RapidOCR returned for lines of a monitor mirrored in a glass door.
MIRRORED = [("DOB: 03\\I4\\I∂2」", "DOB: 03/14/1957"), ("Boow 4I5 B6q B", "Room 412 Bed B"),
            (" :", "Patient: GARCIA, MARIA"), ("ε0 ", "MRN:00482913"), ("I2: c!IlA", "Allergies: penicillin")]
# (straight, flipped) for ordinary straight lines.
STRAIGHT = [("NURSES STATION", " "), ("Hand hygiene saves lives", "vil 2v id b"), ("EXIT", "TIXE")]


@pytest.mark.parametrize("straight,flipped", MIRRORED)
def test_real_readings_of_mirrored_lines_judged_mirrored(straight, flipped):
    assert R.judge(R.Reading(straight, 0.9), R.Reading(flipped, 0.97)) is not None


@pytest.mark.parametrize("straight,flipped", STRAIGHT)
def test_straight_lines_are_not_judged_mirrored(straight, flipped):
    assert R.judge(R.Reading(straight, 0.99), R.Reading(flipped, 0.8)) is None


def test_a_weak_flipped_reading_is_not_enough():
    # Straight reads as garbage, but the flipped reading is poor too (a logo, a texture): not a reflection.
    assert R.judge(R.Reading("ε0 ", 0.5), R.Reading("Patient GARCIA", 0.4)) is None


@pytest.mark.parametrize("text", ["Patient: GARCIA, MARIA", "MRN:00482913", "DOB:03/14/1957", "Room 412 Bed B",
                                  "Ph: (555) 123-4567", "SMITH, JOHN", "MRN12345"])
def test_real_text_is_wordlike(text):
    assert R.wordlike(text) >= 0.8


@pytest.mark.parametrize("text", ["DOB: 03\\I4\\I∂2」", "0 4JS Bq B", "I2: c!IlA", "ε0", "Xzqvk"])
def test_garbage_from_mirrored_glyphs_is_not_wordlike(text):
    assert R.wordlike(text) <= 0.6


def test_letters_inside_numbers_are_the_mirror_signature():
    scores = dict(R.token_scores("4I5 B6q MRN12345"))
    assert scores["I"] <= 0.1 and scores["6"] <= 0.1  # 4I5, B6q
    assert scores["12345"] == 1.0 and scores["MRN"] == 1.0  # an ordinary ID


def test_known_name_beats_its_pronounceable_reversal():
    # Symmetric capitals read straight give the reversed name; the census names tell which way round is real.
    assert R.wordlike("TIMOTHY") - R.wordlike("YHTOMIT") >= 0.3
    assert R.judge(R.Reading("YHTOMIT", 0.99), R.Reading("TIMOTHY", 0.99)) is not None


def test_short_readings_are_not_text():
    assert R.wordlike("A1") == 0.0 and R.wordlike("") == 0.0


def test_mirror_box_is_its_own_inverse_and_stays_in_frame():
    w = 640
    for b in [(0, 0, 10, 10), (100, 20, 300, 60), (630, 5, 640, 9)]:
        m = R.mirror_box(b, w)
        assert R.mirror_box(m, w) == b
        assert 0 <= m[0] < m[2] <= w and geometry.area(m) == geometry.area(b)
    assert R.mirror_box((0, 0, 100, 10), w) == (540, 0, 640, 10)


def test_stretch_lifts_a_faint_crop_to_full_range():
    crop = np.full((20, 80, 3), 120, np.uint8)
    crop[5:15, 10:70] = 132  # 12 grey levels of contrast, like text reflected in glass
    out = R.stretch(crop)
    assert out.shape == crop.shape and out.dtype == np.uint8
    assert int(out.max()) - int(out.min()) >= 200
    flat = R.stretch(np.full((10, 30, 3), 77, np.uint8))  # nothing to stretch: left alone, no division by zero
    assert int(flat.max()) - int(flat.min()) == 0


def test_enhance_raises_local_contrast_of_faint_text():
    rng = random.Random(1)
    img = wall(320, 200, rng)
    patch = text_patch(["GARCIA, MARIA"], 20, rng, dark=True, fi=0)
    box = blend_mirrored(img, patch, 20, 60, alpha=0.08, blur=0)
    x0, y0, x1, y1 = box
    grey = lambda rgb: cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[y0:y1, x0:x1].astype(float)  # noqa: E731
    before, after = grey(img).std(), grey(R.enhance(img)).std()
    assert after > 1.5 * before


def _mirrored(text: str, box, conf: float = 0.97, margin: float = 0.6) -> R.MirroredLine:
    return R.MirroredLine(box=box, text=text, confidence=conf, margin=margin)


def test_mirrored_phi_becomes_reflection_findings_in_image_coordinates():
    w = 1000
    lines = [_mirrored("Patient: GARCIA, MARIA", (500, 100, 900, 140)),
             _mirrored("MRN: 00482913", (650, 160, 900, 200))]
    found = R.findings_from_lines(lines, w, classify_lines)
    cats = {f.category for f in found}
    assert {"name", "mrn"} <= cats
    for f in found:
        assert f.kind == "reflection" and f.context == "reflection" and f.detector == "reflections"
        assert any(geometry.coverage(f.box, ln.box) >= 0.9 for ln in lines)  # back where the pixels are
        assert 0 < f.confidence <= 1 and f.note.startswith("mirrored text")


def test_label_right_of_value_in_the_image_is_linked_in_mirrored_coordinates():
    # In a mirror the label "MRN:" sits RIGHT of its value; classified in mirrored coordinates it is left again.
    w = 1000
    lines = [_mirrored("MRN:", (800, 100, 880, 130)), _mirrored("00482913", (600, 100, 780, 130))]
    found = R.findings_from_lines(lines, w, classify_lines)
    mrn = [f for f in found if f.category == "mrn"]
    assert mrn and geometry.coverage(mrn[0].box, (600, 100, 780, 130)) >= 0.9


def test_mirrored_text_that_is_not_phi_yields_nothing():
    lines = [_mirrored("Hand hygiene saves lives", (100, 100, 500, 140)), _mirrored("Wet floor", (100, 150, 300, 190))]
    assert R.findings_from_lines(lines, 800, classify_lines) == []


def test_a_narrow_margin_lowers_confidence():
    sure = R.findings_from_lines([_mirrored("Patient: GARCIA, MARIA", (0, 0, 400, 40), margin=0.8)], 800,
                                 classify_lines)
    unsure = R.findings_from_lines([_mirrored("Patient: GARCIA, MARIA", (0, 0, 400, 40), margin=0.16)], 800,
                                   classify_lines)
    assert sure and unsure and unsure[0].confidence < sure[0].confidence


def test_registered_after_text_and_faces():
    names = [n for n, _ in REGISTRY]
    assert "reflections" in names and "tattoos" in names
    assert names.index("reflections") > names.index("text") and names.index("reflections") > names.index("faces")
    assert names.index("tattoos") > names.index("faces")


# ------------------------------------------------------------------------------------------ real OCR
def _scene(alpha: float, mirrored_lines: list[str], sign_lines: list[str]):
    rng = random.Random(3)
    img = corridor(900, 520, rng)
    patch = text_patch(mirrored_lines, 24, rng, dark=True, fi=0)
    ph, pw = patch.shape[:2]
    blend_mirrored(img, patch, 420, 140, alpha=alpha, blur=0.6)
    truth = mirrored_line_boxes(line_boxes(mirrored_lines, 24, 0), 420, 140, pw, ph, vertical=False)
    sign = text_patch(sign_lines, 22, rng, dark=False, fi=1)
    sh, sw = sign.shape[:2]
    img[30:30 + sh, 20:20 + sw] = sign
    return img, truth, (20, 30, 20 + sw, 30 + sh)


@pytest.mark.models
def test_real_ocr_finds_a_faint_mirrored_monitor_and_not_the_straight_sign():
    img, truth, sign_box = _scene(0.12, ["Patient: NGUYEN, LUCIA", "MRN: 00731942"],
                                  ["Dr. GARCIA, MARIA", "Visitors please check in"])
    found = R.ReflectionDetector().detect(Frame(img), [])
    assert {f.category for f in found} >= {"name", "mrn"}
    for f in found:
        assert geometry.intersection(f.box, sign_box) == 0  # straight PHI is the text detector's, not ours
        assert any(geometry.coverage(t, f.box) >= 0.5 or geometry.iou(t, f.box) >= 0.3 for t in truth)


@pytest.mark.models
def test_real_ocr_mirrored_text_that_is_not_phi_gives_no_finding():
    img, _, _ = _scene(0.2, ["Hand hygiene saves lives", "Wet floor"], ["EXIT"])
    det = R.ReflectionDetector()
    assert det.detect(Frame(img), []) == []
    assert det.last_lines  # it was seen and judged mirrored; only the PHI classifier let it go


@pytest.mark.models
def test_lines_already_reported_as_phi_are_not_read_again():
    img, truth, _ = _scene(0.15, ["Patient: NGUYEN, LUCIA", "MRN: 00731942"], ["Wet floor"])
    det = R.ReflectionDetector()
    # The text detector already reported every mirrored line (say, read straight as an ID): they are covered.
    prior = [Finding(kind="text", category="identifier", box=t, confidence=0.7) for t in truth]
    assert det.detect(Frame(img), prior) == []
    weak = [Finding(kind="text", category="name", box=t, confidence=0.3) for t in truth]  # only flagged: read
    assert {f.category for f in det.detect(Frame(img), weak)} >= {"name", "mrn"}


def test_same_line_tolerates_padding_but_not_a_word_of_a_long_line():
    assert R.same_line((100, 100, 400, 130), (94, 95, 408, 137))  # the same line, padded by another detector
    assert not R.same_line((100, 100, 400, 130), (100, 100, 150, 130))  # one word of it
    assert not R.same_line((100, 100, 400, 130), (100, 140, 400, 170))  # the next line
