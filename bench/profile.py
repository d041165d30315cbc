"""Where the time goes (issue 12): start-up, and per stage, per detector and per model call for a 12 MP photo, a
1080p photo and a 1080p clip, on the real pipeline.

    python -m bench.profile                              # synthetic 12 MP + 1080p EHR photos, a 10 s 1080p clip
    python -m bench.profile --photo a.jpg --photo b.jpg  # your own photos instead
    python -m bench.profile --clip-seconds 0             # photos only
    python -m bench.profile --json profile.json

Start-up is measured in fresh interpreters (nothing imported or cached yet): `scanner --help`; `import scanner.api`;
per detector, importing its module and making it (model loads); then its first call on a 1080p frame against its
second (the warm-up: ONNX Runtime's first run plans memory, dlib and OpenCV build tables).

Model calls are counted by wrapping onnxruntime.InferenceSession.run (every ONNX model: RapidOCR's detector,
classifier and recogniser, the plate map, CenterFace) and dlib's HOG, each charged to the detector running at the
time. A photo's stages: load (decode), each detector, write (annotated and redacted copies, findings), rest
(policy, metadata, region confirmation). Each photo is processed `--repeat` times after one warm-up run; the
median is printed. Figures are printed, never asserted (DEVELOPERS: timing belongs in bench/).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from .real import ROOT  # noqa: F401  (puts the project on sys.path)

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # as the other benches and `make test` run

_STARTUP_CHILD = r"""
import importlib, json, sys, time
t = time.perf_counter()
import scanner.api as api
out = {"import_scanner_api_s": time.perf_counter() - t, "torch_imported": "torch" in sys.modules}
from scanner.detectors import REGISTRY
from scanner.detectors.base import Frame
from scanner.policy import Policy
opts, pol = api.ScanOptions(), Policy()
dets = []
for name, module in REGISTRY:
    t = time.perf_counter()
    mod = importlib.import_module(module)
    t1 = time.perf_counter()
    det = mod.make(opts, pol)
    out[name] = {"import_s": t1 - t, "load_s": time.perf_counter() - t1}
    dets.append((name, det))
from bench.generate import make_scene
frame = Frame(make_scene("ehr_above", 100001, (1920, 1080)).rgb())
for name, det in dets:
    calls = []
    for _ in range(2):
        prior = []
        t = time.perf_counter()
        det.detect(frame, prior)
        calls.append(time.perf_counter() - t)
    out[name].update(first_call_s=calls[0], second_call_s=calls[1])
out["torch_imported_after_models"] = "torch" in sys.modules
print(json.dumps(out))
"""


def startup() -> dict:
    """Start-up figures from fresh interpreters."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sys; sys.argv = ['scanner', '--help']; from scanner.cli import app; "
                    "app()"], env=env, capture_output=True, check=False)
    help_s = time.perf_counter() - t
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
    python_s = time.perf_counter() - t
    r = subprocess.run([sys.executable, "-c", _STARTUP_CHILD], env=env, capture_output=True, text=True, check=True)
    return {"python_s": python_s, "scanner_help_s": help_s, **json.loads(r.stdout.strip().splitlines()[-1])}


def _maker() -> str:
    """The scanner module that is making a model from bytes (CenterFace is made from a patched ONNX graph)."""
    f = sys._getframe(2)
    while f is not None and "/scanner/" not in f.f_code.co_filename.replace(os.sep, "/"):
        f = f.f_back
    return Path(f.f_code.co_filename).name if f is not None else "?"


