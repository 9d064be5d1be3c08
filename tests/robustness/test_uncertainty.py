"""Monte Carlo rank intervals against an independent per-run brute force, and the GII case."""

from __future__ import annotations

import numpy as np
import pytest

from techhubs.datasets import load_edition
from techhubs.index import Composite
from techhubs.methodology import Methodology
from techhubs.panel import Panel
from techhubs.robustness import UncertaintySpec, rank_intervals
from techhubs.robustness._synthetic import synthetic_case


def _label(text: str) -> tuple[str, dict[str, float]]:
    name, *params = text.split(":")
    return name, {k: float(v) for k, v in (p.split("=") for p in params)}


def brute_force(panel: Panel, m: Methodology, spec: UncertaintySpec, factors: tuple[str, ...],
                runs: int, seed: int) -> tuple[np.ndarray, list[dict[str, object]]]:
    """Same seed, same uniforms, the documented mapping, one Composite fit per run."""
    U = np.random.default_rng(seed).random((runs, len(factors)))
    choices = {
        "normalisation": spec.normalisation, "aggregation": spec.aggregation,
        "imputation": spec.imputation, "treatment": spec.treatment,
        "leave_one_out": (None, *m.indicator_codes),
    }
    assert isinstance(spec.weights, float)
    x = spec.weights
    ranks = np.empty((runs, panel.n_units), dtype=np.int64)
    drawn = []
    for i in range(runs):
        weights = {n.code: n.weight for n in m.nodes if n.parent is not None}
        picked: dict[str, object] = {}
        for f, name in enumerate(factors):
            u = U[i, f]
            if name.startswith("weight:"):
                code = name.split(":", 1)[1]
                weights[code] = m.node(code).weight * (1 - x + 2 * x * u)
                picked[name] = weights[code]
            else:
                options = choices[name]
                picked[name] = options[min(int(u * len(options)), len(options) - 1)]
        variant = m
        if picked.get("leave_one_out") is not None:
            weights[str(picked["leave_one_out"])] = 0.0
        variant = variant.with_weights(weights)
        if "normalisation" in picked:
            method, params = _label(str(picked["normalisation"]))
            variant = variant.with_step("normalise", method=method, **params)
        if "aggregation" in picked:
            method, params = _label(str(picked["aggregation"]))
            variant = variant.with_step("aggregate", method=method, **params)
        if "imputation" in picked:
            variant = variant.with_step("impute", method=picked["imputation"])
        if "treatment" in picked:
            variant = variant.with_step("treat",
                                        method="winsorise" if picked["treatment"] else "none")
        ranks[i] = Composite(variant).fit(panel).rank_
        drawn.append(picked)
    return ranks, drawn


@pytest.fixture(scope="module")
def small_case() -> tuple[Panel, Methodology]:
    return synthetic_case(n_units=40, n_indicators=9, n_pillars=4, n_subindices=2, seed=7,
                          missing=0.06)


@pytest.mark.slow
def test_matches_brute_force_every_factor(small_case: tuple[Panel, Methodology]) -> None:
    panel, m = small_case
    spec = UncertaintySpec(
        weights=0.4, weight_scope="all",
        normalisation=("minmax:low=1:high=100", "zscore:mean=100:sd=10", "rank"),
        aggregation=("arithmetic", "geometric", "generalised:p=0.5"),
        imputation=("none", "mean", "group_mean"), treatment=(False, True),
        leave_one_out=True,
    )
    runs, seed = 120, 11
    result = rank_intervals(Composite(m).fit(panel), spec, runs=runs, seed=seed)
    expected, drawn = brute_force(panel, m, spec, result.factors, runs, seed)
    # every node weight is a factor, plus the five discrete ones
    assert len(result.factors) == len(m.nodes) - 1 + 5
    np.testing.assert_array_equal(result.ranks, expected)
    for i in (0, 57, runs - 1):
        row = result.samples.row(i, named=True)
        for name, value in drawn[i].items():
            if name == "treatment":
                assert row[name] == ("on" if value else "off")
            elif isinstance(value, float):
                assert row[name] == pytest.approx(value, rel=1e-12)
            else:
                assert row[name] == value
    # several distinct combinations were exercised
    assert result.samples.select("normalisation", "aggregation", "imputation").unique().height > 10


