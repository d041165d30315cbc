"""What the video and animation paths write: the settled frames rendered (redaction, annotation, contact sheet) on
a writer thread, and the H.264 MP4 and animated GIF/WebP outputs. scanner.video decides what goes in them."""
from __future__ import annotations

import heapq
import queue
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Optional, Protocol

import cv2
import numpy as np

from . import media
from .findings import Finding
from .outputs import output_path
from .redact import annotate_image, redact_image

CONTACT_FRAMES = 6
ANNOTATED_MAX_SIDE = 1280  # the annotated copy is for checking boxes: 720p is plenty, and 2.25x less to encode
CONTACT_THUMB = 480
WRITE_QUEUE = 8  # frames waiting for the writer thread (each a full-size RGB frame)
# Audio codecs the MP4 container carries as they are; anything else is re-encoded to AAC.
MP4_AUDIO = {"aac", "mp3", "opus", "alac", "ac3", "eac3", "flac"}
SEVERITY_WEIGHT = {"high": 3, "medium": 2, "low": 1}


@dataclass
class Buffered:
    index: int
    time: float  # seconds from the first frame
    rgb: np.ndarray
    pts: Optional[int] = None  # in the source stream's time base, from the first frame
    duration_ms: int = 0  # animated images


class Sink(Protocol):
    def write(self, item: Buffered, redacted: Optional[np.ndarray], annotated: np.ndarray) -> None: ...


