"""Names without a label: "LAST, FIRST", "First Last", "F. Last", "Last, F", "Mr. Name"; on screens and boards a
surname alone on a row. Everyday English words and the stop words keep "EXIT", "Heparin" or "Nurses station" from
being called names; surnames that are also common words (WHITE, YOUNG) stay low confidence unless the structure (a
first name, a comma, a room number on the row) backs them up."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

from .hits import Hit, LOW_RULE_CONFIDENCE, SCREEN_CONTEXTS
from .lexicon import WordInfo, word_info
from .patterns import ROW_ROOM_RE, TOKEN_RE, YEAR_RE


HONORIFIC = re.compile(r"(?:dr|mr|mrs|ms|miss|mx|prof)\.?$", re.I)


@lru_cache(maxsize=65536)
def is_name_shaped(word: str) -> bool:
    w = word.strip("'’-")
    if len(w) < 2 or not any(c.isalpha() for c in w):
        return False
    letters = [c for c in w if c.isalpha()]
    if len(letters) < len(w) - 2:  # more than two non-letters: not a word
        return False
    return letters[0].isupper() and (all(c.isupper() for c in letters) or any(c.islower() for c in letters[1:]))


# A screen line that is nothing but a short name: "Hawa Bass", "Mamadou N'Diaye", "Fatima Flair Family".
_SCREEN_NAME_RE = re.compile(r"^\s*[★☆*•·]?\s*(?P<name>[A-Za-z][A-Za-z'’\-]+(?:\s+[A-Za-z][A-Za-z'’\-]+){1,2}?)"
                             r"(?:\s+(?:family|household|hh)|['’]s\s+\w+|\s+\w+(?:\.\.\.|…))?\s*$", re.I)
SCREEN_NAME_CONF = 0.5


def _inflected_word(word: str) -> bool:
    """An everyday word in a form the word list lacks: "Severities", "Referrals", "Pending", "Reviewed"."""
    w = word.lower()
    stems = []
    if w.endswith("ies") and len(w) > 4:
        stems.append(w[:-3] + "y")
    if w.endswith("es") and len(w) > 4:
        stems.append(w[:-2])
    if w.endswith("s") and len(w) > 3:
        stems.append(w[:-1])
    if w.endswith("ed") and len(w) > 4:
        stems += [w[:-2], w[:-1]]
    if w.endswith("ing") and len(w) > 5:
        stems += [w[:-3], w[:-3] + "e"]
    return any(word_info(st).common for st in stems)


def screen_name_line(text: str) -> Optional[Hit]:
    """On a software screen, a line of two or three name-shaped words that are not everyday wording is a person's
    name even when no census list knows it: the words of a UI ("New household", "Search everything") are
    everyday words, the names of people ("Hawa Bass", "Cloe Crane") are not, or not all of them."""
    m = _SCREEN_NAME_RE.match(text)
    if not m:
        return None
    words = m.group("name").split()
    if not all(is_name_shaped(w) for w in words) and not all(w.islower() for w in words):
        return None  # "Due today": mixed case like a sentence; lower-case names ("virat kohli") are all lower
    infos = [word_info(w) for w in words]
    if any(i.stop for i in infos) or any(len(i.norm) < 2 for i in infos):
        return None
    if any(w.isupper() and len(w) <= 4 and not (i.surname or i.first) for w, i in zip(words, infos)):
        return None  # an acronym: "EQA Tests", "Test LIMS"
    strange = sum(1 for i, w in zip(infos, words) if not i.common and not _inflected_word(w))
    census = sum(1 for i in infos if max(i.surname_strength, i.first_strength) > 0)
    if strange == 0:
        # Every word is in the dictionary: a name only when it opens with a first name ("John Doe"), as no menu
        # item does ("Start visit", "Test Form").
        if len(words) == 2 and infos[0].first_strength >= 0.5 and infos[0].first and \
                all(w[:1].isupper() for w in words) and not infos[1].first_strength >= 0.5:
            return Hit("name", SCREEN_NAME_CONF, "first name + word on a screen", m.start("name"), m.end("name"))
        return None
    if strange + census < len(words) and census == 0:
        return None  # "Test LIMS": one unknown word among everyday ones, and no name at all
    if all(w.islower() for w in words) and strange < len(words):
        return None  # "new test" is a demo patient only in a Name column (layout finds it there)
    return Hit("name", SCREEN_NAME_CONF, "name-shaped line on a screen", m.start("name"), m.end("name"))


# A patient banner: "John Doe 25, Male", "Betty Bliss · 41 yrs · F", "Baker Female 65 year(s)" (the given name in
# a box of its own)
_AGE = r"\d{1,3}\s*(?:y|yo|yrs?|years?|year\(s\)|y/o)?"
_SEX = r"(?:male|female|m|f|other|unknown)"
_SEX_WORDS = frozenset({"male", "female", "m", "f", "other", "unknown"})
_BANNER_RE = re.compile(rf"^\s*(?P<name>[A-Za-z][A-Za-z'’\-]+(?:\s+[A-Za-z][A-Za-z'’\-]+){{0,3}}?)\s*[,·•|]?\s*"
                        rf"(?:{_AGE}\s*[,·•|]?\s*{_SEX}|{_SEX}\s*[,·•|]?\s*{_AGE})\b", re.I)
# "Helen missed her appointment…": a message that opens with a patient's first name
_SENTENCE_START_RE = re.compile(r"^\s*(?P<name>[A-Z][a-z'’\-]+)\s+(?=[a-z])")


# A DICOM person name (PN): family^given^middle^prefix^suffix, as viewers and modalities print it: "AMBROSE^VICKY^M"
_DICOM_PN_RE = re.compile(r"(?<![\w^])[A-Za-z][A-Za-z'’\-]+\^[A-Za-z'’\-]{2,}(?:\^[A-Za-z'’.\-]*){0,3}(?![\w^])")


# A newborn before it is named: "Baby of Oni", "Baby Boy Garcia", "B/O Amina" (the mother's name identifies).
_NEWBORN_RE = re.compile(r"(?<![\w/])(?:baby|infant|b/o)\s+(?:(?:of|boy|girl)\s+)?(?P<name>[A-Z][A-Za-z'’\-]+)",
                         re.I)
# Synthetic FHIR patients (Synthea, the usual demo data of FHIR apps) carry digits: "Ron353 Dicki44".
_SYNTHEA_RE = re.compile(r"(?<![\w])[A-Z][a-z'’\-]+\d{2,3}(?:\s+[A-Z][a-z'’\-]+\d{0,3}){0,2}\s+[A-Z][a-z'’\-]+\d{2,3}"
                         r"(?![\w])")


def shaped_name_hits(text: str) -> list[Hit]:
    """Names recognisable by their shape whatever the words: DICOM PN, a newborn's 'Baby of X', Synthea's."""
    hits = [Hit("name", 0.85, "DICOM person name (family^given)", m.start(), m.end(), 2)
            for m in _DICOM_PN_RE.finditer(text)]
    for m in _SYNTHEA_RE.finditer(text):
        words = [re.sub(r"\d+$", "", w) for w in m.group(0).split()]
        infos = [word_info(w) for w in words]
        if not any(i.stop or (i.common and not (i.first or i.surname)) for i in infos):
            hits.append(Hit("name", 0.8, "generated patient name (letters + digits)", m.start(), m.end(), 2))
    for m in _NEWBORN_RE.finditer(text):
        info = word_info(m.group("name"))
        if m.group("name")[:1].isupper() and not info.stop and (not info.common or info.first or info.surname):
            hits.append(Hit("name", 0.8, "newborn named after a parent", m.start(), m.end(), 2))
    return hits


def name_hits(text: str, context: Optional[str]) -> list[Hit]:
    """Names without a label: LAST, FIRST · First Last · F. Last · Last, F · a lone surname on a screen row."""
    shaped = shaped_name_hits(text)
    if shaped:
        return shaped
    if context == "screen":
        m = _BANNER_RE.match(text)
        if m and not any(word_info(w).stop or w.lower() in _SEX_WORDS for w in m.group("name").split()):
            return [Hit("name", 0.8, "name in a patient banner (age, sex)", m.start("name"), m.end("name"), 2)]
        hit = screen_name_line(text)
        if hit:
            # A name no list knows still is one here; one the census knows keeps the census's higher confidence.
            surer = [h for h in name_hits(text, None) if h.confidence > hit.confidence]
            return surer or [hit]
        m = _SENTENCE_START_RE.match(text)
        if m:
            info = word_info(m.group("name"))
            if info.first_strength >= 0.85 and not info.common and not info.fuzzy:
                return [Hit("name", 0.5, "first name opening a message on a screen", m.start("name"),
                            m.end("name"))]
    toks = list(TOKEN_RE.finditer(text))
    hits: list[Hit] = []
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
            hits.append(Hit("name", conf, "census surname + first name", toks[i].start(), end))
            used.update((i, i + 1))
        return conf

    for i in range(n - 1):
        if i in used:
            continue
        a, b = toks[i].group(0), toks[i + 1].group(0)
        g = gap(i)
        if not is_name_shaped(a) and not is_initial(i):
            continue
        ia = word_info(a)
        # LAST, FIRST [M]  /  LAST, F
        if g.strip() == "," and is_name_shaped(a):
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
                hits.append(Hit("name", conf, "LAST, F (census surname)" if ss else "LAST, F", toks[i].start(),
                                 end))
                used.update((i, i + 1))
                continue
            if is_name_shaped(b):
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
                hits.append(Hit("name", conf, "LAST, FIRST (census names)", toks[i].start(), end))
                used.update((i, i + 1))
                continue
        # F. Last  /  F Last
        if is_initial(i) and g.strip() in (".", "") and is_name_shaped(b) and len(b) >= 2:
            ss = word_info(b).surname_strength
            dot = g.strip() == "."
            if ss >= 0.85:
                conf = 0.75 if dot else 0.55
            elif ss >= 0.5:
                conf = 0.6 if dot else 0.4  # "J. Young": the initial and period make the word a surname
            else:
                continue
            hits.append(Hit("name", conf, "initial + census surname", toks[i].start(), toks[i + 1].end(),
                             1 if conf >= LOW_RULE_CONFIDENCE else 0))
            used.update((i, i + 1))
            continue
        # Mr. / Mrs. / Ms. Name
        if HONORIFIC.match(a) and a.lower().rstrip(".") != "dr" and g.strip() in (".", "") and is_name_shaped(b):
            ib = word_info(b)
            if max(ib.surname_strength, ib.first_strength) >= 0.5 or (not ib.known and not ib.common and b.isalpha()):
                conf = 0.85
            elif ib.known and not ib.stop:
                conf = 0.6
            else:
                continue
            end = toks[i + 1].end()
            if i + 2 < n and gap(i + 1).strip() == "" and is_name_shaped(toks[i + 2].group(0)) and \
                    word_info(toks[i + 2].group(0)).surname_strength >= 0.5:
                end = toks[i + 2].end()
            hits.append(Hit("name", conf, "title + name", toks[i].start(), end))
            used.update((i, i + 1))
            continue
        # First [M.] Last, or LAST FIRST as wristbands print it
        if g.strip() == "" and is_name_shaped(a) and not is_initial(i):
            sf = ia.first_strength
            if sf <= 0:
                if is_name_shaped(b) and not is_initial(i + 1):
                    _last_first(i, ia, word_info(b))
                continue
            j = i + 1
            if is_initial(j) and j + 1 < n and gap(j).strip() in (".", ""):
                j += 1
            elif j + 1 < n and gap(j).strip() == "" and is_name_shaped(toks[j + 1].group(0)):
                # First Middle Last: take the third word when the second is another first name
                if word_info(toks[j].group(0)).first_strength >= 0.85 and \
                        word_info(toks[j + 1].group(0)).surname_strength >= 0.5:
                    j += 1
            last = toks[j].group(0)
            if not is_name_shaped(last):
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
            hits.append(Hit("name", conf, "census first name + surname", toks[i].start(), toks[j].end()))
            used.update(range(i, j + 1))
    # A lone name: on a screen or board row it is a patient's; elsewhere only a weak guess.
    room_row = bool(ROW_ROOM_RE.match(text))
    wordy = [k for k in range(n) if any(c.isalpha() for c in toks[k].group(0))]
    for k in wordy:
        if k in used:
            continue
        w = toks[k].group(0)
        if not is_name_shaped(w) or len(w.strip("'’-")) < 3:
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
        hits.append(Hit("name", conf, why, toks[k].start(), toks[k].end(), 1 if conf >= LOW_RULE_CONFIDENCE else 0))
    if context in ("whiteboard", "monitor", "reflection") and room_row:
        m = ROW_ROOM_RE.match(text)
        rest = text[m.end():]
        if hits or (not rest.strip() and not YEAR_RE.match(m.group("room"))):
            hits.append(Hit("room", 0.65 if hits else 0.5, f"room number leading a {context} row", m.start("room"),
                             m.end("room")))
    return hits
