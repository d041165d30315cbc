"""DICOM attribute names on screen: viewers print header attributes as "PatientName : DOE^JOHN" corner lines or
as a tag table ("Patient's Name | DOE^JOHN"). The attribute says what its value is, better than the value's shape:
the value of PatientName, PatientID, StudyDate, InstitutionName … identifies (PS3.15's confidentiality profile
removes them), the value of Modality, Manufacturer, WindowWidth, StudyDescription … does not, and the attribute
name itself is a label, never PHI — even over a medical image, where every other line is PHI unless proven
otherwise (overlay.py).

Pure: `TextLine`-like objects in; per line index, the hits that replace whatever the other rules said.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable, Optional, Sequence

from .hits import Hit
from .layout import same_row

if TYPE_CHECKING:
    from .ocr.base import TextLine

ATTRIBUTE_CONF = 0.9

# Attribute (keyword, folded: lower case, letters only) -> category of its value; "" = the value is not PHI.
# Identifying attributes follow PS3.15 Annex E's Basic Profile; the others are the acquisition, display and
# equipment attributes viewers commonly show.
_PHI = {
    "name": "patientname patientsname otherpatientnames patientbirthname patientmothersbirthname "
            "responsibleperson",
    "mrn": "patientid otherpatientids issuerofpatientid medicalrecordlocator",
    "dob": "patientbirthdate patientsbirthdate patientbirthtime patientsbirthtime",
    "date": "studydate seriesdate acquisitiondate contentdate studytime seriestime acquisitiontime contenttime "
            "acquisitiondatetime instancecreationdate instancecreationtime performedprocedurestepstartdate "
            "scheduledprocedurestepstartdate",
    "identifier": "accessionnumber studyid studyinstanceuid seriesinstanceuid sopinstanceuid "
                  "frameofreferenceuid institutionname institutionaddress institutionaldepartmentname "
                  "stationname deviceserialnumber requestingservice admissionid "
                  "performedprocedurestepid requestedprocedureid",
    "address": "patientaddress patientsaddress",
    "phone": "patienttelephonenumbers patientstelephonenumbers",
}
_KEEP = """
modality manufacturer manufacturersmodelname manufacturermodelname softwareversions bodypartexamined
studydescription seriesdescription protocolname imagetype sopclassuid mediastoragesopclassuid specificcharacterset
transfersyntaxuid photometricinterpretation rows columns bitsallocated bitsstored highbit pixelrepresentation
samplesperpixel pixelspacing imagerpixelspacing slicethickness spacingbetweenslices slicelocation
imagepositionpatient imageorientationpatient patientposition viewposition laterality imagelaterality
seriesnumber instancenumber acquisitionnumber imagenumber numberofframes windowcenter windowwidth
rescaleintercept rescaleslope kvp exposuretime xraytubecurrent exposure exposureinuas
repetitiontime echotime inversiontime flipangle magneticfieldstrength convolutionkernel
contrastbolusagent scanoptions patientsex patientweight patientsweight patientsize
patientssize referringphysicianname referringphysiciansname performingphysicianname operatorsname
""".split()
def _fold(words: str) -> str:
    """Lower-case letters only, with l and I alike (OCR reads "StudyInstanceUID" as "StudylnstanceUID")."""
    return re.sub(r"[^a-z]", "", words.lower()).replace("l", "i")


# Ages: the value is PHI only over 89, which the age rule already decides.
_AGE = frozenset({"patientage", "patientsage"})
ATTRIBUTES: dict[str, str] = {_fold(k): cat for k, cat in (
    [(k, cat) for cat, keys in _PHI.items() for k in keys.split()] + [(k, "") for k in _KEEP]
    + [(k, "age") for k in _AGE])}
ATTRIBUTE_REASON = "DICOM attribute value"
TRUNCATED_MIN = 8  # letters of a cut-off attribute name that still say which one it is
TAG_TABLE_ROWS = 3  # attribute names stacked in one column: a tag table, whose value cells sit right of them

# An attribute at the start of a line: a keyword ("PatientName") or its spaced name ("Patient's Name"), then an
# optional separator and the value.
_HEAD_RE = re.compile(r"\s*(?:\(\s*[0-9A-Fa-f]{4}\s*,\s*[0-9A-Fa-f]{4}\s*\)\s*)?"  # an optional (0010,0010)
                      r"(?P<attr>[A-Za-z][A-Za-z'’]*(?:[ \t]+[A-Za-z][A-Za-z'’]*){0,4})"
                      r"(?P<sep>\s*[:=]\s*|\s*$)")


def split_attribute(text: str) -> Optional[tuple[str, int]]:
    """(category of the value, where the value starts) when `text` starts with a DICOM attribute, else None.
    The longest attribute wins ("Patient ID" in "Patient ID: 123", not "Patient")."""
    m = _HEAD_RE.match(text or "")
    if not m:
        return None
    words = m.group("attr").split()
    for n in range(len(words), 0, -1):  # longest prefix of the words that names an attribute
        key = _fold("".join(words[:n]))
        if key in ATTRIBUTES:
            if n < len(words) and not m.group("sep").strip():
                return None  # "Modality Worklist Settings": more words after it and no separator, a heading
            start = m.end() if n == len(words) else _value_start(text, words[n - 1], m.start("attr"))
            return ATTRIBUTES[key], start
    # A name cut by its table cell ("AccessionNumb", "ReferringPhysici"): the one attribute it begins.
    key = _fold("".join(words))
    if len(words) == 1 and len(key) >= TRUNCATED_MIN and not m.group("sep").strip():
        begun = [k for k in ATTRIBUTES if k.startswith(key)]
        if len(begun) == 1:
            return ATTRIBUTES[begun[0]], m.end()
    return None


def _value_start(text: str, last_word: str, from_pos: int) -> int:
    i = text.find(last_word, from_pos) + len(last_word)
    return len(text) - len(text[i:].lstrip(" \t:="))


def _value_right_of(k: int, lines: Sequence["TextLine"]) -> Optional[int]:
    """The nearest line right of line k on its row (a tag table's value cell), if close enough to be its value."""
    a = lines[k].box
    h = max(1, a[3] - a[1])
    right = [j for j, ln in enumerate(lines) if j != k and same_row(a, ln.box) and ln.box[0] >= a[2] - 0.5 * h
             and ln.box[0] - a[2] <= 30 * h]
    return min(right, key=lambda j: lines[j].box[0]) if right else None


_PLACEHOLDER_RE = re.compile(r"\s*(?:unknown|n/?a|none|null|not\s+available|[-—–_*?]+)?\s*", re.I)


def _value_hits(category: str, start: int, text: str, existing: Sequence[Hit], why: str) -> list[Hit]:
    if _PLACEHOLDER_RE.fullmatch(text[start:]):
        return []  # "StudyInstanceUID : Unknown", "PatientID : N/A": no value shown
    if category == "age":
        return [h for h in existing if h.category == "age"]  # over 89 only, as the age rule found
    return [Hit(category, ATTRIBUTE_CONF, why, start, len(text.rstrip()), 3)] if category else []


def _in_tag_table(k: int, names: Iterable[int], lines: Sequence["TextLine"]) -> bool:
    """Line k is one of several attribute names stacked in a column (left-aligned): a tag table's name column.
    A lone "Modality" or "Study Date" is more likely a column header, whose values lie below it."""
    a = lines[k].box
    h = max(1, a[3] - a[1])
    return sum(abs(lines[i].box[0] - a[0]) <= 2 * h for i in names) >= TAG_TABLE_ROWS


def attribute_hits(lines: Sequence["TextLine"], existing: Sequence[Sequence[Hit]]) -> dict[int, list[Hit]]:
    """Line index -> the hits for that line as the DICOM attribute decides: the value's span for identifying
    attributes, nothing for the others and for attribute names alone. Lines not about attributes are absent.
    `existing[i]`: what the other rules found in line i (kept for ages)."""
    out: dict[int, list[Hit]] = {}
    names: dict[int, str] = {}  # line index of an attribute name alone -> the category of its value
    for k, line in enumerate(lines):
        text = line.text or ""
        got = split_attribute(text)
        if got is None:
            continue
        category, start = got
        if text[start:].strip():
            out[k] = _value_hits(category, start, text, existing[k], ATTRIBUTE_REASON)
        else:
            out[k] = []  # the attribute's name alone: a label
            names[k] = category
    for k, category in names.items():
        j = _value_right_of(k, lines)
        if j is None or j in out or not _in_tag_table(k, names, lines):
            continue
        out[j] = _value_hits(category, 0, lines[j].text or "", existing[j], ATTRIBUTE_REASON + " (its cell)")
    return out
