"""Metadata findings: what leaks through EXIF/XMP/IPTC/text chunks/thumbnails is reported, and stripped from every
redacted output (not painted over the picture). Real files are written and decoded; no model runs here."""
from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import ExifTags, Image, PngImagePlugin

from scanner import metadata
from scanner.api import ScanOptions, Scanner
from scanner.detectors import REGISTRY
from scanner.schema import validate

NO_DETECTORS = tuple(name for name, _ in REGISTRY)  # metadata findings only: fast, no model loads


def _rgb(w=96, h=64) -> np.ndarray:
    rgb = np.full((h, w, 3), 180, np.uint8)
    rgb[10:30, 10:60] = (20, 90, 200)  # something that must survive redaction unpainted
    return rgb


def _jpeg_bytes(rgb=None, **save) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(_rgb() if rgb is None else rgb).save(buf, "JPEG", quality=95, **save)
    return buf.getvalue()


def gps_exif() -> Image.Exif:
    e = Image.Exif()
    e[0x010F], e[0x0110] = "Phone Maker", "Phone 15"
    e[0x013B] = "Dr Jane Roe"
    e[0x0132] = "2024:05:01 10:00:00"
    e[ExifTags.IFD.GPSInfo] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    e[ExifTags.IFD.Exif] = {0x9003: "2024:05:01 09:59:59", 0xA431: "SN-0042-XYZ", 0x829A: (1, 120)}
    return e


def exif_with_thumbnail(thumb: bytes) -> bytes:
    """A minimal little-endian EXIF block: IFD0 (Make) and IFD1 holding a JPEG thumbnail, as cameras write it."""
    make = b"Cam\0"
    head = b"II*\x00" + struct.pack("<I", 8)
    ifd0 = struct.pack("<H", 1) + struct.pack("<HHII", 0x010F, 2, len(make), 26) + struct.pack("<I", 30)
    ifd1 = (struct.pack("<H", 2) + struct.pack("<HHII", 0x0201, 4, 1, 60)
            + struct.pack("<HHII", 0x0202, 4, 1, len(thumb)) + struct.pack("<I", 0))
    return b"Exif\x00\x00" + head + ifd0 + make + ifd1 + thumb


def with_iptc(jpeg: bytes, byline: bytes, city: bytes) -> bytes:
    """Insert a Photoshop APP13 segment with IPTC-IIM by-line and city records after the JPEG's SOI marker."""
    return with_iim(jpeg, [(2, 80, byline), (2, 90, city)])


def with_iim(jpeg: bytes, records: list[tuple[int, int, bytes]]) -> bytes:
    """Insert a Photoshop APP13 segment holding these IPTC-IIM (record, dataset, value) records."""
    iim = b"".join(bytes([0x1C, r, ds]) + struct.pack(">H", len(v)) + v for r, ds, v in records)
    res = b"8BIM" + struct.pack(">H", 0x0404) + b"\0\0" + struct.pack(">I", len(iim)) + iim + b"\0" * (len(iim) % 2)
    payload = b"Photoshop 3.0\0" + res
    return jpeg[:2] + b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def _items(data: bytes) -> dict[str, metadata.MetadataItem]:
    with Image.open(io.BytesIO(data)) as img:
        return {i.what: i for i in metadata.read_items(img)}


# ------------------------------------------------------------------------------------------------- reading

def test_exif_gps_owner_serial_and_time_are_read_with_values():
    items = _items(_jpeg_bytes(exif=gps_exif().tobytes()))
    assert items["gps"].severity == "high" and items["gps"].value == "51.50000, -0.12750"
    assert items["owner"].severity == "high" and items["owner"].value == "Dr Jane Roe"
    assert items["serial"].value == "SN-0042-XYZ"
    assert items["time"].severity == "medium"


def test_embedded_thumbnail_is_a_high_severity_leak():
    data = _jpeg_bytes(exif=exif_with_thumbnail(_jpeg_bytes(_rgb(32, 24))))
    items = _items(data)
    assert items["thumbnail"].severity == "high"
    assert "unredacted original" in items["thumbnail"].label


