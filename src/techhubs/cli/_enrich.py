"""`techhubs enrich`: hub factors from open layers."""

from __future__ import annotations

from pathlib import Path

import click

from techhubs.errors import DataError


@click.command("enrich")
@click.option("--edition", "-e", default="gii-2023", show_default=True, metavar="NAME",
              help="The edition whose hubs are enriched (see `techhubs editions`).")
@click.option("--layer", "layers", multiple=True, metavar="NAME=READER:PATH",
              help="A layer: READER is an ingest reader (ror, crunchbase, openalex, "
                   "patentsview, table) or points (a points Parquet). Repeatable.")
@click.option("--radius-km", default=25.0, show_default=True, type=float,
              help="A record belongs to the hub with the nearest member place within this "
                   "distance.")
@click.option("--out", "-o", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The panel file to write (.csv, .tsv or .parquet), read by `techhubs rank "
                   "--data`; its provenance goes beside it.")
@click.option("--assignment", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the record -> hub assignment (Parquet or CSV).")
def enrich(edition: str, layers: tuple[str, ...], radius_km: float, out: Path,
           assignment: Path | None) -> None:
    """Attach open layers to the hubs of an edition: one indicator per layer.

    Each layer's records are read with their accounting; a record belongs to
    the hub whose nearest member place (the places the hub's name lists) is
    nearest to it, within --radius-km; a ROR layer adds one column per
    organisation type. The hubs' population is the summed GeoNames
    population of their member places.

    \b
    Examples:
      techhubs enrich --layer institutions=ror:organizations.csv --out hubs.csv
      techhubs rank --data hubs.csv --method hub-factors
    """
    from techhubs.cli._console import console
    from techhubs.indicators.enrich import enrich as run
    from techhubs.indicators.enrich import write_hubs

    if not layers:
        raise DataError("no layer given", key="--layer",
                        hint="e.g. --layer institutions=ror:organizations.csv")
    enriched = run(edition, list(layers), radius_km=radius_km)
    written = write_hubs(enriched, out)
    c = console(stderr=True)
    for name, report in enriched.reports.items():
        c.print(f"{name}: {report.summary()}; {enriched.outside[name]:,} points outside "
                f"every hub", highlight=False)
        with_data = int((enriched.hubs[name] > 0).sum())
        c.print(f"  {with_data} of {enriched.hubs.height} hubs hold {name}", highlight=False)
    if assignment is not None:
        assignment.parent.mkdir(parents=True, exist_ok=True)
        if assignment.suffix.lower() == ".csv":
            enriched.assignment.write_csv(assignment)
        else:
            enriched.assignment.write_parquet(assignment)
        click.echo(f"wrote {enriched.assignment.height:,} assignments to {assignment}", err=True)
    click.echo(f"wrote {enriched.hubs.height} hubs to {written}")


__all__ = ["enrich"]
