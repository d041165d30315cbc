"""What a scan is asked to do: the options and their allowed values, with no heavy imports, so the command line
can parse and print help without loading NumPy, OpenCV or any model."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

OCR_ENGINES = ("rapid", "easyocr", "all")
STYLES = ("fill", "pixelate", "blur")


@dataclass(frozen=True)
class ScanOptions:
    ocr: str = "rapid"  # rapid | easyocr | all
    style: str = "fill"  # fill | pixelate | blur (redact only)
    include_text: bool = False  # unmasked text in the findings file
    allow_faces: Optional[str] = None  # folder of photos of people who may stay visible
    keep_metadata: bool = False
    strip_audio: bool = False  # video: drop the audio track from the redacted copy
    policy_file: Optional[str] = None
    redact_screens: bool = False  # redact whole screens/whiteboards, not only the text read in them
    skip: tuple[str, ...] = ()  # detector names to leave out (see scanner.detectors.REGISTRY)

    def settings(self) -> dict:
        return {k: v for k, v in asdict(self).items()}