def test_iptc_byline_and_city():
    items = _items(with_iptc(_jpeg_bytes(), b"Jane Roe", b"Springfield"))
    assert items["owner"].value == "Jane Roe" and items["owner"].source == "iptc"
    assert items["place"].value == "Springfield" and items["place"].severity == "high"


def _png_with_text(*chunks: tuple[str, str]) -> bytes:
    """A PNG carrying these (key, value) text chunks (the first as tEXt, the rest as iTXt)."""
    info = PngImagePlugin.PngInfo()
    for i, (key, value) in enumerate(chunks):
        (info.add_text if i == 0 else info.add_itxt)(key, value)
    buf = io.BytesIO()
    Image.fromarray(_rgb()).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def test_png_text_chunks_author_is_high_comment_is_medium():
    items = _items(_png_with_text(("Author", "Dr Roe"), ("Comment", "bed 4 Garcia")))
    assert items["owner"].value == "Dr Roe" and items["owner"].severity == "high"
    assert items["text"].value == "bed 4 Garcia" and items["text"].severity == "medium"


@pytest.mark.parametrize("stamp", [b"CREATOR: gd-jpeg v1.0 (using IJG JPEG v62), quality = 70",
                                   b"CREATOR: gd-jpeg v1.0 (using IJG JPEG v62), default quality\n",
                                   b"cmp3.10.3.3Lq4 0xbd3f8ad3",
                                   b"Compressed by jpeg-recompress", b"LEAD Technologies Inc. V1.01",
                                   b"Lavc55.18.102\0", b"Created with GIMP"])
def test_an_encoders_own_comment_is_not_a_finding(stamp):
    """Programs stamp every file they write with their name: that identifies nobody, and reporting it turned
    ordinary web photos into `review` (real PHI-free photos, bench/real_data/photos_neg_*)."""
    assert _items(_jpeg_bytes(comment=stamp)) == {}


@pytest.mark.parametrize("comment", [b"Compressed by jpeg-recompress; Jane Doe, ward 4",
                                     b"Created by Jane Doe",
                                     b"File source: https://commons.wikimedia.org/wiki/File:Jane_Doe_2016.jpg"])
def test_a_comment_that_says_more_than_the_encoder_is_still_reported(comment):
    items = _items(_jpeg_bytes(comment=comment))
    assert items["text"].value == comment.decode()


def test_png_software_key_is_technical_but_a_name_key_is_not():
    assert set(_items(_png_with_text(("Software", "gnome-screenshot"), ("Creator", "Dr Roe")))) == {"owner"}


def test_decode_tells_utf16_tags_from_a_trailing_nul():
    assert metadata._decode(b"Lavc55.18.102\0") == "Lavc55.18.102\0"
    assert metadata._decode("Jane Roe".encode("utf-16-le") + b"\0\0") == "Jane Roe\0"
    assert metadata._decode("王芳".encode("utf-16-le") + b"\0\0") == "王芳\0"
    assert metadata._decode("Zoë".encode("utf-8")) == "Zoë"
    assert metadata._decode(b"Zo\xeb") == "Zoë"


def _xmp_packet(body: str) -> bytes:
    return (f'<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 6.0.0"><rdf:RDF xmlns:rdf="r">'
            f'<rdf:Description rdf:about="" xmlns:tiff="t" xmlns:xmpMM="m" xmlns:exif="e" xmlns:xmp="x" '
            f'xmlns:dc="d" xmlns:aux="a" {body}</rdf:RDF></x:xmpmeta>').encode()


def _xmp_items_of(body: str) -> dict[str, metadata.MetadataItem]:
    buf = io.BytesIO()
    Image.fromarray(_rgb()).save(buf, "WEBP", xmp=_xmp_packet(body))
    return _items(buf.getvalue())


def test_xmp_with_only_technical_properties_is_no_finding():
    # Resolution and document ids (Photoshop's export), and a macOS screenshot's own comment.
    assert _xmp_items_of('tiff:XResolution="72/1" xmpMM:DocumentID="xmp.did:1A2B" xmpMM:InstanceID="x:3C"/>') == {}
    assert _xmp_items_of('><exif:PixelXDimension>518</exif:PixelXDimension>'
                         '<exif:UserComment>Screenshot</exif:UserComment></rdf:Description>') == {}


