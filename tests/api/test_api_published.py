"""The published-rankings endpoints give the same numbers as techhubs.compare."""

from __future__ import annotations

import io
import math

import polars as pl
import pytest

from techhubs.compare import (
    agreement_table,
    all_movers,
    check_claims,
    consensus_ranking,
    load_rankings,
    match_unit,
    resolve_hub,
)
from techhubs.datasets import load_edition

RANKINGS = ["gii-2025", "gii-2024", "gii-2023", "gii-2018", "article-most-advanced-2025",
            "article-high-tech-innovative", "article-top-high-tech-worldwide",
            "gii-2023-intensity", "gii-2024-intensity", "gii-2025-intensity"]


def same(a, b) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    return a == pytest.approx(b) if isinstance(a, float) else a == b


def test_published_rankings_lists_every_bundled_name(client):
    body = client.get("/api/published/rankings").json()
    reference = load_rankings()
    assert [r["ranking"] for r in body["rankings"]] == RANKINGS
    assert len(body["rows"]) == reference.height
    assert [r["name_as_published"] for r in body["rows"]] == reference[
        "name_as_published"].to_list()
    by = {r["ranking"]: r for r in body["rankings"]}
    assert by["gii-2025"]["n_names"] == 31 and by["gii-2025"]["ordered"]
    assert not by["article-high-tech-innovative"]["ordered"]
    assert all(r["n_unresolved"] == 0 for r in body["rankings"])
    # The hub identity: "Silicon Valley" and "San Jose–San Francisco" are one hub.
    keys = {r["name_as_published"]: r["hub_key"] for r in body["rows"]}
    sv = [k for n, k in keys.items() if n.startswith("Silicon Valley")]
    assert sv and set(sv) == {"san-jose-san-francisco"}


def test_published_rankings_filter_and_exports(client):
    body = client.get("/api/published/rankings?ranking=gii-2024,gii-2025").json()
    assert {r["ranking"] for r in body["rows"]} == {"gii-2024", "gii-2025"}
    gii25 = [r for r in body["rows"] if r["ranking"] == "gii-2025"]
    assert [r["rank"] for r in gii25] == sorted(r["rank"] for r in gii25)
    csv = client.get("/api/published/rankings?ranking=gii-2025&format=csv")
    assert csv.headers["content-disposition"].endswith('.csv"')
    frame = pl.read_csv(io.BytesIO(csv.content))
    assert frame["name_as_published"].to_list() == [r["name_as_published"] for r in gii25]
    parquet = client.get("/api/published/rankings?ranking=gii-2025&format=parquet")
    assert pl.read_parquet(io.BytesIO(parquet.content))["rank"].to_list() == [
        r["rank"] for r in gii25]


def test_agreement_matches_agreement_table(client):
    body = client.get("/api/published/agreement").json()
    reference = agreement_table()
    assert body["rankings"] == RANKINGS and body["p"] == 0.9
    pairs = reference["pairs"].to_dicts()
    assert len(body["pairs"]) == len(pairs) == 45
    for got, want in zip(body["pairs"], pairs, strict=True):
        for key in ("ranking_a", "ranking_b", "n_a", "n_b", "n_common", "common"):
            assert got[key] == want[key]
        assert same(got["kendall_tau_b"], want["kendall_tau_b"])
        assert same(got["rbo"], want["rbo"])
    tau = reference["tau"]
    for row in tau.iter_rows(named=True):
        for other in RANKINGS:
            assert same(body["tau"][row["ranking"]][other], row[other])
    # GII 2023 vs 2024: 43/45 agreeing-minus-disagreeing pairs, hand-counted.
    assert body["tau"]["gii-2023"]["gii-2024"] == pytest.approx(43 / 45)
    assert body["common"]["gii-2025"]["gii-2024"] == 11
    assert body["common"]["gii-2023"]["gii-2023"] == 34  # a list shares all its hubs
    for row in reference["common"].iter_rows(named=True):
        for other in RANKINGS:
            assert body["common"][row["ranking"]][other] == int(row[other])
    assert body["tau"]["article-high-tech-innovative"]["gii-2025"] is None  # unranked
    assert body["unresolved"] == []
    assert [d["ranking"] for d in body["dropped"]] == ["article-top-high-tech-worldwide"]


