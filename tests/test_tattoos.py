"""Tattoo detector: skin, ink inside skin, the look-alike vetoes and the learned judge, on scenes drawn here.

Every test runs the real detector with the real judge (scanner/data/tattoo_judge.json, numpy only).
"""
from __future__ import annotations

import dataclasses
import random

import cv2
import numpy as np
import pytest

from bench.context_reflect_tattoo import (SKIN_TONES, cloth, draw_design, ink_on, limb_mask, paint_skin,
                                          skin_negative, text_patch, wall, wood)
from scanner import geometry
from scanner.detectors import tattoos as T
from scanner.detectors.base import Frame
from scanner.detectors.tattoo_judge import TattooJudge, feature_vector, load_judge
from scanner.findings import Finding
from scanner.policy import Policy

W, H = 640, 400


def limb_scene(tone_i: int, seed: int = 0):
    """A skin-coloured forearm across a plain grey-blue wall (not skin-coloured)."""
    rng = random.Random(seed)
    img = np.empty((H, W, 3), np.uint8)
    img[:] = (120, 130, 150)
    img = np.clip(img + np.random.default_rng(seed).normal(0, 3, img.shape), 0, 255).astype(np.uint8)
    p0, p1, lw = (200, 40), (260, 360), 130
    limb = limb_mask(H, W, p0, p1, lw)
    paint_skin(img, limb, SKIN_TONES[tone_i], rng)
    return img, limb, p0, p1, lw, rng


def tattooed(kind: str, tone_i: int = 1, seed: int = 0, colour=(28, 32, 48)):
    img, limb, p0, p1, lw, rng = limb_scene(tone_i, seed)
    inner = cv2.erode(limb.astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool)
    box = ink_on(img, inner, draw_design(80, rng, kind), 230, 200, 10.0, colour, 0.8, 1.0)
    assert box is not None
    return img, box


def detect(img, prior=()):
    det = T.TattooDetector(load_judge())
    return det.detect(Frame(img), list(prior)), det


def hits(found, box) -> bool:
    return any(geometry.coverage(box, f.box) >= 0.5 or geometry.iou(box, f.box) >= 0.3 for f in found)


# -------------------------------------------------------------------------------------------- skin
@pytest.mark.parametrize("tone", SKIN_TONES)
def test_skin_tones_are_skin(tone):
    assert T.generic_skin(np.full((4, 4, 3), tone, np.uint8)).all()


@pytest.mark.parametrize("colour", [(120, 130, 150), (40, 120, 60), (200, 200, 200), (20, 20, 20), (30, 60, 200)])
def test_other_colours_are_not_skin(colour):
    assert not T.generic_skin(np.full((4, 4, 3), colour, np.uint8)).any()


def test_face_colour_widens_skin_to_the_persons_own_tone():
    # Skin under a cool light, outside the generic rule; the detected face says it is this person's skin.
    tone = (140, 130, 128)  # low saturation: outside the generic rule
    img = np.full((100, 200, 3), (60, 90, 60), np.uint8)
    img[:, 100:] = tone
    assert not T.generic_skin(img)[:, 100:].any()
    mask = T.face_skin(img, [(110, 10, 190, 90)])
    assert mask is not None and mask[:, 100:].mean() > 0.95 and mask[:, :100].mean() < 0.05
    assert T.face_skin(img, []) is None


def test_ink_inside_a_limb_is_part_of_its_region():
    img, box = tattooed("tribal")
    regions = T.skin_regions(T.generic_skin(img))
    cx, cy = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2
    assert any(r[cy, cx] for r in regions)


# -------------------------------------------------------------------------------------------- measures
def test_dots_vs_strokes():
    dots = np.zeros((60, 60), np.uint8)
    for y in range(8, 60, 15):
        for x in range(8, 60, 15):
            cv2.circle(dots, (x, y), 3, 1, -1)
    strokes = np.zeros((60, 60), np.uint8)
    cv2.line(strokes, (5, 5), (55, 50), 1, 3)
    cv2.ellipse(strokes, (30, 30), (20, 10), 30, 0, 300, 1, 3)
    assert T._dot_fraction(dots.astype(bool)) >= 0.9
    assert T._dot_fraction(strokes.astype(bool)) <= 0.1


