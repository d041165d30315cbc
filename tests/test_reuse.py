"""Analysing only what changed (scanner.reuse): regions from block differences, growth over earlier detections,
carrying the rest, and the detectors' partial analyses against their full ones."""
from pathlib import Path

import numpy as np
import pytest

from scanner import reuse
from scanner.reuse import Change, carry, changed_regions, grow_regions, merge_touching, union_area, warp_box

IDENT = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def test_no_changed_block_gives_no_region():
    assert changed_regions(np.zeros((10, 20)), 7.0, 64.0, 1280, 640) == []


def test_one_changed_block_becomes_a_padded_full_resolution_region():
    pooled = np.zeros((10, 20))
    pooled[4, 5] = 30.0
    # one block padded by one block each side: blocks 4..6 x 3..5, 64 px each
    assert changed_regions(pooled, 7.0, 64.0, 1280, 640) == [(256, 192, 448, 384)]


def test_threshold_is_strict_and_unpadded_region_is_the_block():
    pooled = np.zeros((10, 20))
    pooled[0, 0] = 7.0
    assert changed_regions(pooled, 7.0, 64.0, 1280, 640) == []
    pooled[0, 0] = 7.5
    assert changed_regions(pooled, 7.0, 64.0, 1280, 640, pad_blocks=0) == [(0, 0, 64, 64)]


def test_region_at_the_grid_edge_runs_to_the_frame_edge():
    # 1000 px wide frame, 15 blocks of 64 px = 960: the last 40 px belong to no block
    pooled = np.zeros((5, 15))
    pooled[2, 14] = 50.0
    (x0, y0, x1, y1), = changed_regions(pooled, 7.0, 64.0, 1000, 330, pad_blocks=0)
    assert x1 == 1000 and (y0, y1) == (128, 192)


def test_many_small_regions_are_merged_to_at_most_the_limit():
    pooled = np.zeros((40, 40))
    pooled[::4, ::4] = 99.0  # 100 separate blocks
    regions = changed_regions(pooled, 7.0, 10.0, 400, 400, pad_blocks=0)
    assert len(regions) <= reuse.MAX_REGIONS
    for y in range(0, 40, 4):
        for x in range(0, 40, 4):
            assert any(r[0] <= x * 10 and r[1] <= y * 10 and r[2] >= x * 10 + 10 and r[3] >= y * 10 + 10
                       for r in regions)


def test_merge_touching_merges_chains():
    boxes = [(0, 0, 10, 10), (5, 5, 20, 20), (18, 18, 30, 30), (100, 100, 110, 110)]
    assert sorted(merge_touching(boxes)) == [(0, 0, 30, 30), (100, 100, 110, 110)]


