"""RapidOCR (PP-OCRv6 small, ONNX; the models ship inside the `rapidocr` wheel).

Detection runs on a canvas no larger than `det_max_side` (text detection is most of the cost and scales with pixels),
cut into tiles no larger than `det_tile`; each detected line is then cut from the FULL-resolution image and
recognised there, so a 15 px name plate in a 12 MP photo is read from its real pixels rather than from a thumbnail.

Why tiles: the detector loses small text when its input is large. Measured on the benchmark's 12 MP scenes (text
17-28 px high): one 2048 x 1536 pass found 1 of 30 PHI lines, even the full 4000 x 3000 image found none, while the
same 2048 x 1536 canvas cut into ~1024 px tiles found 22 of 22, at about the same cost (cost is per pixel).
"""
from __future__ import annotations

import contextvars
import logging
import threading
from contextlib import contextmanager
from typing import Iterator, Optional, Sequence

import cv2
import numpy as np

from ... import geometry
from ...findings import Box
from .base import TextLine
from .crop import crop_quad, padded_upscaled

DEFAULT_DET_MAX_SIDE = 2048
DEFAULT_DET_TILE = 1024  # the detector's sweet spot; larger inputs lose small text (see above)
TILE_OVERLAP = 64  # canvas px: more than a line of small text is tall, so each such line is whole in some tile
DET_SHORT_SIDE = 736  # RapidOCR's detector scales each input until its short side is this (config limit_type min)

# Small lines get a second reading from a padded, upscaled crop; the better-scored reading wins. Measured on the
# imaging-overlay scenes (7-16 px text, seed 3, 186 small lines): correct readings 164 -> 168, e.g.
# "BadrBndon" (0.55) -> "Bradford^Brandon" (0.96), "EDOMPY MN EY ONNITA" -> "EDMONDS MEMORIAL COMMUNITY HOSPITAL".
# A line already read with a high score keeps its reading: the second look is worse as often as better.
CROP_MAX_H = 384  # px of text height: taller line crops are shrunk before reading (8x the recogniser's 48 px input)
SMALL_LINE_PX = 20  # detected line box height (the detector's box is ~1.6x the ink): ink under ~12 px
SURE_SCORE = 0.95
REREAD_FACTOR, REREAD_PAD = 1.5, 0.15

# A smaller detection canvas for the calls made inside `detection_canvas(...)` (video frames: seconds per frame
# otherwise). A context variable, so a batch thread scanning a photo meanwhile keeps the full canvas.
_canvas_limit: contextvars.ContextVar[Optional[int]] = contextvars.ContextVar("det_canvas_limit", default=None)


@contextmanager
def detection_canvas(max_side: Optional[int]) -> Iterator[None]:
    """Within the block, text detection runs on a canvas no larger than `max_side` (None: the engine's own)."""
    token = _canvas_limit.set(max_side)
    try:
        yield
    finally:
        _canvas_limit.reset(token)


