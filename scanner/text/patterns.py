"""Identifier shapes: dates, SSNs, phone numbers, e-mails, URLs, IPs, ages, street addresses, city/state/ZIP lines,
ID-shaped codes, room numbers and plates, and the free rules that find them without a label (`shape_hits`).

OCR noise: number-shaped tokens are read with O->0, l/I->1 (and for IDs S->5, B->8) corrections (`numeric_view`,
`fix_digits`, `read_id`), keeping the offsets of the text as read."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

from .hits import Hit, SCREEN_CONTEXTS
from .lexicon import word_info


_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
          r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
          # Spanish, Portuguese and French abbreviations EHRs outside the US print (ene, abr, ago, dic; fev, mai,
          # set, out, dez; janv, févr, avr, juil, déc)
          r"|ene|abr|ago|dic|fev|mai|set|out|dez|janv|f[ée]vr|avr|juil|d[ée]c)")
_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                           "nov", "dec"))} | {
    "ene": 1, "abr": 4, "ago": 8, "dic": 12, "fev": 2, "mai": 5, "set": 9, "out": 10, "dez": 12, "fév": 2,
    "avr": 4, "déc": 12, "jui": 7}
_DSEP = r"[\s\-–—−/.]"  # between date parts: en and em dashes too ("12 – Sept — 1997")
_DATE_RES = [  # (regex, kind); each captures month/day/year groups by name
    (re.compile(r"(?<![\d/.\-])(?P<m>\d{1,2})\s?(?P<s>[/\-.])\s?(?P<d>\d{1,2})\s?(?P=s)\s?(?P<y>\d{4}|\d{2})(?![\d/])"),
     "mdy"),
    (re.compile(r"(?<![\d/.\-])(?P<y>(?:19|20)\d{2})(?P<s>[/\-.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})(?![\d/])"), "ymd"),
    # "1999 Sep 23", as imaging overlays and DICOM viewers print study dates
    (re.compile(rf"(?<![\d\w])(?P<y>(?:19|20)\d{{2}}){_DSEP}+(?P<mon>{_MONTH})\.?{_DSEP}*(?P<d>\d{{1,2}})(?![\d:])",
                re.I), "ymond"),
    (re.compile(rf"(?<!\d)(?P<d>\d{{1,2}})(?:st|nd|rd|th)?{_DSEP}*(?P<mon>{_MONTH})\.?(?:(?:{_DSEP}|,)*"
                rf"(?P<y>\d{{4}}|'?\d{{2}})(?![\d:]))?(?!\w)", re.I), "dmony"),
    (re.compile(rf"(?<![\w])(?P<mon>{_MONTH})\.?{_DSEP}*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?![\d:])"
                rf"(?:,?{_DSEP}*(?P<y>\d{{4}}|'\d{{2}})(?![\d:]))?", re.I), "mondy"),
    (re.compile(r"(?<![\d/.\-])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\d/%])"), "md"),  # no year: only after a label
    (re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])(?!\d)"), "compact"),
]


@dataclass(frozen=True)
class _Date:
    start: int
    end: int
    has_year: bool
    kind: str


def _valid_date(m: re.Match, kind: str) -> Optional[_Date]:
    g = m.groupdict()
    try:
        day = int(g["d"])
        mon = _MONTHS[g["mon"][:3].lower()] if g.get("mon") else int(g["m"])
    except (KeyError, TypeError, ValueError):
        return None
    year = g.get("y")
    ok = (1 <= mon <= 12 and 1 <= day <= 31) or (kind in ("mdy", "md") and 1 <= day <= 12 and 1 <= mon <= 31)
    if not ok:
        return None
    return _Date(m.start(), m.end(), bool(year), kind)


def find_dates(text: str, with_bare_md: bool = False) -> list[_Date]:
    """Valid calendar dates in text (month/day checked). Bare 'm/d' (also a ratio or a blood pressure) only when
    asked, i.e. after a date label."""
    out: list[_Date] = []
    for rx, kind in _DATE_RES:
        if kind == "md" and not with_bare_md:
            continue
        for m in rx.finditer(text):
            d = _valid_date(m, kind)
            if d and not any(o.start < d.end and d.start < o.end for o in out):
                out.append(_with_time(text, d))
    return sorted(out, key=lambda d: d.start)


# A time of day and a weekday belong to the date they stand with: "17/01/2025 02:20", "Mon, Jun 30th, 2025 at
# 12:00 AM", "01-Dec-2022, 08:08 PM" — left readable, they narrow the date down as much as the date itself.
_TIME_AFTER_RE = re.compile(r",?\s*(?:[-–—]\s*)?(?:at\s+)?\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s*[AaPp]\.?[Mm]\.?)?"
                            r"(?!\d)")
_WEEKDAY_BEFORE_RE = re.compile(r"(?<![A-Za-z])(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun"
                                r"|lun|mar|mi[ée]|jue|vie|s[áa]b|dom|seg|ter|qua|qui|sex)[a-zé]*\.?,?\s*$", re.I)
# A day named relative to today with its time: "Today, 12:02 PM", "Yesterday at 9:08"
_RELATIVE_DAY_RE = re.compile(r"(?<![A-Za-z])(?:today|yesterday|tomorrow),?\s*(?:at\s+)?\d{1,2}:\d{2}"
                              r"(?:\s*[AaPp]\.?[Mm]\.?)?(?!\d)", re.I)


def _with_time(text: str, d: _Date) -> _Date:
    start, end = d.start, d.end
    m = _TIME_AFTER_RE.match(text, end)
    if m:
        end = m.end()
    w = _WEEKDAY_BEFORE_RE.search(text[max(0, start - 12):start])
    if w:
        start = max(0, start - 12) + w.start()
    return _Date(start, end, d.has_year, d.kind)


_SSN_RE = re.compile(r"(?<![\d\-])(\d{3})([\- ])(\d{2})\2(\d{4})(?![\d\-])")
_SSN_MASKED_RE = re.compile(r"(?<![\w*])(?:[Xx*]{3}[\- ][Xx*]{2}[\- ]\d{4})(?!\d)")
PHONE_RE = re.compile(r"(?<![\d\w])(?:\+?1[\s.\-]?)?(?:\(\s?\d{3}\s?\)\s?|\d{3}(?P<s>[\s.\-]))\d{3}[\s.\-]\d{4}"
                       r"(?:\s*(?:x|ext\.?)\s*\d{1,5})?(?![\d\-])", re.I)
# International numbers as EHRs outside the US print them: "+9779808147485", "+256 414 345784".
_PHONE_INTL_RE = re.compile(r"(?<![\w+])\+\d{1,3}[\s\-]?\(?\d{1,4}\)?(?:[\s\-]?\d{2,5}){1,4}(?![\d\-])")
PHONE7_RE = re.compile(r"(?<![\d\-])\d{3}[\-.]\d{4}(?![\d\-])")
EMAIL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+\-]*\s?@\s?[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_URL_RE = re.compile(r"(?:https?://|www\.)[^\s,;\"'<>]+", re.I)
_DOMAIN_RE = re.compile(r"(?<![@\w.])(?:[A-Za-z0-9\-]+\.)+(?:com|org|net|edu|gov|io|health|us|info|care|md)"
                        r"(?:/[^\s,;\"'<>]*)?(?![\w])", re.I)
_IP_RE = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
                    r"(?![\d.])")
_VERSION_BEFORE_RE = re.compile(r"(?:version|ver|release|build|v)\.?\s*[:#]?\s*$", re.I)
_IPV6_RE = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\w:])")
_AGE_RE = re.compile(r"(?<![\d.])(?P<n>\d{2,3})\s?(?:-\s?)?(?:y/o|y\.o\.?|yo|yrs?\.?\s*old|years?[\s\-]*old|yrs?\.?"
                     r"|years?|year-old|y(?=\s?(?:[MF]\b|[)/,]|$)))(?![a-z])", re.I)
_AGE_SEX_RE = re.compile(r"(?<![\d.])(?P<n>\d{2,3})\s?(?P<sex>[MF])(?![\w.])")  # "94 F" on a board
_STREET_TYPES = (r"street|st|avenue|ave|road|rd|boulevard|blvd|drive|dr|lane|ln|court|way|place|pl|parkway|pkwy"
                 r"|highway|hwy|circle|cir|terrace|ter|trail|trl|square|sq|route|rte|pike")
# Street names are capitalised ("2 head CT" is not an address); the street type may be in any case.
_STREET_RE = re.compile(rf"(?<![\w/.\-])\d{{1,6}}[A-Za-z]?\s+(?:[NSEW]\.?\s+|(?i:north|south|east|west)\s+)?"
                        rf"(?:[A-Z0-9][A-Za-z0-9'\-]*\.?\s+){{1,3}}(?i:{_STREET_TYPES})\b\.?"
                        rf"(?:[,\s]+(?i:apt|apartment|unit|suite|ste|#)\.?\s*#?\s*[A-Za-z0-9\-]+)?")
_APT_RE = re.compile(r"(?<![\w])(?:apt|apartment|suite|ste)\.?\s*#?\s*(?:\d+[A-Za-z]?|[A-Za-z]\d*)(?![\w])", re.I)
_POBOX_RE = re.compile(r"(?<![\w])p\.?\s?o\.?\s*box\s*#?\s*\d+", re.I)
_STATES = ("AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND "
           "OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR")
_STATE_NAMES = ("Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|"
                "Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|"
                "Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|"
                "North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|"
                "South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming")
_STATE = rf"(?:{'|'.join(_STATES.split())}|{_STATE_NAMES})"
_CITY_ZIP_RE = re.compile(rf"(?<![\w])(?P<city>[A-Z][A-Za-z.'\-]*(?:\s+[A-Z][A-Za-z.'\-]*){{0,3}}),?\s+"
                          rf"(?P<st>{_STATE})\.?,?\s+(?P<zip>\d{{5}}(?:\s?-\s?\d{{4}})?)(?![\d\-])")
_STATE_ZIP_RE = re.compile(rf"(?<![\w])(?P<st>{_STATE})\.?\s+(?P<zip>\d{{5}}(?:-\d{{4}})?)(?![\d\-])")
# A record number, order or sample code standing alone in a screen cell: "10001NG", "ORD-1001", "24-TST-000-6-1".
_SCREEN_CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]{3,24}(?: [A-Z])?")  # "H2O-0003 A": a partition letter
_ZIP_RE = re.compile(r"(?<![\w\-/.])\d{5}(?:-\d{4})?(?![\w\-/])")
_BARE_ID_RE = re.compile(r"(?<![\w\-/.])(?P<id>[A-Z]{0,3}\d{6,12}[A-Z]?)(?![\w\-/%])")
# A record code of three or more dash-joined parts with a digit: "rec-jk2-dup1", "Rec-1120-Org", "PT-00-4411".
_DASHED_CODE_RE = re.compile(r"(?<![\w\-/.@])(?=[A-Za-z0-9\-]*\d)[A-Za-z0-9]{2,8}(?:-[A-Za-z0-9]{2,8}){2,5}(?![\w\-/.@])")
_ROOM_TOKEN = r"(?:[A-Za-z]?\d{1,4}(?:\s?[\-/]\s?[A-Za-z0-9]{1,2}|[A-Da-d])?)"
ROOM_VALUE_RE = re.compile(rf"{_ROOM_TOKEN}(?![\w])")
YEAR_RE = re.compile(r"(?:19|20)\d\d$")  # "2024" alone is a year, not a room
ROW_ROOM_RE = re.compile(r"^\s*(?P<room>\d{2,4}\s?-?\s?[A-Da-d]|\d{3,4})(?![\w/:.%])")
_PLATE_RE = re.compile(r"^[\s\"'(\[]*(?P<p>[A-Z0-9]{1,4}(?:[\s\-·•.]?[A-Z0-9]{1,4}){1,2})[\s\"')\]]*$")
_ID_VALUE_RE = re.compile(r"[A-Za-z0-9|](?:[A-Za-z0-9|]|[\-/.](?=[A-Za-z0-9])|\s(?=\d{2,}(?![\d/]*[/.]\d)))*")
SEP_RE = re.compile(r"\s*(?P<sep>[:#=]+|-(?=\s)|\.(?=\s)|(?:no|nbr|num)\.?(?=\s*[#:]?\s*\d))?\s*[#:]?\s*", re.I)
TOKEN_RE = re.compile(r"[A-Za-z0-9|$@][A-Za-z0-9|$@'’\-]*")

_NUM_FIX = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "|": "1", "i": "1"})
_ID_FIX = str.maketrans({"O": "0", "o": "0", "D": "0", "Q": "0", "l": "1", "I": "1", "|": "1", "i": "1", "S": "5",
                         "s": "5", "B": "8", "Z": "2", "z": "2", "G": "6"})


def numeric_view(text: str) -> str:
    """The text with OCR letter/digit confusions fixed inside number-shaped tokens (same length, same offsets):
    'MRN 0O48291З' stays a label and a number; '555-l23-4567' becomes '555-123-4567'."""
    def fix_group(g: re.Match) -> str:  # one run between separators: "l23" in "555-l23-4567", not "Nov"
        t = g.group(0)
        digits = sum(c.isdigit() for c in t)
        if not digits or digits * 2 < len(t):
            return t
        one_letter = len(t) - digits <= 1  # "S370", "374B": one misread digit; "7ABC123" is a code, left alone
        return t.translate(_ID_FIX if digits >= 2 and one_letter else _NUM_FIX)

    def fix(m: re.Match) -> str:
        tok = m.group(0)
        if sum(c.isdigit() for c in tok) >= 3:
            return _GROUP_RE.sub(fix_group, tok)
        return tok
    return _NUMERIC_TOKEN_RE.sub(fix, text)


_GROUP_RE = re.compile(r"[A-Za-z0-9|]+")
_NUMERIC_TOKEN_RE = re.compile(r"[A-Za-z0-9|]+(?:[\-/.()][A-Za-z0-9|]+)*")


def fix_digits(raw: str) -> str:
    """Every confusable letter in digit-majority groups as a digit: for all-digit formats (SSN, phone)."""
    return _GROUP_RE.sub(lambda g: g.group(0).translate(_ID_FIX) if sum(c.isdigit() for c in g.group(0)) * 2 >=
                         len(g.group(0)) else g.group(0), raw)


def _fix_id(raw: str) -> str:
    """Letters the reader confuses with digits ('0O482913', '67B9'), corrected inside digit-majority groups and
    only after the group's first digit: a letter prefix ('D1234567', 'XYZ123') or a letter group ('88234-AB') is
    part of the ID. Same length as the input."""
    def fix(m: re.Match) -> str:
        g = m.group(0)
        digits = sum(c.isdigit() for c in g)
        if not digits or digits * 2 < len(g):
            return g
        first = next(k for k, c in enumerate(g) if c.isdigit())
        return g[:first] + g[first:].translate(_ID_FIX)
    return re.sub(r"[A-Za-z0-9|]+", fix, raw)


def read_id(text: str, pos: int) -> Optional[tuple[int, int, str, str]]:
    """The ID-shaped value at pos: (start, end, as read, with OCR letter->digit fixes)."""
    m = _ID_VALUE_RE.match(text, pos)
    if not m:
        return None
    raw = m.group(0).rstrip("-/. ")
    if not raw:
        return None
    alnum = sum(c.isalnum() for c in raw)
    digits = sum(c.isdigit() for c in raw)
    fixed = _fix_id(raw) if digits * 2 >= alnum else raw
    return m.start(), m.start() + len(raw), raw, fixed


# ============================================================================================ free shape rules


UUID_RE = re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9A-Za-z])", re.I)
UUID_REASON = "record UUID"
# A DICOM UID (study, series, SOP instance): an ISO OID of digits and dots, "1.2.840.113619.2.55…" or
# "2.25.<a 128-bit decimal>", whole or cut where a narrow cell wraps it (".25.605979…"). Version numbers ("1.2.3")
# and IPs ("10.0.0.1") are too short or open with a two-digit arc.
DICOM_UID_RE = re.compile(r"(?<![\w.])(?:[012](?:\.\d{1,40}){3,}|(?:2)?\.25\.\d{10,})(?![\w])")
DICOM_UID_MIN_LEN = 12
UID_REASON = "DICOM UID"
# Reasons of identifiers that are a patient's only through the person the screen shows (scanner.detectors.text)
ATTACHED_REASONS = (UUID_REASON, UID_REASON)


def shape_hits(text: str, view: str, context: Optional[str]) -> list[Hit]:
    """Identifiers recognisable by their shape alone."""
    hits: list[Hit] = []
    noisy = view != text

    def add(cat: str, conf: float, reason: str, s: int, e: int, prio: int = 1) -> None:
        if noisy and view[s:e] != text[s:e]:
            conf, reason = conf * 0.9, reason + " (OCR-corrected)"
        hits.append(Hit(cat, conf, reason, s, e, prio))

    if "@" in text:
        for m in EMAIL_RE.finditer(text):
            add("email", 0.95, "e-mail address", m.start(), m.end())
    if "." in text:
        for m in _URL_RE.finditer(text):
            add("url", 0.7, "URL", m.start(), m.end())
        for m in _DOMAIN_RE.finditer(text):
            if not _inside(m, hits):
                add("url", 0.5, "web address", m.start(), m.end(), 0)
    if not any(c.isdigit() for c in view):  # most lines on a screen are words: skip every number-shaped rule
        return hits + _plate_hits(text, context)
    for m in _SSN_RE.finditer(view):
        add("ssn", 0.9 if m.group(2) == "-" else 0.6, "SSN pattern ###-##-####", m.start(), m.end())
    for m in _SSN_MASKED_RE.finditer(text):
        add("ssn", 0.6, "masked SSN with last 4 digits", m.start(), m.end())
    for m in PHONE_RE.finditer(view):
        if m.group("s") == " " and "(" not in m.group(0):
            add("phone", 0.6, "phone-shaped number", m.start(), m.end())
        else:
            add("phone", 0.85, "phone number", m.start(), m.end())
    for m in _PHONE_INTL_RE.finditer(view):
        if 8 <= sum(c.isdigit() for c in m.group(0)) <= 15 and not _inside(m, hits):
            add("phone", 0.85, "international phone number", m.start(), m.end())
    for m in _IP_RE.finditer(view):
        if _VERSION_BEFORE_RE.search(text[:m.start()]):
            continue  # "Version: 3.2.1.10" is a release number
        add("ip", 0.8, "IPv4 address", m.start(), m.end())
    for m in _IPV6_RE.finditer(text):
        add("ip", 0.8, "IPv6 address", m.start(), m.end())
    for d in find_dates(view):
        if d.kind in ("mdy", "ymd", "compact") and d.has_year:
            yy = len(re.sub(r"\D", "", view[d.start:d.end])) <= 6
            add("date", 0.55 if yy else 0.7, "date", d.start, d.end)
        elif d.has_year:
            add("date", 0.7, "date", d.start, d.end)
        else:
            add("date", 0.5, "day and month", d.start, d.end)
    for m in _RELATIVE_DAY_RE.finditer(view):
        if not _inside(m, hits):
            add("date", 0.5, "relative day and time", m.start(), m.end())
    for m in _AGE_RE.finditer(view):
        n = int(m.group("n"))
        if 90 <= n <= 125:
            add("age", 0.9, f"age {n} (over 89)", m.start(), m.end())
    if context in SCREEN_CONTEXTS:
        for m in _AGE_SEX_RE.finditer(view):
            n = int(m.group("n"))
            if 90 <= n <= 125:
                add("age", 0.6, f"age/sex {n}{m.group('sex')} (over 89)", m.start(), m.end())
    for m in _STREET_RE.finditer(text):
        add("address", 0.9, "street address", m.start(), m.end())
    for m in _POBOX_RE.finditer(text):
        add("address", 0.85, "P.O. box", m.start(), m.end())
    for m in _APT_RE.finditer(text):
        if not _inside(m, hits):
            add("address", 0.6, "apartment / suite", m.start(), m.end())
    has_zip = bool(_ZIP_RE.search(view))  # cheap gate: the city/state patterns are costly alternations
    for m in _CITY_ZIP_RE.finditer(view) if has_zip else ():
        add("address", 0.9, "city, state + ZIP", m.start(), m.end())
    for m in _STATE_ZIP_RE.finditer(view) if has_zip else ():
        if not _inside(m, hits):
            add("zip", 0.8, "state + ZIP", m.start("zip"), m.end("zip"))
    if any(h.category == "address" and h.reason == "street address" for h in hits):
        for m in _ZIP_RE.finditer(view):
            if not _inside(m, hits):
                add("zip", 0.8, "ZIP in an address line", m.start(), m.end())
    if context in SCREEN_CONTEXTS and "." in text:
        for m in DICOM_UID_RE.finditer(text):
            if len(m.group(0)) >= DICOM_UID_MIN_LEN:
                hits[:] = [h for h in hits if not (m.start() <= h.start and h.end <= m.end())]  # not a date inside
                add("identifier", 0.6, UID_REASON, m.start(), m.end())
    if context in SCREEN_CONTEXTS and "-" in text:
        for m in UUID_RE.finditer(text):  # FHIR / EHR record ids in a detail view or an address bar
            if not _inside(m, hits):
                add("identifier", 0.6, UUID_REASON, m.start(), m.end())
    if context in SCREEN_CONTEXTS and "-" in text:
        for m in _DASHED_CODE_RE.finditer(text):
            if not any(h.start < m.end() and m.start() < h.end for h in hits) and len(m.group(0)) >= 8:
                add("identifier", 0.5, "dashed record code on a screen", m.start(), m.end())
    for m in _BARE_ID_RE.finditer(view):
        if _inside(m, hits):
            continue
        s = m.group("id")
        nd = sum(c.isdigit() for c in s)
        if context in SCREEN_CONTEXTS and s.isdigit() and 7 <= nd <= 10:
            add("mrn", 0.7, f"bare {nd}-digit number on a {context}", m.start(), m.end())
        elif context in SCREEN_CONTEXTS:
            add("identifier", 0.55, f"bare ID-shaped code on a {context}", m.start(), m.end())
        elif nd >= 7:
            add("identifier", 0.3, f"bare {nd}-digit number", m.start(), m.end(), 0)
    if context == "screen" and not hits:
        m = _SCREEN_CODE_RE.fullmatch(view.strip())
        if m:
            digits = sum(c.isdigit() for c in m.group(0))
            letters = sum(c.isalpha() for c in m.group(0))
            if digits >= 5 or (digits >= 3 and letters >= 1):
                s = len(view) - len(view.lstrip())
                add("identifier", 0.5, "code alone on a screen line", s, s + len(m.group(0)))
    return hits + _plate_hits(text, context)


def _plate_hits(text: str, context: Optional[str]) -> list[Hit]:
    """In the plate context, the plate-shaped line itself."""
    hits: list[Hit] = []

    def add(cat: str, conf: float, reason: str, s: int, e: int) -> None:
        hits.append(Hit(cat, conf, reason, s, e))

    if context == "plate":
        m = _PLATE_RE.match(text.upper())
        if m:
            alnum = re.sub(r"[^A-Z0-9]", "", m.group("p"))
            info = word_info(alnum)
            if 2 <= len(alnum) <= 8 and any(c.isdigit() for c in alnum) and any(c.isalpha() for c in alnum):
                add("plate", 0.85, "plate-shaped text on a plate", m.start("p"), m.end("p"))
            elif 4 <= len(alnum) <= 8 and alnum.isdigit():
                add("plate", 0.6, "digits on a plate", m.start("p"), m.end("p"))
            elif 3 <= len(alnum) <= 8 and alnum.isalpha() and "." not in text and not info.common and \
                    not re.fullmatch(_STATE, m.group("p"), re.I):
                add("plate", 0.5, "vanity-plate-shaped text", m.start("p"), m.end("p"))
    return hits


def _inside(m: re.Match, hits: Sequence[Hit]) -> bool:
    return any(h.start <= m.start() and m.end() <= h.end for h in hits)
