"""Clustering parameters and their defaults: the one place they are written.

:func:`~techhubs.clusters.find_clusters`, ``techhubs clusters`` and the
``[clustering]`` table of a project file all take their defaults from here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from techhubs.points import DEFAULT_PRECISION, MAX_PRECISION
from techhubs.spec import Positive, Spec, invalid

DEFAULT_EPS_KM = 12.0
"""DBSCAN radius: commute scale, wide enough that a metro's suburbs join its core."""
DEFAULT_MIN_WEIGHT = 25.0
"""Core density: summed point weight within the radius."""
DEFAULT_MERGE_THRESHOLD = 0.5
"""Share of a source cluster's weight near another source's core that merges the two."""
NAME_POPULATIONS = (500, 1000, 5000, 15000)


def _min_weight(value: Any) -> Any:
    """One positive number, or a table source -> positive number."""
    if isinstance(value, dict):
        for source, v in value.items():
            if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0 \
                    or v == float("inf"):
                raise invalid("min_weight", f"min_weight of {source!r} must be a positive "
                              f"number, got {v!r}", key=str(source))
        return {str(k): float(v) for k, v in value.items()}
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise invalid("min_weight", f"min_weight must be a number or a table of numbers per "
                      f"source, got {value!r}")
    if not 0 < value < float("inf"):
        raise invalid("min_weight", f"min_weight must be positive, got {value!r}")
    return float(value)


class ClusterParams(Spec):
    """Parameters of :func:`~techhubs.clusters.find_clusters` (see its docstring)."""

    eps_km: Annotated[Positive, Field(le=20_000)] = DEFAULT_EPS_KM
    min_weight: Annotated[float | dict[str, float],
                          BeforeValidator(_min_weight)] = DEFAULT_MIN_WEIGHT
    precision: Annotated[int, Field(ge=0, le=MAX_PRECISION)] | None = DEFAULT_PRECISION
    """Decimal digits locations are rounded to; None keeps coordinates as they are."""
    merge_threshold: Annotated[float, Field(ge=0.0, le=1.0)] = DEFAULT_MERGE_THRESHOLD
    name_min_population: Literal[500, 1000, 5000, 15000] = 15000

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()
