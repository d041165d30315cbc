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
