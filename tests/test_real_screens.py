"""Real screenshots (../shared/real/ehr_dev, hand-checked truth) through the real pipeline, scored the way the
project is judged (bench/real.py); plus the scorer itself on made-up pixels."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench.real import DEFAULT_SET, SetScore, destroyed, run_set, score_image

REAL = DEFAULT_SET
needs_real = pytest.mark.skipif(not (REAL / "truth.json").is_file(), reason="../shared/real/ehr_dev not present")


def texture(h=40, w=120, seed=0):
    return np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)


def test_destroyed_rule():
    img = texture()
    assert not destroyed(img, img.copy(), (10, 10, 100, 30))  # untouched: readable
    filled = img.copy()
    filled[10:30, 10:100] = 0
    assert destroyed(img, filled, (10, 10, 100, 30))
    assert destroyed(img, img, (10, 10, 12, 12))  # under 4 px: nothing to read


def test_score_image_counts_flagged_leaks_and_over_redaction():
    img = texture()
    red = img.copy()
    red[0:20, 0:60] = 0  # the first PHI box and the non-PHI box under it are painted
    rows = [{"kind": "text", "phi": True, "entity": "name", "boxes": [[0, 0, 60, 20]], "text": "a"},
            {"kind": "text", "phi": True, "entity": "mrn", "boxes": [[60, 0, 120, 20]], "text": "b"},
            {"kind": "text", "phi": True, "entity": "mrn", "boxes": [[60, 20, 120, 40]], "text": "c"},
            {"kind": "text_nonphi", "boxes": [[5, 5, 50, 15]], "text": "d"},
            {"kind": "text_staff", "boxes": [[0, 20, 60, 40]], "text": "e"}]
    s = SetScore("t")
    score_image(s, "x.png", rows, img, red, [{"box": [60, 0, 120, 20], "action": "flag"}], "review")
    assert s.phi == {"name": 1, "mrn": 2} and s.destroyed == {"name": 1}
    assert s.flagged == {"mrn": 1}  # found, only flagged: published readable
    assert [why for *_, why in s.leaks] == ["flagged", "missed"]
    assert (s.keep_total, s.keep_kept) == (1, 0)


def test_score_image_counts_clear_negatives():
    s = SetScore("t")
    img = texture()
    score_image(s, "n.png", [{"kind": "none", "boxes": []}], img, img, [], "clear")
    score_image(s, "m.png", [{"kind": "none", "boxes": []}], img, img, [], "review")
    assert (s.neg_clear, s.neg_total) == (1, 2)


@needs_real
@pytest.mark.models
def test_real_screenshots_are_redacted_and_a_login_page_is_clear(tmp_path):
    """A patient list (table under ID / Name / Date headers), a people list with non-census names, a login page:
    redacted through the real OCR and the real pipeline, scored on the hand-checked boxes."""
    from scanner.api import ScanOptions, Scanner

    names = ["bahmni__Registration_Patient_Search_Results_Page.png", "chtdocs__people-desktop.png",
             "chtdocs__login-desktop.png"]
    truth = [r for r in json.loads((REAL / "truth.json").read_text()) if Path(r["file"]).name in names]
    (tmp_path / "set" / "images").mkdir(parents=True)
    for n in names:
        (tmp_path / "set" / "images" / n).symlink_to(REAL / "images" / n)
    (tmp_path / "set" / "truth.json").write_text(json.dumps(truth))
    s = run_set(tmp_path / "set", Scanner(ScanOptions()))
    assert not s.errors
    assert s.recall >= 0.9, s.leaks
    assert s.destroyed["mrn"] == s.phi["mrn"]  # every row of the table, not the first only
    assert s.keep_kept >= 0.9 * s.keep_total, s.over
    assert (s.neg_clear, s.neg_total) == (1, 1)
