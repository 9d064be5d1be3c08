"""Rank intervals for the API and the report, from :mod:`techhubs.robustness`.

This is the one place that imports the robustness layer; everything else asks
:func:`available` and :func:`rank_interval_table`.
"""

from __future__ import annotations

import importlib
from typing import Any

import polars as pl

from techhubs.errors import ComputationError

UncertaintySpec: Any = None
rank_intervals: Any = None
try:
    _robustness = importlib.import_module("techhubs.robustness")
    UncertaintySpec = _robustness.UncertaintySpec
    rank_intervals = _robustness.rank_intervals
except (ImportError, AttributeError):  # an installation without the robustness layer
    pass

INTERVAL_COLUMNS = ("unit_id", "median_rank", "rank_p05", "rank_p95", "p_top10")


def available() -> bool:
    return rank_intervals is not None


def rank_interval_table(composite: Any, runs: int, weight_uncertainty: float,
                        seed: int) -> pl.DataFrame:
    """Monte Carlo rank intervals under weight uncertainty (``weights`` +/- a share).

    Returns ``unit_id, median_rank, rank_p05, rank_p95, p_top10``.
    """
    if rank_intervals is None or UncertaintySpec is None:
        raise ComputationError(
            "rank intervals need techhubs.robustness, which this installation lacks",
            key="intervals", hint="ask without 'intervals', or install the full package")
    result = rank_intervals(composite, UncertaintySpec(weights=weight_uncertainty),
                            runs=runs, seed=seed)
    return result.table.select(*INTERVAL_COLUMNS)
