"""Run the benchmark: generate scenes, redact each with the real scanner (in-process, models loaded once per
engine), score against ground truth, print a table and write bench/out/results.json.

    python -m bench.run --n 40 [--big] [--tesseract] [--ocr rapid|easyocr|all|rapid,easyocr] [--imaging N]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # Tesseract is 10x slower with OpenMP threads on 2 cores

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from scanner import api, geometry, media  # noqa: E402
from scanner.text.ocr import DEFAULT_ENGINE, ENGINES  # noqa: E402
from scanner.redact import redaction_box  # noqa: E402

from .generate import generate  # noqa: E402
from .score import SceneScore, read_back, score_scene, summarise  # noqa: E402

OUT = Path(__file__).parent / "out"


def tesseract_reads(rgb: np.ndarray, box, truth: str) -> bool:
    """Can Tesseract read `truth` in `box` of `rgb`? Cropped with a margin, small text enlarged (its sweet spot is
    ~30 px capitals), read as one line and as a block."""
    import pytesseract

    h, w = rgb.shape[:2]
    m = max(4, geometry.height(box) // 2)
    x0, y0, x1, y1 = geometry.clip(geometry.pad(box, m, m), w, h)
    crop = rgb[y0:y1, x0:x1]
    if crop.size == 0:
        return False
    if geometry.height(box) < 40:
        f = 48 / max(1, geometry.height(box))
        crop = cv2.resize(crop, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC)
    return any(read_back(truth, pytesseract.image_to_string(crop, config=f"--psm {psm}")) for psm in (7, 6))


def ocr_read(lines, box, truth: str) -> bool:
    """Did the scanner's OCR read `truth` in a line overlapping `box`? (Tells OCR misses from classifier misses.)"""
    near = [ln.text for ln in lines if geometry.intersection(ln.box, box) > 0.3 * geometry.area(box)]
    return read_back(truth, " ".join(near))


def run_engine(engine: str, scenes: Sequence[tuple[Path, dict]], out: Path, tesseract: bool,
               original_reads: dict) -> dict:
    t0 = time.perf_counter()
    scanner = api.get_scanner(api.ScanOptions(ocr=engine))
    load_s = time.perf_counter() - t0
    text_det = next((d for d in scanner.detectors if d.name == "text"), None)
    scores: list[SceneScore] = []
    for i, (path, truth) in enumerate(scenes):
        cpu0 = time.process_time()
        res = api.redact(path, out / engine, ocr=engine)
        res.timings["cpu_s"] = time.process_time() - cpu0  # load-independent: other jobs share these 2 cores
        w, h = truth["width"], truth["height"]
        boxes = [redaction_box(f, w, h) for f in res.findings if f.action == "redact"]
        s = score_scene(truth["name"], w, h, truth["regions"], boxes)
        s.timings, s.error = dict(res.timings), res.error
        lines = list(getattr(text_det, "last_lines", []) or [])
        for r in s.regions:
            if r.label in ("phi", "keep") and text_det is not None:
                r.read_by_ocr = ocr_read(lines, r.box, r.text)
        if tesseract and res.error is None and any(r.label == "phi" and r.caught for r in s.regions):
            original = media.load_image(path).rgb
            redacted = media.load_image(Path(res.outputs["redacted"])).rgb
            for j, r in enumerate(s.regions):
                if r.label == "phi" and r.caught:
                    key = (truth["name"], j)
                    if key not in original_reads:
                        original_reads[key] = tesseract_reads(original, r.box, r.text)
                    r.tesseract_original = original_reads[key]
                    r.tesseract_redacted = tesseract_reads(redacted, r.box, r.text)
        scores.append(s)
        print(f"  [{engine}] {i + 1}/{len(scenes)} {truth['name']}: {res.timings.get('total_s', 0):.2f} s"
              + (f"  ERROR {res.error}" if res.error else ""), file=sys.stderr, flush=True)
    summary = summarise(scores)
    summary["model_load_s"] = round(load_s, 2)
    summary["per_scene"] = [{"name": s.name, "error": s.error,
                             "timings": {k: round(v, 3) for k, v in s.timings.items()},
                             "regions": [{"label": r.label, "category": r.category, "text": r.text,
                                          "coverage": round(r.coverage, 3), "read_by_ocr": r.read_by_ocr,
                                          "tesseract_redacted": r.tesseract_redacted} for r in s.regions],
                             "spurious_boxes": [list(b) for b in s.spurious_boxes]} for s in scores]
    return summary


def _fmt(v, pct: bool = True) -> str:
    if v is None:
        return "-"
    return f"{v:.1%}" if pct else f"{v}"


