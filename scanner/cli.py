"""Command line: `scanner scan`, `redact`, `apply` and `serve`, a thin layer over scanner.api and scanner.web."""
from __future__ import annotations

import json
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn,
                           TimeRemainingColumn)
from rich.table import Table
from rich.text import Text

from . import __version__
from .options import OCR_ENGINES as ENGINES
from .options import STYLES, ScanOptions

if TYPE_CHECKING:  # the scanning modules load when a command runs, not for --help
    from .batch import FileOutcome
    from .findings import ScanResult

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Find and redact patient identifiers (PHI) in photos before they are posted.")
err = Console(stderr=True, highlight=False, soft_wrap=True)  # one line per error, never wrapped
DEFAULT_OUT = Path("scanner-out")


def _version(value: bool) -> None:
    if value:
        print(f"scanner {__version__}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Print the version and exit.")) -> None:
    pass


def _check_choice(value: str, choices: tuple[str, ...], name: str) -> str:
    if value not in choices:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}", param_hint=name)
    return value


def _summary_table(result: ScanResult, console: Console) -> None:
    verdict_style = {"clear": "green", "review": "yellow", "error": "red"}[result.verdict]
    console.print(f"[bold]{result.source.path}[/]: [{verdict_style}]{result.verdict}[/]"
                  + (f" — {result.error}" if result.error else f" ({len(result.findings)} findings)"))
    if not result.findings:
        return
    t = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for col in ("id", "kind", "HIPAA", "category", "context", "text", "conf", "action"):
        t.add_column(col)
    for f in result.findings:
        d = f.to_json(include_text=result.settings.get("include_text", False))
        t.add_row(d["id"], d["kind"], d["safe_harbor"], d["category"], d["context"] or "", d["text"] or "",
                  f"{d['confidence']:.2f}", d["action"])
    console.print(t)


class _FilesPerSecond(ProgressColumn):
    def render(self, task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.2f} files/s" if speed else "– files/s", style="progress.data.speed")


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), _FilesPerSecond(),
                    TextColumn("ETA"), TimeRemainingColumn(), console=err, transient=False)


def _run(paths: List[Path], out: Path, redact: bool, options: ScanOptions, as_json: bool,
         workers: Optional[int] = None, force: bool = False, timeout: Optional[float] = None) -> int:
    if workers is not None and workers < 1:
        err.print("scanner: --workers must be at least 1")
        return 2
    if timeout is not None and timeout <= 0:
        err.print("scanner: --timeout must be a positive number of seconds")
        return 2
    console = Console(file=sys.stderr if as_json else sys.stdout, highlight=False)
    from .batch import run_batch
    from .policy import PolicyError
    from .video import enable_progress

    enable_progress(err)  # frames/s and ETA while a video is processed in this process
    progress = _progress()
    task = progress.add_task("redacting" if redact else "scanning", total=None)
    state = {"verbose": True, "live": False}

    def on_start(to_scan: int, unchanged: int) -> None:
        state["verbose"] = to_scan + unchanged <= 5  # a table per file for a few files, one line each beyond
        if unchanged:
            err.print(f"scanner: {unchanged} file(s) unchanged since the last run (use --force to re-scan)")
        progress.update(task, total=to_scan + unchanged)
        if to_scan + unchanged > 1:
            progress.start()
            state["live"] = True

    def on_result(o: FileOutcome, done: int, total: int) -> None:
        if o.verdict == "error":
            progress.console.print(f"scanner: {o.input}: {o.doc.get('error')}", style="red", highlight=False)
        elif state["verbose"]:  # stdout (stderr with --json); above the bar while it runs
            _summary_table(_result_of(o), progress.console if state["live"] or as_json else console)
        elif o.verdict == "review":
            n = len(o.doc.get("findings", []))
            progress.console.print(f"[bold]{o.input}[/]: [yellow]review[/] ({n} findings)", highlight=False)
        progress.update(task, completed=done, advance=0)

    try:
        res = run_batch(paths, out, redact=redact, options=options, workers=workers, force=force,
                        on_start=on_start, on_result=on_result, file_timeout=timeout)
    except PolicyError as e:
        err.print(f"scanner: {e}")
        return 2
    except (RuntimeError, ValueError, OSError) as e:
        err.print(f"scanner: cannot start: {e}")
        return 2
    except KeyboardInterrupt:  # while listing/hashing inputs, before any output was written
        err.print("scanner: interrupted before scanning started")
        return 130
    finally:
        progress.stop()
    for p, reason in res.missing:
        err.print(f"scanner: {p}: {reason}")
    for p, reason in res.not_media:
        err.print(f"scanner: note: skipped {p}: {reason}")
    if res.interrupted:
        err.print("scanner: interrupted; finished files are complete, no partial output was left "
                  "(run the same command again to continue)")
    if as_json:
        docs = [o.doc for o in res.files]
        print(json.dumps(docs[0] if len(docs) == 1 else docs, indent=2))
    if not res.files and not res.missing and not res.interrupted:
        err.print("scanner: nothing to scan")
    c = res.counts()
    if len(res.files) > 1 or res.report:
        err.print(f"scanner: {len(res.files)} file(s): {c['review']} to review, {c['error']} error(s), "
                  f"{c['clear']} clear ({c['unchanged']} unchanged) in {res.elapsed_s:.1f} s"
                  + (f"; report: {res.report}" if res.report else ""))
    return res.exit_code(redact)