def test_parallel_streaks_are_coherent_and_a_ring_is_not():
    streaks = np.full((80, 80), 200, np.float32)
    for y in range(4, 80, 8):
        streaks[y:y + 3] = 60
    ring = np.full((80, 80), 200, np.float32)
    cv2.circle(ring, (40, 40), 25, 60, 4)
    full = np.ones((80, 80), np.uint8)
    assert T._coherence(streaks, full) >= 0.9
    assert T._coherence(ring, full) <= 0.2


def test_frames_are_straight_and_flowers_are_not():
    frame = np.zeros((80, 100), np.uint8)
    cv2.rectangle(frame, (5, 5), (95, 75), 1, 4)
    flower = (draw_design(80, random.Random(2), "flower") > 100)
    assert T._straight_fraction(frame.astype(bool)) >= 0.6
    assert T._straight_fraction(flower) <= 0.3


def test_printed_paragraph_is_a_text_block_and_one_script_word_is_not():
    page = text_patch(["Visitors please", "check in at the", "front desk today", "thank you"], 14,
                      random.Random(0), False, 0)
    ink = cv2.cvtColor(page, cv2.COLOR_RGB2GRAY) < 128
    assert T.text_blocks(ink, 11)
    word = draw_design(60, random.Random(0), "script") > 100
    assert T.text_blocks(word, 11) == []


def test_repeated_same_size_clusters():
    boxes = [(x, 0, x + 20, 20) for x in range(0, 200, 30)]
    assert T.repeated(boxes, boxes[0])
    assert not T.repeated(boxes[:3], boxes[0])
    assert not T.repeated(boxes + [(0, 50, 90, 120)], (0, 50, 90, 120))  # one big design among small dots


# -------------------------------------------------------------------------------------------- judgement
BASE = T.Candidate(box=(0, 0, 60, 60), ink_px=700, fill=0.25, contrast=70, dot_frac=0.0, coherence=0.2,
                   sharpness=0.4, ring_skin=0.95, straight=0.0, text_line=False, repeated=False, region_frac=0.1,
                   rectangle=False, region_span=0.1, colour_ink=0.0)


@pytest.mark.parametrize("change,why", [
    ({"ring_skin": 0.2}, "skin"), ({"dot_frac": 0.9}, "dots"), ({"coherence": 0.9}, "streaks"),
    ({"sharpness": 0.05}, "shadow"), ({"straight": 0.8}, "straight"), ({"text_line": True}, "text"),
    ({"repeated": True}, "pattern"), ({"fill": 0.03}, "sparse"), ({"rectangle": True}, "rectangular"),
    ({"region_span": 0.9, "fill": 0.3}, "whole region"), ({"solid_shape": True}, "convex"),
])
def test_each_look_alike_is_vetoed(change, why):
    assert T.veto(BASE) is None
    reason = T.veto(dataclasses.replace(BASE, **change))
    assert reason is not None and why in reason


def test_every_veto_reason_is_one_of_the_judges_inputs():
    reasons = {T.veto(dataclasses.replace(BASE, **change)) for change in (
        {"ring_skin": 0.2}, {"dot_frac": 0.9}, {"coherence": 0.9}, {"fill": 0.03}, {"rectangle": True},
        {"sharpness": 0.05}, {"straight": 0.8}, {"text_line": True}, {"solid_shape": True}, {"repeated": True},
        {"region_span": 0.9, "fill": 0.3})}
    assert reasons == set(T.VETO_REASONS)
    assert T.FINAL_VETOES <= set(T.VETO_REASONS) | {T.SCREEN_VETO}  # a misspelt final veto would not be final
    judge = load_judge()
    assert judge.vetoes == list(T.VETO_REASONS)
    assert len(feature_vector(BASE, None, False, judge.vetoes)) == len(judge.mean) == len(judge.std)
    assert 0.0 < judge.drop_below < 0.5 < judge.rescue_at < 1.0


