"""Borda, Schulze and Kemeny-Young. References: hand-computed small cases
(worked below), the Schulze example of Schulze (2011) / Wikipedia (45 voters,
winner E, order E A C B D), and brute-force enumeration for Kemeny."""

from __future__ import annotations

import numpy as np
import pytest

from techhubs.compare import borda, borda_scores, consensus, kemeny, schulze
from techhubs.compare.consensus import brute_force_kemeny, kemeny_cost, pairwise
from techhubs.compare.rankings import RankedList
from techhubs.errors import ComputationError, MethodologyError

R = RankedList.ranked
U = RankedList.unranked


def hand_lists() -> list[RankedList]:
    return [R("L1", ["a", "b", "c", "d"]), R("L2", ["b", "a"]), U("L3", ["c", "a"])]


def test_borda_partial_lists_share_convention() -> None:
    # n = 4. L1: a3 b2 c1 d0. L2 (m=2): b3 a2, unlisted c d share positions 3-4 -> 0.5 each.
    # L3 unranked (m=2): c a tied at position 1.5 -> 2.5 each; b d -> 0.5 each.
    assert borda_scores(hand_lists(), "share") == {"a": 7.5, "b": 5.5, "c": 4.0, "d": 1.0}


def test_borda_partial_lists_zero_convention() -> None:
    assert borda_scores(hand_lists(), "zero") == {"a": 7.5, "b": 5.0, "c": 3.5, "d": 0.0}


def test_borda_table_support_and_ties() -> None:
    result = borda(hand_lists(), unranked="tied")
    assert result.order == ["a", "b", "c", "d"]
    t = result.table
    assert t["lists_containing"].to_list() == [3, 2, 2, 1]
    # ranked lists (L1, L2) placing the item at or above its consensus position:
    # a@1: L1 yes, L2 (2nd) no -> 1; b@2: L1 2 yes, L2 1 yes -> 2; c@3: L1 -> 1; d@4: L1 -> 1
    assert t["lists_at_or_above"].to_list() == [1, 2, 1, 1]
    tied = borda([R("x", ["a", "b"]), R("y", ["b", "a"])])
    assert tied.table["rank"].to_list() == [1, 1]
    assert "share the remaining" in result.description


def test_borda_tied_ranks_within_a_list() -> None:
    # a and b tied for 1st in a 3-item list: positions 1.5 each -> n - 1.5 = 1.5; c -> 0.
    assert borda_scores([R("t", ["a", "b", "c"], [1, 1, 3])]) == {"a": 1.5, "b": 1.5, "c": 0.0}


def schulze_example() -> list[RankedList]:
    ballots = [(5, "ACBED"), (5, "ADECB"), (8, "BEDAC"), (3, "CABED"), (7, "CAEBD"),
               (2, "CBADE"), (7, "DCEBA"), (8, "EBADC")]
    out = []
    for count, order in ballots:
        out.extend(R(f"{order}{k}", list(order)) for k in range(count))
    return out


def test_schulze_reference_example() -> None:
    result = schulze(schulze_example())
    assert result.order == ["E", "A", "C", "B", "D"]
    assert result.table["rank"].to_list() == [1, 2, 3, 4, 5]
    d = pairwise(schulze_example(), ["A", "B", "C", "D", "E"])
    assert d[0, 1] == 20 and d[1, 0] == 25  # published pairwise matrix: d[A,B]=20, d[B,A]=25


def partial_lists() -> list[RankedList]:
    return [R("L1", ["a", "b", "c"]), R("L2", ["b", "a"]), R("L3", ["c", "a"])]


def test_schulze_partial_lists_listed_over_unlisted() -> None:
    # L2 also says a, b > c; L3 also says c, a > b. d[a,b] = 2:1, d[a,c] = 2:1, d[b,c] = 2:1.
    result = schulze(partial_lists(), pairs="listed_over_unlisted")
    assert result.order == ["a", "b", "c"] and result.table["rank"].to_list() == [1, 2, 3]


def test_schulze_partial_lists_listed_only_gives_ties() -> None:
    # Only lists holding both speak: a-b 1:1, a-c 1:1, b-c 1:0 -> b beats c, a ties both.
    result = schulze(partial_lists(), pairs="listed")
    ranks = dict(zip(result.order, result.table["rank"].to_list(), strict=True))
    assert ranks == {"a": 1, "b": 1, "c": 2}


def test_kemeny_hand_computed() -> None:
    # a b c twice, b c a once: d[a,b] 2:1, d[b,c] 3:0, d[a,c] 2:1.
    # a b c costs 1 + 1 + 0 = 2; b a c costs 3; b c a costs 4.
    lists = [R("1", ["a", "b", "c"]), R("2", ["a", "b", "c"]), R("3", ["b", "c", "a"])]
    result = kemeny(lists)
    assert result.order == ["a", "b", "c"]
    assert result.params["disagreement"] == 2 and result.params["exact"]
    assert "exact" in result.description


