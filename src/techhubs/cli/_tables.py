"""Ranking tables that fit the terminal: rank, name and score always, whole; then as many
other columns as the width allows, in order of use (or the ones ``--columns`` names)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from techhubs.cli._console import fmt_number, rank_span
from techhubs.errors import TechhubsError
from techhubs.index.ranking import Ranking

NARROW_PANEL = 4
"""Up to this many indicators, each is shown (value and normalised value); beyond, the
top-level pillars stand for them."""


def short_label(text: str, width: int = 24) -> str:
    """A header: the label without its parenthesis, cut at a word within ``width``."""
    text = re.sub(r"\s*\(.*?\)", "", text).strip() or text
    if len(text) <= width:
        return text
    return text[:width - 1].rsplit(" ", 1)[0] + "…"


Column = tuple[str, str, Any]  # key, header, cell(row) -> str


def _candidates(ranking: Ranking) -> list[Column]:
    t = ranking.table
    method = ranking.provenance.get("steps", {}).get("normalise", {}).get("method", "")
    out: list[Column] = []
    p_top = next((c for c in t.columns if c.startswith("p_top")), None)
    if p_top is not None:  # asked for (--intervals): first after the score
        out.append(("interval", "5-95% rank",
                    lambda r: rank_span(r.get("rank_p05"), r.get("rank_p95"))))
        out.append((p_top, f"P(top {p_top[5:]})",
                    lambda r, k=p_top: "–" if r.get(k) is None else f"{r[k]:.0%}"))
    out.append(("economies", "economies", lambda r: "/".join(r.get("economies") or [])))
    codes = list(ranking.indicators)
    pillars = [p for p in ranking.pillars if f"{p}__score" in t.columns]
    if pillars and len(codes) > NARROW_PANEL:
        out += [(p, short_label(ranking.label(p)),
                 lambda r, p=p: fmt_number(r.get(f"{p}__score"))) for p in pillars]
    for code in codes:
        # counts print as counts (249, not 249.00) when the whole column is whole numbers
        values = t[code].drop_nulls() if code in t.columns else t["rank"].head(0)
        digits = 0 if values.len() and bool((values == values.round(0)).all()) else 2
        out.append((code, short_label(ranking.label(code)),
                    lambda r, c=code, d=digits: fmt_number(r.get(c), d)))
        if f"{code}__norm" in t.columns:
            out.append((f"{code}__norm", "share %" if method == "share" else "norm.",
                        lambda r, c=code: fmt_number(r.get(f"{c}__norm"))))
    if "previous_rank" in t.columns:
        out.append(("prev", "prev", lambda r: fmt_number(r.get("previous_rank"))))
        out.append(("change", "change", _change))
    if "published_note" in t.columns:
        out.append(("note", "published note", lambda r: r.get("published_note") or ""))
    return out


def _default(ranking: Ranking, candidates: list[Column]) -> list[Column]:
    """The columns a table shows unless told: a wide panel's pillars stand for its
    indicators; a column that is empty everywhere (no economies) is left out."""
    t = ranking.table
    codes = set(ranking.indicators)
    wide = len(codes) > NARROW_PANEL
    out = []
    for column in candidates:
        key = column[0]
        if wide and (key in codes or key.removesuffix("__norm") in codes) and ranking.pillars:
            continue
        if wide and key.endswith("__norm"):
            continue
        if key == "economies" and not (t["economies"].list.len().fill_null(0) > 0).any():
            continue
        out.append(column)
    return out


def _change(row: dict[str, Any]) -> str:
    change = row.get("change")
    if change is None:
        return "–"
    return f"[green]▲{change}[/]" if change > 0 else f"[red]▼{-change}[/]" if change < 0 \
        else "="


def _table(ranking: Ranking, columns: Sequence[Column], title: str | None) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left", pad_edge=False)
    table.add_column("rank", justify="right", no_wrap=True)
    table.add_column("name", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    for key, header, _ in columns:
        table.add_column(header, justify="left" if key in ("economies", "note") else "right",
                         no_wrap=True)
    for row in ranking.table.iter_rows(named=True):
        table.add_row(fmt_number(row["rank"]), row["name"], fmt_number(row["score"]),
                      *(cell(row) for _, _, cell in columns))
    return table


def fit_table(ranking: Ranking, console: Console, title: str | None = None,
              columns: Sequence[str] | None = None) -> tuple[Table, list[str]]:
    """The widest table that fits ``console.width`` (or the ``columns`` asked for), and
    the keys of the columns left out."""
    candidates = _candidates(ranking)
    if columns is not None:
        known = {key: c for c in candidates for key in (c[0], c[1])}
        wanted = [k.strip() for k in columns if k.strip()]
        unknown = [k for k in wanted if k not in known and k != "all"]
        if unknown:
            raise TechhubsError(f"no column {unknown[0]!r}", key="--columns",
                                hint="columns: " + ", ".join(c[0] for c in candidates)
                                + ", or all")
        picked = candidates if "all" in wanted else list(
            dict.fromkeys(known[k] for k in wanted))
        return _table(ranking, picked, title), []
    candidates = _default(ranking, candidates)
    # widths by column (one pass over the cells), the table's own overhead measured once
    rows = list(ranking.table.iter_rows(named=True))
    width = {c[0]: max([cell_len(c[1])] + [cell_len(Text.from_markup(c[2](r)).plain)
                                            for r in rows]) for c in candidates}
    used = console.measure(_table(ranking, [], title)).maximum
    gap = 0
    if candidates:
        first = candidates[0]
        gap = console.measure(_table(ranking, [first], title)).maximum - used - width[first[0]]
    chosen: list[Column] = []
    for column in candidates:
        extra = width[column[0]] + gap
        if used + extra <= console.width:  # else a narrower later column may still fit
            chosen.append(column)
            used += extra
    left = [c[0] for c in candidates if c not in chosen]
    return _table(ranking, chosen, title), left