def test_judge_is_the_mean_of_its_perceptrons():
    """Two one-unit nets on two standardised features: the score is the mean of their sigmoids."""
    params = {"vetoes": [], "drop_below": 0.1, "rescue_at": 0.9, "mean": [1.0, 0.0], "std": [2.0, 1.0],
              "nets": [{"w1": [[1.0], [0.0]], "b1": [0.0], "w2": [[2.0]], "b2": [-1.0]},
                       {"w1": [[0.0], [-1.0]], "b1": [0.5], "w2": [[1.0]], "b2": [0.0]}]}
    judge = TattooJudge(params)
    x = np.array([[5.0, 1.0], [-1.0, -3.0]])
    z = (x - [1.0, 0.0]) / [2.0, 1.0]
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    want = (sig(2 * np.maximum(z[:, 0], 0) - 1) + sig(np.maximum(0.5 - z[:, 1], 0))) / 2
    assert judge.scores(x) == pytest.approx(want)
    assert judge.scores(np.zeros((0, 2))).shape == (0,)
    assert judge.keeps(0.2, vetoed=False) and not judge.keeps(0.05, vetoed=False)
    assert judge.keeps(0.95, vetoed=True) and not judge.keeps(0.8, vetoed=True)


def test_missing_judge_is_a_clear_error(tmp_path):
    load_judge.cache_clear()
    with pytest.raises(RuntimeError, match="tattoo judge .* is missing"):
        load_judge(tmp_path / "judge.json")


def test_judge_scores_drawn_ink_above_moles_and_wood():
    judge = load_judge()
    tattoo = judge.score(dataclasses.replace(BASE, skin_texture=1.5, skin_texture_p90=5.0), None, False)
    dots = dataclasses.replace(BASE, dot_frac=0.9, skin_texture=1.5, skin_texture_p90=5.0)
    grain = dataclasses.replace(BASE, coherence=0.9, skin_texture=6.0, skin_texture_p90=25.0)
    assert tattoo > judge.score(dots, T.veto(dots), False)
    assert tattoo > judge.score(grain, T.veto(grain), False)


# -------------------------------------------------------------------------------------------- detector
@pytest.mark.parametrize("kind", ["script", "flower", "tribal", "star", "heart", "mandala", "anchor"])
def test_finds_tattoo_designs(kind):
    img, box = tattooed(kind)
    found, _ = detect(img)
    assert hits(found, box)
    for f in found:
        assert f.kind == "tattoo" and f.category == "tattoo" and f.safe_harbor == "R"
        assert f.severity in ("low", "medium") and f.note


@pytest.mark.parametrize("tone_i", range(len(SKIN_TONES)))
def test_finds_a_tattoo_on_every_skin_tone(tone_i):
    img, box = tattooed("tribal", tone_i=tone_i, seed=tone_i)
    assert hits(detect(img)[0], box)


def test_finds_coloured_ink():
    img, box = tattooed("star", colour=(170, 30, 40))
    assert hits(detect(img)[0], box)


@pytest.mark.parametrize("neg", ["mole", "freckles", "hair", "shadow"])
def test_skin_look_alikes_are_not_tattoos(neg):
    img, limb, p0, p1, lw, rng = limb_scene(1, seed=3)
    skin_negative(img, limb, p0, p1, lw, neg, rng)
    found, _ = detect(img)
    assert found == []


def test_plain_skin_is_clear():
    img, *_ = limb_scene(2, seed=5)
    assert detect(img)[0] == []


def test_face_features_are_left_to_the_face_detector():
    img, *_ = limb_scene(1, seed=4)
    face = np.zeros((H, W), np.uint8)
    cv2.ellipse(face, (500, 150), (60, 78), 0, 0, 360, 1, -1)
    paint_skin(img, face.astype(bool), SKIN_TONES[1], random.Random(4))
    for sx in (-1, 1):
        cv2.circle(img, (500 + sx * 30, 140), 6, (35, 30, 30), -1)
        cv2.line(img, (500 + sx * 15, 120), (500 + sx * 45, 124), (50, 35, 30), 5)
    cv2.ellipse(img, (500, 190), (20, 7), 0, 0, 360, (130, 60, 60), -1)
    prior = [Finding(kind="face", category="face", box=(440, 72, 560, 228), confidence=0.9)]
    found, _ = detect(img, prior)
    assert not any(geometry.intersection(f.box, (440, 72, 560, 228)) for f in found)


