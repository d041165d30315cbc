"""The verdict in plain words, for the page: "2 things identify a patient: a name on a monitor, a wristband"."""
from __future__ import annotations

from collections import Counter
from typing import Iterable

from ..findings import Finding

WHAT = {
    "name": "a name", "address": "an address", "zip": "a ZIP code", "date": "a date", "dob": "a date of birth",
    "age": "an age over 89", "phone": "a phone number", "fax": "a fax number", "email": "an e-mail address",
    "ssn": "a social security number", "mrn": "a medical record number", "health_plan": "a health plan number",
    "account": "an account number", "license": "a licence number", "plate": "a licence plate",
    "device": "a device identifier", "url": "a web address", "ip": "an IP address", "biometric": "a biometric",
    "face": "a face", "room": "a room or bed number", "identifier": "an identifying number", "barcode": "a barcode",
    "tattoo": "a tattoo", "metadata": "hidden file metadata",
    "manual": "an area you marked",
}
WHERE = {  # scanner.text.hits.CONTEXTS ("plate" says nothing more than the category)
    "monitor": "on a monitor", "screen": "on a screen", "whiteboard": "on a whiteboard", "wristband": "on a wristband",
    "label": "on a label", "document": "on a printed page", "imaging": "on a medical image",
    "reflection": "in a reflection",
}


def describe(f: Finding) -> str:
    """One finding in a few words: "a name on a monitor"."""
    if f.category == "screen":  # the region itself: "a whiteboard that may show patient data"
        noun = f.context if f.context in ("monitor", "whiteboard", "screen") else "screen"
        return f"a {noun} that may show patient data"
    what = WHAT.get(f.category, f.category.replace("_", " "))
    where = WHERE.get(f.context or "")
    if f.kind == "reflection" and not where:
        where = WHERE["reflection"]
    return f"{what} {where}" if where else what


def plain_summary(findings: Iterable[Finding]) -> str:
    """What the page says at the top. Only what is redacted or flagged counts (what the user kept is theirs);
    repeats are counted ("3 names on a monitor" reads as "a name on a monitor (3)"); what is only flagged is
    said to stay visible, since the copy shows it."""
    live = [f for f in findings if f.action in ("redact", "flag")]
    if not live:
        return "Nothing found that identifies a patient."
    counts = Counter(describe(f) for f in sorted(live, key=lambda f: (f.box[1], f.box[0])))
    parts = [d if n == 1 else f"{d} ({n})" for d, n in counts.items()]
    n = len(live)
    head = "1 thing identifies a patient" if n == 1 else f"{n} things identify a patient"
    flagged = sum(f.action == "flag" for f in live)
    tail = "" if not flagged else f" ({flagged} only flagged: visible in the copy unless you check it)" \
        if flagged == 1 else f" ({flagged} only flagged: visible in the copy unless you check them)"
    return f"{head}: {', '.join(parts)}{tail}"