def test_warp_box_translation_scale_and_leaving_the_frame():
    shift = np.array([[1.0, 0.0, 10.0], [0.0, 1.0, -5.0]])
    assert warp_box((20, 20, 40, 30), shift, 100, 100) == (30, 15, 50, 25)
    zoom = np.array([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    assert warp_box((10, 10, 20, 20), zoom, 100, 100) == (20, 20, 40, 40)
    assert warp_box((90, 10, 99, 20), shift, 100, 100) is None  # moved out on the right


def test_full_affine_scales_only_the_translation():
    small = np.array([[1.01, 0.0, 2.0], [0.0, 1.01, -1.0]])
    full = reuse.full_affine(small, 4.0)
    assert np.allclose(full, [[1.01, 0.0, 8.0], [0.0, 1.01, -4.0]])


def test_grow_regions_takes_in_every_touching_box_whole():
    region = (100, 100, 200, 200)
    line = (150, 150, 400, 170)  # half inside
    other = (390, 165, 500, 180)  # touches the line, not the region: pulled in through the line
    far = (600, 600, 650, 620)
    grown = grow_regions([region], [line, other, far], 0, 1000, 1000)
    assert grown == [(100, 100, 500, 200)]


def test_grow_regions_pads_boxes_before_testing():
    assert grow_regions([(100, 100, 200, 200)], [(205, 120, 260, 140)], 6, 1000, 1000) == [(100, 100, 266, 200)]
    assert grow_regions([(100, 100, 200, 200)], [(205, 120, 260, 140)], 2, 1000, 1000) == [(100, 100, 200, 200)]


def test_carry_keeps_only_items_clear_of_every_region_moved_by_the_camera():
    shift = np.array([[1.0, 0.0, 50.0], [0.0, 1.0, 0.0]])
    items = ["a", "b", "c"]
    boxes = {"a": (0, 0, 20, 20), "b": (100, 0, 120, 20), "c": (980, 0, 1000, 20)}
    kept = carry(items, boxes.get, shift, [(140, 0, 200, 50)], 1000, 100)
    assert kept == [("a", (50, 0, 70, 20))]  # b moved into the region (looked at again); c left the frame


def test_union_area_counts_overlaps_once():
    assert union_area([]) == 0
    assert union_area([(0, 0, 10, 10), (5, 0, 15, 10)]) == 150
    assert union_area([(0, 0, 10, 10), (2, 2, 4, 4)]) == 100
    assert Change(IDENT, [(0, 0, 50, 100)]).area_fraction(100, 100) == pytest.approx(0.5)


# ------------------------------------------------------------------------------ detectors: partial vs full

from dataclasses import replace as _replace  # noqa: E402

from conftest import draw_lines  # noqa: E402
from scanner import geometry  # noqa: E402
from scanner.detectors.base import Frame  # noqa: E402

SHIFT = np.array([[1.0, 0.0, -8.0], [0.0, 1.0, 0.0]])  # the camera moved: content 8 px to the left


@pytest.fixture(scope="module")
def text_detector():
    from scanner.detectors.text import TextDetector

    return TextDetector("rapid")


def _ward(dx: int, extra: bool) -> np.ndarray:
    lines = [(40 + dx, 30, "Patient: Walter Kowalski", 26), (40 + dx, 90, "MRN: 00482913", 26),
             (40 + dx, 150, "Visiting hours 10-12", 26)]
    if extra:
        lines.append((520 + dx, 300, "DOB: 03/14/1957", 26))
    return draw_lines(lines, size=(960, 400))


def test_text_partial_analysis_reads_only_the_changed_region_and_keeps_the_rest(text_detector):
    det = text_detector
    det.detect(Frame(_ward(0, False)), [])
    memo = det.memo()
    new = Frame(_ward(-8, True))
    change = Change(SHIFT, [(480, 280, 800, 350)], {"text": memo})
    partial = det.detect_changed(new, [], change)
    got = {f.category for f in partial}
    assert {"name", "mrn", "dob"} <= got, got
    full = det.detect(new, [])
    for f in full:  # everything the full analysis finds, the partial one finds at the same place
        assert any(g.category == f.category and geometry.iou(g.box, f.box) > 0.8 for g in partial), f
    # The unchanged lines were taken over, not read again: same readings, boxes moved with the camera.
    before = {ln.text: ln for ln in memo[0]}
    det.detect_changed(new, [], change)
    after = {ln.text: ln for ln in det.last_lines}
    for text in before:
        assert after[text].confidence == before[text].confidence
        assert after[text].box == warp_box(before[text].box, SHIFT, 960, 400)


def test_text_line_pushed_across_the_frame_edge_is_read_again(text_detector):
    det = text_detector
    det.detect(Frame(_ward(0, False)), [])
    memo = det.memo()
    away = np.array([[1.0, 0.0, -120.0], [0.0, 1.0, 0.0]])  # the lines now start off the left edge
    change = Change(away, [], {"text": memo})
    det.detect_changed(Frame(_ward(-120, False)), [], change)
    # Nothing changed inside the frame, but every line is cut by the edge: all were read again, none carried
    # with the reference's (now wrong) text for its visible part.
    assert all(ln.box[0] >= 0 for ln in det.last_lines)
    assert "Patient: Walter Kowalski" not in {ln.text for ln in det.last_lines}


@pytest.fixture(scope="module")
def face_detector():
    from scanner.detectors.faces import FaceDetector

    return FaceDetector()


def _astronaut_scene(dx: int) -> np.ndarray:
    from skimage.data import astronaut

    canvas = np.full((480, 800, 3), 200, np.uint8)
    canvas[40:340, 300 + dx:540 + dx] = astronaut()[0:300, 100:340]
    return canvas


def test_face_outside_the_changed_region_is_carried_and_inside_it_found_again(face_detector):
    det = face_detector
    first = det.detect(Frame(_astronaut_scene(0)), [])
    assert len(first) == 1
    new = Frame(_astronaut_scene(-8))
    far = Change(SHIFT, [(0, 400, 100, 480)], {"faces": det.memo()})
    carried = det.detect_changed(new, [], far)
    assert [f.box for f in carried] == [warp_box(first[0].box, SHIFT, 800, 480)]
    assert carried[0].confidence == first[0].confidence
    det.detect(Frame(_astronaut_scene(0)), [])
    over = Change(SHIFT, [(350, 100, 420, 160)], {"faces": det.memo()})  # a corner of the face changed
    again = det.detect_changed(new, [], over)
    full = det.detect(new, [])
    assert len(again) == 1 and geometry.iou(again[0].box, full[0].box) > 0.8  # crop vs frame: resize rounding


# ------------------------------------------------------------------------------ the video pipeline's plumbing

class ReusingPatches:
    """Red patches (exact ground truth), found by a detector that can look at changed regions only."""

    name = "patches"
    reusable = True

    def __init__(self) -> None:
        self.last: list = []
        self.partial_regions: list[list] = []

    @staticmethod
    def _find(rgb: np.ndarray, x0: int = 0, y0: int = 0) -> list:
        import cv2
        from scanner.findings import Finding

        m = ((rgb[..., 0] > 180) & (rgb[..., 1] < 80) & (rgb[..., 2] < 80)).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(m)
        return [Finding(kind="text", category="mrn", box=(int(x + x0), int(y + y0), int(x + bw + x0), int(y + bh + y0)),
                        confidence=0.95, detector="patches") for x, y, bw, bh, a in stats[1:n] if a >= 20]

    def detect(self, frame, prior):
        self.last = self._find(frame.rgb)
        return [_replace(f) for f in self.last]

    def memo(self):
        return self.last

    def detect_changed(self, frame, prior, change):
        w, h = frame.size
        regions = reuse.regions_to_look_at(change, [f.box for f in change.memo[self.name]], 2, w, h)
        self.partial_regions.append(regions)
        found = [f for x0, y0, x1, y1 in regions for f in self._find(frame.rgb[y0:y1, x0:x1], x0, y0)]
        found += [_replace(f, box=b) for f, b in carry(change.memo[self.name], lambda f: f.box, change.affine,
                                                        regions, w, h)]
        self.last = found
        return [_replace(f) for f in found]


STATIC = (20, 100, 50, 116)  # more than a block (16 px) plus padding away from the sliding patch


def test_video_partial_analyses_look_only_where_it_changed_and_leak_nothing(tmp_path):
    from scanner.api import ScanOptions, Scanner
    from test_video import background, decode, patch_at, red_pixels, write_clip, H, W

    def draw(t):
        rgb = background(t)[:H, :W].copy()
        x0, y0, x1, y1 = STATIC
        rgb[y0:y1, x0:x1] = (230, 20, 20)
        x0, y0, x1, y1 = patch_at(t)  # slides in from the right, then rests
        rgb[y0:y1, max(0, x0):min(W, x1)] = (230, 20, 20)
        return rgb

    src = tmp_path / "two.mp4"
    write_clip(src, n=45, audio=False, draw=draw)
    sc = Scanner(ScanOptions(skip=("text", "faces")))
    det = ReusingPatches()
    sc.detectors = [det]
    r = sc.process(src, tmp_path / "out", redact=True)
    assert r.timings.get("partial_frames", 0) >= 1 and det.partial_regions
    for regions in det.partial_regions:  # the still patch is never looked at again: it is taken over
        assert not any(geometry.iou(STATIC, reg) > 0 or geometry.coverage(STATIC, reg) > 0 for reg in regions)
    frames, _ = decode(Path(r.outputs["redacted"]))
    assert len(frames) == 45 and all(red_pixels(f) == 0 for f in frames)


def test_plate_outside_the_changed_region_is_carried_and_merges_into_the_text_found_again():
    from scanner.detectors.plates import PlateDetector
    from scanner.findings import Finding
    from test_plates import car_scene

    img, truth, text = car_scene("eu", plate_w=180)
    det = PlateDetector()  # the geometry rules alone: no OCR, no map
    first = det.detect(Frame(img), [])
    assert len(first) == 1 and geometry.coverage(first[0].box, truth) > 0.9
    moved = np.ascontiguousarray(np.roll(img, -8, axis=1))
    far = Change(SHIFT, [(0, 0, 100, 100)], {"plates": det.memo()})
    carried = det.detect_changed(Frame(moved), [], far)
    assert [f.box for f in carried] == [warp_box(first[0].box, SHIFT, 900, 600)]
    # The text detector read the plate's text again this frame: the carried plate becomes that finding.
    read = Finding(kind="text", category="identifier", box=geometry.pad(geometry.translate(truth, -8, 0), -4),
                   confidence=0.6, text=text, detector="text")
    det.detect(Frame(img), [])
    assert det.detect_changed(Frame(moved), [read], Change(SHIFT, [(0, 0, 100, 100)], {"plates": det.memo()})) == []
    assert read.kind == "plate"
    # A changed region over the plate: found again there, at the frame's scale.
    det.detect(Frame(img), [])
    over = Change(SHIFT, [(truth[0], truth[1], truth[0] + 40, truth[1] + 20)], {"plates": det.memo()})
    again = det.detect_changed(Frame(moved), [], over)
    full = det.detect(Frame(moved), [])
    assert len(again) == len(full) == 1 and geometry.iou(again[0].box, full[0].box) > 0.8


def test_mirrored_lines_carried_outside_the_changed_region_and_found_inside_it():
    from scanner.detectors.reflections import ReflectionDetector
    from test_reflections import _scene

    img, truth, sign_box = _scene(0.12, ["Patient: NGUYEN, LUCIA", "MRN: 00731942"],
                                  ["Dr. GARCIA, MARIA", "Visitors please check in"])
    det = ReflectionDetector()
    first = det.detect(Frame(img), [])
    assert {f.category for f in first} >= {"name", "mrn"}
    moved = np.ascontiguousarray(np.roll(img, -8, axis=1))
    far = Change(SHIFT, [(0, 440, 120, 520)], {"reflections": det.memo()})
    carried = det.detect_changed(Frame(moved), [], far)
    assert sorted(f.box for f in carried) == sorted(warp_box(f.box, SHIFT, 900, 520) for f in first)
    det.detect(Frame(img), [])
    x0, y0, _, _ = truth[0]
    over = Change(SHIFT, [(x0, y0, x0 + 60, y0 + 20)], {"reflections": det.memo()})  # part of the monitor changed
    again = det.detect_changed(Frame(moved), [], over)
    assert {f.category for f in again} >= {"name", "mrn"}
