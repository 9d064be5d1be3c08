"""`techhubs rank`, `editions`, `methods`, `explain`."""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from techhubs.cli._console import console, fmt_number, terminal_width
from techhubs.errors import TechhubsError
from techhubs.formats import FORMATS

if TYPE_CHECKING:
    from techhubs.index.ranking import Ranking

# The rank command's kept answers are read before any numerical package is imported:
# the engine, Polars and rich load only when something has to be computed.


def source_line(ranking: Ranking) -> str:
    p = ranking.provenance
    where = p.get("source") or p.get("file") or "data"
    return f"source: {where} · method: {p.get('methodology')} · techhubs {p.get('techhubs')}"


def render(ranking: Ranking, fmt: str, title: str | None, columns: list[str] | None,
           footer: Sequence[str], width: int, colour: bool) -> str:
    """What ``techhubs rank`` prints for ``fmt`` (table, csv or json)."""
    from techhubs.cli._tables import fit_table, wrapped

    if fmt == "csv":
        return ranking.to_csv()
    if fmt == "json":
        return ranking.to_json() + "\n"
    if fmt != "table":
        raise TechhubsError("parquet output needs --out FILE", key="--format")
    lines, left = fit_table(ranking, width, title, columns, colour)
    if left:
        lines += wrapped(f"{len(left)} more column(s) ({', '.join(left[:4])}"
                         f"{', ...' if len(left) > 4 else ''}) do not fit: --columns to "
                         "choose, -f csv for all", width, dim=True, colour=colour)
    for note in ranking.notes:
        lines += wrapped(note, width)
    lines += wrapped(source_line(ranking), width, dim=True, colour=colour)
    for line in footer:
        lines += wrapped(line, width)
    return "\n".join(lines) + "\n"


def emit(ranking: Ranking, fmt: str, out: Path | None, title: str | None,
         columns: list[str] | None = None, footer: Sequence[str] = ()) -> str | None:
    """Print the ranking (or write it to ``out``); returns what was printed."""
    if out is not None:
        written = ranking.write(out, None if fmt == "table" else fmt)
        click.echo(f"wrote {len(ranking)} rows to {written}", err=True)
        for note in ranking.notes:
            click.echo(note, err=True)
        return None
    width, colour = _screen()
    text = render(ranking, fmt, title, columns, footer, width, colour)
    _write(text)
    return text


def _screen() -> tuple[int, bool]:
    return terminal_width(), sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _write(text: str) -> None:
    out = sys.stdout
    if isinstance(out, io.TextIOWrapper) and (out.encoding or "").lower() not in ("utf-8", "utf8"):
        click.echo(text, nl=False)  # click replaces what the terminal cannot show
    else:
        out.write(text)
        out.flush()


def answer(edition: str | None, data: Path | None, method: str | None,
           denominate: bool | None, top: int | None, economy: str | None
           ) -> tuple[Ranking, list[str]]:
    """The ranking (and the lines under it) of a bundled edition, read back when it was
    computed before (:mod:`techhubs.cli._answers`); a data file is always ranked afresh."""
    from techhubs.cli._answers import answer_key, load_answer, save_answer

    options = {"edition": edition, "method": method, "denominate": denominate, "top": top,
               "economy": economy}
    key = answer_key("rank", **options) if data is None else None
    if key is not None:
        found = load_answer(key)
        if found is not None:
            return found
    from techhubs import workflows

    ranking = workflows.rank(edition=edition, data=data, method=method, top=top,
                             economy=economy, denominate=denominate)
    footer = []
    if edition is None and data is None and method is None:
        footer = [workflows.newest_published_line()]
    if key is not None:
        save_answer(key, ranking, footer)
    return ranking, footer


edition_option = click.option("--edition", "-e", metavar="NAME",
                              help="Bundled reference edition (default: gii-2023).")
data_option = click.option("--data", "-d", type=click.Path(path_type=Path), metavar="FILE",
                           help="Panel data file (CSV/TSV/Parquet: unit_id, name, economies, "
                                "indicator columns).")
method_option = click.option("--method", "-m", metavar="PRESET|FILE",
                             help="Methodology preset (see `techhubs methods`), TOML file or "
                                  "COINr iMeta CSV. Default: the edition's own method.")
denominate_option = click.option(
    "--denominate/--no-denominate", default=None,
    help="Divide indicators by the denominators the methodology names (e.g. an iMeta "
         "Denominator column), or keep raw values. Default: the methodology's [denominate] "
         "step (an iMeta table: raw values, as COINr's default build).")


@click.command()
@edition_option
@data_option
@method_option
@denominate_option
@click.option("--top", "-n", type=int, metavar="N", help="Show the top N units only.")
@click.option("--economy", metavar="ISO2", help="Only units in this economy (e.g. US).")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="table",
              show_default=True, help="Output format.")
