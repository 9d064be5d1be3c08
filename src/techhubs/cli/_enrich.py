"""`techhubs enrich`: hub factors from open layers."""

from __future__ import annotations

from pathlib import Path

import click

from techhubs.errors import DataError


@click.command("enrich")
@click.option("--edition", "-e", metavar="NAME",
              help="The edition whose hubs are enriched (see `techhubs editions`; default "
                   "gii-2023).")
@click.option("--results", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Enrich the clusters of a `techhubs build` results folder instead.")
@click.option("--layer", "layers", multiple=True, metavar="NAME=READER:PATH",
              help="A layer: READER is an ingest reader (ror, crunchbase, openalex, "
                   "patentsview, table) or points (a points Parquet). Repeatable.")
@click.option("--covers", "covers", multiple=True, metavar="NAME=ISO2,...",
              help="The economies layer NAME covers: hubs elsewhere get a missing value, "
                   "not 0 (repeatable), e.g. --covers deals=US.")
@click.option("--radius-km", type=float, metavar="KM",
              help="A record belongs to the hub with the nearest footprint location within "
                   "this distance (default: 25 for an edition, the build's eps_km for "
                   "--results).")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The panel file to write (.csv, .tsv or .parquet), read by `techhubs rank "
                   "--data`; its provenance goes beside it.")
@click.option("--assignment", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the record -> hub assignment (Parquet or CSV).")
def enrich(edition: str | None, results: Path | None, layers: tuple[str, ...],
           covers: tuple[str, ...], radius_km: float | None, out: Path,
           assignment: Path | None) -> None:
    """Attach open layers to the hubs of an edition or a build: one indicator per layer.

    Each layer's records are read with their accounting; a record belongs to
    the hub whose nearest footprint location is nearest to it, within
    --radius-km (an edition's hub: the places its name lists; a build's
    cluster: its own rounded locations). A ROR layer adds one column per
    organisation type, a Crunchbase layer the USD raised. The hubs keep
    their figures and world totals, and get the hub-factors columns (talent,
    research_institutions, venture_funding, patents, publications) the
    layers allow. A hub without a record of a layer gets 0; where a layer
    does not cover a hub's economy, --covers makes the value missing.

    \b
    Examples:
      techhubs enrich --layer institutions=ror:organizations.csv \
          --layer deals=crunchbase:rounds.csv --covers deals=US --out hubs.csv
      techhubs rank --data hubs.csv --method hub-factors --intervals
      techhubs enrich --layer vc_deals=crunchbase:rounds.csv --out hubs.csv
      techhubs rank --data hubs.csv          # gii-clusters: three shares
    """
    import polars as pl

    from techhubs.cli._console import Steps, console
    from techhubs.indicators.enrich import enrich as run
    from techhubs.indicators.enrich import write_hubs

    if not layers:
        raise DataError("no layer given", key="--layer",
                        hint="e.g. --layer institutions=ror:organizations.csv")
    if edition and results is not None:
        raise DataError("give either --edition or --results, not both", key="--edition")
    covered: dict[str, list[str]] = {}
    for text in covers:
        name, eq, economies = text.partition("=")
        if not eq or not name.strip() or not economies.strip():
            raise DataError(f"{text!r} is not NAME=ISO2,...", key="--covers",
                            hint="e.g. --covers deals=US")
        covered[name.strip()] = [e.strip() for e in economies.split(",") if e.strip()]
    with Steps("layers read", total=len(layers)) as steps:
        done: list[str] = []

        def advance(name: str, records: int) -> None:
            if name not in done:
                done.append(name)
            steps.update(len(done) - 1, step=f"{name}: {records:,} records read")

        enriched = run(edition, list(layers), results=results, radius_km=radius_km,
                       covers=covered, progress=advance)
    written = write_hubs(enriched, out)
    c = console(stderr=True)
    hubs = enriched.hubs
    for name, report in enriched.reports.items():
        c.print(f"{name}: {report.summary()}; {enriched.outside[name]:,} points outside "
                f"every hub", highlight=False)
        empty = hubs.filter(pl.col(name) <= 0)
        missing = int(hubs[name].null_count())
        line = f"  {hubs.height - empty.height - missing} of {hubs.height} hubs hold {name}"
        if missing:
            line += f"; {missing} outside its coverage (missing)"
        if empty.height:
            where = sorted({e for es in empty["economies"].to_list() for e in es or []})
            line += (f"; 0 in the others (economies {', '.join(where[:12])}"
                     f"{', ...' if len(where) > 12 else ''})")
        c.print(line, highlight=False)
    if enriched.provenance.get("factors"):
        c.print("hub-factors columns: " + ", ".join(
            f"{k} = {v}" for k, v in enriched.provenance["factors"].items()), highlight=False)
    if assignment is not None:
        assignment.parent.mkdir(parents=True, exist_ok=True)
        if assignment.suffix.lower() == ".csv":
            enriched.assignment.write_csv(assignment)
        else:
            enriched.assignment.write_parquet(assignment)
        click.echo(f"wrote {enriched.assignment.height:,} assignments to {assignment}", err=True)
    click.echo(f"wrote {enriched.hubs.height} hubs to {written}")


__all__ = ["enrich"]