class ModelCalls:
    """Seconds and calls per (detector, model), by wrapping the model entry points once per process."""

    def __init__(self) -> None:
        self.current = "-"
        self.calls: dict[tuple[str, str], list] = defaultdict(lambda: [0, 0.0])
        self._wrap_onnxruntime()
        self._wrap_hog()

    def charge(self, model: str, seconds: float) -> None:
        c = self.calls[(self.current, model)]
        c[0] += 1
        c[1] += seconds

    def _wrap_onnxruntime(self) -> None:
        import onnxruntime as ort

        calls = self
        init, run = ort.InferenceSession.__init__, ort.InferenceSession.run

        def __init__(sess, path_or_bytes, *a, **k):
            init(sess, path_or_bytes, *a, **k)
            sess._profile_label = (Path(path_or_bytes).name if isinstance(path_or_bytes, (str, os.PathLike))
                                   else f"in-memory model ({_maker()})")

        def run_(sess, *a, **k):
            t = time.perf_counter()
            try:
                return run(sess, *a, **k)
            finally:
                calls.charge(getattr(sess, "_profile_label", "onnx model"), time.perf_counter() - t)

        ort.InferenceSession.__init__, ort.InferenceSession.run = __init__, run_

    def _wrap_hog(self) -> None:
        from scanner.detectors import faces

        calls, hog = self, faces.hog_faces

        def hog_faces(rgb):
            t = time.perf_counter()
            try:
                return hog(rgb)
            finally:
                calls.charge("dlib HOG", time.perf_counter() - t)

        faces.hog_faces = hog_faces

    def watch(self, scanner) -> None:
        """Charge model calls to the detector whose detect() is running."""
        for det in scanner.detectors:
            def detect(frame, prior, _det=det, _inner=det.detect):
                before, self.current = self.current, _det.name
                try:
                    return _inner(frame, prior)
                finally:
                    self.current = before
            det.detect = detect

    def take(self) -> dict[tuple[str, str], list]:
        out = {k: list(v) for k, v in self.calls.items()}
        self.calls.clear()
        return out


def photo_profile(scanner, calls: ModelCalls, path: Path, repeat: int) -> dict:
    """Median stage and model-call seconds over `repeat` runs (after one warm-up run) of one photo."""
    runs = []
    with tempfile.TemporaryDirectory() as out:
        for i in range(repeat + 1):
            calls.take()
            write = [0.0]
            inner = scanner._write_media

            def timed_write(*a, **k):
                t = time.perf_counter()
                try:
                    return inner(*a, **k)
                finally:
                    write[0] += time.perf_counter() - t
            scanner._write_media = timed_write
            t = time.perf_counter()
            res = scanner.process(path, Path(out) / str(i), redact=True)
            wall = time.perf_counter() - t
            del scanner._write_media
            if res.verdict == "error":
                raise SystemExit(f"{path}: {res.error}")
            tm = dict(res.timings)
            det = {d.name: tm.get(f"{d.name}_s", 0.0) for d in scanner.detectors}
            stages = {"load": tm.get("load_s", 0.0), **det, "write": write[0]}
            stages["rest"] = max(0.0, wall - sum(stages.values()))
            if i:
                runs.append((wall, stages, calls.take()))
    size = f"{res.source.width}x{res.source.height}"
    med = {k: statistics.median(r[1][k] for r in runs) for k in runs[0][1]}
    keys = set().union(*(r[2] for r in runs))
    models = {k: [statistics.median(r[2].get(k, [0, 0.0])[i] for r in runs) for i in (0, 1)] for k in keys}
    return {"photo": str(path), "size": size, "wall_s": statistics.median(r[0] for r in runs), "stages_s": med,
            "model_calls": {f"{d} / {m}": v for (d, m), v in sorted(models.items(), key=lambda kv: -kv[1][1])},
            "findings": len(res.findings)}


def clip_profile(scanner, calls: ModelCalls, seconds: int, work: Path) -> dict:
    from bench.video_bench import scene_speed, write_scene

    scene = scene_speed(seconds)
    src = work / f"{scene.name}.mp4"
    write_scene(scene, src, preset="ultrafast")
    calls.take()
    t, c = time.perf_counter(), time.process_time()
    res = scanner.process(src, work / "out", redact=True)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    return {"clip": f"{seconds} s 1920x1080 30 fps (bench.video_bench speed scene)", "wall_s": wall,
            "cpu_s": cpu, "s_per_video_s": wall / seconds, "verdict": res.verdict,
            "timings_s": {k: v for k, v in res.timings.items()},
            "model_calls": {f"{d} / {m}": v for (d, m), v in sorted(calls.take().items(), key=lambda kv: -kv[1][1])}}


