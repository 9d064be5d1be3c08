"""Consensus rankings over partial, ranked and unranked lists.

Items are hub keys; the universe is the union of the lists used (n items).

**Unranked lists** (an article's "top tech hubs" without an order) say which
hubs belong near the top, not in what order. By the ``unranked`` rule:

* ``"ignore"`` (default): they are left out, so only ranked lists order the
  hubs, and a hub named only by unranked lists is not in the consensus (the
  result's ``params["unranked_left_out"]`` names the lists left out). A
  handful of unranked lists could otherwise outvote every ranked one: a hub
  on many listicles would lead though no ranking puts it first;
* ``"tied"``: each is read as a list whose hubs all share one rank (below).

**Borda** (:func:`borda`). Within a list of m items, an item's position q is
its 1-based place among the list's items, with tied items (equal ranks, or
every item of an unranked list) sharing the mean of their positions; it
scores n - q. Published rank gaps are not positions (GII 2025's 21st is its
16th listed item). Unlisted items, by the ``unlisted`` convention:

* ``"share"`` (default): they share the remaining positions m+1..n, i.e.
  each scores (n - m - 1) / 2 — the list is read as "these first, the rest
  in unknown order";
* ``"zero"``: they score 0 — the list says nothing about them.

**Pairwise preferences** (Schulze and Kemeny). A list prefers a to b when it
ranks a strictly above b; by the ``pairs`` convention also when

* ``"listed_over_unlisted"`` (default): it lists a and not b (a partial top-k
  list is read as "the listed ones are ahead"); an unranked list then
  expresses exactly these preferences;
* ``"listed"``: never; only lists holding both items speak about them.

**Schulze** (:func:`schulze`): winning-votes strongest paths (Schulze 2011,
Social Choice and Welfare 36); an item's consensus rank is 1 + the number of
items that beat it by strongest path, so items that beat each other equally
share a rank.

**Kemeny-Young** (:func:`kemeny`) minimises the total number of pairwise
disagreements with the lists (Kendall distance summed over lists, under the
``pairs`` convention). For n <= ``exact_limit`` (default 10) it is solved
exactly by dynamic programming over subsets (O(2^n n^2)); beyond that it is
an **approximation**: the Borda order refined by best-insertion local search
(move one item to the position that lowers the total disagreement most,
until no move improves it), which subsumes adjacent swaps. The result says
which was used.

Each consensus position k reports support: how many lists contain the item
(``lists_containing``) and how many ranked lists place it at or above k
(``lists_at_or_above``: published rank <= k). ``score`` is the Borda total,
the number of items a Schulze winner beats, or for Kemeny the item's **lead
over the next**: lists preferring it to the hub just below it minus the
reverse. A Kemeny order never places a hub below one that more lists prefer
it to (swapping the two would lower the disagreement), so the lead is never
negative, and a lead of 0 is a tie (the two share a rank); the last hub has
no lead (NaN). ``Consensus.score_label`` names the score for headers.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from techhubs.compare.rankings import RankedList
from techhubs.errors import ComputationError, MethodologyError

UNRANKED_RULES = ("ignore", "tied")
UNLISTED_CONVENTIONS = ("share", "zero")
PAIR_CONVENTIONS = ("listed_over_unlisted", "listed")
METHODS = ("borda", "schulze", "kemeny")


@dataclass(frozen=True)
class Consensus:
    """A consensus ranking: ``table`` (position, rank, item, label, score, support) and method notes."""

    method: str
    description: str
    table: pl.DataFrame
    n_lists: int
    params: dict[str, Any] = field(default_factory=dict)
    score_label: str = "score"

    @property
    def order(self) -> list[str]:
        return self.table["item"].to_list()


def _universe(lists: Sequence[RankedList]) -> list[str]:
    items: list[str] = []
    seen: set[str] = set()
    for lst in lists:
        for i in lst.items:
            if i not in seen:
                seen.add(i)
                items.append(i)
    return items


def _positions(lst: RankedList) -> dict[str, float]:
    """Mean 1-based position among the list's items, ties sharing positions."""
    out: dict[str, float] = {}
    q = 0
    for _, group in lst.tie_groups():
        mean = q + (len(group) + 1) / 2
        for item in group:
            out[item] = mean
        q += len(group)
    return out


