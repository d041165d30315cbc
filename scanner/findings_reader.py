"""Read a `<name>.findings.json` back, checking it against the contract (DESIGN.md), into a ScanResult.

The findings file is an audit record someone will rely on later (a review queue, a compliance check, a re-run that
skips finished files). A reader that trusts it blindly turns a corrupt or hand-edited file into a silent "clear";
this one rejects anything outside the contract with one line naming where and why (`FindingsError`).
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, Union

from .findings import (ACTIONS, KINDS, SCHEMA_VERSION, SEVERITIES, VERDICTS, Finding, FrameHit, ScanResult,
                       SourceInfo, safe_harbor_of)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CATEGORY = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_BYTES = 64 << 20  # a findings file is kilobytes; refuse to parse a huge file someone pointed us at


class FindingsError(ValueError):
    """A findings document that breaks the contract; the message is one line: `where: reason`."""


def load_findings(src: Union[Path, str, dict, bytes]) -> ScanResult:
    """Parse and validate a findings document (a path, its bytes, or the decoded dict)."""
    doc = _decode(src)
    result = _result(doc)  # first: its messages name the key and the rule in plain words
    _schema_check(doc)
    return result


def read_document(src: Union[Path, str, dict, bytes]) -> Any:
    """The decoded JSON of a findings document, unchecked (FindingsError only if it is not readable JSON)."""
    return _decode(src)


def _schema_check(doc: Any) -> None:
    """The shipped JSON Schema (scanner.schema) has the last word on structure (e.g. no unknown keys); the checks
    in `_result` add what a schema cannot say (boxes inside the source, the Safe Harbor letter matching the
    category, verdict consistency)."""
    try:
        from .schema import SchemaError, validate
    except ImportError:  # schema module or jsonschema absent: the checks below still cover the contract
        return
    try:
        validate(doc)
    except SchemaError as e:
        raise FindingsError(f"$: {_first_line(e)}") from None
    except RecursionError:
        raise FindingsError("$: JSON nested too deeply") from None


def _first_line(e: BaseException) -> str:
    return " ".join(str(e).split())[:300]


def _decode(src: Union[Path, str, dict, bytes]) -> Any:
    if isinstance(src, dict):
        return src
    if isinstance(src, (str, Path)):
        p = Path(src)
        try:
            if p.stat().st_size > MAX_BYTES:
                raise FindingsError(f"{p}: file too large for a findings file")
            src = p.read_bytes()
        except OSError as e:
            raise FindingsError(f"{p}: cannot read: {e.strerror or e}") from None
    if not isinstance(src, (bytes, bytearray)):
        raise FindingsError(f"$: expected a path, bytes or a dict, got {type(src).__name__}")
    try:
        text = bytes(src).decode("utf-8")
        return json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise FindingsError("$: not UTF-8 text") from None
    except json.JSONDecodeError as e:
        raise FindingsError(f"$: not valid JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    except RecursionError:
        raise FindingsError("$: JSON nested too deeply") from None


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,40}")


def _key(k: Any) -> str:
    """An object key as it appears in an error's path: plain names as they are, anything else JSON-quoted, so a
    key holding a newline cannot break the one-line error."""
    return k if isinstance(k, str) and _PLAIN_KEY.fullmatch(k) else json.dumps(str(k)[:40])


def _reject_constant(name: str) -> Any:
    raise FindingsError(f"$: {name} is not allowed in a findings file")


# ------------------------------------------------------------------------------------------------ validators
def _need(cond: bool, where: str, reason: str) -> None:
    if not cond:
        raise FindingsError(f"{where}: {reason}")


def _obj(v: Any, where: str) -> dict:
    _need(isinstance(v, dict), where, f"expected an object, got {_tname(v)}")
    return v


def _int(v: Any, where: str, lo: int = 0) -> int:
    _need(isinstance(v, int) and not isinstance(v, bool), where, f"expected an integer, got {_tname(v)}")
    _need(v >= lo, where, f"must be >= {lo}, got {v}")
    return v


def _num(v: Any, where: str, lo: float = 0.0, hi: float = math.inf) -> float:
    _need(isinstance(v, (int, float)) and not isinstance(v, bool), where, f"expected a number, got {_tname(v)}")
    _need(math.isfinite(v) and lo <= v <= hi, where, f"must be a finite number in [{lo}, {hi}], got {v}")
    return float(v)


def _str(v: Any, where: str, allow_none: bool = False) -> Any:
    if v is None and allow_none:
        return None
    _need(isinstance(v, str), where, f"expected a string, got {_tname(v)}")
    return v


def _choice(v: Any, where: str, choices: tuple[str, ...]) -> str:
    _need(isinstance(v, str) and v in choices, where, f"must be one of {', '.join(choices)}, got {v!r:.40}")
    return v


def _tname(v: Any) -> str:
    return "null" if v is None else type(v).__name__


def _box(v: Any, where: str, w: int, h: int) -> tuple[int, int, int, int]:
    _need(isinstance(v, list) and len(v) == 4, where, "expected [x0, y0, x1, y1]")
    x0, y0, x1, y1 = (_int(c, f"{where}[{i}]", lo=-(1 << 62)) for i, c in enumerate(v))
    _need(x0 <= x1 and y0 <= y1, where, f"corners out of order: {v}")
    if w > 0 and h > 0:  # an error result has no size to check against
        _need(x0 >= 0 and y0 >= 0 and x1 <= w and y1 <= h, where, f"box {v} outside the {w}x{h} source")
    return (x0, y0, x1, y1)


def _source(v: Any, verdict: str) -> SourceInfo:
    s = _obj(v, "$.source")
    sha = _str(s.get("sha256"), "$.source.sha256")
    # An unreadable input may have no hash (e.g. it vanished); anything else must carry the input's SHA-256.
    _need(bool(_SHA256.match(sha)) or (verdict == "error" and sha == ""), "$.source.sha256",
          "expected 64 lowercase hex digits")
    fps, duration = s.get("fps"), s.get("duration")
    return SourceInfo(
        path=_str(s.get("path"), "$.source.path"), sha256=sha,
        kind=_choice(s.get("kind"), "$.source.kind", ("image", "video", "unknown")),
        width=_int(s.get("width"), "$.source.width"), height=_int(s.get("height"), "$.source.height"),
        fps=None if fps is None else _num(fps, "$.source.fps", lo=1e-6),
        frames=_int(s.get("frames"), "$.source.frames"),
        duration=None if duration is None else _num(duration, "$.source.duration"))


def _finding(v: Any, where: str, w: int, h: int) -> Finding:
    f = _obj(v, where)
    category = _str(f.get("category"), f"{where}.category")
    _need(bool(_CATEGORY.match(category)), f"{where}.category", f"not a category name: {category!r:.40}")
    _need(f.get("safe_harbor") == safe_harbor_of(category), f"{where}.safe_harbor",
          f"{f.get('safe_harbor')!r:.10} does not match category {category!r} ({safe_harbor_of(category)})")
    frames = []
    if "frames" in f:
        _need(isinstance(f["frames"], list), f"{where}.frames", "expected a list")
        for i, fr in enumerate(f["frames"]):
            fw = f"{where}.frames[{i}]"
            fr = _obj(fr, fw)
            frames.append(FrameHit(index=_int(fr.get("index"), f"{fw}.index"), time=_num(fr.get("time"), f"{fw}.time"),
                                   box=_box(fr.get("box"), f"{fw}.box", w, h)))
    return Finding(
        id=_str(f.get("id"), f"{where}.id"), kind=_choice(f.get("kind"), f"{where}.kind", KINDS), category=category,
        context=_str(f.get("context"), f"{where}.context", allow_none=True),
        text=_str(f.get("text"), f"{where}.text", allow_none=True),
        confidence=_num(f.get("confidence"), f"{where}.confidence", 0.0, 1.0),
        severity=_choice(f.get("severity"), f"{where}.severity", SEVERITIES),
        action=_choice(f.get("action"), f"{where}.action", ACTIONS),
        box=_box(f.get("box"), f"{where}.box", w, h), frames=frames,
        detector=_str(f.get("detector", ""), f"{where}.detector"),
        note=_str(f.get("note"), f"{where}.note", allow_none=True),
        scanner_action=None if f.get("scanner_action") is None else
        _choice(f["scanner_action"], f"{where}.scanner_action", ACTIONS))


def _str_map(v: Any, where: str, value_re: "re.Pattern[str] | None" = None) -> dict[str, str]:
    m = _obj(v, where)
    for k, val in m.items():
        _str(val, f"{where}.{_key(k)}")
        if value_re is not None:
            _need(bool(value_re.match(val)), f"{where}.{_key(k)}", "expected 64 lowercase hex digits")
    return dict(m)


def _result(doc: Any) -> ScanResult:
    d = _obj(doc, "$")
    schema = d.get("schema")
    _need(isinstance(schema, int) and not isinstance(schema, bool) and schema == SCHEMA_VERSION, "$.schema",
          f"unsupported schema {schema!r:.20} (this reader knows {SCHEMA_VERSION})")
    verdict = _choice(d.get("verdict"), "$.verdict", VERDICTS)
    source = _source(d.get("source"), verdict)
    raw = d.get("findings")
    _need(isinstance(raw, list), "$.findings", f"expected a list, got {_tname(raw)}")
    findings = [_finding(f, f"$.findings[{i}]", source.width, source.height) for i, f in enumerate(raw)]
    ids = [f.id for f in findings]
    _need(len(set(ids)) == len(ids), "$.findings", "duplicate finding ids")
    # Fail-closed consistency: "clear" with something to redact or review is a contradiction, not a clear file.
    if verdict == "clear":
        _need(not any(f.action in ("redact", "flag") for f in findings), "$.verdict",
              "'clear' but findings are marked redact/flag")
    error = d.get("error")
    if verdict == "error":
        _need(isinstance(error, str) and error.strip() != "", "$.error", "an 'error' verdict must say why")
    elif error is not None:
        raise FindingsError(f"$.error: present but the verdict is {verdict!r}")
    outputs = _str_map(d.get("outputs", {}), "$.outputs")
    hashes = _str_map(d.get("outputs_sha256", {}), "$.outputs_sha256", _SHA256)
    _need(set(hashes) <= set(outputs), "$.outputs_sha256", "hash for an output that is not listed")
    warnings_ = d.get("warnings", [])
    _need(isinstance(warnings_, list) and all(isinstance(w, str) for w in warnings_), "$.warnings",
          "expected a list of strings")
    timings = _obj(d.get("timings", {}), "$.timings")
    timings = {k: _num(v, f"$.timings.{_key(k)}") for k, v in timings.items()}
    tool = _obj(d.get("tool"), "$.tool")
    _need(tool.get("name") == "scanner", "$.tool.name", "expected 'scanner'")
    _str(tool.get("version"), "$.tool.version")
    settings = _obj(tool.get("settings"), "$.tool.settings")
    review = d.get("review")
    if review is not None:
        _obj(review, "$.review")
    return ScanResult(source=source, findings=findings, verdict=verdict, outputs=outputs, output_sha256=hashes,
                      warnings=list(warnings_), timings=timings, error=error, settings=dict(settings),
                      review=None if review is None else dict(review))
