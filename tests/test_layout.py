"""The layout stage (scanner/text/layout.py) on OCR-line fixtures: header rows, columns, cells, and what the
classifier makes of them. Fixture geometry follows the real screenshots (Bahmni patient list, OpenELIS lab list):
left-aligned columns, 19-22 px text, rows 30-50 px apart."""
from __future__ import annotations

from scanner.text import classify_lines
from scanner.text import layout
from scanner.text.ocr.base import TextLine


def cell(text, x, y, w=None, h=20, conf=0.95):
    return TextLine(text=text, box=(x, y, x + (w or 11 * len(text)), y + h), confidence=conf)


def patient_list(rows, header=("ID", "Name", "Gender", "Age", "Registration Date"), xs=(170, 470, 900, 1100, 1300),
                 top=100, pitch=49):
    lines = [cell(t, x, top) for t, x in zip(header, xs)]
    for r, values in enumerate(rows):
        lines += [cell(v, x, top + (r + 1) * pitch) for v, x in zip(values, xs) if v]
    return lines


ROWS = [("ABC200001", "Alag Slag", "M", "34", "08 Apr 2025"),
        ("ABC200002", "Jamesy Make", "F", "21", "09 Apr 2025"),
        ("ABC200005", "test test test", "M", "40", "12 May 2025"),
        ("11A43873…", "new new", "F", "9", "05 Jun 2025")]


def found(lines, context="screen"):
    return {(m.text, m.category) for m in classify_lines(lines, context)}


def test_header_category_whole_cell_only():
    assert layout.header_category("Last Name") == "name"
    assert layout.header_category("First Name") == "name"
    assert layout.header_category("Patient ID") == "mrn"
    assert layout.header_category("Birth date") == "dob"
    assert layout.header_category("DOB") == "dob"
    assert layout.header_category("Phone Number") == "phone"
    assert layout.header_category("Registration Date") == "date"
    assert layout.header_category("Lab Number") == "identifier"
    assert layout.header_category("Sample Info") == "patient_info"
    assert layout.header_category("Name: Jane") is None  # a labelled value, not a header
    assert layout.header_category("Gender") is None
    assert layout.header_category("Age") is None
    assert layout.header_category("") is None


def test_rows_group_by_vertical_overlap_and_sort_left_to_right():
    lines = [cell("b", 300, 10), cell("a", 10, 12), cell("c", 10, 60)]
    assert layout.rows_of(lines) == [[1, 0], [2]]


def test_every_cell_under_an_identifier_header_takes_its_category():
    got = found(patient_list(ROWS))
    for mrn, name, _, _, date in ROWS:
        assert (mrn, "mrn") in got
        assert (name, "name") in got  # demo names no dictionary knows, lower case too
        assert (date, "date") in got


def test_cells_of_other_columns_stay_unflagged():
    texts = {t for t, _ in found(patient_list(ROWS))}
    assert not texts & {"M", "F", "34", "21", "40", "9"}  # sex and ages under 90 are not identifiers


def test_table_ends_at_a_large_gap():
    lines = patient_list(ROWS[:2])
    lines.append(cell("Alag Slag", 470, 100 + 49 * 2 + 400))  # far below: another part of the page
    tables = layout.find_tables(lines)
    assert len(tables) == 1
    assert all(lines[i].box[1] < 300 for i, _ in tables[0].cells)


def test_placeholders_and_pagers_are_not_values():
    lines = patient_list([("Search", "Enter Name", "", "", "")])
    lines.append(cell("1 of 1 page", 170, 100 + 2 * 49))
    assert found(lines) == set()


def test_a_row_without_an_identifier_header_is_no_table():
    lines = [cell("Test Name", 100, 100), cell("Result", 400, 100), cell("Units", 600, 100),
             cell("Hemoglobin", 100, 150), cell("13.8", 400, 150), cell("g/dL", 600, 150)]
    assert layout.find_tables(lines) == []


def test_numeric_columns_need_a_digit():
    lines = patient_list([("None", "Jo Bloggs", "", "", "Never")])
    got = found(lines)
    assert ("Jo Bloggs", "name") in got
    assert not any(t in ("None", "Never") for t, _ in got)


def test_stacked_patient_info_column():
    lines = [cell("Sample Info", 150, 536), cell("Test Date", 430, 536), cell("Result", 700, 536),
             cell("24-TST-000-006-1", 200, 592), cell("Tester, Test", 200, 613), cell("35658646748, M,", 200, 632),
             cell("04/04/1984", 200, 651), cell("16/06/2025", 430, 621), cell("99.0", 700, 621)]
    got = found(lines)
    for t in ("24-TST-000-006-1", "Tester, Test", "35658646748, M,", "04/04/1984"):
        assert any(text == t or text in t for text, _ in got), t
    assert ("16/06/2025", "date") in got
    assert not any(text == "99.0" for text, _ in got)


def test_second_header_row_starts_a_new_table():
    lines = patient_list(ROWS[:3])  # rows at 149, 198, 247; a section 2 rows further down
    lines += [cell("Test Name", 170, 345), cell("Result", 470, 345), cell("Hemoglobin", 170, 394),
              cell("Platelets", 470, 394)]
    got = found(lines)
    assert ("Alag Slag", "name") in got
    assert not any(t in ("Hemoglobin", "Platelets") for t, _ in got)
