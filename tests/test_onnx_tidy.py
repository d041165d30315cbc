"""The exact model rewrites of scanner.onnx_tidy, on toy graphs and on the real CenterFace and text detector."""
from pathlib import Path

import numpy as np
import onnx
from PIL import Image

from scanner import onnx_tidy
from scanner.detectors import faces

SAMPLE = Path(__file__).resolve().parent.parent / "sample_media" / "face.jpg"


def test_weights_as_constants_leaves_only_the_image_input():
    model = onnx.load(str(faces.centerface_path()))
    weights = {i.name for i in model.graph.initializer}
    assert any(i.name in weights for i in model.graph.input)  # the shipped export lists its weights as inputs
    model = onnx_tidy.weights_as_constants(model)
    assert [i.name for i in model.graph.input] == ["input.1"]
    assert {i.name for i in model.graph.initializer} == weights  # nothing dropped


def test_centerface_finds_the_sample_face():
    rgb = np.asarray(Image.open(SAMPLE).convert("RGB"))
    found = faces.CenterFace()(rgb, 0.35)
    assert len(found) >= 1
    (x0, y0, x1, y1), score = found[0]
    assert score > 0.35 and 0 <= x0 < x1 <= rgb.shape[1] and 0 <= y0 < y1 <= rgb.shape[0]


def _one_conv_model(weights: np.ndarray):
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(weights, "w")
    node = helper.make_node("Conv", ["x", "w"], ["y"])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4, 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
    return helper.make_model(graph)


def test_denormals_flushed_zeroes_only_subnormal_weights():
    from onnx import numpy_helper

    tiny = np.finfo(np.float32).tiny
    w = np.array([tiny / 4, -tiny / 1000, tiny, 0.5, -1e-30, 0.0, 3e-39, 2.0, -tiny], np.float32).reshape(1, 1, 3, 3)
    model = onnx_tidy.denormals_flushed(_one_conv_model(w))
    out = numpy_helper.to_array(model.graph.initializer[0])
    expect = np.array([0, 0, tiny, 0.5, -1e-30, 0, 0, 2.0, -tiny], np.float32).reshape(1, 1, 3, 3)
    assert np.array_equal(out, expect) and out.dtype == np.float32


def test_text_detector_runs_flushed_weights_with_the_same_output():
    from onnx import numpy_helper
    from rapidocr import RapidOCR

    from scanner.text.ocr import rapid

    tidy = rapid.RapidOcrEngine()._det.session.session
    plain = RapidOCR(params={"Global.log_level": "error"})._load_det_model().session.session
    tiny = np.finfo(np.float32).tiny
    weights = [numpy_helper.to_array(i) for i in onnx.load(plain._model_path).graph.initializer]
    # What the rewrite is for: should a later RapidOCR ship clean weights, this says the rewrite can go.
    assert sum(int(((w != 0) & (np.abs(w) < tiny)).sum()) for w in weights if w.dtype == np.float32) > 100_000
    x = np.random.default_rng(0).random((1, 3, 96, 160), dtype=np.float32) - 0.5
    name = plain.get_inputs()[0].name
    assert np.array_equal(tidy.run(None, {name: x})[0], plain.run(None, {name: x})[0])
