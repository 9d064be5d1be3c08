"""Acceptance on the real Crunchbase 2013 rounds (../shared/data)."""

from __future__ import annotations

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


@pytest.mark.slow
def test_top_four_clusters(rounds) -> None:
    from techhubs.clusters import find_clusters

    result = find_clusters(rounds.points, eps_km=15.0, min_weight=50.0)
    top = result.clusters.sort("weight", descending=True).head(4)["members"].to_list()
    assert {"San Francisco", "Palo Alto", "San Jose"} <= set(top[0])
    assert "New York City" in top[1]
    assert "Boston" in top[2] or "Cambridge" in top[2]
    assert "Los Angeles" in top[3]
