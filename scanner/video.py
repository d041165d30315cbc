"""Video and animated images: decode every frame, analyse a subset, carry findings to every frame, write outputs.

One pass over the file. Every frame is decoded (a decode error anywhere makes the whole file an error: a file not
fully seen is never "clear") and measured on a small grey copy (`tracking.estimate_motion`); `tracking.FrameSampler`
picks the frames the detectors run on — in full, or, between scene cuts, only where the frame differs from the last
analysed one, the rest taken over (`scanner.reuse`); `tracking.Tracker` turns their findings into tracks and gives
every frame in between a box (fail closed). Frames wait in a buffer until the next analysed frame has settled their
boxes, then go to the writers: the redacted H.264 copy (source pts kept, so frame count, rate and duration
match; audio copied unless `strip_audio`; no metadata unless `keep_metadata`), the annotated H.264 copy, and the
contact sheet of the worst analysed frames (`scanner.video_out`). Outputs are written to temporary files and
renamed only when the whole file succeeded.
"""
from __future__ import annotations

import time
from contextlib import ExitStack, contextmanager
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Protocol

import cv2
import numpy as np

from . import media
from .detectors.base import Frame
from .findings import Finding, ScanResult, decide_verdict
from .text.ocr.rapid import detection_canvas
from .outputs import output_path
from .reuse import Change, changed_regions, full_affine
from .video_out import (AnimationSink, Buffered, FrameWriter, Sink, VideoSink, fps_of, open_sink, reason_of,
                        save_animation)
from .tracking import (FrameSampler, Motion, SamplerParams, Tracker, TrackerParams, estimate_motion,
                       track_finding)

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Engine

SMALL_WIDTH = 480  # motion is measured on a grey copy this wide
ANALYSE_EVERY_S = 1.0  # while the picture changes, analyse at least this often (seconds)
BUFFER_BYTES = 640 * 1024 * 1024  # frames held open for backward extension: at most this much memory
# Text detection on video frames runs on a canvas no larger than this (photos: 2048). A 1080p frame in 2048-canvas
# tiles cost ~4 s; at 1280 (two ~670 px tiles, upscaled by the detector to 736) about a third of that. Lines are
# still recognised from full-resolution crops. Measured on a 1920x1080 frame of 18 MRN lines: 10-20 px fonts read
# 18/18 at both canvases (2.5 vs 6 CPU-s); an 8 px font 16/18 here vs 18/18 at 2048: tinier text may be missed.
VIDEO_DET_MAX_SIDE = 1280
# Analysing only what changed (scanner.reuse): a frame is analysed in full when its changed regions cover more than
# this fraction of it (text and face detection cost about the area they look at, plus a little per region), and at
# least once per tracker lookback (see Pipeline._change).
REUSE_MAX_CHANGED = 0.8


class Progress(Protocol):
    """What the CLI plugs into `Scanner.video_progress` to show frames/s and ETA."""

    def start(self, name: str, total: Optional[int]) -> None: ...

    def advance(self, frames: int) -> None: ...

    def stop(self) -> None: ...


_progress_console = None  # set by the CLI: where the video progress bar goes


def enable_progress(console) -> None:
    """Show a per-frame progress bar (frames/s, ETA) on `console` for videos processed in this process."""
    global _progress_console
    _progress_console = console


class RichProgress:
    """A rich progress bar for one video. Stays silent if another live display (the batch bar) is active."""

    def __init__(self, console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("frames"), TextColumn("{task.fields[fps]}"), TextColumn("ETA"),
                            TimeRemainingColumn(), console=console, transient=True)
        self.task = None
        self.live = False

    def start(self, name: str, total: Optional[int]) -> None:
        from rich.errors import LiveError

        self.task = self.bar.add_task(name, total=total, fps="")
        try:
            self.bar.start()
            self.live = True
        except LiveError:
            self.live = False

    def advance(self, frames: int) -> None:
        if self.live and self.task is not None:
            speed = self.bar.tasks[0].speed
            self.bar.update(self.task, advance=frames, fps=f"{speed:.1f} fr/s" if speed else "")

    def stop(self) -> None:
        if self.live:
            self.bar.stop()
            self.live = False


