"""Geometry between OCR lines: a label alone on its line linked to the value right of it or below it, room numbers in
their own box beside a name on a tracker board's row, and tracker tables (a room column beside a name column)."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Optional, Sequence

from .. import geometry
from ..findings import Box
from .hits import Analysis, Hit
from .layout import same_row
from .lexicon import word_info
from .names import is_name_shaped
from .patterns import ROW_ROOM_RE, TOKEN_RE, YEAR_RE, fix_digits

if TYPE_CHECKING:  # only for type hints: classifying text must not load the OCR engines
    from .ocr.base import TextLine


# ------------------------------------------------------------------------------------ label/value geometry
RIGHT_MAX_GAP = 12.0  # text heights: EHR value columns sit far right of their labels
BELOW_MAX_GAP = 1.6  # text heights: a value printed under its label
FAR_RIGHT_GAP = 24.0  # text heights: a wide form's value column, when nothing else lies between on the row


def _between_on_row(i: int, j: int, lines: Sequence["TextLine"]) -> bool:
    """Some other line lies on line i's row between the end of line i and the start of line j."""
    a, b = lines[i].box, lines[j].box
    return any(k not in (i, j) and same_row(a, ln.box) and a[2] <= ln.box[0] and ln.box[2] <= b[0]
               for k, ln in enumerate(lines))


def value_lines_for(i: int, lines: Sequence["TextLine"], analyses: Sequence[Analysis]) -> list[int]:
    """Lines that may hold the value of line i's dangling label, nearest first: right of it on the same row (the
    usual EHR layout, preferred), or just below it."""
    lb = lines[i].box
    h = max(1, geometry.height(lb))
    scored: list[tuple[float, int]] = []
    for j, other in enumerate(lines):
        if j == i or not (other.text or "").strip():
            continue
        vb = other.box
        vh = max(1, geometry.height(vb))
        if not (0.4 <= vh / h <= 3.0):
            continue
        if analyses[j].starts_with_label and analyses[j].dangling is not None:
            continue  # another label, not a value
        v_overlap = min(lb[3], vb[3]) - max(lb[1], vb[1])
        dx = vb[0] - lb[2]
        if v_overlap >= 0.5 * min(h, vh) and -0.3 * h <= dx <= RIGHT_MAX_GAP * h:
            score = max(dx, 0) / (4 * h)
        elif (v_overlap >= 0.5 * min(h, vh) and RIGHT_MAX_GAP * h < dx <= FAR_RIGHT_GAP * h
              and not _between_on_row(i, j, lines)):
            score = 1.0 + dx / (4 * h)  # after a value just below, which a far one is less likely than
        else:
            dy = vb[1] - lb[3]
            h_overlap = min(lb[2], vb[2]) - max(lb[0], vb[0])
            if -0.3 * h <= dy <= BELOW_MAX_GAP * h and (h_overlap > 0 or abs(vb[0] - lb[0]) <= 2 * h):
                score = 1.0 + 2 * max(dy, 0) / h + abs(vb[0] - lb[0]) / (4 * h)
            else:
                continue
        scored.append((score, j))
    return [j for _, j in sorted(scored)[:3]]


def room_only(line: "TextLine") -> Optional[re.Match]:
    """The room number when a line is nothing but one ("312B", "4-2"): a tracker board's first column."""
    t = line.text or ""
    if 2 <= len(t.strip()) <= 6 and sum(c.isdigit() for c in t) >= 2:  # "6O1B", "4l2A": misread digits
        t = fix_digits(t[:-1]) + t[-1] if t[-1] in "ABCDabcd" else fix_digits(t)
    m = ROW_ROOM_RE.match(t)
    return m if m and not t[m.end():].strip() and not YEAR_RE.match(m.group("room")) else None


def left_of_on_row(left: Box, right: Box) -> bool:
    """`left` ends before `right` starts, on the same row, within a tracker board's column gap."""
    h = max(1, geometry.height(right))
    return same_row(left, right) and left[2] <= right[0] + 0.3 * h and right[0] - left[2] <= 12 * h


def next_right_on_row(k: int, j: int, lines: Sequence["TextLine"]) -> bool:
    """Line j is the first box right of line k on its row (the name column follows the room column; a status
    column further right does not)."""
    a, b = lines[k].box, lines[j].box
    if not left_of_on_row(a, b):
        return False
    return not any(i not in (k, j) and same_row(a, lines[i].box) and a[2] <= lines[i].box[0] < b[0]
                   for i in range(len(lines)))


