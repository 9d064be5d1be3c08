"""A synthetic (random, clearly labelled) panel and 3-level tree, for tests and benchmarks."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from techhubs.methodology import Methodology, methodology_from_dict
from techhubs.panel import Panel


def synthetic_case(n_units: int = 1000, n_indicators: int = 50, n_pillars: int = 10,
                   n_subindices: int = 3, seed: int = 0, missing: float = 0.0,
                   normalise: dict[str, Any] | None = None,
                   aggregate: str = "arithmetic", spread: float = 0.5) -> tuple[Panel, Methodology]:
    """Random log-normal indicators (log-sd ``spread``) under a tree indicators -> pillars -> sub-indices -> index.

    Indicator ``j`` belongs to pillar ``j mod n_pillars``, pillar ``p`` to
    sub-index ``p mod n_subindices``; weights are random in [0.5, 1.5].
    ``missing`` is the share of values set missing at random.
    """
    rng = np.random.default_rng(seed)
    values = rng.lognormal(mean=2.0, sigma=spread, size=(n_units, n_indicators))
    if missing > 0:
        # own stream: the rest of the case is the same with or without missing values
        mask = np.random.default_rng([seed, 1]).random(values.shape) < missing
        values[mask] = np.nan
    ids = [f"unit-{i:04d}" for i in range(n_units)]
    codes = [f"ind{j:02d}" for j in range(n_indicators)]
    economies = ["XA", "XB", "XC", "XD"]  # ISO user-assigned codes: placeholders
    frame = pl.DataFrame({
        "unit_id": ids,
        "name": [f"Synthetic unit {i}" for i in range(n_units)],
        "economies": [economies[i % len(economies)] for i in range(n_units)],
        **{c: values[:, j] for j, c in enumerate(codes)},
    })
    panel = Panel.from_frame(frame, provenance={"source": "synthetic (random) data"})
    directions = rng.choice([1, 1, 1, -1], size=n_indicators)
    raw: dict[str, Any] = {
        "name": "synthetic-3-level",
        "title": "Synthetic 3-level tree (random data)",
        "indicator": [{"code": c, "parent": f"pillar{j % n_pillars}",
                       "weight": float(rng.uniform(0.5, 1.5)),
                       "direction": int(directions[j])} for j, c in enumerate(codes)],
        "node": [
            *({"code": f"pillar{p}", "parent": f"sub{p % n_subindices}",
               "weight": float(rng.uniform(0.5, 1.5))} for p in range(n_pillars)),
            *({"code": f"sub{s}", "parent": "index", "weight": 1.0}
              for s in range(n_subindices)),
            {"code": "index"},
        ],
        "normalise": normalise or {"method": "minmax", "low": 1.0, "high": 100.0},
        "aggregate": {"method": aggregate},
    }
    return panel, methodology_from_dict(raw, origin="<synthetic>")
