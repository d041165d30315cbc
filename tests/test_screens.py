"""Screens, monitors and whiteboards (scanner.detectors.screens) on small scenes drawn here, plus the policy
switch that redacts whole screens."""
from __future__ import annotations

import random

import cv2
import numpy as np
import pytest

from bench.context_scenes import (cloth_patch, frame_patch, monitor_patch, paste_warped, poster_patch, rect_quad,
                                  sign_patch, wall, whiteboard_patch, window_patch)
from scanner import geometry
from scanner.detectors.base import Frame
from scanner.detectors.screens import ScreenDetector, find_text_lines, is_periodic
from scanner.findings import Finding
from scanner.policy import Policy, PolicyError


def scene_with(patch: np.ndarray, w: int = 960, h: int = 600, angle: float = 0.0, persp: float = 0.0,
               seed: int = 1) -> tuple[np.ndarray, tuple]:
    rng = random.Random(seed)
    img = wall(w, h, rng)
    ph, pw = patch.shape[:2]
    box = paste_warped(img, patch, rect_quad((w - pw) / 2, (h - ph) / 2, pw, ph, angle, persp))
    return img, box


def screens(rgb: np.ndarray) -> list[Finding]:
    return ScreenDetector().detect(Frame(rgb), [])


@pytest.mark.parametrize("dark", [False, True])
def test_monitor_found_with_its_extent_and_context(dark):
    img, truth = scene_with(monitor_patch(520, 340, random.Random(2), line_px=14, dark=dark))
    found = screens(img)
    assert len(found) == 1
    f = found[0]
    assert (f.kind, f.category, f.context) == ("screen", "screen", "monitor")
    assert geometry.iou(f.box, truth) >= 0.7


def test_whiteboard_is_told_from_a_monitor():
    img, truth = scene_with(whiteboard_patch(620, 400, random.Random(3), line_px=20))
    found = screens(img)
    assert [f.context for f in found] == ["whiteboard"]
    assert geometry.iou(found[0].box, truth) >= 0.6


def test_screen_in_perspective_and_tilted():
    img, truth = scene_with(monitor_patch(500, 330, random.Random(4), line_px=14), angle=5, persp=0.2)
    found = screens(img)
    assert len(found) == 1 and geometry.iou(found[0].box, truth) >= 0.6


def test_blurred_unreadable_screen_is_still_a_finding():
    """Text too blurred for OCR is still read by a person zooming in: the region itself is the finding."""
    patch = cv2.GaussianBlur(monitor_patch(340, 230, random.Random(5), line_px=10), (0, 0), 1.4)
    img, truth = scene_with(patch)
    found = screens(img)
    assert len(found) == 1 and geometry.coverage(truth, found[0].box) >= 0.7


@pytest.mark.parametrize("make", [
    lambda r: sign_patch(r, 320), lambda r: window_patch(r), lambda r: frame_patch(r), lambda r: poster_patch(r),
])
def test_hard_negatives_are_not_screens(make):
    for seed in range(3):
        img, _ = scene_with(make(random.Random(seed)), seed=seed)
        assert screens(img) == []


def test_polka_dots_and_checks_are_not_text():
    for seed in range(6):  # cloth_patch draws stripes, checks or dots depending on the seed
        img, _ = scene_with(cloth_patch(random.Random(seed), 360, 360), seed=seed)
        assert screens(img) == [], f"cloth pattern seed {seed}"


def test_table_rules_do_not_glue_rows_together():
    img = np.full((200, 400), 250, np.uint8)
    for i, y in enumerate(range(20, 180, 30)):
        cv2.putText(img, f"ROW {i} GARCIA 0048{i}", (10, y), cv2.FONT_HERSHEY_SIMPLEX, 0.5, 20, 1, cv2.LINE_AA)
        cv2.line(img, (0, y + 6), (400, y + 6), 120, 1)
    blobs = find_text_lines(img)
    assert len(blobs) >= 6
    assert max(geometry.height(b.box) for b in blobs) < 25  # each a single row


def test_periodic_strokes_are_recognised():
    dots = np.zeros(200, np.uint8)
    for x in range(5, 200, 16):
        dots[x:x + 5] = 1
    assert is_periodic(dots)
    text = np.zeros(200, np.uint8)
    for x, w in [(3, 2), (9, 5), (20, 2), (25, 3), (41, 2), (47, 6), (60, 2), (70, 4), (83, 2), (95, 3)]:
        text[x:x + w] = 1
    assert not is_periodic(text)


# ----------------------------------------------------------------------------------------------- policy switch
def screen_finding() -> Finding:
    return Finding(kind="screen", category="screen", box=(0, 0, 100, 60), confidence=0.9, context="monitor")


def test_screens_are_flagged_by_default_and_redacted_on_request():
    assert Policy().action_for(screen_finding()) == "flag"
    assert Policy(redact_screens=True).action_for(screen_finding()) == "redact"
    assert Policy.from_dict({"redact_screens": True}).action_for(screen_finding()) == "redact"
    # an explicit per-category action still wins
    assert Policy.from_dict({"actions": {"screen": "redact"}}).action_for(screen_finding()) == "redact"
    # other findings are unaffected
    text = Finding(kind="text", category="name", box=(0, 0, 10, 10), confidence=0.9)
    assert Policy().action_for(text) == "redact"


def test_redact_screens_must_be_a_boolean():
    with pytest.raises(PolicyError, match="redact_screens"):
        Policy.from_dict({"redact_screens": "yes"})


def test_cli_offers_redact_screens():
    from typer.testing import CliRunner

    from scanner.cli import app

    for cmd in ("scan", "redact"):
        out = CliRunner().invoke(app, [cmd, "--help"], env={"COLUMNS": "200"}).output
        assert "--redact-screens" in out


def test_four_line_wall_sign_is_not_a_screen():
    """A wall notice of four lines in mixed sizes (like sample_media/signage_only.jpg) is signage, not a screen:
    it once made `make demo` report no clear file."""
    img = wall(960, 600, random.Random(5))
    sign = np.zeros((190, 560, 3), np.uint8)
    sign[:] = (30, 60, 140)
    for (text, scale, y) in (("Staff only", 0.8, 36), ("Please wash your hands", 1.2, 86),
                             ("Vancomycin 1 g IV", 0.8, 130), ("RR 16", 0.6, 170)):
        cv2.putText(sign, text, (20, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 2, cv2.LINE_AA)
    paste_warped(img, sign, rect_quad(300, 60, 560, 190, angle=-1.5))
    assert screens(img) == []


def test_sample_signage_photo_is_not_a_screen():
    rgb = cv2.cvtColor(cv2.imread("sample_media/signage_only.jpg"), cv2.COLOR_BGR2RGB)
    assert screens(rgb) == []
