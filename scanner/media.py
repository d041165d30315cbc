"""Reading and writing images: formats, EXIF orientation, bad input, metadata, atomic writes.

Every decode problem becomes a `MediaError` with a one-line reason, so the caller can report "file: reason" and go on
with the batch. Outputs are written to a temporary file beside the target and renamed, so a killed run never leaves
a half-written file under a final name.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import tempfile
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

try:  # iPhones shoot HEIC; pillow-heif registers the opener with Pillow.
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_OK = True
except ImportError:  # pragma: no cover - pillow-heif is a pinned dependency
    HEIF_OK = False

# A truncated file must fail, never be silently padded with grey (that would hide part of the photo from the scan).
ImageFile.LOAD_TRUNCATED_IMAGES = False

IMAGE_EXTS = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".heic", ".heif", ".gif"}
VIDEO_EXTS = {".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv"}

# Pillow format used to write each extension we produce.
_SAVE_FORMAT = {
    ".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".webp": "WEBP", ".bmp": "BMP",
    ".tif": "TIFF", ".tiff": "TIFF", ".heic": "HEIF", ".heif": "HEIF", ".gif": "PNG",
}


class MediaError(Exception):
    """An input that cannot be read (fully). The message is one line, without the path (the caller adds it)."""


@dataclass
class LoadedImage:
    rgb: np.ndarray  # H x W x 3 uint8, EXIF orientation applied
    format: str
    exif: Optional[bytes] = None
    metadata: dict = field(default_factory=dict)  # what the file carried (for metadata findings)
    frames: int = 1


def media_kind(path: Path) -> Optional[str]:
    ext = path.suffix.lower()
    if ext in IMAGE_EXTS:
        return "image"
    if ext in VIDEO_EXTS:
        return "video"
    return None


def _require_regular_file(path: Path) -> int:
    """Size of `path`, or MediaError if it is missing or not a regular file (a FIFO or device would block a read
    forever: never a hang)."""
    try:
        st = os.stat(path)
    except OSError as e:
        raise MediaError(f"cannot read: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):
        raise MediaError("not a regular file")
    return st.st_size


def sha256_file(path: Path) -> str:
    _require_regular_file(path)
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
    except OSError as e:  # unreadable (permissions, I/O error): the file was not scanned, say why in one line
        raise MediaError(f"cannot read: {e.strerror or e}") from None
    return h.hexdigest()


def _to_rgb(img: Image.Image) -> np.ndarray:
    """Any Pillow mode to 8-bit RGB: 16-bit and float are rescaled, alpha is composited on white."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(img, dtype=np.float64)
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(a)
        g = a.astype(np.uint8)
        return np.ascontiguousarray(np.stack([g, g, g], axis=-1))
    if img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA"):
        bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
        bg.alpha_composite(img.convert("RGBA"))
        img = bg
    return np.ascontiguousarray(np.asarray(img.convert("RGB"), dtype=np.uint8))


def _metadata_of(img: Image.Image) -> dict:
    """Metadata that can identify someone: EXIF (GPS, time, serial, owner), XMP, text chunks, thumbnails."""
    meta: dict = {}
    try:
        exif = img.getexif()
    except Exception:  # malformed EXIF is still EXIF present
        exif = None
    if exif:
        meta["exif_tags"] = len(exif)
        for tag in (0x8825,):  # GPSInfo IFD
            try:
                if exif.get_ifd(tag):
                    meta["gps"] = True
            except Exception:
                pass
        for tag, key in ((0x0132, "datetime"), (0x013B, "artist"), (0x8298, "copyright"), (0xA431, "serial")):
            if exif.get(tag):
                meta[key] = True
        try:
            exif_ifd = exif.get_ifd(0x8769)
            if exif_ifd.get(0x9003):
                meta["datetime"] = True
            if exif_ifd.get(0xA431) or exif_ifd.get(0xA435):
                meta["serial"] = True
        except Exception:
            pass
    info = img.info or {}
    if "xmp" in info or "XML:com.adobe.xmp" in info:
        meta["xmp"] = True
    text_keys = [k for k in info if k not in ("dpi", "gamma", "transparency", "icc_profile", "exif", "xmp",
                                              "jfif", "jfif_version", "jfif_unit", "jfif_density", "progressive",
                                              "progression", "duration", "loop", "background", "compression",
                                              "adobe", "adobe_transform", "aspect", "interlace", "srgb")]
    if text_keys:
        meta["text_chunks"] = sorted(str(k) for k in text_keys)
    return meta


