"""Clusters of real research organisations (ROR) are named after the expected metropolises.

Reference: ROR organisation coordinates (../shared/data/ror/organizations.csv),
education and facility types, weight 1 each.
"""

from __future__ import annotations

import polars as pl
import pytest
from tests.conftest import shared_file

from techhubs.clusters import EN_DASH, find_clusters

pytestmark = pytest.mark.shared


def _ror_points() -> pl.DataFrame:
    path = shared_file("data/ror/organizations.csv")
    orgs = pl.read_csv(path, infer_schema_length=0)  # CR/LF line endings are fine for polars
    keep = orgs["types"].str.split("|").list.eval(pl.element().is_in(["education", "facility"]))
    orgs = orgs.filter(keep.list.any())
    return orgs.select(
        pl.col("lat").cast(pl.Float64).alias("latitude"),
        pl.col("lng").cast(pl.Float64).alias("longitude"),
        pl.lit(1.0).alias("weight"),
        pl.lit("institutions").alias("source"),
    )


def test_largest_ror_clusters_are_named_after_known_metropolises() -> None:
    points = _ror_points()
    assert points.height > 20_000
    res = find_clusters(points, eps_km=12, min_weight=10)
    assert res.report.rows_dropped == 0
    top = res.clusters.head(60)
    names = [n.split(EN_DASH) for n in top["name"].to_list()]
    expected = {
        "Paris": {"Paris"},
        "Tokyo": {"Tokyo"},
        "Beijing": {"Beijing"},
        "London": {"London"},
        "Boston area": {"Boston", "Cambridge"},
        "Moscow": {"Moscow"},
        "Seoul": {"Seoul"},
        "New York": {"New York City"},
        "Shanghai": {"Shanghai"},
        "Madrid": {"Madrid"},
    }
    found = {
        label for label, cities in expected.items() if any(cities & set(parts) for parts in names)
    }
    assert len(found) >= 8, f"found only {sorted(found)} among {top['name'].to_list()}"
    for must in ("Paris", "Tokyo", "Beijing", "London", "Boston area"):
        assert must in found
    # the very largest are the big research capitals
    assert {"Paris", "Tokyo", "Beijing"} <= {n[0] for n in names[:5]}
    boston = top.filter(pl.col("name").str.contains("Boston"))
    assert boston["economies"].to_list() == [["US"]]
    assert res.world_totals["institutions"] == points.height
