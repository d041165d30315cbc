"""What the text rules produce: `PhiMatch` (one identifier in one OCR line, the public result), `Hit` (one rule
firing inside one text), the per-text `Analysis`, and the category / context constants and severity rules shared by
every rule module."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Optional

from ..findings import Box

if TYPE_CHECKING:
    from .labels import Label


# The categories the text rules emit (all keys of findings.SAFE_HARBOR).
CATEGORIES = ("name", "address", "zip", "date", "dob", "age", "phone", "fax", "email", "ssn", "mrn", "health_plan",
              "account", "license", "plate", "device", "url", "ip", "room", "identifier")
CONTEXTS = ("monitor", "whiteboard", "wristband", "document", "label", "plate", "reflection", "screen",
            "imaging")
# Contexts where text is about one patient at a time and is short: a lone surname or a bare long number identifies.
SCREEN_CONTEXTS = frozenset({"monitor", "whiteboard", "wristband", "label", "reflection", "screen", "imaging"})

MEDIUM_CATEGORIES = frozenset({"room", "date", "zip", "device", "identifier", "url", "ip"})
LOW_RULE_CONFIDENCE = 0.4  # below this a rule is a weak guess: severity low


@dataclass(frozen=True)
class PhiMatch:
    category: str  # a key of scanner.findings.SAFE_HARBOR (see CATEGORIES)
    box: Box  # pixels: the line holding the identifier
    confidence: float  # 0..1: rule certainty x OCR confidence
    severity: str  # high | medium | low
    text: str  # the text that identifies (unmasked; masking happens at output)
    reason: str  # short why, e.g. "label 'MRN' + 8 digits"


@dataclass(frozen=True)
class Hit:
    """One rule firing inside one text: the identifying span [start, end) and how sure the rule is."""

    category: str
    confidence: float
    reason: str
    start: int
    end: int
    priority: int = 1  # 2 = from a label, 1 = from shape or structure, 0 = weak guess
    staff: bool = False  # a clinician's name: still a name, lower severity


@dataclass(frozen=True)
class Dangling:
    """A label with no value after it on its own line: the value is in another OCR box."""

    label: "Label"
    text: str  # the label as read


@dataclass(frozen=True)
class Analysis:
    hits: tuple[Hit, ...]
    dangling: Optional[Dangling]
    starts_with_label: bool


def severity(h: Hit) -> str:
    if h.confidence < LOW_RULE_CONFIDENCE:
        return "low"
    if h.staff or h.category in MEDIUM_CATEGORIES:
        return "medium"
    return "high"


def clamp(x: float) -> float:
    if x is None or not isinstance(x, (int, float)) or math.isnan(x):
        return 0.5  # an engine that reports no confidence: neither trust nor dismiss the reading
    return max(0.0, min(1.0, float(x)))


def dedupe(hits: Iterable[Hit]) -> list[Hit]:
    """One hit per span: stronger rules win overlaps; overlapping hits of one category merge into one span."""
    kept: list[Hit] = []
    for h in sorted(hits, key=lambda h: (-h.priority, -h.confidence, h.start, h.end, h.category)):
        for idx, k in enumerate(kept):
            if h.start < k.end and k.start < h.end:
                if h.category == k.category:
                    kept[idx] = Hit(k.category, k.confidence, k.reason, min(k.start, h.start), max(k.end, h.end),
                                     k.priority, k.staff)
                break
        else:
            kept.append(h)
    return sorted(kept, key=lambda h: (h.start, h.end, h.category))
