"""Aggregation of children scores into a parent score.

Each function takes ``x`` shaped ``(..., n_units, k)`` and weights
broadcastable to ``(..., 1, k)``, and returns ``(..., n_units)``. Missing
children are skipped and the remaining weights renormalised; a unit with a
share of available children below ``min_coverage`` (or none) gets NaN.
"""

from __future__ import annotations

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


def arithmetic(x: Array, weights: Array, min_coverage: float = 0.0) -> Array:
    xv, w, _ = _prepare(x, weights)
    wsum = w.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = (xv * w).sum(axis=-1) / wsum
    return _finish(score, x, w, min_coverage)


def weighted_sum(x: Array, weights: Array, min_coverage: float = 0.0) -> Array:
    """Weighted sum (the GII adds the shares of the world totals)."""
    xv, w, _ = _prepare(x, weights)
    return _finish((xv * w).sum(axis=-1), x, w, min_coverage)


def _check_positive(x: Array, method: str) -> None:
    if np.nanmin(x, initial=np.inf) <= 0:
        raise ComputationError(
            f"{method} mean needs positive values, but some normalised scores are <= 0",
            hint="normalise to a positive range, e.g. [normalise] method='minmax' low=1 "
            "high=100, or method='zscore' mean=100 sd=10",
        )


def geometric(x: Array, weights: Array, min_coverage: float = 0.0) -> Array:
    _check_positive(x, "geometric")
    xv, w, avail = _prepare(x, weights)
    wsum = w.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = np.where(avail, np.log(np.where(avail, xv, 1.0)), 0.0)
        score = np.exp((logs * w).sum(axis=-1) / wsum)
    return _finish(score, x, w, min_coverage)


def harmonic(x: Array, weights: Array, min_coverage: float = 0.0) -> Array:
    _check_positive(x, "harmonic")
    xv, w, avail = _prepare(x, weights)
    wsum = w.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        inv = np.where(avail, 1.0 / np.where(avail, xv, 1.0), 0.0)
        score = wsum / (inv * w).sum(axis=-1)
    return _finish(score, x, w, min_coverage)


def generalised(x: Array, weights: Array, p: float, min_coverage: float = 0.0) -> Array:
    """Weighted power mean: (sum w x^p / sum w)^(1/p); p=1 arithmetic, 0 geometric, -1 harmonic."""
    if p == 0:
        return geometric(x, weights, min_coverage)
    if p < 0 or not float(p).is_integer():
        _check_positive(x, f"generalised (p={p:g})")
    xv, w, avail = _prepare(x, weights)
    wsum = w.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        powered = np.where(avail, np.power(np.where(avail, xv, 1.0), p), 0.0)
        score = np.power((powered * w).sum(axis=-1) / wsum, 1.0 / p)
    return _finish(score, x, w, min_coverage)


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
    if method == "arithmetic":
        return arithmetic(x, weights, min_coverage)
    if method == "sum":
        return weighted_sum(x, weights, min_coverage)
    if method == "geometric":
        return geometric(x, weights, min_coverage)
    if method == "harmonic":
        return harmonic(x, weights, min_coverage)
    if method == "generalised":
        return generalised(x, weights, p, min_coverage)
    if method == "copeland":
        return copeland(x, weights, min_coverage)
    raise ValueError(f"unknown aggregation {method!r}")


def rank_descending(score: Array) -> Array:
    """Competition ranks (1 = highest score, ties share the best rank); NaN ranks last."""
    from scipy.stats import rankdata

    filled = np.where(np.isnan(score), -np.inf, score)
    ranks = rankdata(-filled, method="min", axis=-1).astype(np.float64)
    return ranks
