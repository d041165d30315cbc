import pytest

from scanner.findings import Finding
from scanner.policy import Policy, PolicyError


def _f(category="name", confidence=0.9, text="Maria Garcia", kind="text", action="redact"):
    return Finding(kind=kind, category=category, box=(0, 0, 10, 10), confidence=confidence, text=text,
                   action=action)


def test_default_redacts_confident_findings_and_flags_unsure_ones():
    p = Policy()
    assert p.action_for(_f(confidence=0.9)) == "redact"
    assert p.action_for(_f(confidence=0.3)) == "flag"
    assert p.action_for(_f(confidence=0.05)) == "ignore"


def test_per_category_action_and_threshold():
    p = Policy.from_dict({"actions": {"room": "flag", "face": "ignore"}, "thresholds": {"name": 0.95}})
    assert p.action_for(_f(category="room")) == "flag"
    assert p.action_for(_f(category="face", kind="face", text=None)) == "ignore"
    assert p.action_for(_f(confidence=0.9)) == "flag"


def test_allow_terms_only_when_every_word_is_allowed():
    p = Policy.from_dict({"allow_terms": ["St Mary's Hospital"]})
    assert p.action_for(_f(text="ST MARY'S HOSPITAL")) == "allow"
    assert p.action_for(_f(text="St Mary's Hospital - Jane Doe")) == "redact"


def test_deny_terms_always_redacted():
    p = Policy.from_dict({"deny_terms": ["Garcia"], "min_confidence": 0.99})
    assert p.action_for(_f(confidence=0.2, text="M. GARCIA")) == "redact"


def test_allowed_face_stays_allowed():
    assert Policy().action_for(_f(kind="face", category="face", text=None, action="allow")) == "allow"


def test_apply_drops_ignored():
    p = Policy.from_dict({"actions": {"room": "ignore"}})
    out = p.apply([_f(category="room"), _f()])
    assert [f.category for f in out] == ["name"]


@pytest.mark.parametrize("data, key", [
    ({"colour": "red"}, "colour"),
    ({"actions": {"nmae": "redact"}}, "actions.nmae"),
    ({"actions": {"name": "delete"}}, "actions.name"),
    ({"min_confidence": 2}, "min_confidence"),
    ({"thresholds": {"name": "high"}}, "thresholds.name"),
    ({"allow_terms": "St Mary"}, "allow_terms"),
    ({"style": "smudge"}, "style"),
])
def test_invalid_policy_names_the_key(data, key):
    with pytest.raises(PolicyError, match=key.replace(".", r"\.")):
        Policy.from_dict(data)


def test_policy_file(tmp_path):
    f = tmp_path / "scanner.toml"
    f.write_text('min_confidence = 0.7\nstyle = "pixelate"\n[actions]\nroom = "flag"\n')
    p = Policy.from_file(f)
    assert p.min_confidence == 0.7 and p.style == "pixelate" and p.actions == {"room": "flag"}
    bad = tmp_path / "bad.toml"
    bad.write_text("min_confidence = = 1")
    with pytest.raises(PolicyError, match="bad.toml"):
        Policy.from_file(bad)
    with pytest.raises(PolicyError, match="not found"):
        Policy.from_file(tmp_path / "missing.toml")


def test_faces_the_detector_kept_are_redacted_by_default_but_policy_can_raise_the_bar():
    small_face = _f(category="face", kind="face", text=None, confidence=0.42)
    assert Policy().action_for(small_face) == "redact"
    assert Policy.from_dict({"thresholds": {"face": 0.6}}).action_for(small_face) == "flag"
    assert Policy().action_for(_f(confidence=0.42)) == "flag"  # other categories keep min_confidence
