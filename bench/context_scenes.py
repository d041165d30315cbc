"""Synthetic scenes with ground truth for screens/whiteboards, wristbands/labels/barcodes and licence plates, plus
hard negatives (signs, car badges, AMBULANCE lettering, posters, windows, picture frames, patterned cloth), and a
scorer printing recall and false positives per kind.

    python -m bench.context_scenes [--n 12] [--seed 7] [--no-ocr] [--save DIR]

No real patient anywhere: every name, number and plate is generated. Drawing helpers are importable (the tests use
them to draw their own small scenes).
"""
from __future__ import annotations

import argparse
import random
import string
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from scanner import geometry
from scanner.findings import Box

FONT_DIR = "/usr/share/fonts/truetype"
FONTS = {
    "sans": f"{FONT_DIR}/dejavu/DejaVuSans.ttf",
    "bold": f"{FONT_DIR}/dejavu/DejaVuSans-Bold.ttf",
    "mono": f"{FONT_DIR}/dejavu/DejaVuSansMono.ttf",
    "cond": f"{FONT_DIR}/dejavu/DejaVuSansCondensed-Bold.ttf",
    "hand": f"{FONT_DIR}/dejavu/DejaVuSans-Oblique.ttf",
}
SURNAMES = ["GARCIA", "NGUYEN", "OKAFOR", "KOWALSKI", "MORENO", "LINDQVIST", "HASSAN", "BRENNAN", "TANAKA",
            "PETROV", "SILVA", "MULLER", "DUBOIS", "ADEYEMI", "CHEN", "FITZGERALD"]
GIVEN = ["MARIA", "JAMES", "AMARA", "PIOTR", "LUCIA", "ERIK", "LAYLA", "SEAN", "YUKI", "IVAN", "ANA", "HANS"]


def font(size: int, name: str = "sans") -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONTS[name], max(6, int(size)))


@dataclass
class Truth:
    kind: str  # screen | wristband | label | barcode | plate | negative
    box: Box
    context: Optional[str] = None  # monitor | whiteboard for screens; the negative's type for negatives
    text: Optional[str] = None


@dataclass
class Scene:
    name: str
    rgb: np.ndarray
    truths: list[Truth] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- drawing helpers
def wall(w: int, h: int, rng: random.Random) -> np.ndarray:
    """A plain but not flat background: a soft gradient with sensor noise."""
    base = np.array([rng.randint(120, 210) for _ in range(3)], np.float32)
    yy = np.linspace(-1, 1, h)[:, None, None]
    img = base + 25 * yy + np.random.default_rng(rng.randint(0, 10**6)).normal(0, 3, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def paste_warped(dst: np.ndarray, patch: np.ndarray, quad: np.ndarray, mask: Optional[np.ndarray] = None) -> Box:
    """Paste `patch` (RGB) onto `dst` so its corners land on `quad` (4x2, TL TR BR BL); returns the covered box."""
    ph, pw = patch.shape[:2]
    src = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    m = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
    h, w = dst.shape[:2]
    warped = cv2.warpPerspective(patch, m, (w, h), flags=cv2.INTER_AREA)
    alpha = cv2.warpPerspective(mask if mask is not None else np.full((ph, pw), 255, np.uint8), m, (w, h),
                                flags=cv2.INTER_LINEAR).astype(np.float32)[..., None] / 255.0
    dst[:] = (dst * (1 - alpha) + warped * alpha).astype(np.uint8)
    return geometry.clip(geometry.from_points(quad), w, h)


def rect_quad(x: float, y: float, w: float, h: float, angle: float = 0.0, persp: float = 0.0) -> np.ndarray:
    """Corners of a w x h rectangle at (x, y) turned by `angle` degrees about its centre, one side shrunk by
    `persp` (0..0.3) to fake a perspective view."""
    q = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    if persp:
        q[1, 1] += persp * h / 2
        q[2, 1] -= persp * h / 2
    c = np.array([w / 2, h / 2], np.float32)
    a = np.deg2rad(angle)
    r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]], np.float32)
    return (q - c) @ r.T + c + np.array([x, y], np.float32)


