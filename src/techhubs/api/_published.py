"""Routes tagged ``published``: the bundled published rankings, their agreement,
consensus and movers, article claims checked, and name resolution. Deterministic
answers, cached in :mod:`techhubs.views.published`."""

from __future__ import annotations

from typing import Annotated, Literal

import polars as pl
from fastapi import APIRouter, Query
from starlette.responses import Response

from techhubs.api._deps import FormatQ, economy_code, filename, responses
from techhubs.api._export import (
    json_response,
    json_table_response,
    rows_table,
    table_response,
)
from techhubs.api._schemas import (
    AgreementResponse,
    ClaimsResponse,
    ConsensusResponse,
    MoversResponse,
    PublishedRankings,
    ResolveResponse,
)
from techhubs.views import published as _published

router = APIRouter(tags=["published"])

RankingsQ = Annotated[str | None, Query(
    max_length=2000, description="published ranking ids, comma-separated (default: all; "
    "GET /api/published/rankings)")]
PubEditionQ = Annotated[str, Query(
    max_length=100, description="bundled edition whose units give hubs their identity")]
ConsensusMethod = Literal["borda", "schulze", "kemeny"]


@router.get("/api/published/rankings", responses=responses(PublishedRankings),
         summary="The bundled published rankings, each name resolved to a hub")
def get_published_rankings(
    ranking: Annotated[str | None, Query(max_length=2000, description=(
        "ranking ids, comma-separated (default: all)"))] = None,
    edition: PubEditionQ = "gii-2023", format: FormatQ = "json",
) -> Response:
    summary, rows = _published.published_rankings(ranking or None, edition)
    if format != "json":
        return table_response(rows, format, filename("published", ranking))
    return json_table_response({"edition": edition, "rankings": summary}, rows)

@router.get("/api/published/agreement", responses=responses(AgreementResponse),
                  summary="Pairwise agreement: Kendall tau-b, rank-biased overlap, common hubs")
def get_agreement(
    rankings: RankingsQ = None,
    p: Annotated[float, Query(gt=0.0, lt=1.0, description=(
        "persistence of rank-biased overlap (top-weightedness)"))] = 0.9,
    edition: PubEditionQ = "gii-2023", format: FormatQ = "json",
) -> Response:
    view = _published.agreement_view(_published.parse_rankings(rankings), p, edition)
    if format != "json":
        return table_response(view["pairs"], format, filename("agreement", f"p{p:g}"))
    return json_table_response({k: v for k, v in view.items() if k != "pairs"},
                               view["pairs"], key="pairs")

@router.get("/api/published/consensus", responses=responses(ConsensusResponse),
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
    unranked: Annotated[Literal["ignore", "tied"], Query(description=(
        "unranked lists (no order): left out, or counted as lists whose hubs tie"))
                        ] = "ignore",
    edition: PubEditionQ = "gii-2023", format: FormatQ = "json",
) -> Response:
    meta, table = _published.consensus_view(method, _published.parse_rankings(rankings),
                                            unlisted, pairs, edition, unranked)
    if format != "json":
        return table_response(table, format, filename("consensus", method), meta)
    return json_table_response(meta, table)

@router.get("/api/published/movers", responses=responses(MoversResponse),
         summary="Rank changes between two editions of a published ranking")
def get_movers(
    from_: Annotated[str | None, Query(alias="from", max_length=100, description=(
        "the earlier list, e.g. gii-2024 (alone: compared with the next edition; "
        "neither from nor to: every consecutive pair)"))] = None,
    to: Annotated[str | None, Query(max_length=100, description=(
        "the later list, e.g. gii-2025 (alone: compared with the previous edition)"))
                  ] = None,
    edition: PubEditionQ = "gii-2023", format: FormatQ = "json",
) -> Response:
    table = _published.movers_view(from_ or None, to or None, edition)
    if format != "json":
        return table_response(table, format, filename("movers", from_, to))
    pairs = [list(p) for p in dict.fromkeys(
        zip(table["before"].to_list(), table["after"].to_list(), strict=True))]
    return json_table_response({"edition": edition, "pairs": pairs}, table)

@router.get("/api/published/claims", responses=responses(ClaimsResponse),
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
        return table_response(table, format, filename("claims", edition, status))
    return json_table_response({"edition": edition, "ranking": ranking,
                                "counts": counts}, table)

@router.get("/api/resolve", responses=responses(ResolveResponse),
         summary="A place name resolved to a hub and matched to an edition's unit")
def get_resolve(
    name: Annotated[str, Query(min_length=1, max_length=200, description=(
        "a name as published, e.g. Silicon Valley"))],
    edition: PubEditionQ = "gii-2023",
    economy: Annotated[str | None, Query(
        max_length=200, pattern=r"^(?:[A-Za-z]{2}(?:,[A-Za-z]{2})*)?$", description=(
            "prefer places in these economies: ISO 3166 alpha-2 codes, comma-separated"))
                       ] = None,
    max_km: Annotated[float, Query(gt=0.0, le=1000.0, description=(
        "proximity limit for matching the hub to a unit"))] = 30.0,
    format: FormatQ = "json",
) -> Response:
    economies = tuple(e for e in (economy_code(x) for x in (economy or "").split(",")) if e)
    data = _published.resolve_view(name, edition, economies, max_km)
    if format != "json":
        return table_response(rows_table(data["places"]), format,
                              filename("resolve", name))
    return json_response(data)

