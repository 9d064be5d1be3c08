"""``techhubs clusters``: find technology clusters in a points file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import polars as pl

from techhubs.clusters.params import DEFAULT_EPS_KM, DEFAULT_MERGE_THRESHOLD, DEFAULT_MIN_WEIGHT
from techhubs.errors import DataError
from techhubs.points import DEFAULT_PRECISION


def read_points(path: Path) -> pl.DataFrame:
    """Read a Parquet or CSV points file; unreadable files raise DataError."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            return pl.read_parquet(path)
        if suffix in (".csv", ".txt", ".tsv"):
            # as text: validate_points counts the cells that are no numbers, by row
            return pl.read_csv(path, separator="\t" if suffix == ".tsv" else ",",
                               infer_schema=False)
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        raise DataError(f"cannot read points: {str(exc).splitlines()[0]}", file=path) from None
    raise DataError(f"unknown points file type {suffix!r}", file=path, hint="use .parquet or .csv")


def _geojson(clusters: pl.DataFrame) -> dict[str, Any]:
    features = []
    for row in clusters.iter_rows(named=True):
        props = {k: v for k, v in row.items() if k not in ("latitude", "longitude")}
        features.append(
            {
                "type": "Feature",
                "id": row["cluster_id"],
                "bbox": [row["min_lon"], row["min_lat"], row["max_lon"], row["max_lat"]],
                "geometry": {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """List columns joined for CSV."""
    return frame.with_columns(
        [pl.col(c).list.join("; ") for c, t in frame.schema.items() if isinstance(t, pl.List)]
    )


def write_result(result: Any, out: Path) -> list[Path]:
    """Write clusters (and, for a directory, assignment and GeoJSON); return the paths."""
    suffix = out.suffix.lower()
    if suffix == ".parquet":
        out.parent.mkdir(parents=True, exist_ok=True)
        result.clusters.write_parquet(out)
        return [out]
    if suffix == ".csv":
        out.parent.mkdir(parents=True, exist_ok=True)
        _flat(result.clusters).write_csv(out)
        return [out]
    if suffix:
        raise DataError(
            f"unknown output type {suffix!r}",
            file=out,
            hint="give a .parquet or .csv file, or a directory",
        )
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "clusters.parquet", out / "assignment.parquet", out / "clusters.geojson"]
    result.clusters.write_parquet(paths[0])
    result.assignment.write_parquet(paths[1])
    paths[2].write_text(json.dumps(_geojson(result.clusters), ensure_ascii=False))
    meta = {
        "params": result.params,
        "world_totals": result.world_totals,
        "report": result.report.to_dict(),
    }
    (out / "run.json").write_text(json.dumps(meta, indent=2, default=str))
    paths.append(out / "run.json")
    return paths


@click.command("clusters")
@click.argument("points", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--eps-km",
    type=float,
    default=DEFAULT_EPS_KM,
    show_default=True,
    help="DBSCAN radius along the Earth's surface, km.",
)
@click.option(
    "--min-weight",
    type=float,
    default=DEFAULT_MIN_WEIGHT,
    show_default=True,
    help="Summed weight within the radius that makes a location core.",
)
@click.option(
    "--precision",
    type=int,
    default=DEFAULT_PRECISION,
    show_default=True,
    help="Decimal digits to round coordinates to before clustering (-1: no rounding).",
)
@click.option(
    "--merge-threshold",
    type=float,
    default=DEFAULT_MERGE_THRESHOLD,
    show_default=True,
    help="Share of a cluster's weight near another source's cluster core that merges them.",
)
@click.option("--no-names", is_flag=True, help="Skip GeoNames naming (faster).")
@click.option("--strict", is_flag=True, help="Fail on the first bad rows instead of dropping them.")
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    required=True,
    help="Output: a .parquet or .csv file (cluster table) or a directory (clusters.parquet, "
    "assignment.parquet, clusters.geojson, run.json).",
)
@click.option("--top", type=int, default=15, show_default=True, help="Clusters to show.")
def clusters_command(
    points: Path,
    eps_km: float | None,
    min_weight: float | None,
    precision: int | None,
    merge_threshold: float | None,
    no_names: bool,
    strict: bool,
    out: Path,
    top: int,
) -> None:
    """Find technology clusters in a POINTS file (Parquet or CSV).

    POINTS has columns latitude, longitude, weight, source (year, field
    optional). Each source is clustered with exact weighted DBSCAN on the
    sphere; overlapping clusters of different sources merge; clusters are named
    after their largest GeoNames cities. Bad rows are reported with their row
    numbers and dropped (or, with --strict, stop the run).
    """
    from rich import box
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from techhubs.cli._console import console as stdout_console
    from techhubs.cli._console import fmt_number
    from techhubs.clusters import find_clusters

    console = Console(stderr=True)
    frame = read_points(points)
    prec: int | None = DEFAULT_PRECISION if precision is None else precision
    if prec == -1:
        prec = None
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("validating points", total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        result = find_clusters(
            frame,
            eps_km=DEFAULT_EPS_KM if eps_km is None else eps_km,
            min_weight=DEFAULT_MIN_WEIGHT if min_weight is None else min_weight,
            precision=prec,
            merge_threshold=DEFAULT_MERGE_THRESHOLD if merge_threshold is None else merge_threshold,
            name=not no_names,
            strict=strict,
            file=str(points),
            progress=progress,
        )
    if result.report.rows_dropped:
        console.print(f"[yellow]warning:[/] {result.report.describe()}")
    paths = write_result(result, out)
    shown = result.clusters.head(top)
    # per-source weights only when there is more than one source (else they equal the weight)
    per_source = result.sources if len(result.sources) > 1 else ()
    weights = ["weight", *(f"weight_{s}" for s in per_source)]
    # whole-number weights (counts) print without decimals
    digits = 0 if all(v is None or float(v).is_integer()
                      for w in weights for v in shown[w].to_list()) else 1
    table = Table(title=f"{result.clusters.height} clusters (top {shown.height})",
                  box=box.SIMPLE_HEAVY, title_justify="left", pad_edge=False)
    for header in ("id", "name", "economies", "weight", *(f"weight: {s}" for s in per_source)):
        table.add_column(header, justify="left" if header in ("name", "economies") else "right")
    for row in shown.iter_rows(named=True):
        table.add_row(str(row["cluster_id"]), row["name"] or "",
                      "/".join(row["economies"] or []),
                      *(fmt_number(float(row[w]), digits) for w in weights))
    stdout_console().print(table)
    for p in paths:
        console.print(f"wrote {p}")
