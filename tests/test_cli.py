"""The command line over folders: bad policies and bad arguments fail in one line (exit 2) before any model loads;
one real-model run checks scan → resume → redact of a folder with 2 workers end to end."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from scanner.cli import app
from scanner.schema import validate

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]


def _one_line_error(res, *needles: str) -> None:
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert "Traceback" not in res.output
    assert len(lines) == 1, res.stderr
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.fixture
def photo(tmp_path) -> Path:
    p = tmp_path / "in" / "a.png"
    p.parent.mkdir()
    Image.new("RGB", (64, 48), (200, 200, 200)).save(p)
    return p


@pytest.mark.parametrize("toml, key", [
    ('colour = "red"\n', "colour"),
    ('[actions]\nnmae = "redact"\n', "actions.nmae"),
    ('[actions]\nname = "delete"\n', "actions.name"),
    ('actions = "redact"\n', "actions"),
    ('min_confidence = 2\n', "min_confidence"),
    ('ignore_below = 0.6\n', "ignore_below"),
    ('[thresholds]\nface = "high"\n', "thresholds.face"),
    ('deny_terms = "Garcia"\n', "deny_terms"),
    ('style = "smudge"\n', "style"),
    ('allow_faces = "no-such-folder"\n', "allow_faces"),
    ('min_confidence = \n', "not valid TOML"),
])
def test_invalid_policy_is_one_line_naming_the_key(photo, tmp_path, toml, key):
    pol = tmp_path / "scanner.toml"
    pol.write_text(toml)
    res = runner.invoke(app, ["scan", str(photo.parent), "--out", str(tmp_path / "out"), "--policy", str(pol)])
    assert res.exit_code == 2
    _one_line_error(res, "scanner.toml", key)
    assert not (tmp_path / "out").exists()  # nothing ran


def test_missing_policy_file(photo, tmp_path):
    res = runner.invoke(app, ["redact", str(photo), "--out", str(tmp_path / "o"), "--policy", str(tmp_path / "x.toml")])
    assert res.exit_code == 2
    _one_line_error(res, "x.toml", "not found")


def test_example_policy_in_repo_is_valid_and_documents_every_key():
    from scanner.policy import Policy

    text = (REPO / "scanner.example.toml").read_text()
    pol = Policy.from_dict(__import__("tomllib").loads(text), source="scanner.example.toml")
    assert pol.actions["room"] == "flag" and pol.deny_terms and pol.allow_terms and pol.style == "fill"
    for key in ("actions", "min_confidence", "ignore_below", "thresholds", "allow_terms", "deny_terms", "style",
                "allow_faces", "redact_screens"):
        assert key in text, f"scanner.example.toml does not document {key}"


def test_bad_workers_and_nothing_to_scan(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("x")
    res = runner.invoke(app, ["scan", str(tmp_path / "docs"), "--out", str(tmp_path / "o"), "--workers", "0"])
    assert res.exit_code == 2 and "--workers" in res.stderr
    res = runner.invoke(app, ["scan", str(tmp_path / "docs"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "skipped" in res.stderr and "notes.txt" in res.stderr and "nothing to scan" in res.stderr
    res = runner.invoke(app, ["scan", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "no such file or folder" in res.stderr


@pytest.mark.models
def test_folder_scan_resume_and_redact_with_two_workers(ward_photo, sign_photo, tmp_path):
    src = tmp_path / "shoot"
    (src / "desk").mkdir(parents=True)
    (src / "desk" / ward_photo.name).write_bytes(ward_photo.read_bytes())
    (src / sign_photo.name).write_bytes(sign_photo.read_bytes())
    (src / "shot-list.txt").write_text("not media")
    out = tmp_path / "out"
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    cli = [sys.executable, "-m", "scanner.cli"]

    first = subprocess.run([*cli, "scan", str(src), "--out", str(out), "--workers", "2"], cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=600)
    assert first.returncode == 1, first.stderr  # the EHR photo needs review
    assert "Traceback" not in first.stderr and "skipped" in first.stderr
    docs = {p.relative_to(out).as_posix(): json.loads(p.read_text()) for p in out.rglob("*.findings.json")}
    assert set(docs) == {"shoot/desk/ward photo.findings.json", "shoot/sign.findings.json"}
    for d in docs.values():
        validate(d)
    ward = docs["shoot/desk/ward photo.findings.json"]
    assert ward["verdict"] == "review" and {"name", "mrn"} <= {f["category"] for f in ward["findings"]}
    assert "GARCIA" not in json.dumps(ward)  # masked in the findings file
    assert docs["shoot/sign.findings.json"]["verdict"] == "clear"
    page = (out / "report.html").read_text()
    assert "GARCIA" not in page and page.index("ward photo") < page.index("sign.jpg")  # worst first

    again = subprocess.run([*cli, "scan", str(src), "--out", str(out)], cwd=REPO, env=env, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 1 and "2 file(s) unchanged" in again.stderr, again.stderr

    red = subprocess.run([*cli, "redact", str(src), "--out", str(out), "--workers", "2"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=600)
    assert red.returncode == 0, red.stderr
    assert (out / "shoot" / "desk" / "ward photo.redacted.png").is_file()
    assert (out / "shoot" / "sign.redacted.jpg").is_file()
    assert not list(out.rglob("*.part*"))


def test_policy_allow_faces_is_relative_to_the_policy_file(tmp_path, monkeypatch):
    from scanner.policy import Policy

    (tmp_path / "cfg" / "consenting-staff").mkdir(parents=True)
    pol = tmp_path / "cfg" / "scanner.toml"
    pol.write_text('allow_faces = "consenting-staff"\n')
    monkeypatch.chdir(tmp_path)  # run from elsewhere: the folder is still found beside the policy
    assert Path(Policy.from_file(pol).allow_faces) == tmp_path / "cfg" / "consenting-staff"


def test_help_and_the_package_load_no_numeric_or_model_code():
    """`scanner --help` must be instant: the command line and `import scanner` load NumPy, OpenCV, ONNX Runtime
    and the detectors only when a scan runs; the public names still resolve on first use."""
    code = ("import sys, scanner, scanner.cli\n"
            "heavy = [m for m in ('numpy', 'cv2', 'onnxruntime', 'torch', 'scanner.api') if m in sys.modules]\n"
            "assert not heavy, heavy\n"
            "assert scanner.ScanOptions().ocr == 'rapid' and 'numpy' not in sys.modules\n"
            "assert callable(scanner.scan) and callable(scanner.scan_folder) and scanner.Finding\n"
            "from scanner.redact import redact_image  # the submodule named like the function\n"
            "assert callable(scanner.redact) and scanner.redact.__module__ == 'scanner.api'\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
