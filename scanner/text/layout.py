"""Layout: rows and columns of OCR lines, and the tables with a header row that EHR screens are made of.

A patient list reads "ID | Name | Gender | Birth date | Phone" and then one row per patient. Each cell alone is
weak evidence ("Jane Mane", "new test", "ABC200003", "05 Jun 2025" — demo names no dictionary knows), but a cell
under a "Name" header *is* a name, whatever the census says, and a cell under "ID" is a record number, truncated
or not ("11A43873…"). This module finds such header rows and assigns every cell below them to its column, so the
classifier can give the cell its column's category (`column_hits`).

Pure geometry on `TextLine`-like objects (`.text`, `.box`); no models, no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from statistics import median
from typing import TYPE_CHECKING, Optional, Sequence

from .. import geometry
from ..findings import Box
from .hits import Hit
from .labels import label_hits
from .lexicon import word_info

if TYPE_CHECKING:
    from .ocr.base import TextLine

# Header text -> the category of the cells under it. Whole-cell matches only: "Name" is a header, "Name: Jo" is
# a labelled value (the label rules read it).
HEADERS: tuple[tuple[str, str], ...] = (
    ("dob", r"(?:patient\s+)?(?:dob|d\.o\.b\.?|date\s+of\s+birth|birth\s*date|birth\s*day|born)"),
    ("mrn", r"(?:patient\s*)?(?:id|i\.d\.|mrn|identifier|id\s*(?:no\.?|number|#)|record\s*(?:#|no\.?|number|id)"
            r"|(?:internal|client|person|source|local|unique|system|registry|cr|master)\s*u?id|cruid|euid|upid"
            r"|medical\s+record(?:\s+(?:#|no\.?|number))?|chart\s*(?:#|no\.?|number)|registration\s*(?:#|no\.?|number)"
            r"|reg\.?\s*(?:#|no\.?)|nhs\s*(?:no\.?|number)|national\s+id|hospital\s*(?:#|no\.?|number)|pid)"),
    ("identifier", r"(?:lab|accession|sample|specimen|order|request|case|visit|encounter)\s*(?:id|#|no\.?|number)"
                   r"|accession|lab\s*no\.?"),
    # A stacked cell holding several facts about the patient (name, national ID, sex, birth date).
    ("patient_info", r"(?:patient|sample|client|person)\s+(?:info(?:rmation)?|details|demographics)|demographics"),
    ("name", r"(?:patient|client|person|member|resident|contact|beneficiary)?\s*(?:full\s+|last\s+|first\s+|middle\s+"
             r"|given\s+|family\s+|sur)?name|patient|client|person|surname|parent|guardian|mother|father|caregiver"
             r"|next\s+of\s+kin|relative"),
    ("phone", r"(?:phone|telephone|mobile|cell|contact)\s*(?:no\.?|number|#)?|tel\.?"),
    ("address", r"(?:home\s+)?address|residence|village|street"),
    ("email", r"e-?mail(?:\s+address)?"),
    ("room", r"room|bed|rm|room\s*/\s*bed|bed\s*no\.?"),
    ("date", r"(?:visit|admission|admit|discharge|collection|collected|received|registration|registered|created"
             r"|appointment|encounter|order|request|last\s+visit(?:ed)?|service|report|sample|test|result)?\s*date(?:\s*/\s*time)?"
             r"|last\s+visit(?:ed)?|registered|date\s+created|created\s+on|collected|received"),
)
# "Given Name(s)", "Given Names", "Phone numbers" name the same column ("Clients", "Patients" are menus). A sort
# arrow may follow (RapidOCR reads ↑ as 个).
_HEADER_RES = [(cat, re.compile(rf"^\s*(?:{pat})(?:\(s\)|(?<=name)s|(?<=number)s)?\s*[:#*]?\s*[▲▼↑↓⇅个]?\s*$", re.I))
               for cat, pat in HEADERS]
MAX_HEADER_LEN = 30
ROW_GAP_MAX = 4.0  # text heights between consecutive rows of one table
PITCH_BREAK = 1.8  # once the rows' pitch is known, a gap this many times the usual one ends the table
MAX_ROWS = 80
COLUMN_CONF = 0.9  # above a label linked from the header cell ("ID" -> identifier): the column is surer
# Cells of these columns must hold at least one digit to be a value (a "Name" cell can be "new test").
_NEEDS_DIGIT = frozenset({"mrn", "identifier", "dob", "date", "phone", "room"})
# An input box's placeholder under a form's column label is no value.
_PLACEHOLDER_RE = re.compile(r"^(?:enter|search|select|type|choose|pick|add|e\.g\.)\b", re.I)
# Column category -> the finding category its cells get.
_CELL_CATEGORY = {"patient_info": "identifier"}


# Relative advance widths of characters in a UI sans-serif font: enough to place a value inside its OCR line.
_NARROW = set("il1.,:;·'|!()[]fjtrI ")
_WIDE = set("mwMW@%")
SPAN_MARGIN_CHARS = 1.0  # widen a value's box by this many average characters each side (width estimate error)
WHOLE_LINE_SHARE = 0.8  # a value this much of its line gets the whole line box


def _advance(c: str) -> float:
    if c in _NARROW:
        return 0.5
    if c in _WIDE:
        return 1.45
    return 1.2 if c.isupper() else 1.0


def span_box(box: Box, text: str, start: int, end: int) -> Box:
    """The part of an OCR line box that holds text[start:end], from character advance widths plus a margin; the
    whole line when the value is most of it. For screenshots, whose lines are level and whose fonts are known
    kinds: "Male · 25 years · 12-Sep-1997" redacts the date, not the age beside it."""
    n = len(text)
    if n == 0 or (start <= 0 and end >= n):
        return box
    widths = [_advance(c) for c in text]
    total = sum(widths)
    x0, y0, x1, y1 = box
    scale = (x1 - x0) / total
    margin = SPAN_MARGIN_CHARS * total / n
    a = sum(widths[:start]) - margin
    b = sum(widths[:end]) + margin
    if (b - a) >= WHOLE_LINE_SHARE * total:
        return box
    return (int(max(x0, x0 + a * scale)), y0, int(round(min(x1, x0 + b * scale))), y1)


def header_category(text: str) -> Optional[str]:
    """The column category a header cell names ("Last Name" -> name, "Birth date" -> dob), else None."""
    t = (text or "").strip()
    if not t or len(t) > MAX_HEADER_LEN:
        return None
    for cat, rx in _HEADER_RES:
        if rx.match(t):
            return cat
    return None


def same_row(a: Box, b: Box) -> bool:
    return min(a[3], b[3]) - max(a[1], b[1]) >= 0.5 * max(1, min(geometry.height(a), geometry.height(b)))


def rows_of(lines: Sequence["TextLine"]) -> list[list[int]]:
    """Line indices grouped into rows (vertical overlap), each row left to right, rows top to bottom."""
    order = sorted(range(len(lines)), key=lambda i: (lines[i].box[1] + lines[i].box[3]) / 2)
    rows: list[list[int]] = []
    for i in order:
        for row in rows[-3:]:
            if same_row(lines[row[0]].box, lines[i].box):
                row.append(i)
                break
        else:
            rows.append([i])
    return [sorted(r, key=lambda i: lines[i].box[0]) for r in rows]


@dataclass(frozen=True)
class Column:
    category: str
    header: str
    left: float  # cells whose left edge lies in [left, right) belong here
    right: float
    header_box: Box  # the header cell itself: a cell mostly under it belongs here whatever its left edge


@dataclass(frozen=True)
class Table:
    header_row: tuple[int, ...]
    columns: tuple[Column, ...]
    cells: tuple[tuple[int, Column], ...]  # (line index, its column) for every cell below the header


def _columns(header: Sequence[int], lines: Sequence["TextLine"]) -> list[Column]:
    """Columns from a header row: each spans from just left of its header to just left of the next header."""
    cols: list[Column] = []
    for k, i in enumerate(header):
        b = lines[i].box
        h = geometry.height(b)
        nxt = lines[header[k + 1]].box[0] - 0.5 * h if k + 1 < len(header) else float("inf")
        prev_right = lines[header[k - 1]].box[2] if k else -float("inf")
        left = max(prev_right, b[0] - 1.5 * h)
        cat = header_category(lines[i].text) or ""
        cols.append(Column(cat, lines[i].text.strip(), left, nxt, tuple(b)))
    return cols


def _header_like(text: str) -> bool:
    """Short words: no digits, no comma ("KOWALSKI, DOROTHY" is a value), no closing colon ("Patient:" is a form
    label, its value beside it)."""
    t = (text or "").strip()
    return len(t) <= MAX_HEADER_LEN and sum(c.isdigit() for c in t) <= 1 and "," not in t and not t.endswith(":")


def _header_run(row: Sequence[int], lines: Sequence["TextLine"]) -> list[int]:
    """The cells of a row that may be a table's header: the longest run of header-like cells that names a column.
    A screen shows panels side by side, so a table's header shares its row with a form's "Phone: 712 …"."""
    best: list[int] = []
    run: list[int] = []
    for i in list(row) + [-1]:
        if i >= 0 and _header_like(lines[i].text):
            run.append(i)
            continue
        named = sum(bool(header_category(lines[k].text)) for k in run)
        # Beside other text a run must look like a header row of its own: a form's "Given | Family Name" labels
        # over their input boxes are no table.
        if len(run) > len(best) and named and (len(run) == len(row) or (len(run) >= 3 and named >= 2)):
            best = run
        run = []
    return best


def _column_of(box: Box, cols: Sequence[Column]) -> Optional[Column]:
    """The column a cell belongs to: the header that 40% of it or more lies under (values often start left of a
    header shifted by a sort icon or padding: "CARDIX" under "Patient Name"), else the column whose span holds
    the cell's left edge."""
    best, best_overlap = None, 0.0
    for col in cols:
        overlap = min(box[2], col.header_box[2]) - max(box[0], col.header_box[0])
        if overlap > best_overlap:
            best, best_overlap = col, overlap
    if best is not None and best_overlap >= 0.4 * max(1, box[2] - box[0]):
        return best
    return next((c for c in cols if c.left <= box[0] < c.right), None)


