"""Routes tagged ``rankings``: a ranking (a permalink to any what-if) and the what-if
re-rank with rank intervals."""

from __future__ import annotations

from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from techhubs.api._deps import (
    EconomyQ,
    EditionQ,
    FormatQ,
    Limits,
    MethodQ,
    WeightsQ,
    economy_code,
    filename,
    parse_weights,
    responses,
    store_of,
    weights_text,
)
from techhubs.api._export import json_table_response, table_response
from techhubs.api._schemas import (
    Aggregation,
    Normalisation,
    RankingResponse,
    RerankResponse,
    rerank_request_model,
)
from techhubs.methodology import Methodology
from techhubs.views import intervals as _intervals
from techhubs.views.store import Fitted, Store, effective_weights, what_if


def _intervals_for(store: Store, fitted: Fitted, weights: dict[str, float],
                   normalisation: str | None, aggregation: str | None, runs: int,
                   uncertainty: float, seed: int) -> pl.DataFrame:
    key = (fitted.source, fitted.method, weights_text(weights), normalisation, aggregation,
           runs, uncertainty, seed)

    def compute() -> pl.DataFrame:
        composite = what_if(fitted, weights, normalisation, aggregation)
        return _intervals.rank_interval_table(composite, runs, uncertainty, seed)

    table: pl.DataFrame = store.memo["intervals"](key, compute)
    return table


def _ranking_payload(store: Store, edition: str | None, method: str | None,
                     economy: str | None, top: int | None, weights: str,
                     normalisation: str | None, aggregation: str | None,
                     fmt: str) -> Response:
    fitted = store.fitted(edition, method)
    ranking = fitted.composite.ranking_
    table = ranking.table
    applied = parse_weights(weights)
    changed = bool(applied or normalisation or aggregation)
    if changed:
        ranking = what_if(fitted, applied, normalisation, aggregation).ranking_
        table = ranking.table.drop("change", strict=False)
    n_units = table.height
    if economy:
        table = table.filter(pl.col("economies").list.contains(economy))
    if top is not None:
        table = table.filter(pl.col("rank") <= top)
    name = filename(fitted.source, fitted.method, economy, f"top{top}" if top else None)
    provenance = dict(ranking.provenance)
    if changed:
        provenance["what_if"] = {"weights": applied, "normalisation": normalisation,
                                 "aggregation": aggregation}
    if fmt != "json":
        return table_response(table, fmt, name, provenance)
    weights_all = {n.code: n.weight for n in fitted.methodology.nodes if n.parent}
    weights_all.update(applied)
    return json_table_response({
        "edition": fitted.source, "method": fitted.method, "n_units": n_units,
        "indicators": list(ranking.indicators), "weights": weights_all,
        "pillars": [{"code": p, "name": ranking.label(p)} for p in ranking.pillars],
        "notes": list(ranking.notes), "provenance": provenance}, table)


def pillar_codes(m: Methodology) -> list[str]:
    """The top-level pillars of a method's tree (none for a flat one such as gii-clusters)."""
    return [n.code for n in m.children(m.root.code) if not n.is_indicator]


def pillar_labels(m: Methodology, codes: list[str]) -> list[dict[str, str]]:
    names = {n.code: n.name or n.code for n in m.nodes}
    return [{"code": c, "name": names[c]} for c in codes]


def build_router(limits: Limits) -> APIRouter:
    """The rankings routes for this app's limits (the run limit is part of the request
    schema: documented, and checked by pydantic)."""
    router = APIRouter(tags=["rankings"])
    rerank_body = rerank_request_model(limits.max_runs)

    @router.get("/api/rankings", responses=responses(RankingResponse),
                summary="A ranking, filtered by economy and top N; a permalink to any what-if")
    async def get_rankings(
        request: Request,
        edition: EditionQ = None,
        method: MethodQ = None,
        economy: EconomyQ = None,
        top: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
        weights: WeightsQ = None,
        normalisation: Annotated[Normalisation | None, Query()] = None,
        aggregation: Annotated[Aggregation | None, Query()] = None,
        format: FormatQ = "json",
    ) -> Response:
        store = store_of(request)
        key = (edition or store.default_source, method, economy_code(economy), top,
               weights_text(parse_weights(weights)), normalisation or None,
               aggregation or None, format)
        # Served from the cache on the event loop; computed in the thread pool on a miss.
        cached: Response | None = store.memo["rankings"].get(key)
        if cached is not None:
            return cached
        response = await run_in_threadpool(_ranking_payload, store, *key)
        return store.memo["rankings"].put(key, response)

    def post_rerank(body: Any, request: Request, format: FormatQ = "json") -> Response:
        store = store_of(request)
        fitted = store.fitted(body.edition, body.method)
        result = what_if(fitted, body.weights, body.normalisation, body.aggregation)
        panel = fitted.panel
        units = panel.units
        pillars = pillar_codes(result.methodology_)
        # (ranks are floats, NaN when unranked: nulls on the way in, no per-call query plan)
        table = pl.DataFrame({
            "rank": pl.Series(result.rank_, nan_to_null=True).cast(pl.Int64),
            "base_rank": pl.Series(fitted.composite.rank_, nan_to_null=True).cast(pl.Int64),
            "unit_id": panel.unit_ids, "name": units["name"], "economies": units["economies"],
            "score": result.score_,
            **{f"{code}__score": result.node_scores_[code] for code in pillars
               if body.pillars},
            **{c: (units[c].cast(pl.Float64) if c in units.columns
                   else pl.Series(c, [None] * panel.n_units, dtype=pl.Float64))
               for c in ("latitude", "longitude")},
        })
        info = None
        if body.intervals is not None:
            iv = body.intervals
            intervals = _intervals_for(store, fitted, body.weights, body.normalisation,
                                       body.aggregation, iv.runs, iv.weight_uncertainty,
                                       iv.seed)
            table = table.join(intervals, on="unit_id", how="left")
            info = {"runs": iv.runs, "weight_uncertainty": iv.weight_uncertainty,
                    "seed": iv.seed}
        table = table.sort(["rank", "unit_id"], nulls_last=True)
        if format != "json":
            return table_response(table, format, filename(fitted.source, fitted.method,
                                                          "whatif"))
        m = result.methodology_
        return json_table_response({
            "edition": fitted.source, "method": fitted.method,
            "normalisation": m.normalise.method, "aggregation": m.aggregate.method,
            "weights": effective_weights(result), "n_units": panel.n_units,
            "pillars": pillar_labels(result.methodology_, pillars), "intervals": info}, table)

    # The body model is built for this app's limits: give FastAPI the class itself.
    post_rerank.__annotations__["body"] = rerank_body
    router.post("/api/rerank", responses=responses(RerankResponse),
                summary="Re-rank with custom weights/methods, with rank intervals")(post_rerank)
    return router
