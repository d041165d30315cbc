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


# ------------------------------------------------------------------- headers and cells as real tables draw them
def test_plural_and_registry_id_headers():
    assert layout.header_category("Given Name(s)") == "name"
    assert layout.header_category("Phone numbers") == "phone"
    assert layout.header_category("CRUID") == "mrn"
    assert layout.header_category("Record ID") == "mrn"
    assert layout.header_category("Internal ID") == "mrn"
    assert layout.header_category("Fluid") is None


def test_cells_left_of_a_shifted_header_belong_to_it():
    """KHEOPS study list: values start ~35 px left of their headers (sort icons, padding)."""
    lines = [cell("< >", 229, 420, w=20), cell("Patient Name", 253, 420, w=133), cell("Patient ID", 523, 420, w=102),
             cell("Study Date", 1222, 420, w=112)]  # boxes as RapidOCR read them on kheops__inbox.png
    lines += [cell("CARDIX", 216, 486, w=85), cell("222111", 487, 486, w=79), cell("Jul 29th 2008", 1185, 486, w=131),
              cell("COLONIX", 218, 535, w=98), cell("123123", 488, 535, w=78), cell("Jul 1st 2008", 1182, 535, w=118)]
    got = found(lines)
    assert {("CARDIX", "name"), ("COLONIX", "name"), ("222111", "mrn"), ("123123", "mrn")} <= got


def test_a_header_shares_its_row_with_a_form_beside_it():
    """A form panel left ("Phone: | 712 300 5555"), a table right: the table's header is the run of header cells."""
    lines = [cell("Phone:", 60, 100), cell("712 300 5555", 410, 100), cell("Surname", 900, 100),
             cell("Given Name", 1100, 100), cell("Gender", 1300, 100)]
    lines += [cell("Internal ID:", 60, 150), cell("chanel", 900, 150), cell("coco", 1100, 150),
              cell("female", 1300, 150)]
    got = found(lines)
    assert ("chanel", "name") in got and ("coco", "name") in got
    assert not any(t == "female" for t, _ in got)


def test_cells_wrapped_over_lines_are_one_value():
    """OpenCR's matched-records table: narrow columns wrap "Rec-Jk1-Org" over three lines and the birth date over
    two; the one-line cells of the row sit centred on the stacks. Two-line headers ("Record" / "ID") too."""
    lines = [cell("Record", 1037, 182, w=69, h=28), cell("ID", 1035, 205, w=33, h=29),
             cell("Surname", 1134, 195, w=81, h=27), cell("Birth", 1495, 172, w=49, h=26),
             cell("Date", 1492, 193, w=51, h=30),
             cell("Rec-", 1036, 245, w=55, h=30), cell("Jk1-", 1036, 272, w=52, h=30), cell("Org", 1036, 299, w=49, h=35),
             cell("Chanel", 1132, 270, w=75, h=34), cell("1970-", 1493, 258, w=61, h=29),
             cell("12-07", 1494, 287, w=61, h=29)]
    joined = {l.text: l.box for l in layout.join_wrapped_cells(lines)}
    assert "Rec-Jk1-Org" in joined and "1970-12-07" in joined and "Record ID" in joined
    assert joined["Rec-Jk1-Org"] == (1036, 245, 1091, 334)
    got = found(lines)
    assert {("Rec-Jk1-Org", "mrn"), ("1970-12-07", "dob"), ("Chanel", "name")} <= got


def test_tight_one_line_rows_and_stacked_facts_are_not_joined():
    """Rows of a compact list sit level with their neighbours (no centred witness); a stacked patient cell holds
    whole facts (digits, commas) line by line."""
    rows = [cell("Smith", 100, 100 + 22 * k, w=55) for k in range(4)] + \
           [cell("ward", 300, 100 + 22 * k, w=45) for k in range(4)]
    assert len(layout.join_wrapped_cells(rows)) == len(rows)
    info = [cell("24-TST-000-006-1", 200, 592), cell("Tester, Test", 200, 613), cell("16/06/2025", 430, 602)]
    assert len(layout.join_wrapped_cells(info)) == len(info)


def test_codes_in_a_headerless_column_of_identifiers_are_identifiers():
    """KHEOPS study list scrolled under its toolbar: no header, IDs in one left-aligned column; some are ID-shaped
    alone ("TEST2351267", "F063TE"), the rest are codes like them ("Vafm7b0J", "FrxHK8")."""
    ids = ["Vafm7b0J", "TEST2351267", "F063TE", "FrxHK8", "BrzEdv0"]
    lines = [cell(v, 432, 75 + 52 * k, h=27) for k, v in enumerate(ids)]
    lines += [cell(w, 121, 75 + 52 * k, h=27) for k, w in enumerate(["PELVIX", "Test^Fluro", "MAGIX", "MECANIX",
                                                                    "MACOESSIX"])]
    got = found(lines)
    assert all((v, "identifier") in got for v in ids)
    assert not any(t in ("PELVIX", "MAGIX") and c == "identifier" for t, c in got)


def test_a_column_of_words_or_of_few_codes_spreads_nothing():
    lines = [cell(v, 100, 100 + 40 * k) for k, v in enumerate(["Settings", "v2", "Profile", "Logout", "Help"])]
    lines += [cell(v, 400, 100 + 40 * k) for k, v in enumerate(["ABC12345", "a1b2", "x9y8", "Z7Z7", "Q1Q1"])]
    got = found(lines)
    assert not any(t in ("a1b2", "x9y8", "Z7Z7", "Q1Q1") for t, _ in got)  # one found identifier vouches for none


def test_a_name_over_its_task_is_two_facts():
    """CHT task list: "Beatrice Bass" over "ANC Visit", the due day "Today" centred beside them."""
    lines = [cell("Beatrice Bass", 430, 139, w=123, h=25), cell("ANC Visit", 430, 163, w=82, h=27),
             cell("Today", 652, 141, w=53, h=25)]
    assert len(layout.join_wrapped_cells(lines)) == 3
    assert ("Beatrice Bass", "name") in found(lines)


def test_letter_codes_under_an_id_header_are_ids_and_words_are_not():
    """DICOM sample patient IDs ("SCSARAB") and demo IDs ("XsxuId") have no digit; "None" or "Pending" are words."""
    lines = [cell("Patient Name", 100, 50), cell("ID", 400, 50), cell("Date of Birth", 600, 50)]
    for k, (name, pid) in enumerate([("Vix", "SCSARAB"), ("Cardix", "XsxuId"), ("Magix", "Pending"),
                                     ("Phenix", "None")]):
        lines += [cell(name, 100, 90 + 40 * k), cell(pid, 400, 90 + 40 * k), cell("01.01.91", 600, 90 + 40 * k)]
    got = found(lines)
    assert ("SCSARAB", "mrn") in got and ("XsxuId", "mrn") in got
    assert not any(t in ("Pending", "None") for t, _ in got)