def test_summary_table_is_the_rank_matrix_summary(small_case: tuple[Panel, Methodology]) -> None:
    panel, m = small_case
    result = rank_intervals((panel, m), UncertaintySpec(weights=0.5), runs=300, seed=1)
    r = result.ranks
    table = result.table
    assert table.columns[:7] == ["unit_id", "name", "nominal_rank", "median_rank", "rank_p05",
                                 "rank_p95", "p_top10"]
    idx = {u: i for i, u in enumerate(result.unit_ids)}
    for row in table.iter_rows(named=True):
        col = r[:, idx[row["unit_id"]]]
        assert row["median_rank"] == np.median(col)
        assert row["p_top10"] == pytest.approx(np.mean(col <= 10))
        assert row["rank_p05"] <= row["median_rank"] <= row["rank_p95"]
        # R's default quantile (type 7) is numpy's default ("linear")
        assert row["rank_p05"] == pytest.approx(np.quantile(col, 0.05), abs=1e-12)
        assert row["rank_p95"] == pytest.approx(np.quantile(col, 0.95), abs=1e-12)
    nominal = Composite(m).fit(panel).rank_
    assert [int(nominal[idx[u]]) for u in table["unit_id"]] == table["nominal_rank"].to_list()
    # each run is a permutation of competition ranks
    assert (np.sort(r, axis=1)[:, 0] == 1).all()


def test_deterministic_with_seed(small_case: tuple[Panel, Methodology]) -> None:
    panel, m = small_case
    spec = UncertaintySpec(weights=0.3, aggregation=("arithmetic", "geometric"))
    a = rank_intervals((panel, m), spec, runs=200, seed=5)
    b = rank_intervals((panel, m), spec, runs=200, seed=5, chunk=7)
    c = rank_intervals((panel, m), spec, runs=200, seed=6)
    np.testing.assert_array_equal(a.ranks, b.ranks)
    assert a.table.equals(b.table)
    assert not np.array_equal(a.ranks, c.ranks)


def test_progress_callback_reaches_total(small_case: tuple[Panel, Methodology]) -> None:
    panel, m = small_case
    seen: list[tuple[int, int]] = []
    rank_intervals((panel, m), UncertaintySpec(weights=0.2, normalisation=("minmax", "rank")),
                   runs=50, seed=0, progress=lambda d, t: seen.append((d, t)), chunk=10)
    assert seen[-1] == (50, 50)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_dirichlet_weights_keep_sibling_totals(small_case: tuple[Panel, Methodology]) -> None:
    panel, m = small_case
    spec = UncertaintySpec(weights=0.1, weight_mode="dirichlet", concentration=200.0)
    result = rank_intervals((panel, m), spec, runs=2000, seed=2)
    W = result.weights
    cols = {c: i for i, c in enumerate(result.weight_nodes)}
    for parent in {n.parent for n in m.indicators}:
        kids = [n for n in m.indicators if n.parent == parent]
        total = W[:, [cols[k.code] for k in kids]].sum(axis=1)
        np.testing.assert_allclose(total, sum(k.weight for k in kids), rtol=1e-12)
        for k in kids:
            assert W[:, cols[k.code]].mean() == pytest.approx(k.weight, rel=0.02)
    assert np.ptp(W[:, cols["pillar0"]]) == 0  # scope = indicators: pillar weights fixed


def test_gii_2023_top_two_stable_and_seoul_beijing_near_tie() -> None:
    panel = load_edition("gii-2023")
    composite = Composite("gii-clusters").fit(panel)
    result = rank_intervals(composite, UncertaintySpec(weights=0.25), runs=2000, seed=0)
    ids = list(result.unit_ids)
    tokyo, shenzhen = ids.index("tokyo-yokohama"), ids.index("shenzhen-hong-kong-guangzhou")
    top_two = np.sort(result.ranks[:, [tokyo, shenzhen]], axis=1)
    assert (top_two == [1, 2]).all()  # never leave the top two
    rows = {r["unit_id"]: r for r in result.table.iter_rows(named=True)}
    assert rows["tokyo-yokohama"]["rank_p95"] <= 2
    assert rows["shenzhen-hong-kong-guangzhou"]["rank_p95"] <= 2
    # Seoul (6.85) and Beijing (6.78) swap places in some, not all, runs
    assert (rows["seoul"]["nominal_rank"], rows["beijing"]["nominal_rank"]) == (3, 4)
    swap = result.swap_share("seoul", "beijing")
    assert 0.05 < swap < 0.95
    assert rows["seoul"]["rank_p05"] == 3 and rows["seoul"]["rank_p95"] == 4
    assert rows["beijing"]["rank_p05"] == 3 and rows["beijing"]["rank_p95"] == 4
    assert rows["tokyo-yokohama"]["p_top10"] == 1.0


def test_workflows_entry_points() -> None:
    from techhubs import workflows

    result = workflows.rank_intervals(runs=200, seed=1, weights=0.1)
    assert result.spec.weights == 0.1 and result.ranks.shape == (200, 34)
    report = workflows.robustness(overrides={"weight_mode": "dirichlet",
                                             "concentration": 20.0},
                                  runs=256, seed=1, sobol=True)
    assert report.intervals.spec.weight_mode == "dirichlet"
    assert report.sensitivity is not None and report.sensitivity.base_n == 64
    assert report.to_dict()["intervals"]["runs"] == 256
    # the published top two hold under Dirichlet weights too
    table = report.intervals.table
    assert table.head(2)["rank_p95"].to_list() == [1, 2]
