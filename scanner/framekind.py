"""What kind of picture a frame is: a screenshot of software, or a photo (of anything, screens included).

A screenshot is drawn, not photographed: a few exact colours (backgrounds, bars, buttons) cover nearly all of it
and there is no sensor noise. That matters twice. Its text is the screen's own text, so every line is judged as
text on a clinical screen (a lone surname on an EHR list is a patient's). And the things only a camera sees —
wristbands, plates, reflections in glass, tattoos — cannot be in it, so those detectors, whose look-alikes are
exactly a UI's buttons and bars, are skipped. Faces are not skipped: an EHR shows the patient's photo.

Measured on the 39 real screenshots of ../shared/real/ehr_dev and 24 synthetic bench photos (JPEG, noise,
perspective): the eight commonest exact colours cover 0.86-0.99 of a lossless screenshot and at most 0.76 of a
synthetic photo (0.1-0.3 of a real one). A screenshot saved as JPEG, or one that holds a large photo, has many
colours and is taken for a photo: the tool then works as before, which is the safe side.
"""
from __future__ import annotations

import numpy as np

SAMPLE_PIXELS = 1_000_000  # colours are counted on a strided sample (exact values: no interpolation)
TOP_COLOURS = 8
SCREENSHOT_TOP_SHARE = 0.85  # share of the sample covered by its TOP_COLOURS commonest exact colours
SCREENSHOT_MAX_COLOURS = 25_000  # distinct colours in the sample: a photo has tens of thousands
MIN_SIDE = 64  # a thumbnail-sized picture says too little to be sure


def colour_stats(rgb: np.ndarray) -> tuple[int, float]:
    """(distinct colours, share of the TOP_COLOURS commonest) on a strided sample of an H x W x 3 uint8 image."""
    h, w = rgb.shape[:2]
    step = max(1, int((h * w / SAMPLE_PIXELS) ** 0.5))
    a = np.ascontiguousarray(rgb[::step, ::step, :3]).reshape(-1, 3).astype(np.uint32)
    if a.size == 0:
        return 0, 0.0
    keys = (a[:, 0] << 16) | (a[:, 1] << 8) | a[:, 2]
    _, counts = np.unique(keys, return_counts=True)
    top = np.sort(counts)[::-1][:TOP_COLOURS].sum()
    return int(len(counts)), float(top) / len(keys)


def is_screenshot(rgb: np.ndarray) -> bool:
    if rgb.ndim != 3 or min(rgb.shape[:2]) < MIN_SIDE:
        return False
    distinct, top_share = colour_stats(rgb)
    return top_share >= SCREENSHOT_TOP_SHARE and distinct <= SCREENSHOT_MAX_COLOURS


def frame_kind(rgb: np.ndarray) -> str:
    """'screenshot' or 'photo'."""
    return "screenshot" if is_screenshot(rgb) else "photo"