def ehr_patch(w: int, h: int, rng: random.Random, dark: bool = False, line_px: int = 14) -> np.ndarray:
    """An EHR / tracker-board screen: a title bar, then rows of room, surname, MRN and DOB in columns."""
    bg, fg = ((18, 22, 30), (225, 230, 235)) if dark else ((248, 248, 250), (25, 25, 30))
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, w, line_px * 2], fill=(30, 80, 160))
    d.text((6, line_px // 3), "Emergency Dept - Tracking Board", font=font(line_px, "bold"), fill=(255, 255, 255))
    y = line_px * 3
    f = font(line_px, "sans")
    while y + line_px < h - 4:
        room = f"{rng.randint(1, 40)}{rng.choice('ABCD')}"
        row = [room, f"{rng.choice(SURNAMES)}, {rng.choice(GIVEN)}", f"MRN {rng.randint(10**7, 10**8 - 1)}",
               f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(1930, 2010)}"]
        x = 6
        for col, text in zip((0.0, 0.1, 0.42, 0.72), row):
            d.text((6 + col * (w - 12), y), text, font=f, fill=fg)
            x += 1
        if rng.random() < 0.5:
            d.line([(0, y + line_px + 3), (w, y + line_px + 3)], fill=(160, 160, 170))
        y += int(line_px * 1.7)
    return np.array(img)


def monitor_patch(w: int, h: int, rng: random.Random, line_px: int = 14, dark: bool = False,
                  bezel: int = 12) -> np.ndarray:
    inner = ehr_patch(w - 2 * bezel, h - 2 * bezel, rng, dark=dark, line_px=line_px)
    out = np.full((h, w, 3), rng.randint(15, 45), np.uint8)
    out[bezel:h - bezel, bezel:w - bezel] = inner
    return out


def whiteboard_patch(w: int, h: int, rng: random.Random, line_px: int = 18) -> np.ndarray:
    img = Image.new("RGB", (w, h), (246, 246, 242))
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, w - 1, h - 1], outline=(170, 170, 175), width=6)
    d.text((16, 12), "PATIENT BOARD", font=font(line_px + 4, "bold"), fill=(30, 30, 120))
    y = 24 + line_px * 2
    colours = [(20, 40, 150), (20, 20, 20), (170, 20, 20), (10, 110, 40)]
    while y + line_px < h - 12:
        c = rng.choice(colours)
        d.text((16, y), f"{rng.randint(1, 30)}{rng.choice('AB')}", font=font(line_px, "hand"), fill=c)
        d.text((16 + w * 0.15, y), rng.choice(SURNAMES).title(), font=font(line_px, "hand"), fill=c)
        d.text((16 + w * 0.55, y), rng.choice(["NPO", "Falls risk", "DC today", "CT 14:00", "Isolation"]),
               font=font(line_px, "hand"), fill=c)
        y += int(line_px * 1.9)
    return np.array(img)


def barcode_patch(payload: str, height: int, fmt: str = "Code128", width: Optional[int] = None) -> np.ndarray:
    """A real, decodable barcode (zxing-cpp writes it) as RGB, `height` px tall (and `width` wide if given)."""
    import zxingcpp

    bc = zxingcpp.create_barcode(payload, getattr(zxingcpp.BarcodeFormat, fmt))
    img = np.asarray(zxingcpp.write_barcode_to_image(bc, scale=2, add_quiet_zones=True, add_hrt=False))
    img = img if img.ndim == 2 else img[..., 0]
    if fmt == "Code128":
        img = cv2.resize(img, (width or img.shape[1], height), interpolation=cv2.INTER_NEAREST)
    else:
        img = cv2.resize(img, (height, height), interpolation=cv2.INTER_NEAREST)
    return np.dstack([img] * 3)


def wristband_patch(length: int, width: int, rng: random.Random, with_barcode: bool = True,
                    colour=(250, 250, 248)) -> tuple[np.ndarray, str]:
    """A band strip (horizontal): surname, given name, DOB and MRN in small print, and a Code 128 of the MRN."""
    img = Image.new("RGB", (length, width), colour)
    d = ImageDraw.Draw(img)
    mrn = f"{rng.randint(10**7, 10**8 - 1)}"
    name = f"{rng.choice(SURNAMES)}, {rng.choice(GIVEN)}"
    px = max(7, int(width * 0.26))
    d.text((int(width * 0.4), int(width * 0.08)), name, font=font(px, "bold"), fill=(10, 10, 10))
    d.text((int(width * 0.4), int(width * 0.08) + px + 2),
           f"DOB {rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(1930, 2010)}  MRN {mrn}",
           font=font(px * 0.85, "sans"), fill=(10, 10, 10))
    arr = np.array(img)
    if with_barcode:
        bc = barcode_patch(mrn, int(width * 0.8))  # 2 px per module, as printed: decodable after the warp
        bx = length - bc.shape[1] - 6
        arr[int(width * 0.1):int(width * 0.1) + bc.shape[0], bx:bx + bc.shape[1]] = bc
    return arr, mrn