def _default_progress() -> Optional[Progress]:
    import multiprocessing

    if _progress_console is None or multiprocessing.current_process().name != "MainProcess":
        return None  # library use, or a batch worker (the parent shows files/s)
    return RichProgress(_progress_console)


def small_grey(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """A small grey copy for motion measurement, and the factor from its pixels to full resolution."""
    h, w = rgb.shape[:2]
    s = min(1.0, SMALL_WIDTH / max(w, h))
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if s < 1.0:
        g = cv2.resize(g, (max(8, int(w * s)), max(8, int(h * s))), interpolation=cv2.INTER_AREA)
    return g, w / g.shape[1]


class Pipeline:
    """Frames in (in order), analysed subset chosen, boxes settled, frames out to the sink (in order)."""

    def __init__(self, scanner: "Engine", result: ScanResult, width: int, height: int,
                 sampler: FrameSampler, sink: Optional[Sink], redact: bool,
                 analyse_all_changes: bool = False, lookback: Optional[int] = None, threaded: bool = False,
                 det_max_side: Optional[int] = None):
        self.scanner, self.result = scanner, result
        # Frames stay open twice the analysis interval behind the newest analysed frame, so a new track can be
        # extended back over text that took that long to slide into view (memory: that many frames).
        if lookback is None:
            frame_bytes = width * height * 3
            lookback = max(2, min(2 * sampler.p.max_gap, BUFFER_BYTES // frame_bytes))
        self.tracker = Tracker(width, height, TrackerParams(lookback=lookback))
        self.sampler = sampler
        self.sink = sink
        self.redact = redact
        self.analyse_all_changes = analyse_all_changes  # animated images: every distinct frame is analysed
        self.video = not analyse_all_changes  # an animation's frames are whole pictures, a video's move past
        self.buffer: list[Buffered] = []
        self.analysed: set[int] = set()
        self.times: dict[int, float] = {}
        self.prev_grey: Optional[np.ndarray] = None
        self.last_analysed_rgb: Optional[np.ndarray] = None
        self.writer = FrameWriter(scanner.style, sink, redact, result.timings, threaded=threaded)
        self.contact = self.writer.contact
        self.det_max_side = det_max_side
        self.frames_in = 0
        self.small_scale = 1.0  # full-resolution pixels per pixel of the small grey copies
        self.memo: Optional[dict] = None  # what the reference's analysis left for a partial one (scanner.reuse)
        self.full_index = -(1 << 30)  # the last frame analysed in full as a reference

    def push(self, item: Buffered) -> None:
        grey, scale = small_grey(item.rgb)
        self.small_scale = scale
        small_affine = None
        if self.prev_grey is not None and self.prev_grey.shape == grey.shape:
            t = time.perf_counter()
            m = estimate_motion(self.prev_grey, grey, scale)
            self.result.timings["motion_s"] = self.result.timings.get("motion_s", 0.0) + time.perf_counter() - t
            small_affine = m.affine.copy()
            small_affine[:, 2] /= scale
        else:
            m = Motion.still()
        transient = None
        if self.analyse_all_changes:
            analyse = self.last_analysed_rgb is None or not np.array_equal(item.rgb, self.last_analysed_rgb)
            cut = False
        else:
            d = self.sampler.decide(item.index, grey, self.prev_grey, small_affine)
            analyse, cut = d.analyse, d.cut
            transient = d.transient
        m.cut = cut
        if item.index > 0:
            self.tracker.motion(item.index, m)
        self.times[item.index] = item.time
        self.buffer.append(item)
        self.frames_in += 1
        if cut and len(self.buffer) >= 2 and self.buffer[-2].index not in self.analysed:
            self._analyse(self.buffer[-2], None)  # the last frame of the old scene
        if transient is not None:
            peak = next((b for b in self.buffer if b.index == transient), None)
            if peak is not None and peak.index not in self.analysed:
                self._analyse(peak, None, move_reference=False)
            self.sampler.transient_analysed(transient)
        if analyse:
            self._analyse(item, grey)
        self.prev_grey = grey

    def end(self) -> None:
        """After the last frame: analyse it (nothing may appear after the last analysis unseen), flush."""
        if not self.buffer:
            raise media.MediaError("no video frames could be decoded")
        last = self.buffer[-1]
        if last.index not in self.analysed:
            self._analyse(last, None)
        self._emit(self.tracker.finish(last.index))

    def _analyse(self, item: Buffered, grey: Optional[np.ndarray], move_reference: bool = True) -> None:
        change = self._change(item) if move_reference else None
        with detection_canvas(self.det_max_side):
            findings = self.scanner.analyse(Frame(item.rgb, item.index, item.time, video=self.video),
                                             self.result.timings,
                                             redacting=self.redact, change=change)
        self.analysed.add(item.index)
        timings = self.result.timings
        if change is not None:
            timings["partial_frames"] = timings.get("partial_frames", 0) + 1
            timings["partial_area"] = timings.get("partial_area", 0.0) + change.area_fraction(*item.rgb.shape[1::-1])
        if move_reference:
            self.memo = self.scanner.memo()
            if change is None:
                self.full_index = item.index
            self.last_analysed_rgb = item.rgb
            if grey is None:
                grey, _ = small_grey(item.rgb)
            self.sampler.analysed(item.index, grey)
        self._emit(self.tracker.observe(item.index, findings, self.scanner.text_seen()))

    def _change(self, item: Buffered) -> Optional[Change]:
        """How `item` differs from the reference, if a partial analysis of it is safe and worth it; else None (the
        first frame, a cut, a transient, a frame the sampler did not compare, a full analysis due or cheaper).

        A line misread on the reference is carried misread; a full analysis at least once per tracker lookback
        reads it again, and a track it starts is extended back over that whole stretch: nothing stays uncovered
        longer than with full analyses alone."""
        last = self.sampler.last_change
        if not self.memo or last is None or last[0] != item.index or \
                item.index - self.full_index >= self.tracker.params.lookback:
            return None
        _, acc, pooled = last
        h, w = item.rgb.shape[:2]
        # Half the sampler's threshold: every block that made (or would make) the sampler analyse is looked at.
        regions = changed_regions(pooled, self.sampler.p.change_threshold / 2, self.sampler.p.block *
                                  self.small_scale, w, h)
        change = Change(full_affine(acc, self.small_scale), regions, self.memo)
        return change if change.area_fraction(w, h) <= REUSE_MAX_CHANGED else None

    def _emit(self, frames: range) -> None:
        if not len(frames):
            return
        done = set(frames)
        keep: list[Buffered] = []
        for item in self.buffer:
            if item.index in done:
                self._write(item)
            else:
                keep.append(item)
        self.buffer = keep

    def _write(self, item: Buffered) -> None:
        here = [track_finding(tr, box) for tr, box in self.tracker.boxes_at(item.index)]
        self.writer.put(item, here, item.index in self.analysed)


# ------------------------------------------------------------------------------------------------- video I/O


def upright_rgb(frame) -> np.ndarray:
    """A decoded video frame as RGB, turned as its rotation tag says (as a player shows it)."""
    rgb = frame.to_ndarray(format="rgb24")
    rot = int(frame.rotation or 0) % 360
    return np.ascontiguousarray(np.rot90(rgb, rot // 90)) if rot else rgb


class FrameClock:
    """Each decoded frame's time (seconds from the first frame) and pts for the outputs: source timestamps are kept
    (audio is copied with its own), shifted only if negative."""

    def __init__(self, fps) -> None:
        self.fps = float(fps or 30)
        self.first_pts: Optional[int] = None
        self.first_time: Optional[float] = None

    def of(self, frame, index: int) -> tuple[float, Optional[int]]:
        if self.first_time is None:
            self.first_pts, self.first_time = min(0, frame.pts or 0), (frame.time or 0.0)
        t = (frame.time - self.first_time) if frame.time is not None else index / self.fps
        return t, (frame.pts - self.first_pts) if frame.pts is not None else None


def open_video(path: Path):
    import av

    try:
        if path.stat().st_size == 0:
            raise media.MediaError("empty file (0 bytes)")
        container = av.open(str(path), metadata_errors="ignore")
    except media.MediaError:
        raise
    except OSError as e:
        raise media.MediaError(f"cannot read video: {reason_of(e)}") from None
    except av.FFmpegError as e:
        raise media.MediaError(f"not a readable video: {reason_of(e)}") from None
    if not container.streams.video:
        container.close()
        raise media.MediaError("no video stream in the file")
    return container


def _duration_s(container, stream) -> Optional[float]:
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration:
        return container.duration / 1_000_000
    return None


def _is_location_key(key: str) -> bool:
    k = key.lower()
    return "location" in k or "gps" in k or "iso6709" in k


_IDENTIFYING_TAGS = (("creation_time", "time", "video creation time", "medium"),
                     ("date", "time", "video date", "medium"),
                     ("artist", "owner", "video artist", "high"), ("author", "owner", "video author", "high"),
                     ("comment", "text", "video comment", "medium"), ("description", "text", "video description",
                                                                      "medium"),
                     ("title", "text", "video title", "medium"))


def metadata_findings_of(meta: dict, width: int, height: int) -> list[Finding]:
    """Container tags that identify a place, a time or a person, as metadata findings (stripped from outputs)."""
    from .metadata import MetadataItem, to_findings

    items = []
    for key, value in meta.items():
        k = key.lower()
        if _is_location_key(k):
            items.append(MetadataItem("gps", f"video location tag ({key})", "high", "container", str(value)))
            continue
        for tag, what, label, severity in _IDENTIFYING_TAGS:
            if k == tag or k.endswith("." + tag):
                items.append(MetadataItem(what, label, severity, "container", str(value)))
                break
    return to_findings(items, width, height)


def kept_metadata(meta: dict) -> dict:
    """What --keep-metadata copies: container tags except location (as for photos: nobody needs the place)."""
    return {k: v for k, v in meta.items() if not _is_location_key(k)}


def sampler_for(fps: float) -> FrameSampler:
    return FrameSampler(SamplerParams(max_gap=max(1, int(round(fps * ANALYSE_EVERY_S)))))


def process_video(scanner: "Engine", path: Path, out_dir: Optional[Path], rel: Path, redact: bool,
                  result: ScanResult) -> None:
    """Scan (and redact) one video file into `result`; raises media.MediaError for unreadable/partial input."""
    import av

    t_start = time.perf_counter()
    source = result.source
    container = open_video(path)
    progress: Optional[Progress] = getattr(scanner, "video_progress", None) or _default_progress()
    try:
        vs = container.streams.video[0]
        vs.thread_type = "AUTO"
        audio = container.streams.audio[0] if container.streams.audio else None
        fps = fps_of(vs)
        declared_frames = int(vs.frames or 0)
        duration = _duration_s(container, vs)
        source.kind = "video"
        source.fps = round(float(fps), 3) if fps else None
        meta = dict(container.metadata or {})
        keep_audio = audio is not None and not getattr(scanner.options, "strip_audio", False)
        if audio is not None:
            result.warnings.append("audio track present and not scanned"
                                   + ("" if keep_audio or not redact else "; dropped from the redacted copy"))
        total = declared_frames or (int(round(duration * float(fps))) if duration and fps else None)
        if progress is not None:
            progress.start(path.name, total)
        outputs: dict[str, str] = {}
        with ExitStack() as stack:
            pipeline: Optional[Pipeline] = None
            sink: Optional[VideoSink] = None
            clock = FrameClock(fps)
            index = 0
            last_time = 0.0
            early_audio: list = []
            streams = [vs] + ([audio] if audio is not None else [])
            # FFmpeg conceals damaged pictures silently (grey or smeared blocks) and only logs it: listen for the
            # decoder's error lines, so a damaged file becomes an error instead of a clean-looking scan.
            decoder_log = stack.enter_context(_decoder_errors())
            try:
                for packet in container.demux(*streams):
                    if packet.stream.type == "audio":
                        if keep_audio and out_dir is not None:
                            if pipeline is None:
                                early_audio.append(packet)  # before the first picture: writers not open yet
                            else:
                                pipeline.writer.put_audio(packet)
                        continue
                    for frame in packet.decode():
                        if frame.is_corrupt:
                            raise media.MediaError(f"corrupt video frame {index}: the file is damaged")
                        rgb = upright_rgb(frame)
                        t, pts = clock.of(frame, index)
                        if pipeline is None:
                            source.height, source.width = rgb.shape[:2]
                            if out_dir is not None:
                                sink = open_sink(stack, out_dir, rel, redact, source.width, source.height, vs,
                                                  audio if keep_audio else None,
                                                  kept_metadata(meta) if scanner.options.keep_metadata else None,
                                                  outputs)
                            pipeline = Pipeline(scanner, result, source.width, source.height,
                                                sampler_for(float(fps or 30)), sink, redact, threaded=True,
                                                det_max_side=VIDEO_DET_MAX_SIDE)
                            stack.callback(pipeline.writer.abort)  # runs before the writers are closed
                            for early in early_audio:
                                pipeline.writer.put_audio(early)
                            early_audio.clear()
                        elif rgb.shape[:2] != (source.height, source.width):
                            raise media.MediaError(f"frame {index} changes size mid-video "
                                                   f"({rgb.shape[1]}x{rgb.shape[0]}): not supported")
                        pipeline.push(Buffered(index, t, rgb, pts))
                        last_time = t
                        index += 1
                        if progress is not None:
                            progress.advance(1)
            except av.FFmpegError as e:
                raise media.MediaError(f"decode error at frame {index}: {reason_of(e)}") from None
            if pipeline is None:
                raise media.MediaError("no video frames could be decoded")
            damage = [m for lvl, name, m in decoder_log if name == vs.codec_context.name and lvl <= 16]
            if damage:
                raise media.MediaError(f"damaged video: the decoder reported {len(damage)} error(s), first: "
                                       f"{damage[0].strip()}")
            _check_complete(index, declared_frames, last_time, duration, fps)
            pipeline.end()
            pipeline.writer.close()
            source.frames = index
            step = 1 / float(fps) if fps else 0.0
            source.duration = round(duration if duration else last_time + step, 3)
            findings = pipeline.tracker.findings(lambda i: pipeline.times.get(i, 0.0))
            meta_findings = scanner.policy.apply(metadata_findings_of(meta, source.width, source.height))
            for k, f in enumerate(meta_findings, len(findings) + 1):
                f.id = f"f{k}"
            result.findings = findings + meta_findings
            result.timings["analysed_frames"] = float(len(pipeline.analysed))
            if sink is not None:
                for w in (sink.redacted, sink.annotated):
                    if w is not None:
                        w.close()
            # Leaving the ExitStack renames the finished temp files into place (only now: all frames made it).
        result.outputs.update(outputs)
        if out_dir is not None:
            _write_contact_sheet(pipeline, out_dir, rel, result)
        result.verdict = decide_verdict(result.findings, fully_scanned=True)
        if out_dir is not None:
            result.output_sha256 = {k: media.sha256_file(Path(v)) for k, v in result.outputs.items()}
    finally:
        container.close()
        if progress is not None:
            progress.stop()
        result.timings["video_s"] = time.perf_counter() - t_start


@contextmanager
def _decoder_errors():
    """FFmpeg's error-level log lines (from every thread) while the block runs: [(level, name, message)]."""
    import av.logging

    previous = av.logging.get_level()
    av.logging.set_level(av.logging.ERROR)
    try:
        with av.logging.Capture(local=False) as lines:
            yield lines
    finally:
        av.logging.set_level(previous)


def _check_complete(decoded: int, declared: int, last_time: float, duration: Optional[float],
                    fps: Optional[Fraction]) -> None:
    """A file that ends early (truncated download, damaged tail) is an error, never a short 'clear'."""
    if declared and decoded < declared:
        raise media.MediaError(f"only {decoded} of {declared} video frames could be decoded: the file is "
                               f"truncated or damaged")
    if duration and fps:
        step = 1 / float(fps)
        if last_time + step < duration - max(0.5, 0.05 * duration):
            raise media.MediaError(f"video stops at {last_time + step:.2f}s of {duration:.2f}s: the file is "
                                   f"truncated or damaged")


def _write_contact_sheet(pipeline: Pipeline, out_dir: Path, rel: Path, result: ScanResult) -> None:
    """`<name>.contact.jpg`: the worst analysed frames at a glance (nothing is written when no frame had any)."""
    sheet = pipeline.contact.render()
    if sheet is not None:
        p = output_path(out_dir, rel, ".contact.jpg")
        media.save_image(sheet, p)
        result.outputs["contact_sheet"] = str(p)


# ------------------------------------------------------------------------------------------ animated images


def iter_animation(path: Path):
    """(rgb, duration_ms) for every frame of an animated GIF/WebP, composed as a viewer shows it."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            n = getattr(img, "n_frames", 1) or 1
            for i in range(n):
                img.seek(i)
                yield media._to_rgb(img), int(img.info.get("duration") or 100), n, int(img.info.get("loop", 0) or 0)
    except UnidentifiedImageError:
        raise media.MediaError("not a readable image (unknown or corrupt format)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:
        msg = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise media.MediaError(f"cannot decode animation frame: {msg}") from None


def process_animation(scanner: "Engine", path: Path, out_dir: Optional[Path], rel: Path, redact: bool,
                      result: ScanResult) -> None:
    """An animated GIF/WebP: every distinct frame analysed (identical repeats are proven unchanged), boxes
    carried as for video, animated annotated/redacted outputs with the source's frame durations."""
    t_start = time.perf_counter()
    source = result.source
    sink = AnimationSink() if out_dir is not None else None
    pipeline: Optional[Pipeline] = None
    t = 0.0
    loop = 0
    count = 0
    for index, (rgb, dur, n, loop) in enumerate(iter_animation(path)):
        if pipeline is None:
            source.kind, source.height, source.width = "image", rgb.shape[0], rgb.shape[1]
            pipeline = Pipeline(scanner, result, source.width, source.height, FrameSampler(SamplerParams(max_gap=1)),
                                sink, redact, analyse_all_changes=True, lookback=max(2, n))
        elif rgb.shape[:2] != (source.height, source.width):
            raise media.MediaError(f"animation frame {index} has a different size")
        pipeline.push(Buffered(index, t, rgb, None, dur))
        t += dur / 1000.0
        count += 1
    if pipeline is None:
        raise media.MediaError("no frames could be decoded")
    pipeline.end()
    pipeline.writer.close()
    source.frames = count
    source.duration = round(t, 3)
    result.findings = pipeline.tracker.findings(lambda i: pipeline.times.get(i, 0.0))
    result.timings["analysed_frames"] = float(len(pipeline.analysed))
    if sink is not None:
        ext = path.suffix.lower()
        if redact:
            p = output_path(out_dir, rel, f".redacted{ext}")
            save_animation(sink.redacted, sink.durations, loop, p)
            result.outputs["redacted"] = str(p)
        p = output_path(out_dir, rel, f".annotated{ext}")
        save_animation(sink.annotated, sink.durations, loop, p)
        result.outputs["annotated"] = str(p)
        _write_contact_sheet(pipeline, out_dir, rel, result)
        result.output_sha256 = {k: media.sha256_file(Path(v)) for k, v in result.outputs.items()}
    result.verdict = decide_verdict(result.findings, fully_scanned=True)
    result.timings["animation_s"] = time.perf_counter() - t_start
