"""Sobol indices: SALib's analytic Ishigami case, and the rank engine's own factors."""

from __future__ import annotations

import numpy as np
from SALib.test_functions import Ishigami

from techhubs.index import Composite
from techhubs.robustness import UncertaintySpec, rank_intervals, sensitivity, sobol_indices
from techhubs.robustness._synthetic import synthetic_case


def _ishigami_analytic(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    v1 = 0.5 * (1 + b * np.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * np.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def test_ishigami_indices_match_the_analytic_values() -> None:
    s1, st = _ishigami_analytic()
    res = sobol_indices(["x1", "x2", "x3"],
                        lambda U: Ishigami.evaluate(-np.pi + 2 * np.pi * U), base_n=2**13,
                        seed=1)
    np.testing.assert_allclose(res["S1"][0], s1, atol=0.03)
    np.testing.assert_allclose(res["ST"][0], st, atol=0.03)
    # the bootstrap confidence intervals are there and cover the analytic values
    assert (res["S1_conf"][0] > 0).all() and (res["ST_conf"][0] > 0).all()
    assert (np.abs(res["ST"][0] - st) <= 3 * res["ST_conf"][0]).all()
    assert res["U"].shape == (2**13 * 5, 3)


def test_additive_model_indices() -> None:
    # y = 4 x1 + 2 x2 + 0 x3 on U(0,1): S1 = ST = (16, 4, 0) / 20
    res = sobol_indices(["a", "b", "c"], lambda U: U @ np.array([4.0, 2.0, 0.0]), 2**12,
                        seed=3)
    np.testing.assert_allclose(res["S1"][0], [0.8, 0.2, 0.0], atol=0.03)
    np.testing.assert_allclose(res["ST"][0], [0.8, 0.2, 0.0], atol=0.03)


def test_rank_sensitivity_finds_the_factor_that_matters() -> None:
    panel, m = synthetic_case(n_units=30, n_indicators=6, n_pillars=2, n_subindices=1, seed=5)
    composite = Composite(m).fit(panel)
    # no value is missing, so the imputation choice cannot matter
    spec = UncertaintySpec(weights=0.6, imputation=("none", "mean"),
                           aggregation=("arithmetic", "geometric"))
    # 6 weights + 2 choices = 8 factors: N (d + 2) = 64 x 10 runs (a larger budget rounds down)
    res = sensitivity(composite, spec, runs=(8 + 2) * 64 + 100, seed=2, num_resamples=50)
    assert res.base_n == 64 and res.runs == 640
    assert res.factors[-2:] == ("aggregation", "imputation")
    shift = {r["factor"]: r for r in res.summary.iter_rows(named=True)}
    assert abs(shift["imputation"]["S1"]) < 1e-12 and abs(shift["imputation"]["ST"]) < 1e-12
    assert shift["aggregation"]["ST"] > 0.01
    assert sum(r["ST"] for r in shift.values()) > 0.5
    # per-unit rows: a constant rank has no variance to apportion (null)
    per_unit = res.indices.filter(res.indices["output"] == "rank")
    assert per_unit.height == 30 * len(res.factors)
    top = res.intervals.table.filter(res.intervals.table["rank_min"]
                                     == res.intervals.table["rank_max"])
    for uid in top["unit_id"]:
        assert res.unit(uid)["ST"].null_count() == len(res.factors)
    # the Sobol runs give rank intervals too
    assert res.intervals.ranks.shape == (640, 30)


def test_sobol_runs_are_ranked_by_the_same_engine() -> None:
    panel, m = synthetic_case(n_units=20, n_indicators=4, n_pillars=2, n_subindices=1, seed=8)
    spec = UncertaintySpec(weights=0.3)
    res = sensitivity((panel, m), spec, runs=6 * 16, seed=0, num_resamples=20)
    assert res.factors == rank_intervals((panel, m), spec, runs=5).factors
    samples = res.intervals.samples
    for i in (0, 13, 95):
        row = samples.row(i, named=True)
        weights = {f.split(":", 1)[1]: row[f] for f in res.factors}
        ranks = Composite(m.with_weights(weights)).fit(panel).rank_
        np.testing.assert_array_equal(res.intervals.ranks[i], ranks)
    nominal = Composite(m).fit(panel).rank_
    shift = np.abs(res.intervals.ranks - nominal).mean(axis=1)
    assert shift.std() > 0  # the analysed output varies
    assert set(res.summary["output"]) == {"mean_abs_rank_shift"}


def test_vectorised_estimates_equal_salib_analyze_per_output() -> None:
    from SALib.analyze import sobol as salib_sobol

    from techhubs.robustness.sensitivity import _analyze

    d, n = 3, 2**8
    problem = {"num_vars": d, "names": ["a", "b", "c"], "bounds": [[0.0, 1.0]] * d}
    from SALib.sample import sobol as salib_sample

    U = salib_sample.sample(problem, n, calc_second_order=False, seed=4)
    Y = np.column_stack([Ishigami.evaluate(-np.pi + 2 * np.pi * U), U @ [1.0, 3.0, 0.5],
                         np.round(U[:, 0] * 3) + U[:, 2] ** 2, np.ones(len(U))])
    ours = _analyze(Y, d, n, seed=7, num_resamples=50, conf_level=0.9)
    for j in range(3):
        ref = salib_sobol.analyze(problem, Y[:, j], calc_second_order=False,
                                  num_resamples=50, conf_level=0.9, seed=7)
        for key in ("S1", "S1_conf", "ST", "ST_conf"):
            np.testing.assert_allclose(ours[key][j], ref[key], rtol=1e-10, atol=1e-12)
    assert np.isnan(ours["S1"][3]).all()  # a constant output has no indices
