"""PHI text classifier: which recognised text identifies a patient, and as which HIPAA Safe Harbor category.

Input is what OCR read (`TextLine`s: text, box, confidence) and the context of the region it sits in (monitor,
whiteboard, wristband …). Output is one `PhiMatch` per identifier: category (a key of findings.SAFE_HARBOR),
the box of the line holding it, a confidence (rule certainty x OCR confidence), a severity and a short reason.

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
4. Context. In monitor / whiteboard / wristband / label / reflection contexts a bare 7-10 digit number is an MRN
   and a lone surname is a name; on boards a room number in its own box backs up the name box right of it (and
   vice versa); in the plate context plate-shaped text is a plate. Values of clinical/demographic fields
   ("Language: English", "Diet: NPO") are never identifiers.

OCR noise: number-shaped tokens are read with O->0, l/I->1 (and for IDs S->5, B->8) corrections; name tokens with
0->O, 1->I, 5->S … and, failing an exact hit, one substituted letter against the commoner census names.

Everything is regex + dict/set lookups compiled or loaded once (lazily, on first use; `warm()` loads it up front,
~0.3-0.5 s): after that 200 lines take milliseconds, and repeated lines (video frames) hit a cache.

Public: classify_lines, classify_text, classify_spans, PhiMatch, CATEGORIES, CONTEXTS, warm, lexicon_status.
"""
from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Optional, Sequence

from . import geometry
from .findings import Box

if TYPE_CHECKING:  # only for type hints: classifying text must not load the OCR engines
    from .ocr.base import TextLine

log = logging.getLogger(__name__)

# The categories this module emits (all keys of findings.SAFE_HARBOR).
CATEGORIES = ("name", "address", "zip", "date", "dob", "age", "phone", "fax", "email", "ssn", "mrn", "health_plan",
              "account", "license", "plate", "device", "url", "ip", "room", "identifier")
CONTEXTS = ("monitor", "whiteboard", "wristband", "document", "label", "plate", "reflection")
# Contexts where text is about one patient at a time and is short: a lone surname or a bare long number identifies.
SCREEN_CONTEXTS = frozenset({"monitor", "whiteboard", "wristband", "label", "reflection"})

MEDIUM_CATEGORIES = frozenset({"room", "date", "zip", "device", "identifier", "url", "ip"})
LOW_RULE_CONFIDENCE = 0.4  # below this a rule is a weak guess: severity low

DICTIONARY_PATHS = (Path("/usr/share/dict/words"), Path("/usr/share/dict/american-english"))
STOPWORDS_PATH = Path(__file__).parent / "data" / "phi_stopwords.txt"


@dataclass(frozen=True)
class PhiMatch:
    category: str  # a key of scanner.findings.SAFE_HARBOR (see CATEGORIES)
    box: Box  # pixels: the line holding the identifier
    confidence: float  # 0..1: rule certainty x OCR confidence
    severity: str  # high | medium | low
    text: str  # the text that identifies (unmasked; masking happens at output)
    reason: str  # short why, e.g. "label 'MRN' + 8 digits"


@dataclass(frozen=True)
class _Hit:
    """One rule firing inside one text: the identifying span [start, end) and how sure the rule is."""

    category: str
    confidence: float
    reason: str
    start: int
    end: int
    priority: int = 1  # 2 = from a label, 1 = from shape or structure, 0 = weak guess
    staff: bool = False  # a clinician's name: still a name, lower severity


@dataclass(frozen=True)
class _Dangling:
    """A label with no value after it on its own line: the value is in another OCR box."""

    label: "_Label"
    text: str  # the label as read


@dataclass(frozen=True)
class _Analysis:
    hits: tuple[_Hit, ...]
    dangling: Optional[_Dangling]
    starts_with_label: bool


# ============================================================================================ lexicon


@dataclass(frozen=True)
class Lexicon:
    surnames: dict[str, int]  # UPPER -> census rank (1 = commonest)
    firsts: dict[str, int]  # UPPER -> best census rank over the female and male lists
    common: frozenset[str]  # lowercase everyday English words
    stop: frozenset[str]  # lowercase signage / clinical / drug words: never a name on their own
    dictionary: Optional[str]  # the system word list used, None when absent


def _read_census(path: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    with open(path, encoding="ascii", errors="ignore") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 4 and parts[3].isdigit():
                out.setdefault(parts[0], int(parts[3]))
    return out


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """Load the census name lists, the word list and the stop words once per process."""
    try:
        import names  # the PyPI package `names`: US census 1990 name frequency lists
    except ImportError:
        raise RuntimeError("scanner.phi: the 'names' package (census name lists) is not installed: "
                           "pip install -r requirements.txt") from None
    folder = Path(names.__file__).parent
    surnames = _read_census(folder / "dist.all.last")
    firsts: dict[str, int] = {}
    for f in ("dist.female.first", "dist.male.first"):
        for n, r in _read_census(folder / f).items():
            firsts[n] = min(r, firsts.get(n, r))
    common: set[str] = set()
    used = None
    for p in DICTIONARY_PATHS:
        if p.is_file():
            with open(p, encoding="utf-8", errors="ignore") as fh:
                # Lowercase entries are everyday words; capitalised ones are proper nouns (names, places).
                common = {w for w in (line.strip() for line in fh) if w and w[0].islower() and "'" not in w}
            used = str(p)
            break
    if used is None:
        log.warning("scanner.phi: no English word list at %s (Debian package 'wamerican'); names that are also "
                    "common words are told apart less well", DICTIONARY_PATHS[0])
    stop: set[str] = set()
    for line in STOPWORDS_PATH.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0]
        stop.update(w.lower() for w in line.split())
    # Short function words are words whatever the census says (the list has surnames like "AN" and "DO").
    common.update(stop)
    return Lexicon(surnames, firsts, frozenset(common), frozenset(stop), used)


FUZZY_MIN_LEN = 5  # one substituted letter in a shorter word turns too many words into names
FUZZY_SURNAME_TOP = 15000  # the commonest surnames (~80% of people); rarer ones must be read right


@lru_cache(maxsize=1)
def _fuzzy_index() -> dict[str, tuple[str, int, int]]:
    """Wildcard key ('GARC?A') -> (name, surname rank, first rank) of the commonest name with that key."""
    lex = lexicon()
    index: dict[str, tuple[str, int, int]] = {}
    ranked = sorted(
        ((min(r for r in (lex.surnames.get(n, 0), lex.firsts.get(n, 0)) if r), n)
         for n in {n for n, r in lex.surnames.items() if r <= FUZZY_SURNAME_TOP} | set(lex.firsts)
         if len(n) >= FUZZY_MIN_LEN and n.lower() not in lex.common))
    setdefault = index.setdefault
    for _, n in ranked:  # commonest first: setdefault keeps the commonest name for each key
        entry = (n, lex.surnames.get(n, 0), lex.firsts.get(n, 0))
        for i in range(len(n)):
            setdefault(n[:i] + "?" + n[i + 1:], entry)
    return index


_NAME_DIGIT_FIX = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "6": "G", "4": "A", "3": "E", "|": "I",
                                 "$": "S", "@": "A"})


