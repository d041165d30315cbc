"""Labelled values: "MRN:", "DOB", "Patient:", "Fax", "Member ID" … followed by a value of the right shape. The label
table, the value parsers per kind of value, and `label_hits`, which also reports a label left dangling at the end of
its line (its value is in another OCR box: see tables.value_lines_for) and the values of clinical/demographic
fields ("Language: English", "Diet: NPO") that are never identifiers."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from .hits import Dangling, Hit, SCREEN_CONTEXTS
from .lexicon import word_info
from .names import HONORIFIC
from .patterns import (EMAIL_RE, PHONE7_RE, PHONE_RE, ROOM_VALUE_RE, SEP_RE, TOKEN_RE, find_dates, fix_digits,
                       numeric_view, read_id)


@dataclass(frozen=True)
class Label:
    category: str
    kind: str  # how to read the value: name, id, date, age, phone, email, address, zip, room, plate, ssn
    pattern: str
    staff: bool = False
    weak: bool = False  # a short or ambiguous label: its value must be unmistakable without a separator


# Order matters: at one position the first alternative that matches wins, so longer labels sharing a prefix come
# first ("patient id" before "patient", "date of birth" before "date", "license plate" before "license").
_LABELS: tuple[Label, ...] = (
    Label("dob", "date", r"d\.?\s?[o0]\.?\s?b\.?|date\s+[o0]f\s+birth|birth\s*date|birth\s*day|b-?day|born"),
    Label("ssn", "ssn", r"s\.?s\.?n\.?|ss\s?#|social\s+security(?:\s+(?:no\.?|number|#))?|soc\.?\s+sec\.?\s*#?"),
    Label("mrn", "id", r"mrn\s?#?|m\.r\.n\.?|mr[nm]|mr\s?#|mr\s?no\.?|med\.?\s*rec(?:ord)?\.?\s*(?:#|no\.?|number)?"
                        r"|medical\s+record(?:\s+(?:#|no\.?|number))?|chart\s*(?:#|no\.?|number)|patient\s*id\s*#?"
                        r"|pt\.?\s*id\s*#?|e?mpi|hosp(?:ital)?\s*(?:#|no\.?|number)|mr\s?(?=\d)"),
    Label("account", "id", r"acct\.?\s*(?:#|no\.?|number)?|account\s*(?:#|no\.?|number)?|fin\s*#?"
                            r"|encounter\s*(?:#|no\.?|number|id)?|enc\.?\s*#|csn|visit\s*(?:#|no\.?|number|id)"
                            r"|billing\s*(?:#|no\.?|number|id)|har\s*#?"),
    Label("health_plan", "id", r"member\s*(?:id|#|no\.?|number)|policy\s*(?:#|no\.?|number|id)?"
                                r"|insurance\s*(?:id|#|no\.?|number)?|ins\.?\s*(?:id|#)|subscriber\s*(?:id|#|no\.?)?"
                                r"|group\s*(?:#|no\.?|number)|medicare\s*(?:#|no\.?|id|number)?"
                                r"|medicaid\s*(?:#|no\.?|id|number)?|mbi|plan\s*(?:id|#)"
                                r"|health\s*plan(?:\s*(?:id|#|no\.?))?|beneficiary(?:\s*(?:id|#|no\.?))?"),
    Label("plate", "plate", r"(?:lic(?:ense)?\.?\s*)?plate\s*(?:#|no\.?)?|tag\s*#|vin\s*#?|lic\.?(?=\s*:)"),
    Label("license", "id", r"d\.?l\.?\s*#|dl(?=\s*[#:])|driver'?s?\s*lic(?:ense)?\.?\s*(?:#|no\.?)?"
                            r"|licen[cs]e\s*(?:#|no\.?|number)?|lic\.?\s*(?:#|no\.?)|npi\s*#?|dea\s*#?"
                            r"|cert(?:ificate)?\.?\s*(?:#|no\.?|number)"),
    Label("device", "id", r"serial\s*(?:#|no\.?|number)?|s/n|sn|device\s*(?:id|#|serial)|pump\s*(?:id|#)"
                           r"|asset\s*(?:#|tag|id)?|udi|implant\s*(?:id|#)|imei"),
    Label("identifier", "id", r"id\s*#?|case\s*(?:#|no\.?)|accession\s*(?:#|no\.?)?|acc\s*#|specimen\s*(?:id|#)"
                               r"|order\s*(?:#|no\.?)|req(?:uisition)?\s*#|sample\s*id"),
    Label("fax", "phone", r"fax(?:\s*(?:#|no\.?|number))?"),
    Label("phone", "phone", r"home\s*(?:phone|#)|work\s*phone|cell\s*phone|telephone|phone\s*(?:#|no\.?)?|tel\.?"
                             r"|ph\.?|cell|mobile(?:\s*(?:phone|number|no\.?|#))?|phone\s*number|contact\s*(?:#|no\.?|number|phone)|call"),
    Label("email", "email", r"e-?mail(?:\s*address)?"),
    Label("address", "address", r"home\s+address|address|addr\.?"),
    Label("zip", "zip", r"zip(?:\s*code)?|postal\s*code"),
    Label("age", "age", r"age\s*/\s*(?:sex|gender)|age"),
    Label("date", "date", r"admi(?:ssion|t(?:ted)?)(?:\s+date)?|adm\.?|discharge(?:d)?(?:\s+date)?|d/c(?:\s+date)?"
                           r"|dos|date\s+of\s+service|visit\s+date|surgery\s+date|procedure\s+date|appt\.?"
                           r"|appointment|expected\s+discharge|edd|deceased|date"),
    Label("room", "room", r"room\s*/\s*bed|rm\s*/\s*bed|room|rm\.?|bed|bay|stretcher|cubicle"),
    Label("name", "name", r"patient\s+name|pt\.?\s+name|patient'?s?|pt\.?|name|resident|guest|client|last\s+name"
                           r"|first\s+name|surname|full\s+name|guarantor|emergency\s+contact|next\s+of\s+kin|nok"
                           r"|mother|father|spouse|parent|guardian|member\s+name|subscriber\s+name|insured"),
    Label("name", "name", r"charge\s+(?:rn|nurse)|rn|nurse|dr\.?|md|attending|provider|pcp|physician|surgeon"
                           r"|doctor|np|pa|cna|tech|consultant|therapist", staff=True),
    # Fields whose value is clinical or demographic, never an identifier: "Language: English" is not a surname.
    Label("", "skip", r"language|religion|sex|gender|race|ethnicity|marital\s+status|code\s+status|diet"
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


def _label_at(m: re.Match) -> Label:
    return _LABELS[int(m.lastgroup[1:])]


# ============================================================================================ value parsers
# Each reads the value that starts at `pos` (after the label and its separator) and returns a hit or None.


def parse_value(label: Label, label_text: str, text: str, pos: int, sep: bool, context: Optional[str],
                 linked: bool = False) -> Optional[Hit]:
    weak = not sep and bool(_WEAK_LABELS.match(label_text.strip()))
    parser = _PARSERS[label.kind]
    hit = parser(label, _short(label_text), text, pos, sep or linked, weak, context)
    if hit and linked:
        hit = Hit(hit.category, hit.confidence * 0.95, hit.reason + " (label in a separate box)", hit.start,
                   hit.end, hit.priority, hit.staff)
    return hit


def _short(label_text: str) -> str:
    return re.sub(r"\s+", " ", label_text.strip())[:24]


_NAME_GAP_RE = re.compile(r"\.?[ \t]*,?[ \t]*")


def _name_tokens(text: str, pos: int, max_tokens: int = 4) -> list[re.Match]:
    """Name-shaped tokens from pos: words separated by spaces, one comma, or an initial's period."""
    toks: list[re.Match] = []
    commas = 0
    i = pos
    while len(toks) < max_tokens:
        m = TOKEN_RE.match(text, i)
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
        if HONORIFIC.match(w) and not kept:
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
    elif permissive and all(m.group(0)[:1].isupper() for m, _ in full) and not all(i.common for _, i in full):
        conf, why = 0.45, "capitalised value"  # not "Patient | Dictionary": a menu of everyday words
    else:
        return None
    if not permissive:
        if not all(m.group(0)[:1].isupper() for m, _ in full):
            return None
        conf *= 0.9
    return kept[0].start(), kept[-1].end(), conf, why