def test_agreement_of_one_list_has_its_diagonal(client):
    body = client.get("/api/published/agreement?rankings=gii-2024").json()
    assert body["pairs"] == []
    assert body["tau"] == {"gii-2024": {"gii-2024": 1.0}}
    assert body["common"] == {"gii-2024": {"gii-2024": 16}}


def test_agreement_subset_p_and_csv(client):
    body = client.get("/api/published/agreement?rankings=gii-2024,gii-2025&p=0.5").json()
    reference = agreement_table(["gii-2024", "gii-2025"], p=0.5)
    assert body["rankings"] == ["gii-2024", "gii-2025"]
    (pair,) = body["pairs"]
    assert pair["rbo"] == pytest.approx(reference["pairs"]["rbo"][0])
    assert pair["p"] == 0.5
    assert pair["rbo"] != pytest.approx(
        client.get("/api/published/agreement?rankings=gii-2024,gii-2025").json()[
            "pairs"][0]["rbo"])
    csv = pl.read_csv(io.BytesIO(client.get(
        "/api/published/agreement?rankings=gii-2024,gii-2025&format=csv").content))
    assert csv["kendall_tau_b"][0] == pytest.approx(pair["kendall_tau_b"])


@pytest.mark.parametrize("method", ["borda", "schulze", "kemeny"])
def test_consensus_matches_consensus_ranking(client, method):
    body = client.get(f"/api/published/consensus?method={method}").json()
    reference = consensus_ranking(method=method)
    assert body["method"] == method
    assert [r["item"] for r in body["rows"]] == reference.order
    assert [r["rank"] for r in body["rows"]] == reference.table["rank"].to_list()
    assert [r["lists_containing"] for r in body["rows"]] == reference.table[
        "lists_containing"].to_list()
    assert [r["lists_at_or_above"] for r in body["rows"]] == reference.table[
        "lists_at_or_above"].to_list()
    # Two of the ten bundled lists are unranked: left out unless asked for.
    assert body["n_lists"] == 8 and body["description"] == reference.description
    assert len(body["params"]["unranked_left_out"]) == 2
    assert body["score"] == reference.score_label
    tied = client.get(f"/api/published/consensus?method={method}&unranked=tied").json()
    assert tied["n_lists"] == 10 and tied["params"]["unranked_left_out"] == []
    if method == "kemeny":
        # 50+ hubs: beyond the exact dynamic programme, and the answer says so.
        assert body["variant"] == "approximation"
        assert "approximation" in body["description"]
    else:
        assert body["variant"] is None


def test_consensus_small_kemeny_is_exact(client):
    url = "/api/published/consensus?method=kemeny&rankings=article-most-advanced-2025"
    body = client.get(url).json()
    assert body["variant"] == "exact" and body["params"]["exact"] is True
    reference = consensus_ranking(["article-most-advanced-2025"], method="kemeny")
    assert [r["item"] for r in body["rows"]] == reference.order
    assert body["rows"][0]["item"] == "shenzhen-hong-kong-guangzhou"


def test_consensus_options_and_exports(client):
    zero = client.get("/api/published/consensus?method=borda&unlisted=zero").json()
    assert [r["score"] for r in zero["rows"]] == pytest.approx(
        consensus_ranking(method="borda", unlisted="zero").table["score"].to_list())
    listed = client.get("/api/published/consensus?method=schulze&pairs=listed").json()
    assert [r["item"] for r in listed["rows"]] == consensus_ranking(
        method="schulze", pairs="listed").order
    parquet = client.get("/api/published/consensus?method=schulze&format=parquet")
    assert parquet.headers["content-type"] == "application/vnd.apache.parquet"
    frame = pl.read_parquet(io.BytesIO(parquet.content))
    assert frame["item"].to_list() == consensus_ranking(method="schulze").order


