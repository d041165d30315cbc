"""What kind of picture a frame is: a screenshot of software, or a photo (of anything, screens included).

A screenshot is drawn, not photographed: a few exact colours (backgrounds, bars, buttons) cover nearly all of it
and there is no sensor noise. That matters twice. Its text is the screen's own text, so every line is judged as
text on a clinical screen (a lone surname on an EHR list is a patient's). And the things only a camera sees —
wristbands, plates, reflections in glass, tattoos — cannot be in it, so those detectors, whose look-alikes are
exactly a UI's buttons and bars, are skipped. Faces are not skipped: an EHR shows the patient's photo.

Measured on the 63 real screenshots of ../shared/real/ehr_dev and bench/real_data/oss_dev (some rescaled, which
blends colours) and 24 synthetic bench photos (JPEG, noise, perspective): the eight commonest exact colours cover
0.84-0.99 of a lossless screenshot and at most 0.76 of a synthetic photo (0.1-0.3 of a real one). A screenshot saved as JPEG, or one that holds a large photo, has many
colours and is taken for a photo: the tool then works as before, which is the safe side.

Real screenshots that were rescaled (blended edges), dark viewers with a medical image in them, and 256-colour
renders cover less (0.59-0.81 over 19 of the 117 dev screenshots of ehr_dev and oss_dev 1-3) but still have
few colours; so does no real photo measured (154 dev photos of people, streets, animals, cars and tattoos: at most
0.55 for the 8 commonest, a studio shot whose one white backdrop is 0.48 of it). Two more ways to be a screenshot:
several flat colours besides the commonest one (a photo has at most one backdrop), or a palette's few colours.
"""
from __future__ import annotations

import numpy as np

SAMPLE_PIXELS = 1_000_000  # colours are counted on a strided sample (exact values: no interpolation)
TOP_COLOURS = 8
SCREENSHOT_TOP_SHARE = 0.82  # share of the sample covered by its TOP_COLOURS commonest exact colours
SCREENSHOT_MAX_COLOURS = 80_000  # distinct colours in the sample (a rescaled screenshot has tens of thousands)
MIN_SIDE = 64  # a thumbnail-sized picture says too little to be sure
# A UI is drawn in several flat colours (background, panels or bars, text): at least this many each cover
# FLAT_COLOUR_SHARE of it (3-15 on every real screenshot measured). One flat backdrop behind a textured subject
# (a studio photo, a test card) has one.
SCREENSHOT_MIN_FLAT_COLOURS = 3
FLAT_COLOUR_SHARE = 0.003
# A screenshot that covers less: rescaled, or dark with an image in it. Its 8 commonest colours still cover this
# much, at most LOOSE_MAX_COLOURS colours in all, and the 2nd-8th commonest at least LOOSE_MIN_REST (UI panels
# and text, not one backdrop).
LOOSE_TOP_SHARE = 0.58
LOOSE_MAX_COLOURS = 40_000
LOOSE_MIN_REST = 0.10
# A palette render (a 256-colour GIF frame, a grey viewer export): few colours, most of it flat.
PALETTE_MAX_COLOURS = 2048


def colour_stats(rgb: np.ndarray) -> tuple[int, float, int, float]:
    """(distinct colours, share of the TOP_COLOURS commonest, colours covering FLAT_COLOUR_SHARE each, share of the
    commonest alone) on a strided sample of an H x W x 3 uint8 image."""
    h, w = rgb.shape[:2]
    step = max(1, int((h * w / SAMPLE_PIXELS) ** 0.5))
    a = np.ascontiguousarray(rgb[::step, ::step, :3]).reshape(-1, 3).astype(np.uint32)
    if a.size == 0:
        return 0, 0.0, 0, 0.0
    keys = (a[:, 0] << 16) | (a[:, 1] << 8) | a[:, 2]
    _, counts = np.unique(keys, return_counts=True)
    ranked = np.sort(counts)[::-1]
    top = ranked[:TOP_COLOURS].sum()
    flat = int((ranked >= FLAT_COLOUR_SHARE * len(keys)).sum())
    return int(len(counts)), float(top) / len(keys), flat, float(ranked[0]) / len(keys)