def test_xmp_dates_serials_and_unknown_text_are_reported():
    assert _xmp_items_of('xmp:CreateDate="2024-05-01T10:00:00"/>')["time"].severity == "medium"
    assert _xmp_items_of('aux:SerialNumber="12345"/>')["serial"].severity == "medium"
    unknown = _xmp_items_of('><dc:description><rdf:Alt><rdf:li>Bed 4, Mrs Garcia</rdf:li></rdf:Alt>'
                            '</dc:description></rdf:Description>')
    assert unknown["xmp"].severity == "low"


def test_iptc_envelope_alone_is_no_finding():
    assert _items(with_iim(_jpeg_bytes(), [(1, 90, b"\x1b%G"), (1, 0, b"\x00\x04")])) == {}
    agency = _items(with_iim(_jpeg_bytes(), [(1, 90, b"\x1b%G"), (2, 116, b"(c) Example Photo Agency")]))
    assert agency["iptc"].severity == "low"


def test_camera_boilerplate_descriptions_are_no_finding():
    for text in ("OLYMPUS DIGITAL CAMERA", "Exif_JPEG_420", "SONY DSC"):
        e = Image.Exif()
        e[0x010E] = text
        assert _items(_jpeg_bytes(exif=e.tobytes())) == {}, text
    e = Image.Exif()
    e[0x010E] = "Ward 4, Mrs Garcia"
    assert _items(_jpeg_bytes(exif=e.tobytes()))["text"].value == "Ward 4, Mrs Garcia"


def test_webp_xmp_gps():
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description exif:GPSLatitude="51,30.0N" '
           b'exif:GPSLongitude="0,7.65W"/></rdf:RDF></x:xmpmeta>')
    buf = io.BytesIO()
    Image.fromarray(_rgb()).save(buf, "WEBP", xmp=xmp)
    assert _items(buf.getvalue())["gps"].severity == "high"


def test_heic_exif_gps():
    buf = io.BytesIO()
    Image.fromarray(_rgb()).save(buf, "HEIF", exif=gps_exif().tobytes())
    assert _items(buf.getvalue())["gps"].value == "51.50000, -0.12750"


def test_plain_image_has_no_metadata_items():
    buf = io.BytesIO()
    Image.fromarray(_rgb()).save(buf, "PNG")
    assert _items(buf.getvalue()) == {}


def test_flags_from_media_loader_are_reported_when_values_cannot_be_read(tmp_path):
    p = tmp_path / "missing.jpg"  # cannot be re-opened: the loader's flags still count (fail closed)
    items = {i.what: i for i in metadata.inspect_file(p, {"gps": True, "artist": True, "text_chunks": ["Comment"]})}
    assert items["gps"].severity == "high" and items["owner"].severity == "high" and "text" in items


def test_an_encoder_stamp_stays_silent_through_the_loaders_flags(tmp_path):
    """media.load_image flags every text chunk; once the reader has judged the values, the flag adds nothing."""
    from scanner import media

    p = tmp_path / "stamp.jpg"
    p.write_bytes(_jpeg_bytes(comment=b"CREATOR: gd-jpeg v1.0 (using IJG JPEG v62), quality = 70"))
    loaded = media.load_image(p)
    assert loaded.metadata.get("text_chunks") == ["comment"]
    assert metadata.inspect_file(p, loaded.metadata) == []


def test_findings_group_by_kind_cover_the_whole_image_and_take_the_worst_severity():
    items = [metadata.MetadataItem("time", "EXIF capture time", "medium", "exif", "2024:05:01"),
             metadata.MetadataItem("time", "EXIF modification time", "medium", "exif", "2024:05:02"),
             metadata.MetadataItem("owner", "EXIF copyright holder", "medium", "exif", "Roe"),
             metadata.MetadataItem("owner", "EXIF artist name", "high", "exif", "Jane Roe")]
    fs = {f.note.split(";")[0]: f for f in metadata.to_findings(items, 640, 480)}
    assert len(fs) == 2
    for f in fs.values():
        assert (f.kind, f.category, f.box, f.confidence) == ("metadata", "metadata", (0, 0, 640, 480), 1.0)
    owner = fs["EXIF copyright holder"]
    assert owner.severity == "high" and owner.text == "Roe; Jane Roe"


