"""Check claims of articles against bundled editions and published rankings.

Facts (``datasets/data/article_facts.csv``: place, fact, value, statement,
source_title, and an optional note) are checked by kind. ``statement`` is the
claim as the article makes it; ``note`` holds a reviewer's remark (e.g. where a
district really is), kept out of the claim so that no claim carries its own
verdict, and never read by the checks:

* ``rank`` - against the published ranking the statement names ("GII 2024
  ... rank" -> ``gii-2024``), else the default ``ranking`` (GII 2025, which
  the bundled claims name): supported when the ranks agree.
* ``pct_share_pct``, ``publications_share_pct``, ``vc_share_pct`` - against
  the shares that the GII 2025 list quotes in its notes ("PCT share 10.3%"),
  else against the edition's published shares. A value ">10" is a bound; a
  plain value is supported when the published share rounds to it at the
  claim's precision (7 vs 6.9).
* ``patent_filings`` "highest" - against the edition's PCT applications:
  supported when the place's unit has the most, else contradicted, quoting
  the leader's and the place's figures.
* ``patents_per_capita_rank`` - needs population: not checkable unless the
  edition carries it; when its provenance says the population is only a
  lower bound (e.g. the sum of the places a cluster's name lists), the
  rank per inhabitant is quoted as indicative and the claim stays not
  checkable; with real cluster populations, the place's rank in PCT
  applications per inhabitant among the edition's units bounds its global
  rank from below (contradicted when it is beyond the claimed top N).
* ``patents`` (a count of patents registered) - not checkable: grants are
  not PCT applications; the cluster's PCT figure is quoted as context.
* ``innovation_district`` - a place claim: districts in the alias table that
  the statement names are located, and the claim is contradicted when the
  district lies in another edition unit or more than 50 km from the place.
* anything else (companies, firsts, records, counts of firms, ...) - not
  checkable: no bundled data covers it.

Every result carries the status (``supported`` / ``contradicted`` / ``not
checkable``), the figures it rests on, the data used and an explanation.
"""

from __future__ import annotations

import math
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from techhubs.compare.rankings import load_rankings, resolve_rankings
from techhubs.compare.resolve import match_unit, resolve_hub
from techhubs.datasets import load_edition
from techhubs.errors import DataError, UnknownNameError
from techhubs.geo.aliases import load_aliases
from techhubs.geo.sphere import great_circle_km

if TYPE_CHECKING:
    from techhubs.panel import Panel

FACT_COLUMNS = ("place", "fact", "value", "statement", "source_title")
SUPPORTED, CONTRADICTED, NOT_CHECKABLE = "supported", "contradicted", "not checkable"
DEFAULT_EDITION = "gii-2023"
DEFAULT_RANKING = "gii-2025"
DISTRICT_KM = 50.0

_SHARE_FACTS = {"pct_share_pct": ("PCT", "pct_applications"),
                "publications_share_pct": ("publications", "scientific_publications"),
                "vc_share_pct": ("VC", None)}
_NOTE_SHARE = re.compile(r"\b(PCT|publications|VC) share ([\d.]+)%")


def facts_path() -> Path:
    return Path(str(resources.files("techhubs.datasets") / "data" / "article_facts.csv"))


def load_facts(path: str | Path | None = None) -> pl.DataFrame:
    """Article facts, validated, with a ``line`` column."""
    file = Path(path) if path is not None else facts_path()
    if not file.exists():
        raise DataError("file not found", file=file)
    frame = pl.read_csv(file, infer_schema=False)
    missing = [c for c in FACT_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"missing columns {missing}", file=file,
                        hint=f"expected header: {','.join(FACT_COLUMNS)}")
    for line, row in enumerate(frame.iter_rows(named=True), start=2):
        for col in ("place", "fact"):
            if not (row[col] or "").strip():
                raise DataError(f"empty {col}", file=file, line=line, key=col)
    if "note" not in frame.columns:
        frame = frame.with_columns(pl.lit("").alias("note"))
    return frame.with_columns(pl.int_range(2, frame.height + 2).alias("line"),
                              *(pl.col(c).fill_null("") for c in (*FACT_COLUMNS, "note")))


