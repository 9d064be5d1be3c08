"""Imputation of missing values, column by column, on ``(..., n_units, k)`` arrays."""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def impute(x: Array, method: str, groups: NDArray[np.int64] | None = None) -> Array:
    """Fill NaN with the column mean, median, or the mean of the unit's group.

    ``groups`` gives each unit's group index (for ``group_mean``); a unit whose
    group has no data for an indicator falls back to the column mean.
    """
    if method == "none" or not np.isnan(x).any():
        return x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        if method == "mean":
            fill = np.nanmean(x, axis=-2, keepdims=True)
        elif method == "median":
            fill = np.nanmedian(x, axis=-2, keepdims=True)
        elif method == "group_mean":
            if groups is None:
                raise ValueError("group_mean needs groups")
            col_mean = np.nanmean(x, axis=-2, keepdims=True)
            fill = np.broadcast_to(col_mean, x.shape).copy()
            for g in np.unique(groups):
                rows = groups == g
                sub = x[..., rows, :]
                gm = np.nanmean(sub, axis=-2, keepdims=True)
                fill[..., rows, :] = np.where(np.isnan(gm), fill[..., rows, :], gm)
        else:
            raise ValueError(f"unknown imputation {method!r}")
    return np.where(np.isnan(x), fill, x)
