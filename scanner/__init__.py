"""scanner: find and redact patient identifiers in photos and videos before they are posted.

The public names load on first use (PEP 562), so `import scanner` and `scanner --help` do not pay for NumPy,
OpenCV and the detectors until a scan needs them.
"""
from __future__ import annotations

import importlib
import sys
import types

__version__ = "0.1.0"

_PUBLIC = {"scan": "api", "redact": "api", "apply": "api", "ScanOptions": "options", "scan_folder": "batch",
           "BatchResult": "batch", "Finding": "findings", "ScanResult": "findings", "SourceInfo": "findings"}
__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name: str):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'scanner' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC))


class _Package(types.ModuleType):
    """`scanner.redact` is the function; importing the submodule of the same name (scanner/redact.py, which
    `from scanner.redact import ...` still reaches) must not rebind the package attribute to the module."""

    def __setattr__(self, name: str, value) -> None:
        if name in _PUBLIC and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
