"""Kendall tau-b and RBO_ext. References: hand-computed small cases (worked
below), scipy.stats.kendalltau, and the definition of tie handling (mean over
all tie-breakings, by enumeration)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from techhubs.compare import agreement, agreement_matrix, kendall_tau_b, rbo
from techhubs.compare.rankings import RankedList
from techhubs.errors import ComputationError


def groups(*items: str) -> list[tuple[int, list[str]]]:
    return [(k, [i]) for k, i in enumerate(items, start=1)]


def test_tau_b_hand_computed_without_ties() -> None:
    # 6 pairs; only (2,3) is discordant: (5 - 1) / 6.
    assert kendall_tau_b([1, 2, 3, 4], [1, 3, 2, 4]) == pytest.approx(4 / 6)
    assert kendall_tau_b([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)


def test_tau_b_hand_computed_with_ties() -> None:
    # x = 1,2,2,3; y = 1,2,3,3: 4 concordant, 0 discordant, one tie in x, one in y:
    # tau_b = 4 / sqrt((6 - 1) * (6 - 1)) = 0.8
    assert kendall_tau_b([1, 2, 2, 3], [1, 2, 3, 3]) == pytest.approx(0.8)


def test_tau_b_matches_scipy_on_random_ties() -> None:
    rng = np.random.default_rng(7)
    for _ in range(20):
        x = rng.integers(0, 5, size=12)
        y = rng.integers(0, 5, size=12)
        expected = stats.kendalltau(x, y, variant="b").statistic
        got = kendall_tau_b(x, y)
        assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected)


def test_tau_b_undefined_cases() -> None:
    assert math.isnan(kendall_tau_b([1], [1]))
    assert math.isnan(kendall_tau_b([1, 1, 1], [1, 2, 3]))
    with pytest.raises(ComputationError):
        kendall_tau_b([1, 2], [1, 2, 3])


def test_rbo_hand_computed_equal_lengths() -> None:
    # S = a b c, T = a c b, p = 0.5: A1 = 1, A2 = 1/2, A3 = 1
    # RBO_ext = (1-p)/p (A1 p + A2 p^2 + A3 p^3) + A3 p^3 = 0.75 + 0.125 = 0.875
    assert rbo(groups("a", "b", "c"), groups("a", "c", "b"), p=0.5) == pytest.approx(0.875)
    assert rbo(groups("a", "b", "c"), groups("a", "b", "c")) == pytest.approx(1.0)
    assert rbo(groups("a", "b"), groups("c", "d")) == 0.0


def test_rbo_hand_computed_unequal_lengths() -> None:
    # S = a c (s = 2), T = a b c (l = 3), p = 0.5. X1 = 1, X2 = 1, X3 = 2.
    # sum_d X_d/d p^d = .5 + .125 + .083333 = .708333
    # sum_{d=3} X_s (d-s)/(s d) p^d = 1 * 1/6 * .125 = .020833
    # + ((X_l - X_s)/l + X_s/s) p^l = (1/3 + 1/2) * .125 = .104167  -> 0.833333
    assert rbo(groups("a", "c"), groups("a", "b", "c"), p=0.5) == pytest.approx(0.8333333)
    # argument order does not matter
    assert rbo(groups("a", "b", "c"), groups("a", "c"), p=0.5) == pytest.approx(0.8333333)
    # a prefix extrapolates to full agreement
    assert rbo(groups("a", "b"), groups("a", "b", "c"), p=0.5) == pytest.approx(1.0)


def test_rbo_gap_in_published_ranks_counts_as_unknown_item() -> None:
    # ranks 1 and 3 (rank 2 unknown) vs a c: same as comparing a ? c with a c.
    gapped = [(1, ["a"]), (3, ["c"])]
    assert rbo(gapped, groups("a", "c"), p=0.5) == pytest.approx(
        rbo(groups("a", "x", "c"), groups("a", "c"), p=0.5))


def test_rbo_ties_hand_computed() -> None:
    # S = {a, b} tied, T = a b, p = .5: X1 = 1/2 * 1 = .5, X2 = 2.
    # RBO_ext = (.5 * .5 + 1 * .25) + 1 * .25 = 0.75  (mean of 1.0 and 0.5)
    assert rbo([(1, ["a", "b"])], groups("a", "b"), p=0.5) == pytest.approx(0.75)


def test_rbo_ties_equal_mean_over_tie_breakings() -> None:
    s = [(1, ["a"]), (2, ["b", "c", "d"]), (5, ["e"])]
    t = [(1, ["c", "a"]), (3, ["x"]), (4, ["b", "e"])]
    values = []
    for ps in itertools.permutations(["b", "c", "d"]):
        for pt1 in itertools.permutations(["c", "a"]):
            for pt2 in itertools.permutations(["b", "e"]):
                values.append(rbo(groups("a", *ps, "e"), groups(*pt1, "x", *pt2), p=0.8))
    assert rbo(s, t, p=0.8) == pytest.approx(float(np.mean(values)))


def test_rbo_bad_input() -> None:
    with pytest.raises(ComputationError):
        rbo(groups("a"), groups("a"), p=1.0)
    with pytest.raises(ComputationError):
        rbo([(1, ["a"]), (1, ["b"])], groups("a"))
    assert math.isnan(rbo([], groups("a")))


def test_agreement_table_on_small_lists() -> None:
    a = RankedList.ranked("A", ["x", "y", "z", "w"])
    b = RankedList.ranked("B", ["y", "x", "z"], [1, 2, 2])
    u = RankedList.unranked("U", ["z", "x"])
    table = agreement([a, b, u], p=0.5)
    ab = table.row(0, named=True)
    assert (ab["ranking_a"], ab["ranking_b"], ab["n_common"]) == ("A", "B", 3)
    # common x y z: A ranks 1 2 3, B ranks 2 1 2 -> one discordant pair, one tie in B:
    # (C - D) / sqrt(3 * 2) = (1 - 1) / sqrt(6) = 0
    assert ab["kendall_tau_b"] == pytest.approx(0.0)
    assert ab["common"] == ["x", "y", "z"]
    au = table.row(1, named=True)
    assert math.isnan(au["kendall_tau_b"]) and "unranked" in au["note"]
    assert 0 < au["rbo"] < 1
    tau = agreement_matrix(table)
    assert tau["A"].to_list()[0] == 1.0
    assert tau.filter(tau["ranking"] == "B")["A"][0] == pytest.approx(0.0)
    common = agreement_matrix(table, "n_common")
    assert common["A"].to_list() == [4, 3, 2] and common["U"].to_list() == [2, 2, 2]


def test_published_gii_rankings_agree_more_with_each_other_than_with_articles() -> None:
    from techhubs.compare import agreement_table

    result = agreement_table(["gii-2023", "gii-2024", "article-top-high-tech-worldwide"])
    rows = {(r["ranking_a"], r["ranking_b"]): r for r in result["pairs"].iter_rows(named=True)}
    gii = rows[("gii-2023", "gii-2024")]
    assert gii["n_common"] == 10
    # GII 2023 ranks of the 10 hubs common with GII 2024 (1,2,4,3,5,6,12,13,14,15 vs
    # 1,2,3,4,5,6,12,13,14,15): one discordant pair of 45 -> tau = 43/45.
    assert gii["kendall_tau_b"] == pytest.approx(43 / 45)
    assert gii["rbo"] > rows[("gii-2023", "article-top-high-tech-worldwide")]["rbo"]
