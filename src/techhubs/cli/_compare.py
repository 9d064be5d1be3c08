"""`techhubs compare`, `consensus`, `movers`, `claims`, `resolve`."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import click
import polars as pl
from rich import box
from rich.table import Table

from techhubs.cli._console import console

FORMATS = ("table", "csv", "json")


def _cell(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if not value.is_integer() or digits == 3 else f"{value:g}"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


def _rich(frame: pl.DataFrame, title: str | None = None, digits: int = 3) -> Table:
    table = Table(title=title, box=box.SIMPLE_HEAVY, title_justify="left", pad_edge=False)
    for col in frame.columns:
        numeric = frame[col].dtype.is_numeric()
        table.add_column(col, justify="right" if numeric else "left", overflow="fold")
    for row in frame.iter_rows():
        table.add_row(*(_cell(v, digits) for v in row))
    return table


def _csv(frame: pl.DataFrame) -> str:
    flat = frame.with_columns(
        pl.col(c).list.eval(pl.element().cast(pl.Utf8)).list.join("; ")
        for c, t in frame.schema.items() if isinstance(t, pl.List))
    return flat.write_csv()


rankings_option = click.option(
    "--rankings", "rankings_file", type=click.Path(path_type=Path), metavar="FILE",
    help="Published rankings CSV (ranking,year,publisher,title,kind,rank,name_as_published,"
         "note). Default: the bundled file.")
edition_option = click.option(
    "--edition", "-e", default="gii-2023", show_default=True, metavar="NAME",
    help="Edition whose units give hubs their identity (see `techhubs editions`).")
format_option = click.option("--format", "-f", "fmt", type=click.Choice(FORMATS),
                             default="table", show_default=True, help="Output format.")


@click.command()
@click.argument("ranking", nargs=-1)
@rankings_option
@edition_option
@click.option("--p", "p", type=float, default=0.9, show_default=True,
              help="Persistence of rank-biased overlap (top-weightedness).")
@format_option
def compare(ranking: tuple[str, ...], rankings_file: Path | None, edition: str, p: float,
            fmt: str) -> None:
    """Agreement between published rankings: Kendall tau-b, RBO, common hubs.

    RANKING... are ranking ids of the rankings file (default: all of them).
    Names are resolved to hubs (one hub, many names: "Silicon Valley",
    "San Jose–San Francisco, CA"...) and lists are compared on hubs. Kendall
    tau-b uses the published ranks of the common hubs (undefined for
    unranked lists); RBO_ext (Webber et al. 2010) uses the whole lists, with
    ties by expectation over tie-breakings.

    \b
    Examples:
      techhubs compare
      techhubs compare gii-2024 gii-2025 --format json
    """
    from techhubs.compare import agreement_table

    result = agreement_table(list(ranking) or None, path=rankings_file, p=p, edition=edition)
    pairs: pl.DataFrame = result["pairs"]
    if fmt == "json":
        out = {"pairs": pairs.to_dicts(), "unresolved": result["unresolved"].to_dicts(),
               "dropped": result["dropped"].to_dicts(),
               "method": {"kendall_tau_b": "on common hubs, published ranks",
                          "rbo": f"RBO_ext (Webber, Moffat & Zobel 2010), p={p}"}}
        click.echo(_dumps(out))
        return
    if fmt == "csv":
        sys.stdout.write(_csv(pairs))
        return
    c = console()
    lists = result["lists"]
    c.print(_rich(pl.DataFrame({"ranking": [lst.name for lst in lists],
                                "kind": ["ranked" if lst.ordered else "unranked"
                                         for lst in lists],
                                "hubs": [len(lst) for lst in lists]}), "rankings"))
    for key, title in (("tau", "Kendall tau-b on common hubs"),
                       ("rbo", f"rank-biased overlap RBO_ext (p = {p:g})"),
                       ("common", "common hubs")):
        c.print(_rich(_short(result[key]), title, digits=0 if key == "common" else 3))
    if result["unresolved"].height:
        c.print(_rich(result["unresolved"], "unresolved names"))
    else:
        c.print("all names resolved to hubs")
    if result["dropped"].height:
        c.print(_rich(result["dropped"], "rows not compared"))


def _short(matrix: pl.DataFrame) -> pl.DataFrame:
    """Number the columns so a wide matrix fits: column k = k-th ranking."""
    names = matrix["ranking"].to_list()
    renamed = {n: str(k) for k, n in enumerate(names, start=1)}
    return matrix.rename(renamed).with_columns(
        pl.Series("ranking", [f"{k} {n}" for k, n in enumerate(names, start=1)]))


def _json_default(value: Any) -> Any:
    return str(value)


def _finite(value: Any) -> Any:
    """NaN/inf -> None recursively: JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _dumps(value: Any) -> str:
    return json.dumps(_finite(value), indent=2, ensure_ascii=False, default=_json_default,
                      allow_nan=False)


