"""The imaging-overlay scenes' own correctness (bench/overlay_scenes.py): ground truth inside the image, PHI with
text, a dark medical image, the same bytes for the same seed. No OCR models; two scenes only."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pydicom")

from bench import overlay_scenes as ov  # noqa: E402


@pytest.fixture(scope="module")
def scenes():
    return list(ov.generate_overlays(2, seed=3))


def test_truth_regions_lie_inside_the_image_and_phi_has_text(scenes):
    for sc in scenes:
        assert sc.kind == "imaging" and sc.name.startswith("img")
        assert sc.rgb().shape == (sc.height, sc.width, 3)
        assert 512 <= max(sc.width, sc.height)
        labels = {r.label for r in sc.regions}
        assert {"phi", "keep", "neutral"} <= labels, labels
        for r in sc.regions:
            assert 0 <= r.box[0] < r.box[2] <= sc.width and 0 <= r.box[1] < r.box[3] <= sc.height, r
            if r.label == "phi":
                assert r.text.strip() and r.safe_harbor in "ABCDEFGHIJKLMNOPQR", r
        cats = {r.category for r in sc.regions if r.label == "phi"}
        assert {"name", "mrn", "dob", "date", "accession", "institution"} <= cats, cats
        assert all(5 <= r.box[3] - r.box[1] <= 40 for r in sc.regions if r.label in ("phi", "keep"))


def test_the_image_is_mostly_dark(scenes):
    for sc in scenes:
        grey = sc.rgb().astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        assert (grey < 100).mean() > 0.4, sc.name


def test_same_seed_same_scene():
    a, b = ov.make_overlay_scene(11), ov.make_overlay_scene(11)
    assert a.jpeg == b.jpeg and a.truth() == b.truth()
    assert ov.make_overlay_scene(12).jpeg != a.jpeg


def test_only_images_inside_the_pydicom_wheel_are_used():
    from pathlib import Path

    import pydicom.data

    wheel = Path(pydicom.data.__file__).parent
    for file, _, _ in ov.IMAGES:
        p = pydicom.data.get_testdata_file(file, download=False)
        assert p and Path(p).is_file() and Path(p).is_relative_to(wheel), (file, p)