def load_image(path: Path) -> LoadedImage:
    """Decode an image fully, apply EXIF orientation, return RGB. Raises MediaError with a one-line reason.

    The file is untrusted: whatever a decoder raises on malformed bytes (struct.error, IndexError, …) becomes a
    MediaError, so a hostile file is reported, never a traceback and never a silent "clear".
    """
    if _require_regular_file(path) == 0:
        raise MediaError("empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            # Pillow warns above ~89 MP (fine: the hard limit still raises) and about corrupt EXIF (harmless: we
            # never trust it for anything but orientation); neither may reach the user's terminal.
            warnings.simplefilter("ignore")
            with Image.open(path) as img:
                fmt = img.format or "?"
                frames = getattr(img, "n_frames", 1) or 1
                exif_bytes = img.info.get("exif")
                meta = _metadata_of(img)
                img.load()
                oriented = ImageOps.exif_transpose(img)
                rgb = _to_rgb(oriented)
    except Image.DecompressionBombError as e:
        m = re.search(r"\((\d+) pixels\) exceeds limit of (\d+)", str(e))
        detail = f" ({int(m.group(1)):,} pixels, limit {int(m.group(2)):,})" if m else ""
        raise MediaError(f"refused: image too large to decode safely{detail}, a possible decompression bomb") \
            from None
    except UnidentifiedImageError:
        raise MediaError("not a readable image (unknown or corrupt format)") from None
    except MemoryError:
        raise MediaError("refused: not enough memory to decode this image") from None
    except Exception as e:  # noqa: BLE001 - see docstring: any decoder failure is a bad file, reported in one line
        msg = _one_line(e)
        if "truncated" in msg.lower() or isinstance(e, EOFError):
            raise MediaError("truncated image: the file ends before the picture does") from None
        raise MediaError(f"cannot decode image: {msg}") from None
    if rgb.ndim != 3 or rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise MediaError("image has no pixels")
    return LoadedImage(rgb=rgb, format=fmt, exif=exif_bytes, metadata=meta, frames=frames)


def _one_line(e: BaseException, limit: int = 160) -> str:
    text = " ".join(str(e).split())
    text = text if text else type(e).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _process_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _process_umask()  # read once, at import: os.umask can only be read by setting it


@contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside `final`; rename it over `final` only if the block succeeds."""
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=f".part{final.suffix}", dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp makes the file owner-only (0600); a finished output gets the permissions any new file would
        # (0666 minus the umask), so a shared publishing folder or web server can read the redacted copies.
        os.chmod(tmp_path, 0o666 & ~_UMASK)
        os.replace(tmp_path, final)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


# What atomic_path's temporary files look like: hidden, random middle, ".part" before the real extension. Hidden,
# so folder scans skip them; ".part", so nothing mistakes one for a finished output.
_PART_NAME = re.compile(r"^\..+\.[a-z0-9_]{8}\.part(\.[^.]+)?$")


def is_part_file(path: Path) -> bool:
    return bool(_PART_NAME.match(path.name))


def remove_stale_parts(folder: Path, older_than_s: float = 0.0) -> list[Path]:
    """Delete temporary files a killed run left under `folder` (recursively); returns what was removed.

    A run killed with SIGKILL cannot clean up after itself; call this at the start of the next run on the output
    folder. `older_than_s` spares temp files a concurrent run may still be writing.
    """
    removed: list[Path] = []
    now = time.time()
    for p in Path(folder).rglob(".*.part*"):
        try:
            if p.is_file() and not p.is_symlink() and is_part_file(p) and now - p.stat().st_mtime >= older_than_s:
                p.unlink()
                removed.append(p)
        except OSError:
            continue  # vanished or not ours to delete: not worth failing a run over
    return removed


def write_bytes_atomic(final: Path, data: bytes) -> None:
    with atomic_path(final) as tmp:
        tmp.write_bytes(data)


def encode_image(rgb: np.ndarray, ext: str, exif: Optional[bytes] = None) -> bytes:
    """Encode RGB pixels for `ext`. A fresh Image carries no EXIF/XMP/ICC/thumbnail unless `exif` is passed."""
    fmt = _SAVE_FORMAT.get(ext.lower(), "PNG")
    img = Image.fromarray(rgb, "RGB")
    buf = io.BytesIO()
    kwargs: dict = {}
    if fmt == "JPEG":
        kwargs = {"quality": 92, "subsampling": 0}
    elif fmt == "WEBP":
        kwargs = {"quality": 92}
    elif fmt == "HEIF":
        kwargs = {"quality": 90}
    if exif:
        kwargs["exif"] = _exif_upright(exif)
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def _exif_upright(exif: bytes) -> bytes:
    """EXIF kept on request, with orientation reset: the pixels we write are already upright."""
    e = Image.Exif()
    e.load(exif)
    e[0x0112] = 1
    return e.tobytes()


def save_image(rgb: np.ndarray, final: Path, exif: Optional[bytes] = None) -> None:
    write_bytes_atomic(final, encode_image(rgb, final.suffix, exif))
