"""Routes tagged ``geo``: hubs as GeoJSON and a build's point assignment."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from techhubs.api._deps import (
    EditionQ,
    FormatQ,
    MethodQ,
    filename,
    int_or_none,
    limits_of,
    responses,
    store_of,
)
from techhubs.api._export import json_response, rows_table, table_response
from techhubs.api._schemas import AssignmentResponse, FeatureCollection
from techhubs.errors import TechhubsError, UnknownNameError

router = APIRouter(tags=["geo"])


@router.get("/api/clusters.geojson", responses=responses(FeatureCollection),
         summary="Hubs as GeoJSON (points, or a build's cluster geometries)")
def get_clusters(request: Request, edition: EditionQ = None,
                 results: Annotated[str | None, Query(max_length=100,
                                                      description="results name")] = None,
                 method: MethodQ = None, format: FormatQ = "json") -> Response:
    store = store_of(request)
    # names first (an unknown one is 404), then whether the two agree
    named = store.source(edition) if edition else None
    source = store.source(results) if results else named or store.source(None)
    if results and source.kind != "results":
        raise UnknownNameError(f"no results named {results!r}", key="results",
                               hint="results are the folders given to `techhubs serve "
                               "--results`")
    if named is not None and results and named.name != source.name:
        raise TechhubsError("give edition or results, not both", key="results")
    fitted = store.fitted(source.name, method)
    ranks = dict(zip(fitted.panel.unit_ids, fitted.composite.rank_.tolist(), strict=True))
    scores = dict(zip(fitted.panel.unit_ids, fitted.composite.score_.tolist(), strict=True))
    features: list[dict[str, Any]] = []
    if source.geojson is not None:
        for feat in source.geojson["features"]:
            props = dict(feat.get("properties") or {})
            uid = str(props.get("unit_id", props.get("cluster_id", feat.get("id"))))
            props.update(unit_id=uid, rank=int_or_none(ranks.get(uid)),
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
                                 "rank": int_or_none(ranks[uid]), "score": scores[uid]}})
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
        return table_response(rows_table(rows), format, filename(source.name, "clusters"))
    return json_response({"type": "FeatureCollection", "features": features,
                          "name": source.name, "method": fitted.method})

@router.get("/api/assignment", responses=responses(AssignmentResponse),
         summary="Point-to-cluster assignment of a build (paged)")
def get_assignment(request: Request, edition: EditionQ = None,
                   offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
                   limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
                   format: FormatQ = "json") -> Response:
    store = store_of(request)
    limits = limits_of(request)
    source = store.source(edition)
    if source.assignment is None:
        raise UnknownNameError(f"{source.name!r} has no point assignment",
                               key="edition",
                               hint="only build results folders carry assignment.parquet")
    limit = min(limit, limits.max_assignment_rows)
    page = source.assignment.slice(offset, limit)
    if format != "json":
        return table_response(page, format, filename(source.name, "assignment"))
    return json_response({"edition": source.name, "total": source.assignment.height,
                          "offset": offset, "rows": page.to_dicts()})
