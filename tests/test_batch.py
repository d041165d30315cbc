"""Batch runs: folder layout, parallel workers, resumable index, Ctrl-C, thread limits. Detectors are left out
(metadata findings only) so the batch machinery is what is tested, on real files, in real worker processes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image

from scanner.api import ScanOptions
from scanner.batch import INDEX_NAME, RunIndex, run_batch, scan_folder, settings_fingerprint
from scanner.detectors import REGISTRY
from scanner.schema import validate

NO_DETECTORS = tuple(name for name, _ in REGISTRY)
REPO = Path(__file__).resolve().parents[1]


def _photo(path: Path, shade: int, gps: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rgb = np.full((48, 64, 3), shade, np.uint8)
    kw = {}
    if gps:
        e = Image.Exif()
        e[ExifTags.IFD.GPSInfo] = {1: "N", 2: (40.0, 26.0, 0.0), 3: "W", 4: (79.0, 59.0, 0.0)}
        kw["exif"] = e.tobytes()
    Image.fromarray(rgb).save(path, **kw)
    return path


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "ward"
    _photo(root / "a.png", 200)
    _photo(root / "c.jpg", 150)
    _photo(root / "sub" / "b.jpg", 120, gps=True)
    _photo(root / ".hidden" / "x.png", 90)
    (root / "notes.txt").write_text("not a photo")
    return root


def _docs(out: Path) -> dict[str, dict]:
    return {p.relative_to(out).as_posix(): json.loads(p.read_text()) for p in sorted(out.rglob("*.findings.json"))}


def test_folder_keeps_layout_skips_non_media_and_every_output_validates(folder, tmp_path):
    out = tmp_path / "out"
    res = scan_folder(folder, out, workers=2, skip=NO_DETECTORS)
    assert res.workers == 2 and not res.interrupted
    assert sorted(o.rel.as_posix() for o in res.files) == ["ward/a.png", "ward/c.jpg", "ward/sub/b.jpg"]
    assert [p.name for p, _ in res.not_media] == ["notes.txt"]
    docs = _docs(out)
    assert sorted(docs) == ["ward/a.findings.json", "ward/c.findings.json", "ward/sub/b.findings.json"]
    for d in docs.values():
        validate(d)
    assert (out / "ward" / "sub" / "b.annotated.jpg").is_file()
    assert docs["ward/sub/b.findings.json"]["verdict"] == "review"
    assert res.exit_code() == 1 and res.counts()["review"] == 1
    assert (out / "report.html").is_file() and (out / INDEX_NAME).is_file()
    assert not list(out.rglob("*.part*"))


def test_in_process_and_workers_give_the_same_results(folder, tmp_path):
    one = scan_folder(folder, tmp_path / "o1", workers=1, skip=NO_DETECTORS)
    two = scan_folder(folder, tmp_path / "o2", workers=2, skip=NO_DETECTORS)
    strip = lambda r: [(o.rel, o.verdict, [f["note"] for f in o.doc["findings"]]) for o in r.files]  # noqa: E731
    assert one.workers == 1 and strip(one) == strip(two)


def test_resumed_run_skips_unchanged_and_rescans_what_changed(folder, tmp_path):
    out = tmp_path / "out"
    first = scan_folder(folder, out, workers=2, skip=NO_DETECTORS)
    stamps = {p: p.stat().st_mtime_ns for p in out.rglob("*.findings.json")}
    second = scan_folder(folder, out, workers=2, skip=NO_DETECTORS)
    assert all(o.skipped for o in second.files)
    assert [o.doc for o in second.files] == [o.doc for o in first.files]  # findings read back
    assert second.exit_code() == first.exit_code() == 1  # skipped files still count
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*.findings.json")} == stamps  # nothing rewritten

    _photo(folder / "c.jpg", 30, gps=True)  # content changed
    (out / "ward" / "a.annotated.png").unlink()  # an output went missing
    third = scan_folder(folder, out, workers=2, skip=NO_DETECTORS)
    assert {o.rel.as_posix(): o.skipped for o in third.files} == {"ward/a.png": False, "ward/c.jpg": False,
                                                                    "ward/sub/b.jpg": True}
    assert {o.rel.as_posix(): o.verdict for o in third.files}["ward/c.jpg"] == "review"
    assert (out / "ward" / "a.annotated.png").is_file()

    forced = scan_folder(folder, out, workers=1, force=True, skip=NO_DETECTORS)
    assert not any(o.skipped for o in forced.files)


def test_settings_change_rescans_everything(folder, tmp_path):
    out = tmp_path / "out"
    scan_folder(folder, out, workers=1, skip=NO_DETECTORS)
    pol = tmp_path / "p.toml"
    pol.write_text('[actions]\nmetadata = "ignore"\n')
    res = scan_folder(folder, out, workers=1, skip=NO_DETECTORS, policy_file=pol)
    assert not any(o.skipped for o in res.files)
    assert res.exit_code() == 0  # the policy changed the outcome: metadata ignored, every file clear
    pol.write_text('[actions]\nmetadata = "flag"\n')  # same path, new content: a new fingerprint
    res = scan_folder(folder, out, workers=1, skip=NO_DETECTORS, policy_file=pol)
    assert not any(o.skipped for o in res.files) and res.exit_code() == 1
    redact = run_batch([folder], out, redact=True, options=ScanOptions(skip=NO_DETECTORS, policy_file=str(pol)))
    assert not any(o.skipped for o in redact.files)  # a scan does not stand in for a redaction
    assert (out / "ward" / "sub" / "b.redacted.jpg").is_file()


def test_errors_are_always_rescanned_and_fail_the_run(folder, tmp_path):
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    out = tmp_path / "out"
    for _ in range(2):
        res = scan_folder(folder, out, workers=1, skip=NO_DETECTORS)
        broken = next(o for o in res.files if o.rel.name == "broken.jpg")
        assert broken.verdict == "error" and not broken.skipped and broken.doc["error"]
        assert res.exit_code() == 2


def test_corrupt_or_tampered_index_is_not_trusted(folder, tmp_path):
    out = tmp_path / "out"
    scan_folder(folder, out, workers=1, skip=NO_DETECTORS)
    (out / INDEX_NAME).write_text("{not json")
    res = scan_folder(folder, out, workers=1, skip=NO_DETECTORS)
    assert not any(o.skipped for o in res.files)
    # a findings file edited to say "clear" no longer matches its recorded output hashes' file: rescanned
    doc_path = out / "ward" / "sub" / "b.findings.json"
    doc = json.loads(doc_path.read_text())
    doc["source"]["sha256"] = "0" * 64
    doc_path.write_text(json.dumps(doc))
    res = scan_folder(folder, out, workers=1, skip=NO_DETECTORS)
    assert {o.rel.as_posix(): o.skipped for o in res.files}["ward/sub/b.jpg"] is False


def test_index_round_trip_and_fingerprint(tmp_path):
    idx = RunIndex(tmp_path)
    doc = {"source": {"sha256": "a" * 64}, "verdict": "review"}
    idx.record(Path("w/x.jpg"), doc, "s1")
    idx.save()
    again = RunIndex(tmp_path)
    assert again.entries["w/x.jpg"] == {"sha256": "a" * 64, "settings": "s1", "verdict": "review"}
    base = ScanOptions(skip=NO_DETECTORS)
    assert settings_fingerprint(base, False) == settings_fingerprint(ScanOptions(skip=NO_DETECTORS), False)
    assert settings_fingerprint(base, False) != settings_fingerprint(base, True)
    assert settings_fingerprint(base, False) != settings_fingerprint(ScanOptions(skip=NO_DETECTORS, style="blur"),
                                                                     False)


def test_interrupt_keeps_finished_files_and_next_run_resumes(folder, tmp_path):
    out = tmp_path / "out"
    seen = []

    def stop_after_first(outcome, done, total):
        seen.append(outcome.rel)
        raise KeyboardInterrupt

    res = run_batch([folder], out, options=ScanOptions(skip=NO_DETECTORS), workers=1, on_result=stop_after_first)
    assert res.interrupted and res.exit_code() == 130 and len(res.files) == 1
    assert not list(out.rglob("*.part*"))
    assert "interrupted" in (out / "report.html").read_text().lower()
    nxt = scan_folder(folder, out, workers=1, skip=NO_DETECTORS)
    assert {o.rel: o.skipped for o in nxt.files}[seen[0]] is True
    assert sum(o.skipped for o in nxt.files) == 1


def test_ctrl_c_stops_workers_cleanly(tmp_path):
    """SIGINT to the whole process group (what a terminal sends) while 2 workers are busy: the run ends with 130,
    no worker survives, and no half-written file is left."""
    src = tmp_path / "many"
    for i in range(80):
        _photo(src / f"p{i:03d}.png", i * 3, gps=i % 2 == 0)
    out = tmp_path / "out"
    script = textwrap.dedent(f"""
        import multiprocessing, signal, sys, time
        # As in a terminal: a run started in the background (`make test &`, nohup) inherits SIGINT ignored.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        from scanner.api import ScanOptions
        from scanner.batch import run_batch
        def tick(o, done, total):
            if done == 3:
                print("PIDS", *[p.pid for p in multiprocessing.active_children()], flush=True)
            if done >= 3:
                time.sleep(0.05)  # a wide window for the signal: on a busy machine 77 quick files finish first
        r = run_batch([{str(src)!r}], {str(out)!r}, options=ScanOptions(skip={NO_DETECTORS!r}), workers=2,
                      on_result=tick)
        print("DONE", len(r.files), r.interrupted, flush=True)
        sys.exit(r.exit_code())
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    pids = []
    for line in proc.stdout:
        if line.startswith("PIDS"):
            pids = [int(x) for x in line.split()[1:]]
            break
    assert pids, "workers never reported"
    os.killpg(proc.pid, signal.SIGINT)
    rest, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, rest
    done = next(line for line in rest.splitlines() if line.startswith("DONE")).split()
    assert done[2] == "True" and 3 <= int(done[1]) < 80
    time.sleep(0.2)
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not list(out.rglob("*.part*")) and not list(out.rglob(".*.part*"))
    for p in out.rglob("*.findings.json"):
        validate(json.loads(p.read_text()))  # every finished file is whole


