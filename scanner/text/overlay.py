"""Imaging overlays: the text a PACS viewer or a modality burns into the corners of a CT, MR or X-ray.

Every line of an overlay is about the patient or the study — name ("AMBROSE^VICKY^M", lower case, any country),
patient ID, birth date, age/sex, institution (often wrapped over two lines), study date and time, accession —
except the acquisition parameters (kV, mAs, slice thickness, W/L, series/image numbers, TR/TE, zoom) and the
orientation letters. So in the `imaging` context the rule is the other way round from everywhere else: a line is
an identifier unless every word of it is a parameter, a number with a unit, or everyday / clinical wording
(a study description: "CT CHEST W/O CONTRAST"); and a line that continues an identifying line right below it, in
the same column and size ("Regional Medical" / "Center"), is identifying too.

Pure: `TextLine`-like objects in, `Hit`s out; the classifier gives specific categories where its rules can.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Collection, Optional, Sequence

from .. import geometry
from .hits import Hit
from .lexicon import word_info

if TYPE_CHECKING:
    from .ocr.base import TextLine

OVERLAY_CONF = 0.6
# Acquisition and display parameters, units and viewer words: never about the patient.
_PARAM_WORDS = frozenset("""
kv kvp ma mas ms mm cm um s sec deg x y z w l c ww wl wc wl/ww w/l ww/wl window level width ctr dfov sfov tilt gantry st
se ser series im img image slice sl thk thickness loc pos tr te ti fa flip et nex fov mat matrix bw hz khz
zoom mag fps frame frames lut gain dose mgy ctdi dlp pitch rot kernel filter fl fs sag cor ax axial coronal
sagittal obl oblique t1 t2 t1w t2w flair dwi adc stir pd gre se fse tse epi mpr mip vr 2d 3d
a p r l h f s i ant post lat ap pa rao lao supine prone hfs ffs hfp ffp w/o w/ wo c+ c- iv
ct mr mri cr dx us nm pt pet xa mg rf ot sc dsa cta mra fs post pre
""".split())
_NUMBER_RE = re.compile(r"^[<>~±+\-]?\d+(?:[.,:/x×]\d+)*(?:%|°|mm|cm|ms|s|kv|kvp|mas|ma|hz|mgy|x|t)?$", re.I)
_WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.%°/×'’\-]*")
CONTINUE_MAX_GAP = 0.6  # line heights between an identifying line and the one continuing it below


def is_parameter_line(text: str) -> bool:
    """Every token is an acquisition parameter, a number (with a unit), or plain wording of 2+ letters."""
    toks = _WORD_RE.findall((text or "").replace("^", " ").replace(":", " ").replace("=", " "))
    if not toks:
        return True
    for t in toks:
        low = t.lower().strip(".")
        if low in _PARAM_WORDS or _NUMBER_RE.match(low):
            continue
        # "Se3", "Im45", "W400", "L40": a parameter letter glued to its number
        m = re.fullmatch(r"([a-z]{1,4})[.:]?(\d+(?:\.\d+)?)(%|mm|ms)?", low)
        if m and m.group(1) in _PARAM_WORDS:
            continue
        if re.fullmatch(r"[a-z]\d{2}[a-z]?", low):
            continue  # a reconstruction kernel: "B30f", "H45s"
        if low.isalpha() and len(low) >= 2:
            info = word_info(t)
            if (info.common or info.stop) and info.surname_strength == 0 and info.first_strength == 0:
                continue  # "CHEST", "CONTRAST", "Abdomen": a study description
        return False
    return True


def _continues(below: "TextLine", above: "TextLine") -> bool:
    a, b = above.box, below.box
    ha, hb = max(1, geometry.height(a)), max(1, geometry.height(b))
    return (0.75 <= hb / ha <= 1.33 and -0.2 * ha <= b[1] - a[3] <= CONTINUE_MAX_GAP * ha
            and (abs(b[0] - a[0]) <= ha or abs(b[2] - a[2]) <= ha))  # left- or right-aligned corner text


def overlay_hits(lines: Sequence["TextLine"], found: Sequence[bool], decided: Collection[int] = ()) -> dict[int, Hit]:
    """Line index -> a hit for every overlay line the other rules left alone that is not a parameter line, and
    for lines continuing an identifying line. `found[i]`: whether line i already has a hit; `decided`: lines
    another rule has settled either way (a DICOM attribute's line), neither judged here nor continued."""
    out: dict[int, Hit] = {}
    for i, line in enumerate(lines):
        text = line.text or ""
        if found[i] or i in decided or sum(c.isalnum() for c in text) < 2 or is_parameter_line(text):
            continue
        out[i] = Hit("identifier", OVERLAY_CONF, "overlay text on a medical image", 0, len(text), 1)
    order = sorted(range(len(lines)), key=lambda i: lines[i].box[1])
    for k, i in enumerate(order):
        if not (found[i] or i in out) or (i in decided and not found[i]):
            continue
        for j in order[k + 1:k + 4]:
            if found[j] or j in out or j in decided or not any(c.isalpha() for c in lines[j].text or ""):
                continue
            if _continues(lines[j], lines[i]) and not _looks_like_parameters(lines[j].text):
                out[j] = Hit("identifier", OVERLAY_CONF, "continues an identifying overlay line", 0,
                             len(lines[j].text), 1)
    return out


def _looks_like_parameters(text: Optional[str]) -> bool:
    """Parameter lines proper (a number in them, or a parameter word), as opposed to plain words."""
    toks = _WORD_RE.findall((text or "").replace("^", " "))
    return any(_NUMBER_RE.match(t.lower()) or t.lower() in _PARAM_WORDS for t in toks)