# Labels that name the field exactly: whatever capitalised word fills it is the name, even an everyday word
# ("Last name: Hertz", "First name: Rose").
_NAME_FIELD_RE = re.compile(r"(?:patient'?s?\s+|pt\.?\s+)?(?:last|first|given|family|middle|full|sur)\s*name", re.I)


def _field_word(toks: list[re.Match]) -> Optional[tuple[int, int, float, str]]:
    words = [m for m in toks if m.group(0)[:1].isupper() and m.group(0).replace("-", "").replace("'", "").isalpha()]
    if not words or words[0] is not toks[0] or any(word_info(m.group(0)).stop for m in words):
        return None
    return words[0].start(), words[-1].end(), 0.6, "capitalised word in a name field"


def _p_name(label, lt, text, pos, sep, weak, context) -> Optional[Hit]:
    toks = _name_tokens(text, pos)
    got = _name_from_tokens(toks, permissive=sep)
    if not got and sep and not label.staff and _NAME_FIELD_RE.fullmatch(lt.strip(" :*")):
        got = _field_word(toks)
    if not got:
        return None
    s, e, conf, why = got
    if weak and conf < 0.8:
        return None
    if label.staff:
        return Hit("name", conf * 0.9, f"staff label '{lt}' + {why}", s, e, 2, staff=True)
    return Hit("name", conf, f"label '{lt}' + {why}", s, e, 2)


