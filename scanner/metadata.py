"""Metadata is a leak too: GPS position, capture time, camera serial, owner name, embedded thumbnails (which can
show the unredacted original) and free-text chunks, reported as findings of kind "metadata".

`media.load_image` records *that* a file carries such metadata (LoadedImage.metadata); this module reads the values
(re-opening only the file's header), turns them into findings (category "metadata", box = the whole image) and
builds the reduced EXIF kept by `--keep-metadata`.

Not findings, because they identify nobody and made ordinary web photos `review` (bench/real_data): values that
every file from some program or camera carries (an encoder's comment such as "CREATOR: gd-jpeg …" or JPEGmini's,
"Screenshot", "SONY DSC"), PNG Software keys, XMP packets holding only technical properties (resolution, colour,
document ids, edit settings) and an IPTC envelope without records. Anything else unknown in XMP or IPTC is still
reported (low) for a person to look at.

Action semantics: a metadata finding is never painted. Redacted outputs are fresh encodes that carry no metadata
at all (media.encode_image), so "redact" means "stripped"; redact.py skips kind "metadata" when painting.

`--keep-metadata` keeps only technical EXIF (camera make/model, exposure, lens model, orientation reset). GPS,
capture/digitised times, serial numbers, owner/artist/copyright, user comments, unique ids, MakerNote (opaque,
often holds serials and previews) and the IFD1 thumbnail are always dropped: a photographer may want the exposure
data, nobody needs the patient's location or an unredacted preview in a published copy.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from PIL import ExifTags, Image, IptcImagePlugin

from .findings import Finding

SEVERITY_RANK = {"low": 0, "medium": 1, "high": 2}


@dataclass(frozen=True)
class MetadataItem:
    """One identifying piece of metadata a file carries."""

    what: str  # gps | time | serial | owner | thumbnail | text | xmp | iptc | makernote | unique_id
    label: str  # what a reviewer reads, e.g. "EXIF GPS position"
    severity: str
    source: str  # exif | xmp | iptc | text
    value: Optional[str] = None  # the identifying value itself (masked in the findings file unless asked)


# EXIF tags (IFD0 and the Exif sub-IFD) that identify a person, place, time or device.
_EXIF_TAGS: dict[int, tuple[str, str, str]] = {
    0x0132: ("time", "EXIF modification time", "medium"),
    0x9003: ("time", "EXIF capture time", "medium"),
    0x9004: ("time", "EXIF digitised time", "medium"),
    0x013B: ("owner", "EXIF artist name", "high"),
    0xA430: ("owner", "EXIF camera owner name", "high"),
    0x9C9D: ("owner", "Windows XP author", "high"),
    0x8298: ("owner", "EXIF copyright holder", "medium"),
    0xA431: ("serial", "EXIF camera body serial number", "medium"),
    0xA435: ("serial", "EXIF lens serial number", "medium"),
    0xA420: ("unique_id", "EXIF image unique id", "medium"),
    0x010E: ("text", "EXIF image description", "medium"),
    0x9286: ("text", "EXIF user comment", "medium"),
    0x9C9B: ("text", "Windows XP title", "medium"),
    0x9C9C: ("text", "Windows XP comment", "medium"),
    0x9C9F: ("text", "Windows XP subject", "medium"),
}
_MAKERNOTE = 0x927C
_GPS_LAT, _GPS_LAT_REF, _GPS_LON, _GPS_LON_REF = 2, 1, 4, 3

# Technical EXIF that --keep-metadata keeps (everything else is dropped).
_KEEP_IFD0 = {0x010F, 0x0110, 0x0112, 0x011A, 0x011B, 0x0128, 0x0131}  # make, model, orientation, resolution, software
_KEEP_EXIF = {0x829A, 0x829D, 0x8822, 0x8827, 0x9201, 0x9202, 0x9204, 0x9205, 0x9207, 0x9209, 0x920A, 0xA402,
              0xA403, 0xA405, 0xA406, 0xA432, 0xA433, 0xA434, 0xA001}

# Keys Pillow puts in `img.info` that are format plumbing, not content.
_PLUMBING = {"dpi", "gamma", "transparency", "icc_profile", "exif", "xmp", "XML:com.adobe.xmp", "jfif", "jfif_version",
             "jfif_unit", "jfif_density", "progressive", "progression", "duration", "loop", "background",
             "compression", "adobe", "adobe_transform", "aspect", "interlace", "srgb", "photoshop", "mp", "mpoffset",
             "chromaticity", "dpi_unit", "resolution", "timestamp", "blend", "disposal", "version", "extension",
             "bit_depth", "primaries", "transfer_characteristics", "matrix_coefficients", "full_range_flag",
             "depth_images", "thumbnails", "original_orientation", "save_all", "nclx_profile", "heif", "aux"}
_TECHNICAL_KEYS = {"software", "encoder", "creation software"}  # PNG text keys naming the program that wrote the file
# Comments that encoders and optimisers write into every file they touch: a program's name and version, nothing
# about a person or place. Matched whole, so "Compressed by jpeg-recompress; Jane Doe, ward 4" is still reported.
_ENCODER_STAMP = re.compile(
    r"CREATOR: gd-jpeg v[\d.]+ \(using IJG JPEG v\d+\),?( quality = \d+| default quality)?"
    r"|(compressed|optimi[sz]ed|processed|created|generated|edited|made|saved|written) (by|with|using) "
    r"(jpeg-recompress|jpegmini|imagemagick|graphicsmagick|gimp|tinypng|tinyjpg|kraken\.io|imageoptim|mozjpeg|"
    r"jpegoptim|jpegtran|guetzli|photoshop|adobe photoshop|paint\.net|libvips|ffmpeg|xnview|irfanview|pillow|"
    r"squoosh|lightroom|snapseed)([ -]v?[\w.]+)*( on a \w+)?"
    r"|LEAD Technologies Inc\. V[\d.]+|Lav[cf]\d+(\.\d+)*|AppleMark|Intel\(R\) JPEG Library, version [\d,. ]+"
    r"|File written by Adobe Photoshop\S* [\d.]+|Handmade Software, Inc\. Image Alchemy v[\d.]+"
    r"|cmp\d+(\.\d+)+Lq\d+ 0x[0-9a-f]+",  # JPEGmini
    re.I)
# Descriptions and comments that cameras, phones and screenshot tools fill in themselves, the same in every file.
_BOILERPLATE = {"screenshot", "exif_jpeg_420", "exif_jpeg_422", "exif_jpeg_picture", "olympus digital camera",
                "sony dsc", "konica minolta digital camera", "minolta digital camera", "default", "picture",
                "image", "photo", "samsung", "digital camera", "camera", "jpeg"}
_NAME_KEYS = re.compile(r"author|artist|creator|owner|by-?line|person|name", re.I)
_XMP_GPS = re.compile(r"GPSLatitude|GPSLongitude", re.I)
_XMP_NAME = re.compile(r"dc:creator|CameraOwnerName|exif:Artist|photoshop:AuthorsPosition|xmpRights:Owner|"
                       r"Iptc4xmpCore:CreatorContactInfo|mwg-rs:Name|MP:PersonDisplayName", re.I)
_XMP_PLACE = re.compile(r"photoshop:City|Iptc4xmpCore:Location|Iptc4xmpExt:LocationShown|photoshop:State", re.I)

# XMP: the packet's own plumbing, properties that are technical (resolution, colour, edit settings, document ids,
# the program that wrote it), dates and serial numbers. A packet holding only technical properties is no finding;
# one holding anything else unknown is reported (low) for a person to look at.
_XMP_PROPERTY = re.compile(r"(?<=[<\s])([A-Za-z][\w.-]*:[A-Za-z][\w.-]*)(?=[\s=>/])")
_XMP_PLUMBING = {"x", "rdf", "xmlns", "xml", "xmptk"}
_XMP_TECHNICAL_PREFIXES = {"tiff", "xmpMM", "stEvt", "stRef", "crs", "crd", "stDim", "xmpG", "xmpTPg", "pdf",
                           "illustrator", "GCamera", "GDepth", "GImage", "hdrgm", "Container", "Item", "apdi"}
_XMP_TECHNICAL = {"xmp:CreatorTool", "xmp:Rating", "xmp:Label", "dc:format", "photoshop:ColorMode",
                  "photoshop:ICCProfile", "photoshop:LegacyIPTCDigest", "photoshop:History", "exif:ExifVersion",
                  "exif:ColorSpace", "exif:PixelXDimension", "exif:PixelYDimension", "exif:ExposureTime",
                  "exif:FNumber", "exif:ISOSpeedRatings", "exif:FocalLength", "exif:Flash", "exif:WhiteBalance",
                  "exif:ExposureProgram", "exif:MeteringMode", "exif:ExposureBiasValue", "exif:MaxApertureValue",
                  "exif:ShutterSpeedValue", "exif:ApertureValue", "exif:FocalLengthIn35mmFilm", "exif:SceneType",
                  "exif:ExposureMode", "exif:SceneCaptureType", "exif:Contrast", "exif:Saturation", "exif:Sharpness",
                  "exif:SensingMethod", "exif:FileSource", "exif:CustomRendered", "exif:DigitalZoomRatio",
                  "exif:Fired", "exif:Return", "exif:Mode", "exif:Function", "exif:RedEyeMode", "exif:LightSource",
                  "aux:Lens", "aux:LensInfo", "aux:LensID", "exifEX:LensModel", "exifEX:LensMake",
                  "exifEX:LensSpecification", "exifEX:PhotographicSensitivity"}
_XMP_TIMES = {"xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate", "exif:DateTimeOriginal",
              "exif:DateTimeDigitized", "photoshop:DateCreated", "stEvt:when"}
_XMP_SERIALS = {"aux:SerialNumber", "aux:LensSerialNumber", "exifEX:BodySerialNumber", "exifEX:LensSerialNumber",
                "aux:ImageNumber"}

# IPTC-IIM records (record 2) that identify someone or somewhere.
_IPTC: dict[tuple[int, int], tuple[str, str, str]] = {
    (2, 80): ("owner", "IPTC by-line (photographer)", "high"),
    (2, 90): ("place", "IPTC city", "high"),
    (2, 92): ("place", "IPTC sub-location", "high"),
    (2, 55): ("time", "IPTC date created", "medium"),
    (2, 120): ("text", "IPTC caption", "medium"),
    (2, 5): ("text", "IPTC object name", "medium"),
    (2, 25): ("text", "IPTC keywords", "low"),
}


def _text(v) -> Optional[str]:
    """A readable, single-line value (bytes decoded, UTF-16 XP tags handled, long values cut)."""
    if v is None:
        return None
    if isinstance(v, (list, tuple)) and v and isinstance(v[0], bytes):
        v = b"; ".join(v)
    if isinstance(v, bytes):
        if v.startswith(b"ASCII\0\0\0") or v.startswith(b"UNICODE\0"):  # EXIF UserComment prefix
            v = v[8:]
        s = _decode(v)
    else:
        s = str(v)
    s = " ".join(s.replace("\0", " ").split())
    return (s[:120] + "…") if len(s) > 120 else (s or None)


def _decode(v: bytes) -> str:
    """UTF-16 when most odd bytes are NUL (Windows XP tags hold ASCII as UTF-16), else UTF-8, else UTF-16 for an
    even-length NUL-terminated value (XP tags in other scripts), else Latin-1. One trailing NUL alone, as in an
    encoder's 'Lavc55.18.102\\0', is not UTF-16."""
    if len(v) % 2 == 0 and v[1::2].count(0) * 2 >= len(v) // 2:
        return v.decode("utf-16-le", "replace")
    try:
        return v.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if len(v) % 2 == 0 and v.endswith(b"\0\0"):
        try:
            return v.decode("utf-16-le")
        except UnicodeDecodeError:
            pass
    return v.decode("latin-1")


