"""Hub factors from open layers. References: an independent haversine computation of every
assignment (numpy, the Earth radius of techhubs.geo.sphere), ROR's own coordinates
(``../shared/data/ror/organizations.csv``), and small hand-made layers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from tests.conftest import shared_file

from techhubs.cli import main
from techhubs.errors import DataError
from techhubs.geo.sphere import EARTH_RADIUS_KM
from techhubs.indicators.enrich import enrich, member_places, parse_layer


def haversine(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    a = (np.sin((p2 - p1) / 2) ** 2
         + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def check_assignment(assignment: pl.DataFrame, places: pl.DataFrame, radius: float,
                     points: pl.DataFrame) -> None:
    """Each assigned point: within radius of its hub's nearest place, and no other hub has a
    nearer place; each point not assigned: no place within radius."""
    plat, plon = places["latitude"].to_numpy(), places["longitude"].to_numpy()
    owner = places["unit_id"].to_list()
    assigned = dict(zip(assignment["id"], assignment["unit_id"], strict=True))
    for pid, lat, lon in points.select("id", "latitude", "longitude").iter_rows():
        d = haversine(lat, lon, plat, plon)
        k = int(np.argmin(d))
        if d[k] <= radius:
            nearest = {owner[j] for j in np.flatnonzero(d == d[k])}
            assert assigned.get(pid) in nearest, (pid, assigned.get(pid), nearest)
        else:
            assert pid not in assigned, pid


def test_hand_made_layer(tmp_path: Path) -> None:
    places = member_places("gii-2023")
    paris = places.filter(pl.col("place") == "Paris").row(0, named=True)
    # three points near Paris (1, 10 and 40 km north), one in the Atlantic
    rows = [("a", paris["latitude"] + 0.009, paris["longitude"], 1.0),
            ("b", paris["latitude"] + 0.09, paris["longitude"], 2.0),
            ("c", paris["latitude"] + 0.36, paris["longitude"], 4.0),
            ("d", 40.0, -40.0, 8.0)]
    points = pl.DataFrame(rows, schema=["id", "latitude", "longitude", "weight"], orient="row")
    points.with_columns(pl.lit("vc").alias("source")).write_parquet(tmp_path / "p.parquet")
    result = enrich("gii-2023", [f"deals=points:{tmp_path / 'p.parquet'}"], radius_km=25)
    hubs = result.hubs
    assert hubs.filter(pl.col("unit_id") == paris["unit_id"])["deals"].item() == 3.0
    assert hubs["deals"].sum() == 3.0 and result.outside == {"deals": 2}
    assert sorted(result.assignment["id"]) == ["a", "b"]
    check_assignment(result.assignment, places, 25, points)
    assert hubs.height == 34 and hubs["population"].min() > 0


def test_layer_syntax_errors() -> None:
    assert parse_layer("institutions=ror:data/o.csv") == ("institutions", "ror", "data/o.csv")
    for bad in ("institutions", "institutions=ror", "=ror:x", "9x=ror:x"):
        with pytest.raises(DataError, match="layer"):
            parse_layer(bad)


@pytest.mark.shared
def test_ror_institutions_on_gii_2023_hubs(tmp_path: Path, capsys) -> None:
    ror = shared_file("data/ror/organizations.csv")
    out = tmp_path / "hubs.csv"
    code = main(["enrich", "--edition", "gii-2023", "--layer", f"institutions=ror:{ror}",
                 "--out", str(out), "--assignment", str(tmp_path / "a.parquet")])
    assert code == 0, capsys.readouterr().err
    hubs = pl.read_csv(out)
    assert hubs.height == 34
    assert (hubs["institutions"] > 0).sum() >= 30
    assert {"institutions_education", "institutions_facility"} <= set(hubs.columns)
    assignment = pl.read_parquet(tmp_path / "a.parquet")
    assert assignment["id"].n_unique() == assignment.height  # nobody counted twice
    from techhubs.sources.ror import RorReader

    points = RorReader().read(ror).points
    check_assignment(assignment, member_places("gii-2023"), 25.0, points)
    assert hubs["institutions"].sum() == assignment["weight"].sum()
    assert (tmp_path / "hubs.csv.provenance.json").exists()


def test_a_radius_that_is_not_positive_is_refused(tmp_path: Path, capsys) -> None:
    pl.DataFrame({"latitude": [48.9], "longitude": [2.35], "weight": [1.0],
                  "source": ["vc"]}).write_parquet(tmp_path / "p.parquet")
    code = main(["enrich", "--layer", f"d=points:{tmp_path / 'p.parquet'}", "--radius-km", "0",
                 "--out", str(tmp_path / "h.csv")])
    assert code == 2 and "radius" in capsys.readouterr().err
    assert not (tmp_path / "h.csv").exists()


def nearest_hub(points: pl.DataFrame, places: pl.DataFrame, order: list[str],
                radius: float) -> list[str | None]:
    """Each point's hub by brute force: the hub (first listed on a tie) of the nearest
    member place, if within radius."""
    plat, plon = places["latitude"].to_numpy(), places["longitude"].to_numpy()
    rank = {u: k for k, u in enumerate(order)}
    owner = np.array([rank[u] for u in places["unit_id"]])
    d = haversine(points["latitude"].to_numpy()[:, None], points["longitude"].to_numpy()[:, None],
                  plat[None, :], plon[None, :])
    best = d.min(axis=1)
    out: list[str | None] = []
    for i, b in enumerate(best):
        out.append(order[int(owner[d[i] == b].min())] if b <= radius else None)
    return out


@pytest.mark.shared
def test_vc_deals_make_gii_clusters_a_three_share_ranking(tmp_path: Path, capsys) -> None:
    """GII 2025-style: each hub's score is its share of the world's PCT applications, of its
    publications and of the deals of the layer, in per cent, summed; checked by hand."""
    rounds = shared_file("data/crunchbase-2013/rounds.csv")
    out = tmp_path / "hubs.csv"
    assert main(["enrich", "--layer", f"vc_deals=crunchbase:{rounds}", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["rank", "--data", str(out), "--format", "csv"]) == 0
    ranked = pl.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert ranked.height == 34 and ranked["rank"].null_count() == 0
    assert "vc_deals" in ranked.columns

    from techhubs.sources.crunchbase import CrunchbaseReader

    result = CrunchbaseReader().read([rounds])
    points = result.points
    world_deals = points.height  # every located round, in a hub or not
    assert world_deals == result.report.records_used == 31_219
    places = member_places("gii-2023")
    edition = pl.read_csv(out).select("unit_id", "pct_applications", "scientific_publications")
    order = edition["unit_id"].to_list()
    owners = nearest_hub(points, places, order, 25.0)
    deals = {u: owners.count(u) for u in order}
    assert sum(deals.values()) > 10_000
    for row in ranked.join(edition, on="unit_id", suffix="_e").iter_rows(named=True):
        expected = (100 * row["pct_applications_e"] / 1_255_500
                    + 100 * row["scientific_publications_e"] / 7_457_000
                    + 100 * deals[row["unit_id"]] / world_deals)
        assert row["vc_deals"] == deals[row["unit_id"]]
        assert row["score"] == pytest.approx(expected, rel=1e-9), row["name"]
    top = ranked.row(0, named=True)
    assert top["name"] == "San Jose–San Francisco, CA"


@pytest.mark.shared
def test_hub_factors_ranks_the_enriched_hubs(tmp_path: Path, capsys) -> None:
    ror = shared_file("data/ror/organizations.csv")
    rounds = shared_file("data/crunchbase-2013/rounds.csv")
    out = tmp_path / "hubs.csv"
    assert main(["enrich", "--layer", f"institutions=ror:{ror}",
                 "--layer", f"deals=crunchbase:{rounds}", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "talent = institutions_education" in err and "venture_funding = deals_usd" in err
    hubs = pl.read_csv(out)
    assert (hubs["talent"] + hubs["research_institutions"] == hubs["institutions"]).all()
    assert (hubs["patents"] == hubs["pct_applications"]).all()
    assert main(["rank", "--data", str(out), "--method", "hub-factors", "--intervals",
                 "--runs", "100", "--format", "csv"]) == 0
    ranked = pl.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert ranked.height == 34 and ranked["rank"].null_count() == 0
    assert {"people__score", "knowledge__score", "capital__score", "rank_p05",
            "rank_p95"} <= set(ranked.columns)
    assert "infrastructure__score" not in ranked.columns
    # a pillar without data is left out and the others share its weight: the index is the
    # mean of the three pillars with data
    means = ranked.select(pl.mean_horizontal("people__score", "knowledge__score",
                                             "capital__score"))
    assert np.allclose(ranked["score"].to_numpy(), means.to_series().to_numpy())
    assert main(["rank", "--data", str(out), "--method", "hub-factors"]) == 0
    text = capsys.readouterr().out
    assert "no data for infrastructure" in text and "renormalised" in text


def test_a_build_s_clusters_use_their_own_locations(tmp_path: Path) -> None:
    import shutil

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "build"
    for name in ("points.csv", "project.toml"):
        shutil.copy(fixture / name, tmp_path / name)
    assert main(["build", str(tmp_path / "project.toml"), "-q"]) == 0
    results = tmp_path / "results"
    located = pl.read_parquet(results / "assignment.parquet").filter(
        pl.col("cluster_id") == 2).row(0, named=True)
    rows = [("near", located["latitude"] + 0.05, located["longitude"], 2.0),  # ~5.6 km
            ("far", located["latitude"] + 2.0, located["longitude"], 3.0)]
    pl.DataFrame(rows, schema=["id", "latitude", "longitude", "weight"], orient="row") \
        .write_parquet(tmp_path / "p.parquet")
    result = enrich(None, [f"deals=points:{tmp_path / 'p.parquet'}"], results=results)
    assert result.provenance["radius_km"] == 12.0  # the build's eps_km
    hubs = result.hubs
    assert hubs["unit_id"].to_list() == ["C001", "C002", "C003"]
    assert hubs.filter(pl.col("unit_id") == "C002")["deals"].item() == 2.0
    assert hubs["deals"].sum() == 2.0 and result.outside == {"deals": 1}
    # the build's figures and world totals travel with the hubs
    ranked = __import__("techhubs").rank(data=result.panel()).table
    assert ranked["rank"].null_count() == 0
    with pytest.raises(DataError, match="results folder"):
        enrich(None, [], results=tmp_path)


def test_the_panel_file_carries_its_world_totals(tmp_path: Path) -> None:
    from techhubs.indicators.enrich import write_hubs
    from techhubs.panel import Panel

    written = write_hubs(enrich("gii-2023", []), tmp_path / "hubs.parquet")
    panel = Panel.read(written)
    assert panel.world_total("pct_applications") == 1_255_500
    assert panel.world_total("patents") == 1_255_500
    import techhubs

    # the same ranking as the edition itself
    assert (techhubs.rank(data=written).names()
            == techhubs.rank(edition="gii-2023").names())
    meta = tmp_path / "hubs.parquet.provenance.json"
    for text, key in (("[", "JSON"), ('{"indicators": 3}', "indicators"),
                      ('{"indicators": [{"code": "x", "world_total": -1}]}', "world_total"),
                      ('{"indicators": [{"code": "x", "colour": 1}]}', "colour"),
                      ('{"indicators": [{"code": "x", "direction": 2}]}', "direction"),
                      ('{"indicators": [{"world_total": 3}]}', r"indicators\[0\]")):
        meta.write_text(text)
        with pytest.raises(DataError, match=key) as info:
            Panel.read(written)
        assert "provenance.json" in str(info.value)


def test_a_layer_s_coverage_makes_hubs_elsewhere_missing(tmp_path: Path, capsys) -> None:
    places = member_places("gii-2023")
    paris = places.filter(pl.col("place") == "Paris").row(0, named=True)
    pl.DataFrame({"id": ["a"], "latitude": [paris["latitude"]], "longitude": [paris["longitude"]],
                  "weight": [1.0], "source": ["vc"]}).write_parquet(tmp_path / "p.parquet")
    layer = [f"deals=points:{tmp_path / 'p.parquet'}"]
    hubs = enrich("gii-2023", layer, covers={"deals": ["FR", "DE"]}).hubs
    covered = hubs.filter(pl.col("economies").list.set_intersection(["FR", "DE"]).list.len() > 0)
    assert hubs["deals"].null_count() == hubs.height - covered.height
    assert covered["deals"].to_list().count(1.0) == 1 and covered["deals"].null_count() == 0
    with pytest.raises(DataError, match="--covers names no layer"):
        enrich("gii-2023", layer, covers={"dealz": ["FR"]})
    for bad in ("deals", "deals=", "deals=U5"):
        assert main(["enrich", *(["--layer", layer[0]]), "--covers", bad,
                     "--out", str(tmp_path / "h.csv")]) == 2
        assert "--covers" in capsys.readouterr().err


def test_a_layer_named_like_a_column_of_the_hubs_is_refused(tmp_path: Path, capsys) -> None:
    pl.DataFrame({"latitude": [48.9], "longitude": [2.35], "weight": [1.0],
                  "source": ["vc"]}).write_parquet(tmp_path / "p.parquet")
    code = main(["enrich", "--layer", f"population=points:{tmp_path / 'p.parquet'}",
                 "--out", str(tmp_path / "h.csv")])
    err = capsys.readouterr().err
    assert code == 2 and "--layer" in err and "'population' is already a column" in err
    assert not (tmp_path / "h.csv").exists()
