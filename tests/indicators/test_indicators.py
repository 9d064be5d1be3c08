"""Cluster table -> panel, shares of world totals and intensity (hand-computed references)."""

from __future__ import annotations

import polars as pl
import pytest

from techhubs.errors import DataError
from techhubs.index.composite import Composite
from techhubs.indicators import cluster_panel, indicator_table, intensity, shares, unit_ids
from techhubs.methodology import load_methodology

INDICATORS = {"patents": "pct_applications", "publications": "scientific_publications",
              "vc": "vc_deals"}


def _clusters() -> pl.DataFrame:
    return pl.DataFrame({
        "cluster_id": [1, 2, 3],
        "name": ["Alpha", "Beta–Gamma", "Delta"],
        "economies": [["AA"], ["BB", "CC"], ["XD"]],
        "latitude": [10.0, 20.0, 30.0],
        "longitude": [1.0, 2.0, 3.0],
        "population": [2_000_000, 500_000, 0],
        "members": [["Alpha"], ["Beta", "Gamma"], ["Delta"]],
        "weight_patents": [50.0, 20.0, None],
        "weight_publications": [100.0, 300.0, 40.0],
    })


def test_panel_counts_and_world_totals() -> None:
    panel = cluster_panel(_clusters(), {"patents": 200.0, "publications": 1000.0}, INDICATORS,
                          period="2018-2022")
    assert panel.unit_ids == ["C001", "C002", "C003"]
    assert panel.indicator_codes == ["pct_applications", "scientific_publications"]
    assert panel.column("pct_applications").tolist() == [50.0, 20.0, 0.0]  # missing -> 0
    assert panel.world_total("pct_applications") == 200.0
    assert panel.world_total("scientific_publications") == 1000.0
    assert panel.units["economies"].to_list()[1] == ["BB", "CC"]
    assert panel.indicator_meta("pct_applications")["period"] == "2018-2022"


def test_shares_and_intensity_hand_computed() -> None:
    panel = cluster_panel(_clusters(), {"patents": 200.0, "publications": 1000.0}, INDICATORS)
    s = shares(panel)
    assert s["pct_applications_share"].to_list() == pytest.approx([25.0, 10.0, 0.0])
    assert s["scientific_publications_share"].to_list() == pytest.approx([10.0, 30.0, 4.0])
    i = intensity(panel)
    assert i["pct_applications_per_million"].to_list()[:2] == pytest.approx([25.0, 40.0])
    assert i["pct_applications_per_million"][2] is None  # no population, no intensity
    table = indicator_table(panel)
    assert table.columns[:4] == ["unit_id", "name", "economies", "population"]
    assert table["economies"].to_list()[1] == "BB/CC"


def test_gii_preset_ranks_by_summed_world_shares() -> None:
    panel = cluster_panel(_clusters(), {"patents": 200.0, "publications": 1000.0}, INDICATORS)
    comp = Composite(load_methodology("gii-clusters")).fit(panel)
    # Alpha 25 + 10 = 35, Beta–Gamma 10 + 30 = 40, Delta 0 + 4 = 4
    assert comp.score_.tolist() == pytest.approx([35.0, 40.0, 4.0])
    assert comp.rank_.tolist() == [2, 1, 3]


def test_unit_ids_are_stable_and_padded() -> None:
    assert unit_ids([1, 2, 10]) == ["C001", "C002", "C010"]
    assert unit_ids([1, 1234], 1234) == ["C0001", "C1234"]


def test_no_clusters_or_no_indicator_are_clear_errors() -> None:
    with pytest.raises(DataError, match="no clusters"):
        cluster_panel(_clusters().head(0), {}, INDICATORS)
    with pytest.raises(DataError, match="no source"):
        cluster_panel(_clusters(), {}, {"institutions": "institutions"})