def find_tables(lines: Sequence["TextLine"]) -> list[Table]:
    """Tables with a header row: a row of >= 2 short cells, at least one naming an identifier column, and the
    rows below it at a table's pitch."""
    rows = rows_of(lines)
    tables: list[Table] = []
    used: set[int] = set()
    for r, full_row in enumerate(rows):
        row = _header_run(full_row, lines)
        if len(row) < 2 or any(i in used for i in row):
            continue
        cats = [header_category(lines[i].text) for i in row]
        if not any(c and c not in ("room", "date") for c in cats):
            continue
        if len(row) == 2 and cats[0] and not cats[1]:
            continue  # a label and the value right of it ("Last name * | Anderson"): a form's row, not a header
        cols = _columns(row, lines)
        h = median(geometry.height(lines[i].box) for i in row)
        cells: list[tuple[int, Column]] = []
        bottom = max(lines[i].box[3] for i in row)
        gaps: list[float] = []
        for below in rows[r + 1:r + 1 + MAX_ROWS]:
            top = min(lines[i].box[1] for i in below)
            gap = top - bottom
            if gap > ROW_GAP_MAX * h or (len(gaps) >= 2 and gap > PITCH_BREAK * max(median(gaps), 0.3 * h)):
                break
            gaps.append(max(gap, 0.0))
            if len(below) >= 2 and sum(bool(header_category(lines[i].text)) for i in below) >= 2:
                break  # the next table's header
            for i in below:
                col = _column_of(lines[i].box, cols)
                if col is not None and col.category:
                    cells.append((i, col))
            bottom = max(lines[i].box[3] for i in below)
        if cells:
            used.update(row)
            tables.append(Table(tuple(row), tuple(cols), tuple(cells)))
    return tables


