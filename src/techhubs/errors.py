"""One exception family for every failure a user can fix.

Shells (CLI, API) turn a :class:`TechhubsError` into exit code 2 or an HTTP 4xx
with :meth:`TechhubsError.describe`; anything else is a bug and keeps its
traceback.
"""

from __future__ import annotations

from pathlib import Path


class TechhubsError(Exception):
    """A problem with the user's input, named precisely enough to fix.

    Parameters
    ----------
    message:
        What is wrong, in one sentence.
    file:
        The file the problem is in, if any.
    line:
        1-based line (or record) number in ``file``.
    key:
        The offending key, column or record id (e.g. ``tree[3].weight``).
    hint:
        How to fix it.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        key: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.key = key
        self.hint = hint

    def location(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file + (f":{self.line}" if self.line is not None else ""))
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.key:
            parts.append(self.key)
        return ": ".join(parts)

    def describe(self) -> str:
        """One line (plus an optional hint line) for a person to read."""
        where = self.location()
        text = f"{where}: {self.message}" if where else self.message
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "error": type(self).__name__,
            "message": self.message,
            "file": self.file,
            "line": self.line,
            "key": self.key,
            "hint": self.hint,
        }

    def __str__(self) -> str:
        return self.describe()


class DataError(TechhubsError):
    """An input data file is malformed (missing column, bad value, duplicate id...)."""


class MethodologyError(TechhubsError):
    """A methodology file or spec is invalid (unknown indicator, bad weight, cycle...)."""


class UnknownNameError(TechhubsError):
    """A named edition, preset, unit or ranking does not exist."""


class UnknownNodeError(UnknownNameError, MethodologyError):
    """A weight or choice names a node the methodology's tree does not have (an unknown
    name, and a methodology error as it always was)."""


class ComputationError(TechhubsError):
    """A method cannot be applied to this data (e.g. geometric mean of non-positive values)."""


class DownloadError(TechhubsError):
    """A download failed or its content did not match the expected hash."""