@pytest.mark.parametrize("what", ["wood", "beige cloth", "paper"])
def test_skin_coloured_things_are_not_tattoos(what):
    rng = random.Random(7)
    img = wall(W, H, random.Random(1))
    img[:] = (120, 130, 150)
    if what == "wood":
        patch = wood(260, 240, rng)
    elif what == "beige cloth":
        patch = cloth(260, 240, rng, beige=True)
    else:
        patch = text_patch(["Visitors please", "check in at the", "front desk", "thank you", "Pharmacy"], 18, rng,
                           False, 0)
        patch = cv2.resize(patch, (260, 240))
        patch = (patch.astype(np.float32) * (np.array(SKIN_TONES[1]) / 244.0)).astype(np.uint8)
    img[80:320, 200:460] = patch
    assert detect(img)[0] == []


def test_full_resolution_boxes_and_the_judges_score_as_confidence():
    small, box = tattooed("tribal", tone_i=4, seed=9)
    big = cv2.resize(small, (W * 3, H * 3), interpolation=cv2.INTER_CUBIC)  # 1920x1200: detected on a canvas
    found, det = detect(big)
    big_box = geometry.scale(box, 3)
    assert hits(found, big_box)
    scores = {round(score, 3) for _, _, score in det.last_candidates}
    for f in found:
        assert 0 <= f.box[0] < f.box[2] <= W * 3 and 0 <= f.box[1] < f.box[3] <= H * 3
        assert f.confidence in scores and f.confidence <= 1.0
        assert (f.severity == "low") == (f.confidence < T.CONFIDENT)
        assert f.note.startswith("possible tattoo" if f.confidence < T.CONFIDENT else "tattoo (ink pattern on skin)")


def test_policy_flags_unsure_tattoos_instead_of_redacting():
    unsure = Finding(kind="tattoo", category="tattoo", box=(0, 0, 10, 10), confidence=0.4, severity="low",
                     note="possible tattoo")
    sure = Finding(kind="tattoo", category="tattoo", box=(0, 0, 10, 10), confidence=0.7, severity="medium")
    out = Policy().apply([unsure, sure])
    assert [f.action for f in out] == ["flag", "redact"]


