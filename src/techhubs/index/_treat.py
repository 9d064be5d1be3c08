"""Outlier treatment, following COINr's default ``Treat()`` exactly.

For each indicator (missing values ignored):

1. Pass check: the column passes when ``|skew| < skew`` or ``kurtosis <
   kurtosis`` (sample skewness and excess kurtosis of type 2, as in e1071,
   Excel and COINr's ``skew()``/``kurt()``). A passing column is left alone.
2. Winsorisation: while the column fails and fewer than ``max_points``
   points are winsorised, replace *every* value equal to the current maximum
   by the largest remaining value (the minimum by the smallest remaining one
   when the skew is negative). Tied extreme values move together and all
   count toward ``max_points``, so a tie can take the count past it, as in
   COINr's ``winsorise()``.
3. If the winsorised column still fails, winsorisation is undone and the
   ``fallback`` transform is applied to the original values:

   ``log`` (default, COINr's ``log_CT``)
       ``log(x - min + 0.01 (max - min))``, whatever the sign of the skew;
   ``log_ct_plus`` (COINr's ``log_CT_plus``)
       as ``log`` for positive skew, ``-log(max + 0.01 (max - min) - x)``
       for negative skew;
   ``log_plus_one``
       ``log(x - min + 1)`` for positive skew, ``-log(max - x + 1)`` for
       negative skew (techhubs' rule before it followed COINr);
   ``none``
       keep the winsorised values and report the column as ``failed``.

Columns with fewer than four values, or constant ones, have no defined
kurtosis and are never treated (COINr returns them untreated too).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

FALLBACKS = ("log", "log_ct_plus", "log_plus_one", "none")


@dataclass(frozen=True)
class TreatmentRecord:
    """What treatment did to one indicator."""

    indicator: str
    action: str  # "none", "winsorised", "log", "log_ct_plus", "log_plus_one", "failed"
    points: int  # points winsorised (0 unless action is "winsorised" or "failed")
    skew_before: float
    kurtosis_before: float
    skew_after: float
    kurtosis_after: float


def skew_kurtosis(v: Array) -> tuple[float, float]:
    """Sample skewness and excess kurtosis of type 2 (e1071, Excel, COINr); NaN if undefined."""
    n = v.size
    if n < 4:
        return float("nan"), float("nan")
    d = v - v.mean()
    m2 = float(np.dot(d, d))
    if not m2 > 0:
        return float("nan"), float("nan")
    d2 = d * d
    m3 = float(np.dot(d2, d))
    m4 = float(np.dot(d2, d2))
    g1 = np.sqrt(n) * m3 / m2**1.5
    skew = g1 * np.sqrt(n * (n - 1)) / (n - 2)
    r = n * m4 / (m2 * m2)
    kurt = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    return float(skew), float(kurt)


def _passes(s: float, k: float, skew_t: float, kurt_t: float) -> bool:
    # COINr: abs(skew) < skew_thresh | kurt < kurt_thresh; undefined statistics pass.
    if np.isnan(s) or np.isnan(k):
        return True
    return abs(s) < skew_t or k < kurt_t


def _log_transform(data: Array, fallback: str, skew: float) -> Array:
    lo, hi = float(data.min()), float(data.max())
    with np.errstate(divide="ignore", invalid="ignore"):
        if fallback == "log":
            return np.log(data - lo + 0.01 * (hi - lo))
        if fallback == "log_ct_plus":
            a = 0.01 * (hi - lo)
            return np.log(data - lo + a) if skew > 0 else -np.log(hi + a - data)
        # log_plus_one
        return np.log(data - lo + 1.0) if skew > 0 else -np.log(hi - data + 1.0)


def treat_column(
    v: Array, skew_t: float, kurt_t: float, max_points: int, fallback: str
) -> tuple[Array, str, int]:
    """Treat one column (NaN kept); returns (values, action, points winsorised)."""
    out = v.copy()
    ok = ~np.isnan(out)
    data = out[ok]
    s, k = skew_kurtosis(data)
    if _passes(s, k, skew_t, kurt_t):
        return out, "none", 0
    work = data.copy()
    high = np.zeros(work.size, dtype=bool)  # points at the current top (COINr's imax)
    low = np.zeros(work.size, dtype=bool)
    points = 0
    passing = False
    while not passing and points < max_points:
        if s >= 0:
            top = work == work.max()
            if top.all():
                break  # nothing left to winsorise to
            work[top] = work[~top].max()
            high = top
        else:
            bottom = work == work.min()
            if bottom.all():
                break
            work[bottom] = work[~bottom].min()
            low = bottom
        points = int(high.sum() + low.sum())
        s, k = skew_kurtosis(work)
        passing = _passes(s, k, skew_t, kurt_t)
    if passing:
        out[ok] = work
        return out, "winsorised", points
    if fallback == "none":
        out[ok] = work
        return out, "failed", points
    s0, _ = skew_kurtosis(data)
    out[ok] = _log_transform(data, fallback, s0)
    return out, fallback, 0


def treat(
    x: Array, codes: list[str], skew_t: float, kurt_t: float, max_points: int, fallback: str
) -> tuple[Array, list[TreatmentRecord]]:
    """Treat every column of a 2-D ``(n_units, k)`` array."""
    out = x.copy()
    records = []
    for j, code in enumerate(codes):
        before = skew_kurtosis(x[~np.isnan(x[:, j]), j])
        out[:, j], action, points = treat_column(x[:, j], skew_t, kurt_t, max_points, fallback)
        after = skew_kurtosis(out[~np.isnan(out[:, j]), j])
        records.append(TreatmentRecord(code, action, points, *before, *after))
    return out, records