@lru_cache(maxsize=4096)  # asked of every cell of every table, frame after frame in a video
def is_field_label(text: str) -> bool:
    """A form's field label ("Postal code", "Mobile number *", "City:"): under a label on the same column it is
    the next field of a form, not a value of a table column."""
    t = (text or "").strip().rstrip("*: \t")
    if not t or len(t) > MAX_HEADER_LEN:
        return False
    _, dangling, starts, _ = label_hits(t, None)
    return (dangling is not None and starts) or t.lower() in _FORM_FIELDS


_FORM_FIELDS = frozenset({"city", "town", "village", "district", "state", "province", "county", "country",
                          "region", "postcode", "street", "first name", "given name", "family name", "middle name"})


def _cell_value(text: str, category: str) -> Optional[tuple[int, int]]:
    """The span of a cell's value, or None when the cell cannot be a value of its column (empty, a placeholder
    dash, a header-like word, no digit where the column is numeric)."""
    t = text or ""
    s = len(t) - len(t.lstrip())
    e = len(t.rstrip())
    v = t[s:e]
    if len(v.strip("-–—.…*_ ")) < 1 or header_category(v) or _PLACEHOLDER_RE.match(v) or is_field_label(v):
        return None
    if category in ("mrn", "identifier") and (len(v.split()) > 2 or sum(c.isalnum() for c in v) < 3):
        return None  # "1 of 1 page" under a Lab Number column is the table's pager
    if category in _NEEDS_DIGIT and not any(c.isdigit() for c in v) and not (
            category in ("mrn", "identifier") and _letter_code(v)):
        return None
    if category == "phone" and sum(c.isdigit() for c in v) < 5:
        return None
    if category in ("name", "address") and (not any(c.isalpha() for c in v) or ":" in v):
        return None  # "Age: 94 y/o" below a name column is another field, read by the label rules
    return s, e


