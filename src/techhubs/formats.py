"""The formats a ranking is printed or written in: one list for every command and the API."""

from __future__ import annotations

FORMATS = ("table", "csv", "json", "parquet")
"""``table`` is for the terminal; ``csv``, ``json`` and ``parquet`` carry provenance."""

__all__ = ["FORMATS"]
