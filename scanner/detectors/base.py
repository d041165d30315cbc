"""The one small protocol every detector implements; a new detector is a new file in this folder."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol, Sequence

import numpy as np

from ..findings import Finding
from ..framekind import frame_kind, imaging_regions
from ..reuse import Change


@dataclass
class Frame:
    """One picture to analyse: a photo, or one frame of a video."""

    rgb: np.ndarray  # H x W x 3 uint8, upright
    index: int = 0
    time: float = 0.0
    video: bool = False  # one frame of a video: text cut by its edge is coming into or out of view

    @cached_property
    def kind(self) -> str:
        """'screenshot' (software drawn, no camera) or 'photo'; see scanner.framekind."""
        return frame_kind(self.rgb)

    @cached_property
    def imaging(self) -> list[tuple[int, int, int, int]]:
        """Boxes of medical images (CT, MR, X-ray) in the frame; see scanner.framekind."""
        return imaging_regions(self.rgb)

    @property
    def size(self) -> tuple[int, int]:
        h, w = self.rgb.shape[:2]
        return w, h


class Detector(Protocol):
    name: str

    def detect(self, frame: Frame, prior: Sequence[Finding]) -> list[Finding]:
        """Findings in `frame`. `prior` holds what detectors that ran earlier found in the same frame, so a
        detector can use context (text inside a monitor region is judged as monitor text)."""
        ...


class ReusingDetector(Detector, Protocol):
    """A detector that can look again at only the changed regions of a video frame (scanner.reuse)."""

    reusable: bool  # False: this instance cannot (its engine or settings do not allow it)

    def memo(self) -> Any:
        """What the last `detect` or `detect_changed` saw, for a later frame's `Change.memo[name]`."""
        ...

    def detect_changed(self, frame: Frame, prior: Sequence[Finding], change: Change) -> list[Finding]:
        """The findings `detect` would give, looking only at `change.regions` and taking over the rest from
        `change.memo[name]` moved by `change.affine`."""
        ...
