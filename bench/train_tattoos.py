"""Train the tattoo judge (scanner/data/tattoo_judge.json) on the candidates the tattoo rules find in photos.

    python -m bench.train_tattoos [--street /work/plate_train --street-n 500] [--synthetic 24] [--cache FILE]

Data (dev sets only; the *_holdout sets are never read):
- bench/real_data/tattoos_dev (real tattoo photos, boxes) and photos_neg_dev (real PHI-free photos, one tattoo);
- `--street-n` photos drawn at random from `--street` (a labels.json folder: /work/plate_train, Open Images street
  and car photos under CC BY, see its README), taken as having no tattoo: their pedestrians, clothes and cars are
  the look-alikes a nurse's street photo holds;
- `--synthetic` tattoo scenes of bench.context_reflect_tattoo drawn with seed 7 (the bench's figures use seeds 11, 5
  and 99), so the synthetic designs and hard negatives stay covered.
Each photo goes through the face detector (as in the pipeline: faces widen skin and are left out) and the tattoo
rules with no judge; every candidate is labelled a tattoo when it overlaps a truth tattoo (a third of the smaller
box, bench.real_photos' rule). Prints 5-fold cross-validated figures (folds by source site; see source_of): real
tattoos found, false tattoos per photo and photos with any, for the judge alone and for the rules overruled by
the judge only where it is nearly sure (what the detector does); then trains an ensemble of 5 small perceptrons on
everything and writes their weights as JSON. Needs torch (a build-time tool here; the judge runs on numpy).
"""
from __future__ import annotations

import argparse
import json
import pickle
import random
import sys
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

from .real import ROOT
from .real_photos import OVERLAP, overlap

DEV_SETS = ("tattoos_dev", "photos_neg_dev")
SEEDS = 5
HIDDEN = 16


def photos(street: Path | None, street_n: int, synthetic: int):
    """(group, name, rgb, truth tattoo boxes, prior findings or None) for every training photo."""
    for s in DEV_SETS:
        root = ROOT / "bench" / "real_data" / s
        truth = json.loads((root / "truth.json").read_text())
        for p in sorted((root / "images").iterdir()):
            boxes = [b for t in truth if t["file"] == f"images/{p.name}" and t.get("kind") == "tattoo"
                     for b in t["boxes"]]
            yield s, p.name, cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB), boxes, None
    if street is not None and street_n:
        items = json.loads((street / "labels.json").read_text())
        random.Random(1).shuffle(items)
        for it in items[:street_n]:
            yield "street", it["file"], cv2.cvtColor(cv2.imread(str(street / it["file"])), cv2.COLOR_BGR2RGB), [], None
    if synthetic:
        from bench.context_reflect_tattoo import tattoo_scene

        rng = random.Random(7)
        for i in range(synthetic):
            sc = tattoo_scene(i, rng)
            yield "synthetic", sc.name, sc.rgb, [t.box for t in sc.truths if t.kind == "tattoo"], sc.prior


def collect(street, street_n, synthetic):
    """Feature rows, labels, the photo each row is from, and the truth tattoos each row overlaps."""
    from scanner.api import ScanOptions
    from scanner.detectors import faces
    from scanner.detectors.base import Frame
    from scanner.detectors.tattoo_judge import feature_vector
    from scanner.detectors.tattoos import VETO_REASONS, TattooDetector
    from scanner.policy import Policy

    face_det = faces.make(ScanOptions(), Policy())
    rules = TattooDetector(judge=None)
    rows, hits, photo_of, n_photos, truths = [], [], [], defaultdict(int), {}
    for group, name, rgb, boxes, prior in photos(street, street_n, synthetic):
        frame = Frame(rgb)
        if frame.kind == "screenshot":
            continue
        n_photos[group] += 1
        prior = prior if prior is not None else face_det.detect(frame, [])
        rules.detect(frame, prior)
        s = min(1.0, rules.max_side / max(rgb.shape[:2]))
        truths[(group, name)] = len(boxes)
        has_faces = any(f.kind == "face" for f in prior)
        for c, why, _ in rules.last_candidates:
            box = tuple(v / s for v in c.box)
            rows.append(feature_vector(c, why, has_faces, VETO_REASONS))
            hits.append([(group, name, i) for i, b in enumerate(boxes) if overlap(box, b) >= OVERLAP])
            photo_of.append((group, name))
        print(f"{group}: {n_photos[group]} photos, {len(rows)} candidates", end="\r", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return np.array(rows, np.float64), hits, photo_of, dict(n_photos), truths


def fit(z: np.ndarray, y: np.ndarray, seed: int, epochs: int = 300):
    import torch

    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(z.shape[1], HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 1))
    opt = torch.optim.Adam(net.parameters(), lr=0.01, weight_decay=1e-3)
    zt, yt = torch.tensor(z, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)
    pos_weight = torch.tensor((1 - y.mean()) / max(1e-6, y.mean()))
    for _ in range(epochs):
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(net(zt)[:, 0], yt, pos_weight=pos_weight)
        loss.backward()
        opt.step()
    return {"w1": net[0].weight.detach().numpy().T.tolist(), "b1": net[0].bias.detach().numpy().tolist(),
            "w2": net[2].weight.detach().numpy().T.tolist(), "b2": net[2].bias.detach().numpy().tolist()}