@dataclass(frozen=True)
class WordInfo:
    norm: str  # upper-case letters the lookup used
    surname: int  # census rank, 0 = not a surname
    first: int  # census rank, 0 = not a first name
    common: bool  # an everyday English word
    stop: bool  # a signage / clinical / drug word
    fuzzy: bool  # found only after correcting one letter

    @property
    def surname_strength(self) -> float:
        """How strongly the word alone reads as a surname (0 = not at all)."""
        if self.stop or len(self.norm) < 2:
            return 0.0
        if self.surname:
            if not self.common:
                s = 0.9 if self.surname <= 20000 else 0.7
            elif self.surname <= 2000:
                s = 0.5  # WHITE, YOUNG, BROWN, HALL: as much a word as a name
            else:
                s = 0.0  # CARE, ROOM, HEART: a word that happens to be a rare surname
        elif self.first and not self.common:
            s = 0.5  # a first name where a surname stands
        else:
            s = 0.0
        return s * (0.85 if self.fuzzy else 1.0)

    @property
    def first_strength(self) -> float:
        if self.stop or len(self.norm) < 2:
            return 0.0
        if self.first:
            if not self.common:
                s = 0.9
            elif self.first <= 1000:
                s = 0.6  # JOHN, MARK, GRACE, ROSE
            else:
                s = 0.0
        elif self.surname and not self.common and self.surname <= 5000:
            s = 0.4  # surnames used as first names (Kennedy, Madison)
        else:
            s = 0.0
        return s * (0.85 if self.fuzzy else 1.0)

    @property
    def known(self) -> bool:
        return bool(self.surname or self.first)


@lru_cache(maxsize=65536)
def word_info(word: str) -> WordInfo:
    """Census / dictionary facts about one word as read (case-insensitive, OCR digit confusions corrected)."""
    lex = lexicon()
    raw = word.strip(".,;:'’\"-")
    letters = sum(c.isalpha() for c in raw)
    if letters >= 2 and letters > sum(c.isdigit() for c in raw):
        raw = raw.translate(_NAME_DIGIT_FIX)
    up = re.sub(r"[^A-Z\-]", "", raw.upper())
    parts = [p for p in up.split("-") if p] or [""]
    if len(parts) > 1:  # Smith-Jones: a name when its parts are
        infos = [word_info(p) for p in parts]
        best = max(infos, key=lambda i: max(i.surname_strength, i.first_strength))
        return WordInfo("-".join(parts), best.surname, best.first, all(i.common for i in infos),
                        all(i.stop for i in infos), any(i.fuzzy for i in infos))
    up = parts[0]
    low = up.lower()
    common, stop = low in lex.common, low in lex.stop
    sur, first = lex.surnames.get(up, 0), lex.firsts.get(up, 0)
    fuzzy = False
    rare = (not sur or sur > 10000) and not first  # unknown, or a surname so rare a misread word is likelier
    if rare and not common and len(up) >= 4 and _near_stop_word(up):
        return WordInfo(up, 0, 0, True, True, True)  # "Roorn", "Charz", "HOTES": a misread sign word, not a name
    if not (sur or first) and not common and len(up) >= FUZZY_MIN_LEN:
        for alt in _ocr_alternatives(up):
            sur, first = lex.surnames.get(alt, 0), lex.firsts.get(alt, 0)
            if sur or first:
                up, fuzzy = alt, True
                break
        else:
            index = _fuzzy_index()
            for i in range(len(up)):
                hit = index.get(up[:i] + "?" + up[i + 1:])
                if hit:
                    up, sur, first, fuzzy = hit[0], hit[1], hit[2], True
                    break
    return WordInfo(up, sur, first, common, stop, fuzzy)


_PLAIN_NUMBER = re.compile(r"^\d{1,3}(?:[.,]\d{1,2})?(?:%|mg|mcg|ml|g|kg|mmhg|bpm|c|f)?$", re.IGNORECASE)


_GAS_NAMES = frozenset({"o2", "co2", "spo2", "fio2", "etco2", "sao2"})  # vitals spelled with a digit


def is_plain_wording(text: str) -> bool:
    """True when every word of `text` is signage, clinical or everyday wording that cannot be part of a name
    (no census first name or surname strength at all) and every number is a small quantity (25 mg, 88, 37.1):
    "Oxygen in use", "Metoprolol 25 mg", "HR 88". Strict on purpose: "Call light" (both are surnames), "Rose",
    "120/80", "A12" and any longer number are not plain. A line without a word is not plain either."""
    words = 0
    for raw in text.split():
        tok = raw.strip(".,;:!?()[]'\"’“”-–—")
        if not tok:
            continue
        if _PLAIN_NUMBER.match(tok):
            continue
        if tok.lower() in _GAS_NAMES:
            words += 1
            continue
        if not re.fullmatch(r"[A-Za-z][A-Za-z'’-]*", tok):
            return False
        if len(tok) == 1:
            continue
        info = word_info(tok)
        if not (info.stop or info.common) or info.surname_strength > 0 or info.first_strength > 0:
            return False
        words += 1
    return words > 0


@lru_cache(maxsize=1)
def _stop_wildcards() -> frozenset[str]:
    """Each stop word of 4+ letters with one letter replaced by '?': a cheap one-substitution lookup."""
    return frozenset(w[:i] + "?" + w[i + 1:] for w in (x.upper() for x in lexicon().stop if len(x) >= 4 and x.isalpha())
                     for i in range(len(w)))


def _near_stop_word(up: str) -> bool:
    stop = lexicon().stop
    if any(alt.lower() in stop for alt in _ocr_alternatives(up)):
        return True
    keys = _stop_wildcards()
    return any(up[:i] + "?" + up[i + 1:] in keys for i in range(len(up)))


def _ocr_alternatives(up: str) -> Iterable[str]:
    """Common multi-letter OCR confusions (rn<->m, vv<->w, cl<->d, li<->h)."""
    for a, b in (("RN", "M"), ("VV", "W"), ("CL", "D"), ("LI", "H"), ("II", "U"), ("M", "RN")):
        if a in up:
            yield up.replace(a, b)


# ============================================================================================ shapes

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
          r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                           "nov", "dec"))}
