"""OCR on small text in big images: tiled detection on a downscaled canvas, recognition from full resolution.

The tile helpers are pure and tested cheaply; two tests run the real RapidOCR model on a 12 MP image."""
from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from bench.score import read_back
from scanner import geometry
from scanner.text.ocr.crop import crop_quad, padded_upscaled
from scanner.text.ocr.rapid import SMALL_LINE_PX, _order_quad, better_reading, even_grid, merge_tile_quads

from conftest import font


def quad(x0, y0, x1, y1) -> np.ndarray:
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


# ---------------------------------------------------------------- pure helpers


@pytest.mark.parametrize("w,h", [(2048, 1536), (1920, 1080), (1280, 960), (1024, 768), (300, 5000), (4000, 3000)])
def test_even_grid_covers_the_canvas_with_equal_tiles_no_larger_than_asked(w, h):
    grid = even_grid(w, h, 1024, 64)
    cover = np.zeros((h, w), bool)
    for x0, y0, x1, y1 in grid:
        assert 0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h
        assert x1 - x0 <= 1024 and y1 - y0 <= 1024
        cover[y0:y1, x0:x1] = True
    assert cover.all()
    assert len({(b[2] - b[0], b[3] - b[1]) for b in grid}) == 1  # equal tiles
    # Little waste: pixels detected at most 25% more than the canvas (square fixed tiles waste up to 2x).
    assert sum(geometry.area(b) for b in grid) <= 1.25 * w * h


def test_even_grid_overlap_holds_a_whole_small_line():
    grid = even_grid(2048, 1536, 1024, 64)
    xs = sorted({b[0] for b in grid})
    ends = sorted({b[2] for b in grid})
    assert all(ends[i] - xs[i + 1] >= 64 for i in range(len(xs) - 1))


def test_merge_joins_a_line_cut_by_a_tile_border_and_drops_a_line_seen_twice():
    grid = even_grid(2000, 600, 1024, 64)  # tiles 0-710, 645-1355, 1290-2000
    found = [(0, quad(560, 100, 709, 120)), (1, quad(646, 101, 800, 121)),  # one line, cut at the border
             (0, quad(100, 100, 300, 120)), (0, quad(320, 100, 400, 120)),  # two words of one tile: kept apart
             (0, quad(660, 200, 700, 220)), (1, quad(660, 201, 700, 221)),  # whole in both tiles: once
             (1, quad(1500, 300, 1600, 320))]
    boxes = sorted(geometry.from_points(q) for q in merge_tile_quads(found, grid))
    assert boxes == [(100, 100, 300, 120), (320, 100, 400, 120), (560, 100, 800, 121), (660, 200, 700, 221),
                     (1500, 300, 1600, 320)]


def test_merge_keeps_different_lines_apart_across_tiles():
    grid = even_grid(2000, 600, 1024, 64)
    found = [(0, quad(600, 100, 709, 120)), (1, quad(646, 140, 800, 160))]  # stacked lines, not one line
    assert len(merge_tile_quads(found, grid)) == 2


def test_order_quad_is_clockwise_from_top_left():
    pts = np.array([[10, 20], [0, 0], [10, 0], [0, 20]], np.float32)
    assert _order_quad(pts).tolist() == [[0, 0], [10, 0], [10, 20], [0, 20]]


def test_better_reading_takes_the_higher_score_and_never_an_empty_one():
    assert better_reading(("BadrBndon", 0.55), ("Bradford^Brandon", 0.96)) == ("Bradford^Brandon", 0.96)
    assert better_reading(("12/23/2006", 0.99), ("1223/2006", 0.94)) == ("12/23/2006", 0.99)
    assert better_reading(("", 0.0), ("MRN 4829", 0.4)) == ("MRN 4829", 0.4)
    assert better_reading(("Se 1", 0.5), ("  ", 0.99)) == ("Se 1", 0.5)


def test_padded_upscaled_adds_the_margin_then_scales():
    crop = np.zeros((10, 40, 3), np.uint8)
    crop[:, :20] = 255
    out = padded_upscaled(crop, 2.0, 0.2)  # 2 px margin each side, then x2
    assert out.shape == (28, 88, 3)
    assert (out[:, :4] == 255).all() and (out[:, -4:] == 0).all()  # the margin repeats the edge, adds no ink


# ---------------------------------------------------------------- real model


