"""Agreement between rankings: Kendall tau-b on common hubs and rank-biased overlap.

* **Kendall tau-b** (Kendall 1945) is computed on the hubs two ranked lists
  have in common, from their published ranks (equal ranks are ties). It is
  undefined (NaN) when fewer than two hubs are common, when either side is
  all ties on them, or when a list is unranked.
* **Rank-biased overlap** (Webber, Moffat & Zobel 2010, "A similarity
  measure for indefinite rankings", ACM TOIS 28(4)) is computed on the
  whole lists, since it is designed for lists that are not conjoint. This
  module returns the extrapolated RBO_ext of their equation (32) for lists
  of unequal lengths (equation (30) when they are equal), with persistence
  ``p`` (default 0.9: the top 10 carry 86% of the weight).

  *Positions* are published ranks, so a gap in a partial list (ranks 1-15,
  then 21) is filled with unknown items that match nothing (a conservative
  choice: the overlap at those depths can only be underestimated).
  *Ties* (equal ranks, or an unranked list, which is one tie group) are
  handled by expectation: the overlap at depth d is the expected overlap
  under independent, uniformly random tie-breaking in each list. An item
  of a tie group of size g starting at position s lies within the top d
  with probability clip(d - s + 1, 0, g) / g, and the expected overlap is
  the sum over common items of the product of those probabilities. Because
  RBO_ext is linear in the overlaps, the result equals the mean RBO_ext over
  all tie-breakings (the tests check this by enumeration).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from techhubs.compare.rankings import RankedList
from techhubs.errors import ComputationError

DEFAULT_P = 0.9


def kendall_tau_b(x: Sequence[float], y: Sequence[float]) -> float:
    """Kendall's tau-b of two equally long score/rank vectors (NaN when undefined)."""
    a = np.asarray(x, dtype=np.float64)
    b = np.asarray(y, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1:
        raise ComputationError("kendall_tau_b needs two 1-D vectors of equal length")
    n = a.size
    if n < 2:
        return math.nan
    iu = np.triu_indices(n, k=1)
    da = np.sign(a[iu[0]] - a[iu[1]])
    db = np.sign(b[iu[0]] - b[iu[1]])
    s = float(np.sum(da * db))
    n_a = float(np.count_nonzero(da))
    n_b = float(np.count_nonzero(db))
    if n_a == 0 or n_b == 0:
        return math.nan
    return s / math.sqrt(n_a * n_b)


def _coverage(groups: Sequence[tuple[int, Sequence[str]]]) -> tuple[dict[str, tuple[int, int]], int]:
    """item -> (first position of its tie group, group size); and the list's depth."""
    out: dict[str, tuple[int, int]] = {}
    depth = 0
    for start, items in groups:
        if start <= depth:
            raise ComputationError("tie groups overlap: positions must increase")
        for item in items:
            if item in out:
                raise ComputationError(f"item {item!r} appears twice in a list")
            out[item] = (start, len(items))
        depth = start + len(items) - 1
    return out, depth


def _prefix_prob(cov: tuple[int, int], d: np.ndarray) -> np.ndarray:
    start, size = cov
    return np.clip(d - start + 1, 0, size) / size


def rbo(s: Sequence[tuple[int, Sequence[str]]] | RankedList,
        t: Sequence[tuple[int, Sequence[str]]] | RankedList, p: float = DEFAULT_P) -> float:
    """Extrapolated rank-biased overlap RBO_ext of two lists (see the module docstring).

    Each list is a :class:`RankedList` or a sequence of ``(first position,
    items)`` tie groups with increasing positions (gaps allowed). Returns a
    value in [0, 1]: 1 for identical lists, 0 for disjoint ones; NaN when a
    list is empty.
    """
    if not 0.0 < p < 1.0:
        raise ComputationError(f"RBO persistence p must be in (0, 1), got {p}")
    gs = s.tie_groups() if isinstance(s, RankedList) else list(s)
    gt = t.tie_groups() if isinstance(t, RankedList) else list(t)
    cs, ls = _coverage(gs)
    ct, lt = _coverage(gt)
    if ls == 0 or lt == 0:
        return math.nan
    if ls > lt:  # S is the shorter list
        cs, ct, ls, lt = ct, cs, lt, ls
    short, long_ = ls, lt
    d = np.arange(1, long_ + 1, dtype=np.float64)
    x = np.zeros(long_)
    for item in cs.keys() & ct.keys():
        x += _prefix_prob(cs[item], d) * _prefix_prob(ct[item], d)
    xs = x[short - 1]
    xl = x[long_ - 1]
    weights = p ** d
    total = float(np.sum(x / d * weights))
    tail = d[short:]
    total += float(np.sum(xs * (tail - short) / (short * tail) * weights[short:]))
    value = (1 - p) / p * total + ((xl - xs) / long_ + xs / short) * p ** long_
    return float(min(1.0, max(0.0, value)))


def common_items(a: RankedList, b: RankedList) -> list[str]:
    other = set(b.items)
    return [i for i in a.items if i in other]


def tau_on_common(a: RankedList, b: RankedList) -> tuple[float, int, str]:
    """(tau-b on the common hubs, number of common hubs, note)."""
    common = common_items(a, b)
    if not (a.ordered and b.ordered):
        return math.nan, len(common), "unranked list: no order to compare"
    if len(common) < 2:
        return math.nan, len(common), "fewer than two common hubs"
    ra = dict(zip(a.items, a.ranks, strict=True))
    rb = dict(zip(b.items, b.ranks, strict=True))
    tau = kendall_tau_b([float(ra[i]) for i in common],  # type: ignore[arg-type]
                        [float(rb[i]) for i in common])  # type: ignore[arg-type]
    return tau, len(common), "" if not math.isnan(tau) else "all ties on the common hubs"


AGREEMENT_SCHEMA: dict[str, Any] = {"ranking_a": pl.Utf8, "ranking_b": pl.Utf8, "n_a": pl.Int64,
                    "n_b": pl.Int64, "n_common": pl.Int64, "kendall_tau_b": pl.Float64,
                    "rbo": pl.Float64, "p": pl.Float64, "common": pl.List(pl.Utf8),
                    "note": pl.Utf8}


def agreement(lists: Sequence[RankedList], p: float = DEFAULT_P) -> pl.DataFrame:
    """Pairwise agreement of ``lists``: one row per unordered pair (a before b in input order)."""
    rows = []
    for a, b in itertools.combinations(lists, 2):
        tau, n_common, note = tau_on_common(a, b)
        rows.append({"ranking_a": a.name, "ranking_b": b.name, "n_a": len(a), "n_b": len(b),
                     "n_common": n_common, "kendall_tau_b": tau, "rbo": rbo(a, b, p),
                     "p": p, "common": common_items(a, b), "note": note})
    return pl.DataFrame(rows, schema=AGREEMENT_SCHEMA)


def agreement_matrix(table: pl.DataFrame, value: str = "kendall_tau_b") -> pl.DataFrame:
    """Square matrix (first column ``ranking``) of one agreement measure.

    The diagonal is 1 for tau and RBO and the list's length for ``n_common``.
    """
    names: list[str] = []
    for col in ("ranking_a", "ranking_b"):
        for n in table[col].to_list():
            if n not in names:
                names.append(n)
    idx = {n: i for i, n in enumerate(names)}
    m = np.full((len(names), len(names)), np.nan)
    for row in table.iter_rows(named=True):
        i, j = idx[row["ranking_a"]], idx[row["ranking_b"]]
        m[i, j] = m[j, i] = row[value]
    if value in ("kendall_tau_b", "rbo"):
        np.fill_diagonal(m, 1.0)
    elif value == "n_common":  # a list shares all its hubs with itself
        for row in table.iter_rows(named=True):
            m[idx[row["ranking_a"]], idx[row["ranking_a"]]] = row["n_a"]
            m[idx[row["ranking_b"]], idx[row["ranking_b"]]] = row["n_b"]
    return pl.DataFrame({"ranking": names, **{n: m[:, k] for n, k in idx.items()}})


__all__ = ["DEFAULT_P", "agreement", "agreement_matrix", "common_items", "kendall_tau_b",
           "rbo", "tau_on_common"]