def _result_of(o: FileOutcome) -> ScanResult:
    """A ScanResult view of a findings document, for the per-file table."""
    from .findings import Finding, ScanResult, SourceInfo

    doc = o.doc
    findings = [Finding(kind=f["kind"], category=f["category"], box=tuple(f["box"]), confidence=f["confidence"],
                        severity=f["severity"], context=f.get("context"), text=f.get("text"), action=f["action"],
                        id=f["id"]) for f in doc.get("findings", [])]
    src = doc["source"]
    return ScanResult(source=SourceInfo(path=src["path"], sha256=src["sha256"], kind=src["kind"],
                                        width=src["width"], height=src["height"]),
                      findings=findings, verdict=doc["verdict"], error=doc.get("error"),
                      settings={"include_text": True})  # the document's text is already masked (or asked for)


WorkersOpt = typer.Option(None, "--workers", help="Parallel worker processes (default: one per core).",
                          show_default=False)
ForceOpt = typer.Option(False, "--force", help="Re-scan files unchanged since the last run into the same --out.")
TimeoutOpt = typer.Option(None, "--timeout", metavar="SECONDS", show_default=False,
                          help="Give up on a file still unfinished after this long (verdict error, the batch goes "
                               "on). Default: no limit. Videos take minutes per minute of footage.")


RedactScreensOpt = typer.Option(False, "--redact-screens",
                                help="Redact whole screens/whiteboards, not only the text read on them.")
PathsArg = typer.Argument(..., help="Photos, videos, animations or folders (recursive).", show_default=False)


@app.command()
def scan(paths: List[Path] = PathsArg,
         out: Path = typer.Option(DEFAULT_OUT, "--out", help="Output folder for findings and annotated copies."),
         as_json: bool = typer.Option(False, "--json", help="Print the findings JSON to stdout."),
         policy: Optional[Path] = typer.Option(None, "--policy", help="Policy file (TOML)."),
         allow_faces: Optional[Path] = typer.Option(None, "--allow-faces",
                                                    help="Folder of photos of people who may stay visible."),
         include_text: bool = typer.Option(False, "--include-text", help="Write recognised text unmasked."),
         ocr: str = typer.Option("rapid", "--ocr", help=f"OCR engine: {', '.join(ENGINES)}."),
         redact_screens: bool = RedactScreensOpt,
         workers: Optional[int] = WorkersOpt, force: bool = ForceOpt,
         timeout: Optional[float] = TimeoutOpt) -> None:
    """Scan photos and videos; exit 0 = nothing found, 1 = findings to review, 2 = an input could not be fully
    scanned."""
    opts = ScanOptions(ocr=_check_choice(ocr, ENGINES, "--ocr"), include_text=include_text,
                       allow_faces=str(allow_faces) if allow_faces else None,
                       policy_file=str(policy) if policy else None, redact_screens=redact_screens)
    raise typer.Exit(_run(paths, out, False, opts, as_json, workers, force, timeout))


