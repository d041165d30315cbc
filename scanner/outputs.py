"""Where a file's outputs go: `DIR/<relative folder>/<name><suffix>`, which extension a copy keeps, and the findings
file written there."""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .findings import ScanResult


def output_ext(src: Path) -> str:
    ext = src.suffix.lower()
    return ".png" if ext == ".gif" else ext  # a single redacted frame is not an animation: say so in the name


def output_path(out_dir: Path, rel: Path, suffix: str) -> Path:
    """DIR/<relative folder>/<name><suffix>, where <name> is the input's file name without its extension."""
    return Path(out_dir) / rel.parent / f"{rel.stem}{suffix}"


def write_findings(result: "ScanResult", out_dir: Path, rel: Path, include_text: bool) -> Path:
    """`DIR/<rel folder>/<name>.findings.json`, written atomically (text masked unless `include_text`)."""
    from .media import write_bytes_atomic

    p = output_path(out_dir, rel, ".findings.json")
    result.outputs.setdefault("findings", str(p))
    write_bytes_atomic(p, (json.dumps(result.to_json(include_text), indent=2) + "\n").encode())
    return p