def borda_scores(lists: Sequence[RankedList], unlisted: str = "share") -> dict[str, float]:
    """Borda points per item (see the module docstring for the conventions)."""
    if unlisted not in UNLISTED_CONVENTIONS:
        raise MethodologyError(f"unknown unlisted convention {unlisted!r}", key="unlisted",
                               hint=f"one of {', '.join(UNLISTED_CONVENTIONS)}")
    items = _universe(lists)
    n = len(items)
    scores = dict.fromkeys(items, 0.0)
    for lst in lists:
        pos = _positions(lst)
        m = len(pos)
        rest = (n - m - 1) / 2 if unlisted == "share" else 0.0
        for item in items:
            scores[item] += (n - pos[item]) if item in pos else rest
    return scores


def pairwise(lists: Sequence[RankedList], items: Sequence[str],
             pairs: str = "listed_over_unlisted") -> np.ndarray:
    """d[i, j] = number of lists preferring items[i] to items[j]."""
    if pairs not in PAIR_CONVENTIONS:
        raise MethodologyError(f"unknown pairs convention {pairs!r}", key="pairs",
                               hint=f"one of {', '.join(PAIR_CONVENTIONS)}")
    idx = {item: k for k, item in enumerate(items)}
    n = len(items)
    d = np.zeros((n, n), dtype=np.int64)
    for lst in lists:
        level = np.full(n, np.inf)  # lower = better; inf = unlisted
        for k, (_, group) in enumerate(lst.tie_groups()):
            for item in group:
                level[idx[item]] = k
        listed = np.isfinite(level)
        better = level[:, None] < level[None, :]
        if pairs == "listed":
            better &= listed[:, None] & listed[None, :]
        d += better
    return d


def _support(order: Sequence[str], lists: Sequence[RankedList]) -> tuple[list[int], list[int]]:
    containing, at_or_above = [], []
    maps = [dict(zip(lst.items, lst.ranks, strict=True)) for lst in lists]
    for rank, item in enumerate(order, start=1):
        containing.append(sum(1 for m in maps if item in m))
        count = 0
        for lst, m in zip(lists, maps, strict=True):
            listed_rank = m.get(item)
            if lst.ordered and listed_rank is not None and listed_rank <= rank:
                count += 1
        at_or_above.append(count)
    return containing, at_or_above


def _labels(lists: Sequence[RankedList]) -> dict[str, str]:
    out: dict[str, str] = {}
    for lst in lists:
        for k, v in lst.labels.items():
            out.setdefault(k, v)
    return out


def _table(order: Sequence[str], ranks: Sequence[int], scores: Sequence[float],
           lists: Sequence[RankedList], labels: dict[str, str] | None) -> pl.DataFrame:
    containing, above = _support(order, lists)
    names = labels if labels is not None else _labels(lists)
    return pl.DataFrame({
        "position": list(range(1, len(order) + 1)), "rank": list(ranks), "item": list(order),
        "label": [names.get(i, i) for i in order], "score": [float(s) for s in scores],
        "lists_containing": containing, "lists_at_or_above": above,
    }, schema={"position": pl.Int64, "rank": pl.Int64, "item": pl.Utf8, "label": pl.Utf8,
               "score": pl.Float64, "lists_containing": pl.Int64,
               "lists_at_or_above": pl.Int64})


def _competition(values: Sequence[float]) -> list[int]:
    """Competition ranks (1 = best) of values sorted best-first."""
    ranks: list[int] = []
    for k, v in enumerate(values):
        ranks.append(ranks[-1] if k and v == values[k - 1] else k + 1)
    return ranks


def _usable(lists: Sequence[RankedList], unranked: str) -> tuple[list[RankedList], list[str]]:
    """The lists the ``unranked`` rule keeps, and the names of those it leaves out."""
    if unranked not in UNRANKED_RULES:
        raise MethodologyError(f"unknown unranked rule {unranked!r}", key="unranked",
                               hint=f"one of {', '.join(UNRANKED_RULES)}")
    if not lists or not any(len(lst) for lst in lists):
        raise MethodologyError("consensus needs at least one non-empty list")
    if unranked == "tied":
        return list(lists), []
    kept = [lst for lst in lists if lst.ordered]
    if not any(len(lst) for lst in kept):
        raise ComputationError(
            "consensus needs at least one ranked list; every list given is unranked",
            key="unranked", hint="count unranked lists as ties with unranked='tied' "
                                 "(--unranked tied)")
    return kept, [lst.name for lst in lists if not lst.ordered]


