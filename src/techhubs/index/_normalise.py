"""Normalisation: bring indicators onto a common scale.

Every function takes ``x`` shaped ``(..., n_units, n_indicators)`` (NaN =
missing) and normalises along the units axis (-2), so a batch of variants is
one call. ``direction`` is a length-``n_indicators`` vector of +1/-1 that is
applied first: after normalisation, higher is always better.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import NDArray

from techhubs.errors import ComputationError

Array = NDArray[np.float64]


def _oriented(x: Array, direction: Array) -> Array:
    return x * np.asarray(direction, dtype=np.float64)


# Beyond this magnitude a difference or a square of two values can overflow float64.
SAFE_MAGNITUDE = 1e150


def _scaled(y: Array) -> Array:
    """``y`` divided, per column, by its largest magnitude when that exceeds
    :data:`SAFE_MAGNITUDE`: min-max and z-scores are unchanged by a positive factor, and
    their spans and squares then cannot overflow (finite inputs give finite outputs)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        big = np.nanmax(np.abs(y), axis=-2, keepdims=True)
    big = np.where(np.isfinite(big) & (big > SAFE_MAGNITUDE), big, 1.0)
    return y / big if (big != 1.0).any() else y


def minmax(x: Array, direction: Array, low: float = 0.0, high: float = 100.0) -> Array:
    """(x - min) / (max - min) scaled to [low, high]; a constant indicator maps to the midpoint."""
    y = _scaled(_oriented(x, direction))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo = np.nanmin(y, axis=-2, keepdims=True)
        hi = np.nanmax(y, axis=-2, keepdims=True)
    span = hi - lo
    flat = ~(span > 0)
    # a missing value stays missing, also in a constant (or empty) column
    scaled = np.where(flat & ~np.isnan(y), 0.5, (y - lo) / np.where(flat, 1.0, span))
    return low + scaled * (high - low)


def zscore(x: Array, direction: Array, mean: float = 0.0, sd: float = 1.0) -> Array:
    """(x - mean) / sample sd, rescaled to the target ``mean`` and ``sd``."""
    y = _scaled(_oriented(x, direction))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mu = np.nanmean(y, axis=-2, keepdims=True)
        sigma = np.nanstd(y, axis=-2, ddof=1, keepdims=True)
    flat = ~(sigma > 0)
    z = np.where(flat & ~np.isnan(y), 0.0, (y - mu) / np.where(flat, 1.0, sigma))
    return mean + sd * z


def tied_ranks(y: Array, ties: str = "average") -> Array:
    """Ascending ranks (1 = smallest) along axis -2; NaN stays NaN and is not counted.

    ``ties = "average"``: tied values share the mean of their positions;
    ``"min"``: the lowest (R's ``rank(ties.method = "min")``, as COINr's
    ``n_rank`` and ``n_prank``).
    """
    filled = np.where(np.isnan(y), np.inf, y)
    order = np.argsort(filled, axis=-2, kind="stable")
    s = np.take_along_axis(filled, order, axis=-2)
    n = s.shape[-2]
    shape = [1] * s.ndim
    shape[-2] = n
    pos = np.arange(1, n + 1, dtype=np.float64).reshape(shape)
    new = np.ones(s.shape, dtype=bool)
    new[..., 1:, :] = s[..., 1:, :] != s[..., :-1, :]
    first = np.maximum.accumulate(np.where(new, pos, 0.0), axis=-2)
    if ties == "min":
        value = first
    elif ties == "average":
        last_of_group = np.ones(s.shape, dtype=bool)
        last_of_group[..., :-1, :] = new[..., 1:, :]
        last = np.flip(np.minimum.accumulate(
            np.flip(np.where(last_of_group, pos, np.inf), axis=-2), axis=-2), axis=-2)
        value = (first + last) / 2.0
    else:
        raise ComputationError(f"unknown ties rule {ties!r}", key="normalise.ties",
                               hint="choose from: average, min")
    ranks = np.empty(s.shape)
    np.put_along_axis(ranks, order, value, axis=-2)
    return np.where(np.isnan(y), np.nan, ranks)


def rank(x: Array, direction: Array, ties: str = "average") -> Array:
    """Ranks, 1 = worst, n = best; ties share the average (or, ``ties="min"``, lowest) rank."""
    return tied_ranks(_oriented(x, direction), ties)


def percentile(x: Array, direction: Array, scale: float = 100.0,
               ties: str = "average") -> Array:
    """Percentile rank: (rank - 1) / (n - 1) * scale over the units with data.

    With ``ties="min"`` this is COINr's ``n_prank`` (dplyr's ``percent_rank``).
    """
    r = tied_ranks(_oriented(x, direction), ties)
    n = np.sum(~np.isnan(x), axis=-2, keepdims=True).astype(np.float64)
    return np.where(n > 1, (r - 1.0) / np.maximum(n - 1.0, 1.0),
                    np.where(np.isnan(r), np.nan, 0.5)) * scale


def goalposts(x: Array, direction: Array, low: Array, high: Array, scale: float = 100.0) -> Array:
    """(x - low) / (high - low), clipped to [0, 1], times ``scale``; reversed for direction -1."""
    low = np.asarray(low, dtype=np.float64)
    high = np.asarray(high, dtype=np.float64)
    d = np.asarray(direction, dtype=np.float64)
    frac = np.where(d > 0, (x - low) / (high - low), (high - x) / (high - low))
    return np.clip(frac, 0.0, 1.0) * scale


def dist2max(x: Array, direction: Array, scale: float = 100.0) -> Array:
    """Fraction of the frontier: x / max(x) (direction -1: min(x) / x), times ``scale``.

    Needs non-negative values; the best unit scores ``scale``.
    """
    if np.nanmin(x, initial=0.0) < 0:
        raise ComputationError("distance to max needs non-negative values",
                               hint="use minmax or zscore for indicators with negative values")
    d = np.asarray(direction, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        hi = np.nanmax(x, axis=-2, keepdims=True)
        lo = np.nanmin(x, axis=-2, keepdims=True)
        up = x / hi
        down = lo / x
    return np.where(d > 0, up, down) * scale


def share(x: Array, world_total: Array, scale: float = 100.0) -> Array:
    """Share of the world total, in percent by default (the GII cluster metric)."""
    return x / np.asarray(world_total, dtype=np.float64) * scale


def identity(x: Array, direction: Array) -> Array:
    return _oriented(x, direction)
