"""Rules for text on a screenshot (context `screen`): names beyond the census, banners, echoes of a found value,
avatar initials, codes alone in a cell, times beside dates, value boxes inside a line. OCR-line fixtures shaped
like the real screenshots of ../shared/real/ehr_dev; no models."""
from __future__ import annotations

import pytest

from scanner.text import classify_lines, classify_spans
from scanner.text.layout import span_box
from scanner.text.ocr.base import TextLine


def T(text, box, conf=0.99):
    return TextLine(text=text, box=box, confidence=conf)


def names(text):
    return [t for c, _, _, t in classify_spans(text, "screen") if c == "name"]


@pytest.mark.parametrize("text,name", [("Hawa Bass", "Hawa Bass"), ("Mamadou N'Diaye", "Mamadou N'Diaye"),
                                       ("Beatrice Bass Family", "Beatrice Bass"), ("virat kohli", "virat kohli"),
                                       ("Isabelle Ivanas Fam...", "Isabelle Ivanas"), ("John Doe", "John Doe"),
                                       ("John Doe 25, Male", "John Doe"), ("Baker Female 65 year(s)", "Baker"),
                                       ("Helen missed her appointment to...", "Helen")])
def test_names_on_a_screen(text, name):
    assert name in names(text)


@pytest.mark.parametrize("text", ["New household", "Search everything", "Due today", "Test LIMS", "EQA Tests",
                                  "All Severities", "Start visit", "Test Form", "Male 25 years", "Patient Summary",
                                  "The antenatal care training went well."])
def test_ui_wording_is_no_name(text):
    assert names(text) == []


def test_the_same_lines_off_a_screen_are_judged_as_before():
    assert [c for c, *_ in classify_spans("Zorblat Quenwick", None)] == []  # no list knows it: a name on screens only
    assert classify_spans("Hawa Bass", "screen")[0][1] >= 0.85  # a listed name keeps its confidence on a screen


@pytest.mark.parametrize("text", ["10001NG", "ORD-1001", "65421", "24-TST-000-006-1", "H2O-0003 A"])
def test_codes_alone_in_a_cell_are_identifiers(text):
    assert [c for c, *_ in classify_spans(text, "screen")] == ["identifier"]


@pytest.mark.parametrize("text", ["2022", "SpO2", "COVID-19", "120/90", "37.7"])
def test_years_vitals_and_names_of_things_are_not_codes(text):
    assert "identifier" not in [c for c, *_ in classify_spans(text, "screen")]


def test_a_value_found_once_is_found_where_it_recurs():
    lines = [T("ID", (502, 267, 528, 290)), T("32657", (502, 288, 552, 311)),
             T("Nice work, joe! Violet Verona (32657) has attended ANC at the health facility.", (503, 635, 1126, 662))]
    ids = [m for m in classify_lines(lines, "screen") if m.text == "32657"]
    assert len(ids) == 2
    echo = [m for m in ids if m.box[1] == 635][0]
    assert 503 < echo.box[0] < echo.box[2] < 1126  # the number's part of the sentence, not the whole line


def test_avatar_initials_go_with_the_name_they_abbreviate():
    lines = [T("BB", (567, 148, 647, 213)), T("Betty Bliss", (679, 131, 966, 199)), T("BP", (587, 392, 635, 429))]
    got = {m.text for m in classify_lines(lines, "screen")}
    assert {"BB", "Betty Bliss"} <= got and "BP" not in got


def test_a_time_in_its_own_cell_beside_a_date_is_part_of_it():
    lines = [T("Sat, Apr 17 '21", (100, 100, 260, 120)), T("17:53", (400, 100, 450, 120)),
             T("10:30", (100, 400, 150, 420))]
    got = {m.text for m in classify_lines(lines, "screen")}
    assert {"Sat, Apr 17 '21", "17:53"} <= got and "10:30" not in got


