"""`scanner apply`: the redacted copy re-rendered from a reviewed findings file.

A person reviews what the scanner found: keeps a consenting colleague's face (`"action": "allow"`), redacts what
was only flagged, draws a box over something the scanner missed (`"kind": "manual"`), and `apply` renders the
redacted and annotated copies from exactly those decisions, after checking that the source is still the file
that was scanned (SHA-256). The findings file it writes records the review: every finding keeps `scanner_action`
(what the scanner decided) beside the `action` in force, and `review` says who applied it, when, which actions
changed and which boxes were added. The web page's apply uses the same `reviewed()` and `render()`.
"""
from __future__ import annotations

import getpass
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Optional, Sequence, Union

from . import media
from .findings import Box, Finding, ScanResult, SourceInfo, decide_verdict, safe_harbor_of
from .findings_reader import FindingsError, load_findings, read_document
from .outputs import output_ext, output_path, write_findings

REVIEW_ACTIONS = ("redact", "flag", "allow")
# What a reviewer need not write for a box of their own: a manual finding is a redaction the reviewer wants.
MANUAL_DEFAULTS: dict[str, Any] = {"category": "manual", "context": None, "text": None, "confidence": 1.0,
                                   "severity": "high", "action": "redact"}


class ReviewError(ValueError):
    """A review that cannot be applied; the message is one line naming what and why."""


# ------------------------------------------------------------------------------------------------ the review


def with_manual_completed(doc: Any) -> Any:
    """The findings document with each manual finding a reviewer added given what the contract asks of every
    finding (id m1, m2 …, category `manual`, confidence 1, action redact, frame times) and its boxes clipped to
    the source. Anything malformed is left for the reader to reject with its one-line error."""
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        return doc
    src = doc.get("source") if isinstance(doc.get("source"), dict) else {}
    w, h, fps = src.get("width"), src.get("height"), src.get("fps")
    used = {f.get("id") for f in doc["findings"] if isinstance(f, dict)}
    # A frame's time as the scan recorded it (an animation's frames last as long as each says), else from the fps.
    times = {fr.get("index"): fr.get("time") for f in doc["findings"] if isinstance(f, dict)
             and f.get("kind") != "manual" and isinstance(f.get("frames"), list)
             for fr in f["frames"] if isinstance(fr, dict)}
    out, n = [], 0
    for f in doc["findings"]:
        if isinstance(f, dict) and f.get("kind") == "manual":
            f = {**MANUAL_DEFAULTS, **f}
            if isinstance(f["category"], str):
                f["safe_harbor"] = safe_harbor_of(f["category"])
            if not f.get("id"):
                n += 1
                while f"m{n}" in used:
                    n += 1
                f["id"] = f"m{n}"
                used.add(f["id"])
            f["box"] = _clipped(f.get("box"), w, h)
            if isinstance(f.get("frames"), list):
                f["frames"] = [_manual_frame(fr, w, h, fps, times) for fr in f["frames"]]
        out.append(f)
    return {**doc, "findings": out}


def _manual_frame(fr: Any, w: Any, h: Any, fps: Any, times: dict) -> Any:
    if not isinstance(fr, dict):
        return fr
    fr = dict(fr)
    index = fr.get("index")
    if "time" not in fr and isinstance(index, int) and not isinstance(index, bool):
        known = times.get(index)
        fr["time"] = known if isinstance(known, (int, float)) else (
            round(index / fps, 3) if isinstance(fps, (int, float)) and fps > 0 else 0.0)
    fr["box"] = _clipped(fr.get("box"), w, h)
    return fr


def _clipped(box: Any, w: Any, h: Any) -> Any:
    ok = isinstance(box, list) and len(box) == 4 and all(isinstance(v, int) and not isinstance(v, bool) for v in box)
    if not ok or not isinstance(w, int) or not isinstance(h, int):
        return box
    x0, y0, x1, y1 = box
    return [min(max(x0, 0), w), min(max(y0, 0), h), min(max(x1, 0), w), min(max(y1, 0), h)]


def load_reviewed(src: Union[Path, str, dict, bytes]) -> ScanResult:
    """A reviewed findings file read and checked against the contract (FindingsError on anything outside it)."""
    return load_findings(with_manual_completed(read_document(src)))


