"""The Python API: `scan()` and `redact()` one file, `scan_paths()` many, `apply()` reviewed findings files. The CLI
is a thin layer over this.

A `Scanner` is the analysis engine (scanner.engine: the loaded models and `analyse(frame)`) plus what a file needs;
it is made once per process (per options) and reused for every file.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, Optional, Sequence

from . import media
from .detectors.base import Frame
from .engine import Engine
from .findings import ScanResult, SourceInfo, decide_verdict, number_findings
from .metadata import metadata_findings, sanitized_exif
from .options import STYLES, ScanOptions
from .outputs import output_ext, output_path, write_findings
from .redact import annotate_image, redact_image


class Scanner(Engine):
    """The engine (detectors and policy, models loaded once) plus what one file needs: decoding, metadata,
    outputs. Made once per process (per options) and reused for every file."""

    def process(self, path: Path, out_dir: Optional[Path], redact: bool, rel: Optional[Path] = None) -> ScanResult:
        """Scan (and redact) one file. Never raises for bad input: the result says `error` and why."""
        t0 = time.perf_counter()
        path = Path(path)
        rel = rel or Path(path.name)
        source = SourceInfo(path=str(path), sha256="", kind=media.media_kind(path) or "unknown", width=0, height=0)
        result = ScanResult(source=source, settings=self.options.settings())
        try:
            source.sha256 = media.sha256_file(path)
            if source.kind == "video":
                from .video import process_video

                process_video(self, path, out_dir, rel, redact, result)
            else:
                self._process_image(path, out_dir, rel, redact, result)
        except media.MediaError as e:
            result.verdict, result.error = "error", str(e)
            result.findings = []
        except Exception as e:  # a detector crashed: the file was not fully scanned, so never "clear"
            result.verdict, result.error = "error", f"scan failed: {type(e).__name__}: {e}"
            result.findings = []
        result.timings["total_s"] = time.perf_counter() - t0
        if out_dir is not None:
            try:
                write_findings(result, out_dir, rel, self.options.include_text)
            except OSError as e:  # unwritable output folder: an error for this file, never a traceback
                result.verdict, result.error = "error", f"cannot write findings: {e.strerror or e}"
        return result

    def _process_image(self, path: Path, out_dir: Optional[Path], rel: Path, redact: bool,
                       result: ScanResult) -> None:
        t0 = time.perf_counter()
        source = result.source
        loaded = media.load_image(path)
        if loaded.frames > 1:  # animated GIF/WebP: every frame is scanned, the outputs stay animated
            from .video import process_animation

            return process_animation(self, path, out_dir, rel, redact, result)
        rgb = loaded.rgb
        source.kind, source.height, source.width = "image", rgb.shape[0], rgb.shape[1]
        result.timings["load_s"] = time.perf_counter() - t0
        # Metadata (GPS, owner, thumbnail …) is judged by the same policy; it is stripped, never painted.
        findings = number_findings(self.analyse(Frame(rgb), result.timings, redacting=redact)
                                   + self.policy.apply(metadata_findings(path, loaded)))
        result.findings = findings
        result.verdict = decide_verdict(findings, fully_scanned=True)
        if out_dir is not None:
            self._write_media(result, rgb, loaded, out_dir, rel, redact)

    def _write_media(self, result: ScanResult, rgb, loaded: media.LoadedImage, out_dir: Path, rel: Path,
                     redact: bool) -> None:
        ext = output_ext(Path(result.source.path))
        exif = sanitized_exif(loaded.exif) if self.options.keep_metadata else None  # never GPS, names, thumbnail
        redacted = redact_image(rgb, result.findings, self.style) if redact else None
        annotated_path = output_path(out_dir, rel, f".annotated{ext}")
        media.save_image(annotate_image(rgb, result.findings), annotated_path)
        result.outputs["annotated"] = str(annotated_path)
        if redacted is not None:
            redacted_path = output_path(out_dir, rel, f".redacted{ext}")
            media.save_image(redacted, redacted_path, exif=exif)
            result.outputs["redacted"] = str(redacted_path)
        result.output_sha256 = {k: media.sha256_file(Path(v)) for k, v in result.outputs.items()}


def get_scanner(options: ScanOptions = ScanOptions()) -> Scanner:
    """One Scanner per distinct options per process, so models load once however many files are scanned.
    An edited policy file (same path, new content) gets a new Scanner: a stale policy must never decide."""
    stamp = None
    if options.policy_file:
        try:
            stamp = media.sha256_file(Path(options.policy_file))
        except (OSError, media.MediaError):
            stamp = None  # Policy.from_file reports the problem
    return _scanner_for(options, stamp)


@lru_cache(maxsize=4)
def _scanner_for(options: ScanOptions, policy_sha256: Optional[str]) -> Scanner:
    return Scanner(options)


def _options(kw: dict) -> ScanOptions:
    if "style" in kw and kw["style"] not in STYLES:
        raise ValueError(f"unknown redaction style {kw['style']!r} (choose from {', '.join(STYLES)})")
    for k in ("allow_faces", "policy_file"):
        if kw.get(k) is not None:
            kw[k] = str(kw[k])
    return ScanOptions(**kw)


def scan(path: Path | str, out_dir: Path | str | None = None, **options) -> ScanResult:
    """Scan one image; with `out_dir`, write `<name>.findings.json` and `<name>.annotated.<ext>` there."""
    return get_scanner(_options(options)).process(Path(path), Path(out_dir) if out_dir else None, redact=False)


def redact(path: Path | str, out_dir: Path | str, **options) -> ScanResult:
    """Scan one image and write its redacted copy (plus annotated copy and findings) to `out_dir`."""
    return get_scanner(_options(options)).process(Path(path), Path(out_dir), redact=True)


def apply(findings: Path | str | Sequence[Path | str], out_dir: Path | str | None = None, *,
          source: Path | str | None = None, by: Optional[str] = None, style: Optional[str] = None) -> list[ScanResult]:
    """Re-render the redacted copy of each reviewed findings file from exactly its findings (edited actions, added
    `manual` boxes) after checking the source's SHA-256; write the copies and the findings file recording the
    review to `out_dir` (default: beside each findings file). One result per file; failures have verdict `error`
    and a one-line error, and write nothing. See scanner.review."""
    from .review import apply_file

    if style is not None and style not in STYLES:
        raise ValueError(f"unknown redaction style {style!r} (choose from {', '.join(STYLES)})")
    paths = [findings] if isinstance(findings, (str, Path)) else list(findings)
    if source is not None and len(paths) != 1:
        raise ValueError("source names the scanned file of one findings file: pass one findings file with it")
    return [apply_file(p, out_dir, source=source, by=by, style=style) for p in paths]


@dataclass
class InputFile:
    path: Path
    rel: Path  # where its outputs go, relative to the output folder


@dataclass
class Expansion:
    files: list[InputFile] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # (path, reason) for non-media files
    missing: list[tuple[Path, str]] = field(default_factory=list)  # inputs that do not exist / cannot be listed


def expand_inputs(paths: Sequence[Path | str], out_dir: Optional[Path] = None) -> Expansion:
    """Files to process from files and folders (recursive, sorted, relative layout kept; the output folder,
    hidden folders and symlink loops are skipped)."""
    exp = Expansion()
    out_resolved = Path(out_dir).resolve() if out_dir else None
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            seen: set[Path] = set()
            for f in _walk(p, seen, out_resolved, exp):
                kind = media.media_kind(f)
                if kind:
                    exp.files.append(InputFile(f, Path(p.name) / f.relative_to(p)))
                else:
                    exp.skipped.append((f, "not an image or video file"))
        elif p.is_file():
            exp.files.append(InputFile(p, Path(p.name)))
        elif p.exists():
            exp.missing.append((p, "not a regular file or folder"))
        else:
            exp.missing.append((p, "no such file or folder"))
    _dedupe_outputs(exp.files)
    return exp


def _walk(folder: Path, seen: set[Path], out_resolved: Optional[Path], exp: Expansion) -> Iterator[Path]:
    try:
        real = folder.resolve()
    except (OSError, RuntimeError):
        exp.missing.append((folder, "cannot resolve folder (symlink loop?)"))
        return
    if real in seen or (out_resolved is not None and real == out_resolved):
        return
    seen.add(real)
    try:
        entries = sorted(folder.iterdir(), key=lambda e: e.name)
    except OSError as e:
        exp.missing.append((folder, f"cannot list folder: {e.strerror or e}"))
        return
    for e in entries:
        if e.name.startswith("."):
            continue
        if e.is_dir():
            yield from _walk(e, seen, out_resolved, exp)
        elif e.is_file():
            yield e


def _dedupe_outputs(files: list[InputFile]) -> None:
    """photo.jpg and photo.png in one folder would share photo.findings.json: keep the extension in the name."""
    by_key: dict[Path, list[InputFile]] = {}
    for f in files:
        by_key.setdefault(f.rel.parent / f.rel.stem, []).append(f)
    for group in by_key.values():
        if len(group) > 1:
            for f in group:
                f.rel = f.rel.parent / f"{f.rel.stem}_{f.rel.suffix.lstrip('.').lower()}{f.rel.suffix}"


def scan_paths(paths: Sequence[Path | str], out_dir: Path | str | None, redact: bool = False,
               **options) -> Iterable[ScanResult]:
    """Scan (or redact) every file under `paths`, yielding one result per file in order."""
    scanner = get_scanner(_options(options))
    out = Path(out_dir) if out_dir else None
    for f in expand_inputs(paths, out).files:
        yield scanner.process(f.path, out, redact=redact, rel=f.rel)