def table(results: dict[str, dict]) -> str:
    """Engines side by side: one row per figure."""
    engines = list(results)
    rows: list[tuple[str, list[str]]] = []
    first = results[engines[0]]

    def row(label: str, fn):
        rows.append((label, [fn(results[e]) for e in engines]))

    row("text PHI recall", lambda r: f"{_fmt(r['text_phi']['recall'])} "
                                     f"({r['text_phi']['caught']}/{r['text_phi']['n']})")
    for letter in sorted({k for r in results.values() for k in r["per_safe_harbor"]}):
        cats = ",".join(first["per_safe_harbor"].get(letter, {}).get("categories", []))
        row(f"  {letter} {cats}", lambda r, L=letter: (lambda d: f"{_fmt(d['recall'])} ({d['caught']}/{d['n']})"
                                                        if d else "-")(r["per_safe_harbor"].get(L)))
    row("  misses: OCR did not read", lambda r: str(len(r["misses"]["ocr_did_not_read"])))
    row("  misses: read, not redacted", lambda r: str(len(r["misses"]["read_but_not_redacted"])))
    row("faces recall (Q)", lambda r: f"{_fmt(r['faces']['recall'])} ({r['faces']['caught']}/{r['faces']['n']})")
    row("innocuous text kept", lambda r: f"{_fmt(r['innocuous']['kept_rate'])} "
                                         f"({r['innocuous']['kept']}/{r['innocuous']['n']})")
    row("spurious redactions", lambda r: f"{r['over_redaction']['spurious_boxes']}/"
                                         f"{r['over_redaction']['redacted_boxes']} boxes, "
                                         f"{_fmt(r['over_redaction']['spurious_share_of_image_area'])} of pixels")
    if any("tesseract" in r for r in results.values()):
        row("Tesseract reads back", lambda r: (lambda t: f"{t['read_back_from_redacted']} of {t['regions_checked']} "
                                                         f"(reads {t['readable_in_original']} in input)" if t else "-")(
            r.get("tesseract")))
    row("model load s", lambda r: f"{r['model_load_s']:.1f}")
    for size in first["timing"]:
        row(f"s/img {size} median/p90", lambda r, S=size: (
            lambda t: f"{t['median_s']:.2f} / {t['p90_s']:.2f} (n={t['n']})" if t else "-")(r["timing"].get(S)))
        row("  CPU s/img median", lambda r, S=size: (lambda t: f"{t['cpu_median_s']:.2f}" if t and t.get("cpu_median_s")
                                                     is not None else "-")(r["timing"].get(S)))
        for stage in first["timing"][size]["stage_mean_s"]:
            row(f"  {stage[:-2]} (mean s)", lambda r, S=size, K=stage: (lambda v: f"{v:.2f}" if v is not None else "-")(
                r["timing"].get(S, {}).get("stage_mean_s", {}).get(K)))
    w0 = max(len(label) for label, _ in rows)
    widths = [max(len(e), *(len(v[i]) for _, v in rows)) for i, e in enumerate(engines)]
    lines = [f"{'':{w0}}  " + "  ".join(f"{e:{widths[i]}}" for i, e in enumerate(engines))]
    lines += [f"{label:{w0}}  " + "  ".join(f"{v:{widths[i]}}" for i, v in enumerate(vals)) for label, vals in rows]
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40, help="number of scenes")
    ap.add_argument("--big", action="store_true", help="every third scene a 12 MP photo (4000x3000)")
    ap.add_argument("--tesseract", action="store_true", help="check Tesseract cannot read redacted PHI back")
    ap.add_argument("--ocr", default=DEFAULT_ENGINE, help=f"engine(s), comma-separated: {', '.join(ENGINES)}")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--imaging", type=int, default=0, metavar="N",
                    help="also N burned-in overlays on real CT/MR images (bench/overlay_scenes.py; needs pydicom)")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    engines = [e.strip() for e in args.ocr.split(",") if e.strip()]
    bad = [e for e in engines if e not in ENGINES]
    if bad:
        ap.error(f"unknown OCR engine(s) {', '.join(bad)} (choose from {', '.join(ENGINES)})")

    scene_dir = args.out / "scenes"
    scenes: list[tuple[Path, dict]] = []
    t0 = time.perf_counter()
    made = generate(args.n, big=args.big, seed=args.seed)
    if args.imaging:
        from itertools import chain

        from .overlay_scenes import generate_overlays

        made = chain(made, generate_overlays(args.imaging, seed=args.seed))
    for sc in made:
        p = scene_dir / f"{sc.name}.jpg"
        media.write_bytes_atomic(p, sc.jpeg)
        scenes.append((p, sc.truth()))
    media.write_bytes_atomic(scene_dir / "truth.json", json.dumps([t for _, t in scenes], indent=1).encode())
    print(f"generated {len(scenes)} scenes in {time.perf_counter() - t0:.1f} s -> {scene_dir}", file=sys.stderr)

    results: dict[str, dict] = {}
    original_reads: dict = {}
    for engine in engines:
        results[engine] = run_engine(engine, scenes, args.out, args.tesseract, original_reads)
    report = {"settings": {"n": args.n, "big": args.big, "seed": args.seed, "tesseract": args.tesseract,
                           "cpu_count": os.cpu_count(), "load_average_at_end": os.getloadavg(),
                           **({"imaging": args.imaging} if args.imaging else {})},
              "engines": results}
    media.write_bytes_atomic(args.out / "results.json", (json.dumps(report, indent=1) + "\n").encode())
    print(table(results))
    for e, r in results.items():
        for kind, items in r["misses"].items():
            for m in items:
                print(f"[{e}] missed ({kind}): {m}")
        for m in r["redacted_innocuous"]:
            print(f"[{e}] redacted innocuous: {m}")
        for err in r["errors"]:
            print(f"[{e}] error: {err}")
    print(f"figures: {args.out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