def _parse_value(text: str) -> tuple[str, float] | None:
    """('>', 10.0) for ">10", ('=', 5.4) for "5.4"; None when not a number."""
    m = re.fullmatch(r"\s*([<>]=?)?\s*([\d.,]+)\s*%?\s*", text or "")
    if not m:
        return None
    try:
        return (m.group(1) or "=", float(m.group(2).replace(",", "")))
    except ValueError:
        return None


def _decimals(text: str) -> int:
    m = re.search(r"\.(\d+)", text)
    return len(m.group(1)) if m else 0


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 1000 or float(x).is_integer() else f"{x:g}"


class _Context:
    def __init__(self, edition: str, ranking: str, rankings: pl.DataFrame | None,
                 panel: Panel | None = None) -> None:
        self.edition = edition
        self.panel = panel if panel is not None else load_edition(edition)
        self.ranking = ranking
        self.table = rankings if rankings is not None else load_rankings()
        self._resolved: dict[str, pl.DataFrame] = {}
        self.published = self.resolved(ranking)
        self.unit_names = dict(zip(self.panel.units["unit_id"].to_list(),
                                   self.panel.units["name"].to_list(), strict=True))

    def resolved(self, ranking: str) -> pl.DataFrame:
        if ranking not in self._resolved:
            chosen = self.table.filter(pl.col("ranking") == ranking)
            if chosen.height == 0:
                names = self.table["ranking"].unique(maintain_order=True).to_list()
                raise UnknownNameError(f"no published ranking named {ranking!r} to check "
                                       "rank claims", key=ranking,
                                       hint=f"rankings: {', '.join(names)}")
            self._resolved[ranking] = resolve_rankings(chosen, edition=self.edition,
                                                       panel=self.panel)
        return self._resolved[ranking]

    def ranking_for(self, statement: str) -> str:
        """The ranking a statement names ("GII 2024 ... rank" -> gii-2024), else the default."""
        m = re.search(r"\bGII\s*(\d{4})\b", statement or "")
        if m and f"gii-{m.group(1)}" in set(self.table["ranking"].to_list()):
            return f"gii-{m.group(1)}"
        return self.ranking

    def unit_of(self, place: str) -> tuple[str | None, str]:
        hub = resolve_hub(place)
        if not hub.resolved:
            return None, f"{place!r} resolves to no place"
        m = match_unit(hub, self.panel)
        return m.unit_id, m.explanation

    def published_row(self, place: str, ranking: str | None = None) -> dict[str, Any] | None:
        hub = resolve_hub(place)
        uid = match_unit(hub, self.panel).unit_id if hub.resolved else None
        key = uid or hub.key
        table = self.resolved(ranking) if ranking else self.published
        rows = table.filter(pl.col("hub_key") == key)
        return rows.row(0, named=True) if rows.height else None


def _result(row: dict[str, Any], status: str, figures: str, data: str, why: str
            ) -> dict[str, Any]:
    return {"line": row["line"], "place": row["place"], "fact": row["fact"],
            "value": row["value"], "statement": row["statement"],
            "source_title": row["source_title"], "status": status, "figures": figures,
            "data": data, "explanation": why}


def _check_rank(row: dict[str, Any], ctx: _Context) -> dict[str, Any]:
    claimed = _parse_value(row["value"])
    ranking = ctx.ranking_for(row["statement"])
    pub = ctx.published_row(row["place"], ranking)
    data = f"published ranking {ranking}"
    if claimed is None:
        return _result(row, NOT_CHECKABLE, "", data, "the claimed rank is not a number")
    if pub is None:
        return _result(row, NOT_CHECKABLE, "", data,
                       f"{row['place']!r} is not in the published {ranking} list")
    rank = int(pub["rank"])
    status = SUPPORTED if rank == int(claimed[1]) else CONTRADICTED
    return _result(row, status, f"{pub['name_as_published']}: rank {rank} in {ranking}",
                   data, f"claimed rank {int(claimed[1])}, published rank {rank}")


