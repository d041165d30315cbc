"""bench.real_photos scoring (pure): plates destroyed, tattoos found, false alarms, PHI-free photos."""
import numpy as np

from bench.real_photos import PhotoScore, overlap, redacted_mask, score_photo


def photo():
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (200, 300, 3), dtype=np.uint8)


def test_overlap_is_over_the_smaller_box():
    assert overlap((0, 0, 10, 10), (0, 0, 100, 100)) == 1.0
    assert overlap((0, 0, 10, 10), (5, 0, 15, 10)) == 0.5
    assert overlap((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0


def test_a_filled_plate_is_destroyed_and_a_plate_finding_elsewhere_is_false():
    orig = photo()
    red = orig.copy()
    red[50:80, 100:180] = 0
    rows = [{"kind": "plate", "boxes": [[100, 50, 180, 80]]}, {"kind": "plate", "boxes": [[0, 0, 40, 20]]},
            {"kind": "plate", "boxes": [[200, 150, 210, 155]], "ignore": True}]
    findings = [{"kind": "plate", "box": [98, 48, 182, 82], "action": "redact"},
                {"kind": "plate", "box": [199, 149, 211, 156], "action": "redact"},  # the ignored one: not false
                {"kind": "plate", "box": [250, 100, 290, 120], "action": "redact"}]
    s = PhotoScore("t")
    score_photo(s, "a.jpg", rows, orig, red, findings, "review")
    assert (s.plates, s.plates_destroyed, s.false_plates) == (2, 1, 1)
    assert any("plate a.jpg" in m for m in s.misses)


def test_tattoo_found_by_overlap_and_false_tattoos_counted():
    orig = photo()
    rows = [{"kind": "tattoo", "boxes": [[10, 10, 110, 110]]}, {"kind": "tattoo", "boxes": [[200, 10, 260, 60]]}]
    findings = [{"kind": "tattoo", "box": [40, 40, 90, 90], "action": "flag"},
                {"kind": "tattoo", "box": [150, 150, 190, 190], "action": "flag"}]
    s = PhotoScore("t")
    score_photo(s, "b.jpg", rows, orig, orig, findings, "review")
    assert (s.tattoos, s.tattoos_found, s.tattoos_destroyed, s.false_tattoos) == (2, 1, 0, 1)


def test_phi_free_photos_clear_faces_apart_and_redacted_share():
    orig = photo()
    s = PhotoScore("t")
    score_photo(s, "cat.jpg", [{"kind": "none", "faces": 0}], orig, orig,
                [{"kind": "tattoo", "box": [0, 0, 150, 100], "action": "redact"}], "review")
    score_photo(s, "wall.jpg", [{"kind": "none", "faces": 0}], orig, orig, [], "clear")
    score_photo(s, "crowd.jpg", [{"kind": "none", "faces": 3}], orig, orig,
                [{"kind": "face", "box": [0, 0, 50, 50], "action": "redact"}], "review")
    assert (s.neg, s.neg_clear, s.neg_faces, s.neg_faces_only, s.neg_redacted) == (2, 1, 1, 1, 1)
    assert s.neg_largest[0] == 0.25 and s.neg_area == [0.25, 0.0, 0.0]  # faces do not count as redaction


def test_redacted_mask_leaves_out_faces_metadata_and_flags():
    m = redacted_mask((10, 10), [{"kind": "face", "box": [0, 0, 5, 5], "action": "redact"},
                                 {"kind": "metadata", "box": [0, 0, 10, 10], "action": "redact"},
                                 {"kind": "tattoo", "box": [5, 5, 10, 10], "action": "flag"},
                                 {"kind": "plate", "box": [0, 8, 2, 10], "action": "redact"}])
    assert m.sum() == 4


def test_12mp_composite_keeps_the_plate_pixels_and_shifts_the_boxes(tmp_path):
    import json
    import random

    import cv2

    from bench.plates_12mp import build, compose

    small, bg = photo(), np.full((100, 150, 3), 90, np.uint8)
    pic, x, y = compose(small, bg, (1200, 900), random.Random(0))
    assert pic.shape == (900, 1200, 3) and np.array_equal(pic[y:y + 200, x:x + 300], small)
    big = np.zeros((1000, 1300, 3), np.uint8)
    assert compose(big, bg, (1200, 900), random.Random(0))[1:] == (0, 0)  # larger than the picture: as it is

    for name in ("plates", "negs"):
        (tmp_path / name / "images").mkdir(parents=True)
    cv2.imwrite(str(tmp_path / "plates/images/car.png"), small)
    cv2.imwrite(str(tmp_path / "negs/images/wall.png"), bg)
    (tmp_path / "plates/truth.json").write_text(json.dumps(
        [{"file": "images/car.png", "kind": "plate", "boxes": [[10, 20, 60, 40]], "text": "AB123"}]))
    assert build(tmp_path / "plates", tmp_path / "negs", tmp_path / "out", size=(1200, 900)) == 1
    (row,) = json.loads((tmp_path / "out/truth.json").read_text())
    out = cv2.imread(str(tmp_path / "out" / row["file"]))
    x0, y0, x1, y1 = (int(v) for v in row["boxes"][0])
    assert out.shape == (900, 1200, 3) and (x1 - x0, y1 - y0) == (50, 20)
    assert np.array_equal(out[y0:y1, x0:x1], small[20:40, 10:60]) and row["text"] == "AB123"