def _lists_note(used: Sequence[RankedList], left_out: Sequence[str]) -> str:
    note = f"over {len(used)} lists"
    if left_out:
        note += (f" ({len(left_out)} unranked list{'s' if len(left_out) > 1 else ''} left out: "
                 "they say which hubs are near the top, not in what order; "
                 "unranked='tied' counts them as ties)")
    elif any(not lst.ordered for lst in used):
        note += " (unranked lists counted as lists whose hubs tie)"
    return note


def borda(lists: Sequence[RankedList], unlisted: str = "share",
          labels: dict[str, str] | None = None, unranked: str = "ignore") -> Consensus:
    """Borda consensus: items by total points (ties share a rank, then by name)."""
    used, left_out = _usable(lists, unranked)
    scores = borda_scores(used, unlisted)
    order = sorted(scores, key=lambda i: (-scores[i], i))
    vals = [scores[i] for i in order]
    ranks = _competition([-v for v in vals])
    desc = (f"Borda count {_lists_note(used, left_out)}; unlisted items "
            + ("share the remaining positions" if unlisted == "share" else "score 0"))
    return Consensus("borda", desc, _table(order, ranks, vals, used, labels), len(used),
                     {"unlisted": unlisted, "unranked": unranked,
                      "unranked_left_out": left_out}, "Borda points")


def schulze(lists: Sequence[RankedList], pairs: str = "listed_over_unlisted",
            labels: dict[str, str] | None = None, unranked: str = "ignore") -> Consensus:
    """Schulze consensus (winning votes); ``score`` = number of items beaten."""
    used, left_out = _usable(lists, unranked)
    items = _universe(used)
    d = pairwise(used, items, pairs)
    n = len(items)
    strength = np.where(d > d.T, d, 0).astype(np.int64)
    for k in range(n):  # Floyd-Warshall on the widest path
        strength = np.maximum(strength, np.minimum(strength[:, k][:, None],
                                                   strength[k, :][None, :]))
    np.fill_diagonal(strength, 0)
    beats = strength > strength.T
    wins = beats.sum(axis=1)
    beaten_by = beats.sum(axis=0)
    order_idx = sorted(range(n), key=lambda i: (beaten_by[i], -wins[i], items[i]))
    order = [items[i] for i in order_idx]
    ranks = [int(beaten_by[i]) + 1 for i in order_idx]
    desc = (f"Schulze method (winning votes, strongest paths) {_lists_note(used, left_out)}; "
            + ("a listed item is preferred to an unlisted one" if pairs == "listed_over_unlisted"
               else "only lists holding both items compare them")
            + "; score: the number of hubs it beats by strongest path")
    return Consensus("schulze", desc,
                     _table(order, ranks, [float(wins[i]) for i in order_idx], used, labels),
                     len(used), {"pairs": pairs, "unranked": unranked,
                                 "unranked_left_out": left_out}, "hubs beaten")


def kemeny_cost(order: Sequence[int], d: np.ndarray) -> int:
    """Total disagreements of an order (indices) with the pairwise counts ``d``."""
    o = np.asarray(order)
    pos = np.empty(len(o), dtype=np.int64)
    pos[o] = np.arange(len(o))
    after = pos[:, None] > pos[None, :]  # after[i, j]: i placed below j
    return int(np.sum(d[after]))