@click.command()
@click.argument("ranking", nargs=-1)
@click.option("--method", "-m", type=click.Choice(["borda", "schulze", "kemeny"]),
              default="borda", show_default=True, help="Consensus method.")
@click.option("--unlisted", type=click.Choice(["share", "zero"]), default="share",
              show_default=True,
              help="Borda: unlisted items share the remaining points, or score 0.")
@click.option("--pairs", type=click.Choice(["listed_over_unlisted", "listed"]),
              default="listed_over_unlisted", show_default=True,
              help="Schulze/Kemeny: does a list prefer its items to unlisted ones?")
@click.option("--unranked", type=click.Choice(["ignore", "tied"]), default="ignore",
              show_default=True,
              help="Unranked lists (no order): leave them out, or count each as a list "
                   "whose hubs tie.")
@click.option("--top", "-n", type=int, metavar="N", help="Show the top N positions only.")
@rankings_option
@edition_option
@format_option
def consensus(ranking: tuple[str, ...], method: str, unlisted: str, pairs: str,
              unranked: str, top: int | None, rankings_file: Path | None, edition: str,
              fmt: str) -> None:
    """Consensus ranking over published (partial, ranked and unranked) lists.

    Borda, Schulze, or Kemeny-Young (exact up to 10 hubs, else an
    approximation: Borda order refined by best-insertion local search; the
    output says which). Each position shows how many lists contain the hub
    and how many ranked lists place it at or above that position.

    Unranked lists (an article's "top hubs" with no order) say which hubs are
    near the top, not in what order: by default they are left out, so only
    ranked lists order the hubs (--unranked tied counts them as ties).

    The score column: Borda points; for Schulze the number of hubs beaten;
    for Kemeny the lead over the next hub (lists preferring it to the hub
    just below minus the reverse; never negative, 0 = tied).

    \b
    Examples:
      techhubs consensus
      techhubs consensus --method schulze gii-2025 article-most-advanced-2025
    """
    from techhubs.compare import consensus_ranking

    options: dict[str, Any] = {"borda": {"unlisted": unlisted}, "schulze": {"pairs": pairs},
                               "kemeny": {"pairs": pairs, "unlisted": unlisted}}[method]
    options["unranked"] = unranked
    result = consensus_ranking(list(ranking) or None, method=method, path=rankings_file,
                               edition=edition, **options)
    table = result.table.head(top) if top else result.table
    if fmt == "json":
        click.echo(_dumps({"method": result.method, "description": result.description,
                           "n_lists": result.n_lists, "params": result.params,
                           "ranking": table.to_dicts()}))
    elif fmt == "csv":
        sys.stdout.write(_csv(table))
    else:
        c = console()
        shown = table.drop("item").rename({
            "label": "hub", "score": result.score_label, "lists_containing": "lists",
            "lists_at_or_above": "ranked lists at or above"})
        c.print(_rich(shown, f"consensus: {result.method}", digits=1))
        c.print(f"[dim]{result.description}; lists: lists containing the hub; ranked lists "
                f"at or above: those placing it at or above the position "
                f"(of {result.n_lists} lists)[/]")


@click.command()
@click.argument("pair", nargs=-1)
@rankings_option
@edition_option
@format_option
def movers(pair: tuple[str, ...], rankings_file: Path | None, edition: str, fmt: str) -> None:
    """Rank changes between editions of one ranking (e.g. gii-2024 -> gii-2025).

    `techhubs movers gii-2024 gii-2025` compares two lists.
    With no PAIR, every pair of consecutive editions by the same publisher.
    When the earlier list is partial and lacks a hub, the earlier rank comes
    from the later list's note ("up from 21st") and the source says so.
    """
    from techhubs.compare import all_movers
    from techhubs.errors import TechhubsError

    if pair and len(pair) != 2:
        raise TechhubsError("give two ranking ids (earlier, later) or none", key="PAIR")
    frame = all_movers(rankings_file, edition, [(pair[0], pair[1])] if pair else None)
    if fmt == "json":
        click.echo(_dumps(frame.to_dicts()))
    elif fmt == "csv":
        sys.stdout.write(frame.write_csv())
    else:
        console().print(_rich(frame.select("before", "after", "name", "rank_before",
                                            "rank_after", "change", "source"), "movers"))


