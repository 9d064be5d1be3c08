"""Published rankings: load, validate, resolve names to hubs, movers between editions.

Layout (``datasets/data/published_rankings.csv``, or any CSV with the same
header)::

    ranking,year,publisher,title,kind,rank,name_as_published,note

``kind`` is ``ranked`` (``rank`` is a positive integer; gaps are allowed:
partial lists such as "top 15 and a few other placings") or starts with
``unranked`` (``rank`` is empty; the order of rows is the order of
appearance, which carries no preference). Every row of a file is either
used or reported: a malformed row raises :class:`~techhubs.errors.DataError`
naming the file and line; a name that resolves to no place or a second name
for a hub already in the same list is dropped from the comparison with a
counted reason (:func:`ranked_lists`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from techhubs.compare.resolve import DEFAULT_MAX_KM, match_unit, resolve_hub
from techhubs.datasets import load_edition
from techhubs.errors import DataError, UnknownNameError

if TYPE_CHECKING:
    from techhubs.panel import Panel

RANKING_COLUMNS = ("ranking", "year", "publisher", "title", "kind", "rank",
                   "name_as_published", "note")
DEFAULT_EDITION = "gii-2023"


def rankings_path() -> Path:
    return Path(str(resources.files("techhubs.datasets") / "data" / "published_rankings.csv"))


def load_rankings(path: str | Path | None = None) -> pl.DataFrame:
    """Published rankings as a validated frame (the bundled file by default).

    Columns: the file's columns (``year``, ``rank`` as nullable Int64), plus
    ``ordered`` (bool: a ranked list), ``position`` (1-based order of the row
    within its ranking) and ``line`` (line in the file).
    """
    file = Path(path) if path is not None else rankings_path()
    if not file.exists():
        raise DataError("file not found", file=file)
    try:
        frame = pl.read_csv(file, infer_schema=False)
    except Exception as exc:
        raise DataError(f"cannot read CSV: {exc}", file=file) from exc
    missing = [c for c in RANKING_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"missing columns {missing}", file=file,
                        hint=f"expected header: {','.join(RANKING_COLUMNS)}")
    if frame.height == 0:
        raise DataError("no rows", file=file)
    rows: list[dict[str, Any]] = []
    seen: dict[tuple[str, str], int] = {}
    positions: dict[str, int] = {}
    kinds: dict[str, bool] = {}
    for line, row in enumerate(frame.iter_rows(named=True), start=2):
        ranking = (row["ranking"] or "").strip()
        name = (row["name_as_published"] or "").strip()
        kind = (row["kind"] or "").strip().lower()
        if not ranking:
            raise DataError("empty ranking id", file=file, line=line, key="ranking")
        if not name:
            raise DataError("empty name_as_published", file=file, line=line,
                            key="name_as_published")
        if kind == "ranked":
            ordered = True
        elif kind.startswith("unranked"):
            ordered = False
        else:
            raise DataError(f"kind {row['kind']!r} is neither 'ranked' nor 'unranked ...'",
                            file=file, line=line, key="kind")
        if kinds.setdefault(ranking, ordered) != ordered:
            raise DataError(f"ranking {ranking!r} mixes ranked and unranked rows", file=file,
                            line=line, key="kind")
        rank_text = (row["rank"] or "").strip()
        rank: int | None = None
        if ordered:
            if not re.fullmatch(r"\d+", rank_text) or int(rank_text) < 1:
                raise DataError(f"rank {rank_text!r} is not a positive integer", file=file,
                                line=line, key="rank", hint="ranked rows need a rank >= 1")
            rank = int(rank_text)
        elif rank_text:
            raise DataError(f"unranked row has rank {rank_text!r}", file=file, line=line,
                            key="rank", hint="leave rank empty in unranked lists")
        year_text = (row["year"] or "").strip()
        if year_text and not re.fullmatch(r"\d{4}", year_text):
            raise DataError(f"year {year_text!r} is not a 4-digit year", file=file, line=line,
                            key="year")
        dup = seen.get((ranking, name.casefold()))
        if dup is not None:
            raise DataError(f"{name!r} appears twice in {ranking!r} (also line {dup})",
                            file=file, line=line, key="name_as_published")
        seen[(ranking, name.casefold())] = line
        positions[ranking] = positions.get(ranking, 0) + 1
        rows.append({"ranking": ranking, "year": int(year_text) if year_text else None,
                     "publisher": row["publisher"] or "", "title": row["title"] or "",
                     "kind": row["kind"], "rank": rank, "name_as_published": name,
                     "note": row["note"] or "", "ordered": ordered,
                     "position": positions[ranking], "line": line})
    schema: dict[str, Any] = {"ranking": pl.Utf8, "year": pl.Int64, "publisher": pl.Utf8, "title": pl.Utf8,
              "kind": pl.Utf8, "rank": pl.Int64, "name_as_published": pl.Utf8,
              "note": pl.Utf8, "ordered": pl.Boolean, "position": pl.Int64, "line": pl.Int64}
    out = pl.DataFrame(rows, schema=schema)
    # A ranked list is ordered by its ranks (ties allowed), wherever its rows stand in the
    # file: placings added later may follow other lists. ``position`` counts in that order.
    first = {r: i for i, r in enumerate(dict.fromkeys(row["ranking"] for row in rows))}
    out = (out.with_columns(pl.col("ranking").replace_strict(first, return_dtype=pl.Int64)
                            .alias("_list"), pl.col("rank").fill_null(0).alias("_rank"))
           .sort("_list", "_rank", "line")
           .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("ranking")
                         .alias("position"))
           .drop("_list", "_rank"))
    return out


def resolve_rankings(rankings: pl.DataFrame | None = None, *, edition: str = DEFAULT_EDITION,
                     max_km: float = DEFAULT_MAX_KM, panel: Panel | None = None
                     ) -> pl.DataFrame:
    """Add hub resolution and the edition match to every row of ``rankings``.

    Added columns: ``resolved``, ``hub_key`` (the matched ``edition`` unit id
    when there is one, else ``gn:<GeoNames id of the hub's largest place>``:
    the identity on which rankings are compared), ``hub_name``, ``unit_id``,
    ``places`` (labels), ``geonameids``, ``economies``, ``latitude``,
    ``longitude``, ``confidence``, ``method``, ``explanation``,
    ``match_confidence``, ``match_explanation``. ``panel`` replaces the
    bundled ``edition`` (e.g. clusters found from your own data).
    """

    frame = rankings if rankings is not None else load_rankings()
    if panel is None:
        panel = load_edition(edition)
    names = dict(zip(panel.units["unit_id"].to_list(), panel.units["name"].to_list(),
                     strict=True))
    extra: dict[str, list[Any]] = {k: [] for k in (
        "resolved", "hub_key", "hub_name", "unit_id", "places", "geonameids", "economies",
        "latitude", "longitude", "confidence", "method", "explanation", "match_confidence",
        "match_explanation")}
    for name in frame["name_as_published"].to_list():
        hub = resolve_hub(name)
        m = match_unit(hub, panel, max_km=max_km)
        extra["resolved"].append(hub.resolved)
        extra["hub_key"].append(m.unit_id or hub.key)
        big = hub.largest
        extra["hub_name"].append(names[m.unit_id] if m.unit_id else
                                 (" – ".join(p.name for p in hub.places[:3]) if big else name))
        extra["unit_id"].append(m.unit_id)
        extra["places"].append([p.label() for p in hub.places])
        extra["geonameids"].append([p.geonameid for p in hub.places])
        extra["economies"].append(list(hub.economies))
        extra["latitude"].append(hub.latitude)
        extra["longitude"].append(hub.longitude)
        extra["confidence"].append(hub.confidence)
        extra["method"].append(hub.method)
        extra["explanation"].append(hub.explanation)
        extra["match_confidence"].append(m.confidence)
        extra["match_explanation"].append(m.explanation)
    schema: dict[str, Any] = {"resolved": pl.Boolean, "hub_key": pl.Utf8, "hub_name": pl.Utf8,
              "unit_id": pl.Utf8, "places": pl.List(pl.Utf8), "geonameids": pl.List(pl.Int64),
              "economies": pl.List(pl.Utf8), "latitude": pl.Float64, "longitude": pl.Float64,
              "confidence": pl.Float64, "method": pl.Utf8, "explanation": pl.Utf8,
              "match_confidence": pl.Float64, "match_explanation": pl.Utf8}
    return frame.with_columns(pl.DataFrame(extra, schema=schema))


def unresolved(resolved: pl.DataFrame) -> pl.DataFrame:
    """Rows whose name resolved to no place (ranking, line, name, explanation)."""
    return resolved.filter(~pl.col("resolved")).select(
        "ranking", "line", "name_as_published", "explanation")


@dataclass(frozen=True)
class RankedList:
    """One published list as hub keys in order (``ranks`` None for unranked lists).

    ``dropped`` holds ``(name_as_published, reason)`` for rows not used.
    """

    name: str
    items: tuple[str, ...]
    ranks: tuple[int | None, ...]
    ordered: bool
    labels: dict[str, str] = field(default_factory=dict)
    dropped: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if len(self.items) != len(self.ranks):
            raise ValueError("items and ranks differ in length")
        if len(set(self.items)) != len(self.items):
            raise ValueError(f"list {self.name!r} holds an item twice")
        if self.ordered and any(r is None for r in self.ranks):
            raise ValueError(f"ranked list {self.name!r} has an item without rank")

    @classmethod
    def ranked(cls, name: str, items: Sequence[str], ranks: Sequence[int] | None = None
               ) -> RankedList:
        """A ranked list; ``ranks`` default to 1..n (equal ranks are ties)."""
        r = list(ranks) if ranks is not None else list(range(1, len(items) + 1))
        return cls(name, tuple(items), tuple(r), True)

    @classmethod
    def unranked(cls, name: str, items: Sequence[str]) -> RankedList:
        return cls(name, tuple(items), tuple(None for _ in items), False)

    def tie_groups(self) -> list[tuple[int, list[str]]]:
        """``(first position, items)`` per group of equal rank; an unranked list is one group.

        Positions are published ranks, so a gap (ranks 1-15 then 21)
        leaves positions 16-20 to unknown items.
        """
        if not self.ordered:
            return [(1, list(self.items))] if self.items else []
        groups: dict[int, list[str]] = {}
        for item, rank in zip(self.items, self.ranks, strict=True):
            groups.setdefault(int(rank), []).append(item)  # type: ignore[arg-type]
        return sorted(groups.items())

    def __len__(self) -> int:
        return len(self.items)


def ranked_lists(resolved: pl.DataFrame, names: Sequence[str] | None = None
                 ) -> list[RankedList]:
    """One :class:`RankedList` per ranking (in file order, or the order of ``names``).

    A row whose name did not resolve is dropped ("unresolved"); a second row
    naming a hub already in the list (e.g. "Silicon Valley (San Jose...)"
    and "San Francisco" in one article) is dropped ("same hub as ...") and
    the hub keeps its first, best placing.
    """
    available = resolved["ranking"].unique(maintain_order=True).to_list()
    wanted = list(names) if names else available
    unknown = [n for n in wanted if n not in available]
    if unknown:
        raise UnknownNameError(f"no ranking named {unknown[0]!r}", key=unknown[0],
                               hint=f"rankings: {', '.join(available)}")
    out = []
    for name in wanted:
        sub = resolved.filter(pl.col("ranking") == name).sort("position")
        items: list[str] = []
        ranks: list[int | None] = []
        labels: dict[str, str] = {}
        dropped: list[tuple[str, str]] = []
        for row in sub.iter_rows(named=True):
            if not row["resolved"]:
                dropped.append((row["name_as_published"], "unresolved"))
                continue
            key = row["hub_key"]
            if key in labels:
                dropped.append((row["name_as_published"],
                                f"same hub as {labels[key]!r} ({key})"))
                continue
            items.append(key)
            ranks.append(row["rank"])
            labels[key] = row["name_as_published"]
        out.append(RankedList(name, tuple(items), tuple(ranks), bool(sub["ordered"][0]),
                              labels, tuple(dropped)))
    return out


_FROM_NOTE = re.compile(r"\b(up|down) from (\d+)(?:st|nd|rd|th)?\b", re.IGNORECASE)


def movers(resolved: pl.DataFrame, before: str, after: str) -> pl.DataFrame:
    """Rank changes of the hubs of ``after`` relative to ``before`` (two editions of one ranking).

    The earlier rank comes from ``before`` when it lists the hub
    (``source = "<before>"``); otherwise from the note of ``after`` when it
    says "up from 21st" / "down from ..." (``source = "note of <after>"``,
    e.g. London 21 -> 8 in GII 2024 -> 2025, whose published GII 2024 list
    here is partial); "new entrant" in the note gives ``source = "new
    entrant"``; else the earlier rank is unknown (``source = "not in
    <before> (partial list)"``). ``change`` = earlier rank - later rank
    (positive = moved up).
    """
    lists = {r.name: r for r in ranked_lists(resolved, [before, after])}
    b, a = lists[before], lists[after]
    if not (a.ordered and b.ordered):
        raise UnknownNameError("movers need two ranked lists", key=f"{before},{after}")
    prev = dict(zip(b.items, b.ranks, strict=True))
    notes = {row["hub_key"]: row["note"] for row in resolved.filter(
        pl.col("ranking") == after).iter_rows(named=True)}
    rows = []
    for item, rank in zip(a.items, a.ranks, strict=True):
        note = notes.get(item) or ""
        m = _FROM_NOTE.search(note)
        earlier: int | None
        if item in prev:
            earlier, source = prev[item], before
            if m and int(m.group(2)) != earlier:
                source += f" (note says {m.group(0)!r})"
        elif m:
            earlier, source = int(m.group(2)), f"note of {after}: {m.group(0)!r}"
        elif "new entrant" in note.lower():
            earlier, source = None, "new entrant"
        else:
            earlier, source = None, f"not in {before} (partial list)"
        rows.append({"hub_key": item, "name": a.labels[item], "rank_before": earlier,
                     "rank_after": rank,
                     "change": (earlier - rank) if earlier is not None and rank is not None
                     else None, "source": source})
    schema = {"hub_key": pl.Utf8, "name": pl.Utf8, "rank_before": pl.Int64,
              "rank_after": pl.Int64, "change": pl.Int64, "source": pl.Utf8}
    return pl.DataFrame(rows, schema=schema)


def editions_of(resolved: pl.DataFrame) -> list[tuple[str, str]]:
    """Consecutive ``(earlier, later)`` editions of rankings by the same publisher and title stem.

    Rankings are grouped by publisher and the id without its year
    (``gii-2024``, ``gii-2025`` -> ``gii``; ``gii-2024-intensity`` ->
    ``gii-intensity``), ordered by year.
    """
    meta = (resolved.filter(pl.col("ordered")).group_by("ranking", maintain_order=True)
            .agg(pl.col("publisher").first(), pl.col("year").first()))
    groups: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for row in meta.iter_rows(named=True):
        stem = re.sub(r"-?\d{4}(?=-|$)", "", row["ranking"])
        if row["year"] is not None:
            groups.setdefault((row["publisher"], stem), []).append((row["year"], row["ranking"]))
    pairs: list[tuple[str, str]] = []
    for items in groups.values():
        items.sort()
        pairs.extend((x[1], y[1]) for x, y in itertools.pairwise(items))
    return pairs


__all__ = ["RANKING_COLUMNS", "RankedList", "editions_of", "load_rankings", "movers",
           "ranked_lists", "rankings_path", "resolve_rankings", "unresolved"]
