"""DuckDB and Dask engines: hand-computed sums, and identical results on a LocalCluster."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from techhubs.aggregate import aggregate
from techhubs.errors import DataError


def synthetic(n: int = 20_000, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    year = pl.Series(rng.integers(2019, 2023, n)).cast(pl.Int32)
    return pl.DataFrame(
        {
            "latitude": rng.uniform(-60, 60, n).round(3),
            "longitude": rng.uniform(-180, 180, n).round(3),
            "weight": 1.0 / rng.integers(1, 8, n),
            "source": rng.choice(["patents", "publications", "vc"], n),
            "year": year,
        }
    ).with_columns(
        pl.when(pl.col("year") == 2022).then(None).otherwise(pl.col("year")).alias("year")
    )


def test_hand_computed() -> None:
    pts = pl.DataFrame(
        {
            "latitude": [37.774, 37.7749, 37.786, -33.866],
            "longitude": [-122.419, -122.4194, -122.4194, 151.209],
            "weight": [0.5, 0.25, 1.0, 1.0],
            "source": ["patents", "patents", "patents", "vc"],
        }
    )
    out = aggregate(pts, precision=2)
    assert out.columns == ["latitude", "longitude", "source", "year", "weight", "n_records"]
    assert out.rows() == [
        (37.77, -122.42, "patents", None, 0.75, 2),
        (37.79, -122.42, "patents", None, 1.0, 1),  # floor(3778.6 + 0.5) = 3779
        (-33.87, 151.21, "vc", None, 1.0, 1),  # floor(-3386.6 + 0.5) = -3387
    ]
    assert out.filter(pl.col("source") == "patents")["weight"].sum() == 1.75


def test_rounding_rule_matches_formula() -> None:
    pts = synthetic(2000)
    out = aggregate(pts, precision=1)
    lat = np.floor(pts["latitude"].to_numpy() * 10.0 + 0.5) / 10.0
    assert set(out["latitude"].to_list()) == set(lat.tolist())
    assert out["n_records"].sum() == 2000
    assert math.isclose(out["weight"].sum(), pts["weight"].sum(), rel_tol=1e-12)


@pytest.mark.parametrize("suffix", ["parquet", "csv", "jsonl"])
def test_files_equal_frame(tmp_path: Path, suffix: str) -> None:
    pts = synthetic(5000)
    path = tmp_path / f"p.{suffix}"
    {"parquet": pts.write_parquet, "csv": pts.write_csv, "jsonl": pts.write_ndjson}[suffix](path)
    assert aggregate(path).drop("weight").equals(aggregate(pts).drop("weight"))


def test_missing_column_and_bad_engine(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    synthetic(10).drop("weight").write_parquet(path)
    with pytest.raises(DataError, match="weight"):
        aggregate(path)
    with pytest.raises(DataError, match="engine"):
        aggregate(path, engine="spark")
    with pytest.raises(DataError, match="precision"):
        aggregate(synthetic(10), precision=9)


@pytest.mark.slow
def test_dask_on_local_cluster_equals_duckdb(tmp_path: Path) -> None:
    from distributed import Client, LocalCluster

    pts = synthetic(60_000)
    paths = []
    for i, part in enumerate(pts.iter_slices(15_000)):
        paths.append(tmp_path / f"part{i}.parquet")
        part.write_parquet(paths[-1])
    expected = aggregate(paths, engine="duckdb")
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        got = aggregate(paths, engine="dask", scheduler=client)
        got_by_address = aggregate(paths, engine="dask", scheduler=cluster.scheduler_address)
    # Keys and counts must be identical; weights are sums of fractions added in a
    # different order by each engine, so they may differ in the last ulp: 1e-9 relative.
    for result in (got, got_by_address):
        assert result.drop("weight").equals(expected.drop("weight"))
        np.testing.assert_allclose(
            result["weight"].to_numpy(), expected["weight"].to_numpy(), rtol=1e-9
        )
    assert expected["year"].null_count() > 0
