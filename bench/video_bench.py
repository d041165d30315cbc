"""Video benchmark: leaked frames on synthetic clips with per-frame ground truth, and speed on a 30 s 1080p30 clip.

    python -m bench.video_bench            # leak scenarios + speed clip
    python -m bench.video_bench --quick    # leak scenarios only
    python -m bench.video_bench --speed-seconds 10   # shorter speed clip

Scenarios (640x360, 30 fps, 3 s, with an audio track): a camera pan across an EHR screen (text slides in and out),
a zoom into it, a monitor sliding into the shot, a face walking by (skimage's astronaut, a real face), and a
whiteboard at an angle with camera shake. Ground truth is every PHI region's box in every frame, computed from the
same geometry that drew it.

A frame LEAKS a region when the region is visible (at least 10% of it inside the picture) and either
- geometric: less than 98% of its visible pixels are painted over in the redacted output (fill style paints
  (0,0,0); the scenes draw nothing that dark, so a pixel is painted when every channel is <= 28 after H.264), or
- readable: Tesseract reads a 4+ character piece of the region's text from the redacted output frame (every 3rd
  frame checked; OCR of the very pixels that were published).
Also checked: the output decodes with the same frame count, frame rate and duration, and keeps the audio stream.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import av  # noqa: E402
import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from bench.clip_audio import mux_sine_tone  # noqa: E402

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
FACE_IN_SPRITE = (75, 55, 175, 175)  # the astronaut's face inside the sprite cut from skimage.data.astronaut()


@dataclass
class Region:
    label: str
    box: tuple[int, int, int, int]  # in frame pixels, may extend beyond the frame
    text: Optional[str] = None  # None for a face


@dataclass
class Scene:
    name: str
    size: tuple[int, int]  # w, h
    fps: int
    n: int
    render: Callable[[int], tuple[np.ndarray, list[Region]]]


# ------------------------------------------------------------------------------------------- drawing helpers


def font(px: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT_BOLD if bold else FONT, px)


def draw_text_regions(img: Image.Image, items, fill=(40, 50, 80)) -> list[Region]:
    """Draw [(x, y, text, px, label or None)]; return the ground truth of the labelled (PHI) ones: the box of the
    identifying value only (after "Label: " or "MRN "), since the label itself identifies nobody."""
    d = ImageDraw.Draw(img)
    out = []
    for x, y, text, px, label in items:
        f = font(px)
        d.text((x, y), text, font=f, fill=fill)
        if label:
            value = identifying_part(text)
            dx = d.textlength(text[: len(text) - len(value)], font=f)
            x0, y0, x1, y1 = d.textbbox((x + dx, y), value, font=f)
            out.append(Region(label, (int(x0), int(y0), int(np.ceil(x1)), int(np.ceil(y1))), value))
    return out


def identifying_part(text: str) -> str:
    """'Patient: GARCIA, MARIA' -> 'GARCIA, MARIA'; 'MRN 7734120' -> '7734120'; 'Rm 12  PATEL, RAVI' -> 'PATEL, RAVI'."""
    if ": " in text:
        return text.split(": ", 1)[1]
    m = re.match(r"^(MRN|Rm \d+)\s+(.*)$", text)
    return m.group(2) if m else text


def ehr_canvas(w: int, h: int, scale: float = 1.0) -> tuple[np.ndarray, list[Region]]:
    img = Image.new("RGB", (w, h), (238, 240, 236))
    d = ImageDraw.Draw(img)
    s = scale
    d.rectangle([0, 0, w, int(34 * s)], fill=(40, 70, 120))
    items = [
        (int(w * 0.44), int(60 * s), "Patient: GARCIA, MARIA", int(30 * s), "name"),
        (int(w * 0.70), int(150 * s), "MRN: 00482913", int(30 * s), "mrn"),
        (int(w * 0.16), int(250 * s), "DOB: 03/14/1957", int(30 * s), "dob"),
        (int(w * 0.05), int(120 * s), "Hand hygiene saves lives", int(24 * s), None),
        (int(w * 0.02), int(310 * s), "Ward 4 - Cardiology", int(22 * s), None),
    ]
    regions = draw_text_regions(img, items)
    return np.array(img), regions


def textured_background(w: int, h: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(150, 215, (max(2, h // 24), max(2, w // 24), 3), dtype=np.uint8)
    bg = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    cv2.line(bg, (0, int(h * 0.75)), (w, int(h * 0.72)), (120, 110, 100), 3)  # a floor line
    return bg


def person_sprite(scale: float) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    from skimage.data import astronaut

    sprite = astronaut()[0:300, 100:340]
    sprite = cv2.resize(sprite, (int(240 * scale), int(300 * scale)), interpolation=cv2.INTER_AREA)
    fx0, fy0, fx1, fy1 = FACE_IN_SPRITE
    return sprite, (int(fx0 * scale), int(fy0 * scale), int(fx1 * scale), int(fy1 * scale))


def paste(frame: np.ndarray, sprite: np.ndarray, x: int, y: int) -> None:
    h, w = frame.shape[:2]
    sh, sw = sprite.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(w, x + sw), min(h, y + sh)
    if x1 > x0 and y1 > y0:
        frame[y0:y1, x0:x1] = sprite[y0 - y:y1 - y, x0 - x:x1 - x]


def shift_region(r: Region, dx: float, dy: float, s: float = 1.0) -> Region:
    x0, y0, x1, y1 = r.box
    return Region(r.label, (int(x0 * s + dx), int(y0 * s + dy), int(np.ceil(x1 * s + dx)), int(np.ceil(y1 * s + dy))),
                  r.text)


# ------------------------------------------------------------------------------------------------- scenes


def scene_pan(w=640, h=360, fps=30, n=90) -> Scene:
    canvas, regions = ehr_canvas(1700, h)
    span = canvas.shape[1] - w

    def render(t):
        x = int(round(span * t / (n - 1)))
        return canvas[:, x:x + w].copy(), [shift_region(r, -x, 0) for r in regions]

    return Scene("pan", (w, h), fps, n, render)


def scene_zoom(w=640, h=360, fps=30, n=90) -> Scene:
    canvas, regions = ehr_canvas(w * 2, h * 2, scale=1.0)
    canvas = cv2.resize(canvas, (w * 2, h * 2))
    cx, cy = 0.55 * canvas.shape[1], 0.45 * canvas.shape[0]

    def render(t):
        z = 0.5 + 0.9 * t / (n - 1)  # from the whole canvas (half size) to 1.4x
        m = np.array([[z, 0, w / 2 - z * cx], [0, z, h / 2 - z * cy]])
        frame = cv2.warpAffine(canvas, m, (w, h), flags=cv2.INTER_AREA, borderValue=(238, 240, 236))
        return frame, [shift_region(r, m[0, 2], m[1, 2], z) for r in regions]

    return Scene("zoom", (w, h), fps, n, render)


def scene_monitor(w=640, h=360, fps=30, n=90) -> Scene:
    bg = textured_background(w, h, 1)
    mon = Image.new("RGB", (300, 170), (40, 52, 70))
    truth = draw_text_regions(mon, [(14, 18, "SMITH, JOHN", 26, "name"), (14, 64, "MRN 7734120", 24, "mrn"),
                                    (14, 110, "HR 72  SpO2 98", 20, None)], fill=(120, 255, 140))
    mon_rgb = np.array(mon)

    def render(t):
        x = int(w - (w - 300) * min(1.0, t / 45))  # slides in from the right over 1.5 s, then stays
        frame = bg.copy()
        paste(frame, mon_rgb, x, 120)
        return frame, [shift_region(r, x, 120) for r in truth]

    return Scene("monitor_enters", (w, h), fps, n, render)


def scene_face(w=640, h=360, fps=30, n=90) -> Scene:
    bg = textured_background(w, h, 2)
    sprite, face = person_sprite(1.0)

    def render(t):
        x = int(-sprite.shape[1] + (w + sprite.shape[1]) * t / (n - 1))
        frame = bg.copy()
        paste(frame, sprite, x, 40)
        return frame, [Region("face", (face[0] + x, face[1] + 40, face[2] + x, face[3] + 40))]

    return Scene("face_walk", (w, h), fps, n, render)


def scene_whiteboard(w=640, h=360, fps=30, n=90) -> Scene:
    board = Image.new("RGB", (600, 320), (250, 250, 248))
    d = ImageDraw.Draw(board)
    d.rectangle([0, 0, 599, 319], outline=(90, 90, 90), width=6)
    truth = draw_text_regions(board, [(30, 30, "Rm 12  JOHNSON, ELLA", 34, "name"),
                                      (30, 110, "Rm 14  PATEL, RAVI", 34, "name"),
                                      (30, 200, "Call ext 4417 for pharmacy", 26, None)], fill=(20, 40, 160))
    board_rgb = np.array(board)
    src = np.float32([[0, 0], [600, 0], [600, 320], [0, 320]])
    bg = textured_background(w, h, 3)

    def render(t):
        dx, dy = 6 * np.sin(t / 5.0), 4 * np.cos(t / 7.0)  # hand shake
        dst = np.float32([[60, 40], [560, 80], [560, 300], [60, 340]]) + np.float32([dx, dy])
        hm = cv2.getPerspectiveTransform(src, dst)
        warped = cv2.warpPerspective(board_rgb, hm, (w, h))
        mask = cv2.warpPerspective(np.full((320, 600), 255, np.uint8), hm, (w, h))
        frame = np.where(mask[..., None] > 0, warped, bg)
        regions = []
        for r in truth:
            x0, y0, x1, y1 = r.box
            pts = cv2.perspectiveTransform(np.float32([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]]), hm)[0]
            regions.append(Region(r.label, (int(pts[:, 0].min()), int(pts[:, 1].min()),
                                            int(np.ceil(pts[:, 0].max())), int(np.ceil(pts[:, 1].max()))), r.text))
        return frame, regions

    return Scene("whiteboard_angle", (w, h), fps, n, render)


def scene_speed(seconds: int, w=1920, h=1080, fps=30) -> Scene:
    """The speed clip: a slow pan across a big EHR screen, a face walking by in front, 1080p30."""
    canvas, regions = ehr_canvas(int(w * 1.6), h, scale=2.6)
    sprite, face = person_sprite(2.2)
    n = seconds * fps
    span = canvas.shape[1] - w

    def render(t):
        u = t / max(1, n - 1)
        x = int(round(span * (0.5 - 0.5 * np.cos(2 * np.pi * u))))  # pans right and back
        frame = canvas[:, x:x + w].copy()
        px = int(-sprite.shape[1] + (w + sprite.shape[1]) * ((t % (10 * fps)) / (10 * fps)))  # walks by every 10 s
        paste(frame, sprite, px, h - sprite.shape[0])
        out = [shift_region(r, -x, 0) for r in regions]
        out.append(Region("face", (face[0] + px, face[1] + h - sprite.shape[0], face[2] + px,
                                   face[3] + h - sprite.shape[0])))
        return frame, out

    return Scene("speed_1080p30", (w, h), fps, n, render)


SCENES = [scene_pan, scene_zoom, scene_monitor, scene_face, scene_whiteboard]


# ------------------------------------------------------------------------------------------------ writing


def write_scene(scene: Scene, path: Path, audio: bool = True, preset: str = "veryfast") -> list[list[Region]]:
    """Encode the scene as H.264 MP4 (with a sine-tone AAC track) and return the per-frame ground truth."""
    w, h = scene.size
    truth: list[list[Region]] = []
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=scene.fps)
        v.width, v.height, v.pix_fmt = w, h, "yuv420p"
        v.options = {"preset": preset, "crf": "18"}
        a = c.add_stream("aac", rate=16000) if audio else None
        for t in range(scene.n):
            rgb, regions = scene.render(t)
            truth.append(regions)
            for p in v.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")):
                c.mux(p)
        for p in v.encode():
            c.mux(p)
        if a is not None:
            mux_sine_tone(c, a, scene.n / scene.fps, 330.0)
    return truth


# ------------------------------------------------------------------------------------------------ scoring


def probe(path: Path) -> dict:
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        n = sum(1 for _ in c.decode(video=0))
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        return {"frames": n, "fps": float(v.average_rate), "duration": round(c.duration / 1e6, 3),
                "audio": len(c.streams.audio) > 0}


LABEL_WORDS = {"PATIENT", "SPO2"}
PAINTED_MAX = 28  # fill style paints (0, 0, 0); after H.264 a painted pixel stays at most this bright


def readable_piece(read: str, truth: str) -> Optional[str]:
    """A 4+ character alphanumeric token of the truth found in what Tesseract read."""
    norm = re.sub(r"[^A-Z0-9]", "", read.upper())
    for tok in re.findall(r"[A-Za-z0-9]{4,}", truth):
        if tok.upper() in LABEL_WORDS:  # "Patient:" is a label, not the identifier
            continue
        if tok.upper() in norm:
            return tok
    return None


@dataclass
class Score:
    scene: str
    frames: int
    region_frames: int = 0
    leaked_geometric: int = 0
    leaked_readable: int = 0
    leaked_frames: set = field(default_factory=set)
    ocr_checked: int = 0
    plays: bool = True
    notes: list = field(default_factory=list)
    seconds: float = 0.0
    analysed: int = 0


def score(scene: Scene, truth: list[list[Region]], src: Path, out_dir: Path, doc: dict,
          ocr_every: int = 3) -> Score:
    import pytesseract

    w, h = scene.size
    s = Score(scene.name, scene.n)
    red = Path(doc["outputs"].get("redacted", ""))
    if not red.is_file():
        s.plays = False
        s.notes.append(f"no redacted output ({doc.get('error')})")
        s.leaked_frames = set(range(scene.n))
        return s
    a, b = probe(src), probe(red)
    for k in ("frames", "fps", "audio"):
        if a[k] != b[k]:
            s.plays = False
            s.notes.append(f"{k}: source {a[k]} output {b[k]}")
    if abs(a["duration"] - b["duration"]) > 1.5 / scene.fps:
        s.plays = False
        s.notes.append(f"duration: source {a['duration']} output {b['duration']}")
    with av.open(str(red)) as c:
        for t, frame in enumerate(c.decode(video=0)):
            if t >= scene.n:
                break
            rgb = frame.to_ndarray(format="rgb24")
            painted = rgb.max(axis=2) <= PAINTED_MAX
            # Judge only pixels the source did not already have that dark (eyes, hair: a face has some).
            judged = scene.render(t)[0].max(axis=2) > PAINTED_MAX + 12 if truth[t] else None
            for r in truth[t]:
                x0, y0, x1, y1 = r.box
                cx0, cy0, cx1, cy1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
                full = max(1, (x1 - x0) * (y1 - y0))
                if cx1 <= cx0 or cy1 <= cy0 or (cx1 - cx0) * (cy1 - cy0) < 0.1 * full:
                    continue
                s.region_frames += 1
                sel = judged[cy0:cy1, cx0:cx1]
                cov = painted[cy0:cy1, cx0:cx1][sel].mean() if sel.any() else 1.0
                if cov < 0.98:
                    s.leaked_geometric += 1
                    s.leaked_frames.add(t)
                if r.text and t % ocr_every == 0:
                    crop = rgb[max(0, cy0 - 8):min(h, cy1 + 8), max(0, cx0 - 8):min(w, cx1 + 8)]
                    crop = cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
                    read = pytesseract.image_to_string(crop, config="--psm 6")
                    s.ocr_checked += 1
                    piece = readable_piece(read, r.text)
                    if piece:
                        s.leaked_readable += 1
                        s.leaked_frames.add(t)
                        if len(s.notes) < 4:
                            s.notes.append(f"frame {t}: Tesseract read {piece!r} ({r.label})")
    return s


# ------------------------------------------------------------------------------------------------ running


def run_scene(scanner, scene: Scene, work: Path) -> tuple[Score, dict]:
    src = work / f"{scene.name}.mp4"
    truth = write_scene(scene, src)
    t = time.perf_counter()
    result = scanner.process(src, work / "out", redact=True)
    secs = time.perf_counter() - t
    doc = json.loads(Path(result.outputs["findings"]).read_text())
    s = score(scene, truth, src, work / "out", doc)
    s.seconds = secs
    s.analysed = int(result.timings.get("analysed_frames", 0))
    return s, result.timings


def speed(scanner, seconds: int, work: Path) -> dict:
    scene = scene_speed(seconds)
    src = work / f"{scene.name}.mp4"
    t = time.perf_counter()
    truth = write_scene(scene, src, preset="ultrafast")
    gen = time.perf_counter() - t
    t, c = time.perf_counter(), time.process_time()
    result = scanner.process(src, work / "out", redact=True)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    doc = json.loads(Path(result.outputs["findings"]).read_text())
    s = score(scene, truth, src, work / "out", doc, ocr_every=30)
    tm = result.timings
    # Redaction and encoding run on the writer thread, overlapping the analysis: the main thread's own time is
    # the detectors, motion, and the rest (decode, sampling, tracking, waiting for a full writer queue).
    analysis = sum(v for k, v in tm.items() if k.endswith("_s") and k not in
                   ("video_s", "total_s", "motion_s", "redact_s", "encode_s"))
    rest = tm.get("video_s", 0) - analysis - tm.get("motion_s", 0)
    return {"seconds_of_video": seconds, "wall_s": round(wall, 1), "s_per_video_s": round(wall / seconds, 2),
            "cpu_s_all_threads": round(cpu, 1), "analysis_s": round(analysis, 1),
            "decode_other_main_thread_s": round(rest, 1),
            "writer_thread_s": round(tm.get("redact_s", 0) + tm.get("encode_s", 0), 1),
            "generate_s": round(gen, 1), "verdict": result.verdict, "analysed_frames": s.analysed or
            int(result.timings.get("analysed_frames", 0)),
            "timings": {k: round(v, 1) for k, v in result.timings.items()},
            "leaked_frames": len(s.leaked_frames), "plays": s.plays, "notes": s.notes}


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="leak scenarios only (no 1080p speed clip)")
    ap.add_argument("--speed-seconds", type=int, default=30)
    ap.add_argument("--only", help="comma-separated scene names")
    ap.add_argument("--speed-only", action="store_true", help="only the 1080p speed clip")
    ap.add_argument("--keep", help="write clips and outputs here instead of a temporary folder")
    args = ap.parse_args(argv)

    from scanner.api import ScanOptions, Scanner

    scanner = Scanner(ScanOptions())
    # Load the models outside the timings (a real run pays this once per process).
    from scanner.detectors.base import Frame

    scanner.analyse(Frame(np.full((64, 64, 3), 200, np.uint8)))
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="video_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    only = set(args.only.split(",")) if args.only else None
    print(f"{'scene':18} {'frames':>6} {'analysed':>8} {'region-frames':>13} {'leaked frames':>13} "
          f"{'geom':>5} {'read':>5} {'plays':>5} {'secs':>6}")
    for make in SCENES:
        scene = make()
        if (only and scene.name not in only) or args.speed_only:
            continue
        s, _tim = run_scene(scanner, scene, work)
        rows.append(s)
        print(f"{s.scene:18} {s.frames:6d} {s.analysed:8d} {s.region_frames:13d} {len(s.leaked_frames):13d} "
              f"{s.leaked_geometric:5d} {s.leaked_readable:5d} {str(s.plays):>5} {s.seconds:6.1f}"
              + ("  " + "; ".join(s.notes) if s.notes else ""), flush=True)
    total = sum(len(s.leaked_frames) for s in rows)
    print(f"TOTAL leaked frames: {total} of {sum(s.frames for s in rows)}")
    if args.speed_only or (not args.quick and not only):
        load0 = os.getloadavg()[0]
        sp = speed(scanner, args.speed_seconds, work)
        sp["load_avg_1m_before_after"] = [round(load0, 1), round(os.getloadavg()[0], 1)]
        sp["cpu_count"] = os.cpu_count()
        print("SPEED", json.dumps(sp))
    print(f"(clips and outputs in {work})")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
