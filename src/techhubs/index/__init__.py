"""The composite-index engine: denominate, impute, treat, normalise, weight, aggregate.

Everything that computes a score lives here: a single fit and its what-if
rebuilds (:class:`Composite`), and batches of weight vectors evaluated at once
(:func:`batch_scores`, used by :mod:`techhubs.robustness`).
"""

from typing import TYPE_CHECKING

from techhubs._lazy import lazy_names

if TYPE_CHECKING:
    from techhubs.index._batch import batch_scores
    from techhubs.index._means import rank_descending, rank_rows
    from techhubs.index._treat import TreatmentRecord, skew_kurtosis, treat_column
    from techhubs.index.composite import (
        Composite,
        LogEntry,
        aggregate_tree,
        fit_methodology,
        resolve_methodology,
        reusable_steps,
        transform,
    )
    from techhubs.index.explain import Explanation, explain
    from techhubs.index.ranking import Ranking
    from techhubs.presets import list_presets, preset_path

# Names load their module on first use (PEP 562): reading a saved Ranking (the command
# line's cached answer) needs neither the engine nor the specification models.
_LAZY = {
    "batch_scores": "techhubs.index._batch",
    **dict.fromkeys(("rank_descending", "rank_rows"), "techhubs.index._means"),
    **dict.fromkeys(("TreatmentRecord", "skew_kurtosis", "treat_column"),
                    "techhubs.index._treat"),
    **dict.fromkeys(("Composite", "LogEntry", "aggregate_tree", "fit_methodology",
                     "resolve_methodology", "reusable_steps", "transform"),
                    "techhubs.index.composite"),
    **dict.fromkeys(("Explanation", "explain"), "techhubs.index.explain"),
    "Ranking": "techhubs.index.ranking",
    **dict.fromkeys(("list_presets", "preset_path"), "techhubs.presets"),
}


__getattr__ = lazy_names(__name__, _LAZY)


__all__ = [
    "Composite",
    "Explanation",
    "LogEntry",
    "Ranking",
    "TreatmentRecord",
    "aggregate_tree",
    "batch_scores",
    "explain",
    "fit_methodology",
    "list_presets",
    "preset_path",
    "rank_descending",
    "rank_rows",
    "resolve_methodology",
    "reusable_steps",
    "skew_kurtosis",
    "transform",
    "treat_column",
]
