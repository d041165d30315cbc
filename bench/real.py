"""Real-data benchmark: redact real screenshots with the real pipeline and score them against hand-checked truth.

A set is a folder with `images/` and `truth.json` (schema and scoring rule: ../shared/real/README.md). Each image
is redacted through `scanner.api.Scanner.process` (the path `scanner redact` takes, outputs written to disk and
read back); then, per truth box:

- a PHI box (`kind: text, phi: true`) is *destroyed* when the high-pass correlation between the original and the
  redacted crop is below 0.3; one left readable is *leaked (flagged)* when a finding covering it was only flagged,
  otherwise *missed*;
- a non-PHI box (`kind: text, phi: false` and `text_nonphi`) is *kept* unless destroyed (then over-redacted);
- an image with a `kind: none` row should get verdict `clear`.
Staff names and `ignore: true` boxes count neither way.

    python -m bench.real                         # ../shared/real/ehr_dev
    python -m bench.real SET [SET ...] --misses  # list what leaked, for development sets only
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_SET = ROOT.parent / "shared" / "real" / "ehr_dev"
DESTROYED_BELOW = 0.3  # high-pass correlation under which a crop counts as destroyed (the project's rule)
FLAG_COVER = 0.5  # a flagged finding "holds" a truth box when it covers this much of it


def highpass(grey: np.ndarray) -> np.ndarray:
    g = grey.astype(np.float32)
    return g - cv2.GaussianBlur(g, (0, 0), 2.0)


def destroyed(orig: np.ndarray, red: np.ndarray, box: Sequence[float]) -> bool:
    """The project's rule: Pearson correlation of the high-passed grey crops below 0.3 (boxes under 4 px and
    crops with no texture left count as destroyed)."""
    h, w = orig.shape[:2]
    x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
    x1, y1 = min(w, int(round(box[2]))), min(h, int(round(box[3])))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return True
    a = highpass(cv2.cvtColor(orig[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)).ravel()
    b = highpass(cv2.cvtColor(red[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)).ravel()
    a, b = a - a.mean(), b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return den < 1e-6 or float((a * b).sum()) / den < DESTROYED_BELOW


def coverage(box: Sequence[float], by: Sequence[float]) -> float:
    """Fraction of `box` inside `by`."""
    ix = max(0.0, min(box[2], by[2]) - max(box[0], by[0]))
    iy = max(0.0, min(box[3], by[3]) - max(box[1], by[1]))
    area = max(1e-6, (box[2] - box[0]) * (box[3] - box[1]))
    return ix * iy / area


@dataclass
class SetScore:
    name: str
    phi: Counter = field(default_factory=Counter)  # entity -> boxes
    destroyed: Counter = field(default_factory=Counter)
    flagged: Counter = field(default_factory=Counter)  # leaked although a finding held it (only flagged)
    keep_total: int = 0
    keep_kept: int = 0
    neg_total: int = 0
    neg_clear: int = 0
    seconds: list[float] = field(default_factory=list)
    absent: int = 0  # images listed in truth.json but not on disk
    errors: list[str] = field(default_factory=list)
    leaks: list[tuple[str, str, str, str]] = field(default_factory=list)  # file, entity, text, why
    over: list[tuple[str, str]] = field(default_factory=list)  # file, text of a destroyed non-PHI box
    false_alarms: list[tuple[str, str]] = field(default_factory=list)  # PHI-free image, verdict

    @property
    def recall(self) -> float:
        return sum(self.destroyed.values()) / max(1, sum(self.phi.values()))


def score_image(s: SetScore, name: str, rows: list[dict], orig: np.ndarray, red: np.ndarray,
                findings: list[dict], verdict: str) -> None:
    """Add one image's truth rows to the set score (pure: no I/O)."""
    flagged_boxes = [f["box"] for f in findings if f.get("action") == "flag" and f.get("box")]
    for r in rows:
        if r.get("ignore"):
            continue
        if r["kind"] == "none":
            s.neg_total += 1
            s.neg_clear += verdict == "clear"
            if verdict != "clear":
                s.false_alarms.append((name, verdict))
            continue
        for box in r.get("boxes") or ():
            if r["kind"] == "text" and r.get("phi"):
                ent = r.get("entity") or "other"
                s.phi[ent] += 1
                if destroyed(orig, red, box):
                    s.destroyed[ent] += 1
                elif any(coverage(box, fb) >= FLAG_COVER for fb in flagged_boxes):
                    s.flagged[ent] += 1
                    s.leaks.append((name, ent, str(r.get("text")), "flagged"))
                else:
                    s.leaks.append((name, ent, str(r.get("text")), "missed"))
            elif r["kind"] in ("text", "text_nonphi"):
                s.keep_total += 1
                if destroyed(orig, red, box):
                    s.over.append((name, str(r.get("text"))))
                else:
                    s.keep_kept += 1


