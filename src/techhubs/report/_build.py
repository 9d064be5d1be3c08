"""Gather everything the report shows and render it into one self-contained HTML file."""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from techhubs import workflows
from techhubs._version import __version__
from techhubs.errors import TechhubsError
from techhubs.index.composite import Composite
from techhubs.index.explain import explain
from techhubs.methodology import load_methodology
from techhubs.report._svg import LEGEND, bars_svg, interval_chart, map_svg, width_colour
from techhubs.views import intervals as _intervals
from techhubs.views.published import build_index
from techhubs.views.store import results_source


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def fit(edition: str | None = None, data: str | Path | None = None, method: str | None = None,
        results: str | Path | None = None) -> Composite:
    """The composite the report describes: an edition, a data file or a results folder."""
    if results is not None:
        source = results_source(results)
        methodology = source.methodology or load_methodology(method or source.default_method)
        return Composite(methodology).fit(source.load())
    return workflows.fit(edition=edition, data=data, method=method)


def _headers(composite: Composite) -> dict[str, dict[str, str]]:
    """Each indicator's human name and unit for the table headers (code kept as a tooltip)."""
    out = {}
    for code in composite.ranking_.indicators:
        meta = composite.panel_.indicator_meta(code)
        unit = str(meta.get("unit") or "")
        out[code] = {"name": composite.ranking_.header(code), "unit": unit,
                     "code": f"{code}: {composite.ranking_.label(code)}"}
    return out


def report_context(composite: Composite, *, runs: int = 500, seed: int = 0,
                   weight_uncertainty: float = 0.25, hub_pages: int = 100,
                   progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    say = progress or (lambda _text: None)
    m = composite.methodology_
    panel = composite.panel_
    table = composite.ranking_.table
    intervals: dict[str, dict[str, Any]] = {}
    interval_note = None
    if runs > 0:
        say(f"rank intervals ({runs} runs)")
        iv = _intervals.rank_interval_table(composite, runs, weight_uncertainty, seed)
        intervals = {r["unit_id"]: r for r in iv.to_dicts()}
    else:
        interval_note = "Rank intervals were not asked for (--runs 0)."
    units = {r["unit_id"]: r for r in panel.units.to_dicts()}
    # the top-level pillars of a tree (none for a flat method such as gii-clusters)
    pillars = [p for p in composite.ranking_.pillars if f"{p}__score" in table.columns]
    rows = []
    for r in table.to_dicts():
        uid = r["unit_id"]
        u = units[uid]
        iv_row = intervals.get(uid, {})
        p05, p95 = iv_row.get("rank_p05"), iv_row.get("rank_p95")
        rows.append({
            "unit_id": uid, "name": r["name"], "economies": "/".join(r["economies"] or []),
            "rank": r["rank"], "score": _finite(r["score"]),
            "published_rank": r.get("published_rank"),
            "latitude": u.get("latitude"), "longitude": u.get("longitude"),
            "members": u.get("members") or [], "population": u.get("population"),
            "median_rank": iv_row.get("median_rank"), "rank_p05": p05, "rank_p95": p95,
            "p_top10": iv_row.get("p_top10"),
            "width": None if p05 is None or p95 is None else float(p95) - float(p05),
            "indicators": {c: _finite(r.get(c)) for c in composite.ranking_.indicators},
            "pillars": {p: _finite(r.get(f"{p}__score")) for p in pillars},
        })
    hubs = []
    published = build_index(panel) if hub_pages > 0 else None
    scored = [row for row in rows if row.get("rank") is not None]  # no score: no page
    for k, row in enumerate(scored[:hub_pages]):
        say(f"hub pages ({k + 1}/{min(len(scored), hub_pages)})")
        e = explain(composite, row["unit_id"])
        components = e.components.to_dicts()
        items = []
        for c in components:
            value = c["contribution"] if c["contribution"] is not None else c["normalised"]
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            items.append((c["name"], float(value), f"{value:.3g}, rank {c['rank_on_item']}"))
        hubs.append({
            **row, "explanation": e, "components": components,
            "bars": bars_svg(items),
            "published": published.ranks_of(row["unit_id"]) if published else [],
            "facts": published.facts_of(row["unit_id"]) if published else [],
        })
    nodes = [{"code": n.code, "name": n.name, "parent": n.parent or "", "weight": n.weight,
              "kind": "indicator" if n.is_indicator else
              ("index" if n.parent is None else "pillar"),
              "direction": n.direction, "source": n.source} for n in m.nodes]
    provenance = composite.provenance()
    return {
        "title": "techhubs report: " + str(provenance.get("edition_title")
                                           or provenance.get("project") or m.title or m.name),
        "generated": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__, "methodology": m, "nodes": nodes,
        "steps": provenance.get("steps", {}), "log": [e.to_dict() for e in composite.log_],
        "provenance": {k: v for k, v in provenance.items() if k != "steps"},
        "pillars": [{"code": p, "name": composite.ranking_.label(p)} for p in pillars],
        "notes": list(composite.ranking_.notes),
        "rows": rows, "hubs": hubs, "n_units": len(rows), "indicators":
        list(composite.ranking_.indicators), "headers": _headers(composite),
        "intervals": bool(intervals),
        "interval_note": interval_note, "runs": runs, "seed": seed,
        "weight_uncertainty": weight_uncertainty, "hub_pages": hub_pages,
        "map": map_svg(rows), "interval_chart": interval_chart(rows, len(rows)),
        "legend": [(width_colour(w), label) for w, label in LEGEND],
    }


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("techhubs.report") / "templates")),
        autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["num"] = _num
    env.filters["pretty"] = lambda v: v if isinstance(v, str) else json.dumps(
        v, ensure_ascii=False, default=str)
    return env


def _num(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def render_report(context: dict[str, Any]) -> str:
    return _environment().get_template("report.html").render(**context)


def build_report(out: str | Path, *, edition: str | None = None, data: str | Path | None = None,
                 method: str | None = None, results: str | Path | None = None, runs: int = 500,
                 seed: int = 0, weight_uncertainty: float = 0.25, hub_pages: int = 100,
                 progress: Callable[[str], None] | None = None) -> Path:
    """Write the report to ``out`` (one HTML file, no external resources) and return its path."""
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise TechhubsError("the report is an HTML file", file=out, key="--out",
                            hint="name it e.g. report.html")
    if progress:
        progress("fitting the index")
    composite = fit(edition, data, method, results)
    html = render_report(report_context(composite, runs=runs, seed=seed,
                                        weight_uncertainty=weight_uncertainty,
                                        hub_pages=hub_pages, progress=progress))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out)
    return out
