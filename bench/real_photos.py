"""Real-photo benchmark: plates, tattoos and PHI-free photos, redacted by the real pipeline and scored against truth.

A set is a folder with `images/` and `truth.json` (bench/real_data/README.md): one row per object,
`kind: plate` (a legible plate; `ignore: true` for one too small or blurred to read), `kind: tattoo`, or
`kind: none` (a photo with no identifier; `faces` says how many faces it shows). Each image goes through
`scanner.api.Scanner.process` with redaction on, and:

- a plate is *destroyed* when the high-pass correlation of its crop before/after is below 0.3 (bench.real's rule);
  a *false plate* is a plate finding touching no truth plate, ignored plates included;
- a tattoo is *found* when a tattoo finding overlaps it (a third of the smaller box), *destroyed* by the same rule;
  a *false tattoo* is a tattoo finding overlapping no truth tattoo;
- a PHI-free photo should be `clear`: counted apart for photos with faces (faces are findings, so `review`), and
  with any redaction other than of faces, the redacted share of the photo and its largest box.

    python -m bench.real_photos bench/real_data/plates_dev bench/real_data/photos_neg_dev [--misses]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np

from .real import ROOT, destroyed, truth_by_file  # noqa: F401  (ROOT puts the project on sys.path)

OVERLAP = 1 / 3  # a finding "is" a truth object when the overlap is this share of the smaller of the two boxes


def overlap(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over the smaller box's area."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / max(1e-6, small)


def redacted_mask(shape: tuple[int, int], findings: Sequence[dict]) -> np.ndarray:
    """Pixels inside a redacted non-face finding's box."""
    m = np.zeros(shape, bool)
    for f in findings:
        if f["action"] == "redact" and f["kind"] not in ("face", "metadata") and f.get("box"):
            x0, y0, x1, y1 = (int(round(v)) for v in f["box"])
            m[max(0, y0):y1, max(0, x0):x1] = True
    return m


@dataclass
class PhotoScore:
    name: str
    images: int = 0
    plates: int = 0
    plates_destroyed: int = 0
    false_plates: int = 0
    tattoos: int = 0
    tattoos_found: int = 0
    tattoos_destroyed: int = 0
    false_tattoos: int = 0
    neg: int = 0  # PHI-free photos without faces
    neg_clear: int = 0
    neg_faces: int = 0  # PHI-free photos with faces
    neg_faces_only: int = 0  # ... whose only findings are faces
    neg_redacted: int = 0  # PHI-free photos (any) with a non-face redaction
    neg_area: list[float] = field(default_factory=list)  # redacted share of each PHI-free photo
    neg_largest: list[float] = field(default_factory=list)  # largest non-face redaction box, share of the photo
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)


def score_photo(s: PhotoScore, name: str, rows: list[dict], orig: np.ndarray, red: np.ndarray,
                findings: list[dict], verdict: str) -> None:
    """Add one photo's truth rows to the score (pure: no I/O)."""
    h, w = orig.shape[:2]
    s.images += 1
    plate_truth = [b for r in rows if r["kind"] == "plate" for b in r.get("boxes") or ()]
    tattoo_truth = [b for r in rows if r["kind"] == "tattoo" for b in r.get("boxes") or ()]
    plates = [f for f in findings if f["kind"] == "plate" and f.get("box")]
    tattoos = [f for f in findings if f["kind"] == "tattoo" and f.get("box")]
    for r in rows:
        if r.get("ignore"):
            continue
        for box in r.get("boxes") or ():
            if r["kind"] == "plate":
                s.plates += 1
                gone = destroyed(orig, red, box)
                s.plates_destroyed += gone
                if not gone:
                    s.misses.append(f"plate {name} {r.get('text')!r} {[int(v) for v in box]}")
            elif r["kind"] == "tattoo":
                s.tattoos += 1
                found = any(overlap(f["box"], box) >= OVERLAP for f in tattoos)
                s.tattoos_found += found
                s.tattoos_destroyed += destroyed(orig, red, box)
                if not found:
                    s.misses.append(f"tattoo {name} {[int(v) for v in box]}")
    s.false_plates += sum(not any(overlap(f["box"], b) > 0 for b in plate_truth) for f in plates)
    s.false_tattoos += sum(not any(overlap(f["box"], b) > 0 for b in tattoo_truth) for f in tattoos)
    for r in rows:
        if r["kind"] != "none":
            continue
        faces = int(r.get("faces") or 0)
        kinds = {f["kind"] for f in findings if f["action"] in ("redact", "flag")}
        if faces:
            s.neg_faces += 1
            s.neg_faces_only += kinds <= {"face"}
        else:
            s.neg += 1
            s.neg_clear += verdict == "clear"
            if verdict != "clear":
                s.misses.append(f"alarm {name}: {', '.join(sorted(kinds))}")
        m = redacted_mask((h, w), findings)
        s.neg_redacted += bool(m.any())
        s.neg_area.append(float(m.mean()))
        boxes = [f["box"] for f in findings if f["action"] == "redact" and f["kind"] not in ("face", "metadata")
                 and f.get("box")]
        s.neg_largest.append(max(((b[2] - b[0]) * (b[3] - b[1]) / (w * h) for b in boxes), default=0.0))


