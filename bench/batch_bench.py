"""Batch throughput: files/s over a folder of mixed synthetic photos, 1 worker vs every core.

    python -m bench.batch_bench            # 200 photos (heavy: several minutes on 2 cores)
    python -m bench.batch_bench --n 24     # a quick look

The folder mixes the bench scenes (EHR screens, boards, whiteboards, wristbands, lab printouts, signage, faces) at
1280x960 and 1920x1080, as JPEG, PNG and WebP in sub-folders, a third of them carrying GPS/owner EXIF, plus a few
non-media files. Each configuration scans the whole folder from scratch (`force`) into its own output folder, so
the figures include model loading (once per worker) and writing every output and the report. A third run repeats
the parallel one unchanged, to show what resuming costs.
"""
from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from PIL import ExifTags, Image

from bench.generate import generate
from scanner.api import ScanOptions
from scanner.batch import run_batch

FORMATS = (".jpg", ".png", ".webp")


def make_folder(root: Path, n: int, seed: int = 7) -> Path:
    """Write n mixed photos under root/<kind>/ and return root."""
    for i, scene in enumerate(generate(n, seed=seed)):
        ext = FORMATS[i % len(FORMATS)] if i % 4 else ".jpg"
        path = root / scene.kind / f"{scene.name}{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        img = Image.fromarray(scene.rgb())
        kw = {}
        if i % 3 == 0 and ext in (".jpg", ".webp"):
            e = Image.Exif()
            e[0x013B] = "Dr Example"
            e[ExifTags.IFD.GPSInfo] = {1: "N", 2: (40.0, 26.0, 46.0), 3: "W", 4: (79.0, 58.0, 56.0)}
            kw["exif"] = e.tobytes()
        img.save(path, **({"quality": 90} if ext != ".png" else {}), **kw)
    (root / "README.txt").write_text("not a photo: skipped with a note\n")
    return root


def run(folder: Path, out: Path, workers: int, force: bool) -> tuple[int, float, dict]:
    t = time.perf_counter()
    res = run_batch([folder], out, options=ScanOptions(), workers=workers, force=force)
    dt = time.perf_counter() - t
    return len(res.files), dt, res.counts()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200, help="number of photos (default 200)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parallel run's workers (default: cores)")
    ap.add_argument("--keep", type=Path, help="keep the photos and outputs in this folder")
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    base = args.keep or Path(tempfile.mkdtemp(prefix="scanner-batch-bench-"))
    try:
        t = time.perf_counter()
        folder = make_folder(base / "photos", args.n)
        print(f"made {args.n} photos in {time.perf_counter() - t:.1f} s under {folder}")
        print(f"{'configuration':<26}{'files':>7}{'seconds':>10}{'files/s':>10}   verdicts")
        rows = []
        for label, workers, out, force in (("1 worker (in-process)", 1, base / "out1", True),
                                           (f"{args.workers} workers", args.workers, base / "outN", True),
                                           (f"{args.workers} workers, resumed", args.workers, base / "outN", False)):
            n, dt, counts = run(folder, out, workers, force)
            rows.append((label, n, dt))
            print(f"{label:<26}{n:>7}{dt:>10.1f}{n / dt:>10.2f}   "
                  f"review {counts['review']}, clear {counts['clear']}, error {counts['error']}, "
                  f"unchanged {counts['unchanged']}", flush=True)
        print(f"speed-up {rows[0][2] / rows[1][2]:.2f}x with {args.workers} workers on {os.cpu_count()} cores; "
              f"report: {base / 'outN' / 'report.html'}")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
