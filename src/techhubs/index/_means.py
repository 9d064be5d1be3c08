"""Aggregation of children scores into a parent score.

Each function takes ``x`` shaped ``(..., n_units, k)`` and weights
broadcastable to ``(..., 1, k)``, and returns ``(..., n_units)``. Missing
children are skipped and the remaining weights renormalised; a unit with a
share of available children below ``min_coverage`` (or none) gets NaN.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from techhubs.errors import ComputationError

Array = NDArray[np.float64]


def _prepare(x: Array, weights: Array) -> tuple[Array, Array, Array]:
    w = np.asarray(weights, dtype=np.float64)
    w = w[None, :] if w.ndim == 1 else w[..., None, :]
    avail = ~np.isnan(x)
    w_avail = np.where(avail, w, 0.0)
    return np.where(avail, x, 0.0), w_avail, avail


def coverage(x: Array) -> Array:
    return np.mean(~np.isnan(x), axis=-1) if x.shape[-1] else np.zeros(x.shape[:-1])


def _finish(score: Array, x: Array, w_avail: Array, min_coverage: float) -> Array:
    wsum = w_avail.sum(axis=-1)
    bad = (wsum <= 0) | (coverage(x) < min_coverage)
    return np.where(bad, np.nan, score)


def _check_positive(x: Array, method: str) -> None:
    if np.nanmin(x, initial=np.inf) <= 0:
        raise ComputationError(
            f"{method} mean needs positive values, but some normalised scores are <= 0",
            hint="normalise to a positive range, e.g. [normalise] method='minmax' low=1 "
            "high=100, or method='zscore' mean=100 sd=10",
        )


def power_mean(x: Array, weights: Array, method: str, p: float = 1.0,
               min_coverage: float = 0.0) -> Array:
    """Weighted quasi-arithmetic mean ``f^-1(sum w f(x) / sum w)`` over the available
    children (``sum``: the weighted sum ``sum w x``); see :func:`power_transform`."""
    if method == "generalised" and p == 0:
        method = "geometric"
    if needs_positive(method, p):
        _check_positive(x, method if method != "generalised" else f"generalised (p={p:g})")
    w1 = np.asarray(weights, dtype=np.float64)
    if w1.ndim == 1 and not np.isnan(x).any():
        return _complete_mean(x, w1, method, p, min_coverage)
    xv, w, avail = _prepare(x, weights)
    f = np.where(avail, power_transform(np.where(avail, xv, 1.0), method, p), 0.0)
    num = (f * w).sum(axis=-1)
    if method == "sum":
        return _finish(num, x, w, min_coverage)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = num / w.sum(axis=-1)
    return _finish(power_inverse(np.asarray(mean, dtype=np.float64), method, p), x, w,
                   min_coverage)


def _complete_mean(x: Array, w: Array, method: str, p: float, min_coverage: float) -> Array:
    """:func:`power_mean` when every child is there and the weights are one vector: the
    same sums in the same order (so the same bits), without masks (one what-if's work)."""
    num = (power_transform(x, method, p) * w).sum(axis=-1)
    wsum = float(np.sum(w))
    if wsum <= 0 or min_coverage > 1.0:
        return np.full(num.shape, np.nan)
    if method == "sum":
        return num
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = num / wsum
    return power_inverse(np.asarray(mean, dtype=np.float64), method, p)


def arithmetic(x: Array, weights: Array, min_coverage: float = 0.0) -> Array:
    return power_mean(x, weights, "arithmetic", 1.0, min_coverage)


def weighted_sum(x: Array, weights: Array, min_coverage: float = 0.0) -> Array:
    """Weighted sum (the GII adds the shares of the world totals)."""
    return power_mean(x, weights, "sum", 1.0, min_coverage)


def geometric(x: Array, weights: Array, min_coverage: float = 0.0) -> Array:
    return power_mean(x, weights, "geometric", 0.0, min_coverage)


def harmonic(x: Array, weights: Array, min_coverage: float = 0.0) -> Array:
    return power_mean(x, weights, "harmonic", -1.0, min_coverage)


def generalised(x: Array, weights: Array, p: float, min_coverage: float = 0.0) -> Array:
    """Weighted power mean: (sum w x^p / sum w)^(1/p); p=1 arithmetic, 0 geometric, -1 harmonic."""
    return power_mean(x, weights, "generalised", p, min_coverage)


def copeland(x: Array, weights: Array, min_coverage: float = 0.0) -> Array:
    """Copeland score of the weighted outranking matrix (a non-compensatory aggregation).

    Unit i outranks j with the (renormalised) weight of the children where
    x_i > x_j, plus half the weight where they tie, over children both have.
    Score = #units i beats (outranking > 1/2) minus #units that beat i.
    """
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 1:
        w = np.broadcast_to(w, (*x.shape[:-2], w.shape[0]))
    n = x.shape[-2]
    win = np.zeros((*x.shape[:-2], n, n))
    both_w = np.zeros_like(win)
    for j in range(x.shape[-1]):
        col = x[..., :, j]
        a = col[..., :, None]
        b = col[..., None, :]
        both = ~(np.isnan(a) | np.isnan(b))
        wj = w[..., j][..., None, None]
        win += np.where(both, wj * ((a > b) + 0.5 * (a == b)), 0.0)
        both_w += np.where(both, wj, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        c = win / both_w
    beats = np.nansum(c > 0.5, axis=-1) - np.nansum(c < 0.5, axis=-1)
    score = beats.astype(np.float64)
    _, w_avail, _ = _prepare(x, weights)
    return _finish(score, x, w_avail, min_coverage)


def aggregate(x: Array, weights: Array, method: str, p: float = 1.0,
              min_coverage: float = 0.0) -> Array:
    """Scores ``(..., n_units)`` of a parent from its children ``x`` (``(..., n_units, k)``)."""
    if method == "copeland":
        return copeland(x, weights, min_coverage)
    if method in ("arithmetic", "sum", "geometric", "harmonic", "generalised"):
        return power_mean(x, weights, method, p, min_coverage)
    raise ValueError(f"unknown aggregation {method!r}")


def power_transform(x: Array, method: str, p: float = 1.0) -> Array:
    """The transform ``f`` of a quasi-arithmetic mean ``f^-1(sum w f(x) / sum w)``.

    The single definition of the power-mean family, shared with the batched
    evaluator: identity (arithmetic, sum), log (geometric, generalised p=0),
    reciprocal (harmonic), ``x^p`` (generalised).
    """
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if method in ("arithmetic", "sum"):
            return x
        if method == "geometric" or (method == "generalised" and p == 0):
            return np.log(x)
        if method == "harmonic":
            return 1.0 / x
        return np.power(x, p)


def power_inverse(mean: Array, method: str, p: float = 1.0) -> Array:
    """``f^-1`` of :func:`power_transform` (``mean`` may be overwritten)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if method in ("arithmetic", "sum"):
            return mean
        if method == "geometric" or (method == "generalised" and p == 0):
            return np.exp(mean, out=mean)
        if method == "harmonic":
            return np.divide(1.0, mean, out=mean)
        return np.power(mean, 1.0 / p, out=mean)


def needs_positive(method: str, p: float = 1.0) -> bool:
    """Whether a mean is defined only for positive values."""
    if method in ("geometric", "harmonic"):
        return True
    return method == "generalised" and (p <= 0 or not float(p).is_integer())


SAFE_MAGNITUDE = 1e150
"""Scores beyond this size are scaled down before weighted sums, which could overflow."""


def safe_scale(x: Array, m: Any, aggregation: Any = None) -> float:
    """A positive factor to divide ``x`` by before aggregating, 1.0 when none is needed.

    Every mean of the engine is positively homogeneous (``M(c x) = c M(x)``), so
    scores of ``x / c`` times ``c`` are the scores of ``x``; Copeland counts are not,
    and a tree that uses Copeland is left as it is.
    """
    big = max(float(np.max(x, initial=0.0)), -float(np.min(x, initial=0.0)))
    if math.isnan(big):  # missing values: the slower NaN-aware maximum
        with np.errstate(invalid="ignore"):
            big = float(np.nanmax(np.abs(x), initial=0.0))
    if not (np.isfinite(big) and big > SAFE_MAGNITUDE):
        return 1.0
    methods = {(aggregation or m.aggregation_for(n)).method for n in m.aggregation_order()}
    return 1.0 if "copeland" in methods else big


def rank_rows(score: Array) -> NDArray[np.int32]:
    """Competition ranks along the last axis (1 = highest; ties share the best rank; NaN last).

    One sort and a scatter per row, for any number of leading axes. The sort
    need not be stable: tied values get the first position of their run
    whatever their order within it.
    """
    key = -np.where(np.isnan(score), -np.inf, score)
    order = np.argsort(key, axis=-1)
    s = np.take_along_axis(key, order, axis=-1)
    n = s.shape[-1]
    new = np.ones(s.shape, dtype=bool)
    new[..., 1:] = s[..., 1:] != s[..., :-1]
    start = np.where(new, np.arange(1, n + 1, dtype=np.int32), np.int32(0))
    np.maximum.accumulate(start, axis=-1, out=start)
    ranks = np.empty(s.shape, dtype=np.int32)
    np.put_along_axis(ranks, order, start, axis=-1)
    return ranks


def rank_descending(score: Array) -> Array:
    """Competition ranks as floats (1 = highest score, ties share the best rank); NaN last."""
    return rank_rows(np.asarray(score, dtype=np.float64)).astype(np.float64)
