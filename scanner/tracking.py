"""Carry findings from the analysed frames of a video to every frame in between, failing closed.

Only some frames are analysed (OCR and face models are seconds per frame); every frame is *measured*: a cheap
sparse optical flow on a small grey copy gives, per frame, the camera's motion (pans, zooms, hand shake: the
motion whose points spread over most of the picture, not merely the most points — see `camera_motion`) and the
residual motion of each grid point (a face walking by, a monitor entering the shot). With that:

- `FrameSampler` decides which frames are analysed: the first and last, scene cuts (and the frame before them),
  frames where the picture changed since the last analysed frame (motion-compensated block difference) once
  `max_gap` frames have passed, frames where the camera has moved a good part of the picture, and — looking
  back — the last frame of anything that appeared and vanished again before its analysis was due (a name flashed
  on a monitor). A still picture is analysed once: unchanged frames are proven equal to an analysed one.
- `Tracker` links findings of consecutive analysed frames into tracks (one per object) and gives each track a box
  in every frame between them: the box propagated forward from the earlier observation, the box propagated
  *backward* from the later one (so text that slides into view is covered from its first frame, clamped to the
  frame edge) and the linear interpolation, all unioned and widened by the local motion spread. A track that an
  analysed frame does not show stays covered (`miss_limit` analysed frames of grace, since one OCR miss is not
  proof the text is gone; none while it is cut by the frame edge) until an analysed frame shows it gone or it
  leaves the picture. Propagation follows the global affine, the spread of the LK points in the box, and the
  motion-compensated change mask (flat objects LK cannot follow), with half the motion again as margin.

Boxes are full-resolution pixel boxes (x0, y0, x1, y1), x1/y1 exclusive, as everywhere in scanner.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Sequence

import cv2
import numpy as np

from . import geometry
from .findings import Box, Finding, FrameHit

ACTION_RANK = {"redact": 3, "flag": 2, "allow": 1, "ignore": 0}
SEVERITY_RANK = {"high": 2, "medium": 1, "low": 0}


# ---------------------------------------------------------------------------------------------------- motion


@dataclass
class Motion:
    """Motion from frame t-1 to frame t in full-resolution pixels.

    `affine` (2x3) maps a point of t-1 to t for the scene as a whole; `p0`/`p1` are grid points tracked from t-1 to
    t (only the reliable ones). A point's residual is its displacement beyond what `affine` explains.
    """

    affine: np.ndarray
    p0: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))
    p1: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.float32))
    cut: bool = False  # scene cut: nothing carries across
    # Pixels of frame t (small grey scale) that differ from frame t-1 after the global motion: moving content.
    changed: Optional[np.ndarray] = None
    scale: float = 1.0  # full-resolution pixels per `changed` pixel

    @staticmethod
    def still() -> "Motion":
        return Motion(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))

    def inverse_affine(self) -> np.ndarray:
        return cv2.invertAffineTransform(self.affine.astype(np.float64))

    def magnitude(self, w: int, h: int) -> float:
        """How far the frame's corners move under the global motion (pixels, max over corners)."""
        corners = np.array([[0, 0], [w, 0], [0, h], [w, h]], np.float64)
        moved = apply_affine(self.affine, corners)
        return float(np.abs(moved - corners).max())


def apply_affine(affine: np.ndarray, pts) -> np.ndarray:
    """Points (N x 2) moved by a 2x3 affine."""
    pts = np.asarray(pts, np.float64).reshape(-1, 2)
    return pts @ np.asarray(affine, np.float64)[:, :2].T + np.asarray(affine, np.float64)[:, 2]


def compose(first: np.ndarray, then: np.ndarray) -> np.ndarray:
    """The affine of applying `first`, then `then`."""
    a = np.vstack([np.asarray(first, np.float64), [0, 0, 1]])
    b = np.vstack([np.asarray(then, np.float64), [0, 0, 1]])
    return (b @ a)[:2]


