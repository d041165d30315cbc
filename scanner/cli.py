"""Command line: `scanner scan` and `scanner redact`, a thin layer over scanner.api."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console
from rich.table import Table

from . import __version__
from .api import ScanOptions, expand_inputs, get_scanner
from .findings import ScanResult
from .ocr import ENGINES
from .policy import PolicyError
from .redact import STYLES

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Find and redact patient identifiers (PHI) in photos before they are posted.")
err = Console(stderr=True, highlight=False)
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


def _run(paths: List[Path], out: Path, redact: bool, options: ScanOptions, as_json: bool) -> int:
    try:
        scanner = get_scanner(options)
    except PolicyError as e:
        err.print(f"scanner: {e}")
        return 2
    except (RuntimeError, ValueError) as e:
        err.print(f"scanner: cannot start: {e}")
        return 2
    exp = expand_inputs(paths, out)
    failed = False
    for p, reason in exp.missing:
        err.print(f"scanner: {p}: {reason}")
        failed = True
    for p, reason in exp.skipped:
        err.print(f"scanner: note: skipped {p}: {reason}")
    console = Console(file=sys.stderr if as_json else sys.stdout, highlight=False)
    results: list[ScanResult] = []
    try:
        for f in exp.files:
            r = scanner.process(f.path, out, redact=redact, rel=f.rel)
            results.append(r)
            if r.verdict == "error":
                err.print(f"scanner: {f.path}: {r.error}")
            _summary_table(r, console)
    except KeyboardInterrupt:
        err.print("scanner: interrupted; finished files are complete, no partial output was left")
        return 130
    if as_json:
        docs = [r.to_json(options.include_text) for r in results]
        print(json.dumps(docs[0] if len(docs) == 1 else docs, indent=2))
    if failed or any(r.verdict == "error" for r in results):
        return 2
    if not results:
        err.print("scanner: nothing to scan")
        return 2
    if redact:
        return 0
    return 1 if any(r.verdict == "review" for r in results) else 0


PathsArg = typer.Argument(..., help="Image files or folders (recursive).", show_default=False)


@app.command()
def scan(paths: List[Path] = PathsArg,
         out: Path = typer.Option(DEFAULT_OUT, "--out", help="Output folder for findings and annotated copies."),
         as_json: bool = typer.Option(False, "--json", help="Print the findings JSON to stdout."),
         policy: Optional[Path] = typer.Option(None, "--policy", help="Policy file (TOML)."),
         allow_faces: Optional[Path] = typer.Option(None, "--allow-faces",
                                                    help="Folder of photos of people who may stay visible."),
         include_text: bool = typer.Option(False, "--include-text", help="Write recognised text unmasked."),
         ocr: str = typer.Option("rapid", "--ocr", help=f"OCR engine: {', '.join(ENGINES)}.")) -> None:
    """Scan photos; exit 0 = nothing found, 1 = findings to review, 2 = an input could not be fully scanned."""
    opts = ScanOptions(ocr=_check_choice(ocr, ENGINES, "--ocr"), include_text=include_text,
                       allow_faces=str(allow_faces) if allow_faces else None,
                       policy_file=str(policy) if policy else None)
    raise typer.Exit(_run(paths, out, False, opts, as_json))


@app.command()
def redact(paths: List[Path] = PathsArg,
           out: Path = typer.Option(..., "--out", help="Output folder for redacted copies."),
           style: str = typer.Option("fill", "--style", help=f"Redaction style: {', '.join(STYLES)}."),
           policy: Optional[Path] = typer.Option(None, "--policy", help="Policy file (TOML)."),
           allow_faces: Optional[Path] = typer.Option(None, "--allow-faces",
                                                      help="Folder of photos of people who may stay visible."),
           keep_metadata: bool = typer.Option(False, "--keep-metadata", help="Keep EXIF in redacted copies."),
           include_text: bool = typer.Option(False, "--include-text", help="Write recognised text unmasked."),
           ocr: str = typer.Option("rapid", "--ocr", help=f"OCR engine: {', '.join(ENGINES)}.")) -> None:
    """Write redacted copies; exit 0 = every input redacted, 2 = at least one failed."""
    opts = ScanOptions(ocr=_check_choice(ocr, ENGINES, "--ocr"), style=_check_choice(style, STYLES, "--style"),
                       include_text=include_text, keep_metadata=keep_metadata,
                       allow_faces=str(allow_faces) if allow_faces else None,
                       policy_file=str(policy) if policy else None)
    raise typer.Exit(_run(paths, out, True, opts, False))


if __name__ == "__main__":  # pragma: no cover
    app()
