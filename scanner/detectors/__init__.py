"""Detector plug-ins. Each module here exposes `make(options, policy) -> Detector`; a new detector is a new file
plus one line in REGISTRY.

Order matters: detectors run in this order on each frame and each sees what the earlier ones found (`prior`), so
region finders (screens, whiteboards, wristbands) come before the text detector that judges text in their context.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .base import Detector, Frame

if TYPE_CHECKING:  # pragma: no cover
    from ..options import ScanOptions
    from ..policy import Policy

# (name used by ScanOptions.skip, module)
REGISTRY: list[tuple[str, str]] = [
    ("screens", "scanner.detectors.screens"),
    ("wristbands", "scanner.detectors.wristbands"),
    ("text", "scanner.detectors.text"),
    ("plates", "scanner.detectors.plates"),
    ("faces", "scanner.detectors.faces"),
    ("reflections", "scanner.detectors.reflections"),
    ("tattoos", "scanner.detectors.tattoos"),
]


def build_detectors(options: "ScanOptions", policy: "Policy") -> list[Detector]:
    unknown = set(options.skip) - {name for name, _ in REGISTRY}
    if unknown:
        raise ValueError(f"unknown detector(s) to skip: {', '.join(sorted(unknown))}")
    return [importlib.import_module(module).make(options, policy)
            for name, module in REGISTRY if name not in options.skip]


__all__ = ["REGISTRY", "build_detectors", "Detector", "Frame"]
