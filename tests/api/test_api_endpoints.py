"""Every endpoint of the REST API, checked against the engine (`workflows`, full
`Composite.rebuild`) and the published GII 2023 order."""

from __future__ import annotations

import io
import json

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest

from techhubs import workflows
from techhubs.api import create_app
from techhubs.datasets import load_edition

TOP5 = ["Tokyo–Yokohama", "Shenzhen–Hong Kong–Guangzhou", "Seoul", "Beijing", "Shanghai–Suzhou"]


def pct_only_order() -> list[str]:
    values = load_edition("gii-2023").values.sort(
        ["pct_applications", "unit_id"], descending=[True, False])
    return values["unit_id"].to_list()


# ------------------------------------------------------------------ catalogue
def test_status(client):
    body = client.get("/api/status").json()
    assert body["default_edition"] == "gii-2023"
    assert body["limits"]["max_runs"] == 500


def test_editions_lists_bundled_and_results(client):
    body = client.get("/api/editions").json()
    kinds = {e["name"]: e["kind"] for e in body["editions"]}
    assert kinds["gii-2023"] == "edition"
    assert kinds["test-build"] == "results"
    csv = client.get("/api/editions?format=csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert 'filename="editions.csv"' in csv.headers["content-disposition"]
    assert pl.read_csv(io.BytesIO(csv.content))["name"].to_list() == list(kinds)


def test_methods_and_method_detail(client):
    names = [m["name"] for m in client.get("/api/methods").json()["methods"]]
    assert {"gii-clusters", "gii-intensity", "hub-factors"} <= set(names)
    detail = client.get("/api/methods/hub-factors").json()
    kinds = {n["code"]: n["kind"] for n in detail["nodes"]}
    assert kinds["index"] == "index" and kinds["people"] == "pillar"
    assert kinds["talent"] == "indicator"
    assert detail["steps"]["normalise"]["method"] == "minmax"
    # Against an edition, the tree is the fitted one: vc_deals (optional) is dropped.
    fitted = client.get("/api/methods/gii-clusters?edition=gii-2023").json()
    assert [n["code"] for n in fitted["nodes"] if n["kind"] == "indicator"] == [
        "pct_applications", "scientific_publications"]
    listed = {m["name"]: m for m in client.get("/api/methods?edition=gii-2023").json()["methods"]}
    assert listed["gii-clusters"]["applicable"] and listed["gii-intensity"]["applicable"]
    assert not listed["hub-factors"]["applicable"]
    assert "talent" in listed["hub-factors"]["reason"]
    table = client.get("/api/methods/gii-clusters?format=parquet")
    assert pq.read_table(io.BytesIO(table.content)).num_rows == 4


# ------------------------------------------------------------------ rankings
def test_rankings_match_the_engine_and_the_published_order(client):
    body = client.get("/api/rankings?edition=gii-2023").json()
    names = [r["name"] for r in body["rows"]]
    assert names[:5] == TOP5
    assert names == workflows.rank("gii-2023").names()
    assert body["n_units"] == 34
    assert [r["published_rank"] for r in body["rows"]] == list(range(1, 35))
    assert body["provenance"]["edition"] == "gii-2023"


def test_rankings_filters(client):
    us = client.get("/api/rankings?economy=us").json()["rows"]
    assert us and all("US" in r["economies"] for r in us)
    assert [r["rank"] for r in us] == sorted(r["rank"] for r in us)
    top = client.get("/api/rankings?top=3").json()
    assert [r["rank"] for r in top["rows"]] == [1, 2, 3]
    assert top["n_units"] == 34
    assert client.get("/api/rankings?economy=ZZ").json()["rows"] == []


def test_rankings_weights_permalink_is_the_pct_only_order(client):
    body = client.get("/api/rankings?weights=scientific_publications:0").json()
    assert [r["unit_id"] for r in body["rows"]] == pct_only_order()
    assert body["weights"]["scientific_publications"] == 0
    assert body["provenance"]["what_if"]["weights"] == {"scientific_publications": 0.0}


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_rankings_exports_hold_the_json_rows(client, fmt):
    rows = client.get("/api/rankings?top=10").json()["rows"]
    response = client.get(f"/api/rankings?top=10&format={fmt}")
    assert response.status_code == 200
    assert f'filename="gii-2023-gii-clusters-top10.{fmt}"' in \
        response.headers["content-disposition"]
    if fmt == "csv":
        table = pl.read_csv(io.BytesIO(response.content))
        assert table["economies"].to_list()[1] == "CN/HK"
    else:
        arrow = pq.read_table(io.BytesIO(response.content))
        meta = json.loads(arrow.schema.metadata[b"techhubs.provenance"])
        assert meta["edition"] == "gii-2023"
        table = pl.from_arrow(arrow)
    assert table["unit_id"].to_list() == [r["unit_id"] for r in rows]
    assert np.allclose(table["score"].to_numpy(), [r["score"] for r in rows])


# -------------------------------------------------------------------- rerank
def test_rerank_publications_zero_is_the_pct_only_order(client):
    body = client.post("/api/rerank", json={
        "edition": "gii-2023", "weights": {"scientific_publications": 0}}).json()
    assert [r["unit_id"] for r in body["rows"]] == pct_only_order()
    base = workflows.fit("gii-2023")
    base_rank = dict(zip(base.panel_.unit_ids, base.rank_.astype(int).tolist(), strict=True))
    assert all(r["base_rank"] == base_rank[r["unit_id"]] for r in body["rows"])
    assert body["weights"] == {"pct_applications": 1.0, "scientific_publications": 0.0}
    seoul = next(r for r in body["rows"] if r["unit_id"] == "seoul")
    assert seoul["latitude"] == pytest.approx(37.566, abs=0.01)


def test_rerank_default_weights_equal_the_ranking(client):
    body = client.post("/api/rerank", json={}).json()
    assert [r["name"] for r in body["rows"]] == workflows.rank().names()
    assert all(r["rank"] == r["base_rank"] for r in body["rows"])
    assert body["intervals"] is None


@pytest.fixture(scope="module")
def synthetic_client():
    from fastapi.testclient import TestClient

    return TestClient(create_app(synthetic=(60, 23), editions=False), base_url="http://localhost")


def _rebuild_ranks(client, **steps) -> dict[str, int]:
    from techhubs.api._synthetic import synthetic_methodology, synthetic_panel
    from techhubs.index import Composite
    from techhubs.methodology import methodology_from_dict

    base = Composite(methodology_from_dict(synthetic_methodology(23))).fit(
        synthetic_panel(60, 23))
    variant = base.rebuild(**steps) if steps else base
    # a fit from the raw panel, not the rebuild's reuse of cached steps
    fresh = Composite(variant.methodology_).fit(base.panel_)
    return dict(zip(fresh.panel_.unit_ids, fresh.rank_.astype(int).tolist(), strict=True))


@pytest.mark.parametrize("case", [
    {"weights": {"x003": 0.0, "x011": 5.0, "p01": 3.0}},
    {"weights": {"p00": 0.0}},
    {"normalisation": "zscore"},
    {"aggregation": "copeland"},
])
def test_rerank_equals_a_full_rebuild(synthetic_client, case):
    body = synthetic_client.post("/api/rerank", json=case).json()
    steps = {}
    if "weights" in case:
        steps["weights"] = case["weights"]
    if "normalisation" in case:
        steps["normalise"] = {"method": case["normalisation"]}
    if "aggregation" in case:
        steps["aggregate"] = {"method": case["aggregation"]}
    expected = _rebuild_ranks(synthetic_client, **steps)
    assert {r["unit_id"]: r["rank"] for r in body["rows"]} == expected
    assert body["n_units"] == 60


def test_rerank_exports(client):
    response = client.post("/api/rerank?format=csv",
                           json={"weights": {"scientific_publications": 0}})
    table = pl.read_csv(io.BytesIO(response.content))
    assert table["unit_id"].to_list() == pct_only_order()
    assert "whatif.csv" in response.headers["content-disposition"]


def test_rerank_intervals(client):
    response = client.post("/api/rerank", json={
        "weights": {"scientific_publications": 0.5},
        "intervals": {"runs": 100, "weight_uncertainty": 0.3, "seed": 4}})
    body = response.json()
    assert body["intervals"] == {"runs": 100, "weight_uncertainty": 0.3, "seed": 4}
    for row in body["rows"]:
        assert 1 <= row["rank_p05"] <= row["median_rank"] <= row["rank_p95"] <= 34
        assert 0 <= row["p_top10"] <= 1
    # The intervals are the robustness layer's, for the what-if weights.
    from techhubs.index import Composite
    from techhubs.robustness import UncertaintySpec, rank_intervals

    base = Composite("gii-clusters").fit(load_edition("gii-2023"))
    reference = rank_intervals(base.rebuild(weights={"scientific_publications": 0.5}),
                               UncertaintySpec(weights=0.3), runs=100, seed=4).table
    expected = {r["unit_id"]: (r["rank_p05"], r["rank_p95"]) for r in reference.to_dicts()}
    assert {r["unit_id"]: (r["rank_p05"], r["rank_p95"]) for r in body["rows"]} == expected
    again = client.post("/api/rerank", json={
        "weights": {"scientific_publications": 0.5},
        "intervals": {"runs": 100, "weight_uncertainty": 0.3, "seed": 4}}).json()
    assert again["rows"] == body["rows"]


# ------------------------------------------------------------------- profile
def test_unit_profile(client):
    body = client.get("/api/units/seoul").json()
    assert body["name"] == "Seoul" and body["rank"] == 3 and body["n_units"] == 34
    assert body["members"] == ["Seoul"]
    codes = [c["code"] for c in body["components"]]
    assert codes == ["pct_applications", "scientific_publications"]
    total = sum(c["contribution"] for c in body["components"])
    assert total == pytest.approx(body["score"])
    ranks = {(p["ranking"], p["rank"]) for p in body["published_ranks"]}
    assert ("gii-2023", 3) in ranks and ("gii-2024", 4) in ranks
    assert any(f["source"] and "patent" in f["statement"] for f in body["facts"])
    verdicts = {f["fact"]: f["status"] for f in body["facts"]}
    assert verdicts["pct_share_pct"] == "supported"  # 5.4% of the world's patents (GII 2025)
    assert verdicts["innovation_district"] == "contradicted"  # Daedeok is in Daejeon
    assert body["above"]["name"] == "Shenzhen–Hong Kong–Guangzhou"
    by_name = client.get("/api/units/Seoul").json()
    assert by_name["unit_id"] == "seoul"
    csv = client.get("/api/units/seoul?format=csv")
    assert pl.read_csv(io.BytesIO(csv.content))["code"].to_list() == codes


def test_unit_profile_follows_the_what_if(client):
    """The profile of the ranking on screen: with what-if weights, the unit's rank and
    score are the what-if's (as the table shows), not the method's own."""
    what_if = client.post("/api/rerank", json={"weights": {"scientific_publications": 0}}
                          ).json()
    row = next(r for r in what_if["rows"] if r["unit_id"] == "beijing")
    profile = client.get("/api/units/beijing?weights=scientific_publications:0").json()
    assert (profile["rank"], profile["score"]) == (row["rank"], pytest.approx(row["score"]))
    assert profile["weights"]["scientific_publications"] == 0
    own = client.get("/api/units/beijing").json()
    assert own["rank"] == 4 and profile["rank"] == pct_only_order().index("beijing") + 1
    pair = client.get("/api/compare?a=beijing&b=seoul&weights=scientific_publications:0"
                      ).json()
    assert pair["a"]["rank"] == profile["rank"]
    bad = client.get("/api/units/beijing?weights=nope:1")
    assert bad.status_code == 404 and bad.json()["key"] == "weights.nope"


def test_unit_profile_published_name_with_state(client):
    body = client.get("/api/units/san-jose-san-francisco").json()
    gii = [p for p in body["published_ranks"] if p["ranking"] == "gii-2023"]
    assert gii[0]["rank"] == 6 and gii[0]["match_confidence"] >= 0.9
    # "San Francisco – Silicon Valley, USA" is the same hub, by the compare layer.
    article = [p for p in body["published_ranks"] if p["ranking"] == "article-most-advanced-2025"]
    assert article[0]["rank"] == 3


def test_compare(client):
    body = client.get("/api/compare?a=seoul&b=beijing").json()
    assert body["a"]["name"] == "Seoul" and body["b"]["name"] == "Beijing"
    for row in body["rows"]:
        assert row["difference"] == pytest.approx(row["a_normalised"] - row["b_normalised"])
    csv = client.get("/api/compare?a=seoul&b=beijing&format=csv")
    assert "seoul-vs-beijing" in csv.headers["content-disposition"]


# ----------------------------------------------------------------------- geo
def test_clusters_geojson_of_an_edition(client):
    body = client.get("/api/clusters.geojson?edition=gii-2023").json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 34
    first = body["features"][0]
    assert first["properties"]["rank"] == 1 and first["properties"]["name"] == "Tokyo–Yokohama"
    lon, lat = first["geometry"]["coordinates"]
    assert 139 < lon < 141 and 35 < lat < 36.5
    table = pl.read_csv(io.BytesIO(client.get("/api/clusters.geojson?format=csv").content))
    assert table.height == 34 and {"longitude", "latitude", "rank"} <= set(table.columns)


def test_results_folder_is_served(client):
    ranking = client.get("/api/rankings?edition=test-build").json()
    reference = client.get("/api/rankings?edition=gii-2023").json()
    assert [r["unit_id"] for r in ranking["rows"]] == [r["unit_id"] for r in reference["rows"]]
    geo = client.get("/api/clusters.geojson?results=test-build").json()
    assert len(geo["features"]) == 34
    first = geo["features"][0]
    assert first["properties"]["unit_id"] == "tokyo-yokohama"
    assert first["properties"]["rank"] == 1 and first["geometry"]["type"] == "Polygon"
    editions = {e["name"]: e for e in client.get("/api/editions").json()["editions"]}
    assert editions["test-build"]["title"] == "Test build from the GII 2023 figures"
    assert editions["test-build"]["default_method"] == "gii-clusters"
    seoul = next(r for r in client.post("/api/rerank", json={"edition": "test-build"}).json()[
        "rows"] if r["unit_id"] == "seoul")
    assert seoul["latitude"] == pytest.approx(37.566, abs=0.01)  # from the centroid
    page = client.get("/api/assignment?edition=test-build&limit=5&offset=2").json()
    assert page["total"] > 34 and page["offset"] == 2 and len(page["rows"]) == 5
    profile = client.get("/api/units/seoul?edition=test-build").json()
    assert profile["members"] == ["Seoul"] and profile["rank"] == 3
    parquet = client.get("/api/assignment?edition=test-build&format=parquet")
    assert pq.read_table(io.BytesIO(parquet.content)).num_rows == page["total"]  # < 1000


# ----------------------------------------------------------------- dashboard
def test_dashboard_and_static_files(client):
    page = client.get("/")
    assert page.status_code == 200 and 'type="module"' in page.text
    assert client.head("/").status_code == 200
    js = client.get("/static/js/app.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    atlas = client.get("/static/vendor/countries-110m.json").json()
    assert atlas["type"] == "Topology" and "countries" in atlas["objects"]
    assert client.get("/static/vendor/topojson-client.min.js").status_code == 200
    # No CDN: every script and stylesheet the page names is served by the app itself.
    assert "http://" not in page.text and "https://" not in page.text