def row_word_as_name(text: str) -> Optional[Hit]:
    """A lone capitalised word (THORN, Barrios) in the name column of a board row: the room number left of it
    makes it a name even when it is also an everyday word; clinical words (NPO, Ready) stay what they are."""
    toks = TOKEN_RE.findall(text)
    if len(toks) != 1 or not toks[0].isalpha() or not is_name_shaped(toks[0]):
        return None
    info = word_info(toks[0])
    if info.stop or (len(toks[0]) < 3 and not (0 < info.surname <= 3000 and not info.common)):  # YU, LI, NG
        return None
    if info.common and not info.surname:
        return None  # "120  Systolic" on a vitals monitor: a word that is no one's name
    start = text.index(toks[0])
    conf = 0.6 if info.surname else 0.5
    return Hit("name", conf, "word beside a room number on a board row", start, start + len(toks[0]))


# ------------------------------------------------------------------------------------ tracker tables
# A census / tracker board is a table: a column of room numbers, a column of patient names beside it, often a
# header row ("ROOM  PATIENT  NOTES", "Rm | Pt | RN") and a status column. OCR reads every cell as its own line and
# the screens detector may find no board around it, so each cell alone is weak evidence ("ENGLE" could be a brand,
# "509" a vital sign); the column structure is what makes them a room and a name.
_HEADER_ROOM_RE = re.compile(r"(?<![A-Za-z])(?:room|rm|bed|bay|loc(?:ation)?)(?![A-Za-z])", re.I)
_HEADER_NAME_RE = re.compile(r"(?<![A-Za-z])(?:patients?|pt|name)(?![A-Za-z])", re.I)
_CELL_NAME_RE = re.compile(r"^\s*(?P<last>[A-Za-z][A-Za-z'’\-]+)\s*(?:,\s*(?P<init>[A-Za-z])\.?|,)?\s*$")
TABLE_ROOM_CONF = 0.75  # a room number in a tracker table's room column
TABLE_NAME_CONF = 0.8  # a census surname in the name column
TABLE_WEAK_NAME_CONF = 0.65  # a name-shaped unknown word ("Oneill", a misread surname) in the name column
COLUMN_ALIGN = 1.5  # text heights: how far apart the left edges of one column's cells may be (marker jitter)
ROW_PITCH_MAX = 4.0  # text heights between consecutive rows of one column (one unread row still fits)


def _name_cell(text: str, analysis: Analysis) -> Optional[tuple[int, int, bool]]:
    """(start, end, is_clearly_a_name) when a board cell reads as a patient name: "WESLEY", "Wiles, C.", "RUSH".
    Clinical and status words ("NPO", "Tele", "Fall risk") and everyday words that are no one's surname are not;
    surnames that are everyday words (GREEN, WARD) are cells of a known table but do not make one."""
    named = [h for h in analysis.hits if h.category == "name" and not h.staff]
    if any(h.confidence >= 0.5 for h in named):
        h = max(named, key=lambda h: h.confidence)
        return h.start, h.end, True
    cell = _name_cell_by_shape(text)
    if cell is None and named:  # "Wiles, C.": the name rules saw a name, if a doubtful one
        return named[0].start, named[0].end, False
    return cell


def _name_cell_by_shape(text: str) -> Optional[tuple[int, int, bool]]:
    m = _CELL_NAME_RE.match(text)
    if not m:
        return None
    info = word_info(m.group("last"))
    if info.stop or len(info.norm) < 2:
        return None
    initial = bool(m.group("init"))
    if not is_name_shaped(m.group("last")) and not (initial and info.surname_strength > 0):
        return None  # "olivas, G.": OCR lowered the capital; the initial still makes it a name cell
    if info.surname_strength >= 0.7 or info.first_strength >= 0.9 or (initial and info.surname_strength > 0):
        return m.start("last"), m.end(), True
    if info.surname_strength > 0 or info.first_strength > 0 or (not info.common and (initial or len(info.norm) >= 4)):
        return m.start("last"), m.end(), False  # GREEN; or an unknown word with a surname's shape ("Oneill")
    return None


def _header_above(top: float, x0: float, x1: float, h: float, lines: Sequence["TextLine"]) -> bool:
    """A header row naming a room column and a patient column sits just above a table spanning x0..x1: either one
    box ("ROOM  PATIENT  NOTES") or separate boxes on one row ("Room" "Patient" "Status")."""
    near = [l for l in lines if l.box[3] <= top + 0.3 * h and top - l.box[3] <= 3 * h
            and l.box[2] >= x0 - 2 * h and l.box[0] <= x1 + 2 * h and len(l.text or "") <= 60]
    for a in near:
        row = [b for b in near if same_row(a.box, b.box)]
        words = " ".join(b.text or "" for b in row)
        if _HEADER_ROOM_RE.search(words) and _HEADER_NAME_RE.search(words):
            return True
    return False


