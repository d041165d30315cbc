"""DICOM attributes on screen (scanner.text.dicom_tags) and the shape rules added with it: record UUIDs, newborn
and generated (Synthea) names, form-field labels under one another."""
import pytest

from scanner.text import classify_lines, classify_text
from scanner.text.dicom_tags import split_attribute
from scanner.text.layout import is_field_label
from scanner.text.ocr.base import TextLine


def line(text, box):
    return TextLine(text=text, box=box, confidence=0.95)


@pytest.mark.parametrize("text,expect", [
    ("PatientName : DOE^JOHN", ("name", 14)),
    ("PatientName :", ("name", 13)),
    ("Patient's Name", ("name", 14)),
    ("(0010,0020) Patient ID: 12345", ("mrn", 24)),
    ("Modality : XA", ("", 11)),
    ("Manufacturer : SIEMENS", ("", 15)),
    ("Study Date", ("date", 10)),
    ("Modality Worklist Settings", None),  # a heading: more words, no separator
    ("Name: John", None),  # an ordinary label: the label rules' business
    ("AccessionNumb", ("identifier", 13)),  # cut by its cell: the one attribute it begins
    ("StudylnstanceUID: 1.2.3", ("identifier", 18)),  # OCR's l for I
    ("Patient", None),  # begins several: unknown
])
def test_split_attribute(text, expect):
    assert split_attribute(text) == expect


def corner(texts, x=10, y=10, h=14):
    return [line(t, (x, y + k * (h + 4), x + 9 * len(t), y + k * (h + 4) + h)) for k, t in enumerate(texts)]


def test_overlay_attribute_lines_redact_only_identifying_values():
    lines = corner(["PatientName : DOE^JANE", "PatientID :", "Modality : DX", "Manufacturer : SIEMENS",
                    "StudyInstanceUID : Unknown", "StudyDate : 20240131", "WindowWidth : 3181"])
    got = {(m.category, m.text) for m in classify_lines(lines, context="imaging")}
    assert got == {("name", "DOE^JANE"), ("date", "20240131")}


def test_tag_table_value_cells_take_the_attribute_category():
    names = ["Modality", "Manufacturer", "Patient's Name", "Patient ID", "Patient's Age", "Institution Name"]
    values = ["CT", "TOSHIBA", "TEST", "PID00123", "054Y", "NANFANG HOSPITAL"]
    lines = []
    for k, (n, v) in enumerate(zip(names, values)):
        y = 40 + 22 * k
        lines += [line(n, (20, y, 20 + 9 * len(n), y + 14)), line(v, (260, y, 260 + 9 * len(v), y + 14))]
    got = {(m.category, m.text) for m in classify_lines(lines, context="screen")}
    assert got == {("name", "TEST"), ("mrn", "PID00123"), ("identifier", "NANFANG HOSPITAL")}


def test_a_lone_attribute_header_does_not_claim_the_cell_beside_it():
    lines = [line("Study Date", (20, 40, 110, 54)), line("Accession", (260, 40, 340, 54))]
    assert classify_lines(lines, context="screen") == []


def test_record_uuid_on_a_screen_is_an_identifier_elsewhere_not():
    text = "Invoice 04b4bafa-f44c-491e-aad6-c911256a0dff"
    assert classify_text(text, "screen") == [("identifier", 0.6, "record UUID")]
    assert classify_text(text, None) == []


@pytest.mark.parametrize("text", ["Baby of Oni", "Baby Boy Garcia", "B/O Amina", "Ron353 Dicki44",
                                  "Mr. Aaron697 Ernest Brekke496"])
def test_shaped_names(text):
    assert [c for c, _, _ in classify_text(text, "screen")] == ["name"]


@pytest.mark.parametrize("text", ["Baby Care Guide", "baby of the month", "Covid19 Vaccine22", "Windows10 Build22",
                                  "Infant Formula"])
def test_not_shaped_names(text):
    assert classify_text(text, "screen") == []


@pytest.mark.parametrize("text,expect", [("Postal code", True), ("City", True), ("Mobile number *", True),
                                         ("Ngelehun", False), ("Ngele road 1", False), ("6666", False)])
def test_is_field_label(text, expect):
    assert is_field_label(text) is expect


def test_a_form_label_column_is_not_a_table_column():
    """'Address | Ngele road 1' on one row, then 'Postal code', 'City' under 'Address': form fields, not cells."""
    rows = [("Address", "Ngele road 1"), ("Postal code", "6666"), ("City", "Ngelehun")]
    lines = []
    for k, (a, b) in enumerate(rows):
        y = 740 + 76 * k
        lines += [line(a, (75, y, 75 + 11 * len(a), y + 30)), line(b, (565, y, 565 + 11 * len(b), y + 30))]
    got = classify_lines(lines, context="screen")
    assert not any(m.text in ("Postal code", "City") for m in got)
    assert ("address", "Ngele road 1") in {(m.category, m.text) for m in got}


def test_a_kept_attribute_line_does_not_make_the_line_below_it_identifying():
    """Overlay lines continue an identifying line below it; a kept attribute ('Modality : DX') is not one."""
    lines = corner(["Modality : DX", "Chest PA"])
    assert classify_lines(lines, context="imaging") == []
    lines = corner(["InstitutionName : Regional Medical", "Center"])
    assert {m.text for m in classify_lines(lines, context="imaging")} == {"Regional Medical", "Center"}


def test_a_label_with_its_value_right_of_it_is_a_form_row_not_a_table_header():
    """'Last name * | Anderson' is a form row: the labels and buttons below 'Last name *' are not name cells. A
    header with a sidebar word left of it ('Reports | Claim Id') still heads its column."""
    form = [line("Last name *", (55, 507, 150, 535)), line("Anderson", (245, 507, 318, 535)),
            line("Gender", (55, 556, 130, 583)), line("Save person", (49, 718, 141, 748))]
    got = {m.text for m in classify_lines(form, context="screen")}
    assert "Anderson" in got and not got & {"Gender", "Save person"}
    table = [line("Reports", (17, 354, 79, 376)), line("Patient ID", (760, 354, 850, 382)),
             line("CH9", (761, 382, 849, 405))]
    assert "CH9" in {m.text for m in classify_lines(table, context="screen")}
