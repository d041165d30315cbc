"""`scanner apply` (issue 13): a reviewed findings file re-rendered into exactly the edited redactions.

The round trips scan real files with the real pipeline (decode, policy, tracking, H.264 encode), with a
deterministic detector for exact ground truth (saturated red patches, one finding each, as in test_video); one test
(`models`) scans a photo with the real OCR models. Then the findings file is edited as a reviewer would, applied, and
the output is checked pixel by pixel.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from scanner import api
from scanner.api import ScanOptions, Scanner
from scanner.cli import app
from scanner.detectors.base import Frame
from scanner.findings import Finding, FrameHit, ScanResult, SourceInfo
from scanner.findings_reader import FindingsError
from scanner.redact import redact_image
from scanner.review import (ReviewError, findings_by_frame, load_reviewed, locate_source, reviewed,
                            with_manual_completed)
from scanner.schema import validate

from test_video import H, W, _default_frame, decode, red_pixels, write_clip

runner = CliRunner()


class PatchesDetector:
    """Each saturated red patch is one finding (an 'MRN' with an exact ground truth)."""

    name = "patches"

    def detect(self, frame: Frame, prior: Sequence[Finding]) -> list[Finding]:
        rgb = frame.rgb.astype(int)
        mask = ((rgb[..., 0] > 180) & (rgb[..., 1] < 80) & (rgb[..., 2] < 80)).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        out = []
        for x, y, w, h, area in stats[1:]:
            if area >= 20 and x > 0 and y > 0 and x + w < mask.shape[1] and y + h < mask.shape[0]:
                out.append(Finding(kind="text", category="mrn", box=(int(x), int(y), int(x + w), int(y + h)),
                                   confidence=0.95, detector=self.name))
        return out


def patches_scanner() -> Scanner:
    sc = Scanner(ScanOptions(skip=("text", "faces")))
    sc.detectors = [PatchesDetector()]
    return sc


def _photo(path: Path) -> np.ndarray:
    rgb = np.full((240, 320, 3), 200, np.uint8)
    rgb[::7] = 120  # some texture, so a wrong fill or a shifted box shows
    rgb[40:60, 30:90] = (230, 20, 20)
    rgb[150:175, 180:260] = (230, 20, 20)
    Image.fromarray(rgb).save(path)
    return rgb


def _edit(findings_json: Path, edit) -> dict:
    doc = json.loads(findings_json.read_text())
    edit(doc)
    findings_json.write_text(json.dumps(doc))
    return doc


def _result(findings: list[Finding], w: int = 100, h: int = 80, verdict: str = "review") -> ScanResult:
    return ScanResult(source=SourceInfo(path="x.png", sha256="0" * 64, kind="image", width=w, height=h),
                      findings=findings, verdict=verdict)


def _f(fid: str, action: str = "redact", box=(10, 10, 30, 20), **kw) -> Finding:
    return Finding(kind="text", category="mrn", box=box, confidence=0.9, id=fid, action=action, **kw)


# ---------------------------------------------------------------------------------------------- pure logic


def test_manual_findings_get_what_the_contract_asks_and_their_boxes_clipped():
    doc = {"source": {"width": 100, "height": 80, "fps": 10.0},
           "findings": [{"id": "m1", "kind": "text"},
                        {"kind": "manual", "box": [-5, 10, 120, 90]},
                        {"kind": "manual", "box": [1, 2, 3, 4], "category": "name", "action": "flag",
                         "frames": [{"index": 15, "box": [0, 0, 200, 10]}]},
                        "not an object"]}
    out = with_manual_completed(doc)
    a, b = out["findings"][1], out["findings"][2]
    assert a["id"] == "m2" and b["id"] == "m3"  # m1 is taken
    assert a["box"] == [0, 10, 100, 80] and a["action"] == "redact" and a["confidence"] == 1.0
    assert a["category"] == "manual" and a["safe_harbor"] == "R" and a["severity"] == "high"
    assert b["category"] == "name" and b["safe_harbor"] == "A" and b["action"] == "flag"  # the reviewer's say
    assert b["frames"] == [{"index": 15, "box": [0, 0, 100, 10], "time": 1.5}]
    assert out["findings"][3] == "not an object"  # left for the reader to reject
    assert doc["findings"][1] == {"kind": "manual", "box": [-5, 10, 120, 90]}  # the input is not modified


def test_a_review_is_recorded_and_counts_rounds():
    r = _result([_f("f1"), _f("f2", "flag"), _f("f3")])
    reviewed(r, {"f1": "allow", "f2": "redact"}, manual=[[50, 50, 200, 70]], by="nurse")
    assert [f.action for f in r.findings[:3]] == ["allow", "redact", "redact"]
    assert [f.scanner_action for f in r.findings[:3]] == ["redact", "flag", "redact"]
    m = r.findings[3]
    assert (m.id, m.kind, m.box, m.action) == ("m1", "manual", (50, 50, 100, 70), "redact")
    assert r.review["by"] == "nurse" and r.review["rounds"] == 1 and r.review["added"] == ["m1"]
    assert r.review["changed"] == [{"id": "f1", "from": "redact", "to": "allow"},
                                   {"id": "f2", "from": "flag", "to": "redact"}]
    reviewed(r, {"f1": "redact"}, by="media office")  # a second round: changes stay relative to the scanner
    assert r.review["rounds"] == 2 and r.review["by"] == "media office"
    assert r.review["changed"] == [{"id": "f2", "from": "flag", "to": "redact"}]
    doc = r.to_json()
    validate(doc)
    assert [f.get("scanner_action") for f in doc["findings"]] == ["redact", "flag", "redact", None]


def test_everything_allowed_is_clear_and_bad_edits_are_one_line_errors():
    r = reviewed(_result([_f("f1"), _f("f2", "flag")]), {"f1": "allow", "f2": "allow"})
    assert r.verdict == "clear"
    for actions, manual, msg in (({"f9": "allow"}, (), "no finding 'f9'"),
                                 ({"f1": "delete"}, (), "action must be one of redact, flag, allow"),
                                 ({}, [[1, 2, 3]], "a manual box must be"),
                                 ({}, [["a", 2, 3, 4]], "a manual box must be"),
                                 ({}, [[200, 10, 300, 20]], "empty or outside the 100x80 source")):
        with pytest.raises(ReviewError, match=msg) as e:
            reviewed(_result([_f("f1")]), actions, manual)
        assert "\n" not in str(e.value)
    with pytest.raises(ReviewError, match="the scan did not finish"):
        reviewed(_result([], verdict="error"))


def test_findings_by_frame_draws_each_frame_box_and_keeps_frameless_boxes_everywhere():
    tracked = _f("f1", frames=[FrameHit(0, 0.0, (1, 1, 5, 5)), FrameHit(2, 0.2, (3, 1, 7, 5))])
    manual = Finding(kind="manual", category="manual", box=(0, 0, 9, 9), confidence=1.0, id="m1")
    meta = Finding(kind="metadata", category="metadata", box=(0, 0, 100, 80), confidence=1.0, id="f2")
    per_frame, always = findings_by_frame([tracked, manual, meta])
    assert sorted(per_frame) == [0, 2] and per_frame[2][0].box == (3, 1, 7, 5) and per_frame[2][0].id == "f1"
    assert always == [manual]


def test_the_source_is_found_where_the_scan_ran_or_beside_the_findings(tmp_path, monkeypatch):
    (tmp_path / "out").mkdir()
    findings = tmp_path / "out" / "a.findings.json"
    beside = tmp_path / "out" / "a.png"
    beside.write_bytes(b"x")
    r = _result([])
    r.source.path = "photos/a.png"
    assert locate_source(r, findings) == beside
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.png").write_bytes(b"x")
    monkeypatch.chdir(tmp_path)
    assert locate_source(r, findings) == Path("photos/a.png")
    assert locate_source(r, findings, tmp_path / "elsewhere.png") == tmp_path / "elsewhere.png"
    beside.unlink()
    r.source.path = "gone/b.png"
    with pytest.raises(ReviewError, match="not there"):
        locate_source(r, findings)


def test_a_reviewer_typo_is_rejected_by_the_reader_with_its_place():
    doc = _result([_f("f1")]).to_json()
    doc["findings"][0]["action"] = "delete"
    with pytest.raises(FindingsError, match=r"\$\.findings\[0\]\.action"):
        load_reviewed(doc)
    doc["findings"][0]["action"] = "allow"
    doc["findings"].append({"kind": "manual"})  # no box
    with pytest.raises(FindingsError, match=r"\$\.findings\[1\]\.box"):
        load_reviewed(doc)


# ---------------------------------------------------------------------------------------------- round trips


def test_photo_round_trip_gives_exactly_the_edited_redactions(tmp_path):
    src = tmp_path / "ward.png"
    rgb = _photo(src)
    r = patches_scanner().process(src, tmp_path / "out", redact=True)
    assert [f.box for f in r.findings] == [(30, 40, 90, 60), (180, 150, 260, 175)]
    fj = tmp_path / "out" / "ward.findings.json"

    def edit(doc):
        doc["findings"][0]["action"] = "allow"  # the reviewer keeps the first patch
        doc["findings"].append({"kind": "manual", "box": [200, 20, 300, 60]})  # and covers a missed spot

    _edit(fj, edit)
    res = runner.invoke(app, ["apply", str(fj), "--by", "reviewer 1"])
    assert res.exit_code == 0, res.output
    out = np.asarray(Image.open(tmp_path / "out" / "ward.redacted.png").convert("RGB"))
    done = load_reviewed(fj)
    np.testing.assert_array_equal(out, redact_image(rgb, done.findings, "fill"))
    np.testing.assert_array_equal(out[40:60, 30:90], rgb[40:60, 30:90])  # allowed: left as it was
    assert red_pixels(out[140:185, 170:270]) == 0 and not out[20:60, 200:300].any()
    assert done.review["by"] == "reviewer 1" and done.review["added"] == ["m1"]
    assert done.review["changed"] == [{"id": "f1", "from": "redact", "to": "allow"}]
    assert json.loads(fj.read_text())["outputs_sha256"]["redacted"]
    validate(json.loads(fj.read_text()))
    # Applying the written file again renders the same picture (the review is idempotent) and counts a round.
    assert runner.invoke(app, ["apply", str(fj), "--out", str(tmp_path / "again")]).exit_code == 0
    again = np.asarray(Image.open(tmp_path / "again" / "ward.redacted.png").convert("RGB"))
    np.testing.assert_array_equal(again, out)
    assert json.loads((tmp_path / "again" / "ward.findings.json").read_text())["review"]["rounds"] == 2


def test_a_changed_source_is_refused_and_nothing_is_written(tmp_path):
    src = tmp_path / "ward.png"
    _photo(src)
    patches_scanner().process(src, tmp_path / "out", redact=True)
    fj = tmp_path / "out" / "ward.findings.json"
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    rgb = np.asarray(Image.open(src)).copy()
    rgb[0, 0] = 0
    Image.fromarray(rgb).save(src)  # one pixel edited after the scan
    res = runner.invoke(app, ["apply", str(fj)])
    assert res.exit_code == 2
    line = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(line) == 1 and "not the file that was scanned" in line[0] and "ward.png" in line[0]
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == before
    bad = tmp_path / "bad.findings.json"
    bad.write_text("{not json")
    r = api.apply([bad])[0]
    assert r.verdict == "error" and str(bad) in r.error and "not valid JSON" in r.error


def test_animation_round_trip_keeps_allowed_and_paints_manual_boxes_in_their_frames(tmp_path):
    p = tmp_path / "anim.gif"
    frames = [Image.fromarray(_default_frame(t * 3)) for t in range(6)]
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=[80] * 6, loop=0)
    r = patches_scanner().process(p, tmp_path / "out", redact=True)
    assert r.verdict == "review" and len(r.findings) == 1
    fj = tmp_path / "out" / "anim.findings.json"

    def edit(doc):
        doc["findings"][0]["action"] = "allow"
        doc["findings"].append({"kind": "manual", "box": [0, 0, 40, 30], "frames": [
            {"index": 1, "box": [0, 0, 40, 30]}, {"index": 4, "box": [0, 0, 40, 30]}]})

    _edit(fj, edit)
    res = api.apply(fj)[0]
    assert res.verdict == "review" and res.error is None
    out = Image.open(res.outputs["redacted"])
    assert out.format == "GIF" and out.n_frames == 6
    for i in range(6):
        out.seek(i)
        rgb = np.asarray(out.convert("RGB"))
        assert red_pixels(rgb) >= 0.8 * red_pixels(np.asarray(frames[i])), i  # the allowed patch stays
        assert (rgb[0:30, 0:40].max() == 0) == (i in (1, 4)), i  # the manual box only where it was drawn


def test_video_round_trip_every_frame_and_the_audio(tmp_path):
    clip = tmp_path / "clip.mp4"
    write_clip(clip, n=30)
    r = patches_scanner().process(clip, tmp_path / "out", redact=True)
    assert r.verdict == "review" and len(r.findings) == 1
    fj = tmp_path / "out" / "clip.findings.json"
    _edit(fj, lambda doc: doc["findings"].append({"kind": "manual", "box": [10, 80, 70, 120]}))
    res = api.apply(fj, tmp_path / "applied", by="media office")[0]
    assert res.error is None and res.review["added"] == ["m1"] and res.review["changed"] == []
    frames, info = decode(Path(res.outputs["redacted"]))
    assert len(frames) == 30 and info["audio"] == 1
    ours, _ = decode(Path(r.outputs["redacted"]))
    for i, (f, scanned) in enumerate(zip(frames, ours)):
        assert red_pixels(f) == 0, i  # the patch: redacted, as the scan's copy did
        assert f[84:116, 14:66].max() < 40, i  # the manual box, in every frame (black, to codec noise)
        # Elsewhere the picture is the scan's redacted copy, to codec noise.
        assert np.abs(f[:70].astype(int) - scanned[:70].astype(int)).mean() < 3, i
    # Now the reviewer allows the tracked patch: it stays red in every frame it is in.
    _edit(fj, lambda doc: doc["findings"][0].update(action="allow"))
    res = api.apply(fj, tmp_path / "applied2")[0]
    frames, _ = decode(Path(res.outputs["redacted"]))
    assert all(red_pixels(f) > 200 for f in frames[12:]) and res.review["changed"][0]["to"] == "allow"
    assert (tmp_path / "applied2" / "clip.annotated.mp4").exists()


@pytest.mark.models
def test_real_scan_edit_apply_of_a_photo(ward_photo, tmp_path):
    """The real OCR models: the reviewer keeps the MRN (say it is a demo record) and adds a box; the output is
    exactly the edited redactions."""
    r = api.redact(ward_photo, tmp_path)
    mrn = next(f for f in r.findings if f.category == "mrn")
    fj = Path(r.outputs["findings"])

    def edit(doc):
        next(f for f in doc["findings"] if f["id"] == mrn.id)["action"] = "allow"
        doc["findings"].append({"kind": "manual", "box": [500, 500, 900, 560]})

    _edit(fj, edit)
    res = api.apply(fj)[0]
    assert res.error is None
    rgb = np.asarray(Image.open(ward_photo).convert("RGB"))
    out = np.asarray(Image.open(res.outputs["redacted"]).convert("RGB"))
    np.testing.assert_array_equal(out, redact_image(rgb, res.findings, r.settings["style"]))
    x0, y0, x1, y1 = mrn.box
    np.testing.assert_array_equal(out[y0:y1, x0:x1], rgb[y0:y1, x0:x1])
    assert not out[500:560, 500:900].any()