def test_movers_gii_2024_to_2025(client):
    body = client.get("/api/published/movers?from=gii-2024&to=gii-2025").json()
    assert body["pairs"] == [["gii-2024", "gii-2025"]]
    rows = {r["name"]: r for r in body["rows"]}
    london = rows["London"]
    assert (london["rank_before"], london["rank_after"], london["change"]) == (21, 8, 13)
    assert london["source"].startswith("note of gii-2025")
    reference = all_movers(pairs=[("gii-2024", "gii-2025")])
    assert [r["change"] for r in body["rows"]] == reference["change"].to_list()
    assert [r["rank_before"] for r in body["rows"]] == reference["rank_before"].to_list()


def test_movers_every_pair_and_csv(client):
    body = client.get("/api/published/movers").json()
    reference = all_movers()
    assert len(body["rows"]) == reference.height
    assert ["gii-2024", "gii-2025"] in body["pairs"]
    csv = pl.read_csv(io.BytesIO(client.get(
        "/api/published/movers?from=gii-2024&to=gii-2025&format=csv").content))
    assert csv.filter(pl.col("name") == "London")["rank_before"][0] == 21


def test_claims_match_check_claims(client):
    body = client.get("/api/published/claims?edition=gii-2023").json()
    reference = check_claims(edition="gii-2023", ranking="gii-2025")
    assert [r["status"] for r in body["rows"]] == reference["status"].to_list()
    assert [r["figures"] for r in body["rows"]] == reference["figures"].to_list()
    assert body["counts"] == {s: int((reference["status"] == s).sum())
                              for s in ("supported", "contradicted", "not checkable")}
    seoul = next(r for r in body["rows"] if r["place"] == "Seoul"
                 and r["fact"] == "patent_filings")
    assert seoul["status"] == "contradicted"
    assert "127,418" in seoul["figures"] and "63,447" in seoul["figures"]
    assert seoul["explanation"]
    only = client.get("/api/published/claims?status=contradicted").json()
    assert {r["status"] for r in only["rows"]} == {"contradicted"}
    assert len(only["rows"]) == body["counts"]["contradicted"]
    csv = pl.read_csv(io.BytesIO(client.get("/api/published/claims?format=csv").content))
    assert csv["status"].to_list() == reference["status"].to_list()


def test_claims_against_another_ranking(client):
    body = client.get("/api/published/claims?ranking=gii-2024").json()
    reference = check_claims(ranking="gii-2024")
    assert [r["status"] for r in body["rows"]] == reference["status"].to_list()
    assert body["ranking"] == "gii-2024"


@pytest.mark.parametrize("name", ["Silicon Valley", "San Jose–San Francisco, CA",
                                  "Daedeok Innopolis", "Xyzzy Qwerty"])
def test_resolve_matches_resolve_hub(client, name):
    body = client.get("/api/resolve", params={"name": name}).json()
    hub = resolve_hub(name)
    match = match_unit(hub, load_edition("gii-2023"))
    assert body["key"] == hub.key and body["method"] == hub.method
    assert [p["geonameid"] for p in body["places"]] == [p.geonameid for p in hub.places]
    assert body["confidence"] == pytest.approx(hub.confidence)
    assert body["explanation"] == hub.explanation
    assert body["unit_id"] == match.unit_id
    assert body["match_explanation"] == match.explanation


