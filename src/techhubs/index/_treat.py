"""Outlier treatment, following COINr's default rule.

For each indicator: while |skewness| >= ``skew`` and kurtosis >= ``kurtosis``
(sample skewness and excess kurtosis, bias-corrected as in Excel/COINr),
winsorise one more point: the highest value becomes the next highest (or the
lowest the next lowest when skew is negative). If ``max_points`` winsorised
points are not enough, undo them and take logs instead:
``log(x - min + 1)`` for positive skew, ``-log(max - x + 1)`` for negative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


@dataclass(frozen=True)
class TreatmentRecord:
    indicator: str
    action: str  # "none", "winsorised", "log", "failed"
    points: int
    skew_before: float
    kurtosis_before: float
    skew_after: float
    kurtosis_after: float


def _stats(v: NDArray[np.float64]) -> tuple[float, float]:
    from scipy.stats import kurtosis, skew  # imported late: scipy.stats is slow to import

    if v.size < 4 or np.ptp(v) == 0:
        return 0.0, 0.0
    return float(skew(v, bias=False)), float(kurtosis(v, fisher=True, bias=False))


def _outlying(s: float, k: float, skew_t: float, kurt_t: float) -> bool:
    return abs(s) >= skew_t and k >= kurt_t


def treat_column(
    v: NDArray[np.float64], skew_t: float, kurt_t: float, max_points: int, fallback: str
) -> tuple[NDArray[np.float64], str, int]:
    """Treat one column (NaN kept); returns (values, action, points winsorised)."""
    out = v.copy()
    ok = ~np.isnan(out)
    data = out[ok]
    s, k = _stats(data)
    if not _outlying(s, k, skew_t, kurt_t):
        return out, "none", 0
    work = data.copy()
    for n in range(1, max_points + 1):
        if s > 0:
            top = np.argmax(work)
            rest = np.delete(work, top)
            work[top] = rest.max()
        else:
            low = np.argmin(work)
            rest = np.delete(work, low)
            work[low] = rest.min()
        s, k = _stats(work)
        if not _outlying(s, k, skew_t, kurt_t):
            out[ok] = work
            return out, "winsorised", n
    if fallback == "none":
        out[ok] = work
        return out, "failed", max_points
    s0, _ = _stats(data)
    if s0 > 0:
        out[ok] = np.log(data - data.min() + 1.0)
    else:
        out[ok] = -np.log(data.max() - data + 1.0)
    return out, "log", 0


def treat(
    x: Array, codes: list[str], skew_t: float, kurt_t: float, max_points: int, fallback: str
) -> tuple[Array, list[TreatmentRecord]]:
    """Treat every column of a 2-D ``(n_units, k)`` array."""
    out = x.copy()
    records = []
    for j, code in enumerate(codes):
        before = _stats(x[~np.isnan(x[:, j]), j])
        out[:, j], action, points = treat_column(x[:, j], skew_t, kurt_t, max_points, fallback)
        after = _stats(out[~np.isnan(out[:, j]), j])
        records.append(TreatmentRecord(code, action, points, *before, *after))
    return out, records
