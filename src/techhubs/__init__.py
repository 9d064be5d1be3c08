"""techhubs: find, rank and explain the world's technology hubs.

The Python API mirrors the command line (``docs/api.md`` documents every name)::

    import techhubs
    ranking = techhubs.rank()                      # techhubs rank
    ranking = techhubs.rank(method="gii-intensity", top=10)
    why = techhubs.explain("Seoul")                # techhubs explain Seoul
    coin = techhubs.fit()                          # the fitted Composite, every step kept
    variant = coin.rebuild(normalise={"method": "zscore"})
    intervals = techhubs.rank_intervals(runs=1000) # techhubs rank --intervals
    result = techhubs.find_clusters(points)        # techhubs clusters

The clustering names (``find_clusters``, ``WeightedDBSCAN``, ``ClusterResult``)
load their numba kernels on first use (PEP 562 ``__getattr__`` below), so
``import techhubs`` stays quick for ranking.
"""

import importlib
from typing import TYPE_CHECKING, Any

from techhubs._version import __version__
from techhubs.datasets import list_editions, load_edition
from techhubs.errors import (
    ComputationError,
    DataError,
    DownloadError,
    MethodologyError,
    TechhubsError,
    UnknownNameError,
)
from techhubs.index import Composite, Explanation, Ranking
from techhubs.methodology import Methodology, load_methodology
from techhubs.panel import Panel
from techhubs.robustness import IntervalResult, SensitivityResult, UncertaintySpec
from techhubs.sources import IngestReport, IngestResult
from techhubs.workflows import (
    build,
    editions,
    explain,
    fit,
    ingest,
    load_panel,
    methods,
    rank,
    rank_intervals,
    robustness,
    sensitivity,
)

if TYPE_CHECKING:
    from techhubs.clusters import ClusterResult, WeightedDBSCAN, find_clusters

_LAZY = {"ClusterResult": "techhubs.clusters", "WeightedDBSCAN": "techhubs.clusters",
         "find_clusters": "techhubs.clusters"}


def __getattr__(name: str) -> Any:
    """The clustering names, imported when first asked for."""
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'techhubs' has no attribute {name!r}")


__all__ = [
    "ClusterResult",
    "Composite",
    "ComputationError",
    "DataError",
    "DownloadError",
    "Explanation",
    "IngestReport",
    "IngestResult",
    "IntervalResult",
    "Methodology",
    "MethodologyError",
    "Panel",
    "Ranking",
    "SensitivityResult",
    "TechhubsError",
    "UncertaintySpec",
    "UnknownNameError",
    "WeightedDBSCAN",
    "__version__",
    "build",
    "editions",
    "explain",
    "find_clusters",
    "fit",
    "ingest",
    "list_editions",
    "load_edition",
    "load_methodology",
    "load_panel",
    "methods",
    "rank",
    "rank_intervals",
    "robustness",
    "sensitivity",
]
