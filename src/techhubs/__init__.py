"""techhubs: find, rank and explain the world's technology hubs.

The Python API mirrors the command line::

    import techhubs
    ranking = techhubs.rank()                      # techhubs rank
    ranking = techhubs.rank(method="gii-intensity", top=10)
    why = techhubs.explain("Seoul")                # techhubs explain Seoul
    coin = techhubs.fit()                          # the fitted Composite, every step kept
    variant = coin.rebuild(normalise={"method": "zscore"})
"""

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
from techhubs.workflows import build, editions, explain, fit, methods, rank

__all__ = [
    "Composite",
    "ComputationError",
    "DataError",
    "DownloadError",
    "Explanation",
    "Methodology",
    "MethodologyError",
    "Panel",
    "Ranking",
    "TechhubsError",
    "UnknownNameError",
    "__version__",
    "build",
    "editions",
    "explain",
    "fit",
    "list_editions",
    "load_edition",
    "load_methodology",
    "methods",
    "rank",
]