@dataclass
class ContactSheet:
    """The worst analysed frames (most serious findings), kept small, for `<name>.contact.jpg`."""

    keep: int = CONTACT_FRAMES
    heap: list = field(default_factory=list)  # (score, index, thumbnail, caption)

    def offer(self, score: float, index: int, time_s: float, picture: np.ndarray) -> None:
        if score <= 0:
            return
        if len(self.heap) >= self.keep and score <= self.heap[0][0]:
            return
        h, w = picture.shape[:2]
        s = min(1.0, CONTACT_THUMB / max(h, w))
        thumb = cv2.resize(picture, (max(1, int(w * s)), max(1, int(h * s))), interpolation=cv2.INTER_AREA)
        item = (score, index, thumb, f"frame {index}  t={time_s:.2f}s")
        if len(self.heap) >= self.keep:
            heapq.heapreplace(self.heap, item)
        else:
            heapq.heappush(self.heap, item)

    def render(self) -> Optional[np.ndarray]:
        if not self.heap:
            return None
        items = sorted(self.heap, key=lambda x: x[1])  # in time order
        cw = max(t.shape[1] for _, _, t, _ in items)
        ch = max(t.shape[0] for _, _, t, _ in items) + 22
        cols = min(3, len(items))
        rows = (len(items) + cols - 1) // cols
        sheet = np.full((rows * ch, cols * cw, 3), 255, np.uint8)
        for k, (_, _, thumb, caption) in enumerate(items):
            r, c = divmod(k, cols)
            y, x = r * ch, c * cw
            sheet[y + 22:y + 22 + thumb.shape[0], x:x + thumb.shape[1]] = thumb
            cv2.putText(sheet, caption, (x + 4, y + 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
        return sheet


def frame_score(findings: list[Finding]) -> float:
    return float(sum(SEVERITY_WEIGHT.get(f.severity, 3) for f in findings if f.action in ("redact", "flag")))


class FrameWriter:
    """Renders settled frames (redaction, annotation, contact sheet) and hands them to the sink.

    For video this runs on a worker thread: x264, PyAV and OpenCV release the GIL, so encoding the previous frames
    overlaps the analysis of the next one (the analysis alone keeps barely one core busy). Frames go through a
    bounded queue in order; an error on the worker is raised in the caller at the next `put` or at `close`. Audio
    packets go through the same queue: everything that muxes into an output runs on one thread (the muxer is not
    thread-safe: muxing audio from the main thread meanwhile failed with EINVAL)."""

    def __init__(self, style, sink: Optional[Sink], redact: bool, timings: dict, threaded: bool = False):
        self.style, self.sink, self.redact, self.timings = style, sink, redact, timings
        self.contact = ContactSheet()
        self.error: Optional[BaseException] = None
        self.stopping = False
        self.thread: Optional[threading.Thread] = None
        if threaded:
            self.queue: queue.Queue = queue.Queue(maxsize=WRITE_QUEUE)
            self.thread = threading.Thread(target=self._run, name="video-writer", daemon=True)
            self.thread.start()

    def put(self, item: Buffered, here: list[Finding], analysed: bool) -> None:
        if self.thread is None:
            self._render(item, here, analysed)
            return
        self._raise()
        self.queue.put((item, here, analysed))

    def put_audio(self, packet) -> None:
        if self.sink is None or not hasattr(self.sink, "audio_packet"):
            return
        if self.thread is None:
            self.sink.audio_packet(packet)
            return
        self._raise()
        self.queue.put(("audio", packet))

    def close(self) -> None:
        """Wait until every frame is written; raise what went wrong on the worker, if anything."""
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.thread = None
        self._raise()

    def abort(self) -> None:
        """Stop the worker without writing what is left (the run failed; outputs are discarded)."""
        if self.thread is not None:
            self.stopping = True
            self.queue.put(None)  # the worker drains the queue once stopping, so this never blocks for long
            self.thread.join()
            self.thread = None

    def _raise(self) -> None:
        if self.error is not None:
            if isinstance(self.error, media.MediaError):
                raise self.error
            # Not "decode error": the caller's handler for decoder errors must not mislabel an encoder failure.
            raise media.MediaError(f"cannot write the outputs: {reason_of(self.error)}") from self.error

    def _run(self) -> None:
        while True:
            job = self.queue.get()
            if job is None:
                return
            if self.error is not None or self.stopping:
                continue  # keep draining so the producer never blocks on a full queue
            try:
                if job[0] == "audio":
                    self.sink.audio_packet(job[1])
                else:
                    self._render(*job)
            except BaseException as e:  # re-raised in the caller
                self.error = e

    def _render(self, item: Buffered, here: list[Finding], analysed: bool) -> None:
        t = time.perf_counter()
        redacted = redact_image(item.rgb, here, self.style) if self.redact else None
        if analysed:
            shown = annotate_image(item.rgb, here, redacted=redacted)
            self.contact.offer(frame_score(here), item.index, item.time, shown)
        if self.sink is not None:
            annotated = annotate_image(item.rgb, here)
            self.timings["redact_s"] = self.timings.get("redact_s", 0.0) + time.perf_counter() - t
            t = time.perf_counter()
            self.sink.write(item, redacted, annotated)
            self.timings["encode_s"] = self.timings.get("encode_s", 0.0) + time.perf_counter() - t


def reason_of(e: Exception) -> str:
    msg = getattr(e, "strerror", None) or str(e) or type(e).__name__
    return msg.splitlines()[0]


def fps_of(stream) -> Optional[Fraction]:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and float(rate) > 0:
            return Fraction(rate)
    return None


class VideoWriter:
    """One H.264 MP4 output: frames keep their source timestamps; audio packets are copied (or re-encoded)."""

    def __init__(self, path: Path, width: int, height: int, src_video, src_audio, preset: str, crf: int,
                 metadata: Optional[dict], max_side: Optional[int] = None):
        import av

        self.resize_to: Optional[tuple[int, int]] = None
        if max_side and max(width, height) > max_side:
            k = max_side / max(width, height)
            width, height = max(2, int(width * k) // 2 * 2), max(2, int(height * k) // 2 * 2)
            self.resize_to = (width, height)

        self.av = av
        self.out = av.open(str(path), "w", format="mp4")
        if metadata:
            self.out.metadata.update(metadata)
        rate = fps_of(src_video) or Fraction(30)
        self.v = self.out.add_stream("libx264", rate=rate)
        # yuv420p wants even sizes: pad odd ones with one black row/column (never crop a pixel away).
        self.w, self.h = width + (width & 1), height + (height & 1)
        self.v.width, self.v.height = self.w, self.h
        self.v.pix_fmt = "yuv420p"
        # Frames carry the source's timestamps in the source's time base; the muxer may pick its own for the stream.
        self.src_tb = src_video.time_base or Fraction(1, int(rate * 1000))
        self.v.time_base = self.src_tb
        self.v.codec_context.time_base = self.src_tb
        self.v.options = {"preset": preset, "crf": str(crf)}
        self.tick = 1 / float(rate)
        self.a = None
        self.a_copy = False
        if src_audio is not None:
            if src_audio.codec_context.name in MP4_AUDIO:
                self.a = self.out.add_stream_from_template(src_audio)
                self.a_copy = True
            else:
                self.a = self.out.add_stream("aac", rate=src_audio.codec_context.sample_rate or 48000)
        self._last_pts = -1

    def write(self, rgb: np.ndarray, pts: Optional[int], index: int) -> None:
        if self.resize_to is not None:
            # Only the annotated copy is resized (it is for checking boxes): bilinear is 5x cheaper than area
            # averaging at 1080p -> 720p (1.6 vs 8.2 ms a frame) and draws the same boxes.
            rgb = cv2.resize(rgb, self.resize_to, interpolation=cv2.INTER_LINEAR)
        if rgb.shape[1] != self.w or rgb.shape[0] != self.h:
            rgb = cv2.copyMakeBorder(rgb, 0, self.h - rgb.shape[0], 0, self.w - rgb.shape[1], cv2.BORDER_CONSTANT,
                                     value=(0, 0, 0))
        # The encoder wants yuv420p: OpenCV converts in ~1 ms a 1080p frame, FFmpeg's swscale (what PyAV does with
        # an rgb24 frame) in ~6 ms; same BT.601 studio-range result (mean difference 0.01 of a level).
        i420 = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YUV_I420)
        frame = self.av.VideoFrame.from_ndarray(i420, format="yuv420p")
        if pts is None:
            pts = int(round(index * self.tick / float(self.src_tb)))
        pts = max(pts, self._last_pts + 1)  # strictly increasing, whatever the source did
        self._last_pts = pts
        frame.pts, frame.time_base = pts, self.src_tb
        for p in self.v.encode(frame):
            self.out.mux(p)

    def audio_packet(self, packet) -> None:
        if self.a is None:
            return
        if self.a_copy:
            if packet.dts is None:
                return
            packet.stream = self.a
            self.out.mux(packet)
        else:
            for fr in packet.decode():
                fr.pts = None
                for p in self.a.encode(fr):
                    self.out.mux(p)

    def close(self) -> None:
        for p in self.v.encode():
            self.out.mux(p)
        if self.a is not None and not self.a_copy:
            for p in self.a.encode():
                self.out.mux(p)
        self.out.close()


class VideoSink:
    def __init__(self, redacted: Optional[VideoWriter], annotated: VideoWriter):
        self.redacted, self.annotated = redacted, annotated

    def write(self, item: Buffered, redacted: Optional[np.ndarray], annotated: np.ndarray) -> None:
        if self.redacted is not None and redacted is not None:
            self.redacted.write(redacted, item.pts, item.index)
        self.annotated.write(annotated, item.pts, item.index)

    def audio_packet(self, packet) -> None:
        if self.redacted is not None:
            self.redacted.audio_packet(packet)


def open_sink(stack: ExitStack, out_dir: Path, rel: Path, redact: bool, width: int, height: int, vs, audio,
               metadata: Optional[dict], outputs: dict) -> VideoSink:
    """Writers on temporary files; the ExitStack renames them into place only when the whole file succeeded
    (and deletes them otherwise: no finished-looking output from a failed run). Only the redacted copy carries the
    audio: the annotated copy is for checking boxes."""
    redacted_w = None
    if redact:
        final = output_path(out_dir, rel, ".redacted.mp4")
        tmp = stack.enter_context(media.atomic_path(final))
        # superfast rather than veryfast: 24 vs 35 ms a 1080p frame, files ~1.7x larger at the same quality setting
        redacted_w = VideoWriter(tmp, width, height, vs, audio, "superfast", 20, metadata)
        stack.callback(close_quietly, redacted_w)
        outputs["redacted"] = str(final)
    final = output_path(out_dir, rel, ".annotated.mp4")
    tmp = stack.enter_context(media.atomic_path(final))
    # Not for publishing: a faster preset is plenty.
    annotated_w = VideoWriter(tmp, width, height, vs, None, "ultrafast", 26, None, max_side=ANNOTATED_MAX_SIDE)
    stack.callback(close_quietly, annotated_w)
    outputs["annotated"] = str(final)
    return VideoSink(redacted_w, annotated_w)


def close_quietly(w: VideoWriter) -> None:
    try:
        w.out.close()
    except Exception:
        pass


class AnimationSink:
    """Collects frames of an animated GIF/WebP; written whole at the end (they are small)."""

    def __init__(self) -> None:
        self.redacted: list[np.ndarray] = []
        self.annotated: list[np.ndarray] = []
        self.durations: list[int] = []

    def write(self, item: Buffered, redacted: Optional[np.ndarray], annotated: np.ndarray) -> None:
        if redacted is not None:
            self.redacted.append(redacted)
        self.annotated.append(annotated)
        self.durations.append(item.duration_ms)


def save_animation(frames: list[np.ndarray], durations: list[int], loop: int, final: Path) -> None:
    from PIL import Image

    fmt = "WEBP" if final.suffix.lower() == ".webp" else "GIF"
    imgs = [Image.fromarray(f, "RGB") for f in frames]
    with media.atomic_path(final) as tmp:
        kwargs = {"lossless": False, "quality": 90} if fmt == "WEBP" else {"optimize": False, "disposal": 1}
        imgs[0].save(tmp, format=fmt, save_all=True, append_images=imgs[1:], duration=durations, loop=loop,
                     **kwargs)
