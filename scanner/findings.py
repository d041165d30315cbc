"""The data model at the centre of scanner: boxes, findings, scan results, and the findings JSON.

Everything a detector produces is a `Finding`; everything `scan()` returns is a `ScanResult`. The JSON written to
`<name>.findings.json` is produced here and nowhere else, so the contract in DESIGN.md lives in one place.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any, Optional

SCHEMA_VERSION = 1

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 in source pixels (x1/y1 exclusive)

# HIPAA Safe Harbor identifier letters (45 CFR 164.514(b)(2)(i)) for each finding category.
SAFE_HARBOR: dict[str, str] = {
    "name": "A",
    "address": "B",
    "zip": "B",
    "date": "C",
    "dob": "C",
    "age": "C",
    "phone": "D",
    "fax": "E",
    "email": "F",
    "ssn": "G",
    "mrn": "H",
    "health_plan": "I",
    "account": "J",
    "license": "K",
    "plate": "L",
    "device": "M",
    "url": "N",
    "ip": "O",
    "biometric": "P",
    "face": "Q",
    "room": "R",
    "identifier": "R",
    "barcode": "R",
    "tattoo": "R",
    "screen": "R",
    "metadata": "R",
    "manual": "R",  # a box a reviewer drew (scanner apply): something the scanner missed
}

KINDS = ("text", "face", "plate", "tattoo", "reflection", "screen", "metadata", "manual")
SEVERITIES = ("low", "medium", "high")
ACTIONS = ("redact", "flag", "allow", "ignore")
VERDICTS = ("clear", "review", "error")


def safe_harbor_of(category: str) -> str:
    return SAFE_HARBOR.get(category, "R")


@dataclass(frozen=True)
class FrameHit:
    """Where a finding was seen in one video frame."""

    index: int
    time: float
    box: Box


@dataclass
class Finding:
    kind: str
    category: str
    box: Box
    confidence: float
    severity: str = "high"
    context: Optional[str] = None
    text: Optional[str] = None  # the recognised text, unmasked; masked on output unless asked
    action: str = "redact"
    id: str = ""
    frames: list[FrameHit] = field(default_factory=list)
    detector: str = ""  # which detector produced it (kept out of the JSON contract's required keys)
    note: Optional[str] = None  # e.g. "allowed: matches allow-faces/alice.jpg"
    # What the scanner decided, kept beside `action` (which a reviewer may edit) so a review is on record; None
    # until a findings file is read back (then `action` is the scanner's own decision).
    scanner_action: Optional[str] = None

    @property
    def safe_harbor(self) -> str:
        return safe_harbor_of(self.category)

    def with_(self, **changes: Any) -> "Finding":
        return replace(self, **changes)

    def to_json(self, include_text: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "category": self.category,
            "safe_harbor": self.safe_harbor,
            "context": self.context,
            "text": None if self.text is None else (self.text if include_text else mask_text(self.text)),
            "confidence": round(float(self.confidence), 3),
            "severity": self.severity,
            "action": self.action,
            "box": [int(v) for v in self.box],
        }
        if self.frames:
            out["frames"] = [{"index": h.index, "time": round(h.time, 3), "box": list(h.box)} for h in self.frames]
        if self.detector:
            out["detector"] = self.detector
        if self.note:
            out["note"] = self.note
        if self.kind != "manual":
            out["scanner_action"] = self.scanner_action or self.action
        return out


@dataclass
class SourceInfo:
    path: str
    sha256: str
    kind: str  # image | video
    width: int
    height: int
    fps: Optional[float] = None
    frames: int = 1
    duration: Optional[float] = None

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "kind": self.kind,
            "width": self.width,
            "height": self.height,
            "fps": self.fps,
            "frames": self.frames,
            "duration": self.duration,
        }


@dataclass
class ScanResult:
    """What scanning (and optionally redacting) one input produced."""

    source: SourceInfo
    findings: list[Finding] = field(default_factory=list)
    verdict: str = "clear"
    outputs: dict[str, str] = field(default_factory=dict)
    output_sha256: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    error: Optional[str] = None
    settings: dict[str, Any] = field(default_factory=dict)
    review: Optional[dict[str, Any]] = None  # written by `scanner apply`: who applied which changes, when

    @property
    def exit_code(self) -> int:
        return {"clear": 0, "review": 1}.get(self.verdict, 2)

    def to_json(self, include_text: bool = False) -> dict[str, Any]:
        from . import __version__

        out: dict[str, Any] = {
            "schema": SCHEMA_VERSION,
            "source": self.source.to_json(),
            "verdict": self.verdict,
            "findings": [f.to_json(include_text) for f in self.findings],
            "outputs": dict(self.outputs),
            "warnings": list(self.warnings),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            "tool": {"name": "scanner", "version": __version__, "settings": self.settings},
        }
        if self.output_sha256:
            out["outputs_sha256"] = dict(self.output_sha256)
        if self.error:
            out["error"] = self.error
        if self.review is not None:
            out["review"] = self.review
        return out


def decide_verdict(findings: list[Finding], fully_scanned: bool) -> str:
    """A file that was not fully scanned is never 'clear' (fail closed)."""
    if not fully_scanned:
        return "error"
    return "review" if any(f.action in ("redact", "flag") for f in findings) else "clear"


_WORD = re.compile(r"[A-Za-z0-9]+")


def mask_text(text: str) -> str:
    """Keep the first character of each word, star the rest: 'Sarah Jones' -> 'S**** J****'.

    The findings file is itself sensitive; this keeps enough shape for a reviewer to recognise what was found
    without repeating the identifier. Single characters are starred too so 'J. Smith' leaks nothing more.
    """
    return _WORD.sub(lambda m: m.group(0)[0] + "*" * (len(m.group(0)) - 1) if len(m.group(0)) > 1 else "*", text)


_ACTION_RANK = {"redact": 3, "flag": 2, "allow": 1, "ignore": 0}


def drop_duplicates(findings: list[Finding]) -> list[Finding]:
    """One finding per thing: when two detectors report the same category at the same place (a band's line read
    by both the page OCR and the band reader), keep the one whose box covers the other, provided its action is at
    least as strong — so a duplicate never turns a redaction into a flag. A screen inside a band or label region is
    that band's print (see below)."""
    from .geometry import area, coverage

    kept: list[Finding] = []
    for f in sorted(findings, key=lambda f: (-_ACTION_RANK.get(f.action, 0), -area(f.box), -f.confidence)):
        if any(k.category == f.category and coverage(f.box, k.box) >= 0.9
               and _ACTION_RANK.get(k.action, 0) >= _ACTION_RANK.get(f.action, 0) for k in kept):
            continue
        kept.append(f)
    # A tilted band's few lines of print can pass for a small board; the band region (redacted whole) says what it
    # is, so a screen lying inside it, with no stronger action, is the band's own print and goes.
    bands = [k for k in kept if k.context in ("wristband", "label") and k.category == "identifier"]
    kept = [k for k in kept if not (k.kind == "screen" and any(
        coverage(k.box, b.box) >= 0.9 and _ACTION_RANK.get(b.action, 0) >= _ACTION_RANK.get(k.action, 0)
        for b in bands))]
    kept_ids = {id(k) for k in kept}
    return [f for f in findings if id(f) in kept_ids]  # original order


def number_findings(findings: list[Finding]) -> list[Finding]:
    """Give findings stable ids f1, f2 … in reading order (top to bottom, left to right)."""
    ordered = sorted(findings, key=lambda f: (f.box[1], f.box[0], f.kind))
    for i, f in enumerate(ordered, 1):
        f.id = f"f{i}"
    return ordered
