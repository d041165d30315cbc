"""PHI text classifier: the entry points that run every rule over one text or a set of OCR lines.

How it decides, in order of strength:
1. Labels. "MRN:", "DOB", "Patient:", "Fax", "Member ID" … followed by a value of the right shape. A label alone
   on its line ("Patient Name" above "GARCIA, MARIA", or "MRN:" left of a separate "00482913" box) is linked to
   the value by geometry: the nearest line right of it on the same row, or just below it, within a few text heights.
2. Shapes. SSNs, phone numbers, e-mails, URLs, IPs, dates, ages over 89, street addresses, city/state/ZIP lines.
3. Names without a label, from the US census name lists of the `names` package: "LAST, FIRST", "First Last",
   "F. Last", "Last, F"; on screens and boards a surname alone on a row. Everyday English words (the system word
   list, Debian `wamerican`) and a shipped list of signage / clinical / drug words keep "EXIT", "Heparin" or
   "Nurses station" from being called names; surnames that are also common words (WHITE, YOUNG) stay low
   confidence unless the structure (a first name, a comma, a label, a room number on the row) backs them up.
4. Context. In monitor / whiteboard / wristband / label / reflection / screen / imaging contexts a bare 7-10
   digit number is an MRN and a lone surname is a name (screens add the passes at the end of this module, imaging
   overlays the rule of overlay.py); on boards a room number in its own box backs up the name box right of it (and
   vice versa); in the plate context plate-shaped text is a plate. Values of clinical/demographic fields
   ("Language: English", "Diet: NPO") are never identifiers.

OCR noise: number-shaped tokens are read with O->0, l/I->1 (and for IDs S->5, B->8) corrections; name tokens with
0->O, 1->I, 5->S … and, failing an exact hit, one substituted letter against the commoner census names.

Everything is regex + dict/set lookups compiled or loaded once (lazily, on first use; `warm()` loads it up front,
~0.3-0.5 s): after that 200 lines take milliseconds, and repeated lines (video frames) hit a cache."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Optional, Sequence

from .. import geometry
from ..findings import Box
from .hits import Analysis, CONTEXTS, Hit, PhiMatch, SCREEN_CONTEXTS, clamp, dedupe, severity
from .dicom_tags import ATTRIBUTE_REASON, attribute_hits
from .labels import label_hits, parse_value
from .columns import id_column_hits
from .layout import column_hits, join_wrapped_cells, same_row, span_box
from .overlay import overlay_hits
from .names import name_hits
from .lexicon import ACCENT_FOLD
from .patterns import SEP_RE, find_dates, numeric_view, shape_hits
from .tables import (left_of_on_row, merge_table_hits, next_right_on_row, room_only, row_word_as_name, table_hits,
                     value_lines_for)

if TYPE_CHECKING:  # only for type hints: classifying text must not load the OCR engines
    from .ocr.base import TextLine


# RapidOCR reads Chinese-trained punctuation: "Room：107B" has a full-width colon. Mapped one character to one, so
# the spans found in the mapped text index the text as read.
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# ... and accented Latin letters fold to bare ones, one for one too: the rules are written for ASCII letters
# ("Guðrún Jónsdóttir" must read as a name, not as "Gu", "r", "n"). One table, one pass over each line.
_LINE_FOLD = _FULLWIDTH | ACCENT_FOLD


# Where a viewer's DICOM attributes show up: screens, overlays, and photographed monitors (which the region finder
# may take for a whiteboard).
ATTRIBUTE_CONTEXTS = frozenset({"screen", "imaging", "monitor", "whiteboard", "reflection"})


@lru_cache(maxsize=4096)
def _analyse(text: str, context: Optional[str]) -> Analysis:
    if not text or not text.strip():
        return Analysis((), None, False)
    text = text[:2000].translate(_LINE_FOLD)  # a line is short; a pathological string must not cost seconds
    view = numeric_view(text)
    labelled, dangling, starts, skips = label_hits(text, context)
    shapes = shape_hits(text, view, context)
    dates = [(h.start, h.end) for h in shapes if h.category == "date"]
    # Not a name: a value of a clinical field ("Language: English"), or a month inside a date ("05 Jun 2025").
    names = [h for h in name_hits(text, context)
             if not any(s <= h.start and h.end <= e for s, e in skips + dates)]
    hits = labelled + shapes + names
    return Analysis(tuple(dedupe(hits)), dangling, starts)


def _norm_context(context: Optional[str]) -> Optional[str]:
    return context if context in CONTEXTS else None


def classify_text(text: str, context: Optional[str] = None) -> list[tuple[str, float, str]]:
    """(category, rule confidence 0..1, reason) for each identifier found in one line of text."""
    a = _analyse(text or "", _norm_context(context))
    return [(h.category, round(h.confidence, 4), h.reason) for h in a.hits]


def classify_spans(text: str, context: Optional[str] = None) -> list[tuple[str, float, str, str]]:
    """Like classify_text, with the identifying substring: (category, rule confidence, reason, text)."""
    t = text or ""
    a = _analyse(t, _norm_context(context))
    return [(h.category, round(h.confidence, 4), h.reason, t[h.start:h.end]) for h in a.hits]


def table_matches(lines: Sequence["TextLine"]) -> list[PhiMatch]:
    """The room and name cells of tracker tables among all the lines of a frame. The text detector classifies
    lines per region; a board the screens detector split (or missed) still is one table across regions."""
    analyses = [_analyse(l.text or "", None) for l in lines]
    out = []
    for j, hits in sorted(table_hits(lines, analyses).items()):
        line = lines[j]
        for h in hits:
            out.append(PhiMatch(h.category, tuple(int(v) for v in line.box), round(clamp(h.confidence *
                                clamp(line.confidence)), 4), severity(h), line.text[h.start:h.end], h.reason))
    return out


def classify_lines(lines: Sequence["TextLine"], context: Optional[str] = None) -> list[PhiMatch]:
    """Every identifier in a set of OCR lines from one region (labels linked to values in separate boxes)."""
    ctx = _norm_context(context)
    if ctx == "screen":  # a table cell wrapped over lines is one value ("1970-" / "12-07")
        lines = join_wrapped_cells(lines)
    analyses = [_analyse(l.text or "", ctx) for l in lines]
    per_line: list[list[Hit]] = [list(a.hits) for a in analyses]
    for i, a in enumerate(analyses):
        if a.dangling is None:
            continue
        for j in value_lines_for(i, lines, analyses):  # the nearest line whose text fits the label
            text = lines[j].text
            hit = parse_value(a.dangling.label, a.dangling.text, text, SEP_RE.match(text, 0).end(), True, ctx,
                               linked=True)
            if hit:
                per_line[j].append(hit)
                break
    # Tracker boards put the room in its own box left of the name: each backs the other up.
    board = ctx in ("whiteboard", "monitor", "reflection")
    rooms = [j for j, l in enumerate(lines) if room_only(l)] if ctx in SCREEN_CONTEXTS else []
    if rooms:
        for j, hits in enumerate(per_line):
            if not hits and j not in rooms:
                hit = row_word_as_name(lines[j].text or "")
                if hit and any(next_right_on_row(k, j, lines) for k in rooms):
                    per_line[j] = [hit]
    merge_table_hits(per_line, table_hits(lines, analyses))
    merge_table_hits(per_line, column_hits(lines))  # a cell under a "Name" / "ID" / "DOB" header is one
    if ctx == "screen":  # a list whose header is gone: codes in a column of identifiers are identifiers
        merge_table_hits(per_line, id_column_hits(lines, per_line))
    decided: set[int] = set()
    if ctx in ATTRIBUTE_CONTEXTS:  # a viewer's DICOM attributes: the attribute says what its value is
        for j, hits in attribute_hits(lines, per_line).items():
            per_line[j] = hits
            decided.add(j)
    if ctx == "imaging":  # an overlay: every line identifies unless it is acquisition parameters
        for j, hit in overlay_hits(lines, [bool(h) for h in per_line], decided).items():
            per_line[j].append(hit)
    out: list[PhiMatch] = []
    name_boxes: list[Box] = []
    for j, hits in enumerate(per_line):
        if not hits:
            continue
        line = lines[j]
        box: Box = tuple(int(v) for v in line.box)
        ocr = clamp(line.confidence)
        if len(hits) > len(analyses[j].hits):
            hits = dedupe(hits)
        for h in hits:
            conf, reason = h.confidence, h.reason
            if h.category == "name":
                name_boxes.append(box)
                if rooms and conf < 0.8 and h.priority < 2 and any(
                        left_of_on_row(lines[k].box, box) for k in rooms if k != j):
                    conf, reason = max(conf, 0.75), reason + " (room number left on the row)"
            if board and h.category == "room" and conf < 0.65 and j in rooms:
                continue  # decided below, once every name on the board is known
            h2 = Hit(h.category, conf, reason, h.start, h.end, h.priority, h.staff)
            # On screens the value's own span; over an image the whole line (small text, estimated spans), except
            # a DICOM attribute's value, whose label before it is known harmless.
            spans = ctx == "screen" or reason.startswith(ATTRIBUTE_REASON)
            where = span_box(box, line.text, h.start, h.end) if spans else box
            out.append(PhiMatch(h.category, where, round(clamp(conf * ocr), 4), severity(h2),
                                line.text[h.start:h.end], reason))
    if board:
        for j in rooms:
            line = lines[j]
            if any(m.box == tuple(line.box) and m.category == "room" for m in out):
                continue
            m = room_only(line)
            beside = any(left_of_on_row(line.box, nb) for nb in name_boxes)
            if beside:
                conf, reason = 0.65, "room number left of a name on a row"
            elif re.search(r"[A-Za-z\-]", m.group("room")):  # "312-B", "4B": room-shaped, alone on a board
                conf, reason = (0.5 if ctx == "whiteboard" else 0.4), f"room number alone on a {ctx}"
            elif ctx == "whiteboard":
                conf, reason = 0.3, "number alone on a whiteboard"
            else:
                continue  # a bare number alone on a monitor is a vital sign far more often than a room
            score = round(clamp(conf * clamp(line.confidence)), 4)
            sev = severity(Hit("room", conf, reason, 0, 0))
            out.append(PhiMatch("room", tuple(int(v) for v in line.box), score, sev,
                                line.text[m.start("room"):m.end("room")], reason))
    if ctx == "screen":
        out.extend(_echoes(lines, out))
        out.extend(_avatar_initials(lines, out))
        out.extend(_times_beside_dates(lines, out))
        out.extend(_dates_across_lines(lines, out))
    return out


def _dates_across_lines(lines: Sequence["TextLine"], found: Sequence[PhiMatch]) -> list[PhiMatch]:
    """A date a narrow cell wraps over two lines ("Last recorded: 14" / "– Nov − 2022", "14 – Nov" / "2022"):
    the two lines joined hold a date that neither holds alone; both parts are redacted."""
    out: list[PhiMatch] = []
    order = sorted(range(len(lines)), key=lambda i: lines[i].box[1])
    for k, i in enumerate(order):
        a = lines[i]
        ha = max(1, geometry.height(a.box))
        for j in order[k + 1:k + 6]:
            b = lines[j]
            hb = max(1, geometry.height(b.box))
            if not (0.7 <= hb / ha <= 1.4 and -0.3 * ha <= b.box[1] - a.box[3] <= 0.8 * ha
                    and a.box[0] - ha <= b.box[0] <= a.box[2]):
                continue
            joined = f"{a.text} {b.text}"
            cut = len(a.text)
            for d in find_dates(numeric_view(joined)):
                if not (d.start < cut < d.end) or not d.has_year:
                    continue
                for line, s, e in ((a, d.start, cut), (b, 0, d.end - cut - 1)):
                    box = span_box(tuple(int(v) for v in line.box), line.text, s, e)
                    if not _covered(box, found, out):
                        out.append(PhiMatch("date", box, round(0.6 * clamp(line.confidence), 4), "medium",
                                            line.text[s:e].strip(), "date wrapped over two lines"))
    return out


_TIME_ONLY_RE = re.compile(r"^\s*\d{1,2}:\d{2}(?::\d{2})?\s*(?:[AaPp]\.?[Mm]\.?)?\s*$")
TIME_REACH = 15  # text heights: how far right of its date a time cell may sit on the row


def _times_beside_dates(lines: Sequence["TextLine"], found: Sequence[PhiMatch]) -> list[PhiMatch]:
    """A time in a cell of its own beside (or under) a date found on the screen is part of that date: "Sat, Apr 17
    '21 | 17:53" in a record list."""
    dates = [m.box for m in found if m.category in ("date", "dob")]
    out = []
    for line in lines:
        if not _TIME_ONLY_RE.match(line.text or ""):
            continue
        b = tuple(int(v) for v in line.box)
        h = max(1, geometry.height(b))
        beside = any(same_row(b, d) and -TIME_REACH * h <= b[0] - d[2] <= TIME_REACH * h for d in dates)
        below = any(0 <= b[1] - d[3] <= 1.5 * h and min(b[2], d[2]) > max(b[0], d[0]) for d in dates)
        if (beside or below) and not _covered(b, found):
            out.append(PhiMatch("date", b, round(0.7 * clamp(line.confidence), 4), "medium", line.text.strip(),
                                "time beside a date on the screen"))
    return out


