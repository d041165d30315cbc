"""Text detector: OCR every line, then let the PHI classifier decide which lines identify a patient."""
from __future__ import annotations

from dataclasses import replace
from typing import Optional, Sequence

from .. import geometry, reuse
from ..findings import Finding
from ..text.ocr import OcrEngine, TextLine, get_engine
from ..text import PhiMatch, classify_lines, table_matches, warm
from ..text.patterns import ATTACHED_REASONS
from .base import Frame


def context_of(box, prior: Sequence[Finding]) -> Optional[str]:
    """The context (monitor, whiteboard, wristband, label …) of the region a text box mostly sits in; of regions
    nested in one another (a band held up in front of a board), the innermost: the most specific one."""
    regions = [f for f in prior if f.context and (f.kind == "screen" or f.detector == "wristbands")
               and geometry.coverage(box, f.box) > 0.5]
    return min(regions, key=lambda f: geometry.area(f.box)).context if regions else None


# Identifiers only through the person they belong to: an IP address or a URL on a screen that shows no one (an
# analyser's LAN address, the app's own address bar) is no one's. Dates stay: a personal health record shows the
# patient's own dates with no name on the page.
ATTACHED_CATEGORIES = frozenset({"ip", "url"})


def _attached_only(f: Finding) -> bool:
    """An IP, a URL, a record UUID or a DICOM UID: a patient's only through the person the screen shows."""
    return f.category in ATTACHED_CATEGORIES or (f.note or "").startswith(ATTACHED_REASONS)


def without_unattached(findings: list[Finding]) -> list[Finding]:
    """A screenshot's findings, less IPs / URLs / record UUIDs when nothing else on it identifies a person."""
    if any(not _attached_only(f) for f in findings):
        return findings
    return []


UNREAD_CONTEXTS = frozenset({"imaging", "monitor", "whiteboard", "wristband", "label"})
UNREAD_MIN_PX = 5  # a detected "line" lower than this is a rule or a speck, not text
EDGE_TOL = 2  # px: a line this close to the frame's edge is cut by it
EDGE_DIGITS = 1  # a digit in a cut line: it may be the visible end of a date, an ID, a phone number
LINE_PAD = 6  # px: a region read again takes in earlier lines this close to it (a line cut at a crop edge is lost)


