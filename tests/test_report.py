"""The HTML report: ordering, masking, escaping, self-containment (pure tests), then the page as a person sees it,
rendered by headless Chromium (DOM after the page's JS ran, category filter, screenshot)."""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image

from scanner.batch import BatchResult, FileOutcome, scan_folder
from scanner.detectors import REGISTRY
from scanner.report import card_order, masked_findings, render_report, thumbnail_jpeg

NO_DETECTORS = tuple(name for name, _ in REGISTRY)


def _doc(verdict="review", findings=(), include_text=False, error=None, path="x.jpg") -> dict:
    d = {"schema": 1, "source": {"path": path, "sha256": "a" * 64, "kind": "image", "width": 100, "height": 80,
                                 "fps": None, "frames": 1, "duration": None},
         "verdict": verdict, "findings": list(findings), "outputs": {}, "warnings": [], "timings": {},
         "tool": {"name": "scanner", "version": "0", "settings": {"include_text": include_text}}}
    if error:
        d["error"] = error
    return d


def _f(category="name", severity="high", text="Maria Garcia", action="redact", kind="text", box=(10, 10, 50, 30)):
    return {"id": "f1", "kind": kind, "category": category, "safe_harbor": "A", "context": None, "text": text,
            "confidence": 0.9, "severity": severity, "action": action, "box": list(box)}


def _o(name, doc, skipped=False) -> FileOutcome:
    return FileOutcome(Path(name), Path(name), doc, skipped=skipped)


# -------------------------------------------------------------------------------------------------- pure logic

def test_cards_worst_first():
    outs = [_o("clear.jpg", _doc("clear")),
            _o("medium.jpg", _doc(findings=[_f(severity="medium")] * 5)),
            _o("high_one.jpg", _doc(findings=[_f()])),
            _o("error.jpg", _doc("error", error="truncated image")),
            _o("high_three.jpg", _doc(findings=[_f()] * 3))]
    assert [o.rel.name for o in card_order(outs)] == ["error.jpg", "high_three.jpg", "high_one.jpg", "medium.jpg",
                                                      "clear.jpg"]


def test_text_is_masked_even_when_the_findings_file_holds_it_raw():
    assert masked_findings(_doc(findings=[_f()], include_text=True))[0]["text"] == "M**** G*****"
    already = masked_findings(_doc(findings=[_f(text="M**** G*****")]))  # masked once, not twice
    assert already[0]["text"] == "M**** G*****"


def test_page_is_self_contained_escaped_and_filterable(tmp_path):
    evil = "<script>alert(1)</script>.jpg"
    res = BatchResult(out_dir=tmp_path, files=[
        _o(evil, _doc(findings=[_f(text="<b>Garcia</b>")], include_text=True)),
        _o("ok.jpg", _doc("clear"), skipped=True)])
    page = render_report(res, tmp_path)
    assert "<script>alert(1)" not in page and "&lt;script&gt;" in page
    assert "Garcia" not in page  # masked: G*****
    assert "default-src 'none'" in page  # the page may load nothing from anywhere
    assert not re.search(r"""(src|href)=["']https?:""", page)
    assert 'data-cats="name"' in page and 'data-cat="name"' in page
    assert "unchanged since last run" in page


def test_thumbnail_covers_every_finding_box(tmp_path):
    rgb = np.full((400, 600, 3), 255, np.uint8)
    rgb[100:140, 200:400] = 0  # "text"
    p = tmp_path / "a.annotated.png"
    Image.fromarray(rgb).save(p)
    data = thumbnail_jpeg(p, [_f(box=(200, 100, 400, 140)), _f(kind="metadata", box=(0, 0, 600, 400))],
                          max_side=300)
    thumb = np.asarray(Image.open(io.BytesIO(data)).convert("RGB")).astype(int)
    assert thumb.shape[:2] == (200, 300)
    inside = thumb[55:65, 110:190]
    assert inside[..., 0].mean() > 180 and inside[..., 1].mean() < 90  # severity red, no black text left
    assert thumb[10:40, 10:60].mean() > 240  # the metadata finding's whole-image box is not painted


# ---------------------------------------------------------------------------------------- in a real browser

def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


CHROMIUM = _chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and os.environ.get("CI", "").lower() != "true",
    reason="chromium not installed (Debian packages chromium + chromium-driver; `make venv` installs them)")


def _browser(tmp_path: Path, *args: str) -> str:
    assert CHROMIUM, "chromium is required in CI (APT_PACKAGES in the Makefile)"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--no-first-run", "--hide-scrollbars",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", *args]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


@pytest.fixture(scope="module")
def batch_report(tmp_path_factory) -> tuple[Path, BatchResult]:
    root = tmp_path_factory.mktemp("rep")
    src = root / "ward"
    (src / "sub").mkdir(parents=True)
    e = Image.Exif()
    e[ExifTags.IFD.GPSInfo] = {1: "N", 2: (40.0, 26.0, 0.0), 3: "W", 4: (79.0, 59.0, 0.0)}
    Image.new("RGB", (320, 240), (90, 140, 200)).save(src / "gps.jpg", exif=e.tobytes())
    Image.new("RGB", (320, 240), (200, 200, 190)).save(src / "sub" / "plain.png")
    (src / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    out = root / "out"
    res = scan_folder(src, out, workers=1, skip=NO_DETECTORS)
    return out, res


@needs_chromium
def test_report_renders_cards_worst_first_and_js_runs(batch_report, tmp_path):
    out, res = batch_report
    dom = _browser(tmp_path, "--dump-dom", (out / "report.html").as_uri())
    cards = re.findall(r'<article class="card v-(\w+)[^"]*" data-verdict="\w+" data-cats="([^"]*)"', dom)
    assert [v for v, _ in cards] == ["error", "review", "clear"]
    assert cards[1][1] == "metadata"
    assert "showing 3 of 3" in dom  # written by the page's script: it ran
    assert dom.count('src="data:image/jpeg;base64,') == 2  # the unreadable file has no thumbnail
    assert 'href="ward/sub/plain.annotated.png"' in dom and 'href="ward/gps.findings.json"' in dom
    for href in re.findall(r'<nav>.*?</nav>', dom):
        for link in re.findall(r'href="([^"]+)"', href):
            assert (out / link).is_file(), link  # every link resolves, relative to the report


@needs_chromium
def test_category_filter_hides_other_cards(batch_report, tmp_path):
    out, _ = batch_report
    dom = _browser(tmp_path, "--dump-dom", (out / "report.html").as_uri() + "#metadata")
    visible = re.findall(r'<article class="card v-(\w+)"', dom)  # no "hidden" class
    hidden = re.findall(r'<article class="card v-(\w+) hidden"', dom)
    assert visible == ["review"] and sorted(hidden) == ["clear", "error"]
    assert "showing 1 of 3" in dom
    assert re.search(r'class="chip" data-cat="metadata" aria-pressed="true"', dom)


@needs_chromium
def test_screenshot_shows_the_summary(batch_report, tmp_path):
    out, _ = batch_report
    shot = tmp_path / "report.png"
    _browser(tmp_path, f"--screenshot={shot}", "--window-size=1280,900", (out / "report.html").as_uri())
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert img.shape[:2] == (900, 1280)

    def has(colour):  # the verdict tiles' colours are on screen
        return (np.abs(img - np.array(colour)).sum(axis=2) < 30).sum() > 2000

    assert has((198, 40, 40)) and has((224, 138, 0)) and has((46, 125, 50))
