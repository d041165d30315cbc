"""The real pipeline (real OCR and face models, real files) on a few small scenes. Kept few: each loads models."""
from __future__ import annotations

import json
import hashlib

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import scanner
from scanner.cli import app

pytestmark = pytest.mark.models
runner = CliRunner()


def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_scan_finds_phi_keeps_sign_and_writes_contract(ward_photo, tmp_path):
    before = _sha(ward_photo)
    r = scanner.redact(ward_photo, tmp_path)
    assert _sha(ward_photo) == before  # input untouched
    assert r.verdict == "review"
    cats = {f.category for f in r.findings if f.action == "redact"}
    assert "name" in cats and "mrn" in cats and ("dob" in cats or "date" in cats)
    texts = " ".join(f.text or "" for f in r.findings)
    assert "hygiene" not in texts.lower()  # signage is not PHI
    doc = json.loads((tmp_path / "ward photo.findings.json").read_text())
    assert doc["verdict"] == "review" and doc["source"]["sha256"] == before
    assert all("*" in f["text"] for f in doc["findings"] if f["kind"] == "text")  # masked by default
    assert "GARCIA" not in json.dumps(doc)
    for key in ("annotated", "redacted"):
        out = tmp_path / f"ward photo.{key}.png"
        assert out.exists() and doc["outputs"][key] == str(out)
        assert doc["outputs_sha256"][key] == _sha(out)
    red = np.array(Image.open(tmp_path / "ward photo.redacted.png"))
    name_box = next(f.box for f in r.findings if f.category == "name")
    x0, y0, x1, y1 = name_box
    assert (red[y0:y1, x0:x1] == 0).all()


def test_cli_scan_exit_codes_and_bad_input_in_same_batch(ward_photo, sign_photo, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    out = tmp_path / "out"
    res = runner.invoke(app, ["scan", str(ward_photo), str(bad), str(empty), str(sign_photo), "--out", str(out)])
    assert res.exit_code == 2, res.output
    err_lines = [l for l in res.stderr.splitlines() if l.startswith("scanner: ") and "note" not in l]
    assert any("broken.jpg" in l for l in err_lines) and any("empty.png" in l for l in err_lines)
    assert "Traceback" not in res.output
    # the good files were still processed
    assert (out / "ward photo.findings.json").exists() and (out / "sign.findings.json").exists()
    assert json.loads((out / "broken.findings.json").read_text())["verdict"] == "error"
    assert not (out / "broken.annotated.jpg").exists()  # nothing that looks like a finished output
    assert json.loads((out / "sign.findings.json").read_text())["verdict"] == "clear"

    res = runner.invoke(app, ["scan", str(sign_photo), "--out", str(tmp_path / "o2")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["scan", str(ward_photo), "--out", str(tmp_path / "o3"), "--json"])
    assert res.exit_code == 1
    assert json.loads(res.stdout)["verdict"] == "review"
