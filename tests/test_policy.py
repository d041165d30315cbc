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


def _weak(context, kind="text", detector="text"):
    return Finding(kind=kind, category="name", box=(0, 0, 10, 10), confidence=0.3, severity="low", context=context,
                   detector=detector)


@pytest.mark.parametrize("context", ["screen", "monitor", "whiteboard", "wristband", "label", "document", "imaging"])
def test_weak_text_in_a_clinical_context_is_redacted_when_redacting(context):
    pol = Policy()
    assert pol.action_for(_weak(context)) == "flag"  # scan: a person decides
    assert pol.action_for(_weak(context), redacting=True) == "redact"  # redact: the copy gets published


@pytest.mark.parametrize("context", [None, "reflection", "plate"])
def test_weak_text_elsewhere_stays_flagged_when_redacting(context):
    assert Policy().action_for(_weak(context), redacting=True) == "flag"


def test_fail_closed_is_for_text_only_and_respects_configured_actions():
    pol = Policy.from_dict({"actions": {"name": "flag"}})
    assert pol.action_for(_weak("screen"), redacting=True) == "flag"  # the policy file said flag
    assert Policy().action_for(_weak("screen", kind="tattoo"), redacting=True) == "flag"
    assert Policy().action_for(_weak("label", detector="wristbands"), redacting=True) == "flag"  # a sign card