def _kemeny_exact(d: np.ndarray) -> list[int]:
    n = d.shape[0]
    full = (1 << n) - 1
    best = np.full(1 << n, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.zeros(1 << n, dtype=np.int64)
    best[0] = 0
    for mask in range(1, full + 1):
        members = [i for i in range(n) if mask >> i & 1]
        for x in members:
            rest = mask & ~(1 << x)
            # x placed below every item of ``rest``: disagreements from lists preferring x.
            c = best[rest] + int(sum(d[x, y] for y in members if y != x))
            if c < best[mask]:
                best[mask], last[mask] = c, x
    order: list[int] = []
    mask = full
    while mask:
        x = int(last[mask])
        order.append(x)
        mask &= ~(1 << x)
    return order[::-1]


def _kemeny_local(start: list[int], d: np.ndarray) -> list[int]:
    order = list(start)
    n = len(order)
    improved = True
    while improved:
        improved = False
        for k in range(n):
            item = order[k]
            rest = order[:k] + order[k + 1:]
            # cost change of inserting ``item`` at each slot relative to the top
            # (pref_below[s] = disagreements if ``item`` sits below rest[:s]).
            above_cost = np.array([d[item, r] for r in rest])  # r above item: lists preferring item
            below_cost = np.array([d[r, item] for r in rest])  # r below item: lists preferring r
            slot_costs = np.concatenate(([0], np.cumsum(above_cost))) + np.concatenate(
                (np.cumsum(below_cost[::-1])[::-1], [0]))
            best_slot = int(np.argmin(slot_costs))
            if slot_costs[best_slot] < slot_costs[k]:
                order = [*rest[:best_slot], item, *rest[best_slot:]]
                improved = True
    return order


def kemeny(lists: Sequence[RankedList], pairs: str = "listed_over_unlisted",
           unlisted: str = "share", exact_limit: int = 10,
           labels: dict[str, str] | None = None, unranked: str = "ignore") -> Consensus:
    """Kemeny-Young consensus: exact for n <= ``exact_limit``, else Borda + best-insertion.

    ``score`` is each hub's lead over the next one (see the module notes).
    """
    used, left_out = _usable(lists, unranked)
    items = _universe(used)
    d = pairwise(used, items, pairs)
    idx = {i: k for k, i in enumerate(items)}
    if len(items) <= exact_limit:
        order_idx = _kemeny_exact(d)
        how = "exact (dynamic programming over subsets)"
    else:
        start = borda(used, unlisted, unranked="tied").order
        order_idx = _kemeny_local([idx[i] for i in start], d)
        how = ("approximation: Borda order refined by best-insertion local search "
               "(local optimum, not guaranteed minimal)")
    cost = kemeny_cost(order_idx, d)
    order = [items[i] for i in order_idx]
    # Adjacent items are tied when swapping them leaves the total unchanged.
    ranks = [1]
    for k in range(1, len(order_idx)):
        a, b = order_idx[k - 1], order_idx[k]
        ranks.append(ranks[-1] if d[a, b] == d[b, a] else k + 1)
    # score: lead over the next hub (>= 0 in a Kemeny order; 0 = tied with it)
    lead = [float(d[a, b] - d[b, a]) for a, b in itertools.pairwise(order_idx)] + [float("nan")]
    desc = (f"Kemeny-Young, {how}, {_lists_note(used, left_out)}; total pairwise "
            f"disagreement {cost}; " + ("a listed item is preferred to an unlisted one"
                                        if pairs == "listed_over_unlisted"
                                        else "only lists holding both items compare them")
            + "; score: lists preferring the hub to the next one minus the reverse "
              "(0 = tied with it)")
    return Consensus("kemeny", desc, _table(order, ranks, lead, used, labels), len(used),
                     {"pairs": pairs, "exact": len(items) <= exact_limit,
                      "disagreement": cost, "how": how, "unranked": unranked,
                      "unranked_left_out": left_out}, "lead over next")


def consensus(lists: Sequence[RankedList], method: str = "borda", **options: Any) -> Consensus:
    """Dispatch to :func:`borda`, :func:`schulze` or :func:`kemeny`."""
    if method == "borda":
        return borda(lists, **options)
    if method == "schulze":
        return schulze(lists, **options)
    if method == "kemeny":
        return kemeny(lists, **options)
    raise MethodologyError(f"unknown consensus method {method!r}", key="method",
                           hint=f"one of {', '.join(METHODS)}")


def brute_force_kemeny(lists: Sequence[RankedList], pairs: str = "listed_over_unlisted"
                       ) -> tuple[int, list[list[str]]]:
    """Minimal total disagreement and every optimal order, by enumeration (small n only)."""
    items = _universe(lists)
    if len(items) > 8:
        raise MethodologyError("brute force is limited to 8 items")
    d = pairwise(lists, items, pairs)
    best: tuple[int, list[list[str]]] = (np.iinfo(np.int64).max, [])
    for perm in itertools.permutations(range(len(items))):
        c = kemeny_cost(perm, d)
        if c < best[0]:
            best = (c, [[items[i] for i in perm]])
        elif c == best[0]:
            best[1].append([items[i] for i in perm])
    return best


__all__ = ["METHODS", "PAIR_CONVENTIONS", "UNLISTED_CONVENTIONS", "UNRANKED_RULES", "Consensus", "borda",
           "borda_scores", "brute_force_kemeny", "consensus", "kemeny", "kemeny_cost",
           "pairwise", "schulze"]
