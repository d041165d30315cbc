from hypothesis import given, strategies as st

from scanner import geometry as g

boxes = st.tuples(st.integers(0, 500), st.integers(0, 500), st.integers(1, 300), st.integers(1, 300)).map(
    lambda t: (t[0], t[1], t[0] + t[2], t[1] + t[3]))


def test_area_and_intersection():
    assert g.area((0, 0, 10, 5)) == 50
    assert g.intersection((0, 0, 10, 10), (5, 5, 15, 15)) == 25
    assert g.intersection((0, 0, 10, 10), (10, 10, 20, 20)) == 0


def test_iou_identical_and_disjoint():
    assert g.iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert g.iou((0, 0, 10, 10), (20, 20, 30, 30)) == 0.0


def test_coverage_is_fraction_of_inner():
    assert g.coverage((0, 0, 10, 10), (0, 0, 5, 10)) == 0.5
    assert g.coverage((2, 2, 4, 4), (0, 0, 10, 10)) == 1.0


def test_clip_keeps_box_in_image():
    assert g.clip((-5, -5, 50, 50), 20, 30) == (0, 0, 20, 30)


def test_pad_for_redaction_grows_by_at_least_three_pixels():
    b = g.pad_for_redaction((10, 10, 50, 20), 100, 100)
    assert b[0] <= 7 and b[1] <= 7 and b[2] >= 53 and b[3] >= 23


def test_scale_rounds_outward():
    assert g.scale((1, 1, 3, 3), 0.5) == (0, 0, 2, 2)
    assert g.scale((10, 10, 20, 20), 2.0) == (20, 20, 40, 40)


def test_from_points_covers_all_points():
    assert g.from_points([(1.2, 3.7), (9.9, 2.1), (4, 8.5)]) == (1, 2, 10, 9)


def test_merge_overlapping():
    merged = g.merge_overlapping([(0, 0, 10, 10), (1, 1, 10, 10), (50, 50, 60, 60)])
    assert sorted(merged) == [(0, 0, 10, 10), (50, 50, 60, 60)]


def test_tiles_cover_image_with_overlap():
    ts = g.tiles(1000, 700, 400, 100)
    assert g.union(ts) == (0, 0, 1000, 700)
    assert all(g.width(t) <= 400 and g.height(t) <= 400 for t in ts)


def test_single_tile_for_small_image():
    assert g.tiles(300, 200, 400, 50) == [(0, 0, 300, 200)]


@given(boxes, boxes)
def test_iou_symmetric_and_bounded(a, b):
    assert 0.0 <= g.iou(a, b) <= 1.0
    assert abs(g.iou(a, b) - g.iou(b, a)) < 1e-12


@given(boxes, boxes)
def test_union_contains_both(a, b):
    u = g.union([a, b])
    assert g.coverage(a, u) == 1.0 and g.coverage(b, u) == 1.0


@given(boxes, st.integers(0, 50))
def test_pad_contains_original(b, m):
    assert g.coverage(b, g.pad(b, m)) == 1.0


@given(st.integers(1, 3000), st.integers(1, 3000), st.integers(64, 1024), st.integers(0, 63))
def test_tiles_cover_every_pixel(w, h, tile, overlap):
    ts = g.tiles(w, h, tile, overlap)
    assert g.union(ts) == (0, 0, w, h)
    # every column/row boundary between tiles is covered: adjacent starts never leave a gap
    xs = sorted({t[0] for t in ts})
    assert all(b - a <= tile for a, b in zip(xs, xs[1:]))
