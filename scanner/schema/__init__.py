"""The JSON Schema of `<name>.findings.json`, shipped in the package, and a validator for tests and tools.

    from scanner.schema import validate
    validate(json.loads(path.read_text()))   # raises SchemaError naming the first bad key
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any


class SchemaError(ValueError):
    """A findings document that does not match the schema; the message names where and why."""


@lru_cache(maxsize=1)
def findings_schema() -> dict[str, Any]:
    return json.loads(resources.files(__package__).joinpath("findings.schema.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = findings_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def errors(doc: Any) -> list[str]:
    """Every schema violation in `doc`, one line each ('findings/0/box: [1, 2] is too short'), best first."""
    out = []
    for e in sorted(_validator().iter_errors(doc), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in e.absolute_path) or "(document)"
        out.append(f"{where}: {e.message}")
    return out


def validate(doc: Any) -> None:
    """Raise SchemaError if `doc` (a parsed findings file) does not match the shipped schema."""
    errs = errors(doc)
    if errs:
        raise SchemaError(f"{len(errs)} schema error(s); first: {errs[0]}")


__all__ = ["SchemaError", "errors", "findings_schema", "validate"]
