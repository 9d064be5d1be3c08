"""Routes tagged ``units``: a hub's profile and two hubs side by side, for the ranking on
screen (the what-if weights and methods, when given)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from starlette.responses import Response

from techhubs.api._deps import (
    EditionQ,
    FormatQ,
    MethodQ,
    WeightsQ,
    filename,
    parse_weights,
    responses,
    store_of,
    weights_text,
)
from techhubs.api._export import clean, json_response, rows_table, table_response
from techhubs.api._schemas import Aggregation, CompareResponse, Normalisation, UnitProfile
from techhubs.index.explain import explain
from techhubs.views.store import Store, effective_weights, what_if

router = APIRouter(tags=["units"])

NormalisationQ = Annotated[Normalisation | None, Query()]
AggregationQ = Annotated[Aggregation | None, Query()]


def _profile(store: Store, edition: str, method: str, unit: str, weights: str,
             normalisation: str | None, aggregation: str | None) -> dict[str, Any]:
    fitted = store.fitted(edition, method)
    panel = fitted.panel
    i = panel.unit_index(unit)  # an unknown unit is 404 before any what-if is computed
    # The profile of the ranking on screen: the what-if composite when weights or
    # methods were changed, so its score and rank match the table's.
    composite = what_if(fitted, parse_weights(weights), normalisation, aggregation)
    e = explain(composite, panel.unit_ids[i])
    row = panel.units.row(i, named=True)
    return clean({
        "edition": fitted.source, "method": fitted.method, "unit_id": e.unit_id,
        "name": e.name, "economies": list(row.get("economies") or []),
        "rank": e.rank, "score": e.score, "n_units": e.n_units,
        "latitude": row.get("latitude"), "longitude": row.get("longitude"),
        "population": row.get("population"), "members": list(row.get("members") or []),
        "components": e.components.to_dicts(), "strengths": e.strengths,
        "weaknesses": e.weaknesses, "above": e.above, "notes": e.notes,
        "weights": effective_weights(composite),
        "published_ranks": store.published(fitted.source).ranks_of(e.unit_id),
        "facts": store.published(fitted.source).facts_of(e.unit_id),
    })


def profile(store: Store, edition: str | None, method: str | None, unit: str,
            weights: str | None = None, normalisation: str | None = None,
            aggregation: str | None = None) -> dict[str, Any]:
    """A unit's profile (cached per what-if)."""
    source = store.source(edition)
    key = (source.name, method or source.default_method, unit,
           weights_text(parse_weights(weights)), normalisation or None, aggregation or None)
    data: dict[str, Any] = store.memo["profiles"](key, lambda: _profile(store, *key))
    return data


@router.get("/api/units/{unit_id}", responses=responses(UnitProfile),
            summary="A hub's profile: decomposition, strengths, members, published ranks")
def get_unit(unit_id: Annotated[str, PathParam(max_length=200)], request: Request,
             edition: EditionQ = None, method: MethodQ = None, weights: WeightsQ = None,
             normalisation: NormalisationQ = None, aggregation: AggregationQ = None,
             format: FormatQ = "json") -> Response:
    store = store_of(request)
    data = profile(store, edition, method, unit_id, weights, normalisation, aggregation)
    if format != "json":
        return table_response(rows_table(data["components"]), format,
                              filename(data["edition"], data["method"], data["unit_id"]))
    return json_response(data)


@router.get("/api/compare", responses=responses(CompareResponse),
            summary="Two hubs side by side")
def get_compare(a: Annotated[str, Query(min_length=1, max_length=200)],
                b: Annotated[str, Query(min_length=1, max_length=200)],
                request: Request, edition: EditionQ = None, method: MethodQ = None,
                weights: WeightsQ = None, normalisation: NormalisationQ = None,
                aggregation: AggregationQ = None, format: FormatQ = "json") -> Response:
    store = store_of(request)
    what = (weights, normalisation, aggregation)
    pa = profile(store, edition, method, a, *what)
    pb = profile(store, edition, method, b, *what)
    by_code = {c["code"]: c for c in pb["components"]}
    rows = []
    for ca in pa["components"]:
        cb = by_code.get(ca["code"], {})
        na, nb = ca.get("normalised"), cb.get("normalised")
        rows.append({
            "code": ca["code"], "name": ca["name"], "kind": ca["kind"],
            "a_normalised": na, "b_normalised": nb,
            "a_rank_on_item": ca.get("rank_on_item"), "b_rank_on_item": cb.get("rank_on_item"),
            "difference": None if na is None or nb is None else na - nb,
        })
    src, meth = pa["edition"], pa["method"]
    if format != "json":
        return table_response(rows_table(rows), format,
                              filename(src, meth, pa["unit_id"], "vs", pb["unit_id"]))
    return json_response({"edition": src, "method": meth, "a": pa, "b": pb, "rows": rows})