def _letter_code(text: str) -> bool:
    """A record code of letters only, as demo data and DICOM samples have ("XsxuId", "SCSARAB"): one token of 5+
    letters that is no word ("None", "Pending" and "Unknown" are words)."""
    t = text.strip()
    if not re.fullmatch(r"[A-Za-z]{5,16}", t):
        return False
    info = word_info(t)
    return not info.common and not info.known


def column_hits(lines: Sequence["TextLine"]) -> dict[int, list[Hit]]:
    """Line index -> the hit its table column gives it ("cell under a 'Last Name' header")."""
    out: dict[int, list[Hit]] = {}
    for table in find_tables(lines):
        for i, col in table.cells:
            span = _cell_value(lines[i].text, col.category)
            if span is None:
                continue
            cat = _CELL_CATEGORY.get(col.category, col.category)
            out.setdefault(i, []).append(Hit(cat, COLUMN_CONF, f"cell under a '{col.header[:20]}' column header",
                                             span[0], span[1], 2))
    return out


# ----------------------------------------------------------------------------------------- wrapped cells
WRAP_MAX_CHARS = 24  # a wrapped cell's fragments are short; paragraph lines are not cells
WRAP_MAX_PARTS = 4
WRAP_MAX_GAP = 0.3  # text heights between the fragments of one cell (rows of a table sit further apart)
# A fragment ending so breaks inside one value ("Rec-" / "Jk1-" / "Org"). Otherwise only a header wraps into one
# ("Birth" / "Date"): stacked lines of words are as often two facts (a name over its task) as one wrapped name.
_CONTINUES = ("-", "/", "_", ".")


def _stacked(upper: Box, lower: Box) -> bool:
    """`lower` continues `upper` in the same narrow cell: left-aligned or centred on it, of a like height, right
    under it."""
    hu, hl = geometry.height(upper), geometry.height(lower)
    h = max(1, min(hu, hl))
    if max(hu, hl) > 1.5 * h:
        return False
    gap = lower[1] - upper[3]
    if not -0.6 * h <= gap <= WRAP_MAX_GAP * h:
        return False
    aligned = abs(upper[0] - lower[0]) <= 0.6 * h
    wu, wl = max(1, upper[2] - upper[0]), max(1, lower[2] - lower[0])
    # Centred lines of like widths ("Birth" / "Date"); a badge or an icon over a label is no wrapped cell.
    centred = abs((upper[0] + upper[2]) - (lower[0] + lower[2])) <= 1.2 * h and max(wu, wl) <= 2.5 * min(wu, wl)
    return aligned or centred