# ------------------------------------------------------------------ a skin-coloured wall (main bench scene 038)
def skin_wall_with_sign_and_discs():
    """A dusty-pink wall the skin rule takes for skin, with a navy sign of four white lines and painted discs
    (the main benchmark's signage scene, where the whole sign panel and the discs were once redacted as tattoos)."""
    h, w = 600, 800
    ramp = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    img = (np.array([186, 160, 161], np.float32) * (1 - ramp) + np.array([174, 149, 152], np.float32) * ramp)
    img = np.clip(np.broadcast_to(img, (h, w, 3)) + np.random.default_rng(3).normal(0, 2, (h, w, 3)), 0, 255)
    img = img.astype(np.uint8)
    cv2.circle(img, (150, 150), 55, (230, 35, 80), -1, cv2.LINE_AA)  # a red ring around an olive disc
    cv2.circle(img, (150, 150), 45, (135, 100, 20), -1, cv2.LINE_AA)
    cv2.circle(img, (650, 90), 18, (185, 20, 120), -1, cv2.LINE_AA)  # a small magenta disc
    sign = np.zeros((110, 170, 3), np.uint8)
    sign[:] = (28, 59, 139)
    for i, line in enumerate(["Soiled linen", "Oxygen in use", "Metoprolol 25 mg", "BP 118/76"]):
        cv2.putText(sign, line, (8, 22 + 25 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    m = cv2.getRotationMatrix2D((85, 55), 3, 1.0)
    m[:, 2] += (420, 380)
    mask = cv2.warpAffine(np.full((110, 170), 255, np.uint8), m, (w, h)) > 127
    warped = cv2.warpAffine(sign, m, (w, h))
    img[mask] = warped[mask]
    cv2.circle(img, (470, 505), 14, (235, 20, 80), -1, cv2.LINE_AA)  # a red dot touching the sign
    return img


def test_sign_and_painted_discs_on_a_skin_coloured_wall_are_not_tattoos():
    img = skin_wall_with_sign_and_discs()
    found, det = detect(img)
    assert found == []
    vetoes = {why for _, why, _ in det.last_candidates}
    assert any(w and "printed text" in w for w in vetoes)  # the sign: light lettering cut out of the panel
    assert any(w and "convex" in w for w in vetoes)  # the discs


def test_solid_shape_and_light_lettering_measures():
    disc = np.zeros((80, 80), np.uint8)
    cv2.circle(disc, (40, 40), 30, 1, -1)
    assert T._is_solid_shape(disc.astype(bool))
    ring = np.zeros((80, 80), np.uint8)
    cv2.circle(ring, (40, 40), 30, 1, 6)
    assert not T._is_solid_shape(ring.astype(bool))  # a drawn circle on an arm...
    assert T._is_solid_shape(ring.astype(bool), rings=True)  # ...but on a skin-coloured wall a painted ring
    mandala = draw_design(80, random.Random(0), "mandala") > 127
    assert not T._is_solid_shape(mandala, rings=True)  # spokes split the inside into many holes
    tribal = draw_design(80, random.Random(0), "tribal") > 127
    assert not T._is_solid_shape(tribal, rings=True)  # spiky fills are not convex
    panel = np.ones((90, 160), np.uint8) * 255
    for i in range(4):
        cv2.putText(panel, "Oxygen in use", (6, 20 + 20 * i), cv2.FONT_HERSHEY_SIMPLEX, 0.45, 0, 1)
    assert T._has_light_lettering(panel > 127, 5)
    assert not T._has_light_lettering(disc.astype(bool), 5)
    assert not T._has_light_lettering(draw_design(80, random.Random(0), "flower") > 127, 5)


def test_fringe_of_hair_above_the_face_box_is_the_face_detectors():
    """A face detector's box runs from the brows to the chin; a fringe of hair over the forehead above it is not
    a tattoo (main bench scene 015: a portrait's fringe was redacted as one)."""
    img = np.empty((H, W, 3), np.uint8)
    img[:] = (120, 130, 150)
    face = np.zeros((H, W), np.uint8)
    cv2.ellipse(face, (320, 220), (95, 150), 0, 0, 360, 1, -1)
    paint_skin(img, face.astype(bool), SKIN_TONES[1], random.Random(2))
    rng = random.Random(3)
    for _ in range(14):  # strands of a fringe, curling across the forehead
        x = rng.randint(250, 390)
        cv2.ellipse(img, (x, 118), (rng.randint(10, 18), rng.randint(12, 20)), rng.randint(0, 40), 20, 160,
                    (55, 40, 30), 3, cv2.LINE_AA)
    box = (245, 190, 395, 340)  # brows to chin
    for sx in (-1, 1):
        cv2.circle(img, (320 + sx * 35, 230), 7, (35, 30, 30), -1)
    prior = [Finding(kind="face", category="face", box=box, confidence=0.9)]
    _, det = detect(img)
    assert any(why is None for _, why, _ in det.last_candidates), \
        "without the face, the fringe looks like ink on skin to the rules: the case this test is about"
    assert detect(img, prior)[0] == []


def test_a_cluster_holding_a_screen_is_not_a_tattoo():
    """Main bench scene 025: a monitor on a skin-coloured wall was once one 46 % tattoo box."""
    img, box = tattooed("tribal")
    found, _ = detect(img)
    assert hits(found, box)
    screen = Finding(kind="screen", category="screen", box=geometry.pad(box, 10), confidence=0.9)
    found, det = detect(img, [screen])
    assert not hits(found, box)
    assert any(why == T.SCREEN_VETO and score == 0.0 for _, why, score in det.last_candidates)
