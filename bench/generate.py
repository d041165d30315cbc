"""Synthetic clinical scenes with ground truth, for the benchmark and the demo media.

A scene is a cluttered background with one flat "panel" on it (an EHR screen, a tracker board, a whiteboard, a
wristband, a printed lab report, or signs), seen under a small perspective, sometimes with a face composited in, then
blurred, noised and JPEG-compressed. Every piece of text drawn is a ground-truth `Region`:

- `phi`     an identifier that must be redacted (name, MRN, DOB, phone, email, SSN, address, room …);
- `keep`    innocuous text that must stay visible (signage, a drug name alone, vitals, lab values without identity);
- `neutral` text either outcome is fine for (field labels like "MRN:", headers, board status words);
- `face`    a face (Safe Harbor Q).

Everything is drawn from one `random.Random(seed)`, so a scene is the same bytes for the same seed on any machine
with the same fonts and library versions.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from scanner import geometry
from scanner.findings import Box, safe_harbor_of

FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation2"),
             Path("/usr/share/fonts/truetype/liberation"))
SANS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansCondensed.ttf", "LiberationSans-Regular.ttf",
        "LiberationSans-Bold.ttf")
SERIF = ("DejaVuSerif.ttf", "LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf")
MONO = ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "LiberationMono-Regular.ttf", "LiberationMono-Bold.ttf")
MARKER = ("DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf", "LiberationSans-Italic.ttf",
          "LiberationSans-BoldItalic.ttf")

KINDS = ("ehr_beside", "ehr_above", "board", "whiteboard", "wristband", "lab", "signage", "face")
SIZES = ((1280, 960), (1920, 1080))
BIG_SIZE = (4000, 3000)  # 12 MP: the phone photo whose background name plates are ~15 px high

SIGNAGE = ("EXIT", "Hand hygiene saves lives", "Authorized personnel only", "Please wash your hands",
           "Oxygen in use", "Clean utility", "Nurses station", "Caution wet floor", "Visitors please check in",
           "Fire extinguisher", "Keep door closed", "Soiled linen", "Staff only", "Quiet please")
DRUGS = ("Metoprolol 25 mg", "Heparin 5000 units", "Lisinopril 10 mg", "Acetaminophen 650 mg", "Ondansetron 4 mg",
         "Amoxicillin 500 mg", "Insulin glargine", "Furosemide 40 mg", "Atorvastatin 20 mg", "Vancomycin 1 g IV")
VITALS = ("HR 72", "BP 118/76", "SpO2 98%", "RR 16", "Temp 37.1 C", "Pain 2/10", "HR 88", "SpO2 95%")
LABS = ("Sodium 140 mmol/L", "Potassium 4.1 mmol/L", "Glucose 96 mg/dL", "Creatinine 0.9 mg/dL",
        "Hemoglobin 13.8 g/dL", "WBC 7.2 K/uL", "Platelets 250 K/uL", "Chloride 102 mmol/L")
STATUS = ("NPO", "Fall risk", "Ready", "Pending labs", "Isolation", "Tele", "PT eval", "Consult")
STREETS = ("Oak", "Maple", "Cedar", "Pine", "Elm", "Washington", "Lake", "Hill", "Park", "Walnut", "Sunset")
STREET_TYPES = ("Street", "Ave", "Road", "Lane", "Drive", "Blvd")
CITIES = (("Springfield", "IL", "627"), ("Columbus", "OH", "432"), ("Madison", "WI", "537"),
          ("Portland", "OR", "972"), ("Albany", "NY", "122"), ("Austin", "TX", "787"), ("Denver", "CO", "802"))
MAIL = ("gmail.com", "yahoo.com", "outlook.com", "icloud.com")

# skimage.data.astronaut(): the head cut out for compositing, and the face inside it (forehead to chin).
HEAD_CROP: Box = (140, 10, 310, 230)
FACE_IN_HEAD: Box = (30, 52, 130, 180)


@dataclass(frozen=True)
class Region:
    box: Box
    text: str
    label: str  # phi | keep | neutral | face
    category: str  # findings category for phi/face (name, mrn, dob …, face); a kind of text for keep/neutral

    @property
    def safe_harbor(self) -> str:
        return safe_harbor_of(self.category) if self.label in ("phi", "face") else ""

    def to_json(self) -> dict:
        return {"box": list(self.box), "text": self.text, "label": self.label, "category": self.category,
                "safe_harbor": self.safe_harbor}


@dataclass
class Scene:
    name: str
    kind: str
    seed: int
    width: int
    height: int
    jpeg: bytes  # the scene as the file the scanner reads
    regions: list[Region] = field(default_factory=list)
    text_px: int = 0  # font size the panel text was drawn at (before perspective)

    def rgb(self) -> np.ndarray:
        return cv2.cvtColor(cv2.imdecode(np.frombuffer(self.jpeg, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)

    def truth(self) -> dict:
        return {"name": self.name, "kind": self.kind, "seed": self.seed, "width": self.width, "height": self.height,
                "text_px": self.text_px, "regions": [r.to_json() for r in self.regions]}


# ---------------------------------------------------------------- identities


@lru_cache(maxsize=None)
def _census(file: str, top: int) -> tuple[str, ...]:
    import names

    p = Path(names.__file__).parent / file
    with open(p) as fh:
        return tuple(line.split()[0].title() for _, line in zip(range(top), fh) if line.strip())


def person(rng: random.Random) -> tuple[str, str]:
    first = rng.choice(_census(rng.choice(("dist.female.first", "dist.male.first")), 400))
    return first, rng.choice(_census("dist.all.last", 3000))


def name_text(rng: random.Random, first: str, last: str) -> str:
    return rng.choice((f"{last.upper()}, {first.upper()}", f"{last}, {first}", f"{first} {last}",
                       f"{last.upper()}, {first[0]}", f"{first[0]}. {last}"))


def mrn(rng: random.Random) -> str:
    return str(rng.randrange(10 ** 6, 10 ** 8)).zfill(rng.choice((7, 8)))


def date_text(rng: random.Random, y0: int = 1930, y1: int = 2010) -> str:
    y, m, d = rng.randint(y0, y1), rng.randint(1, 12), rng.randint(1, 28)
    mon = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")[m - 1]
    return rng.choice((f"{m:02d}/{d:02d}/{y}", f"{y}-{m:02d}-{d:02d}", f"{d:02d}-{mon}-{y}", f"{m}/{d}/{y}"))


def phone(rng: random.Random) -> str:
    a, b, c = rng.randint(201, 989), rng.randint(201, 989), rng.randint(0, 9999)
    return rng.choice((f"({a}) {b}-{c:04d}", f"{a}-{b}-{c:04d}", f"{a}.{b}.{c:04d}"))


def ssn(rng: random.Random) -> str:
    return f"{rng.randint(101, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"


def email(rng: random.Random, first: str, last: str) -> str:
    return f"{first.lower()}{rng.choice(('.', '_', ''))}{last.lower()}{rng.randint(1, 99)}@{rng.choice(MAIL)}"


def address(rng: random.Random) -> tuple[str, str]:
    city, st, zip3 = rng.choice(CITIES)
    return (f"{rng.randint(12, 9899)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}",
            f"{city}, {st} {zip3}{rng.randint(0, 99):02d}")


def room(rng: random.Random) -> str:
    return f"{rng.randint(1, 6)}{rng.randint(1, 40):02d}{rng.choice(('', 'A', 'B'))}"


# ---------------------------------------------------------------- panels


@lru_cache(maxsize=None)
def _font_path(name: str) -> Optional[str]:
    for d in FONT_DIRS:
        if (d / name).is_file():
            return str(d / name)
    return None


def font(rng: random.Random, family: tuple[str, ...], size: int) -> ImageFont.FreeTypeFont:
    paths = [p for p in (_font_path(n) for n in family) if p] or [_font_path("DejaVuSans.ttf")]
    if not paths[0]:
        raise RuntimeError("no DejaVu/Liberation fonts: apt-get install fonts-dejavu-core fonts-liberation2")
    return ImageFont.truetype(rng.choice(paths), size)


class Panel:
    """A flat, upright thing with text on it; every text item drawn is recorded with its ink box."""

    def __init__(self, w: int, h: int, colour: tuple[int, int, int]):
        # Room to spare: a long email or a wide bold font may run past the nominal size; `image()` crops to fit.
        self.w, self.h = max(8, w), max(8, h)
        self.canvas = Image.new("RGB", (int(self.w * 1.6), int(self.h * 1.4)), colour)
        self.draw = ImageDraw.Draw(self.canvas)
        self.items: list[Region] = []

    def image(self) -> Image.Image:
        margin = max(4, self.w // 40)
        w = max(self.w, max((r.box[2] for r in self.items), default=0) + margin)
        h = max(self.h, max((r.box[3] for r in self.items), default=0) + margin)
        return self.canvas.crop((0, 0, min(w, self.canvas.width), min(h, self.canvas.height)))

    def text(self, x: float, y: float, s: str, fnt, fill, label: str, category: str) -> Box:
        self.draw.text((x, y), s, font=fnt, fill=fill)
        b = tuple(int(v) for v in self.draw.textbbox((x, y), s, font=fnt))
        self.items.append(Region(b, s, label, category))
        return b


def _phi_fields(rng: random.Random) -> list[tuple[str, str, str]]:
    """(label, value, category) for one patient: the fields an EHR header or a lab report shows."""
    first, last = person(rng)
    street, city = address(rng)
    fields = [("Patient:", name_text(rng, first, last), "name"), ("MRN:", mrn(rng), "mrn"),
              ("DOB:", date_text(rng), "dob")]
    extra = [("Phone:", phone(rng), "phone"), ("Email:", email(rng, first, last), "email"),
             ("SSN:", ssn(rng), "ssn"), ("Address:", street, "address"), ("", city, "address"),
             ("Room:", room(rng), "room")]
    picked = set(rng.sample(range(len(extra)), rng.randint(2, 4)))
    if picked & {3, 4}:  # street and city lines go together
        picked |= {3, 4}
    picked = sorted(picked)
    return fields + [extra[i] for i in picked]


def panel_ehr(rng: random.Random, fs: int, above: bool) -> Panel:
    dark = rng.random() < 0.35
    bg, fg, dim = ((28, 32, 40), (235, 235, 235), (150, 160, 175)) if dark else \
        ((245, 247, 250), (20, 20, 25), (105, 110, 120))
    f_val, f_lab = font(rng, SANS, fs), font(rng, SANS, max(10, int(fs * (0.75 if above else 1.0))))
    fields = _phi_fields(rng)
    w = int(fs * rng.uniform(26, 34))
    rows = len(fields) * (2 if above else 1) + 6
    p = Panel(w, int(rows * fs * 1.55 + 3 * fs), bg)
    p.draw.rectangle((0, 0, p.canvas.width, int(fs * 2.2)), fill=(40, 90, 160))
    p.text(fs * 0.6, fs * 0.5, rng.choice(("Patient Chart", "Summary", "Clinical Overview")), font(rng, SANS, fs),
           (255, 255, 255), "neutral", "header")
    y = fs * 3.0
    for lab, val, cat in fields:
        if above:
            if lab:
                p.text(fs, y, lab.rstrip(":"), f_lab, dim, "neutral", "label")
                y += fs * 1.1
            p.text(fs, y, val, f_val, fg, "phi", cat)
            y += fs * 1.6
        else:
            x = fs
            if lab:
                b = p.text(x, y, lab, f_lab, dim, "neutral", "label")
                x = b[2] + fs * rng.uniform(0.4, 1.2)
            else:
                x = fs + f_lab.getlength("Address:") + fs * 0.8
            p.text(x, y, val, f_val, fg, "phi", cat)
            y += fs * 1.55
    # The clinical half of the screen: vitals and medications, innocuous without the identity block above.
    y += fs * 0.6
    p.draw.line((fs, y, w - fs, y), fill=dim, width=max(1, fs // 12))
    y += fs * 0.6
    for s in rng.sample(VITALS, 2) + rng.sample(DRUGS, 2):
        p.text(fs, y, s, f_val, fg, "keep", "vitals" if s in VITALS else "drug")
        y += fs * 1.55
    return p


def panel_board(rng: random.Random, fs: int, marker: bool) -> Panel:
    """A tracker board (printed rows) or a whiteboard (marker rows): ROOM  LAST, F  status."""
    n = rng.randint(4, 7)
    fam = MARKER if marker else rng.choice((SANS, MONO))
    f = font(rng, fam, fs)
    w = int(fs * rng.uniform(22, 28))
    p = Panel(w, int((n + 2.5) * fs * 1.8), (250, 250, 246) if marker else (235, 240, 245))
    ink = rng.choice(((20, 40, 160), (20, 20, 20), (170, 20, 20))) if marker else (15, 15, 15)
    p.text(fs, fs * 0.6, rng.choice(("Room   Patient   Status", "ROOM  PATIENT  NOTES", "Unit 4 West")),
           font(rng, fam, max(10, int(fs * 0.9))), ink, "neutral", "header")
    y = fs * 2.6
    for _ in range(n):
        first, last = person(rng)
        jx, jy = (rng.uniform(-0.3, 0.3) * fs, rng.uniform(-0.15, 0.15) * fs) if marker else (0, 0)
        b = p.text(fs + jx, y + jy, room(rng), f, ink, "phi", "room")
        nm = rng.choice((f"{last.upper()}, {first[0]}", f"{last}, {first[0]}.", f"{last.upper()}"))
        b = p.text(max(b[2] + fs * 1.5, fs * 5.5) + jx, y + jy, nm, f, ink, "phi", "name")
        if rng.random() < 0.6:
            p.text(max(b[2] + fs * 1.5, fs * 15) + jx, y + jy, rng.choice(STATUS), f, ink, "neutral", "status")
        y += fs * 1.8
    return p


def panel_wristband(rng: random.Random, fs: int) -> Panel:
    first, last = person(rng)
    f = font(rng, rng.choice((SANS, MONO)), fs)
    w = int(fs * rng.uniform(22, 28))
    p = Panel(w, int(fs * 5.2), rng.choice(((252, 252, 252), (255, 250, 235), (240, 248, 255))))
    x = fs * 0.8
    p.text(x, fs * 0.4, name_text(rng, first, last), font(rng, SANS[1:2] + SANS[4:], fs), (10, 10, 10), "phi",
           "name")
    b = p.text(x, fs * 1.9, f"MRN {mrn(rng)}", f, (10, 10, 10), "phi", "mrn")
    p.text(x, fs * 3.4, f"DOB {date_text(rng)}", f, (10, 10, 10), "phi", "dob")
    # A barcode beside the text: drawn as bars, neutral (the barcode detector owns it).
    bx = int(max(b[2], x + fs * 12) + fs)
    for i in range(rng.randint(25, 40)):
        if bx > w - fs:
            break
        bw = rng.choice((1, 1, 2, 3)) * max(1, fs // 10)
        p.draw.rectangle((bx, fs * 1.8, bx + bw - 1, fs * 4.4), fill=(0, 0, 0))
        bx += bw + rng.choice((1, 2)) * max(1, fs // 10)
    return p


def panel_lab(rng: random.Random, fs: int) -> Panel:
    fam = rng.choice((SERIF, SANS, MONO))
    f, fb = font(rng, fam, fs), font(rng, fam, int(fs * 1.2))
    fields = _phi_fields(rng)[:5]
    labs = rng.sample(LABS, 4)
    w = int(fs * rng.uniform(26, 32))
    p = Panel(w, int((len(fields) + len(labs) + 5) * fs * 1.6), (250, 250, 248))
    p.text(fs, fs * 0.8, "LABORATORY REPORT", fb, (0, 0, 0), "neutral", "header")
    y = fs * 3
    for lab, val, cat in fields:
        x = fs
        if lab:
            b = p.text(x, y, lab, f, (40, 40, 40), "neutral", "label")
            x = b[2] + fs * 0.6
        else:
            x = fs + f.getlength("Address:") + fs * 0.6
        p.text(x, y, val, f, (0, 0, 0), "phi", cat)
        y += fs * 1.5
    y += fs * 0.8
    for s in labs:
        p.text(fs, y, s, f, (0, 0, 0), "keep", "lab")
        y += fs * 1.5
    return p


def panel_signage(rng: random.Random, fs: int) -> Panel:
    signs = rng.sample(SIGNAGE, 2) + [rng.choice(DRUGS), rng.choice(VITALS)]
    fnts = [font(rng, SANS, int(fs * rng.uniform(1.0, 1.8))) for _ in signs]
    w = int(max(f.getlength(s) for s, f in zip(signs, fnts)) + 2 * fs)
    p = Panel(w, int(sum(f.size * 1.7 for f in fnts) + fs), rng.choice(((20, 120, 60), (250, 250, 250),
                                                                            (30, 60, 140))))
    fg = (255, 255, 255) if p.canvas.getpixel((0, 0))[0] < 100 else (20, 20, 20)
    y = fs * 0.5
    for s, f in zip(signs, fnts):
        p.text(fs, y, s, f, fg, "keep", "vitals" if s in VITALS else "drug" if s in DRUGS else "signage")
        y += f.size * 1.7
    return p


def make_panel(kind: str, rng: random.Random, fs: int) -> Optional[Panel]:
    if kind in ("ehr_beside", "ehr_above"):
        return panel_ehr(rng, fs, above=kind == "ehr_above")
    if kind in ("board", "whiteboard"):
        return panel_board(rng, fs, marker=kind == "whiteboard")
    if kind == "wristband":
        return panel_wristband(rng, fs)
    if kind == "lab":
        return panel_lab(rng, fs)
    if kind == "signage":
        return panel_signage(rng, fs)
    return None  # a face scene: the face is the subject, maybe a small sign behind


# ---------------------------------------------------------------- compositing


def background(rng: random.Random, w: int, h: int) -> np.ndarray:
    """A wall with furniture-like blocks, lines and blobs: clutter for the detectors to ignore."""
    base = np.array([rng.randint(120, 230) for _ in range(3)], np.float32)
    small = np.empty((max(2, h // 16), max(2, w // 16), 3), np.float32)
    grad = np.linspace(rng.uniform(0.75, 1.0), rng.uniform(0.85, 1.1), small.shape[0])[:, None, None]
    small[:] = base * grad
    img = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).clip(0, 255).astype(np.uint8)
    for _ in range(rng.randint(4, 10)):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        x1, y1 = x0 + rng.randint(w // 20, w // 3), y0 + rng.randint(h // 20, h // 2)
        cv2.rectangle(img, (x0, y0), (x1, y1), tuple(rng.randint(30, 240) for _ in range(3)), -1)
    for _ in range(rng.randint(3, 8)):
        cv2.line(img, (rng.randrange(w), rng.randrange(h)), (rng.randrange(w), rng.randrange(h)),
                 tuple(rng.randint(0, 255) for _ in range(3)), rng.randint(1, max(2, w // 300)))
    for _ in range(rng.randint(2, 6)):
        cv2.circle(img, (rng.randrange(w), rng.randrange(h)), rng.randint(w // 80, w // 15),
                   tuple(rng.randint(0, 255) for _ in range(3)), -1)
    return img


def _transform_box(hm: np.ndarray, b: Box, w: int, h: int) -> Box:
    pts = np.array([[b[0], b[1]], [b[2], b[1]], [b[2], b[3]], [b[0], b[3]]], np.float32).reshape(-1, 1, 2)
    return geometry.clip(geometry.from_points(cv2.perspectiveTransform(pts, hm).reshape(-1, 2)), w, h)


def place_panel(rng: random.Random, canvas: np.ndarray, panel: Panel, tilt: float, max_rot: float) -> tuple[
        Box, list[Region]]:
    """Warp `panel` onto `canvas` (in place) under a small random perspective and rotation; ground truth follows."""
    H, W = canvas.shape[:2]
    img = panel.image()
    pw, ph = img.size
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    jitter = np.array([[rng.uniform(-tilt, tilt) * pw, rng.uniform(-tilt, tilt) * ph] for _ in range(4)], np.float32)
    a = np.deg2rad(rng.uniform(-max_rot, max_rot))
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], np.float32)
    dst = (src + jitter - [pw / 2, ph / 2]) @ rot.T
    dst -= dst.min(axis=0)
    span = dst.max(axis=0)
    dst += [rng.uniform(0, max(1.0, W - span[0])), rng.uniform(0, max(1.0, H - span[1]))]
    hm = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    rgba = np.dstack([np.asarray(img), np.full((ph, pw), 255, np.uint8)])
    warped = cv2.warpPerspective(rgba, hm, (W, H), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0))
    alpha = warped[:, :, 3:4].astype(np.float32) / 255
    canvas[:] = (canvas * (1 - alpha) + warped[:, :, :3] * alpha).astype(np.uint8)
    regions = [Region(_transform_box(hm, r.box, W, H), r.text, r.label, r.category) for r in panel.items]
    return geometry.clip(geometry.from_points(dst), W, H), regions


@lru_cache(maxsize=1)
def _head_rgba() -> np.ndarray:
    from skimage.data import astronaut

    x0, y0, x1, y1 = HEAD_CROP
    head = astronaut()[y0:y1, x0:x1]
    h, w = head.shape[:2]
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (w // 2, int(h * 0.5)), (int(w * 0.46), int(h * 0.49)), 0, 0, 360, 255, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), 4)
    return np.dstack([head, mask])


def composite_face(rng: random.Random, canvas: np.ndarray, face_h: int, avoid: list[Box]) -> Optional[Region]:
    """Paste the astronaut's head so her face is `face_h` px tall; flipped, turned, squeezed (a turned head) or
    partly hidden (a surgical mask, or the edge of a door). Returns the face's ground truth, or None if no room."""
    H, W = canvas.shape[:2]
    head = _head_rgba()
    s = face_h / geometry.height(FACE_IN_HEAD)
    sx = s * (rng.uniform(0.7, 0.9) if rng.random() < 0.3 else 1.0)  # yaw, roughly
    hw, hh = max(4, int(head.shape[1] * sx)), max(4, int(head.shape[0] * s))
    img = cv2.resize(head, (hw, hh), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)
    fx0, fy0, fx1, fy1 = FACE_IN_HEAD
    face = [fx0 * sx, fy0 * s, fx1 * sx, fy1 * s]
    if rng.random() < 0.5:
        img = img[:, ::-1].copy()
        face = [hw - face[2], face[1], hw - face[0], face[3]]
    angle = rng.uniform(-25, 25) if rng.random() < 0.4 else 0.0
    m = cv2.getRotationMatrix2D((hw / 2, hh / 2), angle, 1.0)
    img = cv2.warpAffine(img, m, (hw, hh), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0, 0))
    # A face is an ellipse, not its box: the turned face's ground truth is the box around the turned ellipse
    # (turning the box itself would add corners of hair and background that no face detector should be asked for).
    a, b = (face[2] - face[0]) / 2, (face[3] - face[1]) / 2
    cx, cy = m @ [(face[0] + face[2]) / 2, (face[1] + face[3]) / 2, 1]
    t = np.deg2rad(angle)
    ex, ey = np.hypot(a * np.cos(t), b * np.sin(t)), np.hypot(a * np.sin(t), b * np.cos(t))
    face_box = geometry.from_points([(cx - ex, cy - ey), (cx + ex, cy + ey)])
    if hw >= W or hh >= H:
        return None
    for _ in range(30):
        x, y = rng.randrange(0, W - hw), rng.randrange(0, H - hh)
        fb = geometry.clip(geometry.translate(face_box, x, y), W, H)
        if all(geometry.intersection(geometry.pad(fb, face_h // 4), a) == 0 for a in avoid):
            break
    else:
        return None
    region = canvas[y:y + hh, x:x + hw]
    alpha = img[:, :, 3:4].astype(np.float32) / 255
    region[:] = (region * (1 - alpha) + img[:, :, :3] * alpha).astype(np.uint8)
    hide = rng.random()
    if hide < 0.2:  # surgical mask over nose and mouth: still a face to redact, whole
        mx0, my0, mx1, my1 = fb
        cy = my0 + int(0.58 * (my1 - my0))
        cv2.rectangle(canvas, (mx0 + (mx1 - mx0) // 10, cy), (mx1 - (mx1 - mx0) // 10, my1 - (my1 - my0) // 20),
                      (140, 190, 215), -1)
    elif hide < 0.35:  # a door edge hides one side: only the visible part is ground truth
        cut = int(0.3 * (fb[2] - fb[0]))
        cv2.rectangle(canvas, (fb[0] - face_h // 3, max(0, fb[1] - face_h // 2)), (fb[0] + cut, min(H, fb[3] + face_h)),
                      (90, 70, 50), -1)
        fb = (fb[0] + cut, fb[1], fb[2], fb[3])
    return Region(fb, "", "face", "face")


def degrade(rng: random.Random, img: np.ndarray, big: bool) -> tuple[np.ndarray, int]:
    """Camera and upload damage: defocus, sensor noise; returns the image and the JPEG quality to save it at."""
    sigma = rng.choice((0.0, 0.0, 0.4, 0.7, 1.0)) * (0.6 if big else 1.0)
    if sigma:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    noise = rng.uniform(0, 5)
    if noise > 0.5:
        nrng = np.random.default_rng(rng.randrange(2 ** 32))
        img = np.clip(img + nrng.normal(0, noise, img.shape), 0, 255).astype(np.uint8)
    return img, rng.randint(60, 95)


def make_scene(kind: str, seed: int, size: tuple[int, int], name: str = "", face_p: float = 0.3) -> Scene:
    rng = random.Random(seed)
    W, H = size
    big = max(size) >= 3000
    canvas = background(rng, W, H)
    regions: list[Region] = []
    avoid: list[Box] = []
    # Font size: far background in a 12 MP photo (16-26 px: lines 13-28 px high), desk-to-room distance otherwise.
    fs = rng.randint(16, 26) if big else rng.randint(16, 32)
    panel = make_panel(kind, rng, fs) if kind != "face" else (
        panel_signage(rng, fs) if rng.random() < 0.5 else None)
    if panel is not None:
        pw, ph = panel.image().size
        limit = min(0.9 * W / pw, 0.85 * H / ph)
        if limit < 1:  # never bigger than the frame: shrink the text and draw again
            fs = max(12, int(fs * limit))
            panel = make_panel(kind, random.Random(seed + 1), fs) if kind != "face" else panel_signage(
                random.Random(seed + 1), fs)
        box, regs = place_panel(rng, canvas, panel, tilt=0.04, max_rot=12 if kind == "wristband" else 4)
        regions += regs
        avoid.append(box)
    n_faces = rng.randint(1, 3) if kind == "face" else (1 if rng.random() < face_p else 0)
    for _ in range(n_faces):
        face_h = int(rng.choice((rng.uniform(40, 90), rng.uniform(90, 250), rng.uniform(250, 0.55 * H))))
        r = composite_face(rng, canvas, face_h, avoid)
        if r is not None:
            regions.append(r)
            avoid.append(r.box)
    img, quality = degrade(rng, canvas, big)
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return Scene(name or f"{kind}_{seed}", kind, seed, W, H, buf.tobytes(), regions, fs)


def scene_plan(n: int, big: bool = False, seed: int = 0) -> list[tuple[str, int, tuple[int, int]]]:
    """(kind, seed, size) for n scenes: kinds in rotation; with `big`, every third scene is a 12 MP photo."""
    plan = []
    for i in range(n):
        size = BIG_SIZE if big and i % 3 == 2 else SIZES[i % len(SIZES)]
        plan.append((KINDS[i % len(KINDS)], seed * 100_000 + i, size))
    return plan


def generate(n: int, big: bool = False, seed: int = 0):
    """Yield n scenes (one at a time: a 12 MP scene is 36 MB of pixels)."""
    for i, (kind, s, size) in enumerate(scene_plan(n, big, seed)):
        yield make_scene(kind, s, size, name=f"{i:03d}_{kind}_{size[0]}x{size[1]}")
