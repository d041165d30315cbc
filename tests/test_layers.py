"""Data flows down the layers: the engine, the video path, the detectors and everything under them never import
the API, the batch runner, the report or the command line (issue 12: api <-> video <-> detectors used to form a
circle)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "scanner"
UPPER = ("api", "batch", "cli", "report", "web")  # the file and folder layers and their front ends
LOWER = sorted(p for p in PKG.rglob("*.py")
               if p.relative_to(PKG).as_posix() not in {f"{u}.py" for u in UPPER} | {"__init__.py"}
               and p.relative_to(PKG).parts[0] != "web")


def runtime_imports(source: str, package: str) -> set[str]:
    """Dotted names of the modules (and names) that `source`, a module of `package`, imports anywhere but inside
    an `if TYPE_CHECKING:` block."""
    tree = ast.parse(source)
    type_only = {id(n) for node in ast.walk(tree)
                 if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
                 for n in ast.walk(node)}
    parts = package.split(".")
    out = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = parts[:len(parts) - node.level + 1] if node.level else []
            mod = ".".join(base + ([node.module] if node.module else []))
            out |= {mod} | {f"{mod}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out


def upward(imports: set[str]) -> set[str]:
    return {m for m in imports if m.split(".")[:2] in [["scanner", u] for u in UPPER]}


@pytest.mark.parametrize("path", LOWER, ids=lambda p: p.relative_to(PKG).as_posix())
def test_lower_layers_do_not_import_the_api_batch_report_or_cli(path):
    package = ".".join(path.relative_to(PKG.parent).parts[:-1])
    assert not upward(runtime_imports(path.read_text(), package))


def test_an_import_inside_a_function_counts_and_a_type_only_one_does_not():
    late = "def f():\n    from .api import output_path\n"
    typing_only = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .api import Scanner\n"
    deep = "from ..batch import run_batch\n"
    assert upward(runtime_imports(late, "scanner")) == {"scanner.api", "scanner.api.output_path"}
    assert upward(runtime_imports(typing_only, "scanner")) == set()
    assert upward(runtime_imports(deep, "scanner.detectors")) == {"scanner.batch", "scanner.batch.run_batch"}
