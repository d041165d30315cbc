"""The benchmark's own correctness: the generator's ground truth is where the text really is, and the scorer's
arithmetic is right. (No scanner models here; Tesseract is the independent reader.)"""
from __future__ import annotations

import random

import numpy as np
import pytest

from bench import generate as gen
from bench.score import (CAUGHT_COVERAGE, RegionResult, SceneScore, percentile, read_back, score_scene, summarise,
                         union_coverage)
from scanner import geometry

from conftest import needs_tesseract


# ---------------------------------------------------------------- generator


def test_scene_is_deterministic_per_seed():
    a = gen.make_scene("ehr_beside", 7, (640, 480))
    b = gen.make_scene("ehr_beside", 7, (640, 480))
    c = gen.make_scene("ehr_beside", 8, (640, 480))
    assert a.jpeg == b.jpeg and a.truth() == b.truth()
    assert a.jpeg != c.jpeg


def test_plan_rotates_kinds_and_puts_a_12mp_photo_every_third_scene():
    plan = gen.scene_plan(9, big=True)
    assert [k for k, _, _ in plan[:len(gen.KINDS)]] == list(gen.KINDS)
    assert [size for _, _, size in plan].count(gen.BIG_SIZE) == 3
    assert all(size in gen.SIZES for _, _, size in gen.scene_plan(9, big=False))
    assert len({s for _, s, _ in plan}) == 9  # every scene its own seed


@pytest.mark.parametrize("kind", [k for k in gen.KINDS if k != "face"])
def test_every_panel_item_fits_inside_the_panel(kind):
    p = gen.make_panel(kind, random.Random(3), 20)
    w, h = p.image().size
    assert p.items
    for r in p.items:
        assert 0 <= r.box[0] < r.box[2] <= w and 0 <= r.box[1] < r.box[3] <= h, (r, (w, h))


@pytest.mark.parametrize("seed", range(6))
def test_scene_regions_lie_inside_the_image_and_phi_has_text(seed):
    sc = gen.make_scene(gen.KINDS[seed % len(gen.KINDS)], seed, (800, 600))
    for r in sc.regions:
        assert 0 <= r.box[0] < r.box[2] <= sc.width and 0 <= r.box[1] < r.box[3] <= sc.height
        assert r.label in ("phi", "keep", "neutral", "face")
        if r.label == "phi":
            assert r.text.strip() and r.safe_harbor in "ABCDEFGHIJKLMNOPQR"
    assert sc.rgb().shape == (600, 800, 3)


def test_face_box_is_where_the_face_was_pasted():
    rng = random.Random(1)
    canvas = np.full((600, 800, 3), 40, np.uint8)
    r = gen.composite_face(rng, canvas, 120, avoid=[])
    assert r is not None and r.label == "face" and r.safe_harbor == "Q"
    x0, y0, x1, y1 = r.box
    changed = (np.abs(canvas[y0:y1, x0:x1].astype(int) - 40).sum(axis=2) > 30).mean()
    assert changed > 0.9  # face pixels everywhere in the box
    assert 60 <= geometry.height(r.box) <= 200


@needs_tesseract
def test_tesseract_reads_each_phi_string_at_its_ground_truth_box():
    """The boxes survive perspective and compositing: an independent reader finds each string where we say."""
    from bench.run import tesseract_reads

    sc = gen.make_scene("lab", 11, (1280, 960))
    rgb = sc.rgb()
    phi = [r for r in sc.regions if r.label == "phi"]
    read = [tesseract_reads(rgb, r.box, r.text) for r in phi]
    assert len(phi) >= 4 and sum(read) >= len(phi) - 1, list(zip([r.text for r in phi], read))


# ---------------------------------------------------------------- scorer


def test_union_coverage_counts_overlaps_once():
    region = (0, 0, 10, 10)
    assert union_coverage(region, []) == 0.0
    assert union_coverage(region, [(0, 0, 10, 5)]) == 0.5
    assert union_coverage(region, [(0, 0, 10, 5), (0, 0, 10, 5)]) == 0.5
    assert union_coverage(region, [(0, 0, 6, 10), (4, 0, 10, 10)]) == 1.0
    assert union_coverage(region, [(-5, -5, 20, 20)]) == 1.0
    assert union_coverage(region, [(5, 5, 15, 15)]) == 0.25
    assert union_coverage((3, 3, 3, 9), [(0, 0, 10, 10)]) == 0.0  # empty region


