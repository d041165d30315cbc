"""Video and animated images end to end: real files encoded here, decoded back, every frame checked.

Most tests use a real, deterministic detector defined below (it finds saturated red patches, the way a model finds
text) so the whole pipeline — decode, sampling, tracking, redaction, H.264 encode, audio copy — runs in well under a
second per clip. One test (`models`) runs the real OCR and face models on a small clip with a synthesised audio track.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw

from bench.clip_audio import mux_sine_tone
from scanner import geometry
from scanner.api import ScanOptions, Scanner
from scanner.detectors.base import Frame
from scanner.media import MediaError
from scanner.findings import Finding
from scanner.redact import redaction_box
from scanner.schema import validate

from conftest import font, needs_tesseract

W, H, FPS = 192, 128, 15


class RedPatchDetector:
    """Finds saturated red patches (a stand-in 'identifier' with an exact ground truth)."""

    name = "redpatch"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def detect(self, frame: Frame, prior: Sequence[Finding]) -> list[Finding]:
        self.calls.append(frame.index)
        rgb = frame.rgb.astype(int)
        mask = (rgb[..., 0] > 180) & (rgb[..., 1] < 80) & (rgb[..., 2] < 80)
        if mask.sum() < 20:
            return []
        ys, xs = np.nonzero(mask)
        box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
        # A detector reads only what is wholly in view: a patch cut by the edge is not reported.
        if box[0] <= 0 or box[1] <= 0 or box[2] >= frame.rgb.shape[1] or box[3] >= frame.rgb.shape[0]:
            return []
        return [Finding(kind="text", category="mrn", box=box, confidence=0.95, detector=self.name)]


def patch_scanner(**opts) -> tuple[Scanner, RedPatchDetector]:
    sc = Scanner(ScanOptions(skip=("text", "faces"), **opts))
    det = RedPatchDetector()
    sc.detectors = [det]
    return sc, det


def patch_at(t: int) -> tuple[int, int, int, int]:
    """Ground truth: a 30x16 red patch entering from the right at 5 px a frame, then resting."""
    x0 = max(W - 5 * t, 60)
    return (x0, 50, x0 + 30, 66)


def background(t: int) -> np.ndarray:
    rng = np.random.default_rng(7)
    tex = rng.integers(90, 170, (H // 8, W // 8, 3), dtype=np.uint8).repeat(8, 0).repeat(8, 1)
    return np.ascontiguousarray(tex)


def write_clip(path: Path, n: int = 45, audio: bool = True, codec: str = "libx264", fmt: str | None = None,
               size: tuple[int, int] = (W, H), draw=None, metadata: dict | None = None,
               audio_codec: str = "aac") -> list[np.ndarray]:
    """Encode n frames (a still textured background with the red patch sliding in) and a sine tone."""
    w, h = size
    frames = []
    with av.open(str(path), "w", format=fmt) as c:
        if metadata:
            c.metadata.update(metadata)
        v = c.add_stream(codec, rate=FPS)
        v.width, v.height = w, h
        v.pix_fmt = "yuv420p"
        # High quality sources: the red patch must not smear into blocks outside its ground truth.
        if codec == "libx264":
            v.options = {"preset": "ultrafast", "crf": "12"}
        elif codec == "libx265":
            v.options = {"preset": "ultrafast", "crf": "12", "x265-params": "log-level=error"}
        elif codec == "libvpx-vp9":
            v.options = {"crf": "12", "b": "0", "deadline": "realtime", "cpu-used": "8"}
        else:
            v.bit_rate = 8_000_000
        a = c.add_stream(audio_codec, rate=16000) if audio else None
        for t in range(n):
            rgb = draw(t) if draw else _default_frame(t, w, h)
            frames.append(rgb)
            for p in v.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                c.mux(p)
        for p in v.encode():
            c.mux(p)
        if a is not None:
            mux_sine_tone(c, a, n / FPS, 440.0)
    return frames


def _default_frame(t: int, w: int = W, h: int = H) -> np.ndarray:
    rgb = background(t)[:h, :w].copy()
    x0, y0, x1, y1 = patch_at(t)
    rgb[max(0, y0):min(h, y1), max(0, x0):min(w, x1)] = (230, 20, 20)
    return rgb


def decode(path: Path) -> tuple[list[np.ndarray], dict]:
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        info = {"fps": float(v.average_rate), "duration": c.duration / 1e6, "audio": len(c.streams.audio),
                "metadata": dict(c.metadata), "audio_codec": c.streams.audio[0].codec_context.name
                if c.streams.audio else None}
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]
    return frames, info


def red_pixels(rgb: np.ndarray) -> int:
    x = rgb.astype(int)
    return int(((x[..., 0] > 150) & (x[..., 1] < 90) & (x[..., 2] < 90)).sum())


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("video") / "clip.mp4"
    write_clip(p, metadata={"creation_time": "2024-05-01T10:00:00Z", "location": "+40.7128-074.0060/"})
    return p


@pytest.fixture(scope="module")
def redacted_run(clip, tmp_path_factory):
    sc, det = patch_scanner()
    out = tmp_path_factory.mktemp("out")
    return sc.process(clip, out, redact=True), out, det


def test_video_redacted_every_frame_and_plays_like_the_source(clip, redacted_run):
    r, out, det = redacted_run
    assert r.verdict == "review", r.error
    src_frames, src = decode(clip)
    red_frames, red = decode(Path(r.outputs["redacted"]))
    assert len(red_frames) == len(src_frames) == r.source.frames == 45
    assert red["fps"] == src["fps"] == r.source.fps
    assert red["duration"] == pytest.approx(src["duration"], abs=1 / FPS)
    assert red["audio"] == 1 and red["audio_codec"] == "aac"
    for t, f in enumerate(red_frames):
        assert red_pixels(f) == 0, f"frame {t} shows the patch"  # including frames where it was sliding in
    assert len(det.calls) < 45  # only a subset was analysed


def test_video_findings_one_track_with_every_frame(redacted_run):
    r, out, _ = redacted_run
    doc = json.loads(Path(r.outputs["findings"]).read_text())
    validate(doc)  # the findings contract, contact sheet included
    assert doc["source"]["kind"] == "video" and doc["source"]["frames"] == 45
    tracks = [f for f in doc["findings"] if f["kind"] == "text"]
    assert len(tracks) == 1
    frames = tracks[0]["frames"]
    indices = [h["index"] for h in frames]
    assert indices == sorted(indices)
    for t in range(1, 45):  # the patch is in view from frame 1
        (hit,) = [h for h in frames if h["index"] == t]
        g = geometry.clip(patch_at(t), W, H)
        painted = redaction_box(Finding("text", "mrn", tuple(hit["box"]), 1.0), W, H)
        assert geometry.coverage(g, painted) == 1.0, t
        assert hit["time"] == pytest.approx(t / FPS, abs=1e-3)


def test_video_metadata_stripped_and_reported(redacted_run):
    r, out, _ = redacted_run
    _, red = decode(Path(r.outputs["redacted"]))
    assert "location" not in red["metadata"] and "creation_time" not in red["metadata"]
    meta = [f for f in r.findings if f.kind == "metadata"]
    assert {f.severity for f in meta} >= {"high"}  # the location tag
    assert any("audio" in w for w in r.warnings)


def test_video_outputs_annotated_and_contact_sheet(redacted_run):
    r, out, _ = redacted_run
    ann, info = decode(Path(r.outputs["annotated"]))
    assert len(ann) == 45
    sheet = Image.open(r.outputs["contact_sheet"])
    assert sheet.format == "JPEG" and sheet.width > 0
    assert set(r.output_sha256) >= {"redacted", "annotated", "contact_sheet"}
    assert not list(out.glob(".*part*"))  # no temporary files left


def test_strip_audio_and_keep_metadata(clip, tmp_path):
    sc, _ = patch_scanner(strip_audio=True, keep_metadata=True)
    r = sc.process(clip, tmp_path, redact=True)
    _, red = decode(Path(r.outputs["redacted"]))
    assert red["audio"] == 0
    assert red["metadata"].get("creation_time", "").startswith("2024-05-01")
    assert "location" not in red["metadata"]  # never copied, as for photos


def test_scan_without_out_dir_writes_nothing_and_reports(clip, tmp_path):
    sc, _ = patch_scanner()
    r = sc.process(clip, None, redact=False)
    assert r.verdict == "review" and not r.outputs


def test_clear_video_without_findings(tmp_path):
    p = tmp_path / "still.mp4"
    write_clip(p, n=20, audio=False, draw=lambda t: background(t)[:H, :W].copy())
    sc, det = patch_scanner()
    r = sc.process(p, tmp_path / "out", redact=True)
    assert r.verdict == "clear" and r.source.frames == 20
    assert det.calls[0] == 0 and det.calls[-1] == 19  # first and last frame always analysed


def test_patch_flashed_for_two_frames_is_found_and_redacted(tmp_path):
    def draw(t):
        rgb = background(t)[:H, :W].copy()
        if t in (11, 12):  # 0.13 s, well inside one analysis interval
            rgb[40:60, 80:120] = (230, 20, 20)
        return rgb

    p = tmp_path / "flash.mp4"
    write_clip(p, n=30, audio=False, draw=draw)
    sc, det = patch_scanner()
    r = sc.process(p, tmp_path / "out", redact=True)
    assert r.verdict == "review"
    assert any(i in det.calls for i in (11, 12))
    frames, _ = decode(Path(r.outputs["redacted"]))
    assert red_pixels(frames[11]) == 0 and red_pixels(frames[12]) == 0


def test_truncated_video_is_an_error_with_no_output(clip, tmp_path):
    data = clip.read_bytes()
    bad = tmp_path / "cut.mp4"
    bad.write_bytes(data[: len(data) * 2 // 3])
    sc, _ = patch_scanner()
    r = sc.process(bad, tmp_path / "out", redact=True)
    assert r.verdict == "error" and "\n" not in r.error
    assert not list((tmp_path / "out").glob("*.mp4"))


def test_faststart_video_cut_short_is_an_error(tmp_path):
    p = tmp_path / "fs.mp4"
    with av.open(str(p), "w", options={"movflags": "+faststart"}) as c:
        v = c.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = W, H, "yuv420p"
        for t in range(30):
            for pk in v.encode(av.VideoFrame.from_ndarray(_default_frame(t), format="rgb24")):
                c.mux(pk)
        for pk in v.encode():
            c.mux(pk)
    data = p.read_bytes()
    bad = tmp_path / "fs_cut.mp4"
    bad.write_bytes(data[: len(data) // 2])  # index (moov) intact at the front, half the pictures missing
    sc, _ = patch_scanner()
    r = sc.process(bad, tmp_path / "out", redact=True)
    assert r.verdict == "error", r.verdict
    assert not list((tmp_path / "out").glob("*.mp4"))


def test_garbage_file_is_a_one_line_error(tmp_path):
    p = tmp_path / "x.mp4"
    p.write_bytes(b"\x00\x01not a video" * 50)
    sc, _ = patch_scanner()
    r = sc.process(p, tmp_path / "out", redact=True)
    assert r.verdict == "error" and "\n" not in r.error


def test_rotated_video_is_turned_upright(tmp_path):
    p = tmp_path / "rot.mp4"
    write_clip(p, n=10, audio=False)
    rotated = tmp_path / "rot90.mp4"
    with av.open(str(p)) as src, av.open(str(rotated), "w") as dst:
        s = dst.add_stream_from_template(src.streams.video[0])
        s.set_display_rotation(90)
        for pk in src.demux(src.streams.video[0]):
            if pk.dts is None:
                continue
            pk.stream = s
            dst.mux(pk)
    sc, det = patch_scanner()
    r = sc.process(rotated, tmp_path / "out", redact=True)
    assert (r.source.width, r.source.height) == (H, W)  # portrait, as a viewer sees it
    frames, _ = decode(Path(r.outputs["redacted"]))
    assert frames[0].shape[:2] == (W, H)
    assert all(red_pixels(f) == 0 for f in frames)
    with av.open(r.outputs["redacted"]) as c:
        f0 = next(c.decode(video=0))
        assert not f0.rotation  # pixels are upright, no rotation flag left to apply twice


@pytest.mark.parametrize("name,codec,fmt,acodec", [("clip.webm", "libvpx-vp9", "webm", "libopus"),
                                                   ("clip.avi", "mpeg4", "avi", "pcm_s16le"),
                                                   ("clip.mov", "libx265", "mov", "aac")])
def test_other_containers_and_codecs(tmp_path, name, codec, fmt, acodec):
    p = tmp_path / name
    write_clip(p, n=20, codec=codec, fmt=fmt, audio_codec=acodec)
    sc, _ = patch_scanner()
    r = sc.process(p, tmp_path / "out", redact=True)
    assert r.verdict == "review", r.error
    frames, info = decode(Path(r.outputs["redacted"]))
    assert len(frames) == 20 and info["audio"] == 1
    assert Path(r.outputs["redacted"]).suffix == ".mp4"
    with av.open(r.outputs["redacted"]) as c:
        assert c.streams.video[0].codec_context.name == "h264"
    assert all(red_pixels(f) == 0 for f in frames)


def test_odd_size_video_is_padded_not_cropped(tmp_path):
    p = tmp_path / "odd.mkv"
    write_clip(p, n=8, audio=False, codec="mpeg4", fmt="matroska", size=(W - 1, H - 1))
    sc, _ = patch_scanner()
    r = sc.process(p, tmp_path / "out", redact=True)
    frames, _ = decode(Path(r.outputs["redacted"]))
    assert len(frames) == 8 and frames[0].shape[:2] == (H, W)  # one black row/column added for H.264


def _gif(path: Path, n: int = 8) -> None:
    frames = [Image.fromarray(_default_frame(t * 3)) for t in range(n)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=[80] * n, loop=0)


def test_animated_gif_every_frame_scanned_and_redacted(tmp_path):
    p = tmp_path / "anim.gif"
    _gif(p)
    sc, det = patch_scanner()
    r = sc.process(p, tmp_path / "out", redact=True)
    assert r.verdict == "review", r.error
    assert r.source.frames == 8 and r.source.duration == pytest.approx(0.64)
    assert sorted(det.calls) == list(range(8))  # every distinct frame analysed
    out = Image.open(r.outputs["redacted"])
    assert out.format == "GIF" and out.n_frames == 8
    for i in range(8):
        out.seek(i)
        assert red_pixels(np.asarray(out.convert("RGB"))) == 0, i


def test_animated_webp_keeps_animation(tmp_path):
    p = tmp_path / "anim.webp"
    frames = [Image.fromarray(_default_frame(t * 4)) for t in range(5)]
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0, lossless=True)
    sc, det = patch_scanner()
    r = sc.process(p, tmp_path / "out", redact=True)
    out = Image.open(r.outputs["redacted"])
    assert out.format == "WEBP" and out.n_frames == 5


def test_animation_identical_frames_are_not_analysed_twice():
    from scanner.findings import ScanResult, SourceInfo
    from scanner.tracking import FrameSampler, SamplerParams
    from scanner.video import Pipeline
    from scanner.video_out import Buffered

    sc, det = patch_scanner()
    res = ScanResult(source=SourceInfo("mem.gif", "", "image", W, H))
    pipe = Pipeline(sc, res, W, H, FrameSampler(SamplerParams(max_gap=1)), None, True, analyse_all_changes=True,
                    lookback=8)
    a, b = _default_frame(20), _default_frame(5)
    for i, rgb in enumerate([a, a.copy(), b, b.copy(), a.copy()]):
        pipe.push(Buffered(i, i * 0.05, rgb))
    pipe.end()
    assert sorted(det.calls) == [0, 2, 4]  # repeats proven unchanged; the last frame always analysed
    assert all(pipe.tracker.boxes_at(i) for i in range(5))


class RecordingSink:
    """A sink that keeps what it was given (frame index, redacted copy) and can fail at one frame."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.fail_at = fail_at
        self.written: list[tuple[int, np.ndarray | None]] = []

    def write(self, item, redacted, annotated) -> None:
        if item.index == self.fail_at:
            raise OSError("disk full")
        self.written.append((item.index, redacted))