_DATE_RES = [  # (regex, kind); each captures month/day/year groups by name
    (re.compile(r"(?<![\d/.\-])(?P<m>\d{1,2})\s?(?P<s>[/\-.])\s?(?P<d>\d{1,2})\s?(?P=s)\s?(?P<y>\d{4}|\d{2})(?![\d/])"),
     "mdy"),
    (re.compile(r"(?<![\d/.\-])(?P<y>(?:19|20)\d{2})(?P<s>[/\-.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})(?![\d/])"), "ymd"),
    (re.compile(rf"(?<!\d)(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s\-/.]*(?P<mon>{_MONTH})\.?(?:[\s\-/.,]*"
                rf"(?P<y>\d{{4}}|'?\d{{2}})(?![\d:]))?(?!\w)", re.I), "dmony"),
    (re.compile(rf"(?<![\w])(?P<mon>{_MONTH})\.?[\s\-/.]*(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?![\d:])"
                rf"(?:,?[\s\-/.]*(?P<y>\d{{4}}|'\d{{2}})(?![\d:]))?", re.I), "mondy"),
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
                out.append(d)
    return sorted(out, key=lambda d: d.start)


_SSN_RE = re.compile(r"(?<![\d\-])(\d{3})([\- ])(\d{2})\2(\d{4})(?![\d\-])")
_SSN_MASKED_RE = re.compile(r"(?<![\w*])(?:[Xx*]{3}[\- ][Xx*]{2}[\- ]\d{4})(?!\d)")
_PHONE_RE = re.compile(r"(?<![\d\w])(?:\+?1[\s.\-]?)?(?:\(\s?\d{3}\s?\)\s?|\d{3}(?P<s>[\s.\-]))\d{3}[\s.\-]\d{4}"
                       r"(?:\s*(?:x|ext\.?)\s*\d{1,5})?(?![\d\-])", re.I)
_PHONE7_RE = re.compile(r"(?<![\d\-])\d{3}[\-.]\d{4}(?![\d\-])")
_EMAIL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+\-]*\s?@\s?[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_URL_RE = re.compile(r"(?:https?://|www\.)[^\s,;\"'<>]+", re.I)
_DOMAIN_RE = re.compile(r"(?<![@\w.])(?:[A-Za-z0-9\-]+\.)+(?:com|org|net|edu|gov|io|health|us|info|care|md)"
                        r"(?:/[^\s,;\"'<>]*)?(?![\w])", re.I)
_IP_RE = re.compile(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
                    r"(?![\d.])")
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
_ZIP_RE = re.compile(r"(?<![\w\-/.])\d{5}(?:-\d{4})?(?![\w\-/])")
_BARE_ID_RE = re.compile(r"(?<![\w\-/.])(?P<id>[A-Z]{0,3}\d{6,12}[A-Z]?)(?![\w\-/%])")
_ROOM_TOKEN = r"(?:[A-Za-z]?\d{1,4}(?:\s?[\-/]\s?[A-Za-z0-9]{1,2}|[A-Da-d])?)"
_ROOM_VALUE_RE = re.compile(rf"{_ROOM_TOKEN}(?![\w])")
_YEAR_RE = re.compile(r"(?:19|20)\d\d$")  # "2024" alone is a year, not a room
_ROW_ROOM_RE = re.compile(r"^\s*(?P<room>\d{2,4}\s?-?\s?[A-Da-d]|\d{3,4})(?![\w/:.%])")
_PLATE_RE = re.compile(r"^[\s\"'(\[]*(?P<p>[A-Z0-9]{1,4}(?:[\s\-·•.]?[A-Z0-9]{1,4}){1,2})[\s\"')\]]*$")
_ID_VALUE_RE = re.compile(r"[A-Za-z0-9|](?:[A-Za-z0-9|]|[\-/.](?=[A-Za-z0-9])|\s(?=\d{2,}(?![\d/]*[/.]\d)))*")
_SEP_RE = re.compile(r"\s*(?P<sep>[:#=]+|-(?=\s)|\.(?=\s)|(?:no|nbr|num)\.?(?=\s*[#:]?\s*\d))?\s*[#:]?\s*", re.I)
_TOKEN_RE = re.compile(r"[A-Za-z0-9|$@][A-Za-z0-9|$@'’\-]*")

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


# ============================================================================================ labels


@dataclass(frozen=True)
class _Label:
    category: str
    kind: str  # how to read the value: name, id, date, age, phone, email, address, zip, room, plate, ssn
    pattern: str
    staff: bool = False
    weak: bool = False  # a short or ambiguous label: its value must be unmistakable without a separator


# Order matters: at one position the first alternative that matches wins, so longer labels sharing a prefix come
# first ("patient id" before "patient", "date of birth" before "date", "license plate" before "license").
_LABELS: tuple[_Label, ...] = (
    _Label("dob", "date", r"d\.?\s?[o0]\.?\s?b\.?|date\s+[o0]f\s+birth|birth\s*date|birth\s*day|b-?day|born"),
    _Label("ssn", "ssn", r"s\.?s\.?n\.?|ss\s?#|social\s+security(?:\s+(?:no\.?|number|#))?|soc\.?\s+sec\.?\s*#?"),
    _Label("mrn", "id", r"mrn\s?#?|m\.r\.n\.?|mr[nm]|mr\s?#|mr\s?no\.?|med\.?\s*rec(?:ord)?\.?\s*(?:#|no\.?|number)?"
                        r"|medical\s+record(?:\s+(?:#|no\.?|number))?|chart\s*(?:#|no\.?|number)|patient\s*id\s*#?"
                        r"|pt\.?\s*id\s*#?|e?mpi|hosp(?:ital)?\s*(?:#|no\.?|number)|mr\s?(?=\d)"),
    _Label("account", "id", r"acct\.?\s*(?:#|no\.?|number)?|account\s*(?:#|no\.?|number)?|fin\s*#?"
                            r"|encounter\s*(?:#|no\.?|number|id)?|enc\.?\s*#|csn|visit\s*(?:#|no\.?|number|id)"
                            r"|billing\s*(?:#|no\.?|number|id)|har\s*#?"),
    _Label("health_plan", "id", r"member\s*(?:id|#|no\.?|number)|policy\s*(?:#|no\.?|number|id)?"
                                r"|insurance\s*(?:id|#|no\.?|number)?|ins\.?\s*(?:id|#)|subscriber\s*(?:id|#|no\.?)?"
                                r"|group\s*(?:#|no\.?|number)|medicare\s*(?:#|no\.?|id|number)?"
                                r"|medicaid\s*(?:#|no\.?|id|number)?|mbi|plan\s*(?:id|#)"
                                r"|health\s*plan(?:\s*(?:id|#|no\.?))?|beneficiary(?:\s*(?:id|#|no\.?))?"),
    _Label("plate", "plate", r"(?:lic(?:ense)?\.?\s*)?plate\s*(?:#|no\.?)?|tag\s*#|vin\s*#?|lic\.?(?=\s*:)"),
    _Label("license", "id", r"d\.?l\.?\s*#|dl(?=\s*[#:])|driver'?s?\s*lic(?:ense)?\.?\s*(?:#|no\.?)?"
                            r"|licen[cs]e\s*(?:#|no\.?|number)?|lic\.?\s*(?:#|no\.?)|npi\s*#?|dea\s*#?"
                            r"|cert(?:ificate)?\.?\s*(?:#|no\.?|number)"),
    _Label("device", "id", r"serial\s*(?:#|no\.?|number)?|s/n|sn|device\s*(?:id|#|serial)|pump\s*(?:id|#)"
                           r"|asset\s*(?:#|tag|id)?|udi|implant\s*(?:id|#)|imei"),
    _Label("identifier", "id", r"id\s*#?|case\s*(?:#|no\.?)|accession\s*(?:#|no\.?)?|acc\s*#|specimen\s*(?:id|#)"
                               r"|order\s*(?:#|no\.?)|req(?:uisition)?\s*#|sample\s*id"),
    _Label("fax", "phone", r"fax(?:\s*(?:#|no\.?|number))?"),
    _Label("phone", "phone", r"home\s*(?:phone|#)|work\s*phone|cell\s*phone|telephone|phone\s*(?:#|no\.?)?|tel\.?"
                             r"|ph\.?|cell|mobile|contact\s*(?:#|no\.?|number|phone)|call"),
    _Label("email", "email", r"e-?mail(?:\s*address)?"),
    _Label("address", "address", r"home\s+address|address|addr\.?"),
    _Label("zip", "zip", r"zip(?:\s*code)?|postal\s*code"),
    _Label("age", "age", r"age\s*/\s*(?:sex|gender)|age"),
    _Label("date", "date", r"admi(?:ssion|t(?:ted)?)(?:\s+date)?|adm\.?|discharge(?:d)?(?:\s+date)?|d/c(?:\s+date)?"
                           r"|dos|date\s+of\s+service|visit\s+date|surgery\s+date|procedure\s+date|appt\.?"
                           r"|appointment|expected\s+discharge|edd|deceased|date"),
    _Label("room", "room", r"room\s*/\s*bed|rm\s*/\s*bed|room|rm\.?|bed|bay|stretcher|cubicle"),
    _Label("name", "name", r"patient\s+name|pt\.?\s+name|patient'?s?|pt\.?|name|resident|guest|client|last\s+name"
                           r"|first\s+name|surname|full\s+name|guarantor|emergency\s+contact|next\s+of\s+kin|nok"
                           r"|mother|father|spouse|parent|guardian|member\s+name|subscriber\s+name|insured"),
    _Label("name", "name", r"charge\s+(?:rn|nurse)|rn|nurse|dr\.?|md|attending|provider|pcp|physician|surgeon"
                           r"|doctor|np|pa|cna|tech|consultant|therapist", staff=True),
    # Fields whose value is clinical or demographic, never an identifier: "Language: English" is not a surname.
    _Label("", "skip", r"language|religion|sex|gender|race|ethnicity|marital\s+status|code\s+status|diet"
                       r"|allerg(?:y|ies)|diagnosis|dx|isolation|precautions|status|condition|activity"),
)
_WEAK_LABELS = re.compile(r"^(?:pt\.?|name|age|date|ph\.?|call|id\s*#?|dl|sn|md|pa|np|tech|har|dos|bed|bay|adm\.?"
                          r"|rm\.?|cell|street|born|mr|nok|client|guest|resident|parent|insured|provider)$", re.I)
_LABEL_RE = re.compile("(?:" + "|".join(rf"(?P<g{i}>{lab.pattern})" for i, lab in enumerate(_LABELS)) +
                       r")(?![A-Za-z])", re.I)
_WORD_START_RE = re.compile(r"(?<![A-Za-z0-9/])[A-Za-z]")  # not after "/": units (mg/dL) are not labels


def _find_label(text: str, pos: int) -> Optional[re.Match]:
    """The next label at or after pos. Labels start words, so only word starts are tried (a long alternation
    tried at every character would cost ~0.1 ms a line)."""
    for w in _WORD_START_RE.finditer(text, pos):
        m = _LABEL_RE.match(text, w.start())
        if m:
            return m
    return None


def _label_at(m: re.Match) -> _Label:
    return _LABELS[int(m.lastgroup[1:])]


# ============================================================================================ value parsers
# Each reads the value that starts at `pos` (after the label and its separator) and returns a hit or None.


def _parse_value(label: _Label, label_text: str, text: str, pos: int, sep: bool, context: Optional[str],
                 linked: bool = False) -> Optional[_Hit]:
    weak = not sep and bool(_WEAK_LABELS.match(label_text.strip()))
    parser = _PARSERS[label.kind]
    hit = parser(label, _short(label_text), text, pos, sep or linked, weak, context)
    if hit and linked:
        hit = _Hit(hit.category, hit.confidence * 0.95, hit.reason + " (label in a separate box)", hit.start,
                   hit.end, hit.priority, hit.staff)
    return hit


def _short(label_text: str) -> str:
    return re.sub(r"\s+", " ", label_text.strip())[:24]


_HONORIFIC = re.compile(r"(?:dr|mr|mrs|ms|miss|mx|prof)\.?$", re.I)


_NAME_GAP_RE = re.compile(r"\.?[ \t]*,?[ \t]*")


def _name_tokens(text: str, pos: int, max_tokens: int = 4) -> list[re.Match]:
    """Name-shaped tokens from pos: words separated by spaces, one comma, or an initial's period."""
    toks: list[re.Match] = []
    commas = 0
    i = pos
    while len(toks) < max_tokens:
        m = _TOKEN_RE.match(text, i)
        if not m or sum(c.isdigit() for c in m.group(0)) * 2 >= len(m.group(0)):  # a number ends a name
            break
        toks.append(m)
        g = _NAME_GAP_RE.match(text, m.end())
        if "," in g.group(0):
            commas += 1
            if commas > 1:
                break
        if g.end() == m.end():  # no separator: other punctuation or the end ends the name
            break
        i = g.end()
    return toks


def _introduces_value(tok: re.Match) -> bool:
    """Whether a word is a label followed by a separator or a number ("Age: 92", "MRN 123")."""
    text = tok.string
    lm = _LABEL_RE.match(text, tok.start())
    if not lm:
        return False
    rest = text[lm.end():lm.end() + 3].lstrip()
    return bool(rest) and (rest[0] in ":#=" or rest[0].isdigit())


def _name_from_tokens(toks: list[re.Match], permissive: bool) -> Optional[tuple[int, int, float, str]]:
    """Validate label-introduced name tokens: (start, end, rule confidence, reason) or None."""
    kept: list[re.Match] = []
    for m in toks:
        w = m.group(0)
        if _HONORIFIC.match(w) and not kept:
            continue
        info = word_info(w)
        if info.stop and not (info.known and permissive and kept):
            break  # "Patient Education", "Name: DOB …": a clinical word ends (or is not) a name
        if _LABEL_RE.fullmatch(w) and not info.known:
            break
        if kept and _introduces_value(m):
            break  # "Garcia, Maria  Age: 92": the next field starts
        kept.append(m)
    kept = [m for m in kept if m.group(0).strip(".")]
    if not kept:
        return None
    infos = [word_info(m.group(0)) for m in kept]
    full = [(m, i) for m, i in zip(kept, infos) if len(i.norm) >= 2]
    if not full:
        return None
    best = max(max(i.surname_strength, i.first_strength) for _, i in full)
    unknown_nonword = any(not i.known and not i.common and i.norm.isalpha() and len(i.norm) >= 2 for _, i in full)
    if best >= 0.85:
        conf, why = 0.95, "census name"
    elif best >= 0.5:
        conf, why = (0.92 if permissive else 0.85), "census name"
    elif unknown_nonword and permissive:
        conf, why = 0.75, "name-shaped value"
    elif permissive and all(m.group(0)[:1].isupper() for m, _ in full):
        conf, why = 0.45, "capitalised value"
    else:
        return None
    if not permissive:
        if not all(m.group(0)[:1].isupper() for m, _ in full):
            return None
        conf *= 0.9
    return kept[0].start(), kept[-1].end(), conf, why


def _p_name(label, lt, text, pos, sep, weak, context) -> Optional[_Hit]:
    toks = _name_tokens(text, pos)
    got = _name_from_tokens(toks, permissive=sep)
    if not got:
        return None
    s, e, conf, why = got
    if weak and conf < 0.8:
        return None
    if label.staff:
        return _Hit("name", conf * 0.9, f"staff label '{lt}' + {why}", s, e, 2, staff=True)
    return _Hit("name", conf, f"label '{lt}' + {why}", s, e, 2)


def _fix_digits(raw: str) -> str:
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


def _read_id(text: str, pos: int) -> Optional[tuple[int, int, str, str]]:
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


def _p_id(label, lt, text, pos, sep, weak, context) -> Optional[_Hit]:
    got = _read_id(text, pos)
    if not got:
        return None
    s, e, raw, fixed = got
    alnum = [c for c in fixed if c.isalnum()]
    digits = sum(c.isdigit() for c in alnum)
    noisy = fixed != raw
    if label.category == "mrn":
        ok = digits >= 4 and digits * 5 >= len(alnum) * 3
        conf = 0.95
    else:
        ok = digits >= 3 and len(alnum) >= 4 and (digits * 3 >= len(alnum) or len(alnum) >= 6)
        conf = 0.9
    if not ok:
        return None
    if word_info(raw).common and digits < 3:
        return None
    if weak:
        conf -= 0.1
    if noisy:
        conf *= 0.9
    return _Hit(label.category, conf, f"label '{lt}' + {digits} digits" + (" (OCR-corrected)" if noisy else ""),
                s, e, 2)


def _p_ssn(label, lt, text, pos, sep, weak, context) -> Optional[_Hit]:
    view = text[:pos] + _fix_digits(text[pos:])
    m = re.compile(r"\d{3}[\- ]?\d{2}[\- ]?\d{4}(?!\d)").match(view, pos)
    if m:
        return _Hit("ssn", 0.97, f"label '{lt}' + 9 digits", m.start(), m.end(), 2)
    m = re.compile(r"(?:[Xx*#]{3}[\- ]?[Xx*#]{2}[\- ]?)?\d{4}(?!\d)").match(view, pos)
    if m:
        return _Hit("ssn", 0.7, f"label '{lt}' + last 4 digits", m.start(), m.end(), 2)
    return None


def _p_date(label, lt, text, pos, sep, weak, context) -> Optional[_Hit]:
    view = numeric_view(text)
    for d in find_dates(view, with_bare_md=True):
        if d.start >= pos and not view[pos:d.start].strip(" :#-=.,"):
            if label.category == "dob":
                return _Hit("dob", 0.95, f"label '{lt}' + date", d.start, d.end, 2)
            return _Hit("date", 0.85, f"label '{lt}' + date", d.start, d.end, 2)
    if label.category == "dob":  # 6 or 8 packed digits: 031457, 03141957
        m = re.compile(r"\d{6}(?:\d{2})?(?!\d)").match(view, pos)
        if m:
            return _Hit("dob", 0.75, f"label '{lt}' + packed date", m.start(), m.end(), 2)
    return None


def _p_age(label, lt, text, pos, sep, weak, context) -> Optional[_Hit]:
    m = re.compile(r"(?:>\s?)?(\d{1,3})(?:\s?(?:y/o|yo|y\.o\.?|yrs?|years?))?(?![\d.])", re.I).match(text, pos)
    if not m:
        return None
    n = int(m.group(1))
    if m.group(0).startswith(">") and n >= 89:
        return _Hit("age", 0.7, f"label '{lt}' + over 89", m.start(), m.end(), 2)
    if 90 <= n <= 125:
        return _Hit("age", 0.9, f"label '{lt}' + {n} (over 89)", m.start(), m.end(), 2)
    return None


def _p_phone(label, lt, text, pos, sep, weak, context) -> Optional[_Hit]:
    view = numeric_view(text)
    for rx, conf in ((_PHONE_RE, 0.95), (_PHONE7_RE, 0.85)):
        m = rx.search(view, pos)
        if m and not view[pos:m.start()].strip(" :#-=.,"):
            return _Hit(label.category, conf, f"label '{lt}' + phone number", m.start(), m.end(), 2)
    return None


def _p_email(label, lt, text, pos, sep, weak, context) -> Optional[_Hit]:
    m = _EMAIL_RE.match(text, pos)
    if m:
        return _Hit("email", 0.97, f"label '{lt}' + e-mail", m.start(), m.end(), 2)
    m = re.compile(r"\S+@\S+").match(text, pos)  # an address the reader garbled: still one
    if m:
        return _Hit("email", 0.8, f"label '{lt}' + e-mail-like", m.start(), m.end(), 2)
    return None


def _p_address(label, lt, text, pos, sep, weak, context) -> Optional[_Hit]:
    rest = text[pos:].rstrip()
    if not rest or len(rest) < 3:
        return None
    has_digit = any(c.isdigit() for c in rest)
    words = [w for w in _TOKEN_RE.findall(rest) if w.isalpha()]
    if has_digit and words:
        return _Hit("address", 0.9, f"label '{lt}' + street", pos, pos + len(rest), 2)
    if (sep or label.pattern.startswith("home")) and len(words) >= 2:
        return _Hit("address", 0.6, f"label '{lt}' + text", pos, pos + len(rest), 2)
    return None


def _p_zip(label, lt, text, pos, sep, weak, context) -> Optional[_Hit]:
    m = re.compile(r"\d{5}(?:-\d{4})?(?!\d)").match(numeric_view(text), pos)
    return _Hit("zip", 0.9, f"label '{lt}' + ZIP", m.start(), m.end(), 2) if m else None


def _p_room(label, lt, text, pos, sep, weak, context) -> Optional[_Hit]:
    m = _ROOM_VALUE_RE.match(text, pos)
    if not m:
        return None
    conf = 0.7 if context in SCREEN_CONTEXTS else 0.6
    return _Hit("room", conf, f"label '{lt}' + number", m.start(), m.end(), 2)


def _p_plate(label, lt, text, pos, sep, weak, context) -> Optional[_Hit]:
    m = re.compile(r"[A-Za-z0-9]{1,8}(?:[\s\-·][A-Za-z0-9]{1,8}){0,2}").match(text, pos)
    if not m:
        return None
    alnum = re.sub(r"[^A-Za-z0-9]", "", m.group(0))
    if not (2 <= len(alnum) <= 17) or not any(c.isdigit() for c in alnum) and len(alnum) < 4:
        return None
    return _Hit("plate", 0.9, f"label '{lt}' + plate", m.start(), m.end(), 2)


_PARSERS = {"name": _p_name, "id": _p_id, "ssn": _p_ssn, "date": _p_date, "age": _p_age, "phone": _p_phone,
            "email": _p_email, "address": _p_address, "zip": _p_zip, "room": _p_room, "plate": _p_plate}


def _label_hits(text: str, context: Optional[str]) -> tuple[list[_Hit], Optional[_Dangling], bool,
                                                          list[tuple[int, int]]]:
    """Hits introduced by labels; a label with nothing after it (its value is in another box); whether the text
    starts with a label; the spans of values that are never identifiers ("Language: English")."""
    hits: list[_Hit] = []
    skips: list[tuple[int, int]] = []
    dangling: Optional[_Dangling] = None
    starts = False
    pos = 0
    while True:
        m = _find_label(text, pos)
        if not m:
            break
        label = _label_at(m)
        if not text[:m.start()].strip(" \t-|:•·"):
            starts = True
        sm = _SEP_RE.match(text, m.end())
        vpos = sm.end()
        sep = bool(sm.group("sep")) or "#" in m.group(0) or "#" in sm.group(0)
        if label.kind == "skip":
            nxt = _find_label(text, vpos)
            skips.append((vpos, nxt.start() if nxt else len(text)))
            pos = m.end()
            continue
        if vpos >= len(text.rstrip()):
            # A short label at the end of a sentence ("… seen by MD") is not a form field waiting for a value.
            if sep or not text[:m.start()].strip() or not _WEAK_LABELS.match(m.group(0).strip()):
                dangling = _Dangling(label, m.group(0))
            break
        hit = _parse_value(label, m.group(0), text, vpos, sep, context)
        if hit:
            hits.append(hit)
            pos = max(hit.end, m.end())
        else:
            pos = m.end()
    return hits, dangling, starts, skips


# ============================================================================================ free rules


def _shape_hits(text: str, view: str, context: Optional[str]) -> list[_Hit]:
    """Identifiers recognisable by their shape alone."""
    hits: list[_Hit] = []
    noisy = view != text

    def add(cat: str, conf: float, reason: str, s: int, e: int, prio: int = 1) -> None:
        if noisy and view[s:e] != text[s:e]:
            conf, reason = conf * 0.9, reason + " (OCR-corrected)"
        hits.append(_Hit(cat, conf, reason, s, e, prio))

    if "@" in text:
        for m in _EMAIL_RE.finditer(text):
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
    for m in _PHONE_RE.finditer(view):
        if m.group("s") == " " and "(" not in m.group(0):
            add("phone", 0.6, "phone-shaped number", m.start(), m.end())
        else:
            add("phone", 0.85, "phone number", m.start(), m.end())
    for m in _IP_RE.finditer(view):
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
    return hits + _plate_hits(text, context)


def _plate_hits(text: str, context: Optional[str]) -> list[_Hit]:
    """In the plate context, the plate-shaped line itself."""
    hits: list[_Hit] = []

    def add(cat: str, conf: float, reason: str, s: int, e: int) -> None:
        hits.append(_Hit(cat, conf, reason, s, e))

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


def _inside(m: re.Match, hits: Sequence[_Hit]) -> bool:
    return any(h.start <= m.start() and m.end() <= h.end for h in hits)


@lru_cache(maxsize=65536)
def _is_name_shaped(word: str) -> bool:
    w = word.strip("'’-")
    if len(w) < 2 or not any(c.isalpha() for c in w):
        return False
    letters = [c for c in w if c.isalpha()]
    if len(letters) < len(w) - 2:  # more than two non-letters: not a word
        return False
    return letters[0].isupper() and (all(c.isupper() for c in letters) or any(c.islower() for c in letters[1:]))


def _name_hits(text: str, context: Optional[str]) -> list[_Hit]:
    """Names without a label: LAST, FIRST · First Last · F. Last · Last, F · a lone surname on a screen row."""
    toks = list(_TOKEN_RE.finditer(text))
    hits: list[_Hit] = []
    used: set[int] = set()
    n = len(toks)

    def gap(i: int) -> str:  # what lies between token i and token i+1
        return text[toks[i].end():toks[i + 1].start()] if i + 1 < n else text[toks[i].end():]

    def is_initial(i: int) -> bool:
        w = toks[i].group(0)
        return len(w) == 1 and w.isalpha() and w.isupper()

    def _last_first(i: int, ia: WordInfo, ib: WordInfo, dry: bool = False) -> float:
        """LAST FIRST without a comma (GARCIA MARIA, SMITH JOHN): weaker than with one."""
        ss, sf = ia.surname_strength, ib.first_strength
        if ss >= 0.85 and sf >= 0.5:
            conf = 0.8
        elif ss >= 0.5 and sf >= 0.85:
            conf = 0.7
        elif ss >= 0.5 and sf >= 0.5:
            conf = 0.5
        else:
            return 0.0
        if context in SCREEN_CONTEXTS:
            conf = min(0.9, conf + 0.15)
        if not dry:
            end = toks[i + 1].end()
            if i + 2 < n and is_initial(i + 2) and gap(i + 1).strip(" .") == "":
                end = toks[i + 2].end()
            hits.append(_Hit("name", conf, "census surname + first name", toks[i].start(), end))
            used.update((i, i + 1))
        return conf

    for i in range(n - 1):
        if i in used:
            continue
        a, b = toks[i].group(0), toks[i + 1].group(0)
        g = gap(i)
        if not _is_name_shaped(a) and not is_initial(i):
            continue
        ia = word_info(a)
        # LAST, FIRST [M]  /  LAST, F
        if g.strip() == "," and _is_name_shaped(a):
            ss = ia.surname_strength
            unknown_a = not ia.known and not ia.common and a.isalpha() and len(a) >= 3
            if is_initial(i + 1):
                if ss >= 0.85:
                    conf = 0.8
                elif ss >= 0.5 or unknown_a:
                    conf = 0.6  # "YOUNG, M": the comma and initial make even a word a surname
                elif ia.surname and ia.surname <= 20000:
                    conf = 0.45  # "HARP, S", "GOOD, G": a word, but a surname in exactly a name's layout
                else:
                    continue
                if context in SCREEN_CONTEXTS:
                    conf = min(0.9, conf + 0.15)
                end = toks[i + 1].end() + (1 if gap(i + 1).startswith(".") else 0)
                hits.append(_Hit("name", conf, "LAST, F (census surname)" if ss else "LAST, F", toks[i].start(),
                                 end))
                used.update((i, i + 1))
                continue
            if _is_name_shaped(b):
                ib = word_info(b)
                sf = ib.first_strength
                if ss >= 0.85 and sf >= 0.85:
                    conf = 0.95
                elif max(ss, sf) >= 0.85 and min(ss, sf) >= 0.5:
                    conf = 0.92  # GARCIA, MARIA ("maria" is also a word)
                elif ss > 0 and sf > 0:
                    conf = 0.85
                elif unknown_a and sf >= 0.5:
                    conf = 0.75
                elif ss >= 0.85 and not ib.common and not ib.stop and b.isalpha():
                    conf = 0.75
                elif ia.surname and ia.surname <= 20000 and sf >= 0.85:
                    conf = 0.75  # "High, Greg": a word that is a surname, then an unmistakable first name
                else:
                    continue
                end = toks[i + 1].end()
                if i + 2 < n and is_initial(i + 2) and not gap(i + 1).strip(" ."):
                    end = toks[i + 2].end()
                hits.append(_Hit("name", conf, "LAST, FIRST (census names)", toks[i].start(), end))
                used.update((i, i + 1))
                continue
        # F. Last  /  F Last
        if is_initial(i) and g.strip() in (".", "") and _is_name_shaped(b) and len(b) >= 2:
            ss = word_info(b).surname_strength
            dot = g.strip() == "."
            if ss >= 0.85:
                conf = 0.75 if dot else 0.55
            elif ss >= 0.5:
                conf = 0.6 if dot else 0.4  # "J. Young": the initial and period make the word a surname
            else:
                continue
            hits.append(_Hit("name", conf, "initial + census surname", toks[i].start(), toks[i + 1].end(),
                             1 if conf >= LOW_RULE_CONFIDENCE else 0))
            used.update((i, i + 1))
            continue
        # Mr. / Mrs. / Ms. Name
        if _HONORIFIC.match(a) and a.lower().rstrip(".") != "dr" and g.strip() in (".", "") and _is_name_shaped(b):
            ib = word_info(b)
            if max(ib.surname_strength, ib.first_strength) >= 0.5 or (not ib.known and not ib.common and b.isalpha()):
                conf = 0.85
            elif ib.known and not ib.stop:
                conf = 0.6
            else:
                continue
            end = toks[i + 1].end()
            if i + 2 < n and gap(i + 1).strip() == "" and _is_name_shaped(toks[i + 2].group(0)) and \
                    word_info(toks[i + 2].group(0)).surname_strength >= 0.5:
                end = toks[i + 2].end()
            hits.append(_Hit("name", conf, "title + name", toks[i].start(), end))
            used.update((i, i + 1))
            continue
        # First [M.] Last, or LAST FIRST as wristbands print it
        if g.strip() == "" and _is_name_shaped(a) and not is_initial(i):
            sf = ia.first_strength
            if sf <= 0:
                if _is_name_shaped(b) and not is_initial(i + 1):
                    _last_first(i, ia, word_info(b))
                continue
            j = i + 1
            if is_initial(j) and j + 1 < n and gap(j).strip() in (".", ""):
                j += 1
            elif j + 1 < n and gap(j).strip() == "" and _is_name_shaped(toks[j + 1].group(0)):
                # First Middle Last: take the third word when the second is another first name
                if word_info(toks[j].group(0)).first_strength >= 0.85 and \
                        word_info(toks[j + 1].group(0)).surname_strength >= 0.5:
                    j += 1
            last = toks[j].group(0)
            if not _is_name_shaped(last):
                continue
            il = word_info(last)
            ss = il.surname_strength
            if ss <= 0:
                if j == i + 1:
                    _last_first(i, ia, il)
                continue
            if sf < 0.85 and ss < 0.85 and _last_first(i, ia, word_info(b), dry=True) > 0.5:
                _last_first(i, ia, word_info(b))  # GARCIA MARIA: better read last-first
                continue
            if sf >= 0.85 and ss >= 0.85:
                conf = 0.92
            elif max(sf, ss) >= 0.85:
                conf = 0.85
            elif ia.first and il.surname and ia.first <= 100 and il.surname <= 100:
                conf = 0.75  # John Smith: both everyday words too, but the commonest names there are
            else:
                conf = 0.45  # Grace Hall, Will Call: both everyday words; flag, don't redact
            hits.append(_Hit("name", conf, "census first name + surname", toks[i].start(), toks[j].end()))
            used.update(range(i, j + 1))
    # A lone name: on a screen or board row it is a patient's; elsewhere only a weak guess.
    room_row = bool(_ROW_ROOM_RE.match(text))
    wordy = [k for k in range(n) if any(c.isalpha() for c in toks[k].group(0))]
    for k in wordy:
        if k in used:
            continue
        w = toks[k].group(0)
        if not _is_name_shaped(w) or len(w.strip("'’-")) < 3:
            continue
        if text[toks[k].end():toks[k].end() + 2].lstrip().startswith(":"):
            continue  # "DOW:", "ARN:": a word with a colon is a field label (often a misread one), not a name
        info = word_info(w)
        if info.stop:
            continue
        ss, sf = info.surname_strength, info.first_strength
        alone = len(wordy) == 1
        if context in SCREEN_CONTEXTS:
            if ss >= 0.85:
                conf = 0.85 if room_row else 0.8
            elif max(ss, sf) >= 0.5 and (alone or room_row):  # WHITE alone on a row; not "Call light …"
                conf = 0.55 if room_row else 0.45
            elif (room_row or (alone and context in ("whiteboard", "wristband"))) and not info.common \
                    and w.isalpha() and len(w) >= 4:
                conf = 0.5 if room_row else 0.3
            else:
                continue
            why = f"census surname alone on a {context}" if info.surname else f"name-like word on a {context}"
        else:
            if ss >= 0.85 and len(wordy) <= 3:
                conf = 0.35 if context == "document" else 0.3
            elif ss >= 0.5 and alone and not info.common:
                conf = 0.25
            else:
                continue
            why = "census surname alone"
        if room_row and context in SCREEN_CONTEXTS:
            why += " (room on the row)"
        hits.append(_Hit("name", conf, why, toks[k].start(), toks[k].end(), 1 if conf >= LOW_RULE_CONFIDENCE else 0))
    if context in ("whiteboard", "monitor", "reflection") and room_row:
        m = _ROW_ROOM_RE.match(text)
        rest = text[m.end():]
        if hits or (not rest.strip() and not _YEAR_RE.match(m.group("room"))):
            hits.append(_Hit("room", 0.65 if hits else 0.5, f"room number leading a {context} row", m.start("room"),
                             m.end("room")))
    return hits


# ============================================================================================ combining


def _dedupe(hits: Iterable[_Hit]) -> list[_Hit]:
    """One hit per span: stronger rules win overlaps; overlapping hits of one category merge into one span."""
    kept: list[_Hit] = []
    for h in sorted(hits, key=lambda h: (-h.priority, -h.confidence, h.start, h.end, h.category)):
        for idx, k in enumerate(kept):
            if h.start < k.end and k.start < h.end:
                if h.category == k.category:
                    kept[idx] = _Hit(k.category, k.confidence, k.reason, min(k.start, h.start), max(k.end, h.end),
                                     k.priority, k.staff)
                break
        else:
            kept.append(h)
    return sorted(kept, key=lambda h: (h.start, h.end, h.category))


# RapidOCR reads Chinese-trained punctuation: "Room：107B" has a full-width colon. Mapped one character to one, so
# the spans found in the mapped text index the text as read.
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


@lru_cache(maxsize=4096)
def _analyse(text: str, context: Optional[str]) -> _Analysis:
    if not text or not text.strip():
        return _Analysis((), None, False)
    text = text[:2000].translate(_FULLWIDTH)  # a line is short; a pathological string must not cost seconds
    view = numeric_view(text)
    label_hits, dangling, starts, skips = _label_hits(text, context)
    names = [h for h in _name_hits(text, context) if not any(s <= h.start and h.end <= e for s, e in skips)]
    hits = label_hits + _shape_hits(text, view, context) + names
    return _Analysis(tuple(_dedupe(hits)), dangling, starts)


def _severity(h: _Hit) -> str:
    if h.confidence < LOW_RULE_CONFIDENCE:
        return "low"
    if h.staff or h.category in MEDIUM_CATEGORIES:
        return "medium"
    return "high"


def _clamp(x: float) -> float:
    if x is None or not isinstance(x, (int, float)) or math.isnan(x):
        return 0.5  # an engine that reports no confidence: neither trust nor dismiss the reading
    return max(0.0, min(1.0, float(x)))


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


# ------------------------------------------------------------------------------------ label/value geometry
RIGHT_MAX_GAP = 12.0  # text heights: EHR value columns sit far right of their labels
BELOW_MAX_GAP = 1.6  # text heights: a value printed under its label


def _value_lines_for(i: int, lines: Sequence["TextLine"], analyses: Sequence[_Analysis]) -> list[int]:
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
        else:
            dy = vb[1] - lb[3]
            h_overlap = min(lb[2], vb[2]) - max(lb[0], vb[0])
            if -0.3 * h <= dy <= BELOW_MAX_GAP * h and (h_overlap > 0 or abs(vb[0] - lb[0]) <= 2 * h):
                score = 1.0 + 2 * max(dy, 0) / h + abs(vb[0] - lb[0]) / (4 * h)
            else:
                continue
        scored.append((score, j))
    return [j for _, j in sorted(scored)[:3]]


def _room_only(line: "TextLine") -> Optional[re.Match]:
    """The room number when a line is nothing but one ("312B", "4-2"): a tracker board's first column."""
    t = line.text or ""
    if 2 <= len(t.strip()) <= 6 and sum(c.isdigit() for c in t) >= 2:  # "6O1B", "4l2A": misread digits
        t = _fix_digits(t[:-1]) + t[-1] if t[-1] in "ABCDabcd" else _fix_digits(t)
    m = _ROW_ROOM_RE.match(t)
    return m if m and not t[m.end():].strip() and not _YEAR_RE.match(m.group("room")) else None


def _same_row(a: Box, b: Box) -> bool:
    return min(a[3], b[3]) - max(a[1], b[1]) >= 0.5 * max(1, min(geometry.height(a), geometry.height(b)))


def _left_of_on_row(left: Box, right: Box) -> bool:
    """`left` ends before `right` starts, on the same row, within a tracker board's column gap."""
    h = max(1, geometry.height(right))
    return _same_row(left, right) and left[2] <= right[0] + 0.3 * h and right[0] - left[2] <= 12 * h


def _next_right_on_row(k: int, j: int, lines: Sequence["TextLine"]) -> bool:
    """Line j is the first box right of line k on its row (the name column follows the room column; a status
    column further right does not)."""
    a, b = lines[k].box, lines[j].box
    if not _left_of_on_row(a, b):
        return False
    return not any(i not in (k, j) and _same_row(a, lines[i].box) and a[2] <= lines[i].box[0] < b[0]
                   for i in range(len(lines)))


def _row_word_as_name(text: str) -> Optional[_Hit]:
    """A lone capitalised word (THORN, Barrios) in the name column of a board row: the room number left of it
    makes it a name even when it is also an everyday word; clinical words (NPO, Ready) stay what they are."""
    toks = _TOKEN_RE.findall(text)
    if len(toks) != 1 or not toks[0].isalpha() or not _is_name_shaped(toks[0]):
        return None
    info = word_info(toks[0])
    if info.stop or (len(toks[0]) < 3 and not (0 < info.surname <= 3000 and not info.common)):  # YU, LI, NG
        return None
    if info.common and not info.surname:
        return None  # "120  Systolic" on a vitals monitor: a word that is no one's name
    start = text.index(toks[0])
    conf = 0.6 if info.surname else 0.5
    return _Hit("name", conf, "word beside a room number on a board row", start, start + len(toks[0]))


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


def _name_cell(text: str, analysis: _Analysis) -> Optional[tuple[int, int, bool]]:
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
    if not _is_name_shaped(m.group("last")) and not (initial and info.surname_strength > 0):
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
        row = [b for b in near if _same_row(a.box, b.box)]
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
                        analyses: Sequence[_Analysis]) -> None:
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


