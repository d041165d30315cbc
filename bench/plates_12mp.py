"""Real plates, small in a 12 MP photo: each photo of a plate set is pasted at its own resolution into a
4032 x 3024 picture (a PHI-free real photo, enlarged, around it), then scored by bench.real_photos.

The plate pixels stay real and unchanged; only their share of the picture shrinks, as for a car across the street
in a phone photo. The backgrounds come from a PHI-free set (default: the dev one), so their false plates count
too.

    python -m bench.plates_12mp bench/real_data/plates_dev [--background bench/real_data/photos_neg_dev]
    python -m bench.plates_12mp bench/real_data/plates_dev --plates-only   # the plate detector alone, with and
                                                                           # without its closer look (fast A/B)
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np

from .real import ROOT, truth_by_file
from .real_photos import report, run_set

SIZE = (4032, 3024)  # a 12 MP phone photo, landscape


def shift(box: Sequence[float], dx: int, dy: int) -> list[float]:
    return [box[0] + dx, box[1] + dy, box[2] + dx, box[3] + dy]


def compose(photo: np.ndarray, background: np.ndarray, size: tuple[int, int],
            rng: random.Random) -> tuple[np.ndarray, int, int]:
    """`photo` pasted unscaled at a random place into `background` enlarged to `size`; returns the picture and
    the photo's top-left corner. A photo larger than the picture is returned as it is (offset 0, 0)."""
    W, H = size
    h, w = photo.shape[:2]
    if w >= W or h >= H:
        return photo, 0, 0
    canvas = cv2.resize(background, (W, H), interpolation=cv2.INTER_CUBIC)
    x, y = rng.randrange(0, W - w), rng.randrange(0, H - h)
    canvas[y:y + h, x:x + w] = photo
    return canvas, x, y


def build(plate_set: Path, backgrounds: Path, out: Path, size: tuple[int, int] = SIZE, seed: int = 3) -> int:
    """Write the composite set (images/ and truth.json) into `out`; returns the number of pictures."""
    rng = random.Random(seed)
    rows_by_file = truth_by_file(plate_set)
    bgs = sorted(p for p in (backgrounds / "images").iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    (out / "images").mkdir(parents=True, exist_ok=True)
    truth = []
    for rel in sorted(rows_by_file):
        photo = cv2.imread(str(plate_set / rel), cv2.IMREAD_COLOR)
        if photo is None:
            continue
        bg = cv2.imread(str(rng.choice(bgs)), cv2.IMREAD_COLOR)
        pic, dx, dy = compose(photo, bg, size, rng)
        name = f"images/{Path(rel).stem}.png"  # lossless: the plate pixels stay exactly as in the set
        cv2.imwrite(str(out / name), pic)
        for r in rows_by_file[rel]:
            truth.append({**r, "file": name, "boxes": [shift(b, dx, dy) for b in r.get("boxes") or ()]})
    (out / "truth.json").write_text(json.dumps(truth))
    return len({t["file"] for t in truth})


def plates_only(folder: Path, zoom: bool) -> str:
    """The plate detector alone on a composite set: legible plates covered (a finding covers >= 70 % of the plate),
    false plates (touching no plate, ignored ones included), median seconds per picture."""
    from scanner import geometry
    from scanner.detectors import plates
    from scanner.detectors.base import Frame
    from scanner.regionnet import get_net
    from scanner.text.ocr import get_engine

    detector = plates.PlateDetector(get_engine("rapid"), net=get_net("plates"))
    zoom_scale, plates.ZOOM_SCALE = plates.ZOOM_SCALE, plates.ZOOM_SCALE if zoom else float("inf")
    rows_by_file = truth_by_file(folder)
    n = found = false = 0
    seconds = []
    try:
        for rel, rows in sorted(rows_by_file.items()):
            rgb = cv2.cvtColor(cv2.imread(str(folder / rel), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
            t0 = time.perf_counter()
            boxes = [f.box for f in detector.detect(Frame(rgb), [])]
            seconds.append(time.perf_counter() - t0)
            truth = [b for r in rows if r["kind"] == "plate" for b in r.get("boxes") or ()]
            for r in rows:
                if r["kind"] == "plate" and not r.get("ignore"):
                    n += 1
                    found += any(geometry.coverage(tuple(r["boxes"][0]), b) >= 0.7 for b in boxes)
            false += sum(not any(geometry.intersection(b, tuple(t)) for t in truth) for b in boxes)
    finally:
        plates.ZOOM_SCALE = zoom_scale
    return (f"{folder.name}, plate detector alone, {'with' if zoom else 'without'} the closer look: plates covered "
            f"{found}/{n}, false plates {false}, median {float(np.median(seconds)):.2f} s per picture")


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.plates_12mp", description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="+", type=Path, help="plate sets (folders holding truth.json)")
    ap.add_argument("--background", type=Path, default=ROOT / "bench" / "real_data" / "photos_neg_dev",
                    help="a PHI-free photo set whose photos become the surroundings")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--misses", action="store_true", help="list missed plates and false alarms")
    ap.add_argument("--plates-only", action="store_true",
                    help="run the plate detector alone, without and with its closer look, instead of the pipeline")
    args = ap.parse_args(argv)
    scanner = None
    if not args.plates_only:
        from scanner.api import ScanOptions, Scanner

        t0 = time.perf_counter()
        scanner = Scanner(ScanOptions())
        print(f"models loaded in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    for folder in args.sets:
        with tempfile.TemporaryDirectory(prefix="plates-12mp.") as tmp:
            out = Path(tmp) / f"{folder.name}_12mp"
            build(folder, args.background, out, seed=args.seed)
            if scanner is None:
                for zoom in (False, True):
                    print(plates_only(out, zoom), flush=True)
            else:
                print(report(run_set(out, scanner), args.misses), flush=True)
    return 0

if __name__ == "__main__":
    sys.exit(main())