def truth_by_file(folder: Path) -> dict[str, list[dict]]:
    """A set's truth.json rows, grouped by the image they belong to."""
    by_file: dict[str, list[dict]] = defaultdict(list)
    for r in json.loads((folder / "truth.json").read_text()):
        by_file[r["file"]].append(r)
    return by_file


def run_set(folder: Path, scanner, limit: Optional[int] = None, save: Optional[Path] = None) -> SetScore:
    from scanner.api import output_path

    by_file = truth_by_file(folder)
    s = SetScore(folder.name)
    # Images whose source repository grants no licence are not in the project's repository (bench/real_data/README):
    # a fresh clone scores the rest and says how many were absent.
    present = [f for f in sorted(by_file) if (folder / f).is_file()]
    s.absent = len(by_file) - len(present)
    files = present[:limit] if limit else present
    with tempfile.TemporaryDirectory(prefix="real-bench.") as tmp:
        out = save / folder.name if save else Path(tmp)
        for rel in files:
            src = folder / rel
            orig = cv2.imread(str(src), cv2.IMREAD_COLOR)
            t0 = time.perf_counter()
            result = scanner.process(src, out, redact=True, rel=Path(src.name))
            s.seconds.append(time.perf_counter() - t0)
            red = None
            if result.verdict != "error":
                red = cv2.imread(str(output_path(out, Path(src.name), f".redacted{src.suffix.lower()}")))
            if orig is None or red is None or red.shape != orig.shape:
                s.errors.append(f"{rel}: {result.error or 'no redacted copy'}")
                red = orig  # an unscanned file protects nothing: every PHI box leaks
            findings = [{"box": list(f.box) if f.box else None, "action": f.action} for f in result.findings]
            score_image(s, src.name, by_file[rel], orig, red, findings, result.verdict)
    return s


def report(s: SetScore, misses: bool = False) -> str:
    lines = [f"== {s.name}: {len(s.seconds)} images"
             + (f" ({s.absent} absent: no licence to ship them, see bench/real_data/README.md)" if s.absent else "")]
    lines.append(f"{'entity':<14}{'PHI':>6}{'destroyed':>11}{'recall':>8}{'flagged':>9}{'missed':>8}")
    for ent in sorted(s.phi, key=lambda e: -s.phi[e]):
        n, d, fl = s.phi[ent], s.destroyed[ent], s.flagged[ent]
        lines.append(f"{ent:<14}{n:>6}{d:>11}{d / n:>8.3f}{fl:>9}{n - d - fl:>8}")
    n, d, fl = sum(s.phi.values()), sum(s.destroyed.values()), sum(s.flagged.values())
    lines.append(f"{'all':<14}{n:>6}{d:>11}{s.recall:>8.3f}{fl:>9}{n - d - fl:>8}")
    lines.append(f"non-PHI kept: {s.keep_kept}/{s.keep_total} = {s.keep_kept / max(1, s.keep_total):.3f}")
    lines.append(f"PHI-free images clear: {s.neg_clear}/{s.neg_total}")
    if s.seconds:
        sec = sorted(s.seconds)
        lines.append(f"seconds per image: median {sec[len(sec) // 2]:.2f}, mean {sum(sec) / len(sec):.2f}, "
                     f"max {sec[-1]:.2f}")
    lines += [f"error: {e}" for e in s.errors]
    if misses:
        lines += [f"  leak  {f}: [{e}] {t!r} ({why})" for f, e, t, why in s.leaks]
        lines += [f"  over  {f}: {t!r}" for f, t in s.over]
        lines += [f"  alarm {f}: verdict {v}" for f, v in s.false_alarms]
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sets", nargs="*", type=Path, default=[DEFAULT_SET], help="folders holding truth.json")
    ap.add_argument("--ocr", default="rapid", help="OCR engine (rapid | easyocr | all)")
    ap.add_argument("--limit", type=int, help="first N images of each set")
    ap.add_argument("--misses", action="store_true", help="list every leaked PHI box and over-redacted box")
    ap.add_argument("--save", type=Path, help="keep the outputs under this folder")
    ap.add_argument("--json", type=Path, help="write the figures as JSON here")
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    from scanner.api import ScanOptions, Scanner

    t0 = time.perf_counter()
    scanner = Scanner(ScanOptions(ocr=args.ocr))
    print(f"models loaded in {time.perf_counter() - t0:.1f} s")
    scores = []
    for folder in args.sets:
        s = run_set(folder, scanner, args.limit, args.save)
        scores.append(s)
        print(report(s, args.misses), flush=True)
    if args.json:
        args.json.write_text(json.dumps([{
            "set": s.name, "images": len(s.seconds), "absent": s.absent, "recall": round(s.recall, 4),
            "per_entity": {e: {"phi": s.phi[e], "destroyed": s.destroyed[e], "flagged": s.flagged[e]} for e in s.phi},
            "non_phi_kept": [s.keep_kept, s.keep_total], "clear": [s.neg_clear, s.neg_total],
            "seconds": s.seconds, "errors": s.errors} for s in scores], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
