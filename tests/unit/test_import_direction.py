"""Imports point one way (DESIGN.md): schemas ← runtime ← stages ← devtools ← CLI, read from the source.

- ``schemas`` imports nothing of ours;
- ``articles`` (pure article-text logic shared by producers and consumers) imports only ``schemas``
  and itself, and no Kafka;
- the runtime (``newsstream`` without its CLI) imports ``schemas`` and itself, never a stage;
- ``producers`` and ``consumers`` import the runtime, ``schemas`` and ``articles``, never each other;
- ``web`` (the archive's page) imports the runtime and the archive's store in ``consumers``;
- ``devtools`` (dev broker, demo feeds and server, supervisor and live view) may import the runtime,
  ``schemas``, ``articles`` and the stages; nothing of ours but ``newsstream.cli`` imports it, so a
  deployed stage never depends on developer tooling;
- only ``newsstream.cli`` knows every stage.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
OURS = {"schemas", "articles", "newsstream", "producers", "consumers", "web", "devtools"}
#: Package -> the packages of ours it may import (besides itself).
ALLOWED = {
    "schemas": set(),
    "articles": {"schemas"},
    "newsstream": {"schemas"},
    "producers": {"newsstream", "schemas", "articles"},
    "consumers": {"newsstream", "schemas", "articles"},
    "web": {"newsstream", "consumers", "schemas"},  # the archive's web page reads consumers.archive's store
    "devtools": {"newsstream", "schemas", "articles", "producers", "consumers"},
    "newsstream.cli": OURS,
}
#: Modules no pure package may import.
KAFKA = ("kafka", "prometheus_client")


def _package(module: str) -> str:
    return "newsstream.cli" if module.startswith("newsstream.cli") else module.split(".")[0]


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _modules() -> list[tuple[str, Path]]:
    out = []
    for top in sorted(OURS):
        for path in sorted((REPO / top).rglob("*.py")):
            module = ".".join(path.relative_to(REPO).with_suffix("").parts)
            out.append((module, path))
    return out


@pytest.mark.parametrize(("module", "path"), _modules(), ids=lambda v: v if isinstance(v, str) else "")
def test_imports_point_one_way(module: str, path: Path) -> None:
    package = _package(module)
    wrong = []
    for line, imported in _imports(path):
        target = _package(imported)
        if target not in OURS | {"newsstream.cli"} or target == package:
            continue
        if target == "newsstream.cli" or target not in ALLOWED[package]:
            wrong.append(f"{path.relative_to(REPO)}:{line} imports {imported}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("module", "path"),
    [(m, p) for m, p in _modules() if _package(m) in ("schemas", "articles")],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_pure_packages_import_no_kafka(module: str, path: Path) -> None:
    bad = [f"{line}: {name}" for line, name in _imports(path) if name.split(".")[0] in KAFKA]
    assert not bad, f"{module} imports {bad}"
