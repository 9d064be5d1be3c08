"""Routes tagged ``catalogue``: server status, editions served, methods."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from techhubs._version import __version__
from techhubs.api._deps import EditionQ, FormatQ, filename, limits_of, responses, store_of
from techhubs.api._export import json_response, rows_table, table_response
from techhubs.api._schemas import EditionList, MethodDetail, MethodList, Status
from techhubs.errors import TechhubsError, UnknownNameError
from techhubs.methodology import STEPS

router = APIRouter(tags=["catalogue"])


@router.get("/api/status", responses={200: {"model": Status}},
            summary="Version, default edition and limits of this server")
async def get_status(request: Request) -> Response:
    store = store_of(request)
    limits = limits_of(request)
    return json_response({
        "version": __version__, "default_edition": store.default_source,
        "limits": {"max_body_bytes": limits.max_body_bytes, "max_runs": limits.max_runs},
    })


@router.get("/api/editions", responses=responses(EditionList),
            summary="Bundled editions and build results served")
def get_editions(request: Request, format: FormatQ = "json") -> Response:
    store = store_of(request)
    rows = [s.to_dict() for s in store.sources.values()]
    if format == "json":
        return json_response({"editions": rows})
    return table_response(rows_table([{k: v if not isinstance(v, list | dict)
                                       else json.dumps(v) for k, v in r.items()}
                                      for r in rows]), format, "editions")


@router.get("/api/methods", responses=responses(MethodList),
            summary="Ranking methods (methodology presets)")
def get_methods(request: Request, edition: EditionQ = None, format: FormatQ = "json"
                ) -> Response:
    store = store_of(request)
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


@router.get("/api/methods/{name}", responses=responses(MethodDetail),
            summary="A method's indicator tree, weights and steps")
def get_method(name: str, request: Request, edition: EditionQ = None,
               format: FormatQ = "json") -> Response:
    store = store_of(request)
    source = store.source(edition) if edition else None
    m = store.methodology(name, source)
    applicable: bool | None = None
    reason = None
    if source is not None:
        # The tree as fitted to this edition (optional indicators it lacks dropped), or,
        # when the method cannot rank it, the method as written and the reason.
        try:
            m = store.fitted(source.name, name).methodology
            applicable = True
        except UnknownNameError:
            raise
        except TechhubsError as exc:
            applicable, reason = False, exc.message
    nodes = []
    for n in m.nodes:
        kind = "indicator" if n.is_indicator else ("index" if n.parent is None else "pillar")
        nodes.append({
            "code": n.code, "name": n.name, "parent": n.parent, "weight": n.weight,
            "kind": kind, "direction": n.direction, "unit": n.unit, "source": n.source,
            "aggregation": None if n.is_indicator else m.aggregation_for(n).method,
        })
    if format != "json":
        return table_response(rows_table(nodes), format, filename("method", name))
    steps = {s: getattr(m, s).model_dump() for s in STEPS}
    return json_response({"name": name, "title": m.title,
                          "description": " ".join(m.description.split()),
                          "nodes": nodes, "steps": steps, "applicable": applicable,
                          "reason": reason})
