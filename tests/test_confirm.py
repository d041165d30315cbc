"""scanner.confirm: screen and band regions are kept only where the OCR detector saw text."""
from scanner.confirm import confirm_regions, is_text_region
from scanner.findings import Finding


def screen(box, context="monitor"):
    return Finding(kind="screen", category="screen", box=box, confidence=0.8, context=context, detector="screens")


def band(box, context="wristband"):
    return Finding(kind="text", category="identifier", box=box, confidence=0.85, context=context,
                   detector="wristbands")


def test_a_screen_holding_a_text_line_stays_and_one_holding_none_goes():
    kept, fur = screen((0, 0, 400, 300)), screen((500, 0, 700, 200))
    out = confirm_regions([kept, fur], [(20, 20, 200, 40)])
    assert out == [kept]


def test_an_unread_line_counts_as_text_a_line_mostly_outside_does_not():
    region = screen((100, 100, 300, 200))
    assert confirm_regions([region], [(120, 150, 180, 160)]) == [region]  # inside (read or not: a box is a box)
    assert confirm_regions([region], [(250, 150, 450, 160)]) == []  # three quarters outside


def test_band_and_label_regions_need_text_or_a_decoded_barcode():
    bonnet, label = band((0, 0, 100, 400)), band((500, 0, 600, 200), context="label")
    code = Finding(kind="text", category="barcode", box=(510, 20, 590, 60), confidence=0.95, detector="wristbands")
    out = confirm_regions([bonnet, label, code], [])
    assert out == [label, code]


def test_findings_that_are_not_text_regions_are_never_dropped():
    face = Finding(kind="face", category="face", box=(0, 0, 50, 50), confidence=0.9, detector="faces")
    name = Finding(kind="text", category="name", box=(0, 0, 50, 10), confidence=0.9, context="wristband",
                   detector="text")
    tattoo = Finding(kind="tattoo", category="tattoo", box=(0, 0, 50, 50), confidence=0.6, detector="tattoos")
    assert not any(is_text_region(f) for f in (face, name, tattoo))
    assert confirm_regions([face, name, tattoo], []) == [face, name, tattoo]