def test_resolve_edition_match_and_economy(client):
    sv = client.get("/api/resolve?name=Silicon%20Valley").json()
    assert sv["unit_id"] == "san-jose-san-francisco" and sv["resolved"]
    assert sv["edition"] == "gii-2023"
    assert client.get("/api/resolve?name=Paris").json()["places"][0]["country_code"] == "FR"
    us = client.get("/api/resolve?name=Paris&economy=us").json()
    assert us["places"][0]["country_code"] == "US" and us["economies"] == ["US"]
    nothing = client.get("/api/resolve?name=Xyzzy%20Qwerty").json()
    assert not nothing["resolved"] and nothing["places"] == [] and nothing["unit_id"] is None
    csv = pl.read_csv(io.BytesIO(client.get(
        "/api/resolve?name=Silicon%20Valley&format=csv").content))
    assert csv["geonameid"].to_list() == [p["geonameid"] for p in sv["places"]]


ERRORS = [
    ("/api/published/rankings?ranking=gii-1999", 404, "ranking"),
    ("/api/published/rankings?edition=gii-1999", 404, "edition"),
    ("/api/published/rankings?ranking=gii-2025,,gii-2024", 422, "ranking"),
    ("/api/published/agreement?rankings=gii-2025,nope", 404, "rankings"),
    ("/api/published/agreement?p=1", 422, "p"),
    ("/api/published/agreement?p=0", 422, "p"),
    ("/api/published/agreement?p=abc", 422, "p"),
    ("/api/published/agreement?edition=../../etc/passwd", 404, "edition"),
    ("/api/published/consensus?method=copeland", 422, "method"),
    ("/api/published/consensus?rankings=article-high-tech-innovative", 409, "unranked"),
    ("/api/published/consensus?rankings=nope", 404, "rankings"),
    ("/api/published/consensus?unlisted=half", 422, "unlisted"),
    ("/api/published/consensus?pairs=some", 422, "pairs"),
    ("/api/published/movers?from=gii-2025", 404, "from"),  # no later edition
    ("/api/published/movers?to=gii-2018", 404, "to"),  # no earlier edition
    ("/api/published/movers?from=gii-1999&to=gii-2025", 404, "from"),
    ("/api/published/movers?from=gii-2024&to=gii-2099", 404, "to"),
    ("/api/published/movers?from=gii-2024&to=article-high-tech-innovative", 422, "to"),
    ("/api/published/movers?from=gii-2024&to=gii-2024", 422, "to"),
    ("/api/published/claims?edition=gii-1999", 404, "edition"),
    ("/api/published/claims?ranking=nope", 404, "ranking"),
    ("/api/published/claims?status=maybe", 422, "status"),
    ("/api/resolve", 422, "name"),
    ("/api/resolve?name=", 422, "name"),
    ("/api/resolve?name=%20%20", 422, "name"),
    ("/api/resolve?name=Paris&economy=France", 422, "economy"),
    ("/api/resolve?name=Paris&max_km=0", 422, "max_km"),
    ("/api/resolve?name=Paris&edition=nowhere", 404, "edition"),
    ("/api/published/consensus?format=xlsx", 422, "format"),
]


def test_movers_with_one_side_compare_with_the_neighbouring_edition(client):
    for url in ("/api/published/movers?from=gii-2024", "/api/published/movers?to=gii-2025"):
        body = client.get(url).json()
        assert body["pairs"] == [["gii-2024", "gii-2025"]], url


@pytest.mark.parametrize(("url", "status", "key"), ERRORS)
def test_published_errors(client, url, status, key):
    response = client.get(url)
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "message", "key", "hint"}
    assert body["key"] == key and body["message"]
    if status == 404:
        assert body["error"] == "UnknownNameError" and body["hint"]


def test_published_endpoints_are_read_only(client):
    for path in ("/api/published/rankings", "/api/published/agreement",
                 "/api/published/consensus", "/api/published/movers",
                 "/api/published/claims", "/api/resolve"):
        assert client.post(path).status_code == 405


def test_answers_are_cached(client):
    from techhubs.views import published

    url = "/api/published/consensus?method=schulze&rankings=gii-2023,gii-2024"
    first = client.get(url).json()
    hits = published.consensus_view.cache_info().hits
    assert client.get(url).json() == first
    assert published.consensus_view.cache_info().hits == hits + 1