@app.command()
def redact(paths: List[Path] = PathsArg,
           out: Path = typer.Option(..., "--out", help="Output folder for redacted copies."),
           style: str = typer.Option("fill", "--style", help=f"Redaction style: {', '.join(STYLES)}."),
           policy: Optional[Path] = typer.Option(None, "--policy", help="Policy file (TOML)."),
           allow_faces: Optional[Path] = typer.Option(None, "--allow-faces",
                                                      help="Folder of photos of people who may stay visible."),
           keep_metadata: bool = typer.Option(False, "--keep-metadata",
                                              help="Keep camera EXIF (make, model, exposure) in redacted copies; "
                                                   "GPS, times, serials and owner are always dropped."),
           strip_audio: bool = typer.Option(False, "--strip-audio", help="Drop the audio track of videos."),
           include_text: bool = typer.Option(False, "--include-text", help="Write recognised text unmasked."),
           ocr: str = typer.Option("rapid", "--ocr", help=f"OCR engine: {', '.join(ENGINES)}."),
           redact_screens: bool = RedactScreensOpt,
           workers: Optional[int] = WorkersOpt, force: bool = ForceOpt,
           timeout: Optional[float] = TimeoutOpt) -> None:
    """Write redacted copies of photos and videos; exit 0 = every input redacted, 2 = at least one failed."""
    opts = ScanOptions(ocr=_check_choice(ocr, ENGINES, "--ocr"), style=_check_choice(style, STYLES, "--style"),
                       include_text=include_text, keep_metadata=keep_metadata, strip_audio=strip_audio,
                       allow_faces=str(allow_faces) if allow_faces else None,
                       policy_file=str(policy) if policy else None, redact_screens=redact_screens)
    raise typer.Exit(_run(paths, out, True, opts, False, workers, force, timeout))


@app.command()
def apply(findings: List[Path] = typer.Argument(..., help="Reviewed findings files (<name>.findings.json).",
                                                show_default=False),
          out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: beside each findings "
                                                                 "file, which is rewritten with the review)."),
          source: Optional[Path] = typer.Option(None, "--source", help="The scanned file, if it moved (one "
                                                                       "findings file only)."),
          style: Optional[str] = typer.Option(None, "--style", help=f"Redaction style: {', '.join(STYLES)} "
                                                                    "(default: the scan's)."),
          by: Optional[str] = typer.Option(None, "--by", help="Reviewer name for the record (default: your "
                                                              "login name).")) -> None:
    """Re-render redacted copies from reviewed findings files: each finding's edited `action` (redact, flag,
    allow) and added `"kind": "manual"` boxes, after checking the source's SHA-256. Exit 0 = every file applied,
    2 = at least one failed."""
    from .api import apply as apply_reviewed

    if style is not None:
        _check_choice(style, STYLES, "--style")
    if source is not None and len(findings) != 1:
        raise typer.BadParameter("names the scanned file of one findings file", param_hint="--source")
    failed = 0
    for r in apply_reviewed(findings, out, source=source, by=by, style=style):
        if r.verdict == "error":
            failed += 1
            err.print(f"scanner: {r.error}", markup=False)
            continue
        rv = r.review or {}
        err.print(f"{r.outputs.get('redacted')}: {sum(f.action == 'redact' for f in r.findings)} redacted, "
                  f"{len(rv.get('changed', []))} action(s) changed by review, {len(rv.get('added', []))} box(es) "
                  f"added", markup=False)
    raise typer.Exit(2 if failed else 0)


@app.command()
def serve(host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default: "
                                                                 "another address lets others on the network in)."),
          port: int = typer.Option(8765, "--port", help="Port (0: any free one)."),
          no_browser: bool = typer.Option(False, "--no-browser", help="Do not open the page in a browser."),
          max_upload_mb: int = typer.Option(1024, "--max-upload-mb", help="Largest upload accepted, in MiB.")) -> None:
    """The local web page: drop a photo or clip, see what identifies a patient, fix it, download a safe copy.
    Uploads stay in a private temporary folder, removed when the server stops (Ctrl-C)."""
    try:
        from .web.server import WebServer
    except ImportError as e:  # the optional web dependencies (`pip install "scanner[web]"`)
        err.print(f"scanner: serve needs the web extra (starlette, uvicorn, python-multipart): {e}", markup=False)
        raise typer.Exit(2)
    try:
        server = WebServer(host, port, max_upload=max_upload_mb << 20)
    except OSError as e:
        err.print(f"scanner: cannot listen on {host}:{port}: {e.strerror or e}", markup=False)
        raise typer.Exit(2)
    print(server.url, flush=True)
    if not no_browser:
        import webbrowser

        threading.Timer(0.5, webbrowser.open, args=(server.url,)).start()
    server.serve_forever()


if __name__ == "__main__":  # pragma: no cover
    app()
