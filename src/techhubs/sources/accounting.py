"""Ingest accounting: every input record is used or dropped with a counted reason.

An :class:`IngestReport` travels beside the points a reader yields. Readers
call :meth:`IngestReport.read`, :meth:`IngestReport.use` and
:meth:`IngestReport.drop`; the invariant ``read == used + sum(dropped)`` is
checked by :meth:`IngestReport.check`. In ``strict`` mode the first drop raises
a :class:`~techhubs.errors.DataError` naming the file, line and record.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from techhubs.errors import ComputationError, DataError

# Drop reasons shared by the readers (free text is allowed, these are the usual ones).
UNPARSEABLE = "unparseable"
INVALID_ENCODING = "invalid encoding"
NO_LOCATION = "no location"
UNRESOLVED = "unresolved place"
OUT_OF_RANGE = "out of range"
DUPLICATE = "duplicate id"
BAD_WEIGHT = "bad weight"
INACTIVE = "inactive record"


@dataclass
class Example:
    """Where a dropped (or noted) record is: file, 1-based line and/or record key."""

    file: str | None
    line: int | None
    key: str | None
    detail: str | None

    def describe(self) -> str:
        parts = []
        if self.file:
            parts.append(Path(self.file).name + (f":{self.line}" if self.line else ""))
        elif self.line:
            parts.append(f"line {self.line}")
        if self.key:
            parts.append(self.key)
        if self.detail:
            parts.append(self.detail)
        return " ".join(parts)


@dataclass
class IngestReport:
    """Records read, used, and dropped by reason, with examples."""

    source: str
    strict: bool = False
    max_examples: int = 5
    files: list[str] = field(default_factory=list)
    records_read: int = 0
    records_used: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[Example]] = field(default_factory=dict)
    notes: Counter[str] = field(default_factory=Counter)
    note_examples: dict[str, list[Example]] = field(default_factory=dict)
    unresolved_places: pl.DataFrame | None = None

    # -- counting --------------------------------------------------------------
    def read(self, n: int = 1) -> None:
        self.records_read += n

    def use(self, n: int = 1) -> None:
        self.records_used += n

    def drop(
        self,
        reason: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        key: str | None = None,
        detail: str | None = None,
        count: int = 1,
        examples: list[Example] | None = None,
    ) -> None:
        """Count ``count`` dropped records for ``reason`` (raises in strict mode)."""
        if count <= 0:
            return
        found = examples or [Example(_str(file), line, key, detail)]
        if self.strict:
            first = found[0]
            more = "; ".join(e.describe() for e in found[1 : self.max_examples])
            raise DataError(
                f"{count} record(s) dropped: {reason}" + (f" (also {more})" if more else ""),
                file=first.file,
                line=first.line,
                key=first.key,
                hint=(first.detail + "; " if first.detail else "")
                + "fix the input, or run without --strict to count and skip such records",
            )
        self.dropped[reason] += count
        kept = self.examples.setdefault(reason, [])
        kept.extend(found[: self.max_examples - len(kept)])

    def drop_frame(
        self,
        reason: str,
        frame: pl.DataFrame,
        *,
        file: str | Path | None,
        detail: str | None = None,
    ) -> None:
        """Drop every row of ``frame``; examples from its ``_line`` / ``_key`` columns."""
        if frame.height == 0:
            return
        head = frame.head(self.max_examples)
        lines = head["_line"].to_list() if "_line" in head.columns else [None] * head.height
        keys = head["_key"].to_list() if "_key" in head.columns else [None] * head.height
        examples = [
            Example(_str(file), line, None if key is None else str(key), detail)
            for line, key in zip(lines, keys, strict=True)
        ]
        self.drop(reason, count=frame.height, examples=examples)

    def note(
        self,
        what: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        key: str | None = None,
        detail: str | None = None,
        count: int = 1,
        examples: list[Example] | None = None,
    ) -> None:
        """Record something repaired or partial that did not cost a record."""
        if count <= 0:
            return
        self.notes[what] += count
        kept = self.note_examples.setdefault(what, [])
        for example in examples or [Example(_str(file), line, key, detail)]:
            if len(kept) < self.max_examples:
                kept.append(example)

    def merge(self, other: IngestReport) -> None:
        """Add another report's counts (e.g. one file of several)."""
        self.files.extend(f for f in other.files if f not in self.files)
        self.records_read += other.records_read
        self.records_used += other.records_used
        for reason, n in other.dropped.items():
            self.dropped[reason] += n
            kept = self.examples.setdefault(reason, [])
            kept.extend(other.examples.get(reason, [])[: self.max_examples - len(kept)])
        for what, n in other.notes.items():
            self.notes[what] += n
            kept = self.note_examples.setdefault(what, [])
            kept.extend(other.note_examples.get(what, [])[: self.max_examples - len(kept)])

    # -- views -----------------------------------------------------------------
    @property
    def records_dropped(self) -> int:
        return sum(self.dropped.values())

    def check(self) -> None:
        """Assert that every record read was used or dropped (a reader bug otherwise)."""
        if self.records_read != self.records_used + self.records_dropped:
            raise ComputationError(
                f"ingest accounting does not balance for {self.source}: read {self.records_read}, "
                f"used {self.records_used}, dropped {self.records_dropped}"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "files": list(self.files),
            "records_read": self.records_read,
            "records_used": self.records_used,
            "records_dropped": self.records_dropped,
            "dropped": {
                reason: {
                    "count": n,
                    "examples": [e.describe() for e in self.examples.get(reason, [])],
                }
                for reason, n in self.dropped.most_common()
            },
            "notes": {
                what: {
                    "count": n,
                    "examples": [e.describe() for e in self.note_examples.get(what, [])],
                }
                for what, n in self.notes.most_common()
            },
            "unresolved_places": (
                self.unresolved_places.head(20).to_dicts()
                if self.unresolved_places is not None
                else []
            ),
        }

    def to_frame(self) -> pl.DataFrame:
        """One row per outcome: used, each drop reason, each note."""
        rows: list[tuple[str, str, int, str]] = [("used", "", self.records_used, "")]
        for reason, n in self.dropped.most_common():
            rows.append(
                (
                    "dropped",
                    reason,
                    n,
                    "; ".join(e.describe() for e in self.examples.get(reason, [])),
                )
            )
        for what, n in self.notes.most_common():
            rows.append(
                ("note", what, n, "; ".join(e.describe() for e in self.note_examples.get(what, [])))
            )
        return pl.DataFrame(rows, schema=["outcome", "reason", "records", "examples"], orient="row")

    def to_table(self) -> Any:
        """A ``rich`` table of the report, for shells to print."""
        from rich.table import Table

        table = Table(
            title=f"{self.source}: read {self.records_read:,}, used {self.records_used:,}, "
            f"dropped {self.records_dropped:,}"
        )
        table.add_column("outcome")
        table.add_column("reason")
        table.add_column("records", justify="right")
        table.add_column("share", justify="right")
        table.add_column("examples", overflow="fold")
        total = max(self.records_read, 1)
        for outcome, reason, n, examples in self.to_frame().iter_rows():
            table.add_row(outcome, reason, f"{n:,}", f"{100 * n / total:.2f}%", examples)
        return table

    def summary(self) -> str:
        parts = [
            f"{self.source}: read {self.records_read}, used {self.records_used}, "
            f"dropped {self.records_dropped}"
        ]
        parts += [f"  {reason}: {n}" for reason, n in self.dropped.most_common()]
        return "\n".join(parts)


def _str(file: str | Path | None) -> str | None:
    return None if file is None else str(file)
