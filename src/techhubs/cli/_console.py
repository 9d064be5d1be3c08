"""The one way CLI commands make a rich console."""

from __future__ import annotations

import math
import os
import sys
from typing import Any

from rich.console import Console

PIPED_WIDTH = 200
"""Width of tables written to a pipe or a file when ``COLUMNS`` is not set."""


def console(stderr: bool = False) -> Console:
    """A console for tables: ``COLUMNS`` when set, else the terminal's width, else (a pipe,
    a file) :data:`PIPED_WIDTH`."""
    stream = sys.stderr if stderr else sys.stdout
    columns = os.environ.get("COLUMNS", "")
    width: int | None = int(columns) if columns.isdigit() and int(columns) > 0 else None
    if width is None and not stream.isatty():
        width = PIPED_WIDTH
    return Console(highlight=False, soft_wrap=False, width=width, stderr=stderr)


def fmt_number(value: Any, digits: int = 2) -> str:
    """A table cell: ``–`` for missing, thousands separators from 1,000 on."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 1000:
        return f"{value:,}"
    return str(value)


def rank_span(lo: float | None, hi: float | None) -> str:
    """A rank interval as text: ``3``, ``3–4`` or, for interpolated quantiles, ``3.4–5``;
    ``–`` for a unit without a rank."""
    if lo is None or hi is None:
        return "–"

    def one(v: float) -> str:
        return f"{round(float(v), 2):g}"

    return one(lo) if lo == hi else f"{one(lo)}–{one(hi)}"
