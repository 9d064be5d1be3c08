"""How sure is each rank? Monte Carlo rank intervals and Sobol sensitivity.

>>> from techhubs.datasets import load_edition
>>> from techhubs.robustness import UncertaintySpec, rank_intervals
>>> result = rank_intervals(load_edition("gii-2023"), UncertaintySpec(weights=0.25),
...                         runs=500, seed=0, method="gii-clusters")
>>> result.table.head(2)["rank_p95"].to_list()
[1.0, 2.0]
"""

from techhubs.robustness._analysis import (
    RobustnessReport,
    resolve_spec,
    robustness_report,
    with_intervals,
    write_report,
)
from techhubs.robustness.plots import plot_intervals, plot_sobol
from techhubs.robustness.sensitivity import SensitivityResult, sensitivity, sobol_indices
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
    "RobustnessReport",
    "SensitivityResult",
    "UncertaintySpec",
    "match_units",
    "plot_intervals",
    "plot_sobol",
    "rank_intervals",
    "resolve_spec",
    "robustness_report",
    "sensitivity",
    "sobol_indices",
    "with_intervals",
    "write_report",
]