def test_worker_thread_limits_apply_to_onnxruntime_and_opencv(tmp_path):
    script = textwrap.dedent("""
        import cv2, onnx, onnxruntime as ort
        from onnx import TensorProto, helper
        from scanner.batch import limit_threads
        limit_threads(1)
        g = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        m.ir_version = 8
        s = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
        o = s.get_session_options()
        print(cv2.getNumThreads(), o.intra_op_num_threads, o.inter_op_num_threads)
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "1", "1"]


def test_missing_input_and_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    res = scan_folder([tmp_path / "nope", tmp_path / "empty"], tmp_path / "out", skip=NO_DETECTORS)
    assert res.exit_code() == 2 and [r for _, r in res.missing] == ["no such file or folder"]


def _slow_photo(path: Path) -> Path:
    """A 27 MP photo of noise: seconds of work for the real text detector (and for redaction)."""
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (4500, 6000, 3), np.uint8)).save(path, quality=70)
    return path


def test_file_timeout_gives_up_on_one_file_and_the_batch_goes_on(tmp_path):
    """A file still unfinished after --timeout seconds is given up: its worker is stopped and replaced, its verdict
    is error (never clear), nothing of it is left under a final name or as a temporary file, and the next file is
    still processed. The slow file is a 27 MP photo for the real text detector and redaction (~3.5 s here) against a
    0.5 s limit; the next file (zero bytes) fails in milliseconds, for its own reason."""
    src = tmp_path / "shoot"
    src.mkdir()
    _slow_photo(src / "a_huge.jpg")
    (src / "b_empty.jpg").write_bytes(b"")
    before = {p.name: p.read_bytes() for p in src.iterdir()}
    out = tmp_path / "out"
    only_text = tuple(name for name in NO_DETECTORS if name != "text")
    res = scan_folder(src, out, redact=True, workers=1, file_timeout=0.5, skip=only_text)
    by_name = {o.rel.name: o for o in res.files}
    assert set(by_name) == {"a_huge.jpg", "b_empty.jpg"}
    assert by_name["a_huge.jpg"].verdict == "error"
    assert "gave up after 0.5 s" in by_name["a_huge.jpg"].doc["error"]
    assert by_name["b_empty.jpg"].verdict == "error" and "gave up" not in by_name["b_empty.jpg"].doc["error"]
    assert res.exit_code(redact=True) == 2
    # Its findings file says error (every input gets one); no redacted or annotated copy, no temporary file.
    assert sorted(p.name for p in out.rglob("a_huge*")) == ["a_huge.findings.json"]
    doc = json.loads(next(out.rglob("a_huge.findings.json")).read_text())
    validate(doc)
    assert doc["verdict"] == "error" and "gave up" in doc["error"]
    assert not list(out.rglob("*.part*")) and not list(out.rglob(".*.part*"))
    assert {p.name: p.read_bytes() for p in src.iterdir()} == before
    with pytest.raises(ValueError, match="timeout"):
        scan_folder(src, out, file_timeout=0)


def test_worker_killed_mid_file_fails_that_file_only(tmp_path):
    """A worker killed from outside (the OOM killer) while it holds a file: that file is `error` ("worker process
    died"), never lost or left pending (the run would hang), and a new worker scans the rest."""
    import multiprocessing
    import threading

    src = tmp_path / "shoot"
    src.mkdir()
    _slow_photo(src / "a_huge.jpg")
    _photo(src / "b1.png", 100)
    _photo(src / "b2.png", 160)
    only_text = tuple(name for name in NO_DETECTORS if name != "text")

    def kill_the_worker_soon(to_scan: int, unchanged: int) -> None:
        def kill() -> None:
            # The worker holds a_huge.jpg from the moment it is started (it is still importing and loading models a
            # moment later, and then reads the photo for seconds): kill it shortly after it appears.
            deadline = time.monotonic() + 60
            while not multiprocessing.active_children() and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.3)
            for child in multiprocessing.active_children():
                os.kill(child.pid, signal.SIGKILL)
        threading.Thread(target=kill, daemon=True).start()

    t0 = time.monotonic()
    res = run_batch([src], tmp_path / "out", options=ScanOptions(skip=only_text), workers=1, file_timeout=600,
                    on_start=kill_the_worker_soon)
    by_name = {o.rel.name: o for o in res.files}
    assert by_name["a_huge.jpg"].verdict == "error" and "worker process died" in by_name["a_huge.jpg"].doc["error"]
    assert by_name["b1.png"].verdict == "clear" and by_name["b2.png"].verdict == "clear"
    assert time.monotonic() - t0 < 300
    assert not list((tmp_path / "out").rglob(".*.part*"))
