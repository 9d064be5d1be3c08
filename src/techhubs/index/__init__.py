"""The composite-index engine: denominate, impute, treat, normalise, weight, aggregate."""

from techhubs.index.composite import Composite, LogEntry
from techhubs.index.explain import Explanation, explain
from techhubs.index.ranking import Ranking
from techhubs.presets import list_presets, preset_path

__all__ = [
    "Composite",
    "Explanation",
    "LogEntry",
    "Ranking",
    "explain",
    "list_presets",
    "preset_path",
]
