"""Wristbands, labels and barcodes (scanner.detectors.wristbands) on small scenes drawn here; a few tests read
the band with the real OCR at 30/60/90 degrees."""
from __future__ import annotations

import random

import cv2
import numpy as np
import pytest

from bench.context_scenes import (ambulance_patch, barcode_patch, paste_warped, rect_quad, sign_patch, text_on,
                                  wall, wristband_patch)
from scanner import geometry
from scanner.detectors.base import Frame
from scanner.detectors.text import context_of
from scanner.detectors.wristbands import (WristbandDetector, decode_barcodes, has_barcode_bars, order_corners,
                                          rectify)
from scanner.findings import Finding

SKIN = (198, 134, 66)


def band_scene(angle: float, seed: int = 1, size=(900, 700), barcode: bool = True):
    """A forearm with a band across it at `angle` degrees; returns (rgb, band box, MRN)."""
    rng = random.Random(seed)
    img = wall(*size, rng)
    length, width = 480, 60
    cx, cy = size[0] / 2, size[1] / 2
    arm = np.full((int(width * 2.6), int(length * 1.4), 3), SKIN, np.uint8)
    paste_warped(img, arm, rect_quad(cx - arm.shape[1] / 2, cy - arm.shape[0] / 2, arm.shape[1], arm.shape[0],
                                     angle))
    band, mrn = wristband_patch(length, width, rng, with_barcode=barcode)
    box = paste_warped(img, band, rect_quad(cx - length / 2, cy - width / 2, length, width, angle))
    return img, box, mrn


def detect(rgb, prior=()):
    return WristbandDetector().detect(Frame(rgb), list(prior))


def regions(found):
    return [f for f in found if f.category == "identifier"]


@pytest.mark.parametrize("angle", [0, 30, 45, 60, 90, 120, -20])
def test_band_found_at_any_angle(angle):
    img, truth, _ = band_scene(angle)
    found = regions(detect(img))
    assert len(found) == 1
    f = found[0]
    assert (f.kind, f.context) == ("text", "wristband")
    assert geometry.iou(f.box, truth) >= 0.6


def test_band_without_barcode_found_from_its_print():
    img, truth, _ = band_scene(30, barcode=False)
    found = regions(detect(img))
    assert len(found) == 1 and geometry.iou(found[0].box, truth) >= 0.6


@pytest.mark.parametrize("angle", [0, 45, 90, 120])
def test_barcode_decoded_as_an_identifier(angle):
    img, truth, mrn = band_scene(angle)
    codes = [f for f in detect(img) if f.category == "barcode"]
    assert [c.text for c in codes] == [mrn]
    c = codes[0]
    assert (c.kind, c.safe_harbor) == ("text", "R")
    assert geometry.coverage(c.box, truth) >= 0.8
    assert mrn not in str(c.to_json(include_text=False))  # the payload is masked in the findings file


def test_decode_barcodes_positions_a_linear_code():
    img = np.full((120, 400), 255, np.uint8)
    bc = barcode_patch("00482913", 50)[..., 0]
    img[30:80, 40:40 + bc.shape[1]] = bc
    (code,) = decode_barcodes(img)
    assert code.payload == "00482913"
    assert geometry.height(code.box) >= 8 and geometry.coverage(code.box, (30, 20, 50 + bc.shape[1], 90)) > 0.9


def test_label_with_barcode_is_a_label():
    rng = random.Random(3)
    img = wall(800, 500, rng)
    label = np.full((90, 240, 3), 252, np.uint8)
    text_on(label, (8, 6), "NGUYEN, A", 16)
    text_on(label, (8, 26), "ID 55120934", 13, name="sans")
    bc = barcode_patch("55120934", 34)
    label[52:86, 8:8 + bc.shape[1]] = bc[:, :224]
    truth = paste_warped(img, label, rect_quad(300, 200, 240, 90, 12))
    found = regions(detect(img))
    assert [f.context for f in found] == ["label"]
    assert geometry.iou(found[0].box, truth) >= 0.6


@pytest.mark.parametrize("make", [lambda r: ambulance_patch(r), lambda r: sign_patch(r, 320)])
def test_lettering_and_signs_are_not_bands(make):
    for seed in range(4):
        rng = random.Random(seed)
        img = wall(900, 600, rng)
        p = make(rng)
        paste_warped(img, p, rect_quad(100, 100, p.shape[1], p.shape[0], 3))
        assert regions(detect(img)) == [], f"seed {seed}"


