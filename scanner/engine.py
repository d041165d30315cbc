"""The analysis engine: the loaded detectors and the policy for one set of options, and `analyse(frame)`.

Below the file paths that use it: the image path (scanner.api), video and animations (scanner.video), and any
later one (DICOM) hand it frames and get findings back. Nothing here knows about files, outputs or the API.
"""
from __future__ import annotations

import time
from typing import Any, Optional

from .confirm import confirm_regions
from .detectors import build_detectors
from .detectors.base import Detector, Frame
from .findings import Box, Finding, drop_duplicates
from .options import ScanOptions
from .policy import Policy
from .reuse import Change


class Engine:
    """Detectors and policy for one set of options; models load in the constructor, once."""

    def __init__(self, options: ScanOptions = ScanOptions()):
        self.options = options
        self.policy = Policy.from_file(options.policy_file) if options.policy_file else Policy()
        self.policy.redact_screens = self.policy.redact_screens or options.redact_screens
        self.detectors: list[Detector] = build_detectors(options, self.policy)

    @property
    def style(self) -> str:
        return self.policy.style or self.options.style

    def analyse(self, frame: Frame, timings: Optional[dict] = None, redacting: bool = False,
                change: Optional[Change] = None) -> list[Finding]:
        """Run every detector on one frame (each sees what earlier ones found), then apply the policy (which
        fails closed in clinical contexts when `redacting`). With `change` (a video frame that differs from the
        last one analysed only in places, scanner.reuse), detectors that can look only at the changed regions
        and take the rest over do so; the others look at the whole frame."""
        found: list[Finding] = []
        for det in self.detectors:
            t = time.perf_counter()
            if change is not None and det.name in change.memo:
                found.extend(det.detect_changed(frame, found, change))
            else:
                found.extend(det.detect(frame, found))
            if timings is not None:
                timings[f"{det.name}_s"] = timings.get(f"{det.name}_s", 0.0) + time.perf_counter() - t
        # Screen and band regions with no text the OCR detector saw are fur, grass, cloth (scanner.confirm) — unless
        # the user asked for whole screens redacted, or the text detector did not run (nothing to confirm with).
        text = self._text_detector()
        if text is not None and not self.policy.redact_screens:
            found = confirm_regions(found, text.last_boxes)
        return drop_duplicates(self.policy.apply(found, redacting))

    def text_seen(self) -> list[tuple[Box, Optional[str]]]:
        """Every text line the last `analyse` saw: (box, reading), reading None where it could not be read."""
        text = self._text_detector()
        if text is None:
            return []
        return [(ln.box, ln.text) for ln in text.last_lines] + [(b, None) for b in text.last_unread]

    def _text_detector(self):
        return next((d for d in self.detectors if d.name == "text"), None)

    def memo(self) -> dict[str, Any]:
        """What the last `analyse` left for a later frame's `Change`, per detector that can take it."""
        return {d.name: d.memo() for d in self.detectors if getattr(d, "reusable", False)}