@click.option("--out", "-o", type=click.Path(path_type=Path), metavar="FILE",
              help="Write to FILE (format from --format or the extension).")
@click.option("--intervals", is_flag=True,
              help="Add Monte Carlo rank intervals (median, 5-95% rank, P(top 10)).")
@click.option("--runs", type=int, default=1000, show_default=True, metavar="N",
              help="Runs for --intervals.")
@click.option("--seed", type=int, default=0, show_default=True, metavar="S",
              help="Seed for --intervals.")
@click.option("--weight-uncertainty", type=float, metavar="X",
              help="Weights +-X for --intervals (default: the methodology's [uncertainty] "
                   "table, else 0.25).")
@click.option("--columns", metavar="LIST",
              help="Table columns after rank, name and score, comma-separated (indicator or "
                   "pillar codes, economies, prev, change, interval, note; all). Default: "
                   "what fits the terminal width (COLUMNS).")
def rank(edition: str | None, data: Path | None, method: str | None,
         denominate: bool | None, top: int | None, economy: str | None, fmt: str,
         out: Path | None, intervals: bool, runs: int, seed: int,
         weight_uncertainty: float | None, columns: str | None) -> None:
    """Rank hubs: a bundled edition or your data, with a methodology.

    With no options, ranks the published GII 2023 S&T clusters with the GII
    method (sum of shares of the world totals of PCT applications and
    scientific publications) and shows the published previous rank.

    \b
    Examples:
      techhubs rank
      techhubs rank --top 10 --format csv
      techhubs rank --data cities.csv --method my_index.toml --out ranking.parquet
      techhubs rank --data asem_iData.csv --method asem_iMeta.csv   # COINr
      techhubs rank --intervals --runs 5000 --weight-uncertainty 0.25
    """
    shown: str | None = None
    if data is None and out is None and not intervals and weight_uncertainty is None:
        from techhubs.cli._answers import answer_key, load_text

        width, colour = _screen()
        shown = answer_key("rank-output", edition=edition, method=method,
                           denominate=denominate, top=top, economy=economy, fmt=fmt,
                           columns=columns, width=width, colour=colour)
        text = load_text(shown)
        if text is not None:
            _write(text)
            return
    ranking, footer = answer(edition, data, method, denominate, top, economy)
    if intervals:
        from techhubs import workflows
        from techhubs.cli._console import Steps
        from techhubs.robustness import with_intervals

        with Steps("Monte Carlo runs", total=runs) as steps:
            result = workflows.rank_intervals(
                edition=edition, data=data, method=method, runs=runs, seed=seed,
                weights=weight_uncertainty, denominate=denominate,
                progress=lambda done, total: steps.update(done, total))
        ranking = with_intervals(ranking, result)
    elif weight_uncertainty is not None:
        raise TechhubsError("--weight-uncertainty needs --intervals", key="--weight-uncertainty")
    title = ranking.provenance.get("edition_title") or (str(data) if data else None)
    text = emit(ranking, fmt, out, title, columns.split(",") if columns else None, footer)
    if shown is not None and text is not None:
        from techhubs.cli._answers import save_text

        save_text(shown, text)


@click.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def editions(fmt: str) -> None:
    """List the bundled reference editions (published figures).

    An edition with all its figures can be recomputed, explained and tested
    (`techhubs robustness`); one of ranks as published ranks by the published
    rank and says which figures are missing.
    """
    from rich import box
    from rich.table import Table

    from techhubs import workflows

    items = [e.to_dict() for e in workflows.list_editions()]  # the catalogue's order
    infos = sorted(workflows.list_editions(), key=lambda e: (-e.year, "intensity" in e.name))
    if fmt == "json":
        click.echo(json.dumps(items, indent=2, ensure_ascii=False))
        return
    table = Table(box=box.SIMPLE_HEAVY, pad_edge=False)
    table.add_column("name", no_wrap=True)
    table.add_column("year", no_wrap=True)
    table.add_column("figures", no_wrap=True)
    table.add_column("title", overflow="fold")
    for e in infos:
        kind = "all: recomputable" if e.recomputable else "ranks as published"
        table.add_row(e.name, str(e.year), kind, e.title.split(": ", 1)[-1])
    c = console()
    c.print(table)
    c.print("[dim]techhubs rank -e NAME shows one; `techhubs editions -f json` adds sources "
            "and notes[/]")


@click.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json", "toml"]),
              default="table", show_default=True)
@click.option("--from-imeta", "imeta", type=click.Path(path_type=Path), metavar="FILE",
              help="Read a COINr iMeta table instead of a preset (its default build: raw "
                   "data, min-max 0-100, arithmetic means); with -f toml, an editable "
                   "methodology file.")