def _room_columns(keys: Sequence[int], lines: Sequence["TextLine"]) -> list[list[int]]:
    """Room-number boxes grouped into columns: left edges aligned, rows stacked at a table's pitch."""
    columns: list[list[int]] = []
    for k in sorted(keys, key=lambda i: lines[i].box[1]):
        b = lines[k].box
        h = max(1, geometry.height(b))
        for col in columns:
            last = lines[col[-1]].box
            if abs(b[0] - last[0]) <= COLUMN_ALIGN * h and 0 < b[1] - last[1] <= ROW_PITCH_MAX * h:
                col.append(k)
                break
        else:
            columns.append([k])
    return [c for c in columns if len(c) >= 2]


def _extend_name_column(cells: dict, key_set: set[int], lines: Sequence["TextLine"],
                        analyses: Sequence[Analysis]) -> None:
    """Name cells whose room was not read (or sits in another region): names stacked in the name column of a
    confirmed table, walking up and down from its cells, left edges aligned, one row pitch at a time."""
    taken = {j for j, _ in cells.values()}
    for direction in (1, -1):
        edge = (max if direction > 0 else min)(taken, key=lambda j: lines[j].box[1])
        while True:
            eb = lines[edge].box
            h = max(1, geometry.height(eb))
            nxt = [j for j, l in enumerate(lines) if j not in taken and j not in key_set
                   and abs(l.box[0] - eb[0]) <= COLUMN_ALIGN * h and 0 < direction * (l.box[1] - eb[1]) <= 2.5 * h]
            nxt = [j for j in nxt if _name_cell(lines[j].text or "", analyses[j])]
            if not nxt:
                break
            edge = min(nxt, key=lambda j: abs(lines[j].box[1] - eb[1]))
            taken.add(edge)
            cells[("col", edge)] = (edge, _name_cell(lines[edge].text or "", analyses[edge]))


def table_hits(lines: Sequence["TextLine"], analyses: Sequence[Analysis]) -> dict[int, list[Hit]]:
    """Room and name cells of the tracker tables among `lines` (line index -> hits), whatever the context."""
    keys = [k for k, l in enumerate(lines) if room_only(l)]
    key_set = set(keys)
    out: dict[int, list[Hit]] = {}
    for col in _room_columns(keys, lines):
        cells: dict[int, tuple[int, tuple[int, int, bool]]] = {}  # room line -> (name line, cell)
        for k in col:  # the name cell is the first box right of the room on its row
            right = [j for j in range(len(lines)) if left_of_on_row(lines[k].box, lines[j].box)]
            j = min(right, key=lambda i: lines[i].box[0], default=None)
            if j is not None and j not in key_set:
                cell = _name_cell(lines[j].text or "", analyses[j])
                if cell:
                    cells[k] = (j, cell)
        census = sum(1 for _, (_, _, strong) in cells.values() if strong)
        boxes = [lines[k].box for k in col]
        h = max(1, sorted(geometry.height(b) for b in boxes)[len(boxes) // 2])
        x1 = max([b[2] for b in boxes] + [lines[j].box[2] for j, _ in cells.values()])
        header = _header_above(min(b[1] for b in boxes), min(b[0] for b in boxes), x1, h, lines)
        # Without a ROOM/PATIENT header, two rows must hold clear names and most rows a name: a column of numbers
        # beside words (vitals, a department directory, a colour code) is no census.
        if not ((census >= 2 and 2 * len(cells) >= len(col)) or (header and cells)):
            continue
        why = "tracker table" + (" under a ROOM/PATIENT header" if header else "")
        _extend_name_column(cells, key_set, lines, analyses)
        for k in col:
            m = room_only(lines[k])
            out.setdefault(k, []).append(Hit("room", TABLE_ROOM_CONF, f"room column of a {why}",
                                              m.start("room"), m.end("room")))
        for j, (s, e, strong) in cells.values():
            conf = TABLE_NAME_CONF if strong else TABLE_WEAK_NAME_CONF
            out.setdefault(j, []).append(Hit("name", conf, f"name column of a {why}", s, e))
    return out


def merge_table_hits(per_line: list[list[Hit]], table: dict[int, list[Hit]]) -> None:
    """Add the table's hits: a cell already found as the same category keeps its span, at the higher confidence."""
    for j, hits in table.items():
        for t in hits:
            same = [h for h in per_line[j] if h.category == t.category]
            if not same:
                per_line[j].append(t)
                continue
            for h in same:
                if h.confidence < t.confidence:
                    per_line[j][per_line[j].index(h)] = Hit(h.category, t.confidence, f"{h.reason}; {t.reason}",
                                                             h.start, h.end, max(h.priority, 1), h.staff)