def test_print_inside_a_screen_is_left_to_the_screen_but_a_barcode_label_is_not():
    screen = Finding(kind="screen", category="screen", box=(0, 0, 900, 700), confidence=0.9, context="monitor")
    img, _, _ = band_scene(0, barcode=False)
    assert regions(detect(img, [screen])) == []  # a light panel of print on a screen: the screen's business
    img, truth, _ = band_scene(0, barcode=True)
    assert [f.context for f in regions(detect(img, [screen]))] == ["wristband"]


def test_corners_ordered_at_45_degrees_give_a_real_crop():
    """Sorting corners by x+y is degenerate at exactly 45 degrees (a blank crop): angle order is not."""
    img, truth, _ = band_scene(45)
    corners = cv2.boxPoints(((450, 350), (480, 60), 45))
    q = order_corners(corners)
    assert len({tuple(p) for p in q.round(1).tolist()}) == 4
    crop = rectify(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY), corners)
    assert crop.shape[1] > crop.shape[0] and crop.std() > 30


def test_barcode_bars_versus_print():
    bars = barcode_patch("12345678", 40)[..., 0]
    assert has_barcode_bars(bars)
    text = np.full((40, 200), 255, np.uint8)
    cv2.putText(text, "DOB 03/14/1957", (4, 28), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 0, 2)
    assert not has_barcode_bars(text)


def test_band_gives_its_context_to_the_text_inside():
    band = Finding(kind="text", category="identifier", box=(100, 100, 500, 160), confidence=0.8,
                   context="wristband", detector="wristbands")
    assert context_of((120, 110, 300, 130), [band]) == "wristband"
    assert context_of((600, 110, 700, 130), [band]) is None
    # A band held up in front of a whiteboard (or whose tilted print passed for a small board): the innermost
    # region is the most specific context, whichever detector reported it first.
    board = Finding(kind="screen", category="screen", box=(0, 0, 900, 600), confidence=0.8, context="whiteboard")
    print_as_board = Finding(kind="screen", category="screen", box=(110, 105, 320, 150), confidence=0.8,
                             context="whiteboard")
    assert context_of((120, 110, 300, 130), [board, band]) == "wristband"
    assert context_of((120, 110, 300, 130), [band, board]) == "wristband"
    assert context_of((120, 110, 300, 130), [print_as_board, band]) == "whiteboard"  # smaller still: see findings
    assert context_of((600, 110, 700, 130), [board, band]) == "whiteboard"


def test_a_screen_inside_a_band_is_the_bands_print_and_is_dropped():
    """Tilted band print can pass for a small board (the wristband sample did): the redacted band region says what
    it is, so a flagged screen inside it goes. A screen mostly outside, or redacted (--redact-screens) while the
    band is only flagged, stays."""
    from scanner.findings import drop_duplicates

    band = Finding(kind="text", category="identifier", box=(100, 100, 500, 200), confidence=0.8,
                   context="wristband", detector="wristbands", action="redact")
    inside = Finding(kind="screen", category="screen", box=(110, 105, 320, 190), confidence=0.85,
                     context="whiteboard", action="flag")
    beyond = Finding(kind="screen", category="screen", box=(300, 105, 700, 190), confidence=0.85,
                     context="whiteboard", action="flag")
    assert drop_duplicates([inside, band, beyond]) == [band, beyond]
    flagged_band = Finding(kind="text", category="identifier", box=band.box, confidence=0.45, context="label",
                           detector="wristbands", action="flag")
    redacted_screen = Finding(kind="screen", category="screen", box=inside.box, confidence=0.85,
                              context="whiteboard", action="redact")
    assert drop_duplicates([redacted_screen, flagged_band]) == [redacted_screen, flagged_band]


