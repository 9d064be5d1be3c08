"""Compare published rankings: one hub, many names; agreement, consensus and claim checks.

* :mod:`~techhubs.compare.resolve` - published names -> hubs (sets of GeoNames
  places) -> units of an edition (:func:`resolve_hub`, :func:`match_to_units`).
* :mod:`~techhubs.compare.rankings` - published rankings (:func:`load_rankings`,
  :func:`resolve_rankings`, :func:`ranked_lists`, :func:`movers`).
* :mod:`~techhubs.compare.agreement` - Kendall tau-b and rank-biased overlap.
* :mod:`~techhubs.compare.consensus` - Borda, Schulze, Kemeny-Young.
* :mod:`~techhubs.compare.claims` - article claims checked against the data.

The functions at the bottom (:func:`agreement_table`, :func:`consensus_ranking`,
:func:`check_claims`, :func:`all_movers`) are what the shells (CLI, API) call.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from techhubs.compare.agreement import (
    DEFAULT_P,
    agreement,
    agreement_matrix,
    kendall_tau_b,
    rbo,
)
from techhubs.compare.claims import check_claims, load_facts
from techhubs.compare.consensus import (
    METHODS,
    Consensus,
    borda,
    borda_scores,
    consensus,
    kemeny,
    schulze,
)
from techhubs.compare.rankings import (
    RankedList,
    editions_of,
    load_rankings,
    movers,
    ranked_lists,
    resolve_rankings,
    unresolved,
)
from techhubs.compare.resolve import (
    Hub,
    UnitMatch,
    match_to_units,
    match_unit,
    resolve_hub,
)
from techhubs.geo.aliases import load_aliases
from techhubs.geo.gazetteer import Place


def _lists(rankings: Sequence[str] | None, path: str | Path | None, edition: str
           ) -> tuple[pl.DataFrame, list[RankedList]]:
    resolved = resolve_rankings(load_rankings(path), edition=edition)
    return resolved, ranked_lists(resolved, list(rankings) if rankings else None)


def agreement_table(rankings: Sequence[str] | None = None, *, path: str | Path | None = None,
                    p: float = DEFAULT_P, edition: str = "gii-2023") -> dict[str, Any]:
    """Pairwise agreement of published rankings (all by default).

    Returns ``{"pairs": frame (agreement rows), "tau": matrix, "rbo": matrix,
    "common": matrix of common-hub counts, "unresolved": frame, "dropped":
    frame (ranking, name, reason), "lists": [RankedList]}``.
    """
    resolved, lists = _lists(rankings, path, edition)
    pairs = agreement(lists, p=p)
    return {"pairs": pairs, "tau": agreement_matrix(pairs, "kendall_tau_b"),
            "rbo": agreement_matrix(pairs, "rbo"),
            "common": agreement_matrix(pairs, "n_common"),
            "unresolved": unresolved(resolved.filter(
                pl.col("ranking").is_in([lst.name for lst in lists]))),
            "dropped": _dropped(lists), "lists": lists}


def _dropped(lists: Sequence[RankedList]) -> pl.DataFrame:
    return pl.DataFrame([{"ranking": lst.name, "name": n, "reason": r}
                         for lst in lists for n, r in lst.dropped],
                        schema={"ranking": pl.Utf8, "name": pl.Utf8, "reason": pl.Utf8})


def consensus_ranking(rankings: Sequence[str] | None = None, *, method: str = "borda",
                      path: str | Path | None = None, edition: str = "gii-2023",
                      **options: Any) -> Consensus:
    """Consensus of published rankings (all by default) with one of :data:`METHODS`."""
    _, lists = _lists(rankings, path, edition)
    return consensus(lists, method, **options)


def all_movers(path: str | Path | None = None, edition: str = "gii-2023",
               pairs: Sequence[tuple[str, str]] | None = None) -> pl.DataFrame:
    """Movers between consecutive editions of each ranking (e.g. gii-2024 -> gii-2025)."""
    resolved = resolve_rankings(load_rankings(path), edition=edition)
    frames = []
    for before, after in pairs or editions_of(resolved):
        frames.append(movers(resolved, before, after).with_columns(
            pl.lit(before).alias("before"), pl.lit(after).alias("after")))
    if not frames:
        return pl.DataFrame(schema={"hub_key": pl.Utf8, "name": pl.Utf8,
                                    "rank_before": pl.Int64, "rank_after": pl.Int64,
                                    "change": pl.Int64, "source": pl.Utf8,
                                    "before": pl.Utf8, "after": pl.Utf8})
    return pl.concat(frames)


__all__ = [
    "DEFAULT_P", "METHODS", "Consensus", "Hub", "Place", "RankedList", "UnitMatch",
    "agreement", "agreement_matrix", "agreement_table", "all_movers", "borda",
    "borda_scores", "check_claims", "consensus", "consensus_ranking", "editions_of",
    "kemeny", "kendall_tau_b", "load_aliases", "load_facts", "load_rankings",
    "match_to_units", "match_unit", "movers", "ranked_lists", "rbo", "resolve_hub",
    "resolve_rankings", "schulze", "unresolved",
]
