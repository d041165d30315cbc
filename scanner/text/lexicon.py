"""The word lists behind the name rules: US census surnames and first names (the `names` package), names of many
other countries (data/world_names.txt, from Faker's locale lists), the system English word list (Debian
`wamerican`) and the shipped signage / clinical / drug stop words (data/phi_stopwords.txt).

OCR noise: name tokens are looked up with 0->O, 1->I, 5->S … corrected and, failing an exact hit, one substituted
letter against the commoner census names (the fuzzy index) or a common multi-letter confusion (rn<->m …).

Everything is loaded once, lazily on first use; `warm()` loads it up front (~0.3-0.5 s)."""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

log = logging.getLogger(__name__)


DICTIONARY_PATHS = (Path("/usr/share/dict/words"), Path("/usr/share/dict/american-english"))
STOPWORDS_PATH = Path(__file__).parent.parent / "data" / "phi_stopwords.txt"
WORLD_NAMES_PATH = Path(__file__).parent.parent / "data" / "world_names.txt"
# Ranks given to names only the world list knows: as strong as a mid-list census name when the word is no English
# word, nothing when it is one; above FUZZY_SURNAME_TOP so a one-letter-off misreading never becomes one of them.
WORLD_SURNAME_RANK = 18000
WORLD_FIRST_RANK = 5000


@dataclass(frozen=True)
class Lexicon:
    surnames: dict[str, int]  # UPPER -> census rank (1 = commonest)
    firsts: dict[str, int]  # UPPER -> best census rank over the female and male lists
    common: frozenset[str]  # lowercase everyday English words
    stop: frozenset[str]  # lowercase signage / clinical / drug words: never a name on their own
    dictionary: Optional[str]  # the system word list used, None when absent
    world: frozenset[str] = frozenset()  # names known only from the world list (kept out of the fuzzy index)


def _read_census(path: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    with open(path, encoding="ascii", errors="ignore") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 4 and parts[3].isdigit():
                out.setdefault(parts[0], int(parts[3]))
    return out


def _accent_table() -> dict[int, str]:
    """Each accented Latin letter -> its bare letter, one character for one ('É' -> 'E', 'ø' -> 'o', 'ß' -> 's'),
    so that spans found in folded text index the text as read."""
    special = {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "s", "æ": "a", "Æ": "A", "œ": "o", "Œ": "O",
               "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "t", "Þ": "T", "ı": "i", "ħ": "h", "Ħ": "H"}
    table = {}
    for code in (*range(0xC0, 0x250), *range(0x1E00, 0x1F00)):
        c = chr(code)
        base = special.get(c) or unicodedata.normalize("NFKD", c)[:1]
        if base.isascii() and base.isalpha():
            table[code] = base
    return table


ACCENT_FOLD = _accent_table()


def fold_accents(text: str) -> str:
    """'José Ødegård' -> 'Jose Odegard', one character for one: OCR and the census spell names without accents."""
    return text.translate(ACCENT_FOLD)


def census_names() -> tuple[dict[str, int], dict[str, int]]:
    """(first names, surnames) of the US census lists: UPPER -> rank (1 = commonest)."""
    try:
        import names  # the PyPI package `names`: US census 1990 name frequency lists
    except ImportError:
        raise RuntimeError("scanner.text: the 'names' package (census name lists) is not installed: "
                           "pip install -r requirements.txt") from None
    folder = Path(names.__file__).parent
    firsts: dict[str, int] = {}
    for f in ("dist.female.first", "dist.male.first"):
        for n, r in _read_census(folder / f).items():
            firsts[n] = min(r, firsts.get(n, r))
    return firsts, _read_census(folder / "dist.all.last")


def _read_world_names(path: Path) -> tuple[set[str], set[str]]:
    """(first names, surnames) of data/world_names.txt, accents folded; empty when the file is absent."""
    firsts: set[str] = set()
    lasts: set[str] = set()
    if not path.is_file():
        log.warning("scanner.text: %s is missing: only US census names are known", path)
        return firsts, lasts
    for line in path.read_text(encoding="utf-8").splitlines():
        kind, _, name = line.partition(" ")
        name = re.sub(r"[^A-Z\-]", "", fold_accents(name))
        if len(name) >= 2 and kind in ("F", "L"):
            (firsts if kind == "F" else lasts).add(name)
    return firsts, lasts


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """Load the census and world name lists, the word list and the stop words once per process."""
    firsts, surnames = census_names()
    world_firsts, world_lasts = _read_world_names(WORLD_NAMES_PATH)
    world = (world_firsts - set(firsts)) | (world_lasts - set(surnames))
    for n in world_firsts:
        firsts.setdefault(n, WORLD_FIRST_RANK)
    for n in world_lasts:
        surnames.setdefault(n, WORLD_SURNAME_RANK)
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
        log.warning("scanner.text: no English word list at %s (Debian package 'wamerican'); names that are also "
                    "common words are told apart less well", DICTIONARY_PATHS[0])
    stop: set[str] = set()
    for line in STOPWORDS_PATH.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0]
        stop.update(w.lower() for w in line.split())
    # Short function words are words whatever the census says (the list has surnames like "AN" and "DO").
    common.update(stop)
    return Lexicon(surnames, firsts, frozenset(common), frozenset(stop), used, frozenset(world))


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
         if len(n) >= FUZZY_MIN_LEN and n.lower() not in lex.common and n not in lex.world))
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
    raw = fold_accents(word.strip(".,;:'’\"-"))
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


def warm() -> None:
    """Load the name lists, word lists and the one-letter-off index now rather than on the first image."""
    lexicon()
    _fuzzy_index()
    _stop_wildcards()


def lexicon_status() -> dict[str, object]:
    """What the classifier loaded (for reports and `scanner.models --check`-style diagnostics)."""
    lex = lexicon()
    return {"surnames": len(lex.surnames), "first_names": len(lex.firsts), "world_names": len(lex.world),
            "common_words": len(lex.common),
            "stop_words": len(lex.stop), "dictionary": lex.dictionary}
