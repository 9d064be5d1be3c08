"""The FastAPI application: REST API under ``/api`` and the dashboard at ``/``.

Read-only by construction: the sources (bundled editions, results folders
named at start-up) are fixed when the app is created, no endpoint takes a
filesystem path, and no endpoint writes anything.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import polars as pl
from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from techhubs._version import __version__
from techhubs.api._export import (
    clean,
    json_response,
    json_table_response,
    rows_table,
    table_response,
)
from techhubs.api._schemas import (
    Aggregation,
    AgreementResponse,
    AssignmentResponse,
    ClaimsResponse,
    CompareResponse,
    ConsensusResponse,
    EditionList,
    ErrorBody,
    FeatureCollection,
    Format,
    MethodDetail,
    MethodList,
    MoversResponse,
    Normalisation,
    PublishedRankings,
    RankingResponse,
    RerankResponse,
    ResolveResponse,
    Status,
    UnitProfile,
    rerank_request_model,
)
from techhubs.errors import TechhubsError, UnknownNameError
from techhubs.index.explain import explain
from techhubs.views import intervals as _intervals
from techhubs.views import published as _published
from techhubs.views.store import (
    Fitted,
    Source,
    Store,
    edition_sources,
    effective_weights,
    results_source,
    what_if,
)


@dataclass(frozen=True)
class Limits:
    """Request limits: body size (413 beyond), Monte Carlo runs (422 beyond)."""

    max_body_bytes: int = 64 * 1024
    max_runs: int = 2000
    max_assignment_rows: int = 10_000
    cache_size: int = 32


def web_dir() -> Path:
    return Path(str(resources.files("techhubs.web")))


# ------------------------------------------------------------------ errors
def error_response(status: int, error: str, message: str, key: str | None = None,
                   hint: str | None = None, headers: dict[str, str] | None = None) -> Response:
    return json_response({"error": error, "message": message, "key": key, "hint": hint},
                         status_code=status, headers=headers)


def _techhubs_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, TechhubsError)
    status = 404 if isinstance(exc, UnknownNameError) else 422
    return error_response(status, type(exc).__name__, exc.message, exc.key, exc.hint)


def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    loc = [str(p) for p in first.get("loc", ())]
    if first.get("type") == "json_invalid":
        return error_response(422, "ValidationError",
                              f"the request body is not valid JSON ({first.get('msg')})",
                              "body", "send a JSON object, e.g. {\"weights\": {}}")
    key = ".".join(loc[1:] if loc and loc[0] in ("query", "path", "body") else loc) or None
    message = f"{'.'.join(loc)}: {first.get('msg')}" if loc else str(first.get("msg"))
    hint = None
    if len(errors) > 1:
        hint = f"{len(errors) - 1} more problem(s): " + "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in errors[1:4])
    return error_response(422, "ValidationError", message, key, hint)


def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # A body that cannot be decoded at all: the same answer as malformed JSON.
        return error_response(422, "ValidationError", f"the request body cannot be read "
                              f"({exc.detail})", "body", "send a UTF-8 JSON object")
    name = {404: "NotFound", 405: "MethodNotAllowed"}.get(exc.status_code, "HTTPError")
    # Keep the handler's headers (e.g. Allow on a 405, as RFC 9110 requires).
    return error_response(exc.status_code, name, str(exc.detail),
                          headers=dict(exc.headers or {}))


class BodyLimit:
    """Answer 413 to any request body over ``max_bytes`` (declared or streamed)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.max_bytes:
                    await self._reject(scope, receive, send)
                    return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._reject(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "PayloadTooLarge", f"request body over the limit of {self.max_bytes} bytes",
            key="body", hint="send fewer weights or split the request")
        await response(scope, receive, send)


# ------------------------------------------------------------------ helpers
_WEIGHT_ITEM = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*:\s*([-+0-9.eE]+)\s*$")


def parse_weights(text: str | None) -> dict[str, float]:
    """``"pct_applications:1,scientific_publications:0"`` -> dict (the permalink form)."""
    if not text:
        return {}
    out: dict[str, float] = {}
    for item in text.split(","):
        m = _WEIGHT_ITEM.match(item)
        if not m:
            raise TechhubsError(f"cannot read weight {item!r}", key="weights",
                                hint="write code:weight pairs separated by commas, "
                                "e.g. pct_applications:1,scientific_publications:0")
        try:
            out[m.group(1)] = float(m.group(2))
        except ValueError as exc:
            raise TechhubsError(f"weight {m.group(2)!r} is not a number",
                                key=f"weights.{m.group(1)}") from exc
    return out