def test_value_box_inside_a_line_leaves_the_age_beside_it():
    line = "Male ·25 years ·12 – Sept — 1997"
    (m,) = [m for m in classify_lines([T(line, (288, 118, 497, 137))], "screen") if m.category == "date"]
    assert m.box[0] > 288 + 0.35 * (497 - 288) and m.box[2] == 497
    assert span_box((0, 0, 100, 10), "abc", 0, 3) == (0, 0, 100, 10)  # the whole line: its own box
    assert span_box((0, 0, 100, 10), "ab cdefghijklmnop", 12, 17)[0] > 50  # the last five letters


@pytest.mark.parametrize("text,value", [("17/01/2025 02:20", "17/01/2025 02:20"),
                                        ("Mon, Jun 30th, 2025 at 12:00 AM", "Mon, Jun 30th, 2025 at 12:00 AM"),
                                        ("mar, jul 28 '20 - 22:49", "mar, jul 28 '20 - 22:49"),
                                        ("dom, abr 18 '21 - 21:37", "dom, abr 18 '21 - 21:37"),
                                        ("1999 Sep 23", "1999 Sep 23"), ("12 – Sept — 1997", "12 – Sept — 1997"),
                                        ("Today, 12:02 PM", "Today, 12:02 PM"), ("05 Jun 2025", "05 Jun 2025")])
def test_dates_with_their_time_weekday_and_foreign_months(text, value):
    assert ("date", value) in {(c, t) for c, _, _, t in classify_spans(text, "screen")}


def test_international_phone_and_version_numbers():
    assert [c for c, *_ in classify_spans("+9779808147485", "screen")] == ["phone"]
    assert classify_spans("Version: 3.2.1.10", "screen") == []


def test_a_date_wrapped_over_two_lines_is_redacted_on_both():
    lines = [T("Last recorded: 14", (317, 177, 412, 189)), T("– Nov − 2022", (316, 190, 395, 205)),
             T("Record vitals", (428, 185, 499, 199))]
    got = {m.text for m in classify_lines(lines, "screen") if m.category == "date"}
    assert "14" in got and any("Nov" in t and "2022" in t for t in got)
    assert not any("Record" in t for t in got)


@pytest.mark.parametrize("text", ["2.25.969524913222516732", "1.2.840.113619.2.55.3.604688119.969.1268071029.320",
                                  ".25.60597953737232723034429690498044408810"])
def test_dicom_uids_on_a_screen_are_identifiers(text):
    assert classify_spans(text, "screen") == [("identifier", 0.6, "DICOM UID", text)]


@pytest.mark.parametrize("text", ["Version 1.2.3", "1.2.3.4.5", "3.14159265358979", "v2.10.3.4567"])
def test_version_numbers_and_decimals_are_no_uid(text):
    assert classify_spans(text, "screen") == []


def test_a_uid_alone_on_a_screenshot_identifies_no_one():
    """Like a record UUID: a viewer's UID list with no patient on the page is no one's (verdict clear)."""
    from scanner.detectors.text import without_unattached
    from scanner.findings import Finding

    uid = Finding(kind="text", category="identifier", box=(0, 0, 10, 10), confidence=0.6, severity="medium",
                  note="DICOM UID")
    assert without_unattached([uid]) == []
    name = Finding(kind="text", category="name", box=(0, 20, 10, 30), confidence=0.9, severity="high")
    assert len(without_unattached([uid, name])) == 2


@pytest.mark.parametrize("text,code", [("OpenMRS rec-jk2-dup1", "rec-jk2-dup1"), ("Rec-1120-Org", "Rec-1120-Org"),
                                       ("Source ID ABC-123-XYZ", "ABC-123-XYZ")])
def test_dashed_record_codes_on_a_screen(text, code):
    assert ("identifier", code) in [(c, t) for c, _, _, t in classify_spans(text, "screen")]


@pytest.mark.parametrize("text", ["covid-19", "SARS-CoV-2", "x-ray-2", "Follow-up-visit", "e-mail-2x"])
def test_hyphenated_words_are_no_record_codes(text):
    assert classify_spans(text, "screen") == []