# ------------------------------------------------------------------------------------------ with the real OCR
@pytest.mark.models
@pytest.mark.parametrize("angle", [30, 60, 90])
def test_rotated_band_text_is_read_and_classified(angle):
    """Band + text detectors together: the MRN, DOB and name on a band at 30/60/90 degrees are read and judged
    in the wristband context (page OCR misses most tilts; the band detector reads its upright cut-out)."""
    from scanner.detectors.text import TextDetector
    from scanner.text.ocr import get_engine

    engine = get_engine("rapid")
    img, truth, mrn = band_scene(angle, size=(760, 620))
    found = WristbandDetector(engine).detect(Frame(img), [])
    found += TextDetector(engine).detect(Frame(img), found)
    on_band = [f for f in found if f.kind == "text" and f.category not in ("identifier", "barcode")
               and geometry.coverage(f.box, geometry.pad(truth, 6)) > 0.8]
    assert any(f.category == "mrn" and mrn in (f.text or "").replace(" ", "") for f in on_band), \
        [(f.category, f.text) for f in on_band]
    assert {"dob", "name"} & {f.category for f in on_band}
    assert all(f.context == "wristband" for f in on_band)


def _card_scene(rows: list[tuple[str, int]], seed: int = 5, scribble: bool = False):
    """A white card of print (px sizes given per row) on a wall, level: label-shaped (aspect < 3). `scribble`
    adds a handwritten-looking zigzag below the print, ink no OCR reads as a line."""
    rng = random.Random(seed)
    img = wall(800, 500, rng)
    card = np.full((150, 300, 3), 250, np.uint8)
    y = 10
    for text, px in rows:
        text_on(card, (12, y), text, px, name="sans")
        y += px + 14
    if scribble:
        pts = np.array([[12 + i * 9, 128 + (6 if i % 2 else 0)] for i in range(20)], np.int32)
        cv2.polylines(card, [pts], False, (25, 25, 25), 2)
    paste_warped(img, card, rect_quad(250, 170, 300, 150, 0))
    return img


SIGNAGE_ROWS = [("Oxygen in use", 16), ("Visitors please check in", 14), ("Metoprolol 25 mg", 16), ("HR 88", 14)]


@pytest.mark.parametrize("rows, is_sign, scribble", [
    (SIGNAGE_ROWS, True, False),
    (SIGNAGE_ROWS, False, True),  # handwriting below the print, unread: it could be the patient's name
    ([("GARCIA, MARIA", 16), ("MRN 40023817", 14), ("DOB 03/14/1961", 16), ("Rm 412B", 14)], False, False),
    ([("Oxygen in use", 16), ("Call light for help", 14), ("Metoprolol 25 mg", 16), ("HR 88", 14)], False, False),
    ([("Oxygen in use", 16), ("Bed 12", 14), ("Metoprolol 25 mg", 16), ("HR 88", 14)], False, False),  # a bed number
    (SIGNAGE_ROWS + [("KOWALSKI J 4471", 6)], False, False),  # a small fifth row: a name and a number
])
def test_a_card_of_signage_is_flagged_and_a_patient_label_redacted(rows, is_sign, scribble):
    """A label-shaped card whose print is all read, surely, as signage or clinical wording is a sign: the region is
    flagged (low), not redacted. A name-like word, a room number or any print left unread keeps it a label."""
    from scanner.text.ocr import get_engine
    from scanner.policy import Policy

    found = regions(WristbandDetector(get_engine("rapid")).detect(Frame(_card_scene(rows, scribble=scribble)), []))
    assert [f.context for f in found] == ["label"]
    assert Policy().action_for(found[0]) == ("flag" if is_sign else "redact"), found[0].note
    assert (found[0].severity == "low") == is_sign


def test_unread_ink_is_the_print_outside_every_line_read():
    """The completeness check behind 'every row was read': ink (dark on the light card) outside the boxes of the
    lines read, as a fraction of all ink; the card's rim is ignored (edge, shadow)."""
    from scanner.detectors.wristbands import unread_ink

    card = np.full((120, 300), 245, np.uint8)
    card[20:32, 20:200] = 30  # row 1
    card[50:62, 20:160] = 30  # row 2
    card[80:92, 20:240] = 30  # row 3
    rows = [(20, 20, 200, 32), (20, 50, 160, 62), (20, 80, 240, 92)]
    assert unread_ink(card, rows) == 0.0
    assert abs(unread_ink(card, rows[:2]) - 220 / (180 + 140 + 220)) < 0.02  # row 3 unread
    assert unread_ink(card, []) == 1.0
    assert unread_ink(np.full((120, 300), 245, np.uint8), []) == 0.0  # a blank card has nothing unread
    card[0:3, :] = 0  # a dark rim (the card's edge in the cut-out) is not print
    assert unread_ink(card, rows) == 0.0
