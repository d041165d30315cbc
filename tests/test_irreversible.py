"""Redaction is irreversible: an independent reader (Tesseract) reads nothing of the redacted text back, and a
de-pixelation attack (render candidate names the same way, pick the nearest) does no better than chance.

Tesseract is not the OCR scanner uses (RapidOCR), so this is a second opinion rather than the detector grading
itself. Names come from the US census surname/first-name lists shipped in the `names` package.
"""
from __future__ import annotations

import math
import os
import re
import sys
from itertools import islice

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from conftest import needs_tesseract
from scanner.findings import Finding
from scanner.redact import STYLES, redact_image, redaction_box

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BG, INK = (235, 235, 228), (20, 20, 20)
SIZES = (12, 16, 24, 36, 56)
CONTROL = "Hand hygiene saves lives"  # not redacted: proves the redacted image is still readable by the OCR


def census(kind: str, n: int, length: int | None = None, skip: int = 0) -> list[str]:
    """The first `n` names (most common first) of a census list, optionally of one length."""
    import names

    with open(names.FILES[kind]) as f:
        words = (line.split()[0] for line in f)
        words = (w for w in words if length is None or len(w) == length)
        return list(islice(words, skip, skip + n))


def font(px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, px)


# ------------------------------------------------------------------------------------------ independent OCR
def ehr_scene() -> tuple[np.ndarray, list[Finding], list[str]]:
    """Name + MRN lines at several sizes (each its own patient), their true boxes, and the secret tokens."""
    rng = np.random.default_rng(3)
    last, first = census("last", len(SIZES), skip=20), census("first:female", len(SIZES), skip=20)
    img = Image.new("RGB", (1100, 96 + int(sum(SIZES) * 1.9)), BG)
    d = ImageDraw.Draw(img)
    findings, secrets, y = [], [], 12
    for size, ln, fn in zip(SIZES, last, first):
        mrn = "".join(str(v) for v in rng.integers(0, 10, 8))
        text = f"{ln}, {fn}  MRN {mrn}"
        box = d.textbbox((20, y), text, font=font(size))
        d.text((20, y), text, font=font(size), fill=INK)
        findings.append(Finding(kind="text", category="name", box=tuple(int(v) for v in box), confidence=0.9))
        secrets += [ln, fn, mrn]
        y += int(size * 1.9)
    d.text((20, y + 8), CONTROL, font=font(28), fill=INK)
    return np.array(img), findings, secrets


def tesseract_words(rgb: np.ndarray) -> set[str]:
    """Every word Tesseract reads, trying what an attacker would: 1x and 2x, plain and binarised, two layouts."""
    import pytesseract

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    words: set[str] = set()
    for scale in (1, 2):
        g = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC) if scale > 1 else grey
        variants = [g, cv2.threshold(g, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)[1]]
        for v in variants if scale == 1 else variants[:1]:
            for psm in ("6", "11"):
                text = pytesseract.image_to_string(v, config=f"--psm {psm}")
                words |= {w for w in re.findall(r"[A-Za-z0-9]+", text.upper())}
    return words


def leaks(words: set[str], secrets: list[str]) -> list[str]:
    """Secret tokens, or any 4 consecutive characters of one, found among the words read."""
    found = []
    for s in secrets:
        s = s.upper()
        grams = {s[i:i + 4] for i in range(len(s) - 3)} or {s}
        hits = [w for w in words if s in w or any(g in w for g in grams)]
        if hits:
            found.append(f"{s} <- {sorted(hits)[:3]}")
    return found