def _writer_frames(n: int):
    from scanner.video_out import Buffered

    box = (20, 30, 60, 50)
    here = [Finding(kind="text", category="mrn", box=box, confidence=0.9, detector="t")]
    return [(Buffered(i, i / 15, np.full((H, W, 3), 200, np.uint8)), here) for i in range(n)], box


def test_threaded_writer_writes_every_frame_in_order_redacted():
    from scanner.video_out import FrameWriter

    sink = RecordingSink()
    timings: dict = {}
    writer = FrameWriter(Scanner(ScanOptions(skip=("text", "faces"))).style, sink, True, timings, threaded=True)
    frames, box = _writer_frames(40)  # more than the queue holds: the producer waits, nothing is dropped
    for item, here in frames:
        writer.put(item, here, analysed=item.index % 10 == 0)
    writer.close()
    assert [i for i, _ in sink.written] == list(range(40))
    for _, red in sink.written:
        x0, y0, x1, y1 = box
        assert (red[y0:y1, x0:x1] != 200).all(axis=2).all()  # every pixel of the box painted over
    assert writer.contact.heap and timings["encode_s"] >= 0


def test_threaded_writer_failure_is_raised_in_the_caller():
    from scanner.video_out import FrameWriter

    sink = RecordingSink(fail_at=3)
    writer = FrameWriter(Scanner(ScanOptions(skip=("text", "faces"))).style, sink, True, {}, threaded=True)
    frames, _ = _writer_frames(30)
    with pytest.raises(MediaError, match="cannot write the outputs: disk full"):
        for item, here in frames:
            writer.put(item, here, analysed=False)
        writer.close()
    writer.abort()  # the failed run cleans up without hanging
    assert [i for i, _ in sink.written] == [0, 1, 2]


