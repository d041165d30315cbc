"""Rebuild the images that are kept out of the repository (unlicensed.py) from their sources, on a new machine.

Every row of a set's sources.json names the repository, the git blob and what was done to it (`note`: EXIF
orientation applied, alpha flattened onto white, one GIF frame taken, downscaled with Lanczos, re-encoded as JPEG
q90 or PNG). This script reads the blob from a local mirror of that repository and does the same again, so the
truth boxes fit: each rebuilt image must have the recorded width and height, or it is not written.

    python bench/real_data/restore.py MIRRORS     # MIRRORS/<owner>+<name>/repo (or repo/.git) per repository

A rebuilt JPEG is not byte-identical to the one annotated (encoder versions differ); the pixels are within
re-encoding noise of it. Images already present are left alone.
"""
from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageOps, ImageSequence

HERE = Path(__file__).resolve().parent
_REWORK = re.compile(r"re-encoded|converted|downscaled|flattened|composited|frame \d+|orientation", re.I)


def git_dir(mirrors: Path, repo: str) -> Path | None:
    base = mirrors / repo.replace("/", "+") / "repo"
    for d in (base / ".git", base):
        if (d / "objects").is_dir():
            return d
    return None


def blob_bytes(gitdir: Path, row: dict) -> bytes:
    ref = row.get("blob") or f"{row['commit']}:{row['path']}"
    return subprocess.run(["git", "--git-dir", str(gitdir), "cat-file", "-p", ref], check=True,
                          capture_output=True).stdout


def rebuild(data: bytes, row: dict) -> bytes:
    """The image as the annotator saved it, from the source file's bytes and the row's note."""
    note = row.get("note", "")
    suffix = Path(row["file"]).suffix.lower()
    if not _REWORK.search(note):
        return data
    img = Image.open(io.BytesIO(data))
    frame = re.search(r"frame (\d+) \(0-based\)", note)
    if frame:
        img = next(f for i, f in enumerate(ImageSequence.Iterator(img)) if i == int(frame.group(1))).copy()
    img = ImageOps.exif_transpose(img)
    if img.mode in ("RGBA", "LA", "P", "PA"):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    img = img.convert("RGB")
    size = (row["width"], row["height"])
    if abs(img.size[0] / img.size[1] - size[0] / size[1]) > 0.01 * size[0] / size[1]:
        raise ValueError(f"source is {img.size[0]}x{img.size[1]}, not the shape of {size[0]}x{size[1]}")
    if img.size != size:
        img = img.resize(size, Image.LANCZOS)
    out = io.BytesIO()
    if suffix in (".jpg", ".jpeg"):
        quality = re.search(r"quality (\d+)|q(\d+)", note)
        q = int(next(g for g in quality.groups() if g)) if quality else 90
        img.save(out, "JPEG", quality=q)
    else:
        img.save(out, "PNG")
    return out.getvalue()


def main(mirrors: Path) -> int:
    made = missing = bad = 0
    for src in sorted(HERE.glob("*/sources.json")):
        for row in json.loads(src.read_text()):
            target = src.parent / row["file"]
            if target.exists():
                continue
            gitdir = git_dir(mirrors, row.get("repo", ""))
            if gitdir is None:
                print(f"{target}: no mirror of {row.get('repo')} under {mirrors}")
                missing += 1
                continue
            try:
                data = rebuild(blob_bytes(gitdir, row), row)
                with Image.open(io.BytesIO(data)) as im:
                    if im.size != (row["width"], row["height"]):
                        raise ValueError(f"rebuilt {im.size}, truth is for {row['width']}x{row['height']}")
            except (subprocess.CalledProcessError, OSError, ValueError, StopIteration) as e:
                print(f"{target}: cannot rebuild: {e}")
                bad += 1
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(target.suffix + ".part")
            tmp.write_bytes(data)
            tmp.replace(target)
            made += 1
    print(f"{made} images rebuilt, {missing} without a mirror, {bad} failed")
    return 1 if missing or bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1])))
