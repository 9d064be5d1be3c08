"""techhubs: find, rank and explain the world's technology hubs."""

from techhubs._version import __version__
from techhubs.errors import (
    ComputationError,
    DataError,
    DownloadError,
    MethodologyError,
    TechhubsError,
    UnknownNameError,
)

__all__ = [
    "ComputationError",
    "DataError",
    "DownloadError",
    "MethodologyError",
    "TechhubsError",
    "UnknownNameError",
    "__version__",
]