def _big_scene():
    """A 12 MP photo: a grey wall, and small labels far apart (~15-20 px high), one across a tile border."""
    rng = np.random.default_rng(5)
    img = Image.fromarray(np.clip(rng.normal(150, 6, (3000, 4000, 3)), 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(img)
    d.rectangle((2500, 600, 3400, 1100), fill=(90, 110, 140))  # clutter: a cabinet
    items = [(300, 2600, "GARCIA, MARIA", 20), (3100, 300, "MRN 4829133", 18),
             (1150, 1480, "DOB 03/14/1957 Room 412B", 22)]
    boxes = []
    for x, y, text, px in items:
        d.rectangle((x - 12, y - 10, x + px * len(text) * 0.7 + 12, y + px + 12), fill=(250, 250, 250))
        d.text((x, y), text, font=font(px), fill=(15, 15, 15))
        boxes.append(d.textbbox((x, y), text, font=font(px)))
    return np.asarray(img), [(t, b) for (_, _, t, _), b in zip(items, boxes)]


@pytest.fixture(scope="module")
def rapid():
    from scanner.text.ocr import get_engine

    return get_engine("rapid")


@pytest.mark.models
def test_small_text_in_a_12mp_photo_is_read_where_it_is(rapid):
    rgb, truth = _big_scene()
    lines = rapid.read(rgb)
    for text, box in truth:
        near = [ln for ln in lines if geometry.intersection(ln.box, box) > 0.5 * geometry.area(box)]
        assert near and read_back(text, " ".join(ln.text for ln in near)), (text, [(ln.text, ln.box) for ln in lines])
        # The reported box covers the ink (the redaction is built on it).
        assert geometry.coverage(box, geometry.union(ln.box for ln in near)) > 0.85


@pytest.mark.models
def test_a_line_across_a_tile_border_is_read_once_and_whole(rapid):
    rgb, truth = _big_scene()
    text, box = truth[2]  # spans the whole overlap of the first two tile columns: each tile sees a cut piece
    s = rapid.det_max_side / 4000
    grid = even_grid(round(4000 * s), round(3000 * s), rapid.det_tile, 64)
    b = geometry.scale(box, s)
    cols = sorted({(g[0], g[2]) for g in grid})
    assert b[0] < cols[1][0] and b[2] > cols[0][1], ("not across a border", b, cols)
    hits = [ln for ln in rapid.read(rgb) if geometry.intersection(ln.box, box) > 0]
    assert len(hits) == 1 and read_back(text, hits[0].text), [(ln.text, ln.box) for ln in hits]


@pytest.mark.models
@pytest.mark.parametrize("px", [60, 140])
def test_large_text_across_the_tile_border_of_an_ordinary_photo_is_one_line(rapid, px):
    img = Image.new("RGB", (1280, 960), (230, 230, 225))
    d = ImageDraw.Draw(img)
    d.text((250, 400), "GARCIA, MARIA", font=font(px), fill=(20, 20, 20))
    box = d.textbbox((250, 400), "GARCIA, MARIA", font=font(px))
    assert box[0] < even_grid(1280, 960, rapid.det_tile, 64)[1][0] < box[2]  # the border runs through the name
    hits = [ln for ln in rapid.read(np.asarray(img)) if geometry.intersection(ln.box, box) > 0]
    assert len(hits) == 1 and read_back("GARCIA, MARIA", hits[0].text), [(ln.text, ln.box) for ln in hits]
    assert geometry.coverage(box, hits[0].box) > 0.95


@pytest.mark.models
def test_only_small_unsure_lines_get_a_second_reading_and_the_better_one_wins(rapid, monkeypatch):
    def line(text, px):
        img = Image.new("RGB", (int(px * len(text) * 0.75) + 8, int(px * 1.6)), (18, 18, 18))
        ImageDraw.Draw(img).text((4, px * 0.25), text, font=font(px), fill=(200, 200, 200))
        return np.ascontiguousarray(np.asarray(img)[:, :, ::-1])

    small, big = line("GD5168835", 10), line("GD5168835", 30)
    assert small.shape[0] < SMALL_LINE_PX <= big.shape[0]
    first = [("GD51", 0.5), ("GD5168835", 0.99), ("GDS", 0.5)]  # as if the first pass had read these
    seen = []
    real = rapid.recognise
    monkeypatch.setattr(rapid, "recognise", lambda crops: seen.extend(c.shape for c in crops) or real(crops))
    out = rapid._reread_small([small, small, big], first)
    assert len(seen) == 1 and seen[0][0] > small.shape[0]  # only the small unsure one, upscaled
    assert out[1:] == first[1:]
    assert out[0][1] > 0.5 and read_back("GD5168835", out[0][0]), out[0]


def _full_image_crop(image: np.ndarray, q: np.ndarray) -> np.ndarray:
    """crop_quad as it was: the warp reads the whole image."""
    w = int(round(max(np.linalg.norm(q[0] - q[1]), np.linalg.norm(q[2] - q[3]))))
    h = int(round(max(np.linalg.norm(q[0] - q[3]), np.linalg.norm(q[1] - q[2]))))
    dst = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    m = cv2.getPerspectiveTransform(q.astype(np.float32), dst)
    out = cv2.warpPerspective(image, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return np.ascontiguousarray(np.rot90(out)) if h >= 1.5 * w else out


def test_crop_quad_reads_only_the_quads_box_and_gives_the_same_pixels():
    """The crop warps the quad's bounding box only (a 12 MP frame was copied whole for every line): the pixels are
    those of a warp over the whole image, to float rounding, also for quads crossing the picture's edge."""
    rng = np.random.default_rng(0)
    img = cv2.GaussianBlur(rng.integers(0, 256, (300, 400, 3), np.uint8), (5, 5), 0)
    bgr = img[:, :, ::-1]  # a reversed-channel view, as the OCR engine passes it
    checked = 0
    for _ in range(400):
        cx, cy, w, h = rng.uniform(-40, 440), rng.uniform(-40, 340), rng.uniform(5, 200), rng.uniform(5, 80)
        a = rng.uniform(-0.6, 0.6)
        rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        q = (np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]]) @ rot.T + [cx, cy]
             + rng.normal(0, 2, (4, 2))).astype(np.float32)
        got = crop_quad(bgr, q)
        if got is None:
            continue
        want = _full_image_crop(np.ascontiguousarray(bgr), q)
        diff = np.abs(got.astype(int) - want.astype(int))
        assert got.shape == want.shape and diff.max() <= 2 and (diff > 0).mean() < 0.01
        checked += 1
    assert checked > 350


