"""Published rankings and quoted facts about a hub, from the bundled reference files.

``published_rankings.csv`` lists the rank of named places in published
rankings (GII editions, web articles); ``article_facts.csv`` lists facts
quoted by articles, each with its source. A published name matches a unit
when its places (split at dashes, country/state suffixes dropped) are the
unit's member places ("exact") or include one of them ("partial").
"""

from __future__ import annotations

import functools
import re
from typing import Any

import polars as pl

from techhubs.datasets.editions import data_dir, slug

_DASH = re.compile(r"\s*[–—]\s*|\s+-\s+")


def place_parts(name: str) -> list[str]:
    """Slugs of the places a published name lists.

    >>> place_parts("Washington, DC–Baltimore, MD")
    ['washington', 'baltimore']
    >>> place_parts("Silicon Valley (San Jose, CA, USA)")
    ['silicon-valley', 'san-jose']
    """
    inner = re.findall(r"\(([^)]*)\)", name)
    main = re.sub(r"\([^)]*\)", "", name)
    parts = [p.split(",")[0] for p in _DASH.split(main)]
    parts += [p.split(",")[0] for p in inner]
    return [s for s in (slug(p) for p in parts) if s]


def match(name: str, unit_id: str, members: list[str]) -> str | None:
    """``"exact"``, ``"partial"`` or None: does a published name denote this unit?"""
    parts = place_parts(name)
    if not parts:
        return None
    member_slugs = {slug(m) for m in members}
    if slug(name) == unit_id or "-".join(parts) == unit_id \
            or (member_slugs and set(parts) == member_slugs):
        return "exact"
    if any(p in member_slugs or p == unit_id for p in parts):
        return "partial"
    return None


@functools.cache
def _rankings() -> pl.DataFrame:
    return pl.read_csv(data_dir() / "published_rankings.csv", infer_schema=False)


@functools.cache
def _facts() -> pl.DataFrame:
    return pl.read_csv(data_dir() / "article_facts.csv", infer_schema=False)


def published_ranks(unit_id: str, members: list[str]) -> list[dict[str, Any]]:
    """The unit's entries in every bundled published ranking, best match first."""
    out = []
    for row in _rankings().iter_rows(named=True):
        how = match(row["name_as_published"], unit_id, members)
        if how is None:
            continue
        out.append({
            "ranking": row["ranking"], "year": _int(row["year"]),
            "publisher": row["publisher"], "title": row["title"], "kind": row["kind"],
            "rank": _int(row["rank"]), "name_as_published": row["name_as_published"],
            "note": row["note"] or "", "match": how,
        })
    return out


def quoted_facts(unit_id: str, members: list[str]) -> list[dict[str, Any]]:
    """Facts quoted by published sources about the unit or one of its member places."""
    out = []
    for row in _facts().iter_rows(named=True):
        how = match(row["place"], unit_id, members)
        if how is None:
            continue
        out.append({"place": row["place"], "fact": row["fact"], "value": row["value"] or "",
                    "statement": row["statement"], "source": row["source_title"],
                    "match": how})
    return out


def _int(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None
