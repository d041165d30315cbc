"""Shared fixtures: small synthetic scenes drawn by the tests themselves (no real patient anywhere)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings
from PIL import Image, ImageDraw, ImageFont

os.environ.setdefault("OMP_THREAD_LIMIT", "1")  # Tesseract is 10x slower without it

# No per-example deadline by default: speed is measured in bench/, and hypothesis's 200 ms default failed a pure
# geometry property on a slow machine (tests that bound a hang set their own wide deadlines, as test_fuzz does).
settings.register_profile("scanner", deadline=None)
settings.load_profile("scanner")

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size)


def draw_lines(lines, size=(960, 640), bg=(235, 235, 228), fg=(20, 20, 20)) -> np.ndarray:
    """Render [(x, y, text, px)] on a plain background; returns RGB."""
    img = Image.new("RGB", size, bg)
    d = ImageDraw.Draw(img)
    for x, y, text, px in lines:
        d.text((x, y), text, font=font(px), fill=fg)
    return np.array(img)


@pytest.fixture(scope="session")
def ward_photo(tmp_path_factory) -> Path:
    """A small 'EHR screen' photo: a name, an MRN, a DOB and a sign that must stay."""
    rgb = draw_lines([(40, 40, "Patient: GARCIA, MARIA", 34), (40, 110, "MRN: 00482913", 30),
                      (40, 170, "DOB: 03/14/1957", 30), (520, 520, "Hand hygiene saves lives", 26)])
    p = tmp_path_factory.mktemp("in") / "ward photo.png"  # a space in the name on purpose
    Image.fromarray(rgb).save(p)
    return p


@pytest.fixture(scope="session")
def sign_photo(tmp_path_factory) -> Path:
    rgb = draw_lines([(60, 80, "EXIT", 60), (60, 300, "NURSES STATION", 40)])
    p = tmp_path_factory.mktemp("in") / "sign.jpg"
    Image.fromarray(rgb).save(p, quality=95)
    return p


def tesseract_available() -> bool:
    return shutil.which("tesseract") is not None


needs_tesseract = pytest.mark.skipif(not tesseract_available() and not os.environ.get("CI"),
                                     reason="tesseract not installed (make venv installs it)")
