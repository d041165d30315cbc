import json

from hypothesis import given, strategies as st

from scanner.findings import (Finding, FrameHit, ScanResult, SourceInfo, decide_verdict, mask_text,
                              number_findings, safe_harbor_of)


def _f(**kw):
    base = dict(kind="text", category="name", box=(10, 20, 110, 40), confidence=0.91)
    base.update(kw)
    return Finding(**base)


def test_mask_keeps_first_letter_of_each_word():
    assert mask_text("Sarah Jones") == "S**** J****"
    assert mask_text("MRN 00482913") == "M** 0*******"
    assert mask_text("J. Smith") == "*. S****"


@given(st.text())
def test_mask_never_reveals_more_than_first_characters(s):
    masked = mask_text(s)
    assert len(masked) == len(s)
    import re
    for m in re.finditer(r"[A-Za-z0-9]+", s):
        word = masked[m.start():m.end()]
        assert word[1:] == "*" * (len(word) - 1)


def test_safe_harbor_letters():
    assert safe_harbor_of("name") == "A"
    assert safe_harbor_of("mrn") == "H"
    assert safe_harbor_of("dob") == "C"
    assert safe_harbor_of("plate") == "L"
    assert safe_harbor_of("face") == "Q"
    assert safe_harbor_of("room") == "R"
    assert safe_harbor_of("something-new") == "R"


def test_finding_json_masks_text_by_default():
    d = _f(text="Sarah Jones", context="monitor").to_json()
    assert d["text"] == "S**** J****"
    assert d["safe_harbor"] == "A" and d["context"] == "monitor"
    assert d["box"] == [10, 20, 110, 40]
    assert "frames" not in d
    assert _f(text="Sarah Jones").to_json(include_text=True)["text"] == "Sarah Jones"


def test_finding_json_frames_for_video():
    f = _f(frames=[FrameHit(12, 0.4, (1, 2, 3, 4))])
    assert f.to_json()["frames"] == [{"index": 12, "time": 0.4, "box": [1, 2, 3, 4]}]


def test_verdicts_fail_closed():
    assert decide_verdict([], fully_scanned=True) == "clear"
    assert decide_verdict([], fully_scanned=False) == "error"
    assert decide_verdict([_f()], fully_scanned=True) == "review"
    assert decide_verdict([_f(action="flag")], fully_scanned=True) == "review"
    assert decide_verdict([_f(action="allow")], fully_scanned=True) == "clear"


def test_scan_result_contract_keys_and_exit_codes():
    src = SourceInfo(path="ward/selfie.jpg", sha256="ab" * 32, kind="image", width=640, height=480)
    r = ScanResult(source=src, findings=[_f(id="f1", text="Sarah Jones")], verdict="review",
                   timings={"total_s": 1.23456})
    d = json.loads(json.dumps(r.to_json()))
    assert d["schema"] == 1
    assert set(d) >= {"schema", "source", "verdict", "findings", "outputs", "warnings", "timings"}
    assert set(d["source"]) == {"path", "sha256", "kind", "width", "height", "fps", "frames", "duration"}
    f = d["findings"][0]
    assert set(f) >= {"id", "kind", "category", "safe_harbor", "context", "text", "confidence", "severity",
                      "action", "box"}
    assert d["timings"]["total_s"] == 1.235
    assert d["tool"]["name"] == "scanner"
    assert r.exit_code == 1
    r.verdict = "clear"
    assert r.exit_code == 0
    r.verdict = "error"
    assert r.exit_code == 2


def test_number_findings_in_reading_order():
    fs = number_findings([_f(box=(0, 100, 10, 110)), _f(box=(50, 0, 60, 10)), _f(box=(0, 0, 10, 10))])
    assert [f.id for f in fs] == ["f1", "f2", "f3"]
    assert [f.box for f in fs] == [(0, 0, 10, 10), (50, 0, 60, 10), (0, 100, 10, 110)]


def test_drop_duplicates_keeps_the_covering_finding_of_equal_or_stronger_action():
    from scanner.findings import drop_duplicates
    big = _f(box=(0, 0, 100, 40), action="redact")
    inner = _f(box=(10, 5, 90, 35), action="redact")
    other_cat = _f(box=(10, 5, 90, 35), category="mrn")
    assert drop_duplicates([inner, big, other_cat]) == [big, other_cat]


def test_drop_duplicates_never_drops_a_redaction_for_a_flag():
    from scanner.findings import drop_duplicates
    flagged = _f(box=(0, 0, 100, 40), action="flag")
    redacted = _f(box=(10, 5, 90, 35), action="redact")
    assert drop_duplicates([flagged, redacted]) == [flagged, redacted]
    assert drop_duplicates([_f(), _f()]) == [_f()]  # exact duplicates collapse to one


def test_findings_reader_error_for_an_odd_key_stays_one_line():
    """A key holding a newline (found by the fuzz test) is quoted in the error's path, not printed raw."""
    import pytest

    from scanner.findings_reader import FindingsError, load_findings

    res = ScanResult(source=SourceInfo(path="a.png", sha256="0" * 64, kind="image", width=10, height=10))
    doc = res.to_json()
    doc["timings"] = {"total_s\nextra": None}
    with pytest.raises(FindingsError) as e:
        load_findings(doc)
    assert "\n" not in str(e.value) and '"total_s\\nextra"' in str(e.value)
