"""find_clusters: contract, multi-source merge, naming, bad points, determinism.

References: hand-built synthetic hubs around real GeoNames coordinates
(Shenzhen, Hong Kong, Guangzhou, Tokyo, Yokohama, Suva) with known layouts."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from techhubs.clusters import EN_DASH, ClusterResult, find_clusters, merge_source_clusters
from techhubs.errors import DataError

SZ = (22.543, 114.058)
HK = (22.283, 114.16)
GZ = (23.129, 113.264)
TK = (35.69, 139.69)
YH = (35.44, 139.64)


def _blob(
    rng: np.random.Generator,
    at: tuple[float, float],
    n: int,
    sd_km: float,
    src: str,
    w: float = 1.0,
) -> pl.DataFrame:
    lat, lon = at
    return pl.DataFrame(
        {
            "latitude": lat + rng.normal(0, sd_km / 111.2, n),
            "longitude": lon + rng.normal(0, sd_km / 111.2 / np.cos(np.radians(lat)), n),
            "weight": np.full(n, w),
            "source": [src] * n,
        }
    )


def _line(
    rng: np.random.Generator, a: tuple[float, float], b: tuple[float, float], n: int, src: str
) -> pl.DataFrame:
    t = rng.uniform(0, 1, n)
    return pl.DataFrame(
        {
            "latitude": a[0] + t * (b[0] - a[0]),
            "longitude": a[1] + t * (b[1] - a[1]),
            "weight": np.ones(n),
            "source": [src] * n,
        }
    )


@pytest.fixture(scope="module")
def hubs() -> pl.DataFrame:
    rng = np.random.default_rng(1)
    return pl.concat(
        [
            # patents dense in Shenzhen only; publications in Hong Kong, Shenzhen and between
            _blob(rng, SZ, 400, 4, "patents"),
            _blob(rng, HK, 300, 3, "publications"),
            _blob(rng, SZ, 150, 4, "publications"),
            _line(rng, HK, SZ, 200, "publications"),
            # Guangzhou (~100 km away) stays apart
            _blob(rng, GZ, 300, 4, "patents"),
            # Tokyo and Yokohama joined by continuous activity
            _blob(rng, TK, 700, 3, "patents"),
            _blob(rng, YH, 300, 3, "patents"),
            _line(rng, TK, YH, 150, "patents"),
            # scattered noise: counted in world totals, in no cluster
            pl.DataFrame(
                {
                    "latitude": rng.uniform(-50, 60, 40),
                    "longitude": rng.uniform(-120, -40, 40),
                    "weight": np.full(40, 0.5),
                    "source": ["patents"] * 40,
                }
            ),
        ]
    )


@pytest.fixture(scope="module")
def result(hubs: pl.DataFrame) -> ClusterResult:
    return find_clusters(hubs, eps_km=10, min_weight=20)


def test_cluster_table_contract(result: ClusterResult) -> None:
    c = result.clusters
    for col in (
        "cluster_id", "name", "economies", "latitude", "longitude", "min_lat", "min_lon",
        "max_lat", "max_lon", "population", "members", "weight", "weight_patents",
        "weight_publications",
    ):  # fmt: skip
        assert col in c.columns
    assert c["cluster_id"].to_list() == [1, 2, 3]
    assert c.schema["economies"] == pl.List(pl.Utf8)
    assert c.schema["members"] == pl.List(pl.Utf8)
    assert c["weight"].is_sorted(descending=True)
    np.testing.assert_allclose(c["weight"], c["weight_patents"] + c["weight_publications"])


def test_hub_spanning_two_economies_is_one_cluster(result: ClusterResult) -> None:
    assert result.clusters["name"].to_list()[0].startswith("Tokyo")  # heaviest first
    sz = result.clusters.row(1, named=True)
    assert sz["weight_patents"] == 400 and sz["weight_publications"] == 650
    assert set(sz["economies"]) == {"CN", "HK"}
    assert sz["name"].startswith("Shenzhen") and "Hong Kong" in sz["name"]
    assert EN_DASH in sz["name"]


def test_names_and_descriptions(result: ClusterResult) -> None:
    tokyo = result.clusters.filter(pl.col("name").str.starts_with("Tokyo")).row(0, named=True)
    assert tokyo["name"].split(EN_DASH)[:2] == ["Tokyo", "Yokohama"]
    assert tokyo["economies"] == ["JP"]
    assert tokyo["members"][0] == "Tokyo" and "Yokohama" in tokyo["members"]
    assert tokyo["population"] > 9_000_000  # at least Tokyo's own GeoNames population
    assert tokyo["min_lat"] < YH[0] < TK[0] < tokyo["max_lat"]
    assert 35.4 < tokyo["latitude"] < 35.7
    gz = result.clusters.filter(pl.col("name") == "Guangzhou")
    assert gz.height == 1 and gz["weight_publications"][0] == 0


def test_world_totals_include_unclustered_points(result: ClusterResult, hubs: pl.DataFrame) -> None:
    assert result.world_totals["patents"] == pytest.approx(1850 + 20)
    assert result.world_totals["publications"] == pytest.approx(650)
    assert result.clusters["weight_patents"].sum() == pytest.approx(1850)


def test_assignment_covers_every_rounded_location(result: ClusterResult) -> None:
    a = result.assignment
    assert {"latitude", "longitude", "source", "weight", "n_records", "cluster_id"} <= set(
        a.columns
    )
    assert a["n_records"].sum() == 1850 + 40 + 650
    assert a.filter(pl.col("cluster_id").is_null())["weight"].sum() == pytest.approx(20)
    per = a.group_by("cluster_id").agg(pl.col("weight").sum()).drop_nulls().sort("cluster_id")
    np.testing.assert_allclose(per["weight"], result.clusters["weight"])


def test_panel_frame_layout(result: ClusterResult) -> None:
    p = result.to_panel_frame()
    assert p.columns == [
        "unit_id", "name", "economies", "latitude", "longitude", "population", "members",
        "patents", "publications",
    ]  # fmt: skip
    assert p["unit_id"].to_list() == ["C001", "C002", "C003"]
    assert p["economies"].to_list() == ["JP", "HK/CN", "CN"]
    assert p.schema["patents"] == pl.Float64
    ind = result.indicator_frame()
    assert ind["share_patents"].to_list() == pytest.approx([1150 / 1870, 400 / 1870, 300 / 1870])
    assert ind["share_publications"][1] == pytest.approx(1.0)
    assert ind["intensity_patents"][0] == pytest.approx(1150 / p["population"][0] * 1e6)


def test_merge_threshold_controls_merging(hubs: pl.DataFrame) -> None:
    # the Shenzhen patents cluster lies wholly in the publications cluster's core
    # area: it merges even when full overlap is required
    strict = find_clusters(hubs, eps_km=10, min_weight=20, merge_threshold=1.0, name=False)
    assert strict.clusters.height == 3
    assert strict.clusters.filter(pl.col("weight_publications") > 0)["weight_patents"][0] == 400
    # with the publications moved 5 degrees north nothing overlaps: 4 clusters
    moved = hubs.with_columns(
        pl.when(pl.col("source") == "publications")
        .then(pl.col("latitude") + 5.0)
        .otherwise(pl.col("latitude"))
        .alias("latitude")
    )
    res = find_clusters(moved, eps_km=10, min_weight=20, name=False)
    assert res.clusters.height == 4
    assert (res.clusters["weight_patents"] * res.clusters["weight_publications"]).sum() == 0
    assert res.clusters["name"].is_null().all()


def test_precision_none_keeps_coordinates(hubs: pl.DataFrame) -> None:
    exact = find_clusters(hubs, eps_km=10, min_weight=20, precision=None, name=False)
    assert exact.assignment.height == hubs.unique(["latitude", "longitude", "source"]).height
    coarse = find_clusters(hubs, eps_km=10, min_weight=20, precision=1, name=False)
    assert coarse.assignment.height < 200
    lat = coarse.assignment["latitude"].to_numpy()
    assert np.abs(lat * 10 - np.round(lat * 10)).max() < 1e-9  # on the 0.1 degree grid
    assert coarse.params["precision"] == 1


def test_merge_rule_threshold_semantics() -> None:
    # cluster B (source b): 4 of its 10 weight units lie on A's core locations
    a_lat = np.zeros(5)
    a_lon = np.linspace(0, 0.02, 5)
    a = (a_lat, a_lon, np.ones(5), np.zeros(5, dtype=np.int64), np.ones(5, dtype=bool))
    b_lat = np.zeros(10)
    b_lon = np.r_[np.linspace(0, 0.02, 4), np.linspace(1.0, 1.02, 6)]
    b = (b_lat, b_lon, np.ones(10), np.zeros(10, dtype=np.int64), np.ones(10, dtype=bool))
    # A's own share near B's core is 1.0, so look at the shares through a B-only core
    a_core_off = (a_lat, a_lon, np.ones(5), np.zeros(5, dtype=np.int64), np.zeros(5, dtype=bool))
    merged = merge_source_clusters({"a": a_core_off, "b": b}, eps_km=1.0, threshold=0.5)
    assert merged[("a", 0)] == merged[("b", 0)]  # all of A lies near B's core
    merged = merge_source_clusters({"a": a, "b": b}, eps_km=1.0, threshold=0.4)
    assert merged[("a", 0)] == merged[("b", 0)]
    b_core_off = (b_lat, b_lon, np.ones(10), np.zeros(10, dtype=np.int64), np.zeros(10, dtype=bool))
    merged = merge_source_clusters({"a": a, "b": b_core_off}, eps_km=1.0, threshold=0.41)
    assert merged[("a", 0)] != merged[("b", 0)]  # only 40% of B near A's core
    merged = merge_source_clusters({"a": a, "b": b_core_off}, eps_km=1.0, threshold=0.4)
    assert merged[("a", 0)] == merged[("b", 0)]


def test_results_do_not_depend_on_row_order(hubs: pl.DataFrame, result: ClusterResult) -> None:
    shuffled = hubs.sample(fraction=1.0, shuffle=True, seed=5)
    again = find_clusters(shuffled, eps_km=10, min_weight=20)
    assert again.clusters.equals(result.clusters)
    assert again.assignment.sort(["source", "latitude", "longitude"]).equals(
        result.assignment.sort(["source", "latitude", "longitude"])
    )


def test_bad_points_are_reported_not_lost(hubs: pl.DataFrame) -> None:
    bad = pl.DataFrame(
        {
            "latitude": [95.0, float("nan"), 10.0],
            "longitude": [0.0, 0.0, 0.0],
            "weight": [1.0, 1.0, -2.0],
            "source": ["patents"] * 3,
        }
    )
    res = find_clusters(pl.concat([hubs, bad]), eps_km=10, min_weight=20, name=False)
    n = hubs.height
    assert res.report.rows_dropped == 3
    assert res.report.rows == {
        "non_finite": [n + 2],
        "latitude_out_of_range": [n + 1],
        "negative_weight": [n + 3],
    }
    with pytest.raises(DataError, match="bad point"):
        find_clusters(pl.concat([hubs, bad]), eps_km=10, min_weight=20, strict=True)


def test_per_source_min_weight_and_parameter_errors(hubs: pl.DataFrame) -> None:
    res = find_clusters(
        hubs, eps_km=10, min_weight={"patents": 20, "publications": 1e6}, name=False
    )
    assert res.params["min_weight"] == {"patents": 20.0, "publications": 1e6}
    assert res.clusters["weight_publications"].sum() == 0
    with pytest.raises(DataError, match="eps_km"):
        find_clusters(hubs, eps_km=0)
    with pytest.raises(DataError, match="merge_threshold"):
        find_clusters(hubs, merge_threshold=1.5)
    with pytest.raises(DataError, match="no usable points"):
        find_clusters(hubs.head(0))


def test_antimeridian_cluster_bbox_and_centroid() -> None:
    # a hub straddling 180 degrees (Taveuni, Fiji)
    rng = np.random.default_rng(2)
    lon = 180.0 + rng.normal(0, 0.03, 200)
    pts = pl.DataFrame(
        {
            "latitude": -16.8 + rng.normal(0, 0.03, 200),
            "longitude": (lon + 180.0) % 360.0 - 180.0,
            "weight": np.ones(200),
            "source": ["publications"] * 200,
        }
    )
    res = find_clusters(pts, eps_km=10, min_weight=10)
    row = res.clusters.row(0, named=True)
    assert res.clusters.height == 1
    assert row["min_lon"] > 179 and row["max_lon"] < -179  # west edge east of the east edge
    assert abs(abs(row["longitude"]) - 180.0) < 0.05
    assert row["economies"] == ["FJ"]


def test_progress_callback_sees_every_step(hubs: pl.DataFrame) -> None:
    seen: list[tuple[str, int, int]] = []
    find_clusters(hubs, eps_km=10, min_weight=20, progress=lambda s, d, t: seen.append((s, d, t)))
    assert [d for _, d, _ in seen] == list(range(1, seen[-1][2] + 1))
    assert any("clustered patents" in s for s, _, _ in seen)


def test_all_noise_gives_empty_tables_with_the_contract_schema() -> None:
    pts = pl.DataFrame(
        {"latitude": [1.0, 20.0], "longitude": [1.0, 30.0], "weight": [1.0, 1.0], "source": "vc"}
    )
    res = find_clusters(pts, min_weight=5)
    assert res.clusters.height == 0 and "weight_vc" in res.clusters.columns
    assert res.assignment["cluster_id"].null_count() == 2
    panel = res.to_panel_frame()
    assert panel.height == 0 and panel.schema["unit_id"] == pl.Utf8
    assert res.world_totals == {"vc": 2.0}