def grid_points(w: int, h: int, step: int) -> np.ndarray:
    xs = np.arange(step // 2, w, step, dtype=np.float32)
    ys = np.arange(step // 2, h, step, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def estimate_motion(prev: np.ndarray, cur: np.ndarray, scale: float, step: int = 12) -> Motion:
    """Sparse LK flow of a regular grid plus strong corners between two small grey frames; `scale` converts the
    small frames' pixels to full resolution. Points in flat areas (LK unreliable there) are dropped."""
    h, w = prev.shape[:2]
    pts = grid_points(w, h, step)
    corners = cv2.goodFeaturesToTrack(prev, maxCorners=300, qualityLevel=0.01, minDistance=max(3, step // 2))
    if corners is not None:
        pts = np.vstack([pts, corners.reshape(-1, 2)])
    # Drop points in flat areas: their flow is noise.
    gx = cv2.Sobel(prev, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(prev, cv2.CV_32F, 0, 1, ksize=3)
    energy = cv2.blur(gx * gx + gy * gy, (7, 7))
    xi = np.clip(pts[:, 0].astype(int), 0, w - 1)
    yi = np.clip(pts[:, 1].astype(int), 0, h - 1)
    pts = pts[energy[yi, xi] > 400.0].astype(np.float32)
    if len(pts) < 6:
        return Motion.still()
    nxt, st, err = cv2.calcOpticalFlowPyrLK(prev, cur, pts.reshape(-1, 1, 2), None, winSize=(21, 21), maxLevel=3)
    back, st2, _ = cv2.calcOpticalFlowPyrLK(cur, prev, nxt, None, winSize=(21, 21), maxLevel=3)
    ok = (st.ravel() == 1) & (st2.ravel() == 1)
    ok &= np.linalg.norm(back.reshape(-1, 2) - pts, axis=1) < 1.0  # forward-backward consistency
    p0, p1 = pts[ok], nxt.reshape(-1, 2)[ok]
    affine = camera_motion(p0, p1, w, h) if len(p0) >= 6 else None
    if affine is None:
        affine = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    changed = change_mask(prev, cur, affine.astype(np.float64))
    affine = affine.astype(np.float64)
    affine[:, 2] *= scale
    return Motion(affine, (p0 * scale).astype(np.float32), (p1 * scale).astype(np.float32), changed=changed,
                  scale=scale)


CHANGE_THRESHOLD = 24  # grey levels: a pixel that differs more than this after motion compensation has moved


MOTION_FIT_PX = 0.75  # small-frame px: a point follows a motion if it lands this close to where the motion puts it


def camera_motion(p0: np.ndarray, p1: np.ndarray, w: int, h: int) -> Optional[np.ndarray]:
    """The camera's motion (similarity, small-frame pixels) from points tracked p0 -> p1.

    The motion most points follow is not always the camera's: a textured person walking past a screen of sparse
    text carries more points than the whole screen behind (measured: 217 points on the person, 176 on the panning
    screen), and a looser fit blends the two into a false zoom. So the dominant motion and the dominant motion of
    the points it leaves are both fitted tightly, and the one whose points spread over more of the picture wins:
    the background spans the frame, a foreground object only its own part of it. A pure shift is preferred to a
    similarity that explains barely more points (a slight false zoom moves a 1080p frame's corners by pixels)."""
    best, best_spread = None, -1.0
    rest = np.ones(len(p0), bool)
    for _ in range(2):
        if rest.sum() < max(6, len(p0) // 5):
            break
        sim, _ = cv2.estimateAffinePartial2D(p0[rest], p1[rest], method=cv2.RANSAC,
                                             ransacReprojThreshold=MOTION_FIT_PX)
        if sim is None:
            break
        fits = _fits(sim, p0, p1) & rest
        shift = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
        shift[:, 2] = np.median((p1 - p0)[fits], axis=0)
        shift_fits = _fits(shift, p0, p1) & rest
        if shift_fits.sum() >= 0.9 * fits.sum():
            sim, fits = shift, shift_fits
        spread = _spread(p0[fits])
        if spread > best_spread:
            best, best_spread = sim, spread
        rest &= ~fits
    return best


def _fits(affine: np.ndarray, p0: np.ndarray, p1: np.ndarray) -> np.ndarray:
    return np.linalg.norm(apply_affine(affine, p0) - p1, axis=1) < MOTION_FIT_PX


def _spread(pts: np.ndarray) -> float:
    """How much of the picture points cover: the area between their 5th and 95th percentiles in x and y."""
    if len(pts) < 3:
        return 0.0
    lo, hi = np.percentile(pts, 5, axis=0), np.percentile(pts, 95, axis=0)
    return float(np.prod(hi - lo))


def change_mask(prev: np.ndarray, cur: np.ndarray, small_affine: np.ndarray) -> np.ndarray:
    """Where `cur` differs from `prev` moved by the global motion: objects that move on their own. Flat or
    low-contrast objects give LK too few points to follow; their change is still plain to see here."""
    h, w = cur.shape[:2]
    warped = cv2.warpAffine(prev, small_affine, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    mask = (cv2.absdiff(warped, cur) > CHANGE_THRESHOLD).astype(np.uint8)
    return cv2.dilate(mask, np.ones((3, 3), np.uint8))


# ------------------------------------------------------------------------------------------- box propagation


def _changed_extent(ref_box, changed: np.ndarray, scale: float) -> Optional[tuple]:
    """The bounding box (full resolution, frame t) of the moving content touching `ref_box` (frame t), limited to
    one box size around it (a person walking past must not spread the box over the whole frame)."""
    x0, y0, x1, y1 = ref_box
    bw, bh = max(1.0, x1 - x0), max(1.0, y1 - y0)
    mh, mw = changed.shape[:2]
    cx0, cy0 = int(max(0, (x0 - bw) // scale)), int(max(0, (y0 - bh) // scale))
    cx1, cy1 = int(min(mw, np.ceil((x1 + bw) / scale))), int(min(mh, np.ceil((y1 + bh) / scale)))
    if cx1 <= cx0 or cy1 <= cy0:
        return None
    crop = changed[cy0:cy1, cx0:cx1]
    if not crop.any():
        return None
    n, labels, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    # components that touch the box itself (in crop coordinates, one small pixel of slack)
    bx0, by0 = x0 / scale - cx0 - 1, y0 / scale - cy0 - 1
    bx1, by1 = x1 / scale - cx0 + 1, y1 / scale - cy0 + 1
    out = None
    for i in range(1, n):
        sx, sy, sw, sh, _area = stats[i]
        if sx > bx1 or sy > by1 or sx + sw < bx0 or sy + sh < by0:
            continue
        b = ((sx + cx0) * scale, (sy + cy0) * scale, (sx + sw + cx0) * scale, (sy + sh + cy0) * scale)
        out = b if out is None else (min(out[0], b[0]), min(out[1], b[1]), max(out[2], b[2]), max(out[3], b[3]))
    return out


def _propagate(box, affine: np.ndarray, src: np.ndarray, dst: np.ndarray, w: int, h: int,
               min_margin: float, changed: Optional[np.ndarray] = None, scale: float = 1.0,
               backward: bool = False) -> Optional[Box]:
    """Move `box` by `affine`, then by the median residual of the points inside it, and widen each side by how far
    those points disagree (a face turning, a hand moving): the box ends up covering wherever any part went."""
    x0, y0, x1, y1 = box
    corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], np.float64)
    moved = apply_affine(affine, corners)
    nx0, ny0 = moved.min(axis=0)
    nx1, ny1 = moved.max(axis=0)
    lo = np.zeros(2)
    hi = np.zeros(2)
    if len(src):
        bw, bh = max(1, x1 - x0), max(1, y1 - y0)
        sel = ((src[:, 0] >= x0 - 0.25 * bw) & (src[:, 0] <= x1 + 0.25 * bw)
               & (src[:, 1] >= y0 - 0.25 * bh) & (src[:, 1] <= y1 + 0.25 * bh))
        if sel.sum() >= 3:
            lo, hi = residual_extent(dst[sel].astype(np.float64) - apply_affine(affine, src[sel]))
            # A few wild points must not blow the box up to the whole frame: at most a box size (32 px for small
            # boxes) per frame.
            cap = np.full(2, float(max(bw, bh, 32)))
            lo, hi = np.maximum(lo, -cap), np.minimum(hi, cap)
            # Half the motion again as margin: a moving edge blurs, and LK under-reads fast motion.
            slack = 0.5 * np.maximum(np.abs(lo), np.abs(hi))
            lo, hi = lo - slack, hi + slack
    # Each side moves with the part of the box that went furthest its way: a box on a still background with a
    # moving patch in it (a face, a monitor sliding in) grows towards the patch's motion instead of staying put.
    nx0, ny0 = nx0 + lo[0] - min_margin, ny0 + lo[1] - min_margin
    nx1, ny1 = nx1 + hi[0] + min_margin, ny1 + hi[1] + min_margin
    if changed is not None:
        # The change mask lives in frame t: forward, look around the moved box; backward, around the given box
        # and map what moved back into frame t-1.
        ref = box if backward else (nx0, ny0, nx1, ny1)
        ext = _changed_extent(ref, changed, scale)
        if ext is not None:
            if backward:
                pts = apply_affine(affine, np.array([[ext[0], ext[1]], [ext[2], ext[1]], [ext[0], ext[3]],
                                               [ext[2], ext[3]]]))
                ext = (*pts.min(axis=0), *pts.max(axis=0))
            nx0, ny0 = min(nx0, ext[0]), min(ny0, ext[1])
            nx1, ny1 = max(nx1, ext[2]), max(ny1, ext[3])
    # Kept in float (rounded outward only when covering a frame) so rounding does not grow the box every frame,
    # and not clipped to the picture: half out of view, an object keeps its size, so the redaction margin (a share
    # of the box size) stays that of the whole face or line. None once no part of it is in view.
    inside = (max(0.0, nx0), max(0.0, ny0), min(float(w), nx1), min(float(h), ny1))
    if inside[2] - inside[0] < 1.0 or inside[3] - inside[1] < 1.0:
        return None
    return (nx0, ny0, nx1, ny1)


def outward(box) -> Box:
    """A float box rounded outward to whole pixels."""
    return (int(np.floor(box[0])), int(np.floor(box[1])), int(np.ceil(box[2])), int(np.ceil(box[3])))


NOISE_PX = 0.75  # LK jitter on still edges, per frame; less than this beyond the median is not motion


def residual_extent(resid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How far the points of a box moved beyond the global motion, per axis: (lowest, highest), each at least as
    far as the median. Few points: the extremes; many: the 5th/95th percentiles (robust to a stray match).
    Spread within NOISE_PX of the median is jitter, not motion, so a still box does not swell frame by frame."""
    med = np.median(resid, axis=0)
    if len(resid) < 20:
        lo, hi = resid.min(axis=0), resid.max(axis=0)
    else:
        lo, hi = np.percentile(resid, 5, axis=0), np.percentile(resid, 95, axis=0)
    lo = np.where(med - lo < NOISE_PX, med, lo)
    hi = np.where(hi - med < NOISE_PX, med, hi)
    return np.minimum(lo, med), np.maximum(hi, med)


def propagate_forward(box, m: Motion, w: int, h: int, min_margin: float = 0.25) -> Optional[tuple]:
    """The box in frame t given the box in frame t-1 (None when it has left the picture)."""
    return _propagate(box, m.affine, m.p0, m.p1, w, h, min_margin, m.changed, m.scale)


def propagate_backward(box, m: Motion, w: int, h: int, min_margin: float = 0.25) -> Optional[tuple]:
    """The box in frame t-1 given the box in frame t."""
    return _propagate(box, m.inverse_affine(), m.p1, m.p0, w, h, min_margin, m.changed, m.scale, backward=True)


def touches_edge(box, w: int, h: int, tol: float = 1.0) -> bool:
    """True when the box is cut by (or lies against) the frame edge: its object may be partly out of view."""
    return box[0] <= tol or box[1] <= tol or box[2] >= w - tol or box[3] >= h - tol


def lerp_box(a: Box, b: Box, u: float) -> Box:
    """Linear interpolation between two boxes, rounded outward."""
    lo = [a[i] + (b[i] - a[i]) * u for i in range(4)]
    return (int(np.floor(lo[0])), int(np.floor(lo[1])), int(np.ceil(lo[2])), int(np.ceil(lo[3])))


# ------------------------------------------------------------------------------------------------ tracking


@dataclass
class Track:
    id: str
    finding: Finding  # the most serious observation: what the track is reported as
    observed: dict[int, Box] = field(default_factory=dict)  # analysed frame -> detected box
    boxes: dict[int, Box] = field(default_factory=dict)  # every frame -> box to cover (final once resolved)
    last_index: int = -1  # the last analysed frame the track is alive at
    last_box: Optional[Box] = None  # its box there (observed, or carried through a miss)
    misses: int = 0
    alive: bool = True
    action: str = "redact"

    def absorb(self, f: Finding) -> None:
        """Keep the most restrictive action and the most serious observation as the track's description."""
        if ACTION_RANK.get(f.action, 3) > ACTION_RANK.get(self.action, 3):
            self.action = f.action
        cur = self.finding
        if (SEVERITY_RANK.get(f.severity, 2), f.confidence) > (SEVERITY_RANK.get(cur.severity, 2), cur.confidence):
            self.finding = f

    def cover(self, index: int, box) -> None:
        if box is None:
            return
        box = outward(box)
        if geometry.area(box) <= 0:
            return
        prev = self.boxes.get(index)
        self.boxes[index] = box if prev is None else geometry.union([prev, box])


@dataclass
class TrackerParams:
    match_iou: float = 0.2  # a detection continues a track if it overlaps the predicted box this much
    match_cover: float = 0.5  # … or if one lies mostly inside the other
    miss_limit: int = 1  # analysed frames a track may be missed in before it ends (OCR misses a word sometimes)
    lookback: int = 60  # frames kept open behind the newest analysed frame, for extending new tracks backwards
    min_margin: float = 0.25  # px added per propagated frame on top of the measured motion spread


def _same_family(a: Finding, b: Finding) -> bool:
    return a.kind == b.kind


TEXT_KINDS = frozenset({"text", "plate", "reflection"})
FRAGMENT_CHARS = 3  # a line sharing this many characters in a row with a track's text may be what is left of it


def _alnum(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


def still_there(finding: Finding, box, lines: Sequence[tuple[Box, Optional[str]]]) -> bool:
    """Whether the text lines an analysis saw (box, reading or None when unreadable) show part of a text track's
    text at its predicted `box`: a value half hidden behind a person walking past reads as "957" where
    "03/14/1957" was; it is not gone, and its track must not end."""
    if finding.kind not in TEXT_KINDS:
        return False
    own = _alnum(finding.text or "")
    for line_box, text in lines:
        if geometry.intersection(line_box, box) < 0.3 * max(1, geometry.area(line_box)):
            continue
        if text is None:
            return True  # ink the reader could not read, where the text was: assume it is still there
        seen = _alnum(text)
        if len(own) < FRAGMENT_CHARS or any(seen[i:i + FRAGMENT_CHARS] in own
                                            for i in range(len(seen) - FRAGMENT_CHARS + 1)):
            return True
    return False


class Tracker:
    """Online: feed `motion(t, m)` for every frame t >= 1 and `observe(t, findings)` for every analysed frame, in
    order; each `observe` returns the frames that became final (their boxes will not change any more)."""

    def __init__(self, width: int, height: int, params: TrackerParams = TrackerParams()):
        self.w, self.h = width, height
        self.params = params
        self.tracks: list[Track] = []
        self.motions: dict[int, Motion] = {}
        self.prev_analysed: Optional[int] = None
        self.analysed: set[int] = set()
        self.final_upto = 0  # frames below this are final (handed out by observe/finish)
        self._next_id = 1

    # -- input
    def motion(self, index: int, m: Motion) -> None:
        self.motions[index] = m

    def observe(self, index: int, findings: Sequence[Finding],
                lines: Sequence[tuple[Box, Optional[str]]] = ()) -> range:
        """Findings of analysed frame `index`, and every text line the analysis saw there (box, reading or None:
        see `still_there`). Returns the frames that became final: those more than `lookback` frames back (a later
        track may still be extended backwards over the others)."""
        a = self.prev_analysed
        if a is not None and index <= a:
            raise ValueError(f"analysed frames must increase ({index} after {a})")
        cut = a is not None and any(self.motions.get(t, Motion.still()).cut for t in range(a + 1, index + 1))
        alive = [t for t in self.tracks if t.alive]
        # 1. carry every live track forward through the gap (fail closed) and predict it at `index`.
        predicted: dict[str, Optional[Box]] = {}
        for tr in alive:
            predicted[tr.id] = None if cut else self._carry_forward(tr, a, index)
        # 2. match detections to tracks, best overlap first.
        pairs = []
        for di, f in enumerate(findings):
            for tr in alive:
                p = predicted[tr.id]
                if p is None or not _same_family(tr.finding, f):
                    continue
                score = max(geometry.iou(p, f.box), geometry.coverage(f.box, p), geometry.coverage(p, f.box))
                if geometry.iou(p, f.box) >= self.params.match_iou or score >= self.params.match_cover:
                    pairs.append((score, di, tr))
        used_d: set[int] = set()
        used_t: set[str] = set()
        for _s, di, tr in sorted(pairs, key=lambda x: -x[0]):
            if di in used_d or tr.id in used_t:
                continue
            used_d.add(di)
            used_t.add(tr.id)
            self._continue(tr, a, index, findings[di], predicted[tr.id])
        # 3. tracks not seen: grace (carried box) or end (covered up to index-1 already).
        for tr in alive:
            if tr.id in used_t:
                continue
            tr.misses += 1
            p = predicted[tr.id]
            if p is not None and (touches_edge(p, self.w, self.h) or still_there(tr.finding, p, lines)):
                tr.misses -= 1  # partly out of the picture or partly hidden: unreadable is expected, it is not gone
            if cut or p is None or tr.misses > self.params.miss_limit:
                tr.alive = False
            else:
                tr.last_index, tr.last_box = index, p
                tr.cover(index, p)
        # 4. new tracks, extended backwards to the previous analysed frame.
        for di, f in enumerate(findings):
            if di in used_d:
                continue
            tr = Track(id=f"f{self._next_id}", finding=f, action=f.action)
            self._next_id += 1
            tr.observed[index] = f.box
            tr.cover(index, f.box)
            if a is not None and not cut:
                self._extend_backward(tr, f.box, index, sliding=True)
            tr.last_index, tr.last_box = index, f.box
            self.tracks.append(tr)
        self.prev_analysed = index
        self.analysed.add(index)
        done = range(self.final_upto, max(self.final_upto, index + 1 - max(1, self.params.lookback)))
        self.final_upto = done.stop
        for t in list(self.motions):
            if t <= self.final_upto:  # motion into a final frame is no longer needed
                del self.motions[t]
        return done

    def finish(self, last_index: int) -> range:
        """After the last frame (which must have been analysed): every remaining frame is final."""
        if self.prev_analysed != last_index:
            raise ValueError("the last frame of a video must be analysed before finish()")
        done = range(self.final_upto, last_index + 1)
        self.final_upto = last_index + 1
        return done

    # -- gap filling
    def _carry_forward(self, tr: Track, a: Optional[int], b: int) -> Optional[Box]:
        """Cover frames a+1..b-1 with the track's box propagated forward; return its predicted box at b."""
        box = tr.last_box
        if a is None or box is None:
            return None
        for t in range(a + 1, b + 1):
            m = self.motions.get(t, Motion.still())
            box = propagate_forward(box, m, self.w, self.h, self.params.min_margin)
            if box is None:
                return None  # it left the picture
            if t < b:
                tr.cover(t, box)
        return box

    def _extend_backward(self, tr: Track, box, b: int, sliding: bool = False, stop: Optional[int] = None) -> None:
        """Cover the frames before b with the box propagated backward (text sliding into view, a face walking in,
        a word the earlier analysis missed), down to frame `stop` (inclusive). With `sliding` (a new track), go on
        past analysed frames while the box is cut by the frame edge (there it was only partly in view, so the
        analysis could not read it) and stop at the first analysed frame that had it wholly in view, at a scene
        cut, when it leaves the picture, or at the first frame already handed out."""
        cur = box
        for t in range(b - 1, self.final_upto - 1, -1):
            m = self.motions.get(t + 1, Motion.still())
            if m.cut:
                return
            cur = propagate_backward(cur, m, self.w, self.h, self.params.min_margin)
            if cur is None:
                return
            tr.cover(t, cur)
            if stop is not None and t <= stop:
                return
            if sliding and t in self.analysed and not touches_edge(cur, self.w, self.h):
                return

    def _continue(self, tr: Track, a: Optional[int], b: int, f: Finding, predicted=None) -> None:
        """A track seen again at b: add the interpolated boxes and the backward propagation to the gap."""
        box = f.box
        if predicted is not None and touches_edge(box, self.w, self.h):
            # Half out of the picture, a detector reports only the half it sees (a face cut at the chin line, a
            # word cut at the edge): keep the extent carried from when it was wholly in view.
            box = outward(geometry.union([box, outward(predicted)]))
        if a is not None and tr.last_box is not None and tr.last_index == a:
            n = b - a
            for t in range(a + 1, b):
                tr.cover(t, lerp_box(tr.last_box, box, (t - a) / n))
            self._extend_backward(tr, box, b, stop=a)
        tr.observed[b] = f.box
        tr.cover(b, box)
        tr.absorb(f)
        tr.misses = 0
        tr.last_index, tr.last_box = b, box

    # -- output
    def boxes_at(self, index: int) -> list[tuple[Track, Box]]:
        """(track, box) to paint at a frame. Boxes may reach past the picture (see _propagate); painting clips."""
        return [(tr, tr.boxes[index]) for tr in self.tracks if index in tr.boxes]

    def findings(self, time_of) -> list[Finding]:
        """One finding per track: the most serious observation's description, the most restrictive action, the
        union box, and every frame it covers (analysed and in between), sorted by frame."""
        out = []
        for tr in self.tracks:
            if not tr.boxes:
                continue
            boxes = {i: geometry.clip(b, self.w, self.h) for i, b in tr.boxes.items()}  # source pixels
            frames = [FrameHit(i, float(time_of(i)), tuple(int(v) for v in boxes[i])) for i in sorted(boxes)]
            out.append(tr.finding.with_(id=tr.id, action=tr.action, box=geometry.union(boxes.values()),
                                        frames=frames))
        return out


def track_finding(tr: Track, box: Box) -> Finding:
    """The track's finding drawn at one frame's box (for annotated frames)."""
    return tr.finding.with_(id=tr.id, action=tr.action, box=box)


# ------------------------------------------------------------------------------------------------ sampling


@dataclass
class SamplerParams:
    max_gap: int = 30  # frames: analyse at least this often while the picture changes
    change_threshold: float = 14.0  # mean |diff| of a block (grey levels) that counts as a change
    cut_threshold: float = 45.0  # mean |diff| of the whole frame, motion-compensated, that counts as a scene cut
    max_shift: float = 0.2  # fraction of the frame the camera may move before a new analysis
    block: int = 16  # block side on the small grey frame


@dataclass
class SampleDecision:
    analyse: bool
    cut: bool = False  # analyse the previous frame too (the last of the old scene)
    reason: str = ""
    transient: Optional[int] = None  # an earlier frame to analyse now: content that came and went between analyses


class FrameSampler:
    """Decides, frame by frame, which frames to analyse (see module docstring). Works on small grey frames."""

    def __init__(self, params: SamplerParams = SamplerParams()):
        self.p = params
        self.ref: Optional[np.ndarray] = None  # small grey copy of the last analysed frame
        self.ref_index = -1
        self.acc = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # small-frame affine: ref -> current
        self.changed_since_ref = False
        self.blocks_on: Optional[np.ndarray] = None  # blocks that differ from the reference now (hysteresis)
        self.blocks_peak: Optional[np.ndarray] = None  # how much each of them has differed at most
        self.due: Optional[int] = None  # the last frame that showed content which has since gone, not analysed
        self.last_analysis = -1
        # For the last frame decided on: (its index, `acc`, its per-block difference from the reference), so an
        # analysis of it may look again only where it changed (scanner.reuse).
        self.last_change: Optional[tuple[int, np.ndarray, np.ndarray]] = None

    def analysed(self, index: int, gray: np.ndarray) -> None:
        self.ref, self.ref_index = gray, index
        self.acc = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
        self.changed_since_ref = False
        self.blocks_on, self.blocks_peak, self.due, self.last_analysis = None, None, None, index
        self.last_change = None

    def transient_analysed(self, index: int) -> None:
        """A frame with content that has since gone was analysed; the reference (what is on screen) stays."""
        self.due = None
        self.last_analysis = max(self.last_analysis, index)

    def decide(self, index: int, gray: np.ndarray, prev_gray: Optional[np.ndarray],
               small_affine: Optional[np.ndarray]) -> SampleDecision:
        """`small_affine`: motion prev -> current in small-frame pixels."""
        if self.ref is None:
            return SampleDecision(True, reason="first")
        if small_affine is not None:
            self.acc = compose(self.acc, small_affine)
        h, w = gray.shape[:2]
        if prev_gray is not None and small_affine is not None:
            warped = cv2.warpAffine(prev_gray, small_affine, (w, h), flags=cv2.INTER_LINEAR,
                                    borderMode=cv2.BORDER_REPLICATE)
            if float(cv2.absdiff(warped, gray).mean()) > self.p.cut_threshold and \
                    float(cv2.absdiff(prev_gray, gray).mean()) > self.p.cut_threshold:
                return SampleDecision(True, cut=True, reason="cut")
        shift = float(np.abs(apply_affine(self.acc, np.array([[0, 0], [w, 0], [0, h], [w, h]])) -
                             np.array([[0, 0], [w, 0], [0, h], [w, h]])).max())
        pooled = block_diffs(self.ref, gray, self.acc, self.p.block)
        self.last_change = (index, self.acc.copy(), pooled)
        if shift > self.p.max_shift * min(w, h):
            return SampleDecision(True, reason="moved")
        on = pooled > self.p.change_threshold
        if self.blocks_on is not None and self.blocks_on.shape == on.shape:
            on |= self.blocks_on & (pooled > self.p.change_threshold / 2)
            # Gone = was clearly different (twice the threshold: text, a face), now back to the reference.
            # Blocks hovering near the threshold (hand shake, warp error on fine detail) do not count.
            gone = self.blocks_on & ~on & (self.blocks_peak > 2 * self.p.change_threshold)
            # Only for local change (a still camera, or few blocks changed): while the whole picture moves, blocks
            # flicker at the edges of what the global motion explains, and content that stays in view is caught
            # by the regular analyses anyway.
            still = shift <= 0.1 * min(w, h) or float(on.mean()) < 0.25
            if still and gone.any() and self.due is None:
                # Something came and went before its analysis was due (a name flashed on a monitor, a chart
                # opened and closed): the previous frame was the last to show it, and is still in the buffer.
                self.due = index - 1
        if self.blocks_peak is None or self.blocks_peak.shape != on.shape:
            self.blocks_peak = np.zeros_like(pooled)
        self.blocks_peak = np.where(on, np.maximum(self.blocks_peak, pooled), 0.0)
        self.blocks_on = on
        if on.any():
            self.changed_since_ref = True
        min_gap = max(1, self.p.max_gap // 4)  # at most ~4 such extra analyses a second
        if self.due is not None and self.due > self.last_analysis and index - self.last_analysis >= min_gap:
            due, self.due = self.due, None
            return SampleDecision(False, reason="transient", transient=due)
        if self.changed_since_ref and index - self.ref_index >= self.p.max_gap:
            return SampleDecision(True, reason="changed")
        return SampleDecision(False)


def block_change(ref: np.ndarray, cur: np.ndarray, ref_to_cur: np.ndarray, block: int) -> float:
    """The largest mean |difference| over blocks between `cur` and `ref` warped into it."""
    pooled = block_diffs(ref, cur, ref_to_cur, block)
    return float(pooled.max()) if pooled.size else 0.0


def block_diffs(ref: np.ndarray, cur: np.ndarray, ref_to_cur: np.ndarray, block: int) -> np.ndarray:
    """Mean |difference| per block between `cur` and `ref` warped into it. Content that entered the picture
    (no counterpart in `ref`) counts as changed."""
    h, w = cur.shape[:2]
    warped = cv2.warpAffine(ref, ref_to_cur, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                            borderValue=0)
    valid = cv2.warpAffine(np.full_like(ref, 255), ref_to_cur, (w, h), flags=cv2.INTER_NEAREST,
                           borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    diff = cv2.absdiff(warped, cur).astype(np.float32)
    diff[valid == 0] = 255.0  # new area
    hb, wb = max(1, h // block), max(1, w // block)
    return cv2.resize(diff[: hb * block, : wb * block], (wb, hb), interpolation=cv2.INTER_AREA)
