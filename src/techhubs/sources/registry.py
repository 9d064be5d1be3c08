"""The one registry of readers: format name -> reader class, for every caller.

``techhubs ingest FORMAT``, the ``format`` of a project file's ``[[inputs]]``
and ``techhubs enrich --layer NAME=FORMAT:PATH`` all look readers up here, so
a format is declared once. Entries name their class as ``"module:Class"`` and
are imported on first use: the command line lists the formats without
importing DuckDB, the geocoder or the readers themselves (the package's one
lazy-import pattern; see ARCHITECTURE.md).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from typing import Any

from techhubs.errors import DataError
from techhubs.sources._base import Reader

_READERS: dict[str, tuple[str, str]] = {
    "crunchbase": ("techhubs.sources.crunchbase:CrunchbaseReader",
                   "Crunchbase-style funding rounds CSV (company city/region/country)"),
    "patentsview": ("techhubs.sources.patentsview:PatentsViewReader",
                    "PatentsView g_inventor_disambiguated + g_location_disambiguated TSVs"),
    "openalex": ("techhubs.sources.openalex:OpenAlexReader",
                 "OpenAlex works (JSON Lines, gzipped parts or a snapshot folder)"),
    "ror": ("techhubs.sources.ror:RorReader", "ROR research organisations (JSON v2 or CSV)"),
    "table": ("techhubs.sources.table:TableReader",
              "any CSV/Parquet table mapped by column options (lat/lon or city/country)"),
}
ALIASES = {"generic": "table"}
"""Other names a project file may use for a format."""


def reader_names() -> tuple[str, ...]:
    """The formats a reader exists for, in display order."""
    return tuple(_READERS)


def describe() -> dict[str, str]:
    """Format name -> one line about what it reads."""
    return {name: text for name, (_, text) in _READERS.items()}


def canonical(fmt: str) -> str:
    """The registry name of ``fmt`` (aliases resolved); DataError for an unknown one."""
    name = ALIASES.get(fmt, fmt)
    if name not in _READERS:
        raise DataError(f"unknown format {fmt!r}", key="format",
                        hint=f"formats: {', '.join([*_READERS, *ALIASES])}")
    return name


def reader_class(fmt: str) -> type[Reader]:
    """The reader class of a format (imported now)."""
    module, _, attr = _READERS[canonical(fmt)][0].partition(":")
    cls = getattr(importlib.import_module(module), attr)
    assert issubclass(cls, Reader)
    return cls


def make_reader(fmt: str, options: Mapping[str, Any] | None = None, *,
                source: str | None = None) -> Reader:
    """A reader of ``fmt`` built with ``options`` (a project's ``options`` table or the
    command line's). Readers that take a ``source`` label get ``source`` unless the
    options name one; an option the reader does not take is a DataError naming it.
    """
    cls = reader_class(fmt)
    kwargs = dict(options or {})
    params = inspect.signature(cls.__init__).parameters
    if "source" in params and source is not None:
        kwargs.setdefault("source", source)
    unknown = [k for k in kwargs if k not in params]
    if unknown and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        allowed = [p for p in params if p not in ("self", "source")]
        raise DataError(f"the {canonical(fmt)} reader takes no option {unknown[0]!r}",
                        key=f"options.{unknown[0]}",
                        hint=f"options: {', '.join(allowed) or 'none'}")
    missing = [name for name, p in params.items()
               if name != "self" and p.default is p.empty
               and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and name not in kwargs]
    if missing:
        raise DataError(f"the {canonical(fmt)} reader needs the option {missing[0]!r}",
                        key=f"options.{missing[0]}")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise DataError(f"bad options for the {canonical(fmt)} reader: {exc}",
                        key="options") from exc