def test_crop_quad_of_a_reversed_channel_view_is_exactly_the_crop_of_its_copy():
    """The BGR view of an RGB frame is warped without copying the box: the same pixels, exactly."""
    rng = np.random.default_rng(2)
    img = cv2.GaussianBlur(rng.integers(0, 256, (240, 320, 3), np.uint8), (5, 5), 0)
    for q in (np.array([[30, 40], [200, 52], [198, 90], [28, 78]], np.float32),
              np.array([[100, 10], [130, 12], [128, 230], [98, 228]], np.float32)):  # upright: turned 90 degrees
        np.testing.assert_array_equal(crop_quad(img[:, :, ::-1], q),
                                      crop_quad(np.ascontiguousarray(img[:, :, ::-1]), q))


def test_crop_quad_shrinks_only_lines_whose_text_is_taller_than_max_height():
    """A giant "line" (the detector's box over half a photo) comes out with its text max_height high and its shape
    kept, looking like the full crop area-averaged; lines under the cap are untouched; an upright line is capped
    by its width, the height of its text once turned."""
    rng = np.random.default_rng(3)
    img = cv2.GaussianBlur(rng.integers(0, 256, (1200, 1600, 3), np.uint8), (31, 31), 0)
    big = np.array([[100, 100], [1500, 100], [1500, 1100], [100, 1100]], np.float32)
    full = crop_quad(img, big)
    got = crop_quad(img, big, max_height=200)
    assert got.shape[0] == 200 and abs(got.shape[1] / got.shape[0] - full.shape[1] / full.shape[0]) < 0.01
    want = cv2.resize(full, (got.shape[1], got.shape[0]), interpolation=cv2.INTER_AREA)
    assert np.abs(got.astype(int) - want.astype(int)).mean() < 2
    line = np.array([[100, 100], [900, 100], [900, 160], [100, 160]], np.float32)
    np.testing.assert_array_equal(crop_quad(img, line, max_height=200), crop_quad(img, line))
    upright = np.array([[100, 100], [400, 100], [400, 1100], [100, 1100]], np.float32)
    turned = crop_quad(img, upright, max_height=200)
    assert turned.shape[0] == 200 and abs(turned.shape[1] - 200 * 1000 / 300) <= 1


def test_crop_quad_of_a_twisted_quad_is_the_whole_image_warp():
    img = np.random.default_rng(1).integers(0, 256, (120, 160, 3), np.uint8)
    q = np.array([[40, 20], [120, 35], [118, 33], [36, 22]], np.float32)  # corners 3 and 4 swapped: not convex
    np.testing.assert_array_equal(crop_quad(img, q), _full_image_crop(img, q))
