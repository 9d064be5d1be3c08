"""A synthetic panel for benchmarks: random indicator values, labelled as such.

Served only when the app factory is asked for it (``create_app(synthetic=(n, k))``);
no endpoint creates one. The methodology groups the ``k`` indicators into
pillars of ten, min-max normalised and averaged arithmetically.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from techhubs.methodology import methodology_from_dict
from techhubs.panel import Panel
from techhubs.views.store import Source


def synthetic_panel(n_units: int, n_indicators: int, seed: int = 0) -> Panel:
    rng = np.random.default_rng(seed)
    values = rng.lognormal(mean=3.0, sigma=1.0, size=(n_units, n_indicators))
    frame = pl.DataFrame({
        "unit_id": [f"unit-{i:05d}" for i in range(n_units)],
        "name": [f"Synthetic unit {i}" for i in range(n_units)],
        "economies": ["ZZ"] * n_units,
        "latitude": rng.uniform(-60, 70, n_units),
        "longitude": rng.uniform(-180, 180, n_units),
        **{f"x{j:03d}": values[:, j] for j in range(n_indicators)},
    })
    return Panel.from_frame(frame, provenance={
        "synthetic": f"random lognormal values, seed {seed}, for benchmarks only"})


def synthetic_methodology(n_indicators: int, pillar_size: int = 10) -> dict[str, object]:
    n_pillars = max(1, -(-n_indicators // pillar_size))
    return {
        "name": f"synthetic-{n_indicators}",
        "title": "Synthetic benchmark methodology (random data)",
        "indicator": [{"code": f"x{j:03d}", "name": f"indicator {j}",
                       "parent": f"p{j // pillar_size:02d}", "weight": 1.0}
                      for j in range(n_indicators)],
        "node": [{"code": f"p{p:02d}", "name": f"pillar {p}", "parent": "index",
                  "weight": 1.0} for p in range(n_pillars)]
        + [{"code": "index", "name": "Synthetic index"}],
        "normalise": {"method": "minmax", "low": 0.0, "high": 100.0},
        "aggregate": {"method": "arithmetic"},
    }


def synthetic_source(n_units: int, n_indicators: int, seed: int = 0) -> Source:
    methodology = methodology_from_dict(synthetic_methodology(n_indicators),
                                        origin="<synthetic>")
    panel = synthetic_panel(n_units, n_indicators, seed)
    return Source(
        name=f"synthetic-{n_units}x{n_indicators}", kind="synthetic",
        title=f"Synthetic random panel ({n_units} units x {n_indicators} indicators)",
        default_method=methodology.name, load=lambda: panel,
        info={"units": n_units, "indicators": n_indicators, "note": "random numbers"},
        methodology=methodology,
    )