def _compare(op: str, claimed: float, actual: float, decimals: int) -> bool:
    if op == ">":
        return actual > claimed
    if op == ">=":
        return actual >= claimed
    if op == "<":
        return actual < claimed
    if op == "<=":
        return actual <= claimed
    return abs(actual - claimed) <= 0.5 * 10 ** (-decimals) + 1e-9


def _check_share(row: dict[str, Any], ctx: _Context) -> dict[str, Any]:
    label, code = _SHARE_FACTS[row["fact"]]
    claimed = _parse_value(row["value"])
    if claimed is None:
        return _result(row, NOT_CHECKABLE, "", "", "the claimed share is not a number")
    op, value = claimed
    decimals = _decimals(row["value"])
    pub = ctx.published_row(row["place"])
    actual: float | None = None
    data = ""
    if pub is not None:
        for what, num in _NOTE_SHARE.findall(pub["note"] or ""):
            if what == label:
                actual, data = float(num), f"{ctx.ranking} (share quoted with the list)"
    if actual is None and code is not None:
        uid, _ = ctx.unit_of(row["place"])
        ref = ctx.panel.reference
        col = f"published_{code}_share"
        if uid is not None and ref is not None and col in ref.columns:
            hit = ref.filter(pl.col("unit_id") == uid)[col]
            if hit.len() and hit[0] is not None:
                actual, data = float(hit[0]), f"edition {ctx.edition} (published share)"
    if actual is None:
        return _result(row, NOT_CHECKABLE, "", f"{ctx.ranking}, {ctx.edition}",
                       f"no bundled {label} share for {row['place']!r}")
    ok = _compare(op, value, actual, decimals)
    claim = f"{op if op != '=' else ''}{_fmt(value)}%"
    return _result(row, SUPPORTED if ok else CONTRADICTED,
                   f"{label} share: claimed {claim}, published {actual:g}%", data,
                   f"published {actual:g}% {'agrees with' if ok else 'disagrees with'} "
                   f"the claimed {claim}" + ("" if op != "=" else
                                              f" (at {decimals} decimal(s))"))


def _check_highest_patents(row: dict[str, Any], ctx: _Context) -> dict[str, Any]:
    code = "pct_applications"
    data = f"edition {ctx.edition}: PCT applications"
    if code not in ctx.panel.indicator_codes:
        return _result(row, NOT_CHECKABLE, "", ctx.edition,
                       f"edition {ctx.edition} has no PCT applications")
    if (row["value"] or "").strip().lower() != "highest":
        return _result(row, NOT_CHECKABLE, "", data, "only 'highest' claims are checked")
    uid, why = ctx.unit_of(row["place"])
    if uid is None:
        return _result(row, NOT_CHECKABLE, "", data,
                       f"{row['place']!r} is not a unit of {ctx.edition} ({why})")
    values = ctx.panel.column(code)
    ids = ctx.panel.unit_ids
    order = sorted(range(len(ids)), key=lambda i: -values[i] if not math.isnan(values[i])
                   else math.inf)
    top = order[0]
    mine = ids.index(uid)
    place_rank = order.index(mine) + 1
    period = ctx.panel.indicator_meta(code).get("period") or ""
    figures = (f"{_unit_name(ctx, ids[top])} {values[top]:,.0f} vs "
               f"{_unit_name(ctx, uid)} {values[mine]:,.0f} PCT applications"
               + (f" ({ctx.edition}, {period})" if period else f" ({ctx.edition})"))
    if top == mine:
        return _result(row, SUPPORTED, figures, data,
                       f"{_unit_name(ctx, uid)} has the most PCT applications of the edition")
    return _result(row, CONTRADICTED, figures, data,
                   f"{_unit_name(ctx, ids[top])} has the most PCT applications; "
                   f"{_unit_name(ctx, uid)} ranks {place_rank} of {len(ids)} by PCT applications")