ECHO_MIN_CHARS = 4  # letters/digits: a shorter value ("Jo", "12") recurs by chance


def _echoes(lines: Sequence["TextLine"], found: Sequence[PhiMatch]) -> list[PhiMatch]:
    """Every other place on the screen where a found identifier recurs: "Violet Verona (32657) has attended ANC"
    holds the ID found under "ID" above it; a notification repeats the phone number of the patient's card."""
    values = {}
    for m in found:
        v = m.text.strip(" ,.;:()[]")
        if sum(c.isalnum() for c in v) >= ECHO_MIN_CHARS:
            values.setdefault(v, m)
    out: list[PhiMatch] = []
    for line in lines:
        text = line.text or ""
        box = tuple(int(b) for b in line.box)
        for v, m in values.items():
            for hit in re.finditer(re.escape(v), text):
                s, e = hit.span()
                if (s and text[s - 1].isalnum()) or (e < len(text) and text[e].isalnum()):
                    continue  # inside a longer word or number
                where = span_box(box, text, s, e)
                if _covered(where, found, out):
                    continue
                out.append(PhiMatch(m.category, where, round(0.85 * clamp(line.confidence), 4), m.severity, v,
                                    "same value as an identifier found elsewhere on the screen"))
    return out


def _covered(box: Box, *found: Sequence[PhiMatch]) -> bool:
    """Whether a match already covers (90 % of) `box`: the screen passes add only what is not redacted yet."""
    return any(geometry.coverage(box, f.box) >= 0.9 for group in found for f in group)


_INITIALS_RE = re.compile(r"^\s*([A-Z]{2,3})\s*$")


def _avatar_initials(lines: Sequence["TextLine"], found: Sequence[PhiMatch]) -> list[PhiMatch]:
    """An avatar's letters ("BB" beside "Betty Bliss", "JD" beside "John Doe") are the initials of a name found on
    the same screen: they identify as much as the name's first letters do."""
    initials = {"".join(w[0].upper() for w in m.text.replace(",", " ").split() if w[:1].isalpha())
                for m in found if m.category == "name"}
    out = []
    for line in lines:
        m = _INITIALS_RE.match(line.text or "")
        if m and m.group(1) in initials:
            out.append(PhiMatch("name", tuple(int(v) for v in line.box), round(0.8 * clamp(line.confidence), 4),
                                "high", m.group(1), "initials of a name on the screen"))
    return out