def test_threaded_writer_abort_stops_without_writing_the_rest():
    from scanner.video_out import FrameWriter

    sink = RecordingSink()
    writer = FrameWriter(Scanner(ScanOptions(skip=("text", "faces"))).style, sink, True, {}, threaded=True)
    frames, _ = _writer_frames(20)
    for item, here in frames:
        writer.put(item, here, analysed=False)
    writer.abort()
    assert writer.thread is None and len(sink.written) <= 20


def test_video_frames_detect_on_the_smaller_video_canvas(clip):
    """Video frames are analysed inside `detection_canvas(VIDEO_DET_MAX_SIDE)`; photos keep the engine's canvas."""
    from scanner.text.ocr import rapid
    from scanner.video import VIDEO_DET_MAX_SIDE

    seen: list = []

    class CanvasProbe(RedPatchDetector):
        def detect(self, frame, prior):
            seen.append(rapid._canvas_limit.get())
            return super().detect(frame, prior)

    sc, _ = patch_scanner()
    sc.detectors = [CanvasProbe()]
    r = sc.process(clip, None, redact=False)
    assert r.verdict != "error" and seen and set(seen) == {VIDEO_DET_MAX_SIDE}
    assert rapid._canvas_limit.get() is None
    with rapid.detection_canvas(640):
        with rapid.detection_canvas(None):
            assert rapid._canvas_limit.get() is None
        assert rapid._canvas_limit.get() == 640
    assert rapid._canvas_limit.get() is None


