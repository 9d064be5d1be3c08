"""Ranking tables that fit the terminal: rank, name and score always, whole; then as many
other columns as the width allows, in order of use (or the ones ``--columns`` names).

Tables are laid out here, as plain text (one pass over the cells, no measuring
library), so that the main command prints in milliseconds; colour is added only on a
terminal.
"""

from __future__ import annotations

import textwrap
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import click

from techhubs.cli._console import fmt_number, rank_span
from techhubs.errors import TechhubsError
from techhubs.index.ranking import Ranking

NARROW_PANEL = 4
"""Up to this many indicators, each is shown (value and normalised value); beyond, the
top-level pillars stand for them."""
GAP = 3  # spaces between columns


def text_width(text: str) -> int:
    """Cells a text takes on a terminal (wide East Asian characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else
               0 if unicodedata.combining(ch) else 1 for ch in text)


_HEADER_WIDTH = 24


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    cell: Callable[[dict[str, Any]], str]
    left: bool = False  # text columns align left, numbers right
    style: Callable[[str], str] | None = None  # colour on a terminal


Cell = Callable[[dict[str, Any]], str]


def _number(key: str, digits: int = 2) -> Cell:
    def cell(row: dict[str, Any]) -> str:
        return fmt_number(row.get(key), digits)
    return cell


def _share(key: str) -> Cell:
    def cell(row: dict[str, Any]) -> str:
        value = row.get(key)
        return "–" if value is None else f"{value:.0%}"
    return cell


def _interval(row: dict[str, Any]) -> str:
    return rank_span(row.get("rank_p05"), row.get("rank_p95"))


def _candidates(ranking: Ranking) -> list[Column]:
    t = ranking.table
    method = ranking.provenance.get("steps", {}).get("normalise", {}).get("method", "")
    out: list[Column] = []
    p_top = next((c for c in t.columns if c.startswith("p_top")), None)
    if p_top is not None:  # asked for (--intervals): first after the score
        out.append(Column("interval", "5-95% rank", _interval))
        out.append(Column(p_top, f"P(top {p_top[5:]})", _share(p_top)))
    out.append(Column("economies", "economies",
                      lambda r: "/".join(r.get("economies") or []), left=True))
    codes = list(ranking.indicators)
    pillars = [p for p in ranking.pillars if f"{p}__score" in t.columns]
    if pillars and len(codes) > NARROW_PANEL:
        out += [Column(p, ranking.header(p, _HEADER_WIDTH), _number(f"{p}__score"))
                for p in pillars]
    for code in codes:
        # counts print as counts (249, not 249.00) when the whole column is whole numbers
        values = t[code].drop_nulls() if code in t.columns else t["rank"].head(0)
        digits = 0 if values.len() and bool((values == values.round(0)).all()) else 2
        out.append(Column(code, ranking.header(code, _HEADER_WIDTH), _number(code, digits)))
        if f"{code}__norm" in t.columns:
            out.append(Column(f"{code}__norm", "share %" if method == "share" else "norm.",
                              _number(f"{code}__norm")))
    if "previous_rank" in t.columns:
        out.append(Column("prev", "prev", _number("previous_rank")))
        out.append(Column("change", "change", _change, style=_change_colour))
    if "published_note" in t.columns:
        out.append(Column("note", "published note", lambda r: r.get("published_note") or "",
                          left=True))
    return out


def _change(row: dict[str, Any]) -> str:
    change = row.get("change")
    if change is None:
        return "–"
    return f"▲{change}" if change > 0 else f"▼{-change}" if change < 0 else "="


def _change_colour(text: str) -> str:
    return click.style(text, fg="green" if text.startswith("▲") else
                       "red" if text.startswith("▼") else None)


def _default(ranking: Ranking, candidates: list[Column]) -> list[Column]:
    """The columns a table shows unless told: a wide panel's pillars stand for its
    indicators; a column that is empty everywhere (no economies) is left out."""
    t = ranking.table
    codes = set(ranking.indicators)
    wide = len(codes) > NARROW_PANEL
    out = []
    for column in candidates:
        key = column.key
        if wide and (key in codes or key.endswith("__norm")):
            continue
        if key == "economies" and not (t["economies"].list.len().fill_null(0) > 0).any():
            continue
        out.append(column)
    return out


def _name(row: dict[str, Any]) -> str:
    return str(row.get("name") or "")


ESSENTIAL = (Column("rank", "rank", _number("rank")), Column("name", "name", _name, left=True),
             Column("score", "score", _number("score")))


def _cells(ranking: Ranking, columns: Sequence[Column]) -> list[list[str]]:
    return [[c.cell(row) for c in columns] for row in ranking.table.iter_rows(named=True)]


def render(ranking: Ranking, columns: Sequence[Column], title: str | None, width: int,
           colour: bool = False) -> list[str]:
    """The table as lines: a title, the header, a rule, one line per unit."""
    every = [*ESSENTIAL, *columns]
    rows = _cells(ranking, every)
    widths = [max([text_width(c.header)] + [text_width(r[i]) for r in rows])
              for i, c in enumerate(every)]

    def line(cells: Sequence[str], styled: bool = False) -> str:
        parts = []
        for i, (column, text) in enumerate(zip(every, cells, strict=True)):
            pad = " " * (widths[i] - text_width(text))
            shown = column.style(text) if styled and column.style is not None else text
            parts.append(shown + pad if column.left else pad + shown)
        return (" " * GAP).join(parts).rstrip()

    total = sum(widths) + GAP * (len(widths) - 1)
    out = textwrap.wrap(title, width=width) if title else []
    header = line([c.header for c in every])
    out += [click.style(header, bold=True) if colour else header, "━" * min(total, width)]
    out += [line(r, styled=colour) for r in rows]
    return out


def fit_table(ranking: Ranking, width: int, title: str | None = None,
              columns: Sequence[str] | None = None, colour: bool = False
              ) -> tuple[list[str], list[str]]:
    """The lines of the widest table that fits ``width`` (or of the ``columns`` asked
    for), and the keys of the columns left out."""
    candidates = _candidates(ranking)
    if columns is not None:
        known = {key: c for c in candidates for key in (c.key, c.header)}
        wanted = [k.strip() for k in columns if k.strip()]
        unknown = [k for k in wanted if k not in known and k != "all"]
        if unknown:
            raise TechhubsError(f"no column {unknown[0]!r}", key="--columns",
                                hint="columns: " + ", ".join(c.key for c in candidates)
                                + ", or all")
        picked = candidates if "all" in wanted else list(
            dict.fromkeys(known[k] for k in wanted))
        return render(ranking, picked, title, width, colour), []
    candidates = _default(ranking, candidates)
    every = [*ESSENTIAL, *candidates]
    rows = _cells(ranking, every)
    width_of = [max([text_width(c.header)] + [text_width(r[i]) for r in rows])
                for i, c in enumerate(every)]
    used = sum(width_of[:3]) + 2 * GAP
    extra = {c.key: width_of[3 + i] + GAP for i, c in enumerate(candidates)}
    chosen: list[Column] = []
    complete = True  # every indicator shown so far: later extras (prev, note) may follow
    for group in _groups(ranking, candidates):
        need = sum(extra[c.key] for c in group)
        indicator = group[0].key in ranking.indicators
        if complete and used + need <= width:
            chosen += group
            used += need
        elif indicator:
            # indicators in order, a value with its share; nothing after a missing one
            complete = False
    left = [c.key for c in candidates if c not in chosen]
    return render(ranking, chosen, title, width, colour), left


def _groups(ranking: Ranking, columns: Sequence[Column]) -> list[list[Column]]:
    """Columns that are shown or left out together: an indicator with its share or
    normalised value, the previous rank with the change."""
    groups: list[list[Column]] = []
    for column in columns:
        key = column.key
        if groups and (key.endswith("__norm") or key == "change"):
            groups[-1].append(column)
        else:
            groups.append([column])
    return groups


def wrapped(text: str, width: int, dim: bool = False, colour: bool = False) -> list[str]:
    """A note under a table as lines wrapped to the width."""
    return [click.style(line, dim=True) if dim and colour else line
            for line in textwrap.wrap(text, width=width) or [""]]


def echo_wrapped(text: str, width: int, dim: bool = False, colour: bool = False) -> None:
    """A note under a table, wrapped to the width."""
    for line in wrapped(text, width, dim, colour):
        click.echo(line)