def synthetic_photos(work: Path) -> list[Path]:
    from PIL import Image

    from bench.generate import BIG_SIZE, make_scene

    out = []
    # The main bench's seed-1 scenes (bench.generate.scene_plan): an EHR screen in a 12 MP room, one in 1080p.
    for kind, seed, size in (("ehr_beside", 100008, BIG_SIZE), ("ehr_above", 100001, (1920, 1080))):
        p = work / f"{kind}_{size[0]}x{size[1]}.jpg"
        Image.fromarray(make_scene(kind, seed, size).rgb()).save(p, quality=92)
        out.append(p)
    return out


def print_report(doc: dict) -> None:
    s = doc.get("startup")
    if s:
        print("== start-up (fresh interpreters)")
        print(f"python itself {s['python_s']:.2f} s · `scanner --help` {s['scanner_help_s']:.2f} s · "
              f"import scanner.api {s['import_scanner_api_s']:.2f} s (torch imported: {s['torch_imported']}; "
              f"after loading the models: {s['torch_imported_after_models']})")
        print(f"  {'detector':12} {'import':>8} {'load':>8} {'1st call':>9} {'2nd call':>9}  (1080p frame)")
        for name, v in s.items():
            if isinstance(v, dict):
                print(f"  {name:12} {v['import_s']:8.2f} {v['load_s']:8.2f} {v['first_call_s']:9.2f} "
                      f"{v['second_call_s']:9.2f}")
    for p in doc.get("photos", []):
        print(f"== photo {Path(p['photo']).name} ({p['size']}): {p['wall_s']:.2f} s median, {p['findings']} findings")
        stages = sorted(p["stages_s"].items(), key=lambda kv: -kv[1])
        print("  stages: " + " · ".join(f"{k} {v:.2f}" for k, v in stages))
        for k, (n, sec) in p["model_calls"].items():
            print(f"  {k:55} {n:5.0f} calls {sec:7.2f} s")
    c = doc.get("clip")
    if c:
        print(f"== clip {c['clip']}: {c['wall_s']:.1f} s wall ({c['s_per_video_s']:.2f} s per second of video), "
              f"{c['cpu_s']:.1f} CPU-s, verdict {c['verdict']}")
        print("  timings: " + " · ".join(f"{k} {v:.1f}" for k, v in c["timings_s"].items()))
        for k, (n, sec) in c["model_calls"].items():
            print(f"  {k:55} {n:5.0f} calls {sec:7.2f} s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    ap.add_argument("--photo", type=Path, action="append", help="a photo to profile (repeatable)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per photo after one warm-up (default 3)")
    ap.add_argument("--clip-seconds", type=int, default=10, help="length of the 1080p clip; 0 = no clip")
    ap.add_argument("--no-startup", action="store_true", help="skip the fresh-interpreter start-up figures")
    ap.add_argument("--json", type=Path, help="write the figures as JSON here")
    a = ap.parse_args(argv)
    doc: dict = {}
    if not a.no_startup:
        doc["startup"] = startup()
    calls = ModelCalls()  # before the models load: sessions are labelled as they are made
    from scanner.api import ScanOptions, Scanner

    scanner = Scanner(ScanOptions())
    calls.watch(scanner)
    with tempfile.TemporaryDirectory() as work:
        photos = a.photo or synthetic_photos(Path(work))
        doc["photos"] = [photo_profile(scanner, calls, p, a.repeat) for p in photos]
        if a.clip_seconds:
            doc["clip"] = clip_profile(scanner, calls, a.clip_seconds, Path(work))
    print_report(doc)
    if a.json:
        a.json.write_text(json.dumps(doc, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
