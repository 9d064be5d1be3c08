"""What every router shares: the store and limits as dependencies, query types, helpers.

A route takes ``request: Request`` and reads the app's
:class:`~techhubs.views.store.Store` with :func:`store_of` and the request limits with
:func:`limits_of`; both are set on ``app.state`` by :func:`techhubs.api.create_app`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from fastapi import Query, Request

from techhubs.api._schemas import ErrorBody, Format
from techhubs.errors import TechhubsError
from techhubs.panel import economy_code as panel_economy_code
from techhubs.views.store import Store


@dataclass(frozen=True)
class Limits:
    """Request limits: body size (413 beyond), Monte Carlo runs (422 beyond)."""

    max_body_bytes: int = 64 * 1024
    max_runs: int = 2000
    max_assignment_rows: int = 10_000
    cache_size: int = 32


def store_of(request: Request) -> Store:
    """The app's store (a route takes ``request: Request``: FastAPI passes it without
    solving a dependency, which costs more than the lookup on every request)."""
    store: Store = request.app.state.store
    return store


def limits_of(request: Request) -> Limits:
    """The app's request limits."""
    limits: Limits = request.app.state.limits
    return limits

EditionQ = Annotated[str | None, Query(max_length=100, description="edition or results name")]
MethodQ = Annotated[str | None, Query(max_length=100, description="method name")]
# The what-if weights of a permalink: code:weight pairs, each code once, each weight a
# plain decimal below 1e12 (the methodology's MAX_WEIGHT); one pattern for the schema and
# the server, so that every string the schema allows is read and every other refused.
_CODE = r"[A-Za-z0-9_.\-]{1,100}"
_NUMBER = r"\d{1,12}(?:\.\d{1,30})?(?:[eE]-\d{1,3})?"
_ITEM = f"{_CODE}:{_NUMBER}"
WEIGHTS_PATTERN = (rf"^(?!(?:[^,]*,)*([^:,]+):[^,]*,(?:[^,]*,)*\1:)"
                   rf"(?:{_ITEM}(?:,{_ITEM})*)?$")
_WEIGHTS = re.compile(WEIGHTS_PATTERN)
# (in the schema as written; checked by parse_weights, as the schema validator's regex
# engine has no look-ahead)
WeightsQ = Annotated[str | None, Query(max_length=4000, json_schema_extra={
    "pattern": WEIGHTS_PATTERN}, description=(
    "what-if weights: code:weight pairs, comma-separated, each code once, each weight a "
    "decimal number >= 0 below 1e12, e.g. pct_applications:1,scientific_publications:0.5"))]
EconomyQ = Annotated[str | None, Query(pattern=r"^(?:[A-Za-z]{2})?$", description=(
    "ISO 3166 alpha-2 code of an economy, e.g. US"))]
FormatQ = Annotated[Format, Query(description="json, csv or parquet")]


def responses(model: Any, downloads: bool = True) -> dict[int | str, dict[str, Any]]:
    """The documented answers of a route: its model, 404, 422, and CSV/Parquet downloads."""
    out: dict[int | str, dict[str, Any]] = {
        200: {"model": model},
        404: {"model": ErrorBody, "description": "unknown edition, method, unit, code or "
              "economy"},
        409: {"model": ErrorBody, "description": "the method cannot be applied to this data "
              "(e.g. a geometric mean of zero scores)"},
        422: {"model": ErrorBody, "description": "invalid parameter"},
    }
    if downloads:
        out[200]["content"] = {"text/csv": {}, "application/vnd.apache.parquet": {}}
    return out


def parse_weights(text: str | None) -> dict[str, float]:
    """``"pct_applications:1,scientific_publications:0"`` -> dict (the permalink form).

    The text must match :data:`WEIGHTS_PATTERN` (the schema's pattern): a code given
    twice is an error, not a silent choice of one of the values.
    """
    if not text:
        return {}
    if not _WEIGHTS.match(text):
        codes = [item.partition(":")[0] for item in text.split(",")]
        twice = next((c for c in codes if codes.count(c) > 1), None)
        if twice is not None:
            raise TechhubsError(f"weight {twice!r} is given twice", key=f"weights.{twice}",
                                hint="give each code once")
        bad = next((i for i in text.split(",") if not re.fullmatch(_ITEM, i)), text)
        raise TechhubsError(f"cannot read weight {bad[:80]!r}", key="weights",
                            hint="write code:weight pairs separated by commas, each weight a "
                            "decimal number below 1e12, e.g. pct_applications:1,"
                            "scientific_publications:0")
    return {code: float(value) for code, _, value in
            (item.partition(":") for item in text.split(","))}


def weights_text(weights: dict[str, float]) -> str:
    """The canonical text of what-if weights (a cache key): sorted codes, each weight
    written exactly (``repr``), so that ``parse_weights(weights_text(w)) == w``."""
    return ",".join(f"{k}:{float(v)!r}" for k, v in sorted(weights.items()))


def economy_code(value: str | None) -> str | None:
    """An economy filter (two letters, the schema's pattern); empty: none."""
    if value is None or value == "":
        return None
    return panel_economy_code(value)


def int_or_none(value: Any) -> int | None:
    if value is None:
        return None
    value = float(value)
    return int(value) if np.isfinite(value) else None


def filename(*parts: str | None) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", p) for p in parts if p)