def join_wrapped_cells(lines: Sequence["TextLine"]) -> list["TextLine"]:
    """Lines with each table cell that wraps over 2-4 lines joined into one ("Rec-" / "Jk1-" / "Org" ->
    "Rec-Jk1-Org", "1970-" / "12-07", and a header "Given" / "Name(s)"). A stack is a wrapped cell only when a
    one-line cell beside it sits centred on it: the row is taller than one line. A list of one-line rows, however
    tight, has its neighbours level with each fragment, not between them."""
    n = len(lines)
    if n < 3:
        return list(lines)
    short = [len((l.text or "").strip()) <= WRAP_MAX_CHARS for l in lines]
    order = sorted(range(n), key=lambda i: lines[i].box[1])
    below: dict[int, int] = {}
    above: set[int] = set()
    tight: set[int] = set()  # lines with another line stacked right above or below them
    for a, i in enumerate(order):
        for j in order[a + 1:]:
            if lines[j].box[1] > lines[i].box[3] + lines[i].box[3] - lines[i].box[1]:
                break
            if not _stacked(lines[i].box, lines[j].box):
                continue
            tight.update((i, j))
            if i in below or j in above or not (short[i] and short[j]):
                continue
            upper, lower = (lines[i].text or "").strip(), (lines[j].text or "").strip()
            if not upper.endswith(_CONTINUES) and not header_category(f"{upper} {lower}"):
                continue  # "Beatrice Bass" over "ANC Visit", "ID-123" over "Tester, Test": facts, each whole
            below[i] = j
            above.add(j)
    out: list = []
    taken: set[int] = set()
    for i in order:  # top to bottom: a chain starts at its first fragment (or where the chain above it ended)
        if i in taken or i not in below:
            continue
        chain = [i]
        # Past two fragments a cell goes on only where its text breaks mid-value ("Rec-" / "Jk1-" / "Org"): a
        # third plain line is the next row's.
        while chain[-1] in below and len(chain) < WRAP_MAX_PARTS and (
                len(chain) == 1 or (lines[chain[-1]].text or "").strip().endswith(_CONTINUES)):
            chain.append(below[chain[-1]])
        box = geometry.union([lines[k].box for k in chain])
        if not _centred_neighbour(box, chain, lines, tight):
            continue
        text = ""
        for k in chain:
            part = (lines[k].text or "").strip()
            text = text + part if not text or text.endswith(_CONTINUES) else f"{text} {part}"
        out.append(replace(lines[chain[0]], text=text, box=box,
                           confidence=min(lines[k].confidence for k in chain)))
        taken.update(chain)
    if not taken:
        return list(lines)
    return [l for k, l in enumerate(lines) if k not in taken] + out


def _centred_neighbour(box: Box, chain: Sequence[int], lines: Sequence["TextLine"], tight: set[int]) -> bool:
    """Whether a one-line cell left or right of the stack sits centred on it, alone in its column there (the
    witness of a tall row)."""
    span = geometry.height(box)
    mid = (box[1] + box[3]) / 2
    for k, l in enumerate(lines):
        if k in chain:
            continue
        b = l.box
        if b[2] > box[0] and b[0] < box[2]:
            continue  # above or below the stack, not beside it
        if max(b[0] - box[2], box[0] - b[2]) > 40 * max(1, geometry.height(b)):
            continue  # too far to be a cell of the same row
        if geometry.height(b) > 0.7 * span:
            continue
        if abs((b[1] + b[3]) / 2 - mid) > 0.25 * span:
            continue
        if k in tight:
            continue  # itself one of a tight column's rows: the list is tight, no row is tall
        return True
    return False
