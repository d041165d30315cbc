"""CenterFace as the face detector loads it: the real model on a real sample photo."""
from pathlib import Path

import numpy as np
import onnx
from PIL import Image

from scanner.detectors import faces

SAMPLE = Path(__file__).resolve().parent.parent / "sample_media" / "face.jpg"


def test_weights_as_constants_leaves_only_the_image_input():
    model = onnx.load(str(faces.centerface_path()))
    weights = {i.name for i in model.graph.initializer}
    assert any(i.name in weights for i in model.graph.input)  # the shipped export lists its weights as inputs
    model = faces.weights_as_constants(model)
    assert [i.name for i in model.graph.input] == ["input.1"]
    assert {i.name for i in model.graph.initializer} == weights  # nothing dropped


def test_centerface_finds_the_sample_face():
    rgb = np.asarray(Image.open(SAMPLE).convert("RGB"))
    found = faces.CenterFace()(rgb, 0.35)
    assert len(found) >= 1
    (x0, y0, x1, y1), score = found[0]
    assert score > 0.35 and 0 <= x0 < x1 <= rgb.shape[1] and 0 <= y0 < y1 <= rgb.shape[0]
