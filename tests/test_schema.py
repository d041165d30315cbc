"""The findings JSON Schema shipped in the package: valid itself, in step with findings.py, accepts what scanner
writes (image, video, error) and rejects what breaks the contract."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import jsonschema
import pytest

from scanner import schema
from scanner.api import ScanOptions, Scanner
from scanner.detectors import REGISTRY
from scanner.findings import ACTIONS, KINDS, SEVERITIES, VERDICTS, Finding, FrameHit, ScanResult, SourceInfo

NO_DETECTORS = tuple(name for name, _ in REGISTRY)


def test_schema_is_a_valid_draft_2020_12_schema_and_ships_in_the_package():
    jsonschema.Draft202012Validator.check_schema(schema.findings_schema())
    assert (Path(schema.__file__).parent / "findings.schema.json").is_file()


def test_schema_enums_follow_findings_constants():
    s = schema.findings_schema()
    f = s["$defs"]["finding"]["properties"]
    assert tuple(f["kind"]["enum"]) == KINDS
    assert tuple(f["severity"]["enum"]) == SEVERITIES
    assert set(f["action"]["enum"]) == set(ACTIONS) - {"ignore"}  # ignored findings are dropped, never written
    assert tuple(s["properties"]["verdict"]["enum"]) == VERDICTS


def _video_doc() -> dict:
    f = Finding(kind="text", category="name", box=(10, 10, 90, 30), confidence=0.93, text="Maria Garcia",
                id="f1", detector="text", note="label 'Patient:'",
                frames=[FrameHit(0, 0.0, (10, 10, 90, 30)), FrameHit(12, 0.4, (12, 10, 92, 30))])
    r = ScanResult(source=SourceInfo(path="ward/clip.mp4", sha256="a" * 64, kind="video", width=1280, height=720,
                                     fps=30.0, frames=90, duration=3.0),
                   findings=[f], verdict="review", outputs={"annotated": "o/clip.annotated.mp4"},
                   output_sha256={"annotated": "b" * 64}, warnings=["audio track present and not scanned"],
                   timings={"total_s": 2.5}, settings=ScanOptions().settings())
    return r.to_json()


def test_video_document_with_frames_validates():
    schema.validate(_video_doc())


def test_documents_scanner_writes_validate(tmp_path):
    from PIL import Image

    good = tmp_path / "a.png"
    Image.new("RGB", (40, 30), (200, 200, 200)).save(good)
    bad = tmp_path / "b.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    sc = Scanner(ScanOptions(skip=NO_DETECTORS))
    for p, verdict in ((good, "clear"), (bad, "error")):
        r = sc.process(p, tmp_path / "out", redact=True)
        doc = json.loads(Path(r.outputs["findings"]).read_text())
        assert doc["verdict"] == verdict
        schema.validate(doc)


@pytest.mark.parametrize("break_it, where", [
    (lambda d: d.update(verdict="clear"), "findings"),  # clear with a finding to redact: a false clear
    (lambda d: d.update(verdict="error"), "error"),  # an error must say why
    (lambda d: d["findings"][0].update(box=[1, 2, 3]), "findings/0/box"),
    (lambda d: d["findings"][0].update(kind="smell"), "findings/0/kind"),
    (lambda d: d["findings"][0].update(confidence=1.5), "findings/0/confidence"),
    (lambda d: d["findings"][0].update(action="ignore"), "findings/0/action"),
    (lambda d: d["source"].update(sha256="xyz"), "source/sha256"),
    (lambda d: d.update(surprise=1), "surprise"),
    (lambda d: d.pop("warnings"), "warnings"),
])
def test_contract_breaks_are_rejected_with_where(break_it, where):
    doc = copy.deepcopy(_video_doc())
    break_it(doc)
    errs = schema.errors(doc)
    assert errs, "schema accepted a broken document"
    assert any(where in e for e in errs), errs
    with pytest.raises(schema.SchemaError):
        schema.validate(doc)