def reviewed(result: ScanResult, actions: Optional[dict[str, str]] = None,
             manual: Sequence[Sequence[int]] = (), by: Optional[str] = None) -> ScanResult:
    """`result` with the review applied and put on record: `actions` ({id: redact | flag | allow}) and `manual`
    boxes ([x0, y0, x1, y1], redacted in every frame) are the web page's edits; a file edited by hand carries its
    edits already. Raises ReviewError for an unknown id or action, or an empty box."""
    if result.verdict == "error":
        raise ReviewError(f"the scan did not finish ({result.error}): nothing to apply, scan the file again")
    w, h = result.source.width, result.source.height
    by_id = {f.id: f for f in result.findings}
    for f in result.findings:
        if f.kind != "manual" and f.scanner_action is None:
            f.scanner_action = f.action  # fresh from a scan: the action is still the scanner's own
    for fid, action in (actions or {}).items():
        if fid not in by_id:
            raise ReviewError(f"no finding {fid!r:.20} in this file")
        if action not in REVIEW_ACTIONS:
            raise ReviewError(f"{fid}: action must be one of {', '.join(REVIEW_ACTIONS)}, got {action!r:.20}")
        by_id[fid].action = action
    taken = {f.id for f in result.findings}
    n = 0
    for box in manual:
        try:
            clipped = _clipped([int(v) for v in box], w, h) if len(box) == 4 else None
        except (TypeError, ValueError):
            clipped = None
        if clipped is None:
            raise ReviewError(f"a manual box must be [x0, y0, x1, y1] in pixels, got {box!r:.60}")
        n += 1
        while f"m{n}" in taken:
            n += 1
        taken.add(f"m{n}")
        result.findings.append(Finding(id=f"m{n}", kind="manual", box=tuple(clipped), **{
            k: v for k, v in MANUAL_DEFAULTS.items() if k in ("category", "confidence", "severity", "action")}))
    for f in result.findings:
        if f.kind == "manual" and (f.box[2] <= f.box[0] or f.box[3] <= f.box[1]) and not f.frames:
            raise ReviewError(f"{f.id}: box {list(f.box)} is empty or outside the {w}x{h} source")
    result.review = {
        "by": by or _reviewer(),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "rounds": int((result.review or {}).get("rounds", 0)) + 1,
        "changed": [{"id": f.id, "from": f.scanner_action, "to": f.action} for f in result.findings
                    if f.kind != "manual" and f.scanner_action != f.action
                    and {f.scanner_action, f.action} <= set(REVIEW_ACTIONS)],
        "added": [f.id for f in result.findings if f.kind == "manual"],
    }
    result.verdict = decide_verdict(result.findings, fully_scanned=True)
    return result


def _reviewer() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (a container with an unnamed uid)
        return "unknown"


# ------------------------------------------------------------------------------------------------ rendering


def render(result: ScanResult, source: Path, out_dir: Path, rel: Path, style: str = "fill",
           keep_metadata: bool = False, strip_audio: bool = False) -> None:
    """Write `<name>.redacted.<ext>` and `<name>.annotated.<ext>` of `source` from `result`'s findings as they
    stand (only `redact` is painted). The source must be the file that was scanned: same SHA-256, same size."""
    sha = media.sha256_file(source)
    if sha != result.source.sha256:
        raise ReviewError(f"{source}: not the file that was scanned (SHA-256 {sha[:12]}… ≠ "
                          f"{result.source.sha256[:12]}…): it changed or is another file; scan it again")
    result.outputs = {}
    if result.source.kind == "video":
        _render_video(result, source, out_dir, rel, style, keep_metadata, strip_audio)
    else:
        loaded = media.load_image(source)
        _check_size(result.source, loaded.rgb.shape[1], loaded.rgb.shape[0], source)
        if loaded.frames > 1:
            _render_animation(result, source, out_dir, rel, style)
        else:
            _render_image(result, loaded, out_dir, rel, style, keep_metadata)
    result.output_sha256 = {k: media.sha256_file(Path(v)) for k, v in result.outputs.items()}


def _check_size(src: SourceInfo, w: int, h: int, path: Path) -> None:
    if (w, h) != (src.width, src.height):
        raise ReviewError(f"{path}: {w}x{h}, but the findings are for a {src.width}x{src.height} source")


def _render_image(result: ScanResult, loaded: media.LoadedImage, out_dir: Path, rel: Path, style: str,
                  keep_metadata: bool) -> None:
    from .metadata import sanitized_exif
    from .redact import annotate_image, redact_image

    ext = output_ext(Path(result.source.path))
    exif = sanitized_exif(loaded.exif) if keep_metadata else None
    for name, picture in (("redacted", redact_image(loaded.rgb, result.findings, style)),
                          ("annotated", annotate_image(loaded.rgb, result.findings))):
        p = output_path(out_dir, rel, f".{name}{ext}")
        media.save_image(picture, p, exif=exif if name == "redacted" else None)
        result.outputs[name] = str(p)


def findings_by_frame(findings: Sequence[Finding]) -> tuple[dict[int, list[Finding]], list[Finding]]:
    """Per frame index, each finding drawn at its box in that frame; and the findings that hold in every frame
    (a manual box without frames). Metadata is stripped, never painted."""
    per_frame: dict[int, list[Finding]] = defaultdict(list)
    always: list[Finding] = []
    for f in findings:
        if f.kind == "metadata":
            continue
        if f.frames:
            for hit in f.frames:
                per_frame[hit.index].append(f.with_(box=hit.box))
        else:
            always.append(f)
    return per_frame, always


