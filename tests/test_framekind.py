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
    """The same picture as a camera gives it: uneven light (no photo of a screen is lit evenly), sensor noise and
    a JPEG round trip."""
    rng = np.random.default_rng(seed)
    h, w = img.shape[:2]
    light = 12 * np.cos(np.linspace(-1.2, 1.2, w))[None, :, None] * np.cos(np.linspace(-1, 1, h))[:, None, None]
    noisy = np.clip(img.astype(np.float32) - 12 + light + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)
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
    distinct, top, flat, first = colour_stats(img)
    assert distinct == 2 and top == 1.0 and flat == 2


def test_one_flat_backdrop_behind_a_textured_subject_is_a_photo():
    """A test card or studio shot: most of it one exact colour, the subject noisy; no UI has a single colour."""
    rng = np.random.default_rng(2)
    img = np.empty((480, 640, 3), np.uint8)
    img[:] = (120, 130, 150)
    img[140:340, 240:400] = rng.integers(90, 200, (200, 160, 3), dtype=np.uint8)
    assert colour_stats(img)[1] >= 0.82  # the share test alone would call it a screenshot
    assert frame_kind(img) == "photo"


def test_a_rescaled_screenshot_with_a_photo_in_it_is_still_a_screenshot():
    """Docs shrink retina captures (edges blend into thousands of colours) and a record shows a photo or chart:
    the 8 commonest colours cover less than 0.82, but the UI's several flat colours are still there."""
    img = ui(900, 1350)
    rng = np.random.default_rng(3)
    img[100:700, 650:1300] = cv2.GaussianBlur(rng.integers(0, 255, (600, 650, 3), dtype=np.uint8), (0, 0), 8)
    small = cv2.resize(img, (900, 600), interpolation=cv2.INTER_LANCZOS4)
    distinct, top, flat, first = colour_stats(small)
    assert top < 0.82 and top - first >= 0.1
    assert frame_kind(small) == "screenshot"


def test_a_grey_viewer_render_is_a_screenshot_and_a_grey_photo_is_not():
    """A DICOM viewer exported in 256 greys: black surround, an image, overlay text. A black-and-white photo also
    has at most 256 colours, but no large flat areas."""
    rng = np.random.default_rng(4)
    view = np.zeros((600, 800), np.uint8)
    view[100:500, 200:600] = cv2.GaussianBlur(rng.integers(0, 255, (400, 400), dtype=np.uint8), (0, 0), 3)
    cv2.putText(view, "DOE^JANE  ID 12345", (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 255, 1, cv2.LINE_AA)
    assert frame_kind(cv2.cvtColor(view, cv2.COLOR_GRAY2RGB)) == "screenshot"
    grey_photo = cv2.GaussianBlur(rng.integers(0, 255, (600, 800), dtype=np.uint8), (0, 0), 2)
    assert frame_kind(cv2.cvtColor(grey_photo, cv2.COLOR_GRAY2RGB)) == "photo"


def test_a_studio_photo_on_a_white_backdrop_is_a_photo():
    """Half of it one exact white, the subject noisy (the nearest real photo measured: 0.55 in the top 8)."""
    rng = np.random.default_rng(5)
    img = np.full((600, 800, 3), 255, np.uint8)
    img[50:550, 250:650] = np.clip(rng.normal(120, 30, (500, 400, 3)), 0, 254).astype(np.uint8)
    assert frame_kind(img) == "photo"