@click.command()
@click.option("--edition", "-e", default="gii-2023", show_default=True, metavar="NAME",
              help="Edition whose figures check figure claims (patent filings...).")
@click.option("--ranking", "ranking_id", default="gii-2025", show_default=True,
              metavar="ID", help="Published ranking that rank and share claims refer to.")
@click.option("--facts", type=click.Path(path_type=Path), metavar="FILE",
              help="Facts CSV (place,fact,value,statement,source_title). Default: bundled.")
@rankings_option
@click.option("--all/--checkable", "show_all", default=True, show_default=True,
              help="Show every fact, or only those that could be checked.")
@format_option
def claims(edition: str, ranking_id: str, facts: Path | None, rankings_file: Path | None,
           show_all: bool, fmt: str) -> None:
    """Check article claims against bundled editions and published rankings.

    Each claim is supported, contradicted or not checkable, with the figures
    it rests on (e.g. Seoul's "highest number of patent filings" against the
    GII 2023 PCT applications).
    """
    from techhubs.compare import check_claims, load_facts, load_rankings

    frame = check_claims(load_facts(facts), edition=edition, ranking=ranking_id,
                         rankings=load_rankings(rankings_file) if rankings_file else None)
    if not show_all:
        frame = frame.filter(pl.col("status") != "not checkable")
    if fmt == "json":
        click.echo(_dumps(frame.to_dicts()))
        return
    if fmt == "csv":
        sys.stdout.write(frame.write_csv())
        return
    c = console()
    colour = {"supported": "green", "contradicted": "red", "not checkable": "dim"}
    table = Table(box=box.SIMPLE_HEAVY, title="claims", title_justify="left")
    for col in ("place", "claim", "status", "figures", "explanation"):
        table.add_column(col, overflow="fold")
    for row in frame.iter_rows(named=True):
        table.add_row(row["place"], row["statement"],
                      f"[{colour[row['status']]}]{row['status']}[/]", row["figures"],
                      row["explanation"])
    c.print(table)
    counts = frame["status"].value_counts(sort=True)
    c.print(" · ".join(f"{r['status']}: {r['count']}" for r in counts.iter_rows(named=True)))


@click.command()
@click.argument("name", nargs=-1, required=True)
@edition_option
@click.option("--economy", "economies", multiple=True, metavar="ISO2",
              help="Prefer places in this economy (repeatable).")
@click.option("--max-km", type=float, default=30.0, show_default=True,
              help="Proximity limit for matching a hub to an edition unit.")
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]),
              default="table", show_default=True)
def resolve(name: tuple[str, ...], edition: str, economies: tuple[str, ...], max_km: float,
            fmt: str) -> None:
    """Resolve place names to hubs: places, confidence, explanation, edition match.

    \b
    Examples:
      techhubs resolve "Silicon Valley" "San Jose–San Francisco, CA"
      techhubs resolve "Shenzhen – Hong Kong – Guangzhou, China" -f json
    """
    from techhubs.compare import match_unit, resolve_hub
    from techhubs.datasets import load_edition

    panel = load_edition(edition)
    out = []
    for n in name:
        hub = resolve_hub(n, list(economies) or None)
        m = match_unit(hub, panel, max_km=max_km)
        out.append({**hub.to_dict(), "edition": edition, "unit_id": m.unit_id,
                    "unit_name": m.unit_name, "match_confidence": m.confidence,
                    "match_explanation": m.explanation})
    if fmt == "json":
        click.echo(_dumps(out))
        return
    c = console()
    for item in out:
        status = "[green]resolved[/]" if item["places"] else "[red]unresolved[/]"
        c.print(f"[bold]{item['name_as_given']}[/] — {status} ({item['method']}, "
                f"confidence {item['confidence']:.2f}), key {item['key']}")
        for p in item["places"]:
            region = "-".join(x for x in (p["country_code"], p["admin1_code"]) if x)
            c.print(f"  {p['name']} ({region}) "
                    f"geonameid {p['geonameid']}, {p['latitude']:.3f}, {p['longitude']:.3f}, "
                    f"population {p['population']:,}")
        c.print(f"  [dim]{item['explanation']}[/]")
        unit = (f"{item['unit_id']} ({item['unit_name']}), confidence "
                f"{item['match_confidence']:.2f}" if item["unit_id"] else "no unit")
        c.print(f"  {edition}: {unit} — {item['match_explanation']}")


__all__ = ["claims", "compare", "consensus", "movers", "resolve"]
