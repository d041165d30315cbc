"""`scanner serve` (issue 13): the HTTP contract and its security cases over real HTTP, and the page in a real
Chromium (Debian chromium + chromium-driver, driven by Selenium).

The server runs the real pipeline; most tests give it the deterministic red-patch detector of test_review (exact
ground truth, fast), the browser test runs the real OCR and face models on a bundled sample photo.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scanner import api
from scanner.findings import Finding
from scanner.redact import redact_image
from scanner.review import load_reviewed
from scanner.web.jobs import safe_name
from scanner.web.server import WebServer
from scanner.web.summary import describe, plain_summary

from test_review import PatchesDetector, _photo
from test_video import write_clip

ROOT = Path(__file__).resolve().parents[1]


def patches_scanner_for(style: str):
    sc = api.Scanner(api.ScanOptions(skip=("text", "faces"), style=style))
    sc.detectors = [PatchesDetector()]
    return sc


@pytest.fixture(scope="module")
def server():
    s = WebServer(port=0, max_upload=2 << 20, scanner_for=patches_scanner_for).start()
    yield s
    s.stop()


def request(server, method: str, path: str, body: bytes = b"", headers: dict | None = None):
    c = http.client.HTTPConnection(server.host, server.port, timeout=120)
    h = {"Host": f"{server.host}:{server.port}", **(headers or {})}
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict(r.getheaders()), data


def multipart(name: str, data: bytes, fields: dict | None = None) -> tuple[bytes, dict]:
    boundary = uuid.uuid4().hex
    parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
             for k, v in (fields or {}).items()]
    parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def upload(server, name: str, data: bytes, **fields):
    body, headers = multipart(name, data, fields)
    return request(server, "POST", "/api/scan", body, headers)


# ---------------------------------------------------------------------------------------------- pure parts


def test_plain_summary_says_what_and_where_in_plain_words():
    def f(cat, ctx=None, kind="text", action="redact", y=0):
        return Finding(kind=kind, category=cat, box=(0, y, 10, y + 10), confidence=0.9, context=ctx, action=action)

    assert plain_summary([]) == "Nothing found that identifies a patient."
    assert plain_summary([f("name", "monitor"), f("identifier", "wristband", y=20)]) == \
        "2 things identify a patient: a name on a monitor, an identifying number on a wristband"
    assert plain_summary([f("face", kind="face"), f("name", "whiteboard", y=5), f("name", "whiteboard", y=9),
                          f("plate", "plate", kind="plate", action="allow")]) == \
        "3 things identify a patient: a face, a name on a whiteboard (2)"
    assert plain_summary([f("mrn", action="flag")]) == ("1 thing identifies a patient: a medical record number "
                                                        "(1 only flagged: visible in the copy unless you check it)")
    assert describe(f("name", "reflection", kind="reflection")) == "a name in a reflection"
    assert describe(f("screen", "whiteboard", kind="screen")) == "a whiteboard that may show patient data"


def test_upload_names_are_made_harmless():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\nurse\\My Selfie (1).JPG") == "My_Selfie_1_.jpg"
    assert safe_name(".bashrc") == "bashrc" and safe_name("") == "upload" and safe_name("....") == "upload"
    assert safe_name("a" * 300 + ".png") == "a" * 80 + ".png"


# ---------------------------------------------------------------------------------------------- over HTTP


def test_health_page_and_security_headers(server):
    status, headers, body = request(server, "GET", "/healthz")
    assert status == 200 and body == b"ok"
    status, headers, body = request(server, "GET", "/")
    assert status == 200 and b'<script src="/static/app.js"' in body
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    for name in ("app.js", "app.css"):
        assert request(server, "GET", f"/static/{name}")[0] == 200
    page = (ROOT / "scanner/web/static/index.html").read_text() + (ROOT / "scanner/web/static/app.css").read_text()
    assert "http://" not in page and "https://" not in page  # no external fonts, scripts or requests


def test_dns_rebinding_and_other_origins_get_403(server):
    assert request(server, "GET", "/healthz", headers={"Host": f"evil.example:{server.port}"})[0] == 403
    assert request(server, "GET", "/healthz", headers={"Host": "127.0.0.1:1"})[0] == 403
    assert request(server, "GET", "/healthz", headers={"Host": f"localhost:{server.port}"})[0] == 200
    body, headers = multipart("a.png", b"x")
    status, _, _ = request(server, "POST", "/api/scan", body, {**headers, "Origin": "http://evil.example"})
    assert status == 403  # another site's page posting to this server
    assert request(server, "GET", "/healthz", headers={"Origin": f"http://127.0.0.1:{server.port}"})[0] == 200


def test_too_large_uploads_get_413_with_or_without_a_length(server):
    body, headers = multipart("big.png", b"\0" * (3 << 20))
    status, _, data = request(server, "POST", "/api/scan", body, headers)
    assert status == 413 and b"limit is 2 MiB" in data
    c = http.client.HTTPConnection(server.host, server.port, timeout=60)  # chunked: no Content-Length to check
    c.putrequest("POST", "/api/scan", skip_host=True)
    c.putheader("Host", f"{server.host}:{server.port}")
    c.putheader("Content-Type", headers["Content-Type"])
    c.putheader("Transfer-Encoding", "chunked")
    c.endheaders()
    for i in range(0, len(body), 1 << 16):
        piece = body[i:i + (1 << 16)]
        try:
            c.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            break
    try:
        c.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    r = c.getresponse()
    assert r.status == 413
    c.close()


def test_bad_files_get_422_with_the_one_line_error(server):
    status, _, data = upload(server, "notes.jpg", b"this is not a picture")
    assert status == 422
    msg = json.loads(data)["error"]
    assert msg.startswith("notes.jpg: ") and "\n" not in msg
    assert upload(server, "a.png", b"x", style="sepia")[0] == 400
    assert request(server, "POST", "/api/scan", b"{}", {"Content-Type": "application/json"})[0] == 400


def test_no_endpoint_reaches_outside_its_job(server):
    for path in ("/static/..%2fserver.py", "/static/server.py", "/api/jobs/..%2f..%2fetc", "/api/jobs/x/redacted",
                 "/api/jobs/" + "0" * 32 + "/redacted", "/api/jobs/" + "0" * 32):
        assert request(server, "GET", path)[0] == 404, path
    assert oct(server.jobs.root.stat().st_mode & 0o777) == "0o700"


def test_photo_scan_apply_and_download(server, tmp_path):
    src = tmp_path / "ward.png"
    rgb = _photo(src)
    status, _, data = upload(server, "ward.png", src.read_bytes())
    assert status == 200
    doc = json.loads(data)
    job = doc["job"]
    assert doc["verdict"] == "review" and len(doc["findings"]) == 2 and doc["summary"].startswith("2 things")
    assert doc["outputs"]["redacted"] == f"/api/jobs/{job}/redacted" and str(tmp_path) not in data.decode()
    status, headers, png = request(server, "GET", doc["outputs"]["redacted"])
    assert status == 200 and headers["content-type"] == "image/png"
    edits = {"actions": {"f1": "allow"}, "manual": [[200, 20, 300, 60]]}
    status, _, data = request(server, "POST", f"/api/jobs/{job}/apply", json.dumps(edits).encode(),
                              {"Content-Type": "application/json"})
    assert status == 200, data
    applied = json.loads(data)
    assert applied["review"]["changed"] == [{"id": "f1", "from": "redact", "to": "allow"}]
    assert [f["id"] for f in applied["findings"]][-1] == "m1"
    _, _, png = request(server, "GET", applied["outputs"]["redacted"])
    (tmp_path / "got.png").write_bytes(png)
    got = np.asarray(Image.open(tmp_path / "got.png").convert("RGB"))
    _, _, findings = request(server, "GET", applied["outputs"]["findings"])
    (tmp_path / "f.json").write_bytes(findings)
    np.testing.assert_array_equal(got, redact_image(rgb, load_reviewed(tmp_path / "f.json").findings, "fill"))
    # A second apply starts from the scan again: the first one's box is not carried over.
    status, _, data = request(server, "POST", f"/api/jobs/{job}/apply", b'{"actions": {}}',
                              {"Content-Type": "application/json"})
    assert status == 200 and not any(f["kind"] == "manual" for f in json.loads(data)["findings"])
    for bad in (b'{"actions": {"f7": "allow"}}', b'{"manual": [[1, 2]]}'):
        status, _, data = request(server, "POST", f"/api/jobs/{job}/apply", bad, {"Content-Type": "application/json"})
        assert status == 422 and json.loads(data)["error"], bad
    assert request(server, "POST", f"/api/jobs/{job}/apply", b"[1", {"Content-Type": "application/json"})[0] == 400


def test_clip_is_202_then_polled_to_done(server, tmp_path):
    clip = tmp_path / "clip.mp4"
    write_clip(clip, n=20)
    status, _, data = upload(server, "clip.mp4", clip.read_bytes())
    assert status == 202
    job = json.loads(data)["job"]
    deadline = time.monotonic() + 120
    while True:
        status, _, data = request(server, "GET", f"/api/jobs/{job}")
        doc = json.loads(data)
        if doc.get("state") not in ("queued", "running"):
            break
        assert time.monotonic() < deadline, "the clip never finished"
        time.sleep(0.2)
    assert status == 200 and doc["verdict"] == "review" and doc["source"]["kind"] == "video"
    status, headers, mp4 = request(server, "GET", doc["outputs"]["redacted"])
    assert status == 200 and headers["content-type"] == "video/mp4" and len(mp4) > 1000


def test_cli_serve_prints_the_url_first_and_removes_its_folder_on_ctrl_c(tmp_path):
    env = dict(os.environ, TMPDIR=str(tmp_path))
    p = subprocess.Popen([sys.executable, "-m", "scanner.cli", "serve", "--port", "0", "--no-browser"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        url = p.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:") and url.endswith("/")
        port = int(url.rsplit(":", 1)[1].strip("/"))
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", "/healthz")
        assert c.getresponse().status == 200
        assert [d.name.startswith("scanner-web-") for d in tmp_path.iterdir()] == [True]
    finally:
        p.send_signal(signal.SIGINT)
        p.wait(timeout=60)
    assert not any(tmp_path.iterdir())  # the private folder went with the server


# ---------------------------------------------------------------------------------------------- in Chromium


def _driver(tmp_path: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
              "--window-size=1280,1000", f"--user-data-dir={tmp_path / 'profile'}"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=opts)


needs_chromium = pytest.mark.skipif(
    not (shutil.which("chromium") and shutil.which("chromedriver")) and os.environ.get("CI", "").lower() != "true",
    reason="chromium + chromium-driver not installed (`make venv` installs them)")


@needs_chromium
@pytest.mark.models
def test_the_page_in_chromium_scan_toggle_draw_download(tmp_path):
    """A nurse's round: pick the sample photo, see the findings, keep one, draw a box, apply, download; the
    downloaded copy is, pixel for pixel, what `scanner apply` makes of the downloaded findings."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    photo = ROOT / "sample_media" / "whiteboard.jpg"
    server = WebServer(port=0).start()
    driver = _driver(tmp_path)
    try:
        wait = WebDriverWait(driver, 120)
        driver.get(server.url)
        driver.find_element(By.ID, "file").send_keys(str(photo))
        wait.until(EC.visibility_of_element_located((By.ID, "result")))
        verdict = driver.find_element(By.ID, "verdict").text
        assert "identif" in verdict and "a name on a whiteboard" in verdict, verdict
        items = driver.find_elements(By.CSS_SELECTOR, "#findings li[data-id]")
        assert len(items) >= 3
        first = next(i for i in items if i.find_element(By.CSS_SELECTOR, "input").is_selected())
        kept_id = first.get_attribute("data-id")
        first.find_element(By.CSS_SELECTOR, "input").click()  # keep this one
        driver.find_element(By.ID, "draw").click()
        overlay = driver.find_element(By.ID, "overlay")
        w = overlay.size["width"]
        ActionChains(driver).move_to_element_with_offset(overlay, -w // 2 + 20, -overlay.size["height"] // 2 + 20) \
            .click_and_hold().move_by_offset(120, 60).release().perform()
        assert driver.find_elements(By.CSS_SELECTOR, "#overlay .box.manual")
        driver.find_element(By.ID, "apply").click()
        wait.until(lambda d: "Applying" not in d.find_element(By.ID, "apply").text
                   and d.find_elements(By.CSS_SELECTOR, "#findings li[data-id='m1']"))
        driver.execute_script("window.scrollTo(0, 0)")
        shot = Path(os.environ.get("SCANNER_WEB_SCREENSHOT", tmp_path / "page.png"))  # the README's picture
        driver.save_screenshot(str(shot))
        assert np.asarray(Image.open(shot).convert("RGB")).std() > 10  # something was drawn
        driver.set_window_size(390, 844)  # a phone: the page reflows, nothing sticks out sideways
        wait.until(lambda d: d.execute_script("return window.innerWidth") < 500)
        assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert driver.find_element(By.ID, "picture").size["width"] <= 390
        redacted_url = driver.find_element(By.ID, "download").get_attribute("href")
        findings_url = driver.find_element(By.ID, "download-findings").get_attribute("href")
        kept = driver.find_element(By.CSS_SELECTOR, f"#findings li[data-id='{kept_id}'] input").is_selected()
        assert not kept
        c = http.client.HTTPConnection(server.host, server.port, timeout=60)
        got = {}
        for name, url in (("redacted.jpg", redacted_url), ("findings.json", findings_url)):
            c.request("GET", url.split(str(server.port), 1)[1], headers={"Host": f"{server.host}:{server.port}"})
            r = c.getresponse()
            assert r.status == 200
            got[name] = tmp_path / name
            got[name].write_bytes(r.read())
    finally:
        driver.quit()
        server.stop()
    doc = json.loads(got["findings.json"].read_text())
    assert {"id": kept_id, "from": "redact", "to": "allow"} in doc["review"]["changed"]
    assert doc["review"]["added"] == ["m1"]
    (tmp_path / "re").mkdir()
    shutil.copy(got["findings.json"], tmp_path / "re" / "whiteboard.findings.json")
    again = api.apply(tmp_path / "re" / "whiteboard.findings.json", source=photo)[0]
    assert again.error is None
    mine = np.asarray(Image.open(again.outputs["redacted"]).convert("RGB"))
    theirs = np.asarray(Image.open(got["redacted.jpg"]).convert("RGB"))
    np.testing.assert_array_equal(mine, theirs)
    m1 = next(f for f in doc["findings"] if f["id"] == "m1")["box"]
    assert m1[2] - m1[0] > 50 and not theirs[m1[1] + 3:m1[3] - 3, m1[0] + 3:m1[2] - 3].any()