def plate_patch(style: str, rng: random.Random, width: int = 240) -> tuple[np.ndarray, str]:
    """A licence plate: 'us' (2:1, state name on top), 'eu' (4.7:1, blue band), 'uk' (yellow rear),
    'two' (two-line, 1.6:1)."""
    L, D = string.ascii_uppercase.replace("O", "").replace("I", ""), string.digits
    if style == "us":
        text = f"{rng.randint(1, 9)}{''.join(rng.choices(L, k=3))}{''.join(rng.choices(D, k=3))}"
        w, h = width, width // 2
        img = Image.new("RGB", (w, h), (245, 245, 240))
        d = ImageDraw.Draw(img)
        d.rectangle([2, 2, w - 3, h - 3], outline=(30, 40, 110), width=max(2, w // 60))
        d.text((w // 2, h * 0.16), rng.choice(["CALIFORNIA", "TEXAS", "OHIO", "NEW YORK"]),
               font=font(h * 0.14, "bold"), fill=(160, 20, 20), anchor="mm")
        d.text((w // 2, h * 0.6), text, font=_fitting_font(d, text, h * 0.5, 0.86 * w), fill=(20, 30, 90),
               anchor="mm")
    elif style in ("eu", "uk"):
        if style == "eu":
            text = f"{''.join(rng.choices(L, k=2))}-{''.join(rng.choices(D, k=3))}-{''.join(rng.choices(L, k=2))}"
        else:
            text = f"{''.join(rng.choices(L, k=2))}{''.join(rng.choices(D, k=2))} {''.join(rng.choices(L, k=3))}"
        w, h = width, int(width / 4.7)
        bg = (245, 245, 245) if style == "eu" else (250, 205, 20)
        img = Image.new("RGB", (w, h), bg)
        d = ImageDraw.Draw(img)
        d.rectangle([0, 0, w - 1, h - 1], outline=(20, 20, 20), width=max(2, h // 20))
        x0 = 4
        if style == "eu":
            d.rectangle([2, 2, int(h * 0.45), h - 3], fill=(20, 50, 160))
            x0 = int(h * 0.45)
        d.text(((w + x0) // 2, h // 2), text, font=_fitting_font(d, text, h * 0.72, 0.9 * (w - x0)),
               fill=(15, 15, 15), anchor="mm")
    elif style == "two":
        top, bottom = "".join(rng.choices(L, k=3)), "".join(rng.choices(D, k=4))
        text = f"{top} {bottom}"
        w, h = width, int(width / 1.6)
        img = Image.new("RGB", (w, h), (245, 245, 245))
        d = ImageDraw.Draw(img)
        d.rectangle([1, 1, w - 2, h - 2], outline=(20, 20, 20), width=max(2, w // 50))
        d.text((w // 2, h * 0.28), top, font=font(h * 0.36, "cond"), fill=(15, 15, 15), anchor="mm")
        d.text((w // 2, h * 0.7), bottom, font=font(h * 0.4, "cond"), fill=(15, 15, 15), anchor="mm")
    else:
        raise ValueError(style)
    return np.array(img), text.replace("-", " ")


def _fitting_font(d: ImageDraw.ImageDraw, text: str, px: float, max_w: float) -> ImageFont.FreeTypeFont:
    """The condensed bold font at `px`, shrunk until `text` fits in `max_w` (plate text never runs off)."""
    f = font(px, "cond")
    while px > 6 and d.textlength(text, font=f) > max_w:
        px *= 0.93
        f = font(px, "cond")
    return f


def car_patch(w: int, h: int, rng: random.Random, colour=None) -> np.ndarray:
    """The back of a car: body, rear window, two lamps, a bumper; the plate is pasted by the caller."""
    colour = colour or tuple(rng.randint(20, 230) for _ in range(3))
    img = Image.new("RGB", (w, h), (0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle([0, 0, w - 1, h - 1], radius=h // 6, fill=colour)
    d.rounded_rectangle([w * 0.12, h * 0.06, w * 0.88, h * 0.38], radius=h // 12, fill=(60, 70, 80))
    d.rectangle([w * 0.03, h * 0.45, w * 0.18, h * 0.58], fill=(200, 20, 20))
    d.rectangle([w * 0.82, h * 0.45, w * 0.97, h * 0.58], fill=(200, 20, 20))
    d.rectangle([0, h * 0.8, w - 1, h * 0.95], fill=(35, 35, 35))
    return np.array(img)


def text_on(img: np.ndarray, xy, text: str, px: int, fill=(20, 20, 20), name="bold", anchor="la") -> None:
    pil = Image.fromarray(img)
    ImageDraw.Draw(pil).text(xy, text, font=font(px, name), fill=fill, anchor=anchor)
    img[:] = np.array(pil)


# -------------------------------------------------------------------------------------------- hard negatives
def sign_patch(rng: random.Random, w: int = 360) -> np.ndarray:
    words = rng.choice([["EXIT"], ["NURSES", "STATION"], ["AMBULANCE", "ONLY"], ["RADIOLOGY"],
                        ["NO PARKING"], ["Hand hygiene", "saves lives"]])
    h = int(w * (0.3 + 0.22 * len(words)))
    bg, fg = rng.choice([((20, 110, 40), (255, 255, 255)), ((250, 250, 250), (20, 20, 20)),
                         ((20, 60, 150), (255, 255, 255))])
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    px = int(min(h / (len(words) + 0.6), w / max(len(x) for x in words) * 1.5))
    for i, word in enumerate(words):
        d.text((w // 2, int(h * (i + 0.8) / (len(words) + 0.6))), word, font=font(px, "bold"), fill=fg,
               anchor="mm")
    return np.array(img)


def poster_patch(rng: random.Random, w: int = 300, h: int = 420) -> np.ndarray:
    img = Image.new("RGB", (w, h), tuple(rng.randint(150, 255) for _ in range(3)))
    d = ImageDraw.Draw(img)
    for _ in range(8):
        x, y, r = rng.randint(0, w), rng.randint(int(h * 0.25), int(h * 0.8)), rng.randint(15, 70)
        d.ellipse([x - r, y - r, x + r, y + r], fill=tuple(rng.randint(0, 255) for _ in range(3)))
    d.text((w // 2, h * 0.1), rng.choice(["FLU SEASON", "WASH HANDS", "WELCOME"]), font=font(w * 0.11, "bold"),
           fill=(20, 20, 20), anchor="mm")
    d.text((w // 2, h * 0.9), "Ask us about your vaccine", font=font(w * 0.055), fill=(20, 20, 20), anchor="mm")
    return np.array(img)


def window_patch(rng: random.Random, w: int = 320, h: int = 260) -> np.ndarray:
    sky = np.linspace(235, 180, h)[:, None, None] * np.array([0.8, 0.9, 1.0])
    img = np.broadcast_to(sky, (h, w, 3)).astype(np.uint8).copy()
    cv2.rectangle(img, (0, 0), (w - 1, h - 1), (240, 240, 240), 10)
    cv2.line(img, (w // 2, 0), (w // 2, h), (240, 240, 240), 8)
    cv2.line(img, (0, h // 2), (w, h // 2), (240, 240, 240), 8)
    return img


def frame_patch(rng: random.Random, w: int = 280, h: int = 220) -> np.ndarray:
    img = np.zeros((h, w, 3), np.uint8)
    img[:] = (90, 60, 30)
    inner = np.random.default_rng(rng.randint(0, 10**6)).integers(0, 255, (h // 16, w // 16, 3), dtype=np.uint8)
    inner = cv2.GaussianBlur(cv2.resize(inner, (w - 40, h - 40), interpolation=cv2.INTER_CUBIC), (9, 9), 0)
    img[20:h - 20, 20:w - 20] = inner
    return img


def cloth_patch(rng: random.Random, w: int = 300, h: int = 300) -> np.ndarray:
    kind = rng.choice(["stripes", "checks", "dots"])
    img = np.full((h, w, 3), tuple(rng.randint(150, 255) for _ in range(3)), np.uint8)
    c = tuple(rng.randint(0, 120) for _ in range(3))
    p = rng.randint(8, 20)
    if kind in ("stripes", "checks"):
        for y in range(0, h, p * 2):
            img[y:y + p] = c
    if kind == "checks":
        for x in range(0, w, p * 2):
            img[:, x:x + p] = (img[:, x:x + p] * 0.5).astype(np.uint8)
    if kind == "dots":
        for y in range(p, h, p * 2):
            for x in range(p, w, p * 2):
                cv2.circle(img, (x, y), p // 2, c, -1)
    return img


# ---------------------------------------------------------------------------------------------------- scenes
W, H = 1280, 720


def _place(rng: random.Random, w: int, h: int, taken: list[Box]) -> Optional[tuple[int, int]]:
    """A free spot for a w x h object (20 px clear of everything placed), or None when there is no room."""
    if w > W - 20 or h > H - 20:
        return None
    for _ in range(300):
        x, y = rng.randint(10, W - w - 10), rng.randint(10, H - h - 10)
        b = (x - 20, y - 20, x + w + 20, y + h + 20)
        if all(geometry.intersection(b, t) == 0 for t in taken):
            return x, y
    return None


def _add_negatives(img: np.ndarray, rng: random.Random, truths: list[Truth], taken: list[Box], k: int) -> None:
    makers: list[tuple[str, Callable[[], np.ndarray]]] = [
        ("sign", lambda: sign_patch(rng, rng.randint(200, 360))), ("poster", lambda: poster_patch(rng)),
        ("window", lambda: window_patch(rng)), ("picture_frame", lambda: frame_patch(rng)),
        ("cloth", lambda: cloth_patch(rng)), ("car_badge", lambda: badge_car(rng)),
        ("ambulance", lambda: ambulance_patch(rng))]
    for name, make in rng.sample(makers, k):
        patch = make()
        ph, pw = patch.shape[:2]
        if pw > W - 40 or ph > H - 40:
            s = min((W - 40) / pw, (H - 40) / ph)
            patch = cv2.resize(patch, (int(pw * s), int(ph * s)), interpolation=cv2.INTER_AREA)
            ph, pw = patch.shape[:2]
        spot = _place(rng, pw + 20, ph + 20, taken)
        if spot is None:  # no room left: never occlude a truth object
            continue
        x, y = spot[0] + 10, spot[1] + 10
        box = paste_warped(img, patch, rect_quad(x, y, pw, ph, rng.uniform(-4, 4)))
        taken.append(box)
        truths.append(Truth("negative", box, context=name))


def badge_car(rng: random.Random) -> np.ndarray:
    """A car back with chrome badges but no plate (the plate holder is empty)."""
    w, h = 360, 220
    car = car_patch(w, h, rng)
    text_on(car, (w * 0.1, h * 0.62), rng.choice(["GTI", "320i", "A4", "HYBRID"]), int(h * 0.1),
            fill=(210, 210, 215))
    text_on(car, (w * 0.72, h * 0.62), rng.choice(["TDI", "4MATIC", "V6"]), int(h * 0.09), fill=(210, 210, 215))
    return car


def ambulance_patch(rng: random.Random) -> np.ndarray:
    w, h = 460, 260
    img = np.full((h, w, 3), (248, 248, 245), np.uint8)
    cv2.rectangle(img, (0, int(h * 0.55)), (w, int(h * 0.63)), (30, 200, 230), -1)
    word = "AMBULANCE" if rng.random() < 0.5 else "ECNALUBMA"
    text_on(img, (w // 2, int(h * 0.3)), word, int(h * 0.16), fill=(200, 20, 20), anchor="mm")
    text_on(img, (w // 2, int(h * 0.8)), "EMERGENCY", int(h * 0.1), fill=(20, 60, 160), anchor="mm")
    return img


def scene_screen(i: int, rng: random.Random) -> Scene:
    img = wall(W, H, rng)
    truths: list[Truth] = []
    taken: list[Box] = []
    kind = rng.choice(["monitor", "monitor_dark", "whiteboard", "small_monitor", "blurred_monitor"])
    if kind == "whiteboard":
        w, h = rng.randint(520, 760), rng.randint(330, 450)
        patch, ctx = whiteboard_patch(w, h, rng, line_px=rng.randint(16, 24)), "whiteboard"
    else:
        small = kind in ("small_monitor", "blurred_monitor")
        w = rng.randint(260, 360) if small else rng.randint(480, 720)
        h = int(w * rng.uniform(0.6, 0.7))
        line_px = rng.randint(9, 12) if small else rng.randint(12, 18)
        patch, ctx = monitor_patch(w, h, rng, line_px=line_px, dark=kind == "monitor_dark"), "monitor"
        if kind == "blurred_monitor":  # a person zooming in still makes out rows; OCR does not
            patch = cv2.GaussianBlur(patch, (0, 0), 1.4)
    x, y = _place(rng, w, h, taken) or (10, 10)
    quad = rect_quad(x, y, w, h, angle=rng.uniform(-6, 6), persp=rng.choice([0.0, 0.0, 0.12, 0.22]))
    box = paste_warped(img, patch, quad)
    taken.append(box)
    truths.append(Truth("screen", box, context=ctx))
    _add_negatives(img, rng, truths, taken, 2)
    return Scene(f"screen_{i:02d}_{kind}", img, truths)


def scene_wristband(i: int, rng: random.Random) -> Scene:
    img = wall(W, H, rng)
    truths: list[Truth] = []
    taken: list[Box] = []
    angle = rng.choice([0, 30, 60, 90, -20, 45, 120])
    length, width = rng.randint(440, 560), rng.randint(48, 70)
    # The forearm: a skin-toned strip under the band, turned the same way.
    skin = tuple(rng.choice([(224, 172, 140), (141, 85, 36), (198, 134, 66), (255, 219, 172)]))
    arm = np.full((int(width * 2.6), int(length * 1.4), 3), skin, np.uint8)
    cx, cy = rng.randint(320, W - 320), rng.randint(260, H - 260)
    aq = rect_quad(cx - arm.shape[1] / 2, cy - arm.shape[0] / 2, arm.shape[1], arm.shape[0], angle)
    taken.append(paste_warped(img, arm, aq))
    band, mrn = wristband_patch(length, width, rng)
    bq = rect_quad(cx - length / 2, cy - width / 2, length, width, angle)
    box = paste_warped(img, band, bq)
    truths.append(Truth("wristband", box, context="wristband", text=mrn))
    # A specimen label with a barcode elsewhere in about half the scenes.
    if rng.random() < 0.5:
        lw, lh = 240, 90
        label = np.full((lh, lw, 3), 252, np.uint8)
        lab_id = f"{rng.randint(10**7, 10**8 - 1)}"
        text_on(label, (8, 6), f"{rng.choice(SURNAMES)}, {rng.choice(GIVEN)[0]}", 16)
        text_on(label, (8, 26), f"ID {lab_id}", 13, name="sans")
        bc = barcode_patch(lab_id, 34)
        label[52:86, 8:8 + bc.shape[1]] = bc[:, :lw - 16]
        spot = _place(rng, lw + 40, lh + 40, taken + [box])
        if spot is not None:
            lx, ly = spot[0] + 20, spot[1] + 20
            lbox = paste_warped(img, label, rect_quad(lx, ly, lw, lh, rng.uniform(-15, 15)))
            taken.append(lbox)
            truths.append(Truth("label", lbox, context="label", text=lab_id))
    _add_negatives(img, rng, truths, taken + [box], 2)
    return Scene(f"wristband_{i:02d}_{angle}deg", img, truths)


def scene_plate(i: int, rng: random.Random) -> Scene:
    """An ambulance bay: one or two cars with plates, AMBULANCE lettering and badges as hard negatives."""
    img = wall(W, H, rng)
    img[int(H * 0.65):] = (img[int(H * 0.65):] * 0.55).astype(np.uint8)  # tarmac
    truths: list[Truth] = []
    taken: list[Box] = []
    for _ in range(rng.choice([1, 1, 2])):
        style = rng.choice(["us", "eu", "uk", "two"])
        cw = rng.randint(300, 520)
        ch = int(cw * 0.62)
        car = car_patch(cw, ch, rng)
        pw = int(cw * (0.34 if style in ("us", "two") else 0.46) * rng.uniform(0.55, 1.0))
        plate, text = plate_patch(style, rng, pw)
        ph = plate.shape[0]
        px, py = (cw - pw) // 2, int(ch * 0.62)
        py = min(py, ch - ph - 4)
        car[py:py + ph, px:px + pw] = plate
        text_on(car, (cw * 0.08, ch * 0.64), rng.choice(["GTI", "320i", "HYBRID", "A4"]), int(ch * 0.07),
                fill=(210, 210, 215))
        spot = _place(rng, cw + 60, ch + 60, taken)
        if spot is None:
            continue
        x, y = spot[0] + 30, spot[1] + 30
        angle = rng.choice([0, 0, rng.uniform(-12, 12)])
        persp = rng.choice([0.0, 0.0, 0.15])
        quad = rect_quad(x, y, cw, ch, angle, persp)
        box = paste_warped(img, car, quad)
        taken.append(box)
        # Where the plate landed: map its corners through the same warp.
        src = np.array([[0, 0], [cw, 0], [cw, ch], [0, ch]], np.float32)
        m = cv2.getPerspectiveTransform(src, quad.astype(np.float32))
        pq = cv2.perspectiveTransform(np.array([[[px, py], [px + pw, py], [px + pw, py + ph], [px, py + ph]]],
                                               np.float32), m)[0]
        truths.append(Truth("plate", geometry.clip(geometry.from_points(pq), W, H), context=style, text=text))
    _add_negatives(img, rng, truths, taken, 2)
    return Scene(f"plate_{i:02d}", img, truths)


def scene_negatives(i: int, rng: random.Random) -> Scene:
    img = wall(W, H, rng)
    truths: list[Truth] = []
    _add_negatives(img, rng, truths, [], 4)
    return Scene(f"negatives_{i:02d}", img, truths)


def make_scenes(n: int, seed: int = 7) -> list[Scene]:
    rng = random.Random(seed)
    scenes = []
    for i in range(n):
        scenes += [scene_screen(i, rng), scene_wristband(i, rng), scene_plate(i, rng), scene_negatives(i, rng)]
    return scenes


# ----------------------------------------------------------------------------------------------------- scorer
# Which finding answers which truth: screens match screen truths; wristband/label regions and barcodes answer
# band/label truths; plates answer plate truths.
def finding_kind(f) -> Optional[str]:
    if f.kind == "screen":
        return "screen"
    if f.kind == "plate":
        return "plate"
    if f.kind == "text" and f.category == "barcode":
        return "barcode"
    if f.kind == "text" and f.context in ("wristband", "label") and f.category == "identifier":
        return f.context
    return None


def matches(f_box: Box, t_box: Box) -> bool:
    return geometry.iou(f_box, t_box) >= 0.3 or geometry.coverage(t_box, f_box) >= 0.7 \
        and geometry.area(f_box) <= 4 * geometry.area(t_box)


@dataclass
class Score:
    truths: dict[str, int] = field(default_factory=dict)
    found: dict[str, int] = field(default_factory=dict)
    false_pos: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> where -> count
    context_right: int = 0
    context_total: int = 0
    missed: list[str] = field(default_factory=list)  # "scene: kind" for every truth not found
    barcodes: int = 0  # bands/labels carrying a barcode
    decoded: int = 0  # ... whose payload a barcode finding reports exactly


def _default_policy():
    from scanner.policy import Policy

    return Policy()


_DEFAULT_POLICY = _default_policy()


def score_scene(scene: Scene, findings, sc: Score) -> None:
    for t in scene.truths:
        if t.kind == "negative":
            continue
        sc.truths[t.kind] = sc.truths.get(t.kind, 0) + 1
        want = {"screen": ("screen",), "plate": ("plate",), "wristband": ("wristband", "label"),
                "label": ("label", "wristband")}[t.kind]
        hits = [f for f in findings if finding_kind(f) in want and matches(f.box, t.box)]
        if t.kind in ("wristband", "label"):  # a band or label must be redacted (a sign-like card is only flagged)
            hits = [f for f in hits if _DEFAULT_POLICY.action_for(f) == "redact"]
        if t.kind in ("wristband", "label") and not hits:  # a decoded barcode on the band still answers it
            hits = [f for f in findings if finding_kind(f) == "barcode" and geometry.coverage(f.box, t.box) > 0.5]
        if t.kind in ("wristband", "label"):
            sc.barcodes += 1
            sc.decoded += any(finding_kind(f) == "barcode" and f.text == t.text for f in findings)
        if not hits:
            sc.missed.append(f"{scene.name}: {t.kind} {t.context or ''}")
        if hits:
            sc.found[t.kind] = sc.found.get(t.kind, 0) + 1
            if t.kind == "screen":
                sc.context_total += 1
                sc.context_right += any(f.context == t.context for f in hits)
    for f in findings:
        k = finding_kind(f)
        if k is None:
            continue
        real = [t for t in scene.truths if t.kind != "negative" and (matches(f.box, t.box)
                                                                      or geometry.coverage(f.box, t.box) > 0.5)]
        if real:
            continue
        neg = next((t.context for t in scene.truths if t.kind == "negative"
                    and geometry.coverage(f.box, t.box) > 0.3), "background")
        sc.false_pos.setdefault(k, {})
        sc.false_pos[k][neg] = sc.false_pos[k].get(neg, 0) + 1


def run(n: int, seed: int, use_ocr: bool, save: Optional[Path], verbose: bool = False) -> Score:
    from scanner.confirm import confirm_regions
    from scanner.detectors.base import Frame
    from scanner.detectors.plates import PlateDetector
    from scanner.detectors.screens import ScreenDetector
    from scanner.detectors.wristbands import WristbandDetector

    engine = None
    if use_ocr:
        from scanner.text.ocr import get_engine

        engine = get_engine("rapid")
    detectors = [ScreenDetector(), WristbandDetector(engine)]  # as scanner builds them (in its order)
    text = None
    if engine is not None:
        from scanner.detectors.text import TextDetector

        text = TextDetector(engine)
        detectors.append(text)
    detectors.append(PlateDetector(engine))
    sc = Score()
    times: dict[str, float] = {}
    scenes = make_scenes(n, seed)
    for scene in scenes:
        found = []
        for det in detectors:
            t = time.perf_counter()
            found.extend(det.detect(Frame(scene.rgb), found))
            times[det.name] = times.get(det.name, 0.0) + time.perf_counter() - t
        if text is not None:  # the scanner's own step: regions with no text the OCR detector saw go
            found = confirm_regions(found, text.last_boxes)
        found = [f for f in found if f.detector != "text" or f.kind == "plate"]  # region finders (and plates), scored
        score_scene(scene, found, sc)
        if save:
            from scanner.redact import annotate_image

            save.mkdir(parents=True, exist_ok=True)
            out = annotate_image(scene.rgb, found)
            for t in scene.truths:
                x0, y0, x1, y1 = t.box
                cv2.rectangle(out, (x0, y0), (x1, y1), (0, 200, 0) if t.kind != "negative" else (0, 0, 255), 1)
            Image.fromarray(out).save(save / f"{scene.name}.jpg", quality=85)
    print(f"{len(scenes)} scenes ({W}x{H}), seed {seed}, OCR {'rapid' if use_ocr else 'off'}")
    for kind in ("screen", "plate", "wristband", "label"):
        t, f = sc.truths.get(kind, 0), sc.found.get(kind, 0)
        if t:
            print(f"  {kind:10s} recall {f}/{t} = {f / t:.2f}")
    if sc.barcodes:
        print(f"  barcodes decoded with the right payload: {sc.decoded}/{sc.barcodes}")
    if sc.context_total:
        print(f"  screen context right (monitor/whiteboard): {sc.context_right}/{sc.context_total}")
    negs = sum(1 for s in scenes for t in s.truths if t.kind == "negative")
    print(f"  false positives ({negs} hard negatives placed):")
    for kind in ("screen", "plate", "wristband", "label", "barcode"):
        fp = sc.false_pos.get(kind, {})
        print(f"    {kind:10s} {sum(fp.values()):3d}  " + ", ".join(f"{k}: {v}" for k, v in sorted(fp.items())))
    if verbose:
        print("  missed: " + "; ".join(sc.missed))
    print("  time per scene: " + ", ".join(f"{k} {1000 * v / len(scenes):.0f} ms" for k, v in times.items()))
    return sc


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=12, help="scenes per kind (screen, wristband, plate, negatives)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--no-ocr", action="store_true", help="geometry only (plates are not read)")
    ap.add_argument("--save", type=Path, help="write annotated scenes here")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the scenes where a truth was missed")
    a = ap.parse_args(argv)
    run(a.n, a.seed, not a.no_ocr, a.save, a.verbose)


if __name__ == "__main__":
    main()
