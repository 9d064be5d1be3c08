"""Published rankings and quoted facts about a hub, through :mod:`techhubs.compare`.

Every name in the bundled published rankings and every place an article
quotes a fact about is resolved to a hub (GeoNames places) and matched to a
unit of the panel being served (:func:`techhubs.compare.resolve_rankings`,
:func:`~techhubs.compare.resolve_hub`, :func:`~techhubs.compare.match_unit`);
each fact carries the compare layer's verdict on it
(:func:`~techhubs.compare.check_claims`). Built once per served panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from techhubs.compare import (
    check_claims,
    load_rankings,
    match_unit,
    resolve_hub,
    resolve_rankings,
)
from techhubs.panel import Panel


@dataclass(frozen=True)
class PublishedIndex:
    """unit id -> its entries in published rankings, and the facts quoted about it."""

    ranks: dict[str, list[dict[str, Any]]]
    facts: dict[str, list[dict[str, Any]]]

    def ranks_of(self, unit_id: str) -> list[dict[str, Any]]:
        return self.ranks.get(unit_id, [])

    def facts_of(self, unit_id: str) -> list[dict[str, Any]]:
        return self.facts.get(unit_id, [])


def _int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def build_index(panel: Panel, edition: str = "gii-2023") -> PublishedIndex:
    ranks: dict[str, list[dict[str, Any]]] = {}
    for row in resolve_rankings(load_rankings(), panel=panel).iter_rows(named=True):
        if not row["unit_id"]:
            continue
        ranks.setdefault(row["unit_id"], []).append({
            "ranking": row["ranking"], "year": _int(row["year"]),
            "publisher": row["publisher"], "title": row["title"], "kind": row["kind"],
            "rank": _int(row["rank"]), "name_as_published": row["name_as_published"],
            "note": row["note"] or "", "match_confidence": float(row["match_confidence"]),
            "match_explanation": row["match_explanation"] or "",
        })
    facts: dict[str, list[dict[str, Any]]] = {}
    for row in check_claims(panel=panel, edition=edition).iter_rows(named=True):
        match = match_unit(resolve_hub(row["place"]), panel)
        if match.unit_id is None:
            continue
        facts.setdefault(match.unit_id, []).append({
            "place": row["place"], "fact": row["fact"], "value": row["value"] or "",
            "statement": row["statement"], "source": row["source_title"],
            "status": row["status"], "check": row["explanation"] or "",
            "match_confidence": float(match.confidence),
        })
    return PublishedIndex(ranks=ranks, facts=facts)