def _table_hits(lines: Sequence["TextLine"], analyses: Sequence[_Analysis]) -> dict[int, list[_Hit]]:
    """Room and name cells of the tracker tables among `lines` (line index -> hits), whatever the context."""
    keys = [k for k, l in enumerate(lines) if _room_only(l)]
    key_set = set(keys)
    out: dict[int, list[_Hit]] = {}
    for col in _room_columns(keys, lines):
        cells: dict[int, tuple[int, tuple[int, int, bool]]] = {}  # room line -> (name line, cell)
        for k in col:  # the name cell is the first box right of the room on its row
            right = [j for j in range(len(lines)) if _left_of_on_row(lines[k].box, lines[j].box)]
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
            m = _room_only(lines[k])
            out.setdefault(k, []).append(_Hit("room", TABLE_ROOM_CONF, f"room column of a {why}",
                                              m.start("room"), m.end("room")))
        for j, (s, e, strong) in cells.values():
            conf = TABLE_NAME_CONF if strong else TABLE_WEAK_NAME_CONF
            out.setdefault(j, []).append(_Hit("name", conf, f"name column of a {why}", s, e))
    return out


def _merge_table_hits(per_line: list[list[_Hit]], table: dict[int, list[_Hit]]) -> None:
    """Add the table's hits: a cell already found as the same category keeps its span, at the higher confidence."""
    for j, hits in table.items():
        for t in hits:
            same = [h for h in per_line[j] if h.category == t.category]
            if not same:
                per_line[j].append(t)
                continue
            for h in same:
                if h.confidence < t.confidence:
                    per_line[j][per_line[j].index(h)] = _Hit(h.category, t.confidence, f"{h.reason}; {t.reason}",
                                                             h.start, h.end, max(h.priority, 1), h.staff)


