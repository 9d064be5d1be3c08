"""The one way techhubs writes JSON (valid, canonical, byte-reproducible) and reads a
JSON file (a :class:`~techhubs.errors.DataError` naming it when it cannot).

:func:`dumps` turns NaN and infinities into ``null`` (bare ``NaN``/``Infinity``
are not JSON), NumPy scalars and arrays into plain numbers and lists, paths
into text, and sorts keys, so that the same result always gives the same bytes.
Every JSON file and every JSON answer of techhubs goes through it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from techhubs.errors import DataError


def relative_paths(value: Any, root: Path) -> Any:
    """``value`` with every path inside ``root`` written relative to it (``points.csv``
    for ``/home/ana/project/points.csv``), so that provenance neither reveals where a
    project lives nor changes when the project folder moves."""
    prefix = str(root.resolve())
    if isinstance(value, Mapping):
        return {relative_paths(k, root) if isinstance(k, str) else k: relative_paths(v, root)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [relative_paths(v, root) for v in value]
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, str):
        if value == prefix:
            return "."
        if value.startswith(prefix + "/"):
            return value[len(prefix) + 1:]
    return value


def plain(value: Any) -> Any:
    """``value`` with only JSON types left (non-finite numbers become ``None``)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [plain(v) for v in items]
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def dumps(value: Any, *, indent: int | None = 2, sort_keys: bool = True) -> str:
    """Canonical JSON text of ``value`` (see the module docstring).

    >>> dumps({"b": float("inf"), "a": 1.5}, indent=None)
    '{"a":1.5,"b":null}'
    """
    separators = (",", ":") if indent is None else (",", ": ")
    return json.dumps(plain(value), indent=indent, sort_keys=sort_keys, ensure_ascii=False,
                      allow_nan=False, separators=separators)


def write(path: str | Path, value: Any, *, indent: int | None = 2) -> Path:
    """Write ``value`` as canonical JSON (UTF-8, trailing newline) to ``path``."""
    path = Path(path)
    path.write_text(dumps(value, indent=indent) + "\n", encoding="utf-8")
    return path


def read(path: str | Path) -> Any:
    """The JSON value in ``path``; a DataError naming the file when it cannot be read."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read JSON: {exc}", file=path) from exc


def read_object(path: str | Path, what: str) -> dict[str, Any]:
    """The JSON object in ``path`` (``what`` names it in the error when it is not one)."""
    doc = read(path)
    if not isinstance(doc, dict):
        raise DataError(f"{what} must be a JSON object", file=path)
    return doc
