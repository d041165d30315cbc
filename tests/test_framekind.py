"""Screenshot vs photo (scanner/framekind.py): pure pixel statistics, no models."""
from __future__ import annotations

import cv2
import numpy as np

from scanner.detectors.base import Frame
from scanner.framekind import colour_stats, frame_kind, is_screenshot


def ui(h=600, w=900):
    """A drawn screen: flat backgrounds, a header bar, a table's rule lines, anti-aliased text."""
    img = np.full((h, w, 3), 255, np.uint8)
    img[:60] = (246, 131, 112)
    img[60:, :160] = (30, 30, 30)
    for y in range(100, h, 50):
        img[y:y + 1, 180:] = (220, 220, 220)
        cv2.putText(img, "Jane Mane  ABC200008  05 Jun 2025", (190, y + 32), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                    (40, 40, 40), 1, cv2.LINE_AA)
    return img


def photo_of(img, seed=0):
    """The same picture as a camera gives it: sensor noise and a JPEG round trip."""
    rng = np.random.default_rng(seed)
    noisy = np.clip(img.astype(np.float32) + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", noisy, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)


def test_a_drawn_screen_is_a_screenshot():
    assert is_screenshot(ui())
    assert frame_kind(ui()) == "screenshot"
    assert Frame(ui()).kind == "screenshot"


def test_a_photo_of_the_same_screen_is_a_photo():
    assert frame_kind(photo_of(ui())) == "photo"


def test_natural_texture_is_a_photo():
    rng = np.random.default_rng(1)
    img = cv2.GaussianBlur(rng.integers(0, 255, (480, 640, 3), dtype=np.uint8), (0, 0), 3)
    assert frame_kind(img) == "photo"


def test_tiny_and_odd_inputs_are_photos():
    assert frame_kind(np.full((20, 20, 3), 255, np.uint8)) == "photo"  # too small to tell
    assert not is_screenshot(np.zeros((100, 100), np.uint8))  # not RGB


def test_colour_stats_counts_exact_colours():
    img = np.zeros((100, 100, 3), np.uint8)
    img[:, 50:] = (10, 20, 30)
    distinct, top, flat = colour_stats(img)
    assert distinct == 2 and top == 1.0 and flat == 2


def test_one_flat_backdrop_behind_a_textured_subject_is_a_photo():
    """A test card or studio shot: most of it one exact colour, the subject noisy; no UI has a single colour."""
    rng = np.random.default_rng(2)
    img = np.empty((480, 640, 3), np.uint8)
    img[:] = (120, 130, 150)
    img[140:340, 240:400] = rng.integers(90, 200, (200, 160, 3), dtype=np.uint8)
    assert colour_stats(img)[1] >= 0.82  # the share test alone would call it a screenshot
    assert frame_kind(img) == "photo"
