"""The one way CLI commands make a rich console."""

from __future__ import annotations

import math
import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

PIPED_WIDTH = 200
"""Width of tables written to a pipe or a file when ``COLUMNS`` is not set."""


def terminal_width() -> int:
    """``COLUMNS`` when set, else the terminal's width, else (a pipe, a file) 200."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return os.get_terminal_size(sys.stdout.fileno()).columns
    return PIPED_WIDTH


def console(stderr: bool = False) -> Console:
    """A console for tables: ``COLUMNS`` when set, else the terminal's width, else (a pipe,
    a file) :data:`PIPED_WIDTH`."""
    stream = sys.stderr if stderr else sys.stdout
    columns = os.environ.get("COLUMNS", "")
    width: int | None = int(columns) if columns.isdigit() and int(columns) > 0 else None
    if width is None and not stream.isatty():
        width = PIPED_WIDTH
    from rich.console import Console  # loaded by the commands that draw with it

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


class Steps:
    """Progress of one piece of work on stderr: ``update(done, total, step)``; shown only
    on a terminal (a pipe or a log file gets no bars), removed when the work ends."""

    def __init__(self, description: str, total: int | None = None) -> None:
        self.description = description
        self.total = total

    def __enter__(self) -> Steps:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        console = Console(stderr=True)
        self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                             MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                             transient=True, disable=not console.is_terminal)
        self._bar.__enter__()
        self._task = self._bar.add_task(self.description, total=self.total)
        return self

    def update(self, done: int | None = None, total: int | None = None,
               step: str | None = None) -> None:
        changes: dict[str, Any] = {}
        if done is not None:
            changes["completed"] = done
        if total is not None:
            changes["total"] = total
        if step is not None:
            changes["description"] = f"{self.description}: {step}"
        self._bar.update(self._task, **changes)

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)
