"""Rank intervals for the API and the report, from :mod:`techhubs.robustness`.

The one place where the web layer calls the robustness layer: Monte Carlo
rank intervals of a fitted composite under weight uncertainty.
"""

from __future__ import annotations

import polars as pl

from techhubs.index.composite import Composite
from techhubs.robustness import UncertaintySpec, rank_intervals

INTERVAL_COLUMNS = ("unit_id", "median_rank", "rank_p05", "rank_p95", "p_top10")


def rank_interval_table(composite: Composite, runs: int, weight_uncertainty: float,
                        seed: int) -> pl.DataFrame:
    """Intervals when every weight varies uniformly by +/- ``weight_uncertainty``.

    Returns ``unit_id, median_rank, rank_p05, rank_p95, p_top10``.
    """
    result = rank_intervals(composite, UncertaintySpec(weights=weight_uncertainty),
                            runs=runs, seed=seed)
    return result.table.select(*INTERVAL_COLUMNS)