def _p_id(label, lt, text, pos, sep, weak, context) -> Optional[Hit]:
    got = read_id(text, pos)
    if not got:
        return None
    s, e, raw, fixed = got
    if not fixed.isdigit() and any(d.start <= s and e <= d.end for d in find_dates(text)):
        return None  # "Encounter 2023-07-14 09:12": the field holds a date, which the date shapes take
    alnum = [c for c in fixed if c.isalnum()]
    digits = sum(c.isdigit() for c in alnum)
    noisy = fixed != raw
    if label.category == "mrn":
        ok = digits >= 4 and digits * 5 >= len(alnum) * 3
        conf = 0.95
    else:
        ok = digits >= 3 and len(alnum) >= 4 and (digits * 3 >= len(alnum) or len(alnum) >= 6)
        conf = 0.9
    if not ok and sep and digits and len(alnum) >= 4 and " " not in raw.strip() and not word_info(raw).common:
        ok, conf = True, conf - 0.1  # "Internal ID: rec-jk1-dup1": a code after an explicit ID field label
    if not ok:
        return None
    if word_info(raw).common and digits < 3:
        return None
    if weak:
        conf -= 0.1
    if noisy:
        conf *= 0.9
    return Hit(label.category, conf, f"label '{lt}' + {digits} digits" + (" (OCR-corrected)" if noisy else ""),
                s, e, 2)


def _p_ssn(label, lt, text, pos, sep, weak, context) -> Optional[Hit]:
    view = text[:pos] + fix_digits(text[pos:])
    m = re.compile(r"\d{3}[\- ]?\d{2}[\- ]?\d{4}(?!\d)").match(view, pos)
    if m:
        return Hit("ssn", 0.97, f"label '{lt}' + 9 digits", m.start(), m.end(), 2)
    m = re.compile(r"(?:[Xx*#]{3}[\- ]?[Xx*#]{2}[\- ]?)?\d{4}(?!\d)").match(view, pos)
    if m:
        return Hit("ssn", 0.7, f"label '{lt}' + last 4 digits", m.start(), m.end(), 2)
    return None


def _p_date(label, lt, text, pos, sep, weak, context) -> Optional[Hit]:
    view = numeric_view(text)
    for d in find_dates(view, with_bare_md=True):
        if d.start >= pos and not view[pos:d.start].strip(" :#-=.,"):
            if label.category == "dob":
                return Hit("dob", 0.95, f"label '{lt}' + date", d.start, d.end, 2)
            return Hit("date", 0.85, f"label '{lt}' + date", d.start, d.end, 2)
    if label.category == "dob":  # 6 or 8 packed digits: 031457, 03141957
        m = re.compile(r"\d{6}(?:\d{2})?(?!\d)").match(view, pos)
        if m:
            return Hit("dob", 0.75, f"label '{lt}' + packed date", m.start(), m.end(), 2)
    return None


def _p_age(label, lt, text, pos, sep, weak, context) -> Optional[Hit]:
    m = re.compile(r"(?:>\s?)?(\d{1,3})(?:\s?(?:y/o|yo|y\.o\.?|yrs?|years?))?(?![\d.])", re.I).match(text, pos)
    if not m:
        return None
    n = int(m.group(1))
    if m.group(0).startswith(">") and n >= 89:
        return Hit("age", 0.7, f"label '{lt}' + over 89", m.start(), m.end(), 2)
    if 90 <= n <= 125:
        return Hit("age", 0.9, f"label '{lt}' + {n} (over 89)", m.start(), m.end(), 2)
    return None


def _p_phone(label, lt, text, pos, sep, weak, context) -> Optional[Hit]:
    view = numeric_view(text)
    for rx, conf in ((PHONE_RE, 0.95), (PHONE7_RE, 0.85), (_LABELLED_PHONE_RE, 0.8)):
        m = rx.search(view, pos)
        if m and not view[pos:m.start()].strip(" :#-=.,") and 7 <= sum(c.isdigit() for c in m.group(0)) <= 15:
            return Hit(label.category, conf, f"label '{lt}' + phone number", m.start(), m.end(), 2)
    return None


