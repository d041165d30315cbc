"""bench/real_data/restore.py: the unlicensed real images are rebuilt from their source blobs by the steps their
sources.json note records, and only at the size their truth was drawn on."""
from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

_spec = importlib.util.spec_from_file_location("restore", Path(__file__).resolve().parents[1] / "bench" /
                                               "real_data" / "restore.py")
restore = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(restore)


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_a_source_kept_as_it_was_is_copied_byte_for_byte():
    data = _png(Image.new("RGB", (40, 30), (10, 20, 30)))
    row = {"file": "images/a.png", "width": 40, "height": 30, "note": "repository has no licence file"}
    assert restore.rebuild(data, row) == data


def test_alpha_is_flattened_onto_white_then_downscaled_and_encoded_as_recorded():
    rgba = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    rgba.paste((200, 0, 0, 255), (0, 0, 200, 200))
    row = {"file": "images/a.jpg", "width": 100, "height": 50,
           "note": "downscaled from 400x200 to 100x50 (Lanczos); transparent pixels composited onto white; "
                   "re-encoded as JPEG q90 (metadata stripped)"}
    out = Image.open(io.BytesIO(restore.rebuild(_png(rgba), row)))
    assert out.format == "JPEG" and out.size == (100, 50)
    px = np.asarray(out.convert("RGB")).astype(int)
    assert px[25, 10, 0] > 150 and px[25, 10, 1] < 60  # the opaque red half
    assert px[25, 90].min() > 230  # transparent half: white, not black


def test_the_recorded_gif_frame_is_taken():
    frames = [Image.new("P", (20, 10), i) for i in range(3)]
    for i, f in enumerate(frames):
        f.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * 759)
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=50)
    row = {"file": "images/a.png", "width": 20, "height": 10,
           "note": "frame 2 (0-based) of the 3-frame screen-recording GIF, saved as PNG"}
    out = np.asarray(Image.open(io.BytesIO(restore.rebuild(buf.getvalue(), row))).convert("RGB"))
    assert tuple(out[5, 5]) == (0, 255, 0)


def test_a_source_of_another_shape_is_refused():
    row = {"file": "images/a.jpg", "width": 100, "height": 100, "note": "re-encoded as JPEG q90"}
    with pytest.raises(ValueError, match="not the shape"):
        restore.rebuild(_png(Image.new("RGB", (300, 100))), row)