def weights_text(weights: dict[str, float]) -> str:
    return ",".join(f"{k}:{v:g}" for k, v in sorted(weights.items()))


def _economy(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if not re.fullmatch(r"[A-Za-z]{2}", value):
        raise TechhubsError(f"economy {value!r} is not an ISO 3166 alpha-2 code",
                            key="economy", hint="e.g. US, CN, JP, DE")
    return value.upper()


def _int_or_none(value: Any) -> int | None:
    if value is None:
        return None
    value = float(value)
    return int(value) if np.isfinite(value) else None


def _filename(*parts: str | None) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", p) for p in parts if p)


EditionQ = Annotated[str | None, Query(max_length=100, description="edition or results name")]
MethodQ = Annotated[str | None, Query(max_length=100, description="method name")]
WeightsQ = Annotated[str | None, Query(max_length=4000, description=(
    "what-if weights, code:w pairs, comma-separated"))]
FormatQ = Annotated[Format, Query(description="json, csv or parquet")]
RankingsQ = Annotated[str | None, Query(
    max_length=2000, description="published ranking ids, comma-separated (default: all; "
    "GET /api/published/rankings)")]
PubEditionQ = Annotated[str, Query(
    max_length=100, description="bundled edition whose units give hubs their identity")]
ConsensusMethod = Literal["borda", "schulze", "kemeny"]


# --------------------------------------------------------------------- app
def create_app(results_dirs: Sequence[str | Path] = (), limits: Limits | None = None, *,
               synthetic: tuple[int, int] | None = None, editions: bool = True,
               warm: bool = False) -> FastAPI:
    """Build the app.

    Parameters
    ----------
    results_dirs:
        ``techhubs build`` output folders to serve beside the bundled editions
        (validated now; a bad folder raises :class:`~techhubs.errors.DataError`).
    limits:
        Request limits (:class:`Limits`).
    synthetic:
        ``(n_units, n_indicators)``: also serve a synthetic random panel named
        ``synthetic-<n>x<k>`` (for benchmarks; its values are random numbers).
    editions:
        Serve the bundled editions (default).
    warm:
        Fit the default source and match its published rankings in a background
        thread now, so that the first visitor does not wait for them.
    """
    limits = limits or Limits()
    sources: list[Source] = []
    if synthetic is not None:
        from techhubs.api._synthetic import synthetic_source

        sources.append(synthetic_source(*synthetic))
    if editions:
        sources += edition_sources()
    sources += [results_source(d) for d in results_dirs]
    if not sources:
        raise TechhubsError("nothing to serve: no edition and no results folder",
                            hint="keep the bundled editions or give --results DIR")
    # The bundled default edition first when present: it is what the dashboard opens.
    sources.sort(key=lambda s: (s.kind != "edition", s.kind != "results"))
    store = Store(sources, cache_size=limits.cache_size)

    if warm:
        def _warm() -> None:
            try:
                store.fitted(store.default_source, None)
                store.published(store.default_source)
            except TechhubsError:
                pass  # the same error reaches the first request that needs it

        threading.Thread(target=_warm, name="techhubs-warm-up", daemon=True).start()

    app = FastAPI(
        # FastAPI's /docs and /redoc pages load their scripts from a CDN: off, so the
        # server stays usable offline; the schema itself is at /openapi.json.
        docs_url=None, redoc_url=None,
        title="techhubs",
        version=__version__,
        description="Rankings, profiles and what-if re-ranking of technology hubs. "
        "Read-only: every answer comes from the bundled editions and the build results "
        "named when the server started.",
    )
    app.state.store = store
    app.state.limits = limits
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes)
    app.add_exception_handler(TechhubsError, _techhubs_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)

    errors: dict[int | str, dict[str, Any]] = {
        404: {"model": ErrorBody, "description": "unknown edition, method or unit"},
        422: {"model": ErrorBody, "description": "invalid parameter"},
    }
    tabular: dict[str, Any] = {"text/csv": {}, "application/vnd.apache.parquet": {}}

    def ok(model: Any, downloads: bool = True) -> dict[int | str, dict[str, Any]]:
        out: dict[int | str, dict[str, Any]] = {200: {"model": model}, **errors}
        if downloads:
            out[200]["content"] = tabular
        return out


    # The run limit is part of the request schema (documented, and checked by pydantic).
    RerankBody = rerank_request_model(limits.max_runs)

    interval_cache: OrderedDict[tuple[Any, ...], pl.DataFrame] = OrderedDict()
    interval_lock = threading.Lock()

    def intervals_for(fitted: Fitted, weights: dict[str, float], normalisation: str | None,
                      aggregation: str | None, runs: int, uncertainty: float,
                      seed: int) -> pl.DataFrame:
        key = (fitted.source, fitted.method, weights_text(weights), normalisation, aggregation,
               runs, uncertainty, seed)
        with interval_lock:
            if key in interval_cache:
                interval_cache.move_to_end(key)
                return interval_cache[key]
        composite = fitted.composite
        steps: dict[str, Any] = {}
        if weights:
            steps["weights"] = weights
        if normalisation and normalisation != fitted.methodology.normalise.method:
            steps["normalise"] = {"method": normalisation}
        if aggregation and aggregation != fitted.methodology.aggregate.method:
            steps["aggregate"] = {"method": aggregation}
        if steps:
            composite = composite.rebuild(**steps)
        table = _intervals.rank_interval_table(composite, runs, uncertainty, seed)
        with interval_lock:
            interval_cache[key] = table
            while len(interval_cache) > 64:
                interval_cache.popitem(last=False)
        return table

    # ---------------------------------------------------------- dashboard
    static = web_dir() / "static"

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def index() -> Response:
        return FileResponse(static / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=static), name="static")

    # -------------------------------------------------------------- lists
    @app.get("/api/status", responses={200: {"model": Status}}, tags=["catalogue"],
             summary="Version, default edition and limits of this server")
    async def get_status() -> Response:
        return json_response({
            "version": __version__, "default_edition": store.default_source,
            "limits": {"max_body_bytes": limits.max_body_bytes, "max_runs": limits.max_runs},
        })

    @app.get("/api/editions", responses=ok(EditionList), tags=["catalogue"],
             summary="Bundled editions and build results served")
    def get_editions(format: FormatQ = "json") -> Response:
        rows = [s.to_dict() for s in store.sources.values()]
        if format == "json":
            return json_response({"editions": rows})
        return table_response(rows_table([{k: v if not isinstance(v, list | dict)
                                           else json.dumps(v) for k, v in r.items()}
                                          for r in rows]), format, "editions")

    @app.get("/api/methods", responses=ok(MethodList), tags=["catalogue"],
             summary="Ranking methods (methodology presets)")
    def get_methods(edition: EditionQ = None, format: FormatQ = "json") -> Response:
        source = store.source(edition) if edition else None
        rows = []
        for name in store.method_names(source):
            m = store.methodology(name, source)
            row: dict[str, Any] = {"name": name, "title": m.title,
                                   "description": " ".join(m.description.split())}
            if source is not None:
                # Whether this method can rank this edition (e.g. its indicators exist).
                try:
                    store.fitted(source.name, name)
                    row.update(applicable=True, reason=None)
                except TechhubsError as exc:
                    row.update(applicable=False, reason=exc.message)
            rows.append(row)
        if format == "json":
            return json_response({"methods": rows})
        return table_response(rows_table(rows), format, "methods")

    @app.get("/api/methods/{name}", responses=ok(MethodDetail), tags=["catalogue"],
             summary="A method's indicator tree, weights and steps")
    def get_method(name: str, edition: EditionQ = None, format: FormatQ = "json") -> Response:
        source = store.source(edition) if edition else None
        m = store.methodology(name, source)
        if source is not None:
            # The tree as fitted to this edition (optional indicators it lacks dropped).
            m = store.fitted(source.name, name).methodology
        nodes = []
        for n in m.nodes:
            kind = "indicator" if n.is_indicator else ("index" if n.parent is None else "pillar")
            nodes.append({
                "code": n.code, "name": n.name, "parent": n.parent, "weight": n.weight,
                "kind": kind, "direction": n.direction, "unit": n.unit, "source": n.source,
                "aggregation": None if n.is_indicator else m.aggregation_for(n).method,
            })
        if format != "json":
            return table_response(rows_table(nodes), format, _filename("method", name))
        steps = {s: getattr(m, s).model_dump() for s in
                 ("denominate", "impute", "treat", "normalise", "aggregate")}
        return json_response({"name": name, "title": m.title,
                              "description": " ".join(m.description.split()),
                              "nodes": nodes, "steps": steps})

    # ----------------------------------------------------------- rankings
    ranking_cache: dict[tuple[Any, ...], Response] = {}
    ranking_lock = threading.Lock()

    def ranking_payload(edition: str | None, method: str | None, economy: str | None,
                        top: int | None, weights: str, normalisation: str | None,
                        aggregation: str | None, fmt: str) -> Response:
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
        name = _filename(fitted.source, fitted.method, economy, f"top{top}" if top else None)
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
            "provenance": provenance}, table)

    @app.get("/api/rankings", responses=ok(RankingResponse), tags=["rankings"],
             summary="A ranking, filtered by economy and top N; a permalink to any what-if")
    async def get_rankings(
        edition: EditionQ = None,
        method: MethodQ = None,
        economy: Annotated[str | None, Query(pattern="^[A-Za-z]{2}$",
                                             description="ISO 3166 alpha-2 code")] = None,
        top: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
        weights: Annotated[str | None, Query(max_length=4000,
                                             description="code:w pairs, comma-separated")] = None,
        normalisation: Annotated[Normalisation | None, Query()] = None,
        aggregation: Annotated[Aggregation | None, Query()] = None,
        format: FormatQ = "json",
    ) -> Response:
        econ = _economy(economy)
        canonical = weights_text(parse_weights(weights))
        key = (edition or store.default_source, method, econ, top, canonical,
               normalisation or None, aggregation or None, format)
        # Served from the cache on the event loop; computed in the thread pool on a miss.
        with ranking_lock:
            cached = ranking_cache.get(key)
        if cached is not None:
            return cached
        response = await run_in_threadpool(ranking_payload, *key)
        with ranking_lock:
            ranking_cache[key] = response
            while len(ranking_cache) > 256:
                ranking_cache.pop(next(iter(ranking_cache)))
        return response

    # ------------------------------------------------------------- rerank
    def post_rerank(body: Any, format: FormatQ = "json") -> Response:
        fitted = store.fitted(body.edition, body.method)
        result = what_if(fitted, body.weights, body.normalisation, body.aggregation)
        base_rank = fitted.composite.rank_
        panel = fitted.panel
        units = panel.units
        columns: dict[str, Any] = {
            "rank": result.rank_.astype(np.int64),
            "base_rank": base_rank.astype(np.int64),
            "unit_id": panel.unit_ids,
            "name": units["name"],
            "economies": units["economies"],
            "score": result.score_,
            "latitude": units["latitude"] if "latitude" in units.columns else None,
            "longitude": units["longitude"] if "longitude" in units.columns else None,
        }
        table = pl.DataFrame({k: v for k, v in columns.items() if v is not None})
        for col in ("latitude", "longitude"):
            if col not in table.columns:
                table = table.with_columns(pl.lit(None, dtype=pl.Float64).alias(col))
        info = None
        if body.intervals is not None:
            iv = body.intervals
            intervals = intervals_for(fitted, body.weights, body.normalisation,
                                      body.aggregation, iv.runs, iv.weight_uncertainty, iv.seed)
            table = table.join(intervals, on="unit_id", how="left")
            info = {"runs": iv.runs, "weight_uncertainty": iv.weight_uncertainty,
                    "seed": iv.seed}
        table = table.sort(["rank", "unit_id"])
        if format != "json":
            return table_response(table, format, _filename(fitted.source, fitted.method,
                                                           "whatif"))
        m = result.methodology_
        return json_table_response({
            "edition": fitted.source, "method": fitted.method,
            "normalisation": m.normalise.method, "aggregation": m.aggregate.method,
            "weights": effective_weights(result), "n_units": panel.n_units,
            "intervals": info}, table)

    # The body model is built for this app's limits: give FastAPI the class itself.
    post_rerank.__annotations__["body"] = RerankBody
    app.post("/api/rerank", responses=ok(RerankResponse), tags=["rankings"],
             summary="Re-rank with custom weights/methods, with rank intervals")(post_rerank)

    # ------------------------------------------------------------ profile
    @functools.lru_cache(maxsize=512)
    def profile(edition: str, method: str, unit: str, weights: str = "",
                normalisation: str | None = None, aggregation: str | None = None
                ) -> dict[str, Any]:
        fitted = store.fitted(edition, method)
        # The profile of the ranking on screen: the what-if composite when weights or
        # methods were changed, so its score and rank match the table's.
        composite = what_if(fitted, parse_weights(weights), normalisation, aggregation)
        panel = fitted.panel
        i = panel.unit_index(unit)
        e = explain(composite, panel.unit_ids[i])
        row = panel.units.row(i, named=True)
        members = list(row.get("members") or [])
        return clean({
            "edition": fitted.source, "method": fitted.method, "unit_id": e.unit_id,
            "name": e.name, "economies": list(row.get("economies") or []),
            "rank": e.rank, "score": e.score, "n_units": e.n_units,
            "latitude": row.get("latitude"), "longitude": row.get("longitude"),
            "population": row.get("population"), "members": members,
            "components": e.components.to_dicts(), "strengths": e.strengths,
            "weaknesses": e.weaknesses, "above": e.above, "notes": e.notes,
            "weights": effective_weights(composite),
            "published_ranks": store.published(fitted.source).ranks_of(e.unit_id),
            "facts": store.published(fitted.source).facts_of(e.unit_id),
        })

    def resolve(edition: str | None, method: str | None) -> tuple[str, str]:
        source = store.source(edition)
        return source.name, method or source.default_method

    @app.get("/api/units/{unit_id}", responses=ok(UnitProfile), tags=["units"],
             summary="A hub's profile: decomposition, strengths, members, published ranks")
    def get_unit(unit_id: Annotated[str, PathParam(max_length=200)], edition: EditionQ = None,
                 method: MethodQ = None, weights: WeightsQ = None,
                 normalisation: Annotated[Normalisation | None, Query()] = None,
                 aggregation: Annotated[Aggregation | None, Query()] = None,
                 format: FormatQ = "json") -> Response:
        src, meth = resolve(edition, method)
        data = profile(src, meth, unit_id, weights_text(parse_weights(weights)),
                       normalisation or None, aggregation or None)
        if format != "json":
            return table_response(rows_table(data["components"]), format,
                                  _filename(src, meth, data["unit_id"]))
        return json_response(data)

    @app.get("/api/compare", responses=ok(CompareResponse), tags=["units"],
             summary="Two hubs side by side")
    def get_compare(a: Annotated[str, Query(min_length=1, max_length=200)],
                    b: Annotated[str, Query(min_length=1, max_length=200)],
                    edition: EditionQ = None, method: MethodQ = None,
                    weights: WeightsQ = None,
                    normalisation: Annotated[Normalisation | None, Query()] = None,
                    aggregation: Annotated[Aggregation | None, Query()] = None,
                    format: FormatQ = "json") -> Response:
        src, meth = resolve(edition, method)
        what = (weights_text(parse_weights(weights)), normalisation or None, aggregation or None)
        pa, pb = profile(src, meth, a, *what), profile(src, meth, b, *what)
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
        if format != "json":
            return table_response(rows_table(rows), format,
                                  _filename(src, meth, pa["unit_id"], "vs", pb["unit_id"]))
        return json_response({"edition": src, "method": meth, "a": pa, "b": pb, "rows": rows})

    # --------------------------------------------------------------- geo
    @app.get("/api/clusters.geojson", responses=ok(FeatureCollection), tags=["geo"],
             summary="Hubs as GeoJSON (points, or a build's cluster geometries)")
    def get_clusters(edition: EditionQ = None,
                     results: Annotated[str | None, Query(max_length=100,
                                                          description="results name")] = None,
                     method: MethodQ = None, format: FormatQ = "json") -> Response:
        if edition and results:
            raise TechhubsError("give edition or results, not both", key="results")
        source = store.source(results or edition)
        if results and source.kind != "results":
            raise UnknownNameError(f"no results named {results!r}", key="results",
                                   hint="results are the folders given to `techhubs serve "
                                   "--results`")
        fitted = store.fitted(source.name, method)
        ranks = dict(zip(fitted.panel.unit_ids, fitted.composite.rank_.tolist(), strict=True))
        scores = dict(zip(fitted.panel.unit_ids, fitted.composite.score_.tolist(), strict=True))
        features: list[dict[str, Any]] = []
        if source.geojson is not None:
            for feat in source.geojson["features"]:
                props = dict(feat.get("properties") or {})
                uid = str(props.get("unit_id", props.get("cluster_id", feat.get("id"))))
                props.update(unit_id=uid, rank=_int_or_none(ranks.get(uid)),
                             score=scores.get(uid))
                features.append({"type": "Feature", "id": uid,
                                 "geometry": feat.get("geometry"), "properties": props})
        else:
            for row in fitted.panel.units.iter_rows(named=True):
                uid = row["unit_id"]
                lat, lon = row.get("latitude"), row.get("longitude")
                geometry = None if lat is None or lon is None else {
                    "type": "Point", "coordinates": [lon, lat]}
                features.append({"type": "Feature", "id": uid, "geometry": geometry,
                                 "properties": {
                                     "unit_id": uid, "name": row["name"],
                                     "economies": row.get("economies") or [],
                                     "members": row.get("members") or [],
                                     "population": row.get("population"),
                                     "rank": _int_or_none(ranks[uid]), "score": scores[uid]}})
        features.sort(key=lambda f: (f["properties"]["rank"] is None,
                                     f["properties"]["rank"] or 0))
        if format != "json":
            rows = []
            for f in features:
                g = f["geometry"] or {}
                point = g.get("coordinates") if g.get("type") == "Point" else None
                rows.append({**{k: v for k, v in f["properties"].items()
                                if not isinstance(v, dict)},
                             "longitude": point[0] if point else f["properties"].get("longitude"),
                             "latitude": point[1] if point else f["properties"].get("latitude")})
            return table_response(rows_table(rows), format, _filename(source.name, "clusters"))
        return json_response({"type": "FeatureCollection", "features": features,
                              "name": source.name, "method": fitted.method})

    @app.get("/api/assignment", responses=ok(AssignmentResponse), tags=["geo"],
             summary="Point-to-cluster assignment of a build (paged)")
    def get_assignment(edition: EditionQ = None,
                       offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
                       limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
                       format: FormatQ = "json") -> Response:
        source = store.source(edition)
        if source.assignment is None:
            raise UnknownNameError(f"{source.name!r} has no point assignment",
                                   key="edition",
                                   hint="only build results folders carry assignment.parquet")
        limit = min(limit, limits.max_assignment_rows)
        page = source.assignment.slice(offset, limit)
        if format != "json":
            return table_response(page, format, _filename(source.name, "assignment"))
        return json_response({"edition": source.name, "total": source.assignment.height,
                              "offset": offset, "rows": page.to_dicts()})

    # --------------------------------------------------- published rankings
    # Deterministic answers over the bundled published lists, cached in views.published.
    @app.get("/api/published/rankings", responses=ok(PublishedRankings), tags=["published"],
             summary="The bundled published rankings, each name resolved to a hub")
    def get_published_rankings(
        ranking: Annotated[str | None, Query(max_length=2000, description=(
            "ranking ids, comma-separated (default: all)"))] = None,
        edition: PubEditionQ = "gii-2023", format: FormatQ = "json",
    ) -> Response:
        summary, rows = _published.published_rankings(ranking or None, edition)
        if format != "json":
            return table_response(rows, format, _filename("published", ranking))
        return json_table_response({"edition": edition, "rankings": summary}, rows)

    @app.get("/api/published/agreement", responses=ok(AgreementResponse),
             tags=["published"],
             summary="Pairwise agreement: Kendall tau-b, rank-biased overlap, common hubs")
    def get_agreement(
        rankings: RankingsQ = None,
        p: Annotated[float, Query(gt=0.0, lt=1.0, description=(
            "persistence of rank-biased overlap (top-weightedness)"))] = 0.9,
        edition: PubEditionQ = "gii-2023", format: FormatQ = "json",
    ) -> Response:
        view = _published.agreement_view(_published.parse_rankings(rankings), p, edition)
        if format != "json":
            return table_response(view["pairs"], format, _filename("agreement", f"p{p:g}"))
        return json_table_response({k: v for k, v in view.items() if k != "pairs"},
                                   view["pairs"], key="pairs")

    @app.get("/api/published/consensus", responses=ok(ConsensusResponse),
             tags=["published"],
             summary="Consensus ranking of published lists (Borda, Schulze, Kemeny-Young)")
    def get_consensus(
        method: Annotated[ConsensusMethod, Query(description="consensus method")] = "borda",
        rankings: RankingsQ = None,
        unlisted: Annotated[Literal["share", "zero"], Query(description=(
            "Borda/Kemeny start: unlisted hubs share the remaining points, or score 0"))
                            ] = "share",
        pairs: Annotated[Literal["listed_over_unlisted", "listed"], Query(description=(
            "Schulze/Kemeny: does a list prefer its hubs to unlisted ones?"))
                         ] = "listed_over_unlisted",
        edition: PubEditionQ = "gii-2023", format: FormatQ = "json",
    ) -> Response:
        meta, table = _published.consensus_view(method, _published.parse_rankings(rankings),
                                                unlisted, pairs, edition)
        if format != "json":
            return table_response(table, format, _filename("consensus", method), meta)
        return json_table_response(meta, table)

    @app.get("/api/published/movers", responses=ok(MoversResponse), tags=["published"],
             summary="Rank changes between two editions of a published ranking")
    def get_movers(
        from_: Annotated[str | None, Query(alias="from", max_length=100, description=(
            "the earlier list, e.g. gii-2024 (with `to`; neither: every consecutive "
            "pair)"))] = None,
        to: Annotated[str | None, Query(max_length=100, description=(
            "the later list, e.g. gii-2025"))] = None,
        edition: PubEditionQ = "gii-2023", format: FormatQ = "json",
    ) -> Response:
        table = _published.movers_view(from_ or None, to or None, edition)
        if format != "json":
            return table_response(table, format, _filename("movers", from_, to))
        pairs = [list(p) for p in dict.fromkeys(
            zip(table["before"].to_list(), table["after"].to_list(), strict=True))]
        return json_table_response({"edition": edition, "pairs": pairs}, table)

    @app.get("/api/published/claims", responses=ok(ClaimsResponse), tags=["published"],
             summary="Article claims checked: supported, contradicted or not checkable")
    def get_claims(
        edition: Annotated[str, Query(max_length=100, description=(
            "edition whose figures check figure claims (patent filings...)"))] = "gii-2023",
        ranking: Annotated[str, Query(max_length=100, description=(
            "published ranking that rank and share claims refer to"))] = "gii-2025",
        status: Annotated[Literal["supported", "contradicted", "not checkable"] | None,
                          Query(description="only claims with this verdict")] = None,
        format: FormatQ = "json",
    ) -> Response:
        table = _published.claims_view(edition, ranking)
        counts = {s: int((table["status"] == s).sum())
                  for s in ("supported", "contradicted", "not checkable")}
        if status:
            table = table.filter(pl.col("status") == status)
        if format != "json":
            return table_response(table, format, _filename("claims", edition, status))
        return json_table_response({"edition": edition, "ranking": ranking,
                                    "counts": counts}, table)

    @app.get("/api/resolve", responses=ok(ResolveResponse), tags=["published"],
             summary="A place name resolved to a hub and matched to an edition's unit")
    def get_resolve(
        name: Annotated[str, Query(min_length=1, max_length=200, description=(
            "a name as published, e.g. Silicon Valley"))],
        edition: PubEditionQ = "gii-2023",
        economy: Annotated[str | None, Query(max_length=200, description=(
            "prefer places in these economies: ISO 3166 alpha-2 codes, comma-separated"))
                           ] = None,
        max_km: Annotated[float, Query(gt=0.0, le=1000.0, description=(
            "proximity limit for matching the hub to a unit"))] = 30.0,
        format: FormatQ = "json",
    ) -> Response:
        economies = tuple(e for e in (_economy(x.strip()) for x in (economy or "").split(","))
                          if e)
        data = _published.resolve_view(name, edition, economies, max_km)
        if format != "json":
            return table_response(rows_table(data["places"]), format,
                                  _filename("resolve", name))
        return json_response(data)

    return app
