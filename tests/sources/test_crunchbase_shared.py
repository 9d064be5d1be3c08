"""Acceptance on the real Crunchbase 2013 rounds (../shared/data)."""

from __future__ import annotations

import math

import pytest

from conftest import shared_file
from techhubs.sources.crunchbase import CrunchbaseReader


@pytest.fixture(scope="module")
def rounds() -> object:
    return CrunchbaseReader(keep_place=True).read(shared_file("data/crunchbase-2013/rounds.csv"))


@pytest.mark.slow
def test_rounds_geocoded_in_the_right_state(rounds) -> None:
    report, points = rounds.report, rounds.points
    report.check()
    right = int((points["admin1"] == points["state"]).sum())
    share = right / report.records_read
    print(
        f"Crunchbase: {right} of {report.records_read} rounds in the right state ({share:.4f}); "
        f"dropped {dict(report.dropped)}"
    )
    assert share >= 0.97
    assert report.records_read == 31679
    assert set(report.dropped) <= {"no location", "unresolved place", "unparseable"}


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


@pytest.mark.slow
def test_top_four_clusters(rounds) -> None:
    """SF Bay Area, New York, Boston, Los Angeles: checked by where each cluster lies."""
    from techhubs.clusters import find_clusters

    # 15 km on 0.01-degree locations joins San Francisco, Palo Alto and San Jose
    # through the Peninsula's towns, and keeps New York apart from Philadelphia.
    result = find_clusters(rounds.points, eps_km=15.0, min_weight=50.0)
    top = result.clusters.sort("weight", descending=True).head(4).rows(named=True)
    sf, sj = (37.7749, -122.4194), (37.3394, -121.895)
    assert _km(top[0]["latitude"], top[0]["longitude"], *sf) < 60
    assert _km(top[0]["latitude"], top[0]["longitude"], *sj) < 60
    assert "San Francisco" in top[0]["members"] and "San Jose" in top[0]["members"]
    assert _km(top[1]["latitude"], top[1]["longitude"], 40.7128, -74.006) < 30  # New York
    assert _km(top[2]["latitude"], top[2]["longitude"], 42.3601, -71.0589) < 30  # Boston
    assert _km(top[3]["latitude"], top[3]["longitude"], 34.0522, -118.2437) < 40  # Los Angeles
