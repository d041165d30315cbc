"""Columns without a header: a list whose header row scrolled away (or was never drawn) still is a table.

In a study list "PELVIX | Vafm7b0J | CT1 pelvis | Jan 22nd 2007", some record IDs are shaped like IDs on their own
("TEST2351267", "F063TE") and others are not ("Vafm7b0J": two digits among letters). When a left-aligned column
of one-token cells holds several cells the rules already call identifiers, its other code-shaped cells are
identifiers too. Only codes spread this way: a column of words proves nothing about a word.

Pure geometry on `TextLine`-like objects (`.text`, `.box`) and the hits found so far; no models, no I/O.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

from .. import geometry
from .hits import Hit

if TYPE_CHECKING:
    from .ocr.base import TextLine

MIN_CELLS = 4  # a column is a list of at least this many cells, one per row
MIN_FOUND = 2  # cells already found as identifiers before the column vouches for the rest
MIN_FOUND_SHARE = 0.3
ROW_GAP_MAX = 4.0  # text heights between consecutive cells of one column
ID_CATEGORIES = ("mrn", "identifier")
COLUMN_ID_CONF = 0.6
# One token of letters and digits (and - _ .), with a digit: "Vafm7b0J", "rec-jk2-dup1", "MED_LYMPH_048".
_CODE_RE = re.compile(r"^\s*(?=[A-Za-z0-9_.\-]*\d)[A-Za-z0-9][A-Za-z0-9_.\-]{3,39}\s*$")


def aligned_columns(lines: Sequence["TextLine"]) -> list[list[int]]:
    """Runs of one-token lines with one left edge (within 0.6 text heights), one per row, top to bottom."""
    order = sorted((i for i, l in enumerate(lines) if (l.text or "").strip() and " " not in l.text.strip()),
                   key=lambda i: lines[i].box[1])
    columns: list[list[int]] = []
    for i in order:
        b = lines[i].box
        h = max(1, geometry.height(b))
        for col in columns:
            last = lines[col[-1]].box
            if abs(last[0] - b[0]) <= 0.6 * h and 0 <= b[1] - last[3] <= ROW_GAP_MAX * h \
                    and abs(geometry.height(last) - h) <= 0.5 * h:
                col.append(i)
                break
        else:
            columns.append([i])
    return [c for c in columns if len(c) >= MIN_CELLS]


def id_column_hits(lines: Sequence["TextLine"], per_line: Sequence[Sequence[Hit]]) -> dict[int, list[Hit]]:
    """Line index -> an identifier hit for each code-shaped cell of a column that is mostly identifiers."""
    out: dict[int, list[Hit]] = {}
    for col in aligned_columns(lines):
        found = [j for j in col if any(h.category in ID_CATEGORIES for h in per_line[j])]
        if len(found) < MIN_FOUND or len(found) < MIN_FOUND_SHARE * len(col):
            continue
        cats = [h.category for j in found for h in per_line[j] if h.category in ID_CATEGORIES]
        cat = max(ID_CATEGORIES, key=cats.count)
        lengths = sorted(len((lines[j].text or "").strip()) for j in found)
        if lengths[-1] > 2 * lengths[0]:
            continue  # "53820", "CH9", a UUID: a form's value column, not a list of one kind of record number
        typical = lengths[(len(lengths) - 1) // 2]
        for j in col:
            text = lines[j].text or ""
            if per_line[j] or not _CODE_RE.match(text):
                continue
            if not 0.5 * typical <= len(text.strip()) <= 2 * typical:
                continue  # "2082" in a column of 11-character record numbers: an amount or a year
            s = len(text) - len(text.lstrip())
            out[j] = [Hit(cat, COLUMN_ID_CONF, f"code in a column of {len(found)} identifiers", s,
                          len(text.rstrip()), 1)]
    return out
