"""Published rankings and quoted facts about a hub, through :mod:`techhubs.compare`.

Every name in the bundled published rankings and every place an article
quotes a fact about is resolved to a hub (GeoNames places) and matched to a
unit of the panel being served (:func:`techhubs.compare.resolve_rankings`,
:func:`~techhubs.compare.resolve_hub`, :func:`~techhubs.compare.match_unit`);
each fact carries the compare layer's verdict on it
(:func:`~techhubs.compare.check_claims`). Built once per served panel.

The second half shapes the comparison of the published rankings themselves
for the API and the dashboard (:func:`published_rankings`,
:func:`agreement_view`, :func:`consensus_view`, :func:`movers_view`,
:func:`claims_view`, :func:`resolve_view`): validated arguments, cached
deterministic answers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import polars as pl

from techhubs.compare import (
    DEFAULT_P,
    agreement_table,
    all_movers,
    check_claims,
    consensus_ranking,
    editions_of,
    load_facts,
    load_rankings,
    match_unit,
    resolve_hub,
    resolve_rankings,
)
from techhubs.compare.consensus import PAIR_CONVENTIONS, UNLISTED_CONVENTIONS, UNRANKED_RULES
from techhubs.datasets import edition_info, list_editions, load_edition
from techhubs.errors import TechhubsError, UnknownNameError
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


# ----------------------------------------------------------------------------
# The comparison of published rankings (agreement, consensus, movers, claims,
# name resolution) as the API and the dashboard show it. Every function is
# deterministic and cached; arguments are validated here so that each shell
# reports the same error with the parameter it came from as the key.

CONSENSUS_METHODS = ("borda", "schulze", "kemeny")
UNLISTED = UNLISTED_CONVENTIONS
PAIRS = PAIR_CONVENTIONS


@functools.lru_cache(maxsize=4)
def _resolved(edition: str) -> pl.DataFrame:
    edition_info(edition)  # UnknownNameError naming the edition
    return resolve_rankings(load_rankings(), edition=edition)


def _edition(edition: str, key: str = "edition") -> str:
    names = [e.name for e in list_editions()]
    if edition not in names:
        raise UnknownNameError(f"no edition named {edition!r}", key=key,
                               hint=f"editions: {', '.join(names)}")
    return edition


def ranking_names() -> list[str]:
    """Ranking ids of the bundled published rankings, in file order."""
    return list(dict.fromkeys(load_rankings()["ranking"].to_list()))


def parse_rankings(text: str | None, key: str = "rankings") -> tuple[str, ...] | None:
    """``"gii-2024,gii-2025"`` -> a tuple of known ranking ids (None: all of them)."""
    if text is None or not text.strip():
        return None
    names = [t.strip() for t in text.split(",")]
    if any(not n for n in names):
        raise TechhubsError(f"empty ranking id in {text!r}", key=key,
                            hint="ranking ids separated by commas, e.g. gii-2024,gii-2025")
    known = ranking_names()
    for name in names:
        if name not in known:
            raise UnknownNameError(f"no published ranking named {name!r}", key=key,
                                   hint=f"rankings: {', '.join(known)}")
    return tuple(dict.fromkeys(names))


@functools.lru_cache(maxsize=16)
def published_rankings(ranking: str | None = None, edition: str = "gii-2023"
                       ) -> tuple[list[dict[str, Any]], pl.DataFrame]:
    """The bundled published lists: one summary per ranking and one row per name.

    Rows carry the hub each name resolves to (``hub_key``, ``hub_name``,
    ``confidence``) and its unit of ``edition`` (``unit_id``).
    """
    _edition(edition)
    names = parse_rankings(ranking, key="ranking")
    frame = _resolved(edition)
    if names:
        frame = frame.filter(pl.col("ranking").is_in(list(names)))
    rows = frame.select(
        "ranking", "year", "publisher", "title", "kind", "rank", "name_as_published",
        "note", "hub_key", "hub_name", "unit_id", "resolved", "confidence", "method",
        pl.col("match_confidence"), pl.col("line"),
    ).with_columns(pl.col("note").fill_null(""))
    summary = []
    for name in dict.fromkeys(rows["ranking"].to_list()):
        part = rows.filter(pl.col("ranking") == name)
        first = part.row(0, named=True)
        summary.append({"ranking": name, "year": first["year"], "publisher": first["publisher"],
                        "title": first["title"], "ordered": first["rank"] is not None,
                        "n_names": part.height,
                        "n_unresolved": int((~part["resolved"]).sum())})
    return summary, rows


def _matrix(frame: pl.DataFrame, names: list[str], diagonal: dict[str, Any],
            cast: Any = float) -> dict[str, dict[str, Any]]:
    """``{a: {b: value}}`` over ``names`` in order (NaN -> None); a single list,
    which has no pair, still gets its diagonal."""
    rows = {row["ranking"]: row for row in frame.iter_rows(named=True)}
    out: dict[str, dict[str, Any]] = {}
    for a in names:
        out[a] = {}
        for b in names:
            value = rows[a].get(b) if a in rows else (diagonal[a] if a == b else None)
            out[a][b] = None if value is None or value != value else cast(value)
    return out


@functools.lru_cache(maxsize=64)
def agreement_view(rankings: tuple[str, ...] | None = None, p: float = DEFAULT_P,
                   edition: str = "gii-2023") -> dict[str, Any]:
    """Pairwise agreement (:func:`techhubs.compare.agreement_table`) as plain data.

    ``pairs``: a frame (Kendall tau-b on the common hubs, RBO_ext, common-hub
    count and keys); ``tau``/``rbo``/``common``: matrices ``{a: {b: value}}``;
    ``lists``: one summary per list; ``unresolved`` and ``dropped`` rows.
    """
    if not 0.0 < p < 1.0:
        raise TechhubsError(f"p = {p} is outside (0, 1)", key="p",
                            hint="the persistence of RBO, e.g. 0.9")
    _edition(edition)
    result = agreement_table(list(rankings) if rankings else None, p=p, edition=edition)
    names = [lst.name for lst in result["lists"]]
    return {
        "p": p, "edition": edition,
        "rankings": names,
        "lists": [{"ranking": lst.name, "ordered": lst.ordered, "n_hubs": len(lst)}
                  for lst in result["lists"]],
        "pairs": result["pairs"],
        "tau": _matrix(result["tau"], names, dict.fromkeys(names, 1.0)),
        "rbo": _matrix(result["rbo"], names, dict.fromkeys(names, 1.0)),
        "common": _matrix(result["common"], names,
                          {lst.name: len(lst) for lst in result["lists"]}, int),
        "unresolved": result["unresolved"].to_dicts(),
        "dropped": result["dropped"].to_dicts(),
        "method": {"kendall_tau_b": "on the common hubs, from published ranks "
                                    "(undefined for unranked lists)",
                   "rbo": f"RBO_ext (Webber, Moffat & Zobel 2010), p = {p:g}"},
    }


@functools.lru_cache(maxsize=64)
def consensus_view(method: str = "borda", rankings: tuple[str, ...] | None = None,
                   unlisted: str = "share", pairs: str = "listed_over_unlisted",
                   edition: str = "gii-2023", unranked: str = "ignore"
                   ) -> tuple[dict[str, Any], pl.DataFrame]:
    """A consensus ranking (:func:`techhubs.compare.consensus_ranking`): notes and table.

    The notes say which Kemeny variant ran (``exact`` or the approximation).
    """
    if method not in CONSENSUS_METHODS:
        raise TechhubsError(f"unknown consensus method {method!r}", key="method",
                            hint=f"methods: {', '.join(CONSENSUS_METHODS)}")
    if unlisted not in UNLISTED:
        raise TechhubsError(f"unknown unlisted convention {unlisted!r}", key="unlisted",
                            hint=f"one of {', '.join(UNLISTED)}")
    if pairs not in PAIRS:
        raise TechhubsError(f"unknown pairs convention {pairs!r}", key="pairs",
                            hint=f"one of {', '.join(PAIRS)}")
    if unranked not in UNRANKED_RULES:
        raise TechhubsError(f"unknown unranked rule {unranked!r}", key="unranked",
                            hint=f"one of {', '.join(UNRANKED_RULES)}")
    _edition(edition)
    options: dict[str, Any] = {"borda": {"unlisted": unlisted}, "schulze": {"pairs": pairs},
                               "kemeny": {"pairs": pairs, "unlisted": unlisted}}[method]
    options["unranked"] = unranked
    result = consensus_ranking(list(rankings) if rankings else None, method=method,
                               edition=edition, **options)
    params = dict(result.params)
    variant = None
    if method == "kemeny":
        variant = "exact" if params.get("exact") else "approximation"
    meta = {"method": result.method, "description": result.description,
            "n_lists": result.n_lists, "rankings": list(rankings or ranking_names()),
            "variant": variant, "params": params, "options": options, "edition": edition,
            "score": result.score_label}
    return meta, result.table


@functools.lru_cache(maxsize=64)
def movers_view(before: str | None = None, after: str | None = None,
                edition: str = "gii-2023") -> pl.DataFrame:
    """Rank changes between two editions of a ranking. Both None: every consecutive pair;
    one of them: that list and its neighbour in the series (``to=gii-2025`` compares
    with gii-2024)."""
    _edition(edition)
    if before is None and after is None:
        return all_movers(edition=edition)
    summary = {s["ranking"]: s for s in published_rankings(None, edition)[0]}
    for key, name in (("from", before), ("to", after)):
        if name is not None and name not in summary:
            raise UnknownNameError(f"no published ranking named {name!r}", key=key,
                                   hint=f"rankings: {', '.join(summary)}")
        if name is not None and not summary[name]["ordered"]:
            raise TechhubsError(f"{name!r} is an unranked list: movers need ranks", key=key,
                                hint="ranked lists: " + ", ".join(
                                    n for n, s in summary.items() if s["ordered"]))
    if before is None or after is None:
        series = editions_of(resolve_rankings(load_rankings(), edition=edition))
        pair = next((p for p in series if p[0] == before or p[1] == after), None)
        if pair is None:
            given, key = (before, "from") if before is not None else (after, "to")
            raise UnknownNameError(f"{given!r} has no {'later' if key == 'from' else 'earlier'}"
                                   " edition among the published rankings", key=key,
                                   hint="pairs: " + ", ".join(f"{a}->{b}" for a, b in series))
        before, after = pair
    if before == after:
        raise TechhubsError("from and to name the same list", key="to")
    return all_movers(edition=edition, pairs=[(before, after)])


@functools.lru_cache(maxsize=16)
def claims_view(edition: str = "gii-2023", ranking: str = "gii-2025") -> pl.DataFrame:
    """Every bundled article claim with its verdict (supported, contradicted,
    not checkable), the figures it rests on and why (:func:`techhubs.compare.check_claims`)."""
    _edition(edition)
    parse_rankings(ranking, key="ranking")
    return check_claims(load_facts(), edition=edition, ranking=ranking)


@functools.lru_cache(maxsize=1024)
def resolve_view(name: str, edition: str = "gii-2023", economies: tuple[str, ...] = (),
                 max_km: float = 30.0) -> dict[str, Any]:
    """A name -> hub (places, confidence, explanation) and its unit of ``edition``."""
    if not name.strip():
        raise TechhubsError("empty name", key="name", hint="e.g. Silicon Valley")
    if not max_km > 0:
        raise TechhubsError(f"max_km = {max_km} is not positive", key="max_km")
    _edition(edition)

    hub = resolve_hub(name, list(economies) or None)
    match = match_unit(hub, load_edition(edition), max_km=max_km)
    return {**hub.to_dict(), "resolved": hub.resolved, "edition": edition,
            "unit_id": match.unit_id, "unit_name": match.unit_name,
            "match_confidence": match.confidence, "match_explanation": match.explanation}