def _dms(v, ref) -> Optional[float]:
    try:
        d, m, s = (float(x) for x in v)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    deg = d + m / 60 + s / 3600
    return -deg if str(ref).upper().startswith(("S", "W")) else deg


def _exif_items(exif: Image.Exif) -> list[MetadataItem]:
    items: list[MetadataItem] = []

    def ifd(tag) -> dict:
        try:
            return dict(exif.get_ifd(tag))
        except Exception:  # a malformed sub-IFD is reported by what we could read
            return {}

    gps = ifd(ExifTags.IFD.GPSInfo)
    if gps:
        lat, lon = _dms(gps.get(_GPS_LAT), gps.get(_GPS_LAT_REF)), _dms(gps.get(_GPS_LON), gps.get(_GPS_LON_REF))
        if lat is not None and lon is not None:
            items.append(MetadataItem("gps", "EXIF GPS position", "high", "exif", f"{lat:.5f}, {lon:.5f}"))
        else:
            items.append(MetadataItem("gps", "EXIF GPS block (no position)", "medium", "exif"))
    sub = ifd(ExifTags.IFD.Exif)
    for tags in (dict(exif), sub):
        for tag, value in tags.items():
            text = _text(value) if tag in _EXIF_TAGS else None
            if not text:
                continue
            what, label, sev = _EXIF_TAGS[tag]
            if what == "text" and boilerplate(text):
                continue
            items.append(MetadataItem(what, label, sev, "exif", text))
    if _MAKERNOTE in sub:
        items.append(MetadataItem("makernote", "EXIF maker note (opaque; may hold serials or previews)", "low",
                                  "exif"))
    ifd1 = ifd(ExifTags.IFD.IFD1)
    if ifd1.get(0x0201) or ifd1.get(0x0111):  # JPEGInterchangeFormat / StripOffsets of the thumbnail image
        items.append(MetadataItem("thumbnail", "embedded EXIF thumbnail (can show the unredacted original)",
                                  "high", "exif"))
    return items