def run_set(folder: Path, scanner) -> PhotoScore:
    from scanner.api import output_path

    by_file = truth_by_file(folder)
    s = PhotoScore(folder.name)
    with tempfile.TemporaryDirectory(prefix="real-photos.") as out:
        for rel in sorted(f for f in by_file if (folder / f).is_file()):  # unlicensed images may be absent
            src = folder / rel
            orig = cv2.imread(str(src), cv2.IMREAD_COLOR)
            t0 = time.perf_counter()
            result = scanner.process(src, Path(out), redact=True, rel=Path(src.name))
            s.seconds.append(time.perf_counter() - t0)
            red = None
            if result.verdict != "error":
                red = cv2.imread(str(output_path(Path(out), Path(src.name), f".redacted{src.suffix.lower()}")))
            if orig is None or red is None or red.shape != orig.shape:
                s.errors.append(f"{rel}: {result.error or 'no redacted copy'}")
                if orig is None:
                    continue
                red = orig
            findings = [{"box": list(f.box) if f.box else None, "action": f.action, "kind": f.kind}
                        for f in result.findings]
            score_photo(s, src.name, by_file[rel], orig, red, findings, result.verdict)
    return s


def report(s: PhotoScore, misses: bool = False) -> str:
    def ratio(a: int, b: int) -> str:
        return f"{a}/{b} = {a / b:.2f}" if b else "-"

    n = max(1, s.images)
    lines = [f"== {s.name}: {s.images} images"]
    if s.plates:
        lines.append(f"plates destroyed: {ratio(s.plates_destroyed, s.plates)}; "
                     f"false plates {s.false_plates} ({s.false_plates / n:.2f} per photo)")
    if s.tattoos:
        lines.append(f"tattoos found: {ratio(s.tattoos_found, s.tattoos)}, destroyed {s.tattoos_destroyed}; "
                     f"false tattoos {s.false_tattoos} ({s.false_tattoos / n:.2f} per photo)")
    elif s.false_tattoos:
        lines.append(f"false tattoos {s.false_tattoos} ({s.false_tattoos / n:.2f} per photo)")
    if s.neg or s.neg_faces:
        area = sorted(s.neg_area)
        lines.append(f"PHI-free photos clear: {ratio(s.neg_clear, s.neg)} (no faces); with faces, only faces "
                     f"found: {ratio(s.neg_faces_only, s.neg_faces)}")
        lines.append(f"PHI-free photos with a redaction (not faces): {s.neg_redacted}/{s.neg + s.neg_faces}; "
                     f"redacted share median {area[len(area) // 2]:.3f}, largest box "
                     f"{max(s.neg_largest, default=0):.3f} of a photo")
    if s.seconds:
        sec = sorted(s.seconds)
        lines.append(f"seconds per image: median {sec[len(sec) // 2]:.2f}, max {sec[-1]:.2f}")
    lines += [f"error: {e}" for e in s.errors]
    if misses:
        lines += [f"  {m}" for m in s.misses]
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.real_photos", description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="+", type=Path, help="folders holding truth.json")
    ap.add_argument("--misses", action="store_true", help="list missed plates/tattoos and false alarms")
    ap.add_argument("--json", type=Path, help="write the figures as JSON here")
    args = ap.parse_args(argv)
    from scanner.api import ScanOptions, Scanner

    t0 = time.perf_counter()
    scanner = Scanner(ScanOptions())
    print(f"models loaded in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    scores = []
    for folder in args.sets:
        scores.append(run_set(folder, scanner))
        print(report(scores[-1], args.misses), flush=True)
    if args.json:
        args.json.write_text(json.dumps([{k: v for k, v in vars(s).items() if k != "misses"} for s in scores],
                                        indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