# ------------------------------------------------------------------------------------------------ real models


@pytest.mark.models
@needs_tesseract
def test_real_models_clip_with_sliding_name_and_audio(tmp_path):
    """Real OCR + faces on a small clip: a name slides into view, an MRN stays; nothing readable is published."""
    import pytesseract

    w, h, n = 480, 240, 20

    def draw(t):
        img = Image.new("RGB", (w, h), (236, 238, 232))
        d = ImageDraw.Draw(img)
        d.text((w - 280 - 6 * t, 40), "Patient: GARCIA, MARIA", font=font(28), fill=(15, 15, 15))
        d.text((30, 150), "MRN: 00482913", font=font(28), fill=(15, 15, 15))
        return np.array(img)

    p = tmp_path / "ward.mp4"
    write_clip(p, n=n, size=(w, h), draw=draw)
    sc = Scanner(ScanOptions())
    r = sc.process(p, tmp_path / "out", redact=True)
    assert r.verdict == "review", r.error
    cats = {f.category for f in r.findings if f.kind == "text"}
    assert "mrn" in cats
    assert r.timings["analysed_frames"] < n
    frames, info = decode(Path(r.outputs["redacted"]))
    assert len(frames) == n and info["audio"] == 1
    for t in (0, n // 2, n - 1):
        read = pytesseract.image_to_string(frames[t], config="--psm 6").upper()
        assert "00482913" not in read.replace(" ", "") and "GARCIA" not in read, (t, read)


def test_damaged_picture_mid_file_is_an_error(clip, tmp_path):
    """A few garbled bytes inside one picture: FFmpeg would conceal it and carry on; we must not."""
    data = bytearray(clip.read_bytes())
    with av.open(str(clip)) as c:
        packets = [(p.pos, p.size) for p in c.demux(c.streams.video[0]) if p.size]
    pos, size = packets[20]
    for k in range(pos + size // 3, pos + size // 3 + 60):
        data[k] ^= 0x5A
    bad = tmp_path / "damaged.mp4"
    bad.write_bytes(bytes(data))
    sc, _ = patch_scanner()
    r = sc.process(bad, tmp_path / "out", redact=True)
    assert r.verdict == "error" and "damaged" in r.error
    assert not list((tmp_path / "out").glob("*.mp4"))
