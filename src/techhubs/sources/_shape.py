"""Typed access to the fields of a JSON record (OpenAlex works and institutions, ROR).

A JSON dump is written by someone else: a field may be missing, null, or of
another type than the format promises (``"authorships": "oops"``). Readers take
fields through these accessors, which return ``None`` for a missing or null
field and raise :class:`MalformedError` naming the field for a value of the wrong
type; the reader then drops the record as ``unparseable`` with that detail, so
a bad record is counted, never a traceback and never silently half-used.
"""

from __future__ import annotations

import math
from typing import Any


class MalformedError(ValueError):
    """A record field of the wrong type; the message names the field."""


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), "a number" if isinstance(value, int | float) else type(value).__name__)


def obj(record: dict[str, Any], key: str, where: str = "") -> dict[str, Any] | None:
    """``record[key]`` when it is an object; None when missing or null."""
    value = record.get(key)
    if value is None or isinstance(value, dict):
        return value
    raise MalformedError(f"{where}{key} is {_kind(value)}, not an object")


def objects(record: dict[str, Any], key: str, where: str = "") -> list[dict[str, Any]]:
    """``record[key]`` when it is a list of objects; [] when missing or null."""
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedError(f"{where}{key} is {_kind(value)}, not a list")
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise MalformedError(f"{where}{key}[{i}] is {_kind(item)}, not an object")
    return value


def texts(record: dict[str, Any], key: str, where: str = "") -> list[str]:
    """``record[key]`` when it is a list of text; [] when missing or null."""
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise MalformedError(f"{where}{key} is {_kind(value)}, not a list of text")
    return value


def text(record: dict[str, Any], key: str, where: str = "") -> str | None:
    """``record[key]`` when it is text; None when missing or null."""
    value = record.get(key)
    if value is None or isinstance(value, str):
        return value
    raise MalformedError(f"{where}{key} is {_kind(value)}, not text")


def number(record: dict[str, Any], key: str, where: str = "") -> float | None:
    """``record[key]`` as a finite float (numbers, or text holding one); None when missing."""
    value = record.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise MalformedError(f"{where}{key} is {_kind(value)}, not a number")
    try:
        result = float(value)
    except (ValueError, OverflowError):
        raise MalformedError(f"{where}{key} is {value!r}, not a number") from None
    if not math.isfinite(result):
        raise MalformedError(f"{where}{key} is {value!r}, not a finite number")
    return result


def year(record: dict[str, Any], key: str, where: str = "") -> int | None:
    """``record[key]`` as a calendar year (an integer in 1..9999); None when missing."""
    value = number(record, key, where)
    if value is None:
        return None
    if value != int(value) or not 1 <= value <= 9999:
        raise MalformedError(f"{where}{key} is {record.get(key)!r}, not a year")
    return int(value)