def random_lists(rng: np.random.Generator, n_items: int, n_lists: int) -> list[RankedList]:
    items = [chr(97 + i) for i in range(n_items)]
    out = []
    for k in range(n_lists):
        size = int(rng.integers(2, n_items + 1))
        chosen = list(rng.permutation(items)[:size])
        if rng.random() < 0.25:
            out.append(U(f"u{k}", chosen))
        else:
            ranks = sorted(int(r) for r in rng.integers(1, size + 1, size=size))
            out.append(R(f"r{k}", chosen, ranks))
    return out


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("pairs", ["listed_over_unlisted", "listed"])
def test_kemeny_exact_matches_brute_force(seed: int, pairs: str) -> None:
    lists = random_lists(np.random.default_rng(seed), 6, 5)
    best, optimal = brute_force_kemeny(lists, pairs)
    result = kemeny(lists, pairs=pairs, unranked="tied")
    assert result.params["disagreement"] == best
    assert result.order in optimal


@pytest.mark.parametrize("seed", range(6))
def test_kemeny_approximation_is_a_local_optimum(seed: int) -> None:
    lists = random_lists(np.random.default_rng(100 + seed), 7, 6)
    best, _ = brute_force_kemeny(lists)
    result = kemeny(lists, exact_limit=0, unranked="tied")
    assert "approximation" in result.description and not result.params["exact"]
    cost = result.params["disagreement"]
    assert cost >= best
    items = list(dict.fromkeys(i for lst in lists for i in lst.items))
    d = pairwise(lists, items)
    order = [items.index(i) for i in result.order]
    assert kemeny_cost(order, d) == cost
    for k in range(len(order)):  # no single move improves
        rest = order[:k] + order[k + 1:]
        for slot in range(len(order)):
            assert kemeny_cost([*rest[:slot], order[k], *rest[slot:]], d) >= cost


def test_unranked_lists_are_left_out_by_default() -> None:
    # L3 (unranked) names c and a: left out, the ranked lists alone order the hubs.
    # n = 4 (a b c d from L1). L1: a3 b2 c1 d0; L2 (m=2): b3 a2, c d share 3-4 -> 0.5 each.
    result = borda(hand_lists())
    assert dict(zip(result.order, result.table["score"].to_list(), strict=True)) == {
        "a": 5.0, "b": 5.0, "c": 1.5, "d": 0.5}
    assert result.params["unranked_left_out"] == ["L3"] and result.n_lists == 2
    assert "1 unranked list left out" in result.description
    # A hub named only by unranked lists is not in the consensus.
    only = [R("r", ["a", "b"]), U("u1", ["z", "b"]), U("u2", ["z", "a"]), U("u3", ["z"])]
    for method in ("borda", "schulze", "kemeny"):
        assert "z" not in consensus(only, method).order
        assert consensus(only, method, unranked="tied").order[0] in {"z", "a", "b"}
    # Unranked lists counted as ties can outvote the ranked list (the reason for the default).
    assert borda(only, unranked="tied").order[0] == "z"
    with pytest.raises(ComputationError, match="at least one ranked list"):
        borda([U("u", ["a", "b"])])
    with pytest.raises(MethodologyError, match="unranked"):
        borda(hand_lists(), unranked="half")


@pytest.mark.parametrize("seed", range(4))
def test_kemeny_score_is_the_lead_over_the_next_hub(seed: int) -> None:
    lists = random_lists(np.random.default_rng(200 + seed), 7, 6)
    result = kemeny(lists, unranked="tied")
    items = list(dict.fromkeys(i for lst in lists for i in lst.items))
    d = pairwise(lists, items)
    order = [items.index(i) for i in result.order]
    lead = result.table["score"].to_list()
    for k in range(len(order) - 1):
        a, b = order[k], order[k + 1]
        assert lead[k] == d[a, b] - d[b, a] >= 0
        assert (result.table["rank"][k + 1] == result.table["rank"][k]) == (lead[k] == 0)
    assert np.isnan(lead[-1]) and result.score_label == "lead over next"


def test_consensus_dispatch_and_errors() -> None:
    assert consensus(hand_lists(), "borda").method == "borda"
    with pytest.raises(MethodologyError):
        consensus(hand_lists(), "copeland")
    with pytest.raises(MethodologyError):
        borda(hand_lists(), unlisted="half")
    with pytest.raises(MethodologyError):
        schulze([])


def test_gii_editions_put_tokyo_first_by_kemeny() -> None:
    from techhubs.compare import consensus_ranking

    result = consensus_ranking(["gii-2018", "gii-2023", "gii-2024", "gii-2025"],
                               method="kemeny")
    # Tokyo-Yokohama leads three of the four editions, Shenzhen-Hong Kong-Guangzhou one.
    assert result.order[:2] == ["tokyo-yokohama", "shenzhen-hong-kong-guangzhou"]
    assert result.table["lists_containing"][0] == 4
    assert "approximation" in result.description
