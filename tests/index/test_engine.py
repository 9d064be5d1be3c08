"""The index engine against values computed independently with numpy/scipy.

References: hand-written formulas below (OECD/JRC Handbook definitions as
implemented in COINr: min-max, z-score with sample sd, average ranks,
weighted arithmetic/geometric means, Copeland outranking).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy.stats import rankdata

from techhubs.errors import ComputationError
from techhubs.index import Composite
from techhubs.methodology import methodology_from_dict
from techhubs.panel import Panel

# 5 units x 3 indicators, one missing value, indicator c is "less is better".
RAW = np.array(
    [
        [10.0, 200.0, 5.0],
        [20.0, 150.0, 1.0],
        [15.0, np.nan, 3.0],
        [40.0, 100.0, 4.0],
        [5.0, 300.0, 2.0],
    ]
)
WEIGHTS = np.array([0.5, 0.3, 0.2])
DIRECTION = np.array([1.0, 1.0, -1.0])


def panel() -> Panel:
    frame = pl.DataFrame({
        "unit_id": ["u1", "u2", "u3", "u4", "u5"],
        "name": ["One", "Two", "Three", "Four", "Five"],
        "economies": ["AA", "AA", "BB", "BB", "BB"],
        "a": RAW[:, 0], "b": RAW[:, 1], "c": RAW[:, 2],
    })
    return Panel.from_frame(frame)


def methodology(normalise: dict, aggregate: dict, impute: str = "none") -> object:
    return methodology_from_dict({
        "name": "test",
        "indicator": [
            {"code": "a", "parent": "index", "weight": 0.5},
            {"code": "b", "parent": "index", "weight": 0.3},
            {"code": "c", "parent": "index", "weight": 0.2, "direction": -1},
        ],
        "node": [{"code": "index"}],
        "normalise": normalise,
        "aggregate": aggregate,
        "impute": {"method": impute},
    })


def weighted_mean_skipping_nan(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    out = []
    for row in x:
        ok = ~np.isnan(row)
        out.append(np.sum(row[ok] * w[ok]) / np.sum(w[ok]))
    return np.array(out)


def competition_rank(score: np.ndarray) -> np.ndarray:
    return rankdata(-score, method="min")


def test_minmax_arithmetic() -> None:
    c = Composite(methodology({"method": "minmax"}, {"method": "arithmetic"})).fit(panel())
    y = RAW * DIRECTION
    lo, hi = np.nanmin(y, axis=0), np.nanmax(y, axis=0)
    norm = (y - lo) / (hi - lo) * 100
    expected = weighted_mean_skipping_nan(norm, WEIGHTS)
    np.testing.assert_allclose(c.data_["normalised"], norm, equal_nan=True)
    np.testing.assert_allclose(c.score_, expected, rtol=1e-12)
    assert list(c.rank_) == list(competition_rank(expected))
    # By hand for unit 4: a=(40-5)/35=1, b=(100-100)/200=0, c: -4 in [-5,-1] -> 0.25
    assert c.score_[3] == pytest.approx(0.5 * 100 + 0.3 * 0 + 0.2 * 25)


def test_zscore_geometric() -> None:
    m = methodology({"method": "zscore", "mean": 100.0, "sd": 10.0}, {"method": "geometric"})
    c = Composite(m).fit(panel())
    y = RAW * DIRECTION
    z = (y - np.nanmean(y, axis=0)) / np.nanstd(y, axis=0, ddof=1) * 10 + 100
    expected = []
    for row in z:
        ok = ~np.isnan(row)
        expected.append(np.exp(np.sum(WEIGHTS[ok] * np.log(row[ok])) / WEIGHTS[ok].sum()))
    np.testing.assert_allclose(c.score_, expected, rtol=1e-12)
    assert list(c.rank_) == list(competition_rank(np.array(expected)))


def test_geometric_of_non_positive_scores_is_a_clear_error() -> None:
    m = methodology({"method": "zscore"}, {"method": "geometric"})
    with pytest.raises(ComputationError, match="positive"):
        Composite(m).fit(panel())


def test_rank_copeland() -> None:
    c = Composite(methodology({"method": "rank"}, {"method": "copeland"})).fit(panel())
    y = RAW * DIRECTION
    ranks = np.column_stack([
        np.where(np.isnan(y[:, j]), np.nan,
                 rankdata(np.where(np.isnan(y[:, j]), np.inf, y[:, j]), method="average"))
        for j in range(3)
    ])
    # unit 3 lacks b: ranks among the 4 units with data
    assert np.isnan(ranks[2, 1])
    np.testing.assert_allclose(c.data_["normalised"], ranks, equal_nan=True)
    n = 5
    copeland = np.zeros(n)
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            both = ~np.isnan(ranks[i]) & ~np.isnan(ranks[j])
            w = WEIGHTS[both] / WEIGHTS[both].sum()
            s = np.sum(w * (ranks[i, both] > ranks[j, both])) + 0.5 * np.sum(
                w * (ranks[i, both] == ranks[j, both]))
            copeland[i] += 1 if s > 0.5 else (-1 if s < 0.5 else 0)
    np.testing.assert_allclose(c.score_, copeland)
    assert list(c.rank_) == list(competition_rank(copeland))


def test_percentile_dist2max_goalposts_share_none() -> None:
    p = panel()
    y = RAW * DIRECTION
    c = Composite(methodology({"method": "percentile"}, {"method": "arithmetic"})).fit(p)
    r = rankdata(y[:, 0])
    np.testing.assert_allclose(c.data_["normalised"][:, 0], (r - 1) / 4 * 100)
    c = Composite(methodology({"method": "dist2max"}, {"method": "arithmetic"})).fit(p)
    np.testing.assert_allclose(c.data_["normalised"][:, 0], RAW[:, 0] / 40 * 100)
    np.testing.assert_allclose(c.data_["normalised"][:, 2], 1.0 / RAW[:, 2] * 100)  # min/x
    m = methodology_from_dict({
        "name": "gp",
        "indicator": [{"code": "a", "parent": "i", "goalposts": [0, 20]},
                      {"code": "c", "parent": "i", "direction": -1, "goalposts": [1, 5]}],
        "node": [{"code": "i"}],
        "normalise": {"method": "goalposts"},
    })
    c = Composite(m).fit(p)
    np.testing.assert_allclose(c.data_["normalised"][:, 0],
                               np.clip(RAW[:, 0] / 20, 0, 1) * 100)
    np.testing.assert_allclose(c.data_["normalised"][:, 1], (5 - RAW[:, 2]) / 4 * 100)
    m = methodology_from_dict({
        "name": "share",
        "indicator": [{"code": "a", "parent": "i", "world_total": 200}],
        "node": [{"code": "i"}],
        "normalise": {"method": "share"},
        "aggregate": {"method": "sum"},
    })
    np.testing.assert_allclose(Composite(m).fit(p).score_, RAW[:, 0] / 2)


@pytest.mark.parametrize("method,p", [("harmonic", -1.0), ("generalised", 2.0)])
def test_power_means(method: str, p: float) -> None:
    m = methodology({"method": "minmax", "low": 1.0, "high": 100.0},
                    {"method": method, "p": p})
    c = Composite(m).fit(panel())
    x = c.data_["normalised"]
    expected = []
    for row in x:
        ok = ~np.isnan(row)
        w = WEIGHTS[ok] / WEIGHTS[ok].sum()
        expected.append(np.sum(w * row[ok] ** p) ** (1 / p))
    np.testing.assert_allclose(c.score_, expected, rtol=1e-12)


@pytest.mark.parametrize("method", ["mean", "median", "group_mean"])
def test_imputation(method: str) -> None:
    c = Composite(methodology({"method": "minmax"}, {"method": "arithmetic"}, method)).fit(
        panel())
    filled = c.data_["imputed"][2, 1]
    b = RAW[:, 1]
    expected = {
        "mean": np.nanmean(b),
        "median": np.nanmedian(b),
        "group_mean": np.nanmean(b[[3, 4]]),  # u3 is in economy BB with u4, u5
    }[method]
    assert filled == pytest.approx(expected)
    assert c.log_[1].details["missing_before"] == 1  # log records what imputation did
    assert not np.isnan(c.data_["imputed"]).any()


def test_min_coverage_threshold() -> None:
    m = methodology({"method": "minmax"}, {"method": "arithmetic", "min_coverage": 0.9})
    c = Composite(m).fit(panel())
    assert np.isnan(c.score_[2])  # 2 of 3 indicators < 90%
    # a unit without a score has no rank (COINr's rank_df: rank(-x, na.last = "keep"))
    assert np.isnan(c.rank_[2])
    assert c.ranking_.table.filter(pl.col("unit_id") == c.panel_.unit_ids[2])["rank"][0] is None
    assert not np.isnan(np.delete(c.score_, 2)).any()


def test_multi_level_tree_and_rebuild() -> None:
    m = methodology_from_dict({
        "name": "tree",
        "indicator": [
            {"code": "a", "parent": "p1", "weight": 1}, {"code": "b", "parent": "p1", "weight": 3},
            {"code": "c", "parent": "p2", "direction": -1},
        ],
        "node": [{"code": "p1", "parent": "top", "weight": 2}, {"code": "p2", "parent": "top"},
                 {"code": "top", "parent": "index"}, {"code": "index"}],
    })
    c = Composite(m).fit(panel())
    norm = c.data_["normalised"]
    p1 = weighted_mean_skipping_nan(norm[:, :2], np.array([1.0, 3.0]))
    p2 = norm[:, 2]
    np.testing.assert_allclose(c.node_scores_["p1"], p1)
    np.testing.assert_allclose(c.score_, (2 * p1 + p2) / 3)
    assert m.depth() == 4
    variant = c.rebuild(aggregate={"method": "geometric"}, normalise={"low": 1.0})
    assert variant.methodology_.aggregate.method == "geometric"
    assert c.methodology_.aggregate.method == "arithmetic"  # the original is unchanged
    reweighted = c.rebuild(weights={"p1": 0.0})
    np.testing.assert_allclose(reweighted.score_, p2)


def test_treatment_winsorises_a_single_outlier() -> None:
    from techhubs.index._treat import treat_column

    rng = np.random.default_rng(0)
    v = np.concatenate([rng.normal(10, 1, 40), [60.0]])
    out, action, points = treat_column(v, 2.0, 3.5, 5, "log")
    assert action == "winsorised" and points == 1
    assert out.max() == pytest.approx(np.sort(v)[-2])  # highest replaced by the next highest
    np.testing.assert_array_equal(out[:40], v[:40])


def test_treatment_falls_back_to_log() -> None:
    from scipy.stats import kurtosis, skew

    from techhubs.index._treat import treat_column

    v = np.array([1.0] * 30 + [2, 3, 5, 10, 50, 100, 500, 1000, 5000, 10000])
    assert abs(skew(v, bias=False)) >= 2 and kurtosis(v, bias=False) >= 3.5
    out, action, points = treat_column(v, 2.0, 3.5, 2, "log")
    assert action == "log" and points == 0
    # COINr's log_CT: log(x - min + 0.01 (max - min))
    np.testing.assert_allclose(out, np.log(v - v.min() + 0.01 * (v.max() - v.min())))
    out, action, _ = treat_column(v, 2.0, 3.5, 2, "log_plus_one")
    assert action == "log_plus_one"
    np.testing.assert_allclose(out, np.log(v - v.min() + 1))
    out, action, _ = treat_column(-v, 2.0, 3.5, 2, "log_plus_one")  # negative skew: mirrored
    np.testing.assert_allclose(out, -np.log((-v).max() + v + 1))
