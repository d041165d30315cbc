"""Tattoo or look-alike: a small learned judge over the measurements of each ink cluster (see tattoos.py).

The rules in tattoos.py find clusters of ink on skin and measure them (ink, contrast, edges, dots, streaks, the skin
around them, its texture); their fixed vetoes alone, tried on real photos, let fur, food, fabric and pedestrians'
clothes through (1.5 false tattoos per photo) and throw away parts of real tattoos. The judge weighs all the
measurements together, the veto a cluster got included: an ensemble of small two-layer perceptrons trained by
`bench/train_tattoos.py` on the candidates the rules find in real photos (tattoo photos with boxes, PHI-free
photos, street photos; provenance in models/MANIFEST.md), stored as plain numbers in scanner/data/tattoo_judge.json
and evaluated here with numpy.

It was trained on tattoos from only three studio sites; on photos from other sites it alone found far fewer
tattoos than the rules. So it only overrules the rules where it is nearly sure: a cluster the rules pass is dropped
when the judge scores it below `drop_below` (fur, food, cloth), a vetoed one is kept when it scores at least
`rescue_at`. Its score is the finding's confidence (below the policy's 0.5 a "possible tattoo", flagged).
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

JUDGE_PATH = Path(__file__).resolve().parent.parent / "data" / "tattoo_judge.json"


def feature_vector(c, why: Optional[str], has_faces: bool, vetoes: Sequence[str]) -> list[float]:
    """The judge's inputs for one Candidate (tattoos.Candidate), its veto (or None) and whether faces are in shot."""
    return [math.log(max(1, c.ink_px)), c.fill, c.contrast / 50.0, c.dot_frac, c.coherence, c.sharpness,
            c.ring_skin, c.straight, c.region_frac, c.region_span, c.colour_ink,
            math.log1p(max(0.0, c.skin_texture)), math.log1p(max(0.0, c.skin_texture_p90)),
            float(has_faces), float(c.skin_texture < 0), float(c.text_line), float(c.repeated), float(c.rectangle),
            float(c.solid_shape)] + [float(why == v) for v in vetoes]


class TattooJudge:
    """Mean score of the ensemble's perceptrons (sigmoid of a 16-unit ReLU layer) on standardised features."""

    def __init__(self, params: dict):
        self.vetoes: list[str] = list(params["vetoes"])
        self.drop_below: float = float(params["drop_below"])
        self.rescue_at: float = float(params["rescue_at"])
        self.mean = np.asarray(params["mean"], np.float64)
        self.std = np.asarray(params["std"], np.float64)
        self.nets = [tuple(np.asarray(n[k], np.float64) for k in ("w1", "b1", "w2", "b2")) for n in params["nets"]]

    def scores(self, rows: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0)
        z = (np.asarray(rows, np.float64) - self.mean) / self.std
        out = np.zeros(len(z))
        for w1, b1, w2, b2 in self.nets:
            logit = np.maximum(z @ w1 + b1, 0.0) @ w2 + b2
            out += 1.0 / (1.0 + np.exp(-logit.reshape(-1)))
        return out / len(self.nets)

    def score(self, c, why: Optional[str], has_faces: bool) -> float:
        return float(self.scores(np.array([feature_vector(c, why, has_faces, self.vetoes)]))[0])

    def keeps(self, score: float, vetoed: bool) -> bool:
        return score >= (self.rescue_at if vetoed else self.drop_below)


@lru_cache(maxsize=4)
def load_judge(path: Path = JUDGE_PATH) -> TattooJudge:
    if not Path(path).is_file():
        raise RuntimeError(f"tattoo judge {path} is missing: it ships inside the scanner package (scanner/data); "
                           "reinstall scanner, or rebuild it with `python -m bench.train_tattoos`")
    return TattooJudge(json.loads(Path(path).read_text()))
