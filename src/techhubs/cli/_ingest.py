"""Commands ``ingest``, ``geocode``, ``aggregate`` and ``fetch``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from techhubs.errors import DataError
from techhubs.sources.registry import make_reader, reader_names

SOURCES = reader_names()


@click.command("ingest")
@click.argument("source", type=click.Choice(SOURCES))
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option(
    "--out", "-o", "out", required=True, type=click.Path(dir_okay=False),
    help="Points Parquet to write."
)
@click.option(
    "--strict", is_flag=True, help="Fail on the first dropped record instead of counting it."
)
@click.option(
    "--institutions",
    type=click.Path(dir_okay=False),
    help="openalex: institutions JSONL or ROR dump.",
)
@click.option(
    "--label",
    type=click.Choice(["patents", "publications", "vc", "institutions"]),
    help="table: points source label.",
)
@click.option("--lat", help="table: latitude column.")
@click.option("--lon", help="table: longitude column.")
@click.option("--city", help="table: city text column.")
@click.option("--region", help="table: region/state text column.")
@click.option("--country", help="table: country column (ISO2, ISO3 or name).")
@click.option("--weight", help="table: weight column (default 1 per row).")
@click.option("--year", help="table: year column.")
@click.option("--field", "field_col", help="table: field column.")
@click.option("--id", "id_col", help="table: record id column (duplicates are dropped).")
@click.option(
    "--delimiter", default=",", show_default=True, help="table: CSV delimiter ('\\t' for TSV)."
)
@click.option("--include-inactive", is_flag=True, help="ror: keep inactive/withdrawn records.")
@click.option("--rules", metavar="gii|gii-YYYY",
              help="openalex: the GII's publication rules (original research articles in "
                   "science and technology, the edition's five-year window); the options "
                   "below refine them.")
@click.option("--types", metavar="LIST", help="openalex: work types to keep (article,review...).")
@click.option("--exclude-types", metavar="LIST", help="openalex: work types to drop.")
@click.option("--domains", metavar="LIST",
              help="openalex: domains to keep (Life Sciences, Physical Sciences, Health "
                   "Sciences, Social Sciences).")
@click.option("--exclude-domains", metavar="LIST", help="openalex: domains to drop.")
@click.option("--fields", metavar="LIST", help="openalex: fields to keep (e.g. Physics and "
                                                 "Astronomy).")
@click.option("--exclude-fields", metavar="LIST",
              help="openalex: fields to drop (e.g. Arts and Humanities).")
@click.option("--years", metavar="FIRST-LAST", help="openalex: publication years to keep.")
@click.option("--memory-limit", default="256MB", show_default=True,
              help="openalex: DuckDB's memory limit (it spills to disk beyond).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local",
              show_default=True,
              help="dask: every file is a task on a Dask cluster (read, filter, round, sum) "
                   "and --out receives the aggregated locations, as `techhubs aggregate` "
                   "writes them, not the points.")
@click.option("--scheduler", metavar="ADDRESS",
              help="dask: scheduler address (tcp://host:8786); default a local cluster.")
@click.option("--precision", default=2, show_default=True, type=click.IntRange(0, 6),
              help="dask: decimal digits the locations are rounded to.")
@click.option(
    "--report-json", type=click.Path(dir_okay=False), help="Also write the report as JSON."
)
def ingest(
    source: str,
    files: tuple[str, ...],
    out: str,
    strict: bool,
    institutions: str | None,
    label: str | None,
    lat: str | None,
    lon: str | None,
    city: str | None,
    region: str | None,
    country: str | None,
    weight: str | None,
    year: str | None,
    field_col: str | None,
    id_col: str | None,
    delimiter: str,
    include_inactive: bool,
    rules: str | None,
    types: str | None,
    exclude_types: str | None,
    domains: str | None,
    exclude_domains: str | None,
    fields: str | None,
    exclude_fields: str | None,
    years: str | None,
    memory_limit: str,
    engine: str,
    scheduler: str | None,
    precision: int,
    report_json: str | None,
) -> None:
    """Read SOURCE records from FILES into a points Parquet file and print the accounting.

    SOURCE is crunchbase (funding rounds CSV), patentsview (inventor + location
    [+ patent] TSVs), openalex (works JSON Lines parts, or the works folder of a
    snapshot with its manifest; with --institutions), ror (JSON v2 or CSV dump)
    or table (any CSV/Parquet mapped with --lat/--lon or --city/--country).
    Every record is used or dropped with a counted reason.

    \b
    Examples:
      techhubs ingest openalex openalex/data/works --institutions inst.jsonl --out pubs.parquet
      techhubs ingest openalex part_000.gz --institutions ror.json --rules gii-2023 --out p.parquet
      techhubs ingest openalex works/ --institutions i.jsonl --types article \\
          --exclude-domains "Social Sciences" --years 2018-2022 --out p.parquet
    """
    from techhubs.sources.filters import split_list

    options: dict[str, object] = {}
    lists = {"types": types, "exclude_types": exclude_types, "domains": domains,
             "exclude_domains": exclude_domains, "fields": fields,
             "exclude_fields": exclude_fields}
    if source != "openalex" and (rules or years or any(lists.values())):
        raise DataError("--rules, --types, --domains, --fields and --years apply to openalex",
                        key="--rules" if rules else "--years" if years else "--types")
    if source == "openalex":
        if not institutions:
            raise DataError(
                "openalex needs --institutions (OpenAlex institutions JSONL or ROR dump)",
                key="--institutions")
        options["institutions"] = institutions
        options["memory_limit"] = memory_limit
        options |= {k: split_list(v) for k, v in lists.items() if v is not None}
        if rules:
            options["rules"] = rules
        if years:
            options["years"] = years
    elif source == "ror":
        options["include_inactive"] = include_inactive
    elif source == "table":
        if not label:
            raise DataError("table needs --label (patents, publications, vc or institutions)",
                            key="--label")
        columns = {"lat": lat, "lon": lon, "city": city, "region": region,
                   "country": country, "weight": weight, "year": year, "field": field_col,
                   "id": id_col}
        options.update({k: v for k, v in columns.items() if v is not None})
        options["delimiter"] = "\t" if delimiter in ("\\t", "tab") else delimiter
    reader = make_reader(source, options, source=label)
    from rich.console import Console

    from techhubs.cli._console import Steps

    console = Console(stderr=True)
    describe = getattr(reader, "work_filter", None)
    if describe is not None and describe().active:
        console.print(f"works counted: {describe().describe()}", highlight=False)
    if engine == "dask":
        from techhubs.pipeline.distributed import ingest_on_dask

        with Steps(f"{source}: files read on Dask", total=len(files)) as steps:
            located, report = ingest_on_dask(
                source, list(files), options, source=label, precision=precision,
                scheduler=scheduler, strict=strict,
                progress=lambda done, total: steps.update(done, total))
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        located.write_parquet(out)
    else:
        with Steps(f"{source}: records read") as steps:
            report = reader.write(list(files), out, strict=strict,
                                  progress=lambda n: steps.update(done=n))
    console.print(report.to_table())
    if report.unresolved_places is not None and report.unresolved_places.height:
        console.print("most frequent unresolved places (place, economy, records):")
        for row in report.unresolved_places.head(10).iter_rows():
            console.print("  " + ", ".join(str(v) for v in row))
    if report_json:
        Path(report_json).write_text(json.dumps(report.to_dict(), indent=2, default=str))
    if engine == "dask":
        click.echo(f"wrote {located.height:,} locations ({report.records_used:,} records) "
                   f"to {out}")
    else:
        click.echo(f"wrote {report.records_used:,} records to {out}")


@click.command("geocode")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--city", required=True, help="City column.")
@click.option("--region", help="Region / state column (optional).")
@click.option("--country", required=True, help="Country column (ISO2, ISO3 or name).")
@click.option(
    "--out", "-o", required=True, type=click.Path(dir_okay=False), help="CSV or Parquet to write."
)
@click.option("--delimiter", default=",", show_default=True, help="CSV delimiter of FILE.")
@click.option(
    "--cache/--no-cache",
    default=True,
    show_default=True,
    help="Reuse and extend the on-disk cache of resolved places.",
)
def geocode(
    file: str, city: str, region: str | None, country: str, out: str, delimiter: str, cache: bool
) -> None:
    """Add GeoNames columns (geonameid, place_name, latitude, longitude, confidence ...) to FILE.

    Columns already named latitude/longitude in FILE are replaced; the
    unresolved strings are listed with their counts.
    """
    import polars as pl

    from techhubs.geo.geocode import default_geocoder, geocode_frame

    path = Path(file)
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pl.read_parquet(path)
        else:
            frame = pl.read_csv(
                path,
                separator="\t" if delimiter in ("\\t", "tab") else delimiter,
                infer_schema_length=0,
                encoding="utf8-lossy",
            )
    except Exception as exc:  # polars raises many types for malformed files
        raise DataError(f"cannot read table ({exc})", file=path) from exc
    for col in [city, country] + ([region] if region else []):
        if col not in frame.columns:
            raise DataError(
                f"column {col!r} not found",
                file=path,
                key=col,
                hint=f"columns found: {', '.join(frame.columns[:12])}",
            )
    from techhubs.cli._console import Steps

    with Steps(f"geocoding {frame.height:,} rows") as steps:
        coder = default_geocoder()
        steps.update(step="gazetteer loaded")
        if cache:
            coder.load_cache()
        out_frame, unresolved = geocode_frame(
            frame, city=city, region=region, country=country, geocoder=coder
        )
    if cache:
        coder.save_cache()
    target = Path(out)
    if target.suffix.lower() in (".parquet", ".pq"):
        out_frame.write_parquet(target)
    else:
        out_frame.write_csv(target)
    resolved = out_frame.height - int(out_frame["geonameid"].null_count())
    click.echo(f"resolved {resolved:,} of {out_frame.height:,} rows; wrote {out}")
    if unresolved.height:
        click.echo("unresolved (most frequent first):", err=True)
        for row in unresolved.head(15).iter_rows():
            click.echo("  " + ", ".join(str(v) for v in row), err=True)


@click.command("aggregate")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option(
    "--out", "-o", required=True, type=click.Path(dir_okay=False), help="Parquet or CSV to write."
)
@click.option("--precision", default=2, show_default=True, type=int, help="Decimal digits kept.")
@click.option(
    "--engine", type=click.Choice(["duckdb", "dask"]), default="duckdb", show_default=True
)
@click.option("--scheduler", help="dask: scheduler address, e.g. tcp://10.0.0.5:8786.")
@click.option("--memory-limit", help="duckdb: memory limit, e.g. 4GB (spills beyond).")
def aggregate_cmd(
    files: tuple[str, ...],
    out: str,
    precision: int,
    engine: str,
    scheduler: str | None,
    memory_limit: str | None,
) -> None:
    """Aggregate points FILES to rounded weighted locations per source and year."""
    from techhubs.aggregate import aggregate
    from techhubs.cli._console import Steps

    with Steps(f"aggregating {len(files)} file(s) with {engine}"):
        result = aggregate(
            list(files),
            precision=precision,
            engine=engine,
            scheduler=scheduler,
            memory_limit=memory_limit,
        )
    if out.lower().endswith(".csv"):
        result.write_csv(out)
    else:
        result.write_parquet(out)
    click.echo(f"{result.height:,} locations, weight {result['weight'].sum():,.2f}; wrote {out}")


@click.command("fetch")
@click.argument("dataset", type=click.Choice(["ror", "geonames", "patentsview", "openalex-sample"]))
@click.option("--url", help="Download this URL instead of the registry's (one file).")
@click.option("--sha256", help="Expected SHA-256 of the file (rejects anything else).")
@click.option(
    "--base-url", help="Mirror to use instead of the upstream host (or TECHHUBS_FETCH_BASE_URL)."
)
@click.option(
    "--dest", type=click.Path(file_okay=False), help="Folder to download into (default: cache)."
)
def fetch_cmd(
    dataset: str, url: str | None, sha256: str | None, base_url: str | None, dest: str | None
) -> None:
    """Download a public dataset, hash-checked, cached and resumable."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TransferSpeedColumn,
    )

    from techhubs.download import fetch

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as bar:
        tasks: dict[str, object] = {}

        def progress(name: str, done: int, total: int | None) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done, total=total)  # type: ignore[arg-type]

        paths = fetch(
            dataset,
            url=url,
            sha256=sha256,
            base_url=base_url,
            dest=Path(dest) if dest else None,
            progress=progress,
        )
    for p in paths:
        click.echo(str(p))