def _unit_name(ctx: _Context, uid: str) -> str:
    return ctx.unit_names.get(uid, uid)


def _check_per_capita(row: dict[str, Any], ctx: _Context) -> dict[str, Any]:
    data = f"edition {ctx.edition}"
    pop = ctx.panel.units["population"]
    if pop.null_count() == pop.len() or "pct_applications" not in ctx.panel.indicator_codes:
        return _result(row, NOT_CHECKABLE, "", data,
                       f"edition {ctx.edition} carries no population for its clusters, so "
                       "patent filings per capita cannot be computed")
    uid, why = ctx.unit_of(row["place"])
    if uid is None:
        return _result(row, NOT_CHECKABLE, "", data, f"not a unit of {ctx.edition} ({why})")
    per = ctx.panel.column("pct_applications") / ctx.panel.column("population")
    ids = ctx.panel.unit_ids
    mine = ids.index(uid)
    if math.isnan(per[mine]):
        return _result(row, NOT_CHECKABLE, "", data, "no population for this unit")
    rank = 1 + int(sum(1 for v in per if not math.isnan(v) and v > per[mine]))
    claimed = re.search(r"(\d+|five|ten)", row["value"] or "")
    limit = {"five": 5, "ten": 10}.get(claimed.group(1)) if claimed else None
    if limit is None and claimed:
        limit = int(claimed.group(1))
    figures = (f"{_unit_name(ctx, uid)}: {per[mine] * 1e6:,.0f} PCT applications per million "
               f"inhabitants, rank {rank} of {int((~pl.Series(per).is_nan()).sum())} units")
    rough = [str(v) for v in ctx.panel.provenance.values()
             if isinstance(v, str) and "lower bound" in v and "population" in v]
    if rough:
        return _result(row, NOT_CHECKABLE, "indicative: " + figures, data,
                       f"the population of {ctx.edition}'s clusters is only a lower bound "
                       f"({rough[0]}), so ranks per inhabitant are indicative and cannot "
                       "settle the claim")
    if limit is not None and rank > limit:
        return _result(row, CONTRADICTED, figures, data,
                       f"{rank - 1} units of {ctx.edition} alone have more per inhabitant "
                       f"(cluster population, not city population)")
    return _result(row, NOT_CHECKABLE, figures, data,
                   "within the top of the edition's units, but the claim is about all places "
                   "worldwide, which the edition does not cover")


def _check_district(row: dict[str, Any], ctx: _Context) -> dict[str, Any]:
    text = f"{row['statement']} {row['value']}"
    aliases = load_aliases()
    found = [a for a in aliases.values() if a.alias.casefold() in text.casefold()]
    data = "alias table and GeoNames"
    if not found:
        return _result(row, NOT_CHECKABLE, "", data, "no known district is named")
    place = resolve_hub(row["place"])
    if not place.resolved or place.latitude is None or place.longitude is None:
        return _result(row, NOT_CHECKABLE, "", data, f"{row['place']!r} resolves to no place")
    a = found[0]
    hub = resolve_hub(a.alias)
    assert hub.latitude is not None and hub.longitude is not None
    d = great_circle_km(place.latitude, place.longitude, hub.latitude, hub.longitude)
    unit_place = match_unit(place, ctx.panel).unit_id
    unit_district = match_unit(hub, ctx.panel).unit_id
    where = ", ".join(p.label() for p in hub.places)
    figures = f"{a.alias}: {where}, {d:,.0f} km from {row['place']}"
    if unit_district is not None:
        figures += f"; in {ctx.edition} it belongs to {_unit_name(ctx, unit_district)!r}"
        rank = _published_rank(ctx, unit_district)
        if rank is not None:
            figures += f" (rank {rank})"
    separate = unit_place is not None and unit_district is not None and unit_place != unit_district
    if d > DISTRICT_KM or separate:
        return _result(row, CONTRADICTED, figures, data,
                       f"{a.alias} is not in {row['place']}: {a.explanation}")
    return _result(row, SUPPORTED, figures, data, f"{a.alias} lies within {DISTRICT_KM:g} km")