def boilerplate(text: str) -> bool:
    """A value every file from some program or camera carries: an encoder's stamp, 'Screenshot', 'SONY DSC'."""
    t = text.strip(" .\0")
    return t.lower() in _BOILERPLATE or bool(_ENCODER_STAMP.fullmatch(t))


def _xmp_value(s: str, prop: str) -> str:
    """The text of an XMP property, as an attribute or an element (its rdf:Alt/rdf:li wrappers dropped)."""
    m = re.search(rf'{re.escape(prop)}\s*=\s*"([^"]*)"', s) or re.search(
        rf"<{re.escape(prop)}[^>]*>(.*?)</{re.escape(prop)}>", s, re.S)
    return re.sub(r"<[^>]+>", " ", m.group(1)).strip() if m else ""


def xmp_properties(s: str) -> set[str]:
    """The prefixed property names an XMP packet sets (as elements or attributes), less the packet's plumbing."""
    return {p for p in _XMP_PROPERTY.findall(s) if p.split(":")[0] not in _XMP_PLUMBING}


def _xmp_items(xmp) -> list[MetadataItem]:
    s = xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else str(xmp)
    if not s:
        return []
    items = []
    if _XMP_GPS.search(s):
        items.append(MetadataItem("gps", "XMP GPS position", "high", "xmp"))
    if _XMP_NAME.search(s):
        items.append(MetadataItem("owner", "XMP creator / person name", "high", "xmp"))
    if _XMP_PLACE.search(s):
        items.append(MetadataItem("place", "XMP location", "high", "xmp"))
    props = xmp_properties(s)
    if props & _XMP_TIMES:
        items.append(MetadataItem("time", "XMP date/time", "medium", "xmp"))
    if props & _XMP_SERIALS:
        items.append(MetadataItem("serial", "XMP camera or lens serial number", "medium", "xmp"))
    if not items and not all(_xmp_technical(p) or boilerplate(_xmp_value(s, p)) for p in props):
        # Something we do not know is in it (a description, a title, keywords …): a person should look.
        items.append(MetadataItem("xmp", "XMP metadata block", "low", "xmp"))
    return items