def even_grid(w: int, h: int, max_tile: int, overlap: int) -> list[tuple[int, int, int, int]]:
    """Cover w x h with the fewest tiles of side <= max_tile, equal-sized, overlapping by `overlap`.

    Not geometry.tiles: its square tiles of a fixed side waste up to half their pixels on a 16:9 or 4:3 canvas, and
    detection time is proportional to pixels.
    """
    def spans(n: int) -> list[tuple[int, int]]:
        if n <= max_tile:
            return [(0, n)]
        k = -(-(n - overlap) // (max_tile - overlap))  # ceil: tiles needed along this side
        size = -(-(n + (k - 1) * overlap) // k)
        starts = [round(i * (n - size) / (k - 1)) for i in range(k)]
        return [(s, s + size) for s in starts]

    return [(x0, y0, x1, y1) for y0, y1 in spans(h) for x0, x1 in spans(w)]


def _order_quad(pts: np.ndarray) -> np.ndarray:
    """Four corners clockwise from top-left (what crop_quad expects)."""
    s, d = pts.sum(axis=1), pts[:, 1] - pts[:, 0]
    return np.array([pts[np.argmin(s)], pts[np.argmin(d)], pts[np.argmax(s)], pts[np.argmax(d)]], np.float32)


def _same_line(a, b) -> bool:
    """Two boxes from different tiles that are pieces of one line (or the same line seen twice)."""
    ha, hb = geometry.height(a), geometry.height(b)
    v = min(a[3], b[3]) - max(a[1], b[1])
    h = min(a[2], b[2]) - max(a[0], b[0])
    # A gap of up to ~a word space: the detector may drop a cut glyph at the tile edge.
    return v >= 0.5 * min(ha, hb) and 0.5 <= ha / max(1, hb) <= 2.0 and h >= -0.6 * min(ha, hb)


def merge_tile_quads(found: list[tuple[int, np.ndarray]], grid: list[tuple[int, int, int, int]]) -> list[np.ndarray]:
    """Join quads (tagged with the index of the tile in `grid` they came from) that are one line cut by, or seen
    twice across, a tile border: a line is never read as two halves or twice. Only quads reaching into another
    tile can be such pieces; quads of the same tile are left alone (the detector already separated them)."""
    items = [({t}, q, geometry.from_points(q)) for t, q in found]
    keep = [it for it in items
            if not any(geometry.intersection(it[2], g) for k, g in enumerate(grid) if k not in it[0])]
    border = [it for it in items if not any(it is k for k in keep)]
    merged = True
    while merged:
        merged = False
        for i in range(len(border)):
            for j in range(i + 1, len(border)):
                ti, qi, bi = border[i]
                tj, qj, bj = border[j]
                if ti & tj or not _same_line(bi, bj):
                    continue
                pts = np.concatenate([qi, qj]).astype(np.float32)
                q = _order_quad(cv2.boxPoints(cv2.minAreaRect(pts)).astype(np.float32))
                border[i] = (ti | tj, q, geometry.from_points(q))
                del border[j]
                merged = True
                break
            if merged:
                break
    return [q for _, q, _ in keep + border]


def better_reading(first: tuple[str, float], second: tuple[str, float]) -> tuple[str, float]:
    """Of two readings (text, score) of one line, the better scored; an empty reading never wins."""
    if not second[0].strip():
        return first
    if not first[0].strip():
        return second
    return second if second[1] > first[1] else first


def load_detector(ocr):
    """`ocr`'s (a RapidOCR's) text detector, loaded, its session rebuilt (same model file, same options) on the
    model with its subnormal weights flushed: 2.9x faster with bit-identical output (scanner.onnx_tidy)."""
    import onnx
    import onnxruntime as ort

    from ... import onnx_tidy

    det = ocr._load_det_model()
    session = det.session.session
    model = onnx_tidy.denormals_flushed(onnx.load(session._model_path))
    det.session.session = ort.InferenceSession(model.SerializeToString(), sess_options=session.get_session_options(),
                                               providers=session.get_providers())
    return det


class RapidOcrEngine:
    name = "rapid"

    def __init__(self, det_max_side: int = DEFAULT_DET_MAX_SIDE, min_score: float = 0.3,
                 det_tile: int = DEFAULT_DET_TILE):
        try:
            from rapidocr import RapidOCR
        except ImportError as e:  # pragma: no cover - pinned dependency
            raise RuntimeError("RapidOCR is not installed: the 'rapidocr' and 'onnxruntime' packages provide it "
                               "(run `make venv`)") from e
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        self._ocr = RapidOCR(params={"Global.log_level": "error"})
        # Load the three ONNX sessions now, once per process: model files are inside the wheel, nothing downloads.
        self._det = load_detector(self._ocr)
        self._cls = self._ocr._load_cls_model()
        self._rec = self._ocr._load_rec_model()
        self._lock = threading.Lock()
        self.det_max_side = det_max_side
        self.det_tile = det_tile
        self.min_score = min_score

    def detect_quads(self, image_rgb: np.ndarray) -> list[np.ndarray]:
        """Text-line quadrilaterals (4x2 float, full-resolution pixels) found on a downscaled canvas."""
        h, w = image_rgb.shape[:2]
        limit = _canvas_limit.get()
        s = min(1.0, min(self.det_max_side, limit or self.det_max_side) / max(h, w))
        canvas = image_rgb if s == 1.0 else cv2.resize(image_rgb, (round(w * s), round(h * s)),
                                                       interpolation=cv2.INTER_AREA)
        return [q / s for q in self._detect_canvas(canvas)]

    def _detect_canvas(self, canvas: np.ndarray, native: bool = False) -> list[np.ndarray]:
        """Quads in a canvas (its pixels), detected tile by tile; lines found in two tiles merged."""
        grid = even_grid(canvas.shape[1], canvas.shape[0], self.det_tile, TILE_OVERLAP)
        found: list[tuple[int, np.ndarray]] = []
        for t, (x0, y0, x1, y1) in enumerate(grid):
            found += [(t, q + (x0, y0)) for q in self._detect_tile(canvas[y0:y1, x0:x1], native)]
        return merge_tile_quads(found, grid) if len(grid) > 1 else [q for _, q in found]

    def detection_scale(self, w: int, h: int) -> float:
        """Detector-input pixels per image pixel when a w x h image is read whole: its canvas, then RapidOCR's
        upscaling of a tile whose short side is under DET_SHORT_SIDE (the finest tile's, if they differ)."""
        limit = _canvas_limit.get()
        s = min(1.0, min(self.det_max_side, limit or self.det_max_side) / max(h, w))
        cw, ch = max(1, round(w * s)), max(1, round(h * s))
        grid = even_grid(cw, ch, self.det_tile, TILE_OVERLAP)
        return s * max(max(1.0, DET_SHORT_SIDE / max(32, min(x1 - x0, y1 - y0))) for x0, y0, x1, y1 in grid)

    def read_region(self, image_rgb: np.ndarray, box: Box, scale: float) -> tuple[list[TextLine], list[Box]]:
        """`read_with_unread` of one region of the image (full-image pixels out), detected at `scale` detector
        pixels per image pixel as such — not rescaled to the detector's preferred size. A video frame's changed
        region is so read at the resolution the whole frame was read at (scanner.reuse): same small text found,
        and a small region costs little rather than the ~736 px square RapidOCR would upscale it to."""
        x0, y0, x1, y1 = (int(v) for v in box)
        crop = image_rgb[y0:y1, x0:x1]
        ch, cw = crop.shape[:2]
        if ch < 2 or cw < 2:
            return [], []
        canvas = crop if abs(scale - 1.0) < 1e-3 else cv2.resize(
            crop, (max(1, round(cw * scale)), max(1, round(ch * scale))),
            interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        sx, sy = cw / canvas.shape[1], ch / canvas.shape[0]
        quads = self._detect_canvas(canvas, native=True)
        return self._read_quads(image_rgb, [q * (sx, sy) + (x0, y0) for q in quads])

    def _detect_tile(self, canvas: np.ndarray, native: bool = False) -> list[np.ndarray]:
        """Quads in one tile of the canvas, in the tile's pixels. `native`: at the canvas's own size (rounded to
        the network's multiple of 32), not scaled up to the detector's preferred short side."""
        # RapidOCR scales the canvas until its SHORT side is 736 px: a 20000x20 strip (a 2048x2 canvas) would become
        # 736x753664 (6 GiB). Pad the short side with the median colour (adds no text) to a quarter of the long one.
        ch, cw = canvas.shape[:2]
        short_min = max(32, max(ch, cw) // 4)
        if min(ch, cw) < short_min:
            fill = [int(v) for v in np.median(canvas.reshape(-1, canvas.shape[2]), axis=0)]
            canvas = cv2.copyMakeBorder(canvas, 0, max(0, short_min - ch), 0, max(0, short_min - cw),
                                        cv2.BORDER_CONSTANT, value=fill)
        bgr = np.ascontiguousarray(canvas[:, :, ::-1])
        with self._lock:
            if native:  # RapidOCR rebuilds its resize step from these two attributes on every call
                saved = self._det.limit_side_len, self._det.limit_type
                self._det.limit_side_len, self._det.limit_type = 1 << 20, "max"
                try:
                    res = self._det(bgr)
                finally:
                    self._det.limit_side_len, self._det.limit_type = saved
            else:
                res = self._det(bgr)
        if res.boxes is None:
            return []
        return [np.clip(np.asarray(q, dtype=np.float32), 0, (cw, ch)) for q in res.boxes]

    def recognise(self, crops_bgr: Sequence[np.ndarray]) -> list[tuple[str, float]]:
        if not crops_bgr:
            return []
        from rapidocr.ch_ppocr_rec.typings import TextRecInput

        with self._lock:
            cls = self._cls(list(crops_bgr))
            imgs = cls.img_list if cls.img_list is not None else list(crops_bgr)
            rec = self._rec(TextRecInput(img=imgs))
        if rec.txts is None:
            return [("", 0.0)] * len(crops_bgr)
        return [(t, float(sc)) for t, sc in zip(rec.txts, rec.scores)]

    def read(self, image_rgb: np.ndarray) -> list[TextLine]:
        return self.read_with_unread(image_rgb)[0]

    def _reread_small(self, crops: Sequence[np.ndarray], results: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """Results with small, unsure lines read a second time from a padded, upscaled crop (see SMALL_LINE_PX)."""
        again = [i for i, (c, (_, score)) in enumerate(zip(crops, results))
                 if score < SURE_SCORE and c.shape[0] < SMALL_LINE_PX]
        second = self.recognise([padded_upscaled(crops[i], REREAD_FACTOR, REREAD_PAD) for i in again])
        out = list(results)
        for i, r in zip(again, second):
            out[i] = better_reading(out[i], r)
        return out

    def read_with_unread(self, image_rgb: np.ndarray) -> tuple[list[TextLine], list[Box]]:
        """The lines read, and the boxes where the detector found a text line the recogniser could not read
        (empty or below min_score): in a clinical context that ink may be a patient's name too small to read."""
        return self._read_quads(image_rgb, self.detect_quads(image_rgb))

    def _read_quads(self, image_rgb: np.ndarray, quads: list[np.ndarray]) -> tuple[list[TextLine], list[Box]]:
        """Each detected quad recognised from its full-resolution crop: the lines read, the boxes left unread."""
        h, w = image_rgb.shape[:2]
        bgr = image_rgb[:, :, ::-1]
        crops = [crop_quad(bgr, q, max_height=CROP_MAX_H) for q in quads]
        keep = [i for i, c in enumerate(crops) if c is not None]
        results = self._reread_small([crops[i] for i in keep], self.recognise([crops[i] for i in keep]))
        lines, unread = [], []
        for i, (text, score) in zip(keep, results):
            text = text.strip()
            q = quads[i]
            box = geometry.clip(geometry.from_points(q), w, h)
            if not text or score < self.min_score:
                unread.append(box)
                continue
            lines.append(TextLine(text=text, box=box, confidence=score,
                                  quad=tuple((float(x), float(y)) for x, y in q), engine=self.name))
        return lines, unread