def _render_animation(result: ScanResult, source: Path, out_dir: Path, rel: Path, style: str) -> None:
    from .video import iter_animation
    from .video_out import AnimationSink, Buffered, FrameWriter, save_animation

    per_frame, always = findings_by_frame(result.findings)
    sink = AnimationSink()
    writer = FrameWriter(style, sink, True, result.timings)
    loop = 0
    for index, (rgb, duration_ms, _, loop) in enumerate(iter_animation(source)):
        writer.put(Buffered(index, 0.0, rgb, None, duration_ms), per_frame.get(index, []) + always, False)
    writer.close()
    ext = source.suffix.lower()
    for name, frames in (("redacted", sink.redacted), ("annotated", sink.annotated)):
        p = output_path(out_dir, rel, f".{name}{ext}")
        save_animation(frames, sink.durations, loop, p)
        result.outputs[name] = str(p)


def _render_video(result: ScanResult, source: Path, out_dir: Path, rel: Path, style: str, keep_metadata: bool,
                  strip_audio: bool) -> None:
    from .video import FrameClock, kept_metadata, open_video, upright_rgb
    from .video_out import Buffered, FrameWriter, fps_of, open_sink

    per_frame, always = findings_by_frame(result.findings)
    container = open_video(source)
    try:
        vs = container.streams.video[0]
        vs.thread_type = "AUTO"
        audio = container.streams.audio[0] if container.streams.audio and not strip_audio else None
        meta = kept_metadata(dict(container.metadata or {})) if keep_metadata else None
        clock = FrameClock(fps_of(vs))
        with ExitStack() as stack:
            sink = open_sink(stack, out_dir, rel, True, result.source.width, result.source.height, vs, audio, meta,
                             result.outputs)
            writer = FrameWriter(style, sink, True, result.timings, threaded=True)
            stack.callback(writer.abort)  # runs before the writers are closed
            index = 0
            for packet in container.demux(*([vs] + ([audio] if audio is not None else []))):
                if packet.stream.type == "audio":
                    writer.put_audio(packet)
                    continue
                for frame in packet.decode():
                    rgb = upright_rgb(frame)
                    _check_size(result.source, rgb.shape[1], rgb.shape[0], source)
                    t, pts = clock.of(frame, index)
                    writer.put(Buffered(index, t, rgb, pts), per_frame.get(index, []) + always, False)
                    index += 1
            if index != result.source.frames:
                raise ReviewError(f"{source}: {index} frames decoded, the findings are for {result.source.frames}")
            writer.close()
            for w in (sink.redacted, sink.annotated):
                if w is not None:
                    w.close()
            # Leaving the ExitStack renames the finished temp files into place (only now: every frame made it).
    finally:
        container.close()


# ------------------------------------------------------------------------------------------------ one file


def locate_source(result: ScanResult, findings_path: Path, source: Optional[Path] = None) -> Path:
    """The scanned file: `source` if given, else the path the findings file records (as given to `scan`, so
    relative to where it ran), else that name beside the findings file."""
    if source is not None:
        return Path(source)
    p = Path(result.source.path)
    for c in ([p] if p.is_absolute() else [p, findings_path.parent / p]) + [findings_path.parent / p.name]:
        if c.is_file():
            return c
    raise ReviewError(f"{findings_path}: the source {p} is not there (pass --source)")


def apply_file(findings_path: Union[Path, str], out_dir: Union[Path, str, None] = None,
               source: Union[Path, str, None] = None, by: Optional[str] = None,
               style: Optional[str] = None) -> ScanResult:
    """Apply one reviewed findings file: the redacted and annotated copies and the findings file (recording the
    review) in `out_dir` (default: the findings file's folder). Never raises for bad input: the result's verdict
    is `error` and its error says why in one line; then nothing is written."""
    findings_path = Path(findings_path)
    t0 = time.perf_counter()
    try:
        result = load_reviewed(findings_path)
    except FindingsError as e:
        msg = str(e) if str(e).startswith(str(findings_path)) else f"{findings_path}: {e}"
        return ScanResult(source=SourceInfo(path=str(findings_path), sha256="", kind="unknown", width=0, height=0),
                          verdict="error", error=msg)
    try:
        src = locate_source(result, findings_path, Path(source) if source else None)
        out = Path(out_dir) if out_dir is not None else findings_path.parent
        rel = Path(Path(result.source.path).name)
        reviewed(result, by=by)
        result.timings = {}
        render(result, src, out, rel, style or result.settings.get("style") or "fill",
               keep_metadata=bool(result.settings.get("keep_metadata")),
               strip_audio=bool(result.settings.get("strip_audio")))
        result.timings["total_s"] = time.perf_counter() - t0
        # The text is as the findings file holds it (masked unless the scan was asked otherwise): not masked again.
        write_findings(result, out, rel, include_text=True)
    except (ReviewError, media.MediaError) as e:
        result.verdict, result.error = "error", str(e)
    except OSError as e:
        result.verdict, result.error = "error", f"cannot write the outputs: {e.strerror or e}"
    return result