def _xmp_technical(prop: str) -> bool:
    return prop.split(":")[0] in _XMP_TECHNICAL_PREFIXES or prop in _XMP_TECHNICAL


def _iptc_items(img: Image.Image) -> list[MetadataItem]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            iptc = IptcImagePlugin.getiptcinfo(img) or {}
    except Exception:
        iptc = {}
    items = [MetadataItem(*_IPTC[k], "iptc", _text(v)) for k, v in iptc.items() if k in _IPTC]
    # Record 1 is the envelope (character set, version) and 2:0 the record's version: no content at all.
    content = [k for k in iptc if k[0] != 1 and k != (2, 0)]
    if content and not items:
        items.append(MetadataItem("iptc", "IPTC metadata block", "low", "iptc"))
    return items


def _text_chunk_items(info: dict) -> list[MetadataItem]:
    items = []
    for key, value in info.items():
        if not isinstance(key, str) or key in _PLUMBING or not isinstance(value, (str, bytes)):
            continue
        text = _text(value)
        if not text or key.lower() in _TECHNICAL_KEYS or boilerplate(text):
            continue
        high = bool(_NAME_KEYS.search(key))
        items.append(MetadataItem("owner" if high else "text", f"text chunk '{key}'", "high" if high else "medium",
                                  "text", text))
    return items


