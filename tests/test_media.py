import io

import numpy as np
import pytest
from PIL import Image

from scanner import media


def _photo(w=64, h=48):
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[:, : w // 2] = (255, 0, 0)  # left half red: tells us which way the picture ended up
    return rgb


def test_exif_orientation_applied(tmp_path):
    img = Image.fromarray(_photo())
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    p = tmp_path / "rot.jpg"
    img.save(p, exif=exif.tobytes(), quality=95)
    loaded = media.load_image(p)
    assert loaded.rgb.shape[:2] == (64, 48)  # width and height swapped, as a viewer sees it
    assert loaded.rgb[0, 24, 0] > 200 and loaded.rgb[-1, 24, 0] < 60  # red half now on top


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "CMYK", "I;16", "LA", "1"])
def test_modes_become_rgb(tmp_path, mode):
    img = Image.fromarray(_photo()).convert("RGBA" if mode in ("RGBA", "LA") else "RGB")
    if mode == "I;16":
        img = Image.fromarray((np.arange(64 * 48).reshape(48, 64) * 20).astype(np.uint16))
    else:
        img = img.convert(mode)
    p = tmp_path / ("x.tif" if mode in ("CMYK", "I;16") else "x.png")
    img.save(p)
    rgb = media.load_image(p).rgb
    assert rgb.dtype == np.uint8 and rgb.shape == (48, 64, 3)


def test_heic_roundtrip(tmp_path):
    p = tmp_path / "x.heic"
    p.write_bytes(media.encode_image(_photo(), ".heic"))
    assert media.load_image(p).rgb.shape == (48, 64, 3)


@pytest.mark.parametrize("content, reason", [
    (b"", "empty file"),
    (b"this is not an image at all", "not a readable image"),
])
def test_bad_files_give_one_line_reason(tmp_path, content, reason):
    p = tmp_path / "bad.jpg"
    p.write_bytes(content)
    with pytest.raises(media.MediaError, match=reason) as e:
        media.load_image(p)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("ext", [".jpg", ".png"])
def test_truncated_image_is_an_error(tmp_path, ext):
    rng = np.random.default_rng(0)
    data = media.encode_image(rng.integers(0, 255, (200, 200, 3), dtype=np.uint8), ext)
    p = tmp_path / f"cut{ext}"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(media.MediaError) as e:
        media.load_image(p)
    assert "\n" not in str(e.value)


def test_decompression_bomb_refused(tmp_path):
    p = tmp_path / "bomb.png"
    Image.new("1", (20000, 20000)).save(p)  # 400 MP of 1-bit pixels: a tiny file, a huge decode
    with pytest.raises(media.MediaError, match="too large"):
        media.load_image(p)


def test_encoded_output_has_no_metadata():
    data = media.encode_image(_photo(), ".jpg")
    img = Image.open(io.BytesIO(data))
    assert not img.getexif() and "xmp" not in img.info and "icc_profile" not in img.info


def test_keep_metadata_resets_orientation(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    data = media.encode_image(_photo(), ".jpg", exif=exif.tobytes())
    e = Image.open(io.BytesIO(data)).getexif()
    assert e[0x0112] == 1 and e[0x010F] == "PhoneMaker"


def test_metadata_reported(tmp_path):
    exif = Image.Exif()
    exif[0x013B] = "Dr Who"
    exif[0x0132] = "2026:01:01 10:00:00"
    p = tmp_path / "m.jpg"
    Image.fromarray(_photo()).save(p, exif=exif.tobytes())
    meta = media.load_image(p).metadata
    assert meta.get("artist") and meta.get("datetime")


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    final = tmp_path / "out" / "a.png"
    with pytest.raises(RuntimeError):
        with media.atomic_path(final) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("killed")
    assert not final.exists()
    assert list((tmp_path / "out").iterdir()) == []
    media.write_bytes_atomic(final, b"done")
    assert final.read_bytes() == b"done"


def test_finished_outputs_get_ordinary_permissions(tmp_path):
    """Temporary files are owner-only (mkstemp); the finished output has what `touch` would give it (0666 minus
    the umask), so a publishing folder shared with a web server or a colleague can read the redacted copies."""
    import os
    import stat

    final = tmp_path / "a.png"
    media.write_bytes_atomic(final, b"done")
    mask = os.umask(0o022)
    os.umask(mask)
    assert stat.S_IMODE(final.stat().st_mode) == 0o666 & ~mask


def test_media_kind():
    from pathlib import Path
    assert media.media_kind(Path("a.JPG")) == "image"
    assert media.media_kind(Path("a.heic")) == "image"
    assert media.media_kind(Path("a.mov")) == "video"
    assert media.media_kind(Path("a.txt")) is None
