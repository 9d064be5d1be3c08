"""How sure is each rank? Monte Carlo rank intervals and Sobol sensitivity."""

from techhubs.robustness.spec import UncertaintySpec
from techhubs.robustness.uncertainty import (
    Design,
    Engine,
    Factor,
    IntervalResult,
    match_units,
    rank_intervals,
)

__all__ = [
    "Design",
    "Engine",
    "Factor",
    "IntervalResult",
    "UncertaintySpec",
    "match_units",
    "rank_intervals",
]