@pytest.mark.models
@needs_tesseract
def test_independent_ocr_reads_nothing_back_from_any_style(capsys):
    rgb, findings, secrets = ehr_scene()
    before = tesseract_words(rgb)
    unread = [s for s in secrets if s.upper() not in before]
    assert not unread, f"the test text must be readable before redaction; Tesseract missed {unread}"
    assert {"HAND", "HYGIENE"} <= before
    # The leak check has teeth: a light blur (what a quick edit in a photo app does) gives most of it back.
    light = rgb.copy()
    for f in findings:
        x0, y0, x1, y1 = redaction_box(f, rgb.shape[1], rgb.shape[0])
        light[y0:y1, x0:x1] = cv2.GaussianBlur(light[y0:y1, x0:x1], (5, 5), 0)
    assert len(leaks(tesseract_words(light), secrets)) >= len(secrets) // 2
    total = 0
    per_style = {}
    for style in STYLES:
        red = redact_image(rgb, findings, style)
        words = tesseract_words(red)
        assert {"HAND", "HYGIENE"} <= words, f"{style}: the control line should still be read"
        found = leaks(words, secrets)
        per_style[style] = found
        total += len(found)
    with capsys.disabled():
        print(f"\n[irreversible] independent OCR (Tesseract): {len(secrets)} secrets x {len(STYLES)} styles at sizes "
              f"{SIZES}: {total} leaks")
    assert total == 0, per_style


# ------------------------------------------------------------------------------------------ de-pixelation attack
def render(text: str, size: int, w: int = 420, h: int = 120, org=(30, 36)) -> tuple[np.ndarray, tuple]:
    img = Image.new("RGB", (w, h), BG)
    d = ImageDraw.Draw(img)
    d.text(org, text, font=font(size), fill=INK)
    return np.array(img), tuple(int(v) for v in d.textbbox(org, text, font=font(size)))


