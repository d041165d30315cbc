"""Tracking, interpolation and gap logic (pure, cheap): findings carried between analysed frames, failing closed."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner import geometry
from scanner.findings import Finding
from scanner.tracking import (FrameSampler, Motion, SamplerParams, Tracker, TrackerParams, block_change, compose,
                              estimate_motion, lerp_box, outward, propagate_backward, propagate_forward)

W, H = 640, 360


def shift(dx: float, dy: float, pts: np.ndarray | None = None, local: tuple[float, float] = (0.0, 0.0),
          cut: bool = False) -> Motion:
    """A global translation; optional points (in frame t-1) that move by the global shift plus `local`."""
    aff = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]])
    if pts is None:
        return Motion(aff, cut=cut)
    p0 = np.asarray(pts, np.float32)
    p1 = p0 + np.array([dx + local[0], dy + local[1]], np.float32)
    return Motion(aff, p0, p1, cut=cut)


def text(box, action="redact", kind="text", severity="high", conf=0.9) -> Finding:
    return Finding(kind=kind, category="name", box=box, confidence=conf, action=action, severity=severity)


def covers(outer, inner) -> bool:
    return geometry.coverage(inner, outer) >= 0.999


# ------------------------------------------------------------------------------------------------ geometry


def test_compose_translations_add_up():
    a = np.array([[1.0, 0, 3], [0, 1.0, -2]])
    b = np.array([[1.0, 0, 4], [0, 1.0, 5]])
    assert np.allclose(compose(a, b), [[1, 0, 7], [0, 1, 3]])


def test_compose_applies_first_then_second():
    zoom = np.array([[2.0, 0, 0], [0, 2.0, 0]])
    move = np.array([[1.0, 0, 10], [0, 1.0, 0]])
    # (x*2)+10, not (x+10)*2
    assert np.allclose(compose(zoom, move)[:, 2], [10, 0])


def test_lerp_box_endpoints_and_middle():
    a, b = (0, 0, 10, 10), (20, 10, 30, 20)
    assert lerp_box(a, b, 0.0) == a
    assert lerp_box(a, b, 1.0) == b
    assert lerp_box(a, b, 0.5) == (10, 5, 20, 15)


def test_outward_rounds_outward():
    assert outward((1.2, 2.8, 3.1, 4.0)) == (1, 2, 4, 4)


def test_propagate_forward_follows_pan():
    b = propagate_forward((100, 100, 200, 140), shift(15, -5), W, H, min_margin=0)
    assert outward(b) == (115, 95, 215, 135)


def test_propagate_backward_inverts_forward():
    m = shift(15, -5)
    b = propagate_backward((115, 95, 215, 135), m, W, H, min_margin=0)
    assert outward(b) == (100, 100, 200, 140)


def test_propagate_follows_zoom():
    zoom = Motion(np.array([[2.0, 0, -W / 2], [0, 2.0, -H / 2]]))  # 2x about the centre
    b = outward(propagate_forward((300, 160, 340, 200), zoom, W, H, min_margin=0))
    assert b == (280, 140, 360, 220)


def test_propagate_keeps_the_size_of_a_box_half_out_of_the_picture():
    # Half out of view an object keeps its size, so the redaction margin stays that of the whole object.
    b = outward(propagate_forward((600, 100, 650, 120), shift(10, 0), W, H, min_margin=0))
    assert b == (610, 100, 660, 120)
    assert geometry.clip(b, W, H) == (610, 100, W, 120)


def test_propagate_returns_none_when_box_leaves_picture():
    assert propagate_forward((620, 100, 640, 120), shift(40, 0), W, H) is None


def test_local_motion_inside_box_moves_box_on_still_background():
    pts = [(x, y) for x in range(100, 160, 10) for y in range(100, 160, 10)]
    b = outward(propagate_forward((100, 100, 160, 160), shift(0, 0, pts, local=(8, 0)), W, H, min_margin=0))
    assert covers(b, (108, 100, 168, 160))
    assert b[0] >= 104 and b[2] <= 172 and (b[1], b[3]) == (100, 160)  # moved, with a little motion slack


def test_disagreeing_points_widen_box():
    pts = np.array([(x, y) for x in range(100, 160, 5) for y in range(100, 160, 5)], np.float32)
    m = shift(0, 0, pts)
    m.p1 = m.p1.copy()
    m.p1[::2, 0] += 10  # half the points move right 10 px: a hand waving inside the box
    b = outward(propagate_forward((100, 100, 160, 160), m, W, H, min_margin=0))
    assert b[2] - b[0] > 60 + 8  # wider than the box
    assert covers(b, (110, 100, 170, 160)) or covers(b, (100, 100, 160, 160))


def test_flat_patch_without_flow_points_is_followed_by_the_change_mask():
    # A flat grey patch jumps 15 px left on a flat background: no LK points at all, only the change mask.
    prev = np.full((90, 160), 100, np.uint8)
    cur = prev.copy()
    prev[40:50, 100:130] = 200
    cur[40:50, 85:115] = 200
    m = estimate_motion(prev, cur, scale=2.0)  # full resolution is twice the small frames
    back = outward(propagate_backward((170, 80, 230, 100), m, 320, 180, min_margin=0))
    assert covers(back, (200, 80, 260, 100))  # where the patch was in frame t-1
    fwd = outward(propagate_forward((200, 80, 260, 100), m, 320, 180, min_margin=0))
    assert covers(fwd, (170, 80, 230, 100))


def test_change_mask_growth_is_limited_to_one_box_size():
    prev = np.full((90, 160), 100, np.uint8)
    cur = prev.copy()
    cur[:, :] = 101
    cur[20:80, 10:150] = 220  # something big changed right next to a small box
    m = estimate_motion(prev, cur, scale=1.0)
    b = outward(propagate_forward((70, 40, 80, 50), m, 160, 90, min_margin=0))
    assert b[0] >= 60 and b[2] <= 90 and b[1] >= 30 and b[3] <= 60


def test_still_box_does_not_grow_much_over_a_second():
    pts = np.array([(x, y) for x in range(100, 300, 6) for y in range(100, 140, 6)], np.float32)
    rng = np.random.default_rng(0)
    box = (100.0, 100.0, 300.0, 140.0)
    for _ in range(30):
        m = shift(0, 0, pts)
        m.p1 = m.p1 + rng.normal(0, 0.3, m.p1.shape).astype(np.float32)  # LK noise on still edges
        box = propagate_forward(box, m, W, H)
    b = outward(box)
    assert covers(b, (100, 100, 300, 140))
    assert b[2] - b[0] <= 200 + 20 and b[3] - b[1] <= 40 + 20


def test_estimate_motion_recovers_a_pan():
    rng = np.random.default_rng(1)
    tex = (rng.random((90, 160)) * 255).astype(np.uint8)
    import cv2

    tex = cv2.GaussianBlur(cv2.resize(tex, (320, 180), interpolation=cv2.INTER_NEAREST), (3, 3), 0)
    prev = tex[20:160, 20:260]
    cur = tex[20:160, 14:254]  # camera moved left by 6 px: content moves right by 6
    m = estimate_motion(prev, cur, scale=2.0)
    assert m.affine[0, 2] == pytest.approx(12.0, abs=1.0)  # full-resolution pixels
    assert m.affine[1, 2] == pytest.approx(0.0, abs=1.0)
    assert len(m.p0) > 20


def test_estimate_motion_on_flat_frames_is_still():
    flat = np.full((60, 80), 128, np.uint8)
    m = estimate_motion(flat, flat, scale=1.0)
    assert np.allclose(m.affine, [[1, 0, 0], [0, 1, 0]])


# ------------------------------------------------------------------------------------------------ tracker


def run(tracker: Tracker, motions: dict[int, Motion], observations: dict[int, list[Finding]], last: int) -> None:
    for t in range(0, last + 1):
        if t > 0:
            tracker.motion(t, motions.get(t, Motion.still()))
        if t in observations:
            tracker.observe(t, observations[t])
    tracker.finish(last)


def covered(tracker: Tracker, t: int) -> list:
    return [b for _tr, b in tracker.boxes_at(t)]


def test_static_detection_covers_every_frame_between_analyses():
    tr = Tracker(W, H)
    box = (100, 100, 200, 130)
    run(tr, {}, {0: [text(box)], 10: [text(box)], 20: [text(box)]}, 20)
    assert len(tr.tracks) == 1
    for t in range(21):
        assert any(covers(b, box) for b in covered(tr, t)), t


def test_missed_once_stays_covered_then_ends_after_second_miss():
    tr = Tracker(W, H, TrackerParams(miss_limit=1))
    box = (100, 100, 200, 130)
    run(tr, {}, {0: [text(box)], 10: [], 20: [], 30: []}, 30)
    for t in range(20):
        assert covered(tr, t), t  # one miss is not proof the text is gone
    assert not covered(tr, 20) and not covered(tr, 25)


def test_without_grace_region_stays_until_an_analysed_frame_shows_it_gone():
    tr = Tracker(W, H, TrackerParams(miss_limit=0))
    box = (100, 100, 200, 130)
    run(tr, {}, {0: [text(box)], 10: []}, 10)
    assert all(covered(tr, t) for t in range(10))
    assert not covered(tr, 10)


def test_track_seen_again_after_a_miss_is_bridged():
    tr = Tracker(W, H, TrackerParams(miss_limit=1))
    box = (100, 100, 200, 130)
    run(tr, {}, {0: [text(box)], 10: [], 20: [text(box)]}, 20)
    assert len(tr.tracks) == 1
    assert all(covered(tr, t) for t in range(21))


def test_text_sliding_into_view_is_covered_from_its_first_frame():
    # The camera pans so that content moves left 20 px a frame; the text is detected fully visible at frame 10,
    # where it sits at x 400..600, so at frame t it was at x 400 + 20 * (10 - t): off-screen before frame 3.
    motions = {t: shift(-20, 0) for t in range(1, 11)}
    tr = Tracker(W, H)
    run(tr, motions, {0: [], 10: [text((400, 100, 600, 130))]}, 10)
    for t in range(0, 11):
        x0 = 400 + 20 * (10 - t)
        truth = geometry.clip((x0, 100, x0 + 200, 130), W, H)
        if geometry.area(truth) == 0:
            continue
        assert any(covers(b, truth) for b in covered(tr, t)), (t, truth, covered(tr, t))


def test_face_walking_by_is_covered_between_analyses():
    # Still camera, a 60 px face moving right 6 px a frame; detected at 0 and 10.
    def face_at(t):
        return (100 + 6 * t, 100, 160 + 6 * t, 160)

    motions = {}
    for t in range(1, 11):
        x0 = face_at(t - 1)[0]
        pts = [(x, y) for x in range(x0 + 5, x0 + 60, 10) for y in range(105, 160, 10)]
        motions[t] = shift(0, 0, pts, local=(6, 0))
    tr = Tracker(W, H)
    run(tr, motions, {0: [text(face_at(0), kind="face")], 10: [text(face_at(10), kind="face")]}, 10)
    assert len(tr.tracks) == 1
    for t in range(11):
        assert any(covers(b, face_at(t)) for b in covered(tr, t)), t


def test_scene_cut_ends_tracks_and_blocks_backward_extension():
    tr = Tracker(W, H)
    motions = {5: Motion.still()}
    motions[5].cut = True
    run(tr, motions, {0: [text((10, 10, 50, 30))], 4: [text((10, 10, 50, 30))],
                      5: [text((300, 200, 400, 230))], 10: [text((300, 200, 400, 230))]}, 10)
    assert len(tr.tracks) == 2
    old, new = tr.tracks
    assert max(old.boxes) == 4  # not carried into the new scene
    assert min(new.boxes) == 5  # not extended back into the old scene


def test_partial_detection_at_the_edge_keeps_the_carried_extent():
    # A face walks out to the right; at frame 10 the detector reports only the visible left half (60 px of 120
    # tall, since the detector also loses the chin): the track keeps the full carried height.
    motions = {t: shift(10, 0) for t in range(1, 21)}
    tr = Tracker(W, H)
    run(tr, motions, {0: [text((480, 100, 560, 220), kind="face")],
                      10: [text((580, 130, W, 190), kind="face")], 20: []}, 20)
    assert len(tr.tracks) == 1
    for t in range(10, 21):
        g = geometry.clip((480 + 10 * t, 100, 560 + 10 * t, 220), W, H)
        if geometry.area(g):
            assert any(covers(b, g) for b in covered(tr, t)), t


def test_two_regions_make_two_tracks_and_kinds_do_not_mix():
    tr = Tracker(W, H)
    a, b = (10, 10, 100, 40), (300, 200, 360, 260)
    run(tr, {}, {0: [text(a), text(b, kind="face")], 10: [text(a), text(b, kind="face")],
                 20: [text(b, kind="text")]}, 20)
    kinds = sorted(t.finding.kind for t in tr.tracks)
    assert kinds == ["face", "text", "text"]


def test_detection_follows_pan_prediction_into_same_track():
    motions = {t: shift(12, 0) for t in range(1, 11)}
    tr = Tracker(W, H)
    run(tr, motions, {0: [text((100, 100, 180, 130))], 10: [text((220, 100, 300, 130))]}, 10)
    assert len(tr.tracks) == 1


def test_findings_one_per_track_with_union_and_every_frame():
    tr = Tracker(W, H)
    run(tr, {t: shift(2, 0) for t in range(1, 11)},
        {0: [text((100, 100, 150, 120), action="flag", conf=0.4)],
         10: [text((120, 100, 170, 120), action="redact", conf=0.9)]}, 10)
    (f,) = tr.findings(lambda i: i / 10)
    assert f.action == "redact"  # most restrictive wins
    assert f.confidence == pytest.approx(0.9)
    assert [h.index for h in f.frames] == list(range(11))
    assert f.frames[5].time == pytest.approx(0.5)
    assert covers(f.box, (100, 100, 170, 120))
    assert f.id == "f1"


def test_observe_rejects_going_backwards_and_finish_needs_last_analysed():
    tr = Tracker(W, H)
    tr.observe(5, [])
    with pytest.raises(ValueError):
        tr.observe(5, [])
    with pytest.raises(ValueError):
        tr.finish(9)


def test_observe_returns_frames_that_became_final():
    tr = Tracker(W, H, TrackerParams(lookback=1))
    assert list(tr.observe(0, [])) == []
    for t in range(1, 8):
        tr.motion(t, Motion.still())
    assert list(tr.observe(7, [])) == list(range(0, 7))
    assert list(tr.finish(7)) == [7]


def test_lookback_keeps_recent_frames_open_and_finish_hands_out_the_rest():
    tr = Tracker(W, H, TrackerParams(lookback=10))
    handed: list[int] = []
    for t in range(0, 41):
        if t:
            tr.motion(t, Motion.still())
        if t % 8 == 0:
            handed += list(tr.observe(t, []))
    assert handed == list(range(0, 40 + 1 - 10))
    handed += list(tr.finish(40))
    assert handed == list(range(41))  # every frame exactly once, in order


def test_text_sliding_in_slowly_is_covered_over_several_analysis_intervals():
    # Content moves left 10 px a frame; a 300 px line enters at the right edge at frame 1 and is wholly in view
    # only from frame 31 on. Analysed every 8 frames; the detector reads only wholly visible text.
    def truth(t):
        x0 = W - 10 * (t - 1)
        return (x0, 100, x0 + 300, 130)

    tr = Tracker(W, H, TrackerParams(lookback=60))
    for t in range(0, 49):
        if t:
            tr.motion(t, shift(-10, 0))
        if t % 8 == 0 or t == 48:
            b = truth(t)
            tr.observe(t, [text(b)] if b[0] >= 0 and b[2] <= W else [])
    tr.finish(48)
    assert len(tr.tracks) == 1
    for t in range(2, 49):
        g = geometry.clip(truth(t), W, H)
        if geometry.area(g):
            assert any(covers(b, g) for b in covered(tr, t)), (t, g, covered(tr, t))


def test_text_sliding_out_is_not_ended_by_misses_at_the_edge():
    def truth(t):
        x0 = 300 + 10 * t
        return (x0, 100, x0 + 200, 130)

    tr = Tracker(W, H, TrackerParams(miss_limit=0))
    for t in range(0, 61):
        if t:
            tr.motion(t, shift(10, 0))
        if t % 6 == 0:
            b = truth(t)
            tr.observe(t, [text(b)] if b[2] <= W else [])
    tr.finish(60)
    for t in range(0, 61):
        g = geometry.clip(truth(t), W, H)
        if geometry.area(g):
            assert any(covers(b, g) for b in covered(tr, t)), (t, g)


def test_new_region_not_extended_before_an_analysed_frame_that_saw_that_spot_clearly():
    # A name appears on a still monitor at frame 12 (analysed at 10: absent, 20: present). Frames 0..9 must not
    # be covered (frame 10 had the spot wholly in view and empty), frame 10..19 are (fail closed).
    tr = Tracker(W, H)
    run(tr, {}, {0: [], 10: [], 20: [text((200, 100, 300, 130))]}, 20)
    (track,) = tr.tracks
    assert min(track.boxes) == 10


@settings(max_examples=40, deadline=None)
@given(vx=st.integers(-15, 15), vy=st.integers(-8, 8), pan=st.integers(-10, 10), gap=st.integers(2, 30),
       start=st.integers(0, 5), size=st.integers(20, 120))
def test_fail_closed_for_any_linear_motion(vx, vy, pan, gap, start, size):
    """Whatever the camera pan and object velocity, every frame between two detections is covered."""
    def truth(t):
        x0 = 250 + (vx + pan) * (t - start)
        y0 = 150 + vy * (t - start)
        return geometry.clip((x0, y0, x0 + size, y0 + size // 2), W, H)

    end = start + gap
    motions = {}
    for t in range(1, end + 1):
        b = truth(t - 1)
        pts = [(x, y) for x in range(b[0] + 2, max(b[0] + 3, b[2]), 8) for y in range(b[1] + 2, max(b[1] + 3, b[3]), 8)]
        motions[t] = shift(pan, 0, pts or None, local=(vx, vy))
    tr = Tracker(W, H)
    obs = {0: [], start: [text(truth(start))], end: [text(truth(end))]} if start else \
        {0: [text(truth(0))], end: [text(truth(end))]}
    if geometry.area(truth(start)) == 0 or geometry.area(truth(end)) == 0:
        return
    run(tr, motions, obs, end)
    for t in range(start, end + 1):
        g = truth(t)
        if geometry.area(g):
            assert any(geometry.coverage(g, b) >= 0.999 for b in covered(tr, t)), (t, g, covered(tr, t))


# ------------------------------------------------------------------------------------------------ sampler


IDENT = np.array([[1.0, 0, 0], [0, 1.0, 0]])  # no camera motion between two frames


def primed(sampler: FrameSampler, first: np.ndarray) -> FrameSampler:
    """`sampler` after its first frame, analysed (the reference every later decision compares with)."""
    sampler.decide(0, first, None, None)
    sampler.analysed(0, first)
    return sampler


def grey_scene(offset=0, text_block=False):
    rng = np.random.default_rng(3)
    base = (rng.random((120, 200)) * 255).astype(np.uint8)
    img = np.roll(base, offset, axis=1)[:90, :160].copy()
    if text_block:
        img[40:60, 60:100] = 255
    return img


def test_sampler_analyses_first_frame_and_skips_unchanged():
    s = FrameSampler(SamplerParams(max_gap=5))
    g = grey_scene()
    assert s.decide(0, g, None, None).analyse
    s.analysed(0, g)
    assert not any(s.decide(t, g, g, IDENT).analyse for t in range(1, 40))


def test_sampler_analyses_a_change_once_max_gap_passed():
    g = grey_scene()
    s = primed(FrameSampler(SamplerParams(max_gap=5)), g)
    changed = grey_scene(text_block=True)
    decisions = [s.decide(t, changed, g if t == 2 else changed, IDENT).analyse for t in range(2, 8)]
    assert decisions == [False, False, False, True, True, True]


def test_sampler_analyses_after_a_large_camera_move():
    g = grey_scene()
    s = primed(FrameSampler(SamplerParams(max_gap=1000, max_shift=0.2)), g)
    step = np.array([[1.0, 0, 4], [0, 1.0, 0]])
    reasons = [s.decide(t, g, g, step) for t in range(1, 10)]
    first = next(i for i, d in enumerate(reasons) if d.analyse)
    assert reasons[first].reason == "moved" and 3 <= first <= 5  # 0.2 * 90 px = 18 px: after 5 steps of 4 px


def test_sampler_flags_scene_cut():
    a = grey_scene()
    s = primed(FrameSampler(), a)
    b = 255 - a
    d = s.decide(1, b, a, IDENT)
    assert d.analyse and d.cut


def test_block_change_zero_for_same_picture_and_high_for_new_content():
    g = grey_scene()
    assert block_change(g, g, IDENT, 16) == 0.0
    assert block_change(g, grey_scene(text_block=True), IDENT, 16) > 40
    moved = np.array([[1.0, 0, 20], [0, 1.0, 0]])  # content entered at the left edge
    assert block_change(g, g, moved, 16) > 100


def test_sampler_analyses_the_peak_of_a_change_that_reverts_before_its_analysis():
    g = grey_scene()
    s = primed(FrameSampler(SamplerParams(max_gap=30)), g)
    flash = grey_scene(text_block=True)
    assert not s.decide(1, g, g, IDENT).analyse
    assert not s.decide(2, flash, g, IDENT).analyse  # a name flashes up at frame 2 …
    assert s.decide(3, flash, flash, IDENT).transient is None
    decisions = [s.decide(t, g, flash if t == 4 else g, IDENT) for t in range(4, 40)]  # gone at 4
    transients = [d.transient for d in decisions if d.transient is not None]
    assert transients == [3]  # the last frame that showed it, once, long before frame 30
    assert not any(d.analyse for d in decisions[:20])


def test_sampler_catches_a_flash_while_something_else_keeps_moving():
    s = FrameSampler(SamplerParams(max_gap=30))
    base = np.full((90, 160), 200, np.uint8)

    def frame(t, flash=False):
        g = base.copy()
        g[70:86, 8 + 4 * t:40 + 4 * t] = 60  # a box moving right every frame
        if flash:
            g[10:30, 60:120] = 20
        return g

    primed(s, frame(0))
    found = []
    for t in range(1, 20):
        d = s.decide(t, frame(t, flash=t in (6, 7)), frame(t - 1), IDENT)
        if d.transient is not None:
            found.append(d.transient)
            s.transient_analysed(d.transient)
    assert 7 in found or 6 in found



# ------------------------------------------------------------------------------ camera motion among movers

def _points(rng, n, x0, y0, x1, y1):
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)]).astype(np.float32)


def test_camera_motion_is_the_background_even_when_a_foreground_object_has_more_points():
    from scanner.tracking import camera_motion

    rng = np.random.default_rng(3)
    # 480x270 small frame: sparse text spread over the whole frame pans left by 3 px; a textured person in the
    # lower-left fifth, with more points than the whole background, walks right by 2 px (the speed clip, measured).
    bg = _points(rng, 170, 0, 0, 480, 270)
    fg = _points(rng, 220, 100, 110, 230, 270)
    p0 = np.vstack([bg, fg])
    p1 = np.vstack([bg + (-3.0, 0.0), fg + (2.0, 0.0)]) + rng.normal(0, 0.1, (390, 2)).astype(np.float32)
    a = camera_motion(p0, p1, 480, 270)
    assert np.allclose(a[:, :2], np.eye(2), atol=1e-6)  # a pure shift: no false zoom blending the two
    assert abs(a[0, 2] + 3.0) < 0.2 and abs(a[1, 2]) < 0.2


def test_camera_motion_keeps_a_real_zoom():
    from scanner.tracking import camera_motion

    rng = np.random.default_rng(4)
    p0 = _points(rng, 300, 0, 0, 480, 270)
    centre = np.array([240.0, 135.0], np.float32)
    p1 = centre + (p0 - centre) * 1.03 + rng.normal(0, 0.1, p0.shape).astype(np.float32)
    a = camera_motion(p0, p1, 480, 270)
    assert abs(a[0, 0] - 1.03) < 0.005 and abs(a[1, 1] - 1.03) < 0.005


def test_camera_motion_of_a_plain_pan():
    from scanner.tracking import camera_motion

    rng = np.random.default_rng(5)
    p0 = _points(rng, 200, 0, 0, 480, 270)
    a = camera_motion(p0, p0 + (1.5, -0.5), 480, 270)
    assert np.allclose(a, [[1, 0, 1.5], [0, 1, -0.5]], atol=1e-3)


# ------------------------------------------------------------------------------ a text track half hidden

def test_text_partly_hidden_is_still_there_when_a_line_shows_part_of_it():
    from scanner.tracking import still_there

    dob = Finding(kind="text", category="dob", box=(0, 0, 450, 60), confidence=0.9, text="03/14/1957")
    assert still_there(dob, (0, 0, 450, 60), [((300, 5, 440, 60), "957")])  # the rest behind a person
    assert still_there(dob, (0, 0, 450, 60), [((300, 5, 440, 60), None)])  # ink there, unreadable
    assert not still_there(dob, (0, 0, 450, 60), [((300, 5, 440, 60), "EXIT")])  # other text now
    assert not still_there(dob, (0, 0, 450, 60), [((600, 5, 700, 60), "1957")])  # elsewhere
    assert not still_there(dob, (0, 0, 450, 60), [])
    face = Finding(kind="face", category="face", box=(0, 0, 100, 100), confidence=0.9)
    assert not still_there(face, (0, 0, 100, 100), [((10, 10, 90, 40), None)])  # only text tracks


def test_a_text_track_seen_only_in_part_is_not_ended():
    tr = Tracker(640, 360, TrackerParams(lookback=10, miss_limit=1))
    dob = Finding(kind="text", category="dob", box=(200, 100, 420, 140), confidence=0.9, text="03/14/1957")
    tr.observe(0, [dob])
    for k in (10, 20, 30):  # three analyses in a row show only "957" where the date was
        tr.observe(k, [], lines=[((330, 100, 420, 140), "957")])
    assert [t for t in tr.tracks if t.alive]
    assert all(k in tr.tracks[0].boxes for k in range(0, 31))
    tr.observe(40, [])
    tr.observe(50, [])
    assert not [t for t in tr.tracks if t.alive]  # gone for two analyses: ended