# After a phone label any run of 7-15 digits in groups is the number ("555 6767", "0803 555 6767").
_LABELLED_PHONE_RE = re.compile(r"(?<![\w])\+?\(?\d[\d\s\-().]{5,22}\d(?![\w])")


def _p_email(label, lt, text, pos, sep, weak, context) -> Optional[Hit]:
    m = EMAIL_RE.match(text, pos)
    if m:
        return Hit("email", 0.97, f"label '{lt}' + e-mail", m.start(), m.end(), 2)
    m = re.compile(r"\S+@\S+").match(text, pos)  # an address the reader garbled: still one
    if m:
        return Hit("email", 0.8, f"label '{lt}' + e-mail-like", m.start(), m.end(), 2)
    return None


def _p_address(label, lt, text, pos, sep, weak, context) -> Optional[Hit]:
    rest = text[pos:].rstrip()
    if not rest or len(rest) < 3:
        return None
    has_digit = any(c.isdigit() for c in rest)
    words = [w for w in TOKEN_RE.findall(rest) if w.isalpha()]
    if has_digit and words:
        return Hit("address", 0.9, f"label '{lt}' + street", pos, pos + len(rest), 2)
    if (sep or label.pattern.startswith("home")) and len(words) >= 2:
        return Hit("address", 0.6, f"label '{lt}' + text", pos, pos + len(rest), 2)
    return None


def _p_zip(label, lt, text, pos, sep, weak, context) -> Optional[Hit]:
    m = re.compile(r"\d{5}(?:-\d{4})?(?!\d)").match(numeric_view(text), pos)
    return Hit("zip", 0.9, f"label '{lt}' + ZIP", m.start(), m.end(), 2) if m else None


def _p_room(label, lt, text, pos, sep, weak, context) -> Optional[Hit]:
    m = ROOM_VALUE_RE.match(text, pos)
    if not m:
        return None
    conf = 0.7 if context in SCREEN_CONTEXTS else 0.6
    return Hit("room", conf, f"label '{lt}' + number", m.start(), m.end(), 2)


def _p_plate(label, lt, text, pos, sep, weak, context) -> Optional[Hit]:
    m = re.compile(r"[A-Za-z0-9]{1,8}(?:[\s\-·][A-Za-z0-9]{1,8}){0,2}").match(text, pos)
    if not m:
        return None
    alnum = re.sub(r"[^A-Za-z0-9]", "", m.group(0))
    if not (2 <= len(alnum) <= 17) or not any(c.isdigit() for c in alnum) and len(alnum) < 4:
        return None
    return Hit("plate", 0.9, f"label '{lt}' + plate", m.start(), m.end(), 2)


_PARSERS = {"name": _p_name, "id": _p_id, "ssn": _p_ssn, "date": _p_date, "age": _p_age, "phone": _p_phone,
            "email": _p_email, "address": _p_address, "zip": _p_zip, "room": _p_room, "plate": _p_plate}


def label_hits(text: str, context: Optional[str]) -> tuple[list[Hit], Optional[Dangling], bool,
                                                          list[tuple[int, int]]]:
    """Hits introduced by labels; a label with nothing after it (its value is in another box); whether the text
    starts with a label; the spans of values that are never identifiers ("Language: English")."""
    hits: list[Hit] = []
    skips: list[tuple[int, int]] = []
    dangling: Optional[Dangling] = None
    starts = False
    pos = 0
    while True:
        m = _find_label(text, pos)
        if not m:
            break
        label = _label_at(m)
        if not text[:m.start()].strip(" \t-|:•·"):
            starts = True
        sm = SEP_RE.match(text, m.end())
        vpos = sm.end()
        sep = bool(sm.group("sep")) or "#" in m.group(0) or "#" in sm.group(0)
        if label.kind == "skip":
            nxt = _find_label(text, vpos)
            skips.append((vpos, nxt.start() if nxt else len(text)))
            pos = m.end()
            continue
        if vpos >= len(text.rstrip(" \t*")):  # "Last name *": a required field's star is not its value
            # A short label at the end of a sentence ("… seen by MD") is not a form field waiting for a value.
            if sep or not text[:m.start()].strip() or not _WEAK_LABELS.match(m.group(0).strip()):
                dangling = Dangling(label, m.group(0))
            break
        hit = parse_value(label, m.group(0), text, vpos, sep, context)
        if hit:
            hits.append(hit)
            pos = max(hit.end, m.end())
        else:
            pos = m.end()
    return hits, dangling, starts, skips