@denominate_option
@click.argument("name", required=False)
def methods(fmt: str, imeta: Path | None, denominate: bool | None, name: str | None) -> None:
    """List methodology presets, or print one (`techhubs methods gii-clusters -f toml`).

    
    Examples:
      techhubs methods
      techhubs methods gii-clusters -f toml > my_method.toml
      techhubs methods --from-imeta asem_iMeta.csv -f toml > asem.toml
    """
    from rich import box
    from rich.table import Table

    from techhubs import workflows
    from techhubs.methodology import load_methodology

    if imeta is not None and name:
        raise TechhubsError("give a preset NAME or --from-imeta FILE, not both",
                            key="--from-imeta")
    if imeta is not None or name:
        if imeta is not None:
            from techhubs.index.coinr import methodology_from_imeta

            m = methodology_from_imeta(imeta, denominate=bool(denominate))
        else:
            m = load_methodology(str(name))
            if denominate is not None:
                m = m.with_step("denominate", method="ratio" if denominate else "none")
        if fmt == "toml":
            click.echo(m.to_toml())
        elif fmt == "json":
            click.echo(json.dumps(m.to_dict(), indent=2, default=str))
        else:
            table = Table(title=f"{m.name}: {m.title}", box=box.SIMPLE_HEAVY,
                          title_justify="left")
            for col in ("code", "name", "parent", "weight", "direction"):
                table.add_column(col)
            for n in m.nodes:
                table.add_row(n.code, n.name, n.parent or "–", f"{n.weight:g}",
                              str(n.direction) if n.is_indicator else "")
            c = console()
            c.print(table)
            c.print(f"denominate: {m.denominate.method} · impute: {m.impute.method} · "
                    f"treat: {m.treat.method} · normalise: {m.normalise.method} · "
                    f"aggregate: {m.aggregate.method}")
        return
    items = workflows.methods()
    if fmt == "json":
        click.echo(json.dumps(items, indent=2))
        return
    table = Table(box=box.SIMPLE_HEAVY)
    table.add_column("name")
    table.add_column("title")
    table.add_column("description", overflow="fold")
    for item in items:
        table.add_row(item["name"], item["title"], " ".join(item["description"].split()))
    console().print(table)


@click.command()
@click.argument("unit")
@edition_option
@data_option
@method_option
@denominate_option
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def explain(unit: str, edition: str | None, data: Path | None, method: str | None,
            denominate: bool | None, fmt: str) -> None:
    """Why UNIT ranks where it does: score decomposition, strengths, gap to the unit above.

    UNIT is a unit id or name ("Seoul", "tokyo-yokohama"); matching ignores
    case, accents and punctuation.
    """
    from rich import box
    from rich.table import Table

    from techhubs import workflows

    e = workflows.explain(unit, edition=edition, data=data, method=method,
                          denominate=denominate)
    if fmt == "json":
        click.echo(json.dumps(e.to_dict(), indent=2, ensure_ascii=False, default=str))
        return
    c = console()
    c.print(f"[bold]{e.name}[/] — rank {e.rank} of {e.n_units}, score {fmt_number(e.score, 3)} "
            f"({e.method})")
    table = Table(title="score decomposition", box=box.SIMPLE_HEAVY, title_justify="left")
    for col in ("item", "kind", "weight", "raw", "normalised", "contribution", "rank"):
        table.add_column(col, justify="left" if col in ("item", "kind") else "right")
    for row in e.components.iter_rows(named=True):
        table.add_row(row["code"], row["kind"], fmt_number(row["weight"]), fmt_number(row["raw"]),
                      fmt_number(row["normalised"], 3), fmt_number(row["contribution"], 3),
                      str(row["rank_on_item"]))
    c.print(table)
    if e.strengths:
        c.print("[green]strengths:[/] " + "; ".join(e.strengths))
    if e.weaknesses:
        c.print("[red]weaknesses:[/] " + "; ".join(e.weaknesses))
    for note in e.notes:
        c.print(f"[dim]{note}[/]")
    if e.above:
        a = e.above
        c.print(f"\ngap to #{a['rank']} {a['name']}: score {fmt_number(a['score_gap'], 3)}")
        gap = Table(box=box.SIMPLE_HEAVY)
        for col in ("indicator", "this unit", "unit above", "gap", "extra needed alone"):
            gap.add_column(col, justify="right" if col != "indicator" else "left")
        for row in a["indicators"]:
            gap.add_row(row["code"], fmt_number(row["unit"]), fmt_number(row["above"]), fmt_number(row["gap"]),
                        fmt_number(row["extra_to_overtake"]))
        c.print(gap)
    else:
        c.print("\nfirst place: no unit above")


__all__ = ["editions", "explain", "methods", "rank"]
