import numpy as np
import pytest

from scanner.findings import Finding
from scanner.redact import annotate_image, redact_image, redaction_box


def _scene():
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (200, 300, 3), dtype=np.uint8)


def _f(box=(50, 50, 150, 80), action="redact", kind="text"):
    return Finding(kind=kind, category="name", box=box, confidence=0.9, action=action)


def test_fill_paints_padded_box_solid_and_nothing_else():
    img = _scene()
    out = redact_image(img, [_f()], "fill")
    x0, y0, x1, y1 = redaction_box(_f(), 300, 200)
    assert (x0, y0) < (50, 50) and (x1, y1) > (150, 80)
    assert (out[y0:y1, x0:x1] == 0).all()
    mask = np.ones(img.shape[:2], bool)
    mask[y0:y1, x0:x1] = False
    assert (out[mask] == img[mask]).all()
    assert (img[60, 60] == _scene()[60, 60]).all()  # the input array is not modified


def test_only_redact_actions_are_painted():
    img = _scene()
    out = redact_image(img, [_f(action="flag"), _f(action="allow")], "fill")
    assert (out == img).all()


@pytest.mark.parametrize("style", ["pixelate", "blur"])
def test_pixelate_and_blur_destroy_detail(style):
    img = _scene()
    out = redact_image(img, [_f()], style)
    region = out[60:70, 60:140].astype(float)
    # random noise input has huge local variance; after redaction neighbouring pixels are nearly equal
    # or differ only by per-block noise, far below the original's variation
    orig_grad = np.abs(np.diff(img[60:70, 60:140].astype(float), axis=1)).mean()
    new_grad = np.abs(np.diff(region, axis=1)).mean()
    assert new_grad < orig_grad / 3


def test_pixelate_is_not_deterministic():
    img = _scene()
    a = redact_image(img, [_f()], "pixelate")
    b = redact_image(img, [_f()], "pixelate")
    assert not (a == b).all()  # fresh noise each time: a render-and-compare attack has no fixed target


def test_unknown_style():
    with pytest.raises(ValueError, match="style"):
        redact_image(_scene(), [_f()], "smudge")


def test_face_box_padded_more():
    fb = redaction_box(_f(box=(100, 50, 140, 100), kind="face"), 300, 200)
    assert fb[0] <= 94 and fb[1] <= 40 and fb[2] >= 146 and fb[3] >= 110


def test_annotate_draws_boxes_without_touching_input():
    img = np.full((200, 300, 3), 255, np.uint8)
    out = annotate_image(img, [_f(), _f(box=(10, 150, 60, 190), action="allow")])
    assert (img == 255).all()
    assert (out != 255).any(axis=2).sum() > 200
    assert tuple(out[50, 100]) != (255, 255, 255)  # top edge of the first box drawn


def test_face_box_padded_most_below_for_the_jaw():
    x0, y0, x1, y1 = redaction_box(_f(box=(100, 50, 140, 100), kind="face"), 300, 200)
    assert y1 - 100 > 50 - y0  # more below the box (chin, jaw) than above it
    assert y1 >= 117
