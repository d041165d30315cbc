"""Where a file's outputs go: `DIR/<relative folder>/<name><suffix>`, and which extension a copy keeps."""
from __future__ import annotations

from pathlib import Path


def output_ext(src: Path) -> str:
    ext = src.suffix.lower()
    return ".png" if ext == ".gif" else ext  # a single redacted frame is not an animation: say so in the name


def output_path(out_dir: Path, rel: Path, suffix: str) -> Path:
    """DIR/<relative folder>/<name><suffix>, where <name> is the input's file name without its extension."""
    return Path(out_dir) / rel.parent / f"{rel.stem}{suffix}"
