"""scanner: find and redact patient identifiers in photos and videos before they are posted."""
from __future__ import annotations

__version__ = "0.1.0"

from .api import ScanOptions, redact, scan  # noqa: E402
from .batch import BatchResult, scan_folder  # noqa: E402
from .findings import Finding, ScanResult, SourceInfo  # noqa: E402

__all__ = ["scan", "redact", "scan_folder", "BatchResult", "ScanOptions", "Finding", "ScanResult", "SourceInfo", "__version__"]
