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

Every name loads its module on first use (PEP 562 ``__getattr__`` below), so
``import techhubs`` and the command line's ``--help`` stay instant, and a
command pays only for what it runs (the clustering kernels compile with numba).
"""

from typing import TYPE_CHECKING

from techhubs._lazy import lazy_names
from techhubs._version import __version__
from techhubs.errors import (
    ComputationError,
    DataError,
    DownloadError,
    MethodologyError,
    TechhubsError,
    UnknownNameError,
)

if TYPE_CHECKING:
    from techhubs.clusters import ClusterResult, WeightedDBSCAN, find_clusters
    from techhubs.datasets import list_editions, load_edition
    from techhubs.index import Composite, Explanation, Ranking
    from techhubs.indicators.enrich import Enriched, enrich
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

_LAZY = {
    **dict.fromkeys(("ClusterResult", "WeightedDBSCAN", "find_clusters"), "techhubs.clusters"),
    **dict.fromkeys(("list_editions", "load_edition"), "techhubs.datasets"),
    **dict.fromkeys(("Composite", "Explanation", "Ranking"), "techhubs.index"),
    **dict.fromkeys(("Enriched", "enrich"), "techhubs.indicators.enrich"),
    **dict.fromkeys(("Methodology", "load_methodology"), "techhubs.methodology"),
    "Panel": "techhubs.panel",
    **dict.fromkeys(("IntervalResult", "SensitivityResult", "UncertaintySpec"),
                    "techhubs.robustness"),
    **dict.fromkeys(("IngestReport", "IngestResult"), "techhubs.sources"),
    **dict.fromkeys(("build", "editions", "explain", "fit", "ingest", "load_panel", "methods",
                     "rank", "rank_intervals", "robustness", "sensitivity"),
                    "techhubs.workflows"),
}


__getattr__ = lazy_names(__name__, _LAZY)


__all__ = [
    "ClusterResult",
    "Composite",
    "ComputationError",
    "DataError",
    "DownloadError",
    "Enriched",
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
    "enrich",
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
