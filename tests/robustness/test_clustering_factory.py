"""Re-clustering uncertainty: a panel factory, cached per grid level, units matched by members."""

from __future__ import annotations

import itertools

import numpy as np
import polars as pl

from techhubs.index import Composite
from techhubs.methodology import methodology_from_dict
from techhubs.panel import Panel
from techhubs.robustness import UncertaintySpec, match_units, rank_intervals

# Places on a line (km), with two indicators each.
PLACES = {"A": (0.0, 50.0, 10.0), "B": (8.0, 40.0, 45.0), "C": (30.0, 45.0, 30.0),
          "D": (34.0, 20.0, 12.0), "E": (80.0, 60.0, 5.0), "F": (95.0, 10.0, 70.0)}


def line_clusters(params: dict[str, float]) -> Panel:
    """Single-linkage clusters of PLACES with gap <= eps_km; a unit is named after its
    largest member (by the first indicator) and sums its members' values."""
    eps = params.get("eps_km", 5.0)
    names = sorted(PLACES, key=lambda p: PLACES[p][0])
    groups: list[list[str]] = [[names[0]]]
    for prev, cur in itertools.pairwise(names):
        if PLACES[cur][0] - PLACES[prev][0] <= eps:
            groups[-1].append(cur)
        else:
            groups.append([cur])
    rows = []
    for g in groups:
        head = max(g, key=lambda p: PLACES[p][1])
        rows.append({"unit_id": head.lower(), "name": head, "members": "; ".join(g),
                     "patents": sum(PLACES[p][1] for p in g),
                     "papers": sum(PLACES[p][2] for p in g)})
    return Panel.from_frame(pl.DataFrame(rows))


METHOD = methodology_from_dict({
    "name": "line",
    "indicator": [{"code": "patents", "parent": "index", "world_total": 225.0},
                  {"code": "papers", "parent": "index", "world_total": 172.0}],
    "node": [{"code": "index"}],
    "normalise": {"method": "share"}, "aggregate": {"method": "sum"},
})


def test_match_units_by_id_then_members() -> None:
    nominal = line_clusters({"eps_km": 3.0})  # every place alone
    merged = line_clusters({"eps_km": 10.0})  # A+B, C+D
    match = match_units(nominal, merged)
    ids = merged.unit_ids
    got = {u: ids[j] for u, j in zip(nominal.unit_ids, match, strict=True)}
    assert got == {"a": "a", "b": "a", "c": "c", "d": "c", "e": "e", "f": "f"}
    assert (match_units(merged, nominal) >= 0).all()


def test_reclustering_runs_are_cached_and_match_a_brute_force() -> None:
    calls: list[dict[str, float]] = []

    def factory(params: dict[str, float]) -> Panel:
        calls.append(params)
        return line_clusters(params)

    nominal = line_clusters({"eps_km": 3.0})
    composite = Composite(METHOD).fit(nominal)
    spec = UncertaintySpec(weights=0.2, clustering={"eps_km": (3.0, 23.0)},
                           clustering_levels=3)
    result = rank_intervals(composite, spec, runs=150, seed=4, panel_factory=factory)
    assert result.factors == ("weight:patents", "weight:papers", "clustering:eps_km")
    # three grid levels (3, 13, 23 km): the factory ran once per level
    assert sorted(p["eps_km"] for p in calls) == [3.0, 13.0, 23.0]
    assert set(result.samples["clustering:eps_km"].unique().to_list()) == {3.0, 13.0, 23.0}
    # brute force: re-cluster, re-rank, read each nominal unit's cluster rank
    for i in range(150):
        row = result.samples.row(i, named=True)
        panel = line_clusters({"eps_km": row["clustering:eps_km"]})
        m = METHOD.with_weights({"patents": row["weight:patents"],
                                 "papers": row["weight:papers"]})
        ranks = Composite(m).fit(panel).rank_
        match = match_units(nominal, panel)
        np.testing.assert_array_equal(result.ranks[i], ranks[match])
    # merged places share a rank in the runs where they are one cluster
    ids = list(result.unit_ids)
    at23 = (result.samples["clustering:eps_km"] == 23.0).to_numpy()
    assert at23.any()
    assert (result.ranks[at23, ids.index("a")] == result.ranks[at23, ids.index("b")]).all()


def test_unit_absent_from_a_variant_ranks_last() -> None:
    nominal = line_clusters({"eps_km": 3.0})

    def factory(params: dict[str, float]) -> Panel:
        panel = line_clusters(params)
        if params["eps_km"] > 10:  # a variant that loses the cluster of E and F
            keep = [u != "e" for u in panel.unit_ids]
            panel = Panel.from_frame(pl.DataFrame({
                "unit_id": [u for u, k in zip(panel.unit_ids, keep, strict=True) if k],
                "members": ["; ".join(m) for m, k in zip(panel.units["members"].to_list(),
                                                          keep, strict=True) if k],
                "patents": panel.column("patents")[keep],
                "papers": panel.column("papers")[keep]}))
        return panel

    spec = UncertaintySpec(clustering={"eps_km": (3.0, 20.0)}, clustering_levels=2)
    result = rank_intervals(Composite(METHOD).fit(nominal), spec, runs=40, seed=0,
                            panel_factory=factory)
    ids = list(result.unit_ids)
    big = (result.samples["clustering:eps_km"] == 20.0).to_numpy()
    assert big.any() and (~big).any()
    # at 20 km: a(A, B), c(C, D) and e(E, F), e dropped: E and F rank after both
    for unit in ("e", "f"):
        assert (result.ranks[big, ids.index(unit)] == 3).all()
        assert (result.ranks[~big, ids.index(unit)] <= 6).all()
    assert set(result.ranks[big][:, [ids.index("a"), ids.index("b")]].ravel()) <= {1, 2}
