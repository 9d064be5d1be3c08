"""Batched evaluation of a methodology tree: many weight vectors at once.

The normalised matrix ``X`` (n_units, k) is shared by every run of a batch;
the weights differ per run, ``W`` (runs, n_nodes). A node whose children
are all indicators is then one matrix product (``W_children @ f(X)^T``);
higher nodes combine per-run (runs, n_units) arrays elementwise. Every
mean of the engine is a ratio of two weighted sums,

    arithmetic  sum(w x) / sum(w)          sum        sum(w x)
    geometric   exp(sum(w log x) / sum(w)) harmonic   sum(w) / sum(w / x)
    generalised (sum(w x^p) / sum(w))^(1/p)

with missing children skipped and the weights renormalised over the
children a unit has, exactly as :mod:`techhubs.index._means` does for a
single run (so batched and per-run scores agree to rounding): the transforms
``f`` and ``f^-1`` are :func:`techhubs.index._means.power_transform` and
``power_inverse``, the one definition of these means. Copeland is evaluated
on the stacked (runs, n_units, k) children by the engine's own ``copeland``:
its cost is O(runs x n_units^2 x k), fine for a few hundred units.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from techhubs.errors import ComputationError
from techhubs.index import _means
from techhubs.methodology import AggregationSpec, Methodology

Array = NDArray[np.float64]


class _Value:
    """Scores of one node: shared (n_units,) or per run (runs, n_units)."""

    __slots__ = ("data", "has_nan", "shared")

    def __init__(self, data: Array, shared: bool) -> None:
        self.data = data
        self.shared = shared
        self.has_nan = bool(np.isnan(data).any())


def _needs_positive(spec: AggregationSpec) -> bool:
    return _means.needs_positive(spec.method, spec.p)


def _combine(children: list[_Value], w: Array, spec: AggregationSpec, node: str) -> Array:
    method, p = spec.method, spec.p
    if _needs_positive(spec):
        for c in children:
            if np.nanmin(c.data, initial=np.inf) <= 0:
                raise ComputationError(
                    f"{method} mean of node {node!r} needs positive values, but some "
                    "normalised scores are <= 0",
                    hint="sample normalisations with a positive range, e.g. "
                    "'minmax:low=1:high=100' or 'zscore:mean=100:sd=10'",
                )
    runs = w.shape[0]
    shared = [i for i, c in enumerate(children) if c.shared]
    per_run = [i for i, c in enumerate(children) if not c.shared]
    num: Array | None = None
    den: Array = np.zeros((runs, 1))
    if shared:
        block = np.column_stack([children[i].data for i in shared])
        avail = ~np.isnan(block)
        f = np.where(avail, _means.power_transform(block, method, p), 0.0)
        ws = w[:, shared]
        num = ws @ f.T
        if avail.all():
            den = den + ws.sum(axis=1, keepdims=True)
        else:
            den = den + ws @ avail.T.astype(np.float64)
    for i in per_run:
        c = children[i]
        wi = w[:, i, None]
        fv = _means.power_transform(c.data, method, p)
        if c.has_nan:
            a = ~np.isnan(c.data)
            fv = np.where(a, fv, 0.0)
            den = den + wi * a
        else:
            den = den + wi
        if num is None:
            num = wi * fv
        else:
            num += wi * fv
    assert num is not None
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        score = num if method == "sum" else _means.power_inverse(
            np.divide(num, den, out=num), method, p)
    bad = den <= 0
    if spec.min_coverage > 0:
        avail_count = np.zeros((1, 1))
        for c in children:
            avail_count = avail_count + ~np.isnan(c.data)
        bad = bad | (avail_count / len(children) < spec.min_coverage)
    if bad.any():
        return np.where(bad, np.nan, score)
    return score


def _collapsed(x: Array, codes: list[str], m: Methodology, weights: Array,
               columns: Mapping[str, int], spec: AggregationSpec) -> Array | None:
    """The whole tree as one product, when every node takes the same power mean and no
    value is missing: nested weighted power means with one exponent are a single power mean
    with the products of the normalised weights along each path (``sum``: of the raw
    weights). None when some node has children of total weight 0 (left to the general path,
    which drops such a node)."""
    method = spec.method
    if method == "generalised" and np.min(x, initial=np.inf) <= 0:
        return None  # negative powers may have no real root: per-node path
    leaves = {code: j for j, code in enumerate(codes)}
    norm = np.empty_like(weights)
    for node in m.aggregation_order():
        kids = [columns[c.code] for c in m.children(node.code)]
        w = weights[:, kids]
        if method == "sum":
            norm[:, kids] = w
            continue
        total = w.sum(axis=1, keepdims=True)
        if (total <= 0).any():
            return None
        norm[:, kids] = w / total
    v = np.ones((weights.shape[0], len(codes)))
    for code, j in leaves.items():
        node = m.node(code)
        while node.parent is not None:
            v[:, j] *= norm[:, columns[node.code]]
            node = m.node(node.parent)
    if _needs_positive(spec) and np.min(x, initial=np.inf) <= 0:
        raise ComputationError(
            f"{method} mean needs positive values, but some normalised scores are <= 0",
            hint="sample normalisations with a positive range, e.g. "
            "'minmax:low=1:high=100' or 'zscore:mean=100:sd=10'",
        )
    f = _means.power_transform(x, method, spec.p)
    s = v @ f.T
    return s if method == "sum" else _means.power_inverse(s, method, spec.p)


def batch_scores(x: Array, codes: list[str], m: Methodology, weights: Array,
                 columns: Mapping[str, int], aggregation: AggregationSpec | None = None
                 ) -> Array:
    """Index scores ``(runs, n_units)`` of ``m`` on the normalised ``x`` (n_units, k).

    ``weights`` is ``(runs, n_nodes)``; ``columns`` maps a node code to its
    column. ``aggregation`` overrides every node's method.
    """
    scale = _means.safe_scale(x, m, aggregation)
    if scale != 1.0:  # homogeneous means: aggregate the scaled-down values, scale back
        return batch_scores(x / scale, codes, m, weights, columns, aggregation) * scale
    runs = weights.shape[0]
    order = m.aggregation_order()
    specs = {node.code: aggregation or m.aggregation_for(node) for node in order}
    first = specs[order[0].code]
    if (first.method != "copeland" and not np.isnan(x).any()
            and all((s.method, s.p) == (first.method, first.p) for s in specs.values())):
        collapsed = _collapsed(x, codes, m, weights, columns, first)
        if collapsed is not None:
            return collapsed
    values: dict[str, _Value] = {code: _Value(x[:, j], True) for j, code in enumerate(codes)}
    for node in order:
        children = m.children(node.code)
        spec = specs[node.code]
        w = weights[:, [columns[c.code] for c in children]]
        kids = [values.pop(c.code) for c in children]
        if spec.method == "copeland":
            score = _copeland(kids, w, runs, x.shape[0], spec.min_coverage)
        else:
            score = _combine(kids, w, spec, node.code)
        values[node.code] = _Value(np.broadcast_to(score, (runs, x.shape[0])), False)
    return np.asarray(values[m.root.code].data)


# Copeland builds (runs, n_units, n_units) outranking matrices: runs per slice.
_COPELAND_CELLS = 4_000_000


def _copeland(kids: list[_Value], w: Array, runs: int, n: int, min_coverage: float) -> Array:
    step = max(1, _COPELAND_CELLS // max(n * n, 1))
    out = np.empty((runs, n))
    for start in range(0, runs, step):
        stop = min(start + step, runs)
        stacked = np.stack([np.broadcast_to(k.data, (runs, n))[start:stop] for k in kids],
                           axis=-1)
        out[start:stop] = _means.copeland(stacked, w[start:stop], min_coverage)
    return out