def _published_rank(ctx: _Context, uid: str) -> int | None:
    ref = ctx.panel.reference
    if ref is None or "published_rank" not in ref.columns:
        return None
    hit = ref.filter(pl.col("unit_id") == uid)["published_rank"]
    return int(hit[0]) if hit.len() and hit[0] is not None else None


def _check_patent_count(row: dict[str, Any], ctx: _Context) -> dict[str, Any]:
    uid, _ = ctx.unit_of(row["place"])
    figures = ""
    if uid is not None and "pct_applications" in ctx.panel.indicator_codes:
        v = ctx.panel.column("pct_applications")[ctx.panel.unit_ids.index(uid)]
        period = ctx.panel.indicator_meta("pct_applications").get("period") or ""
        figures = (f"context: {_unit_name(ctx, uid)} {v:,.0f} PCT applications "
                   f"({ctx.edition}, {period})")
    return _result(row, NOT_CHECKABLE, figures, f"edition {ctx.edition}",
                   "patents registered (national grants) are not PCT applications, and the "
                   "edition's cluster is larger than the city")


def _check_top_cluster_share(row: dict[str, Any], ctx: _Context) -> dict[str, Any]:
    ref = ctx.panel.reference
    total = ""
    if ref is not None and "published_pct_applications_share" in ref.columns:
        s = float(ref["published_pct_applications_share"].sum())
        total = (f"the {ref.height} clusters of {ctx.edition} hold {s:.1f}% of PCT "
                 "applications (sum of published shares)")
    return _result(row, NOT_CHECKABLE, total, f"edition {ctx.edition}",
                   "the claim covers all leading clusters and venture capital together; the "
                   "bundled data list only part of the top 100 and no VC totals")


def check_claims(facts: pl.DataFrame | None = None, *, edition: str = DEFAULT_EDITION,
                 ranking: str = DEFAULT_RANKING, rankings: pl.DataFrame | None = None,
                 panel: Panel | None = None) -> pl.DataFrame:
    """Check every fact (see the module docstring); one row per fact, in file order.

    Columns: line, place, fact, value, statement, source_title, status,
    figures, data, explanation. ``panel`` replaces the bundled ``edition``
    (e.g. your own clusters with population); ``edition`` then only names it.
    """
    table = facts if facts is not None else load_facts()
    if "line" not in table.columns:
        table = table.with_columns(pl.int_range(2, table.height + 2).alias("line"))
    ctx = _Context(edition, ranking, rankings, panel)
    out = []
    for row in table.iter_rows(named=True):
        row = {k: (v if v is not None else "") for k, v in row.items()}
        fact = row["fact"]
        if fact == "rank":
            out.append(_check_rank(row, ctx))
        elif fact in _SHARE_FACTS:
            out.append(_check_share(row, ctx))
        elif fact == "patent_filings":
            out.append(_check_highest_patents(row, ctx))
        elif fact == "patents_per_capita_rank":
            out.append(_check_per_capita(row, ctx))
        elif fact == "innovation_district":
            out.append(_check_district(row, ctx))
        elif fact == "patents":
            out.append(_check_patent_count(row, ctx))
        elif fact == "pct_and_vc_share_pct":
            out.append(_check_top_cluster_share(row, ctx))
        else:
            out.append(_result(row, NOT_CHECKABLE, "", "",
                               f"no bundled data on {fact.replace('_', ' ')}"))
    schema = {"line": pl.Int64, "place": pl.Utf8, "fact": pl.Utf8, "value": pl.Utf8,
              "statement": pl.Utf8, "source_title": pl.Utf8, "status": pl.Utf8,
              "figures": pl.Utf8, "data": pl.Utf8, "explanation": pl.Utf8}
    return pl.DataFrame(out, schema=schema)


__all__ = ["CONTRADICTED", "FACT_COLUMNS", "NOT_CHECKABLE", "SUPPORTED", "check_claims",
           "facts_path", "load_facts"]