def test_sanitized_exif_keeps_camera_data_only():
    kept = metadata.sanitized_exif(gps_exif().tobytes())
    e = Image.Exif()
    e.load(kept)
    assert e[0x010F] == "Phone Maker" and e[0x0110] == "Phone 15"
    assert list(e.get_ifd(ExifTags.IFD.Exif)) == [0x829A]  # exposure time kept; serial and capture time gone
    assert not e.get_ifd(ExifTags.IFD.GPSInfo)
    assert 0x013B not in e and 0x0132 not in e
    assert metadata.sanitized_exif(exif_with_thumbnail(_jpeg_bytes(_rgb(32, 24)))) is not None
    thumbless = Image.Exif()
    thumbless.load(metadata.sanitized_exif(exif_with_thumbnail(_jpeg_bytes(_rgb(32, 24)))))
    assert not thumbless.get_ifd(ExifTags.IFD.IFD1)
    assert metadata.sanitized_exif(None) is None


# ------------------------------------------------------------------------------------- through the scanner

@pytest.fixture
def gps_photo(tmp_path) -> Path:
    q = tmp_path / "in" / "gps.jpg"
    q.parent.mkdir()
    q.write_bytes(_jpeg_bytes(exif=gps_exif().tobytes()))
    return q


def test_scan_reports_metadata_and_redact_strips_it_without_painting(gps_photo, tmp_path):
    out = tmp_path / "out"
    r = Scanner(ScanOptions(skip=NO_DETECTORS)).process(gps_photo, out, redact=True)
    assert r.verdict == "review"
    cats = {f.note.split(" (")[0] for f in r.findings}
    assert any("GPS" in c for c in cats) and all(f.kind == "metadata" for f in r.findings)
    validate(json.loads(Path(r.outputs["findings"]).read_text()))
    red = Path(r.outputs["redacted"])
    with Image.open(red) as img:
        assert metadata.read_items(img) == []
        px = np.asarray(img.convert("RGB")).astype(int)
    assert abs(px[20, 30] - np.array([20, 90, 200])).max() < 12  # the picture itself was not painted out
    assert px.mean() > 100
    with Image.open(r.outputs["annotated"]) as img:
        assert metadata.read_items(img) == []


def test_keep_metadata_keeps_camera_model_but_never_gps_or_owner(gps_photo, tmp_path):
    r = Scanner(ScanOptions(skip=NO_DETECTORS, keep_metadata=True)).process(gps_photo, tmp_path / "o", redact=True)
    with Image.open(r.outputs["redacted"]) as img:
        assert img.getexif()[0x0110] == "Phone 15"
        assert metadata.read_items(img) == []


def test_thumbnail_finding_through_scanner(tmp_path):
    p = tmp_path / "thumb.jpg"
    p.write_bytes(_jpeg_bytes(exif=exif_with_thumbnail(_jpeg_bytes(_rgb(32, 24)))))
    r = Scanner(ScanOptions(skip=NO_DETECTORS)).process(p, None, redact=False)
    assert [f.severity for f in r.findings] == ["high"] and "thumbnail" in r.findings[0].note


def test_policy_can_ignore_or_flag_metadata(gps_photo, tmp_path):
    pol = tmp_path / "p.toml"
    pol.write_text('[actions]\nmetadata = "ignore"\n')
    r = Scanner(ScanOptions(skip=NO_DETECTORS, policy_file=str(pol))).process(gps_photo, None, redact=False)
    assert (r.verdict, r.findings) == ("clear", [])
    pol.write_text('[actions]\nmetadata = "flag"\n')
    r = Scanner(ScanOptions(skip=NO_DETECTORS, policy_file=str(pol))).process(gps_photo, tmp_path / "o", redact=True)
    assert r.verdict == "review" and {f.action for f in r.findings} == {"flag"}
    with Image.open(r.outputs["redacted"]) as img:  # flagged or not, metadata never reaches an output
        assert metadata.read_items(img) == []