def mean_mosaic(rgb: np.ndarray, region, block: int, noise: int, rng) -> np.ndarray:
    """Classic pixelation (block averages), optionally with per-block noise: the controls the attack must beat."""
    x0, y0, x1, y1 = region
    out = rgb.copy()
    r = out[y0:y1, x0:x1]
    h, w = r.shape[:2]
    small = cv2.resize(r, (max(1, w // block), max(1, h // block)), interpolation=cv2.INTER_AREA).astype(np.int16)
    if noise:
        small = small + rng.integers(-noise, noise + 1, small.shape)
    out[y0:y1, x0:x1] = cv2.resize(np.clip(small, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
    return out


def scanner_style_without_noise(style: str):
    """The attacker knows the algorithm (Kerckhoffs): scanner's own style, with its random noise taken out."""
    redact_mod = sys.modules["scanner.redact"]

    def transform(rgb, region, box):
        # `box` is the published redaction's box (its region is plain to see), not the candidate's own: redact
        # the candidate render exactly where the target was redacted.
        real = redact_mod._noisy
        redact_mod._noisy = lambda block, amplitude=48: block
        try:
            return redact_image(rgb, [Finding("text", "name", box, 0.9)], style)
        finally:
            redact_mod._noisy = real
    return transform


def nearest(observed: np.ndarray, region, target_box, candidates: list[str], size: int, transform, rng) -> str:
    """The candidate whose render, transformed like the target, is nearest (L2) to what was published; ties are
    broken at random (an attacker who cannot tell candidates apart can only guess)."""
    x0, y0, x1, y1 = region
    obs = observed[y0:y1, x0:x1].astype(np.float64)
    dists = []
    for c in candidates:
        rgb, _ = render(c, size)
        t = transform(rgb, region, target_box)[y0:y1, x0:x1].astype(np.float64)
        dists.append(float(((t - obs) ** 2).sum()))
    d = np.array(dists)
    best = np.flatnonzero(d <= d.min() * (1 + 1e-9) + 1e-9)
    return candidates[int(rng.choice(best))]


def p_at_least(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p): how likely `k` hits are by pure guessing."""
    return sum(math.comb(n, i) * p ** i * (1 - p) ** (n - i) for i in range(k, n + 1))


CANDIDATES = census("last", 40, length=6)  # 40 common six-letter surnames: same length, so the box width is no clue
TRIALS = 30


def run_attack(kind: str, seed: int = 11) -> int:
    rng = np.random.default_rng(seed)
    hits = 0
    for t in range(TRIALS):
        size = (20, 28, 40)[t % 3]
        true = CANDIDATES[int(rng.integers(len(CANDIDATES)))]
        rgb, box = render(true, size)
        f = Finding("text", "name", box, 0.9)
        region = redaction_box(f, rgb.shape[1], rgb.shape[0])
        if kind in STYLES:
            observed = redact_image(rgb, [f], kind)
            transform = scanner_style_without_noise(kind)
        else:  # controls: naive pixelation (6 px blocks) and noisy block means at the text height
            block, noise = (6, 0) if kind == "naive" else (max(12, box[3] - box[1]), 24)
            observed = mean_mosaic(rgb, region, block, noise, rng)
            transform = lambda im, reg, b, block=block: mean_mosaic(im, reg, block, 0, rng)  # noqa: E731
        hits += nearest(observed, region, box, CANDIDATES, size, transform, rng) == true
    return hits


@pytest.mark.parametrize("control, min_hits", [("naive", 27), ("noisy-means", 5)])
def test_attack_works_on_ordinary_pixelation(control, min_hits, capsys):
    """The attack has teeth: it reverses naive pixelation and beats chance on noisy block averages (which is why
    scanner's mosaic does not use the text's block averages)."""
    hits = run_attack(control)
    chance = TRIALS / len(CANDIDATES)
    with capsys.disabled():
        print(f"\n[irreversible] de-pixelation attack on {control} pixelation: {hits}/{TRIALS} "
              f"(chance {chance:.2f}, p={p_at_least(hits, TRIALS, 1 / len(CANDIDATES)):.2g})")
    assert hits >= min_hits


@pytest.mark.parametrize("style", STYLES)
def test_depixelation_attack_no_better_than_chance(style, capsys):
    hits = run_attack(style)
    p = p_at_least(hits, TRIALS, 1 / len(CANDIDATES))
    with capsys.disabled():
        print(f"\n[irreversible] de-pixelation attack on scanner {style}: {hits}/{TRIALS} "
              f"(chance {TRIALS / len(CANDIDATES):.2f}, p={p:.2g})")
    assert p > 0.01, f"{hits}/{TRIALS} correct guesses is better than chance (p={p:.3g})"


def test_text_mosaic_carries_no_trace_of_the_text():
    """Two different names in the same box give statistically identical mosaics: only the border colour and fresh
    noise go in, so the mean over many redactions converges to the background for both."""
    a, box_a = render("WILSON", 28)
    b, _ = render("MOORE", 28)
    f = Finding("text", "name", box_a, 0.9)
    x0, y0, x1, y1 = redaction_box(f, a.shape[1], a.shape[0])
    border = np.median(np.concatenate([a[y0, x0:x1], a[y1 - 1, x0:x1], a[y0:y1, x0], a[y0:y1, x1 - 1]]), axis=0)
    for style, amplitude in (("pixelate", 48), ("blur", 24)):
        mean_a = np.mean([redact_image(a, [f], style)[y0:y1, x0:x1] for _ in range(100)], axis=0)
        mean_b = np.mean([redact_image(b, [f], style)[y0:y1, x0:x1] for _ in range(100)], axis=0)
        assert np.abs(mean_a - mean_b).max() < 25  # noise only (±48 per tile, 100 draws)
        # Noise is clipped at 255, so a light background converges a few levels below its own colour: compare with
        # the clipped expectation. 4 tiles × 100 draws puts one standard error near 1.4 levels; 6 is > 4 of them.
        expected = [np.clip(c + np.arange(-amplitude, amplitude + 1), 0, 255).mean() for c in border]
        assert np.abs(mean_a.mean(axis=(0, 1)) - expected).max() < 6, (style, mean_a.mean(axis=(0, 1)), expected)


def test_face_mosaic_still_looks_like_a_patch_of_the_face():
    """Faces keep coarse block averages (a fifth of the face), so the copy reads as 'a face was here'."""
    rgb = np.full((200, 200, 3), 30, np.uint8)
    rgb[50:150, 60:140] = (200, 160, 140)  # a skin-coloured oval-ish patch on a dark background
    f = Finding("face", "face", (60, 50, 140, 150), 0.9)
    out = redact_image(rgb, [f], "pixelate")
    assert out[100, 100].astype(int).sum() > 300 and not (out == rgb).all()