def test_caught_kept_and_spurious():
    truth = [{"box": [0, 0, 100, 20], "text": "GARCIA, MARIA", "label": "phi", "category": "name", "safe_harbor": "A"},
             {"box": [0, 30, 100, 50], "text": "00482913", "label": "phi", "category": "mrn", "safe_harbor": "H"},
             {"box": [0, 60, 100, 80], "text": "EXIT", "label": "keep", "category": "signage"},
             {"box": [200, 0, 240, 20], "text": "MRN:", "label": "neutral", "category": "label"}]
    painted = [(0, 0, 95, 20),  # 95% of the name: caught
               (0, 30, 80, 50),  # 80% of the MRN: missed
               (190, 0, 250, 25),  # over the label: neither caught nor spurious
               (500, 500, 520, 510)]  # hits nothing: spurious
    s = score_scene("t", 1000, 1000, truth, painted)
    name, mrn, sign, label = s.regions
    assert name.caught and name.coverage == pytest.approx(0.95)
    assert not mrn.caught and mrn.coverage == pytest.approx(0.8)
    assert sign.kept
    assert s.spurious_boxes == [(500, 500, 520, 510)]
    summary = summarise([s])
    assert summary["text_phi"] == {"n": 2, "caught": 1, "recall": 0.5}
    assert summary["per_safe_harbor"]["A"]["recall"] == 1.0 and summary["per_safe_harbor"]["H"]["recall"] == 0.0
    assert summary["innocuous"]["kept_rate"] == 1.0
    assert summary["over_redaction"]["spurious_boxes"] == 1 and summary["over_redaction"]["redacted_boxes"] == 4
    assert summary["faces"]["recall"] is None  # no faces: no figure, not a perfect one
    assert summary["misses"]["unknown"][0].startswith("H/mrn: '00482913'")


def test_threshold_is_inclusive():
    r = RegionResult("phi", "name", "A", "X", (0, 0, 10, 10), CAUGHT_COVERAGE)
    assert r.caught


def test_summary_splits_misses_by_cause_and_counts_tesseract():
    s = SceneScore("t", 100, 100, timings={"total_s": 2.0, "text_s": 1.5})
    s.regions = [RegionResult("phi", "name", "A", "Sarah Jones", (0, 0, 10, 10), 0.0, read_by_ocr=False),
                 RegionResult("phi", "dob", "C", "03/14/1957", (0, 0, 10, 10), 0.0, read_by_ocr=True),
                 RegionResult("phi", "mrn", "H", "4829133", (0, 0, 10, 10), 1.0, read_by_ocr=True,
                              tesseract_original=True, tesseract_redacted=False)]
    out = summarise([s])
    assert len(out["misses"]["ocr_did_not_read"]) == 1 and len(out["misses"]["read_but_not_redacted"]) == 1
    assert out["tesseract"] == {"regions_checked": 1, "readable_in_original": 1, "read_back_from_redacted": 0,
                                "read_back_strings": []}
    assert out["timing"]["100x100"]["median_s"] == 2.0
    assert out["timing"]["100x100"]["stage_mean_s"] == {"text_s": 1.5}


def test_errors_are_reported_not_scored():
    bad = SceneScore("broken", 100, 100, error="scan failed")
    bad.regions = [RegionResult("phi", "name", "A", "X", (0, 0, 1, 1), 0.0)]
    out = summarise([bad])
    assert out["errors"] == ["broken: scan failed"] and out["text_phi"]["n"] == 0


def test_read_back_matching():
    assert read_back("GARCIA, MARIA", "Patient: GARCIA MARIA")
    assert read_back("03/14/1957", "DOB 03-14-1957")
    assert read_back("Garcia, Maria", "garcia")  # a word of 4+ letters is enough to identify
    assert read_back("00482913", "0048291")  # one digit dropped by the reader still counts
    assert not read_back("00482913", "")
    assert not read_back("GARCIA, MARIA", "EXIT Hand hygiene")
    assert not read_back("Ali, B.", "Alive")  # short words alone are not a read


def test_percentile():
    assert percentile([], 50) is None
    assert percentile([1.0, 2.0, 3.0], 50) == 2.0
    assert percentile([1.0] * 9 + [10.0], 90) == pytest.approx(1.9)
