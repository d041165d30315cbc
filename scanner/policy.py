"""Policy: what to do with each finding (redact, flag for review, allow, ignore), and the rules that decide it.

Defaults fail safe: every category is redacted when the detector is reasonably sure and flagged when it is not.
A policy file (TOML) can change actions per category, thresholds, allow/deny terms and the redaction style.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from .findings import SAFE_HARBOR, Finding

ACTIONS_ALLOWED = ("redact", "flag", "ignore")
# Regions whose text is about patients: a screen (or screenshot), a board, a band, a label, a document, an imaging
# overlay. There the redacted copy must not show what the rules thought might identify someone: a finding only
# flagged there would be published readable (fail closed). Outside them (a poster, a T-shirt) a weak guess stays
# a flag for a person to decide.
CLINICAL_CONTEXTS = frozenset({"monitor", "whiteboard", "wristband", "label", "document", "screen", "imaging"})
DEFAULT_THRESHOLDS: dict[str, float] = {"face": 0.35}


class PolicyError(ValueError):
    """An invalid policy file; the message names the key."""


@dataclass
class Policy:
    actions: dict[str, str] = field(default_factory=dict)  # category -> action; missing = redact
    min_confidence: float = 0.5  # below this a finding is flagged, not redacted (still never 'clear')
    ignore_below: float = 0.15  # below this a finding is dropped as noise
    # A face the detector kept (its own threshold is 0.35) is redacted, not merely flagged: a small or turned face
    # scores 0.35-0.5 and a flagged face stays visible in the redacted copy. Over-redaction is the cheaper error.
    category_min_confidence: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    allow_terms: list[str] = field(default_factory=list)  # e.g. the hospital's own name on a sign
    deny_terms: list[str] = field(default_factory=list)  # always redacted, e.g. a patient known to be in shot
    style: Optional[str] = None
    allow_faces: Optional[str] = None
    redact_screens: bool = False  # screen/board regions redacted whole, not only the text read inside them

    def action_for(self, f: Finding, redacting: bool = False) -> str:
        if f.action == "allow":  # decided by a detector (an allow-listed face)
            return "allow"
        text = (f.text or "").lower()
        if text and any(t.lower() in text for t in self.deny_terms):
            return "redact"
        if text and self.allow_terms and _only_allowed(text, self.allow_terms):
            return "allow"
        floor = self.category_min_confidence.get(f.category, self.min_confidence)
        if f.confidence < self.ignore_below:
            return "ignore"
        # A screen region is flagged by default (the lines read inside it are redacted one by one); redacting
        # the whole region also hides what OCR could not read, at the cost of the picture's background.
        default = "flag" if f.kind == "screen" and not self.redact_screens else "redact"
        configured = self.actions.get(f.category) or self.actions.get(f.kind) or default
        if configured == "redact" and f.confidence < floor:
            if redacting and f.kind == "text" and f.detector == "text" and f.context in CLINICAL_CONTEXTS:
                # Fail closed: what the text rules read as a possible identifier on a clinical screen is not
                # published. (A region's own verdict, such as a card whose print all reads as a sign, stays.)
                return "redact"
            return "flag"
        return configured

    def apply(self, findings: list[Finding], redacting: bool = False) -> list[Finding]:
        """Set each finding's action; findings the policy ignores are dropped. `redacting`: the redacted copy is
        being made, so low-confidence text in a clinical context is redacted rather than flagged."""
        out = []
        for f in findings:
            f.action = self.action_for(f, redacting)
            if f.action != "ignore":
                out.append(f)
        return out

    @classmethod
    def from_file(cls, path: Path | str) -> "Policy":
        p = Path(path)
        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise PolicyError(f"{p}: policy file not found") from None
        except tomllib.TOMLDecodeError as e:
            raise PolicyError(f"{p}: not valid TOML: {e}") from None
        except (OSError, UnicodeDecodeError) as e:
            raise PolicyError(f"{p}: cannot read policy file: {getattr(e, 'strerror', None) or e}") from None
        pol = cls.from_dict(data, source=str(p))
        if pol.allow_faces:  # a relative folder means relative to the policy file, wherever scanner runs from
            folder = (p.parent / pol.allow_faces) if not Path(pol.allow_faces).is_absolute() else Path(pol.allow_faces)
            if not folder.is_dir():
                raise PolicyError(f"{p}: allow_faces = {pol.allow_faces!r}: folder not found ({folder})")
            pol.allow_faces = str(folder)
        return pol

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "policy") -> "Policy":
        known = {"actions", "min_confidence", "ignore_below", "thresholds", "allow_terms", "deny_terms", "style",
                 "redact_screens",
                 "allow_faces"}
        for key in data:
            if key not in known:
                raise PolicyError(f"{source}: unknown key '{key}' (known: {', '.join(sorted(known))})")
        pol = cls()
        categories = set(SAFE_HARBOR) | {"text", "face", "plate", "tattoo", "reflection", "screen", "metadata"}
        for key in ("actions", "thresholds"):
            if key in data and not isinstance(data[key], dict):
                raise PolicyError(f"{source}: {key} must be a table ([{key}] with one 'category = ...' per line)")
        for cat, act in (data.get("actions") or {}).items():
            if cat not in categories:
                raise PolicyError(f"{source}: actions.{cat}: unknown category")
            if act not in ACTIONS_ALLOWED:
                raise PolicyError(f"{source}: actions.{cat} = {act!r}: must be one of {', '.join(ACTIONS_ALLOWED)}")
            pol.actions[cat] = act
        for key in ("min_confidence", "ignore_below"):
            if key in data:
                setattr(pol, key, _unit(data[key], f"{source}: {key}"))
        for cat, v in (data.get("thresholds") or {}).items():
            if cat not in categories:
                raise PolicyError(f"{source}: thresholds.{cat}: unknown category")
            pol.category_min_confidence[cat] = _unit(v, f"{source}: thresholds.{cat}")
        if pol.ignore_below > min([pol.min_confidence, *pol.category_min_confidence.values()]):
            # otherwise a finding confident enough to flag would be dropped as noise: a silent "clear"
            raise PolicyError(f"{source}: ignore_below = {pol.ignore_below}: must not exceed min_confidence "
                              f"or any thresholds value")
        for key in ("allow_terms", "deny_terms"):
            v = data.get(key, [])
            if not isinstance(v, list) or not all(isinstance(t, str) and t.strip() for t in v):
                raise PolicyError(f"{source}: {key} must be a list of non-empty strings")
            setattr(pol, key, list(v))
        if "redact_screens" in data:
            if not isinstance(data["redact_screens"], bool):
                raise PolicyError(f"{source}: redact_screens = {data['redact_screens']!r}: must be true or false")
            pol.redact_screens = data["redact_screens"]
        if "style" in data:
            from .redact import STYLES

            if data["style"] not in STYLES:
                raise PolicyError(f"{source}: style = {data['style']!r}: must be one of {', '.join(STYLES)}")
            pol.style = data["style"]
        if "allow_faces" in data:
            if not isinstance(data["allow_faces"], str):
                raise PolicyError(f"{source}: allow_faces must be a folder path")
            pol.allow_faces = data["allow_faces"]
        return pol


def _unit(v: Any, where: str) -> float:
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not 0.0 <= float(v) <= 1.0:
        raise PolicyError(f"{where} = {v!r}: must be a number from 0 to 1")
    return float(v)


_TOKEN = re.compile(r"[a-z0-9]+")


def _only_allowed(text: str, allow_terms: list[str]) -> bool:
    """True when every word of `text` belongs to some allowed term: 'St Mary's Hospital' may be allowed, but
    'St Mary's Hospital - Jane Doe' still carries a name and is not."""
    allowed = {w for t in allow_terms for w in _TOKEN.findall(t.lower())}
    words = _TOKEN.findall(text)
    return bool(words) and all(w in allowed for w in words)