def is_screenshot(rgb: np.ndarray) -> bool:
    if rgb.ndim != 3 or min(rgb.shape[:2]) < MIN_SIDE:
        return False
    distinct, top_share, flat, first = colour_stats(rgb)
    if top_share >= SCREENSHOT_TOP_SHARE and distinct <= SCREENSHOT_MAX_COLOURS and flat >= SCREENSHOT_MIN_FLAT_COLOURS:
        return True
    if top_share >= LOOSE_TOP_SHARE and distinct <= PALETTE_MAX_COLOURS:
        return True
    return (top_share >= LOOSE_TOP_SHARE and distinct <= LOOSE_MAX_COLOURS and top_share - first >= LOOSE_MIN_REST
            and flat >= SCREENSHOT_MIN_FLAT_COLOURS)


def frame_kind(rgb: np.ndarray) -> str:
    """'screenshot' or 'photo'."""
    return "screenshot" if is_screenshot(rgb) else "photo"


# ----------------------------------------------------------------------------------------- medical images
# A CT, MR or X-ray shown on a screen, exported, or photographed: a large grey (colourless), not too bright area with
# anatomy's texture in it. Text over or around it is an overlay (name, ID, birth date, study date, institution),
# read line by line as PHI except acquisition parameters (scanner.text.overlay).
IMAGING_SIDE = 384  # analysis canvas
GREY_SPREAD = 14  # max channel difference of a colourless pixel (JPEG shifts chroma a little)
IMAGING_MIN_AREA = 0.06  # of the frame
IMAGING_MIN_GREY = 0.95
IMAGING_MAX_MEAN = 170  # a zoomed CT fills the frame without black; a bone window is bright
IMAGING_MIN_TEXTURE = 0.15  # share of pixels with visible local variation: anatomy, not a dark UI panel
IMAGING_MAX_PEAKED = 0.6  # share of the five commonest grey levels among the lit pixels


def imaging_regions(rgb: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Boxes (source pixels) of medical images in a frame: grey, textured areas of at least 6% of it whose grey
    levels spread (anatomy) rather than pile up on a few shades (a UI)."""
    import cv2

    if rgb.ndim != 3 or min(rgb.shape[:2]) < MIN_SIDE:
        return []
    h, w = rgb.shape[:2]
    s = min(1.0, IMAGING_SIDE / max(h, w))
    small = cv2.resize(rgb[:, :, :3], (max(1, round(w * s)), max(1, round(h * s))), interpolation=cv2.INTER_AREA)
    a = small.astype(np.int16)
    spread = a.max(axis=-1) - a.min(axis=-1)
    luma = a.mean(axis=-1)
    grey = spread <= GREY_SPREAD
    # Candidate area: grey pixels, closed over the bright anatomy and the overlay text inside the image.
    k = max(3, round(0.04 * max(small.shape[:2])) | 1)
    mask = cv2.morphologyEx((grey & (luma < 200)).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
    texture = cv2.morphologyEx(luma.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) >= 8
    out = []
    for x, y, bw, bh, area in stats[1:]:
        if bw * bh < IMAGING_MIN_AREA * small.shape[0] * small.shape[1]:
            continue
        sl = (slice(y, y + bh), slice(x, x + bw))
        if (grey[sl].mean() < IMAGING_MIN_GREY or luma[sl].mean() > IMAGING_MAX_MEAN
                or texture[sl].mean() < IMAGING_MIN_TEXTURE):
            continue
        lit = luma[sl][luma[sl] >= 20].astype(np.int32)  # the image, less its black background
        peaked = np.sort(np.bincount(lit, minlength=256))[::-1][:5].sum() / max(1, lit.size)
        if peaked > IMAGING_MAX_PEAKED or not 0.2 <= bw / bh <= 5:
            continue  # a UI panel or bar: a few flat shades (0.7-0.9 of it), where anatomy spreads (<= 0.5)
        out.append((int(x / s), int(y / s), min(w, int(round((x + bw) / s))), min(h, int(round((y + bh) / s)))))
    return out