class TextDetector:
    name = "text"

    def __init__(self, engine: OcrEngine | str = "rapid", deny_terms: Sequence[str] = ()):
        self.engine = get_engine(engine) if isinstance(engine, str) else engine
        self.deny_terms = [t.lower() for t in deny_terms if t.strip()]
        self.last_lines: list[TextLine] = []  # kept for reports and the benchmark (what was read at all)
        self.last_unread: list = []  # boxes of the lines found in the last frame that could not be read
        self.last_boxes: list = []  # every text line the OCR detector found in the last frame, read or not

    def detect(self, frame: Frame, prior: Sequence[Finding]) -> list[Finding]:
        reader = getattr(self.engine, "read_with_unread", None)
        lines, unread = reader(frame.rgb) if reader else (self.engine.read(frame.rgb), [])
        return self._judge(frame, lines, list(unread), prior)

    @property
    def reusable(self) -> bool:
        """Whether the engine can read one region at a whole frame's resolution (RapidOCR can)."""
        return hasattr(self.engine, "read_region")

    def memo(self):
        """What the last frame's reading left for the next frame's `detect_changed`: its lines and unread boxes."""
        return self.last_lines, self.last_unread

    def detect_changed(self, frame: Frame, prior: Sequence[Finding], change: reuse.Change) -> list[Finding]:
        """`detect` for a video frame that differs from the reference only in `change.regions`: those regions
        (grown over every earlier line they touch) are read again, the reference's other lines are taken over
        where the camera moved them, and the whole set is judged together, as `detect` would: a cell read again
        still takes its column's header from a line taken over."""
        before_lines, before_unread = change.memo[self.name]
        w, h = frame.size
        regions = reuse.regions_to_look_at(change, [ln.box for ln in before_lines] + before_unread, LINE_PAD, w, h)
        kept_lines = reuse.carry(before_lines, lambda ln: ln.box, change.affine, regions, w, h)
        kept_unread = reuse.carry(before_unread, lambda b: b, change.affine, regions, w, h)
        scale = self.engine.detection_scale(w, h)
        lines, unread = [], []
        for region in regions:
            got, missed = self.engine.read_region(frame.rgb, region, scale)
            lines += got
            unread += missed
        for line, box in kept_lines:
            quad = reuse.warp_points(line.quad, change.affine) if line.quad else None
            lines.append(replace(line, box=box, quad=quad))
        unread += [box for _, box in kept_unread]
        return self._judge(frame, lines, unread, prior)

    def _judge(self, frame: Frame, lines: list[TextLine], unread: list, prior: Sequence[Finding]) -> list[Finding]:
        """The findings among the lines read (and the unread ink) of one frame."""
        self.last_lines, self.last_unread = lines, unread
        self.last_boxes = [ln.box for ln in lines] + list(unread)
        findings: list[Finding] = []
        # Classify lines grouped by the region they sit in, so labels link only to values in the same region.
        groups: dict[Optional[str], list[int]] = {}
        # A screenshot is the screen itself: text in no found region is screen text (see scanner.framekind).
        # Text over a medical image is an overlay, the most specific context of all.
        whole = "screen" if frame.kind == "screenshot" else None
        imaging = frame.imaging if lines else []
        for i, line in enumerate(lines):
            over = any(geometry.coverage(line.box, r) > 0.5 for r in imaging)
            groups.setdefault("imaging" if over else context_of(line.box, prior) or whole, []).append(i)
        for context, idxs in groups.items():
            sub = [lines[i] for i in idxs]
            findings.extend(self._finding(m, context) for m in classify_lines(sub, context=context))
        if len(groups) > 1:  # a board split across regions (or half inside a found screen) is still one table
            self._merge_table_cells(lines, findings, prior)
        findings.extend(self._deny_term_hits(lines, findings, prior))
        if frame.video:
            findings.extend(self._cut_by_the_edge(lines, findings, frame, prior))
        findings.extend(self._unread_ink(unread, lines, frame, prior))
        if frame.kind == "screenshot":
            findings = without_unattached(findings)
        return findings

    def _cut_by_the_edge(self, lines: Sequence[TextLine], found: Sequence[Finding], frame: Frame,
                         prior: Sequence[Finding]) -> list[Finding]:
        """Video: a line cut by the frame's edge holding a digit may be the visible end of a value
        sliding into or out of view ("4/1957" of a date of birth whose label is still off screen). Nothing can
        judge it from what is visible, so it is redacted (its track then follows it, see tracking.still_there)."""
        w, h = frame.size
        out = []
        for line in lines:
            x0, y0, x1, y1 = line.box
            if not (x0 <= EDGE_TOL or y0 <= EDGE_TOL or x1 >= w - EDGE_TOL or y1 >= h - EDGE_TOL):
                continue
            if sum(c.isdigit() for c in line.text) < EDGE_DIGITS:
                continue
            if any(geometry.coverage(line.box, f.box) >= 0.5 for f in found):
                continue
            out.append(Finding(kind="text", category="identifier", box=line.box, confidence=0.7, severity="medium",
                               context=context_of(line.box, prior), text=line.text, detector=self.name,
                               note="digits cut by the frame edge (video): part of a value coming into view"))
        return out

    def _unread_ink(self, unread: Sequence, lines: Sequence[TextLine], frame: Frame,
                    prior: Sequence[Finding]) -> list[Finding]:
        """Text lines the detector saw and the recogniser could not read, over a medical image or on a photographed
        monitor, board, band or label: likely a patient's small print, so a finding (redacted when redacting).
        Not on screenshots, whose text is sharp: what is unread there is icons and logos."""
        out = []
        for box in unread:
            if geometry.height(box) < UNREAD_MIN_PX or any(geometry.coverage(box, l.box) > 0.5 for l in lines):
                continue
            ctx = "imaging" if any(geometry.coverage(box, r) > 0.5 for r in frame.imaging) else context_of(box, prior)
            if ctx in UNREAD_CONTEXTS:
                out.append(Finding(kind="text", category="identifier", box=tuple(int(v) for v in box),
                                   confidence=0.3, severity="low", context=ctx, detector=self.name,
                                   note="text the reader could not read, in a clinical context"))
        return out

    def _finding(self, m: PhiMatch, context: Optional[str]) -> Finding:
        return Finding(kind="text", category=m.category, box=m.box, confidence=m.confidence, severity=m.severity,
                       context=context, text=m.text, detector=self.name, note=m.reason)

    def _merge_table_cells(self, lines: Sequence[TextLine], findings: list[Finding],
                           prior: Sequence[Finding]) -> None:
        """Tracker-table cells found across all lines: raise a weaker finding of the same cell, or add one."""
        for m in table_matches(lines):
            same = [f for f in findings if f.box == m.box and f.category == m.category]
            if same:
                for f in same:
                    if f.confidence < m.confidence:
                        f.confidence, f.severity, f.note = m.confidence, m.severity, f"{f.note}; {m.reason}"
                continue
            findings.append(self._finding(m, context_of(m.box, prior)))

    def _deny_term_hits(self, lines: Sequence[TextLine], found: Sequence[Finding],
                        prior: Sequence[Finding]) -> list[Finding]:
        """Lines holding a policy deny term (a patient known to be in the shoot) that the classifier let pass:
        "Welcome Garcia family" is not PHI by any rule, but it is when Garcia is the patient."""
        hits = []
        for line in lines:
            low = line.text.lower()
            if not any(t in low for t in self.deny_terms):
                continue
            if any(geometry.coverage(line.box, f.box) >= 0.9 or (geometry.coverage(f.box, line.box) >= 0.9 and
                   any(t in (f.text or "").lower() for t in self.deny_terms)) for f in found):
                continue  # already a finding (of the line, or of the term's part of it): the policy redacts it
            hits.append(Finding(kind="text", category="identifier", box=line.box, confidence=line.confidence,
                                severity="high", context=context_of(line.box, prior), text=line.text,
                                detector=self.name, note="contains a policy deny term"))
        return hits


def make(options, policy) -> TextDetector:
    warm()  # name and word lists load with the models, not inside the first file's timing
    return TextDetector(options.ocr, deny_terms=policy.deny_terms)