def read_items(img: Image.Image) -> list[MetadataItem]:
    """Every identifying metadata item an opened image carries (no pixels are decoded)."""
    items: list[MetadataItem] = []
    try:
        exif = img.getexif()
    except Exception:
        exif = None
    if exif:
        items += _exif_items(exif)
    info = img.info or {}
    xmp = info.get("xmp") or info.get("XML:com.adobe.xmp")
    if xmp:
        items += _xmp_items(xmp)
    items += _iptc_items(img)
    items += _text_chunk_items(info)
    return items


def items_from_flags(meta: dict) -> list[MetadataItem]:
    """Items for what media.load_image recorded (LoadedImage.metadata), used when the file cannot be re-read here:
    fail closed, a flag without its value is still reported."""
    items = []
    if meta.get("gps"):
        items.append(MetadataItem("gps", "EXIF GPS block", "high", "exif"))
    for key, what, label, sev in (("datetime", "time", "EXIF date/time", "medium"),
                                  ("artist", "owner", "EXIF artist name", "high"),
                                  ("copyright", "owner", "EXIF copyright holder", "medium"),
                                  ("serial", "serial", "EXIF serial number", "medium"),
                                  ("xmp", "xmp", "XMP metadata block", "low")):
        if meta.get(key):
            items.append(MetadataItem(what, label, sev, "exif" if key != "xmp" else "xmp"))
    for k in meta.get("text_chunks") or []:
        items.append(MetadataItem("text", f"text chunk '{k}'", "medium", "text"))
    return items


def inspect_file(path: Path, flags: Optional[dict] = None) -> list[MetadataItem]:
    """Identifying metadata of the image at `path`; `flags` is LoadedImage.metadata (what load_image saw). A flag
    the value reader missed is still reported, from the flag."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as img:
                items = read_items(img)
        read = True
    except Exception:
        items, read = [], False
    seen = {i.what for i in items}
    for extra in items_from_flags(flags or {}):
        if read and extra.source in ("text", "xmp"):
            continue  # the reader saw the same chunks and packet and judged them (an encoder's stamp is nothing)
        if extra.what not in seen:
            items.append(extra)
    return items


def to_findings(items: Iterable[MetadataItem], width: int, height: int) -> list[Finding]:
    """One finding per kind of item (GPS, time, serial …), box = the whole image, severity = the worst item's."""
    grouped: dict[str, list[MetadataItem]] = {}
    for it in items:
        grouped.setdefault(it.what, []).append(it)
    out = []
    for what, its in grouped.items():
        worst = max(its, key=lambda i: SEVERITY_RANK[i.severity])
        labels = list(dict.fromkeys(i.label for i in its))
        values = list(dict.fromkeys(i.value for i in its if i.value))
        out.append(Finding(kind="metadata", category="metadata", box=(0, 0, width, height), confidence=1.0,
                           severity=worst.severity, context=worst.source, text="; ".join(values) or None,
                           detector="metadata", note="; ".join(labels) + " (stripped from redacted copies)"))
    return out


def metadata_findings(path: Path, loaded) -> list[Finding]:
    """Findings for the metadata of an image loaded by media.load_image (uses its `.metadata` flags)."""
    h, w = loaded.rgb.shape[:2]
    return to_findings(inspect_file(Path(path), loaded.metadata), w, h)


def sanitized_exif(exif: Optional[bytes]) -> Optional[bytes]:
    """The technical subset of `exif` kept by --keep-metadata (see the module docstring), or None."""
    if not exif:
        return None
    src = Image.Exif()
    try:
        src.load(exif)
    except Exception:
        return None
    out = Image.Exif()
    for tag, v in src.items():
        if tag in _KEEP_IFD0:
            out[tag] = v
    try:
        sub = {t: v for t, v in src.get_ifd(ExifTags.IFD.Exif).items() if t in _KEEP_EXIF}
    except Exception:
        sub = {}
    if sub:
        out[ExifTags.IFD.Exif] = sub
    return out.tobytes() if len(out) else None
