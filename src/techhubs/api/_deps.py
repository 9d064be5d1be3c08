"""What every router shares: the store and limits as dependencies, query types, helpers.

A route asks for the app's :class:`~techhubs.views.store.Store` with a
``store: StoreDep`` parameter and for the request limits with ``limits:
LimitsDep``; both are set on ``app.state`` by :func:`techhubs.api.create_app`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
from fastapi import Depends, Query, Request

from techhubs.api._schemas import ErrorBody, Format
from techhubs.errors import TechhubsError
from techhubs.views.store import Store


@dataclass(frozen=True)
class Limits:
    """Request limits: body size (413 beyond), Monte Carlo runs (422 beyond)."""

    max_body_bytes: int = 64 * 1024
    max_runs: int = 2000
    max_assignment_rows: int = 10_000
    cache_size: int = 32


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_limits(request: Request) -> Limits:
    limits: Limits = request.app.state.limits
    return limits


StoreDep = Annotated[Store, Depends(get_store)]
LimitsDep = Annotated[Limits, Depends(get_limits)]

EditionQ = Annotated[str | None, Query(max_length=100, description="edition or results name")]
MethodQ = Annotated[str | None, Query(max_length=100, description="method name")]
WeightsQ = Annotated[str | None, Query(max_length=4000, description=(
    "what-if weights, code:w pairs, comma-separated"))]
FormatQ = Annotated[Format, Query(description="json, csv or parquet")]


def responses(model: Any, downloads: bool = True) -> dict[int | str, dict[str, Any]]:
    """The documented answers of a route: its model, 404, 422, and CSV/Parquet downloads."""
    out: dict[int | str, dict[str, Any]] = {
        200: {"model": model},
        404: {"model": ErrorBody, "description": "unknown edition, method or unit"},
        422: {"model": ErrorBody, "description": "invalid parameter"},
    }
    if downloads:
        out[200]["content"] = {"text/csv": {}, "application/vnd.apache.parquet": {}}
    return out


_WEIGHT_ITEM = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*:\s*([-+0-9.eE]+)\s*$")


def parse_weights(text: str | None) -> dict[str, float]:
    """``"pct_applications:1,scientific_publications:0"`` -> dict (the permalink form).

    A code given twice is an error, not a silent choice of one of the values.
    """
    if not text:
        return {}
    out: dict[str, float] = {}
    for item in text.split(","):
        m = _WEIGHT_ITEM.match(item)
        if not m:
            raise TechhubsError(f"cannot read weight {item!r}", key="weights",
                                hint="write code:weight pairs separated by commas, "
                                "e.g. pct_applications:1,scientific_publications:0")
        code = m.group(1)
        if code in out:
            raise TechhubsError(f"weight {code!r} is given twice", key=f"weights.{code}",
                                hint="give each code once")
        try:
            out[code] = float(m.group(2))
        except ValueError as exc:
            raise TechhubsError(f"weight {m.group(2)!r} is not a number",
                                key=f"weights.{code}") from exc
    return out


def weights_text(weights: dict[str, float]) -> str:
    return ",".join(f"{k}:{v:g}" for k, v in sorted(weights.items()))


def economy_code(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not re.fullmatch(r"[A-Za-z]{2}", value):
        raise TechhubsError(f"economy {value!r} is not an ISO 3166 alpha-2 code",
                            key="economy", hint="e.g. US, CN, JP, DE")
    return value.upper()


def int_or_none(value: Any) -> int | None:
    if value is None:
        return None
    value = float(value)
    return int(value) if np.isfinite(value) else None


def filename(*parts: str | None) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", p) for p in parts if p)