def table_matches(lines: Sequence["TextLine"]) -> list[PhiMatch]:
    """The room and name cells of tracker tables among all the lines of a frame. The text detector classifies
    lines per region; a board the screens detector split (or missed) still is one table across regions."""
    analyses = [_analyse(l.text or "", None) for l in lines]
    out = []
    for j, hits in sorted(_table_hits(lines, analyses).items()):
        line = lines[j]
        for h in hits:
            out.append(PhiMatch(h.category, tuple(int(v) for v in line.box), round(_clamp(h.confidence *
                                _clamp(line.confidence)), 4), _severity(h), line.text[h.start:h.end], h.reason))
    return out


def classify_lines(lines: Sequence["TextLine"], context: Optional[str] = None) -> list[PhiMatch]:
    """Every identifier in a set of OCR lines from one region (labels linked to values in separate boxes)."""
    ctx = _norm_context(context)
    analyses = [_analyse(l.text or "", ctx) for l in lines]
    per_line: list[list[_Hit]] = [list(a.hits) for a in analyses]
    for i, a in enumerate(analyses):
        if a.dangling is None:
            continue
        for j in _value_lines_for(i, lines, analyses):  # the nearest line whose text fits the label
            text = lines[j].text
            hit = _parse_value(a.dangling.label, a.dangling.text, text, _SEP_RE.match(text, 0).end(), True, ctx,
                               linked=True)
            if hit:
                per_line[j].append(hit)
                break
    # Tracker boards put the room in its own box left of the name: each backs the other up.
    board = ctx in ("whiteboard", "monitor", "reflection")
    rooms = [j for j, l in enumerate(lines) if _room_only(l)] if ctx in SCREEN_CONTEXTS else []
    if rooms:
        for j, hits in enumerate(per_line):
            if not hits and j not in rooms:
                hit = _row_word_as_name(lines[j].text or "")
                if hit and any(_next_right_on_row(k, j, lines) for k in rooms):
                    per_line[j] = [hit]
    _merge_table_hits(per_line, _table_hits(lines, analyses))
    out: list[PhiMatch] = []
    name_boxes: list[Box] = []
    for j, hits in enumerate(per_line):
        if not hits:
            continue
        line = lines[j]
        box: Box = tuple(int(v) for v in line.box)
        ocr = _clamp(line.confidence)
        if len(hits) > len(analyses[j].hits):
            hits = _dedupe(hits)
        for h in hits:
            conf, reason = h.confidence, h.reason
            if h.category == "name":
                name_boxes.append(box)
                if rooms and conf < 0.8 and h.priority < 2 and any(
                        _left_of_on_row(lines[k].box, box) for k in rooms if k != j):
                    conf, reason = max(conf, 0.75), reason + " (room number left on the row)"
            if board and h.category == "room" and conf < 0.65 and j in rooms:
                continue  # decided below, once every name on the board is known
            h2 = _Hit(h.category, conf, reason, h.start, h.end, h.priority, h.staff)
            out.append(PhiMatch(h.category, box, round(_clamp(conf * ocr), 4), _severity(h2),
                                line.text[h.start:h.end], reason))
    if board:
        for j in rooms:
            line = lines[j]
            if any(m.box == tuple(line.box) and m.category == "room" for m in out):
                continue
            m = _room_only(line)
            beside = any(_left_of_on_row(line.box, nb) for nb in name_boxes)
            if beside:
                conf, reason = 0.65, "room number left of a name on a row"
            elif re.search(r"[A-Za-z\-]", m.group("room")):  # "312-B", "4B": room-shaped, alone on a board
                conf, reason = (0.5 if ctx == "whiteboard" else 0.4), f"room number alone on a {ctx}"
            elif ctx == "whiteboard":
                conf, reason = 0.3, "number alone on a whiteboard"
            else:
                continue  # a bare number alone on a monitor is a vital sign far more often than a room
            score = round(_clamp(conf * _clamp(line.confidence)), 4)
            severity = _severity(_Hit("room", conf, reason, 0, 0))
            out.append(PhiMatch("room", tuple(int(v) for v in line.box), score, severity,
                                line.text[m.start("room"):m.end("room")], reason))
    return out


def warm() -> None:
    """Load the name lists, word lists and the one-letter-off index now rather than on the first image."""
    lexicon()
    _fuzzy_index()
    _stop_wildcards()


def lexicon_status() -> dict[str, object]:
    """What the classifier loaded (for reports and `scanner.models --check`-style diagnostics)."""
    lex = lexicon()
    return {"surnames": len(lex.surnames), "first_names": len(lex.firsts), "common_words": len(lex.common),
            "stop_words": len(lex.stop), "dictionary": lex.dictionary}
