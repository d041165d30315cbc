"""The text detector's own logic (context lookup, deny terms) with a real engine stand-in: a fixed reading."""
from __future__ import annotations

import numpy as np

from scanner.detectors.base import Frame
from scanner.detectors.text import TextDetector, context_of
from scanner.findings import Finding
from scanner.text.ocr.base import TextLine
from scanner.policy import Policy


class FixedReading:
    """An OCR engine that 'reads' a fixed list of lines: the classifier and policy downstream are real."""

    name = "fixed"

    def __init__(self, lines):
        self.lines = lines

    def read(self, image_rgb):
        return self.lines


def _frame():
    return Frame(np.zeros((200, 400, 3), np.uint8))


def test_deny_term_line_becomes_a_redacted_finding():
    # The classifier sees no identifier in "Welcome to the Smith Wing"; the policy knows Smith is the patient.
    lines = [TextLine("Welcome to the Smith Wing", (10, 10, 300, 40), 0.9), TextLine("EXIT", (10, 100, 80, 130), 0.95)]
    det = TextDetector(FixedReading(lines), deny_terms=["smith"])
    found = det.detect(_frame(), [])
    hit = [f for f in found if f.note == "contains a policy deny term"]
    assert [f.box for f in hit] == [(10, 10, 300, 40)]
    assert Policy.from_dict({"deny_terms": ["Smith"]}).apply(found)[0].action == "redact"


def test_no_deny_terms_no_extra_findings():
    lines = [TextLine("Welcome to the Smith Wing", (10, 10, 300, 40), 0.9)]
    assert not [f for f in TextDetector(FixedReading(lines)).detect(_frame(), []) if f.note and "deny" in f.note]


def test_deny_term_already_found_is_not_duplicated():
    lines = [TextLine("Patient: GARCIA, MARIA", (10, 10, 300, 40), 0.9)]
    found = TextDetector(FixedReading(lines), deny_terms=["garcia"]).detect(_frame(), [])
    assert len([f for f in found if geometry_cov(f.box, (10, 10, 300, 40))]) == 1


def geometry_cov(a, b):
    from scanner.geometry import coverage
    return coverage(a, b) >= 0.9


def test_context_of_picks_the_screen_the_box_sits_in():
    screen = Finding(kind="screen", category="screen", box=(0, 0, 200, 200), confidence=0.9, context="monitor")
    board = Finding(kind="screen", category="screen", box=(200, 0, 400, 200), confidence=0.9, context="whiteboard")
    assert context_of((10, 10, 50, 30), [screen, board]) == "monitor"
    assert context_of((250, 10, 300, 30), [screen, board]) == "whiteboard"
    assert context_of((180, 10, 220, 30), [screen, board]) is None  # straddles both: no context claimed


def test_video_line_with_digits_cut_by_the_edge_is_a_finding():
    # "4/1957" at the left edge of a video frame: the date of birth sliding into view, its label still off screen.
    lines = [TextLine("4/1957", (0, 10, 120, 40), 0.9), TextLine("Hand hygiene", (100, 100, 300, 130), 0.95),
             TextLine("Room 4", (150, 160, 260, 190), 0.95)]
    det = TextDetector(FixedReading(lines))
    edge = [f for f in det.detect(Frame(np.zeros((200, 400, 3), np.uint8), video=True), [])
            if "frame edge" in (f.note or "")]
    assert [(f.box, f.category) for f in edge] == [((0, 10, 120, 40), "identifier")]  # not "Room 4": in view
    assert Policy().apply(edge)[0].action == "redact"
    # A photo's edge is the photo's: nothing is coming into view.
    assert not [f for f in det.detect(_frame(), []) if "frame edge" in (f.note or "")]
