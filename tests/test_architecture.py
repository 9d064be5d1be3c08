"""Imports flow one way: sources -> ... -> index -> robustness -> views.

Reference: the layer list in ARCHITECTURE.md. A module may import from its own
area or from a lower layer, never from a higher one (no shell imports another
shell's internals, no core module imports a shell).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "techhubs"

LAYERS: list[set[str]] = [
    {"_version", "errors", "spec"},
    {"geo"},
    {"presets", "panel", "points", "config", "methodology"},
    {"index", "datasets", "sources", "aggregate", "download", "clusters"},
    {"indicators", "robustness", "compare"},
    {"pipeline", "workflows"},
    {"views"},
    {"api", "report", "web"},
    {"cli", "__main__", "__init__"},
]
RANK = {area: i for i, layer in enumerate(LAYERS) for area in layer}


def _area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[tuple[str, int]]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "techhubs":
                out += [(f"techhubs.{a.name}", node.lineno) for a in node.names]
            elif node.module.startswith("techhubs."):
                out.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names if a.name.startswith("techhubs.")]
    return out


def test_every_area_has_a_layer() -> None:
    areas = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))}
    assert areas - set(RANK) == set(), "add new modules to LAYERS and ARCHITECTURE.md"


def test_imports_only_go_down_the_layers() -> None:
    violations = []
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        here = _area(".".join(rel.parts))
        for module, line in _imports(path):
            there = _area(module)
            if there != here and RANK[there] > RANK[here]:
                violations.append(f"{rel}.py:{line}: {here} imports {module} ({there})")
    assert violations == []