def params(x: np.ndarray, y: np.ndarray, drop_below: float = 0.4, rescue_at: float = 0.9) -> dict:
    from scanner.detectors.tattoos import VETO_REASONS

    mean, std = x.mean(0), x.std(0) + 1e-6
    z = (x - mean) / std
    return {"vetoes": list(VETO_REASONS), "drop_below": drop_below, "rescue_at": rescue_at,
            "mean": mean.tolist(), "std": std.tolist(),
            "nets": [fit(z, y, seed) for seed in range(SEEDS)]}


def source_of(photo: tuple[str, str]) -> tuple[str, str]:
    """The unit a fold holds out: a real dev photo's source site (the file-name prefix before "__", so photos of one
    studio or album never sit on both sides), any other photo by itself."""
    group, name = photo
    return (group, name.split("__")[0]) if group in DEV_SETS else photo


def cross_validated_scores(x, y, photo_of, folds: int = 5) -> np.ndarray:
    from scanner.detectors.tattoo_judge import TattooJudge

    units = sorted({source_of(p) for p in photo_of})
    random.Random(0).shuffle(units)
    fold_of = {u: i % folds for i, u in enumerate(units)}
    fold = np.array([fold_of[source_of(p)] for p in photo_of])
    out = np.zeros(len(y))
    for k in range(folds):
        judge = TattooJudge(params(x[fold != k], y[fold != k]))
        out[fold == k] = judge.scores(x[fold == k])
    return out


def report(scores, hits, photo_of, n_photos, truths, thresholds) -> None:
    groups = sorted(n_photos)
    n_truth = defaultdict(int)
    for (g, _), n in truths.items():
        n_truth[g] += n
    for t in thresholds:
        keep = scores >= t
        found = {h for k, hs in zip(keep, hits) if k for h in hs}
        false = defaultdict(int)
        false_photos = defaultdict(set)
        for k, hs, p in zip(keep, hits, photo_of):
            if k and not hs:
                false[p[0]] += 1
                false_photos[p[0]].add(p[1])
        parts = []
        for g in groups:
            got = sum(1 for h in found if h[0] == g)
            tat = f"tattoos {got}/{n_truth[g]}, " if n_truth[g] else ""
            parts.append(f"{g}: {tat}false {false[g] / n_photos[g]:.2f}/photo on {len(false_photos[g])}/{n_photos[g]}")
        print(f"  t={t:.2f}  " + " | ".join(parts))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.train_tattoos", description=__doc__.splitlines()[0])
    ap.add_argument("--street", type=Path, default=Path("/work/plate_train"))
    ap.add_argument("--street-n", type=int, default=500)
    ap.add_argument("--synthetic", type=int, default=24)
    ap.add_argument("--drop-below", type=float, default=0.4,
                    help="drop a cluster the rules pass when the judge scores it below this")
    ap.add_argument("--rescue-at", type=float, default=0.9, help="keep a vetoed cluster the judge scores this high")
    ap.add_argument("--out", type=Path, default=ROOT / "scanner" / "data" / "tattoo_judge.json")
    ap.add_argument("--cache", type=Path, help="keep the collected candidates in this file and reuse them")
    a = ap.parse_args(argv)
    if a.cache and a.cache.is_file():
        x, hits, photo_of, n_photos, truths = pickle.loads(a.cache.read_bytes())
    else:
        x, hits, photo_of, n_photos, truths = collect(a.street if a.street.is_dir() else None, a.street_n,
                                                      a.synthetic)
        if a.cache:
            a.cache.write_bytes(pickle.dumps((x, hits, photo_of, n_photos, truths)))
    y = np.array([bool(h) for h in hits], np.float64)
    from scanner.detectors.tattoos import FINAL_VETOES, VETO_REASONS

    # (The screen veto needs the screens detector's findings, which training does not run: it never fires here.)
    final_columns = [len(x[0]) - len(VETO_REASONS) + i for i, v in enumerate(VETO_REASONS) if v in FINAL_VETOES]
    final = x[:, final_columns].sum(1) > 0
    print(f"{len(y)} candidates ({int(y.sum())} on tattoos) from {sum(n_photos.values())} photos: {n_photos}")
    print(f"{int(final.sum())} candidates ({int(y[final].sum())} on tattoos) have a final veto: not judged")
    print("rules alone (no veto fired):")
    report((x[:, -len(VETO_REASONS):].sum(1) == 0).astype(float), hits, photo_of, n_photos, truths, [0.5])
    print("judge, 5-fold cross-validated by source:")
    scores = np.zeros(len(y))
    scores[~final] = cross_validated_scores(x[~final], y[~final], [p for p, f in zip(photo_of, final) if not f])
    print("judge alone at several thresholds:")
    report(scores, hits, photo_of, n_photos, truths, [0.5, 0.7, 0.9])
    vetoed = x[:, -len(VETO_REASONS):].sum(1) > 0
    kept = ~final & (scores >= np.where(vetoed, a.rescue_at, a.drop_below))
    print(f"rules + judge (drop below {a.drop_below}, rescue at {a.rescue_at}); found/false count kept clusters, "
          f"flagged ones included:")
    report(kept.astype(float), hits, photo_of, n_photos, truths, [0.5])
    p = params(x[~final], y[~final], a.drop_below, a.rescue_at)
    a.out.write_text(json.dumps(p, separators=(",", ":")) + "\n")
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
