"""The aggregation contract shared by the DuckDB and Dask engines.

Rounding rule (shared with :func:`techhubs.points.round_locations`): with
``precision`` p decimal digits, ``rounded = floor(x * 10**p + 0.5) / 10**p``
in float64, for latitude and longitude. Output columns: ``latitude``,
``longitude``, ``source``, ``year`` (null when absent), ``weight`` (sum),
``n_records`` (count), sorted by ``(source, year, latitude, longitude)`` with
null years last.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from techhubs.errors import DataError
from techhubs.points import MAX_PRECISION

AGGREGATE_SCHEMA: dict[str, pl.DataType] = {
    "latitude": pl.Float64(),
    "longitude": pl.Float64(),
    "source": pl.Utf8(),
    "year": pl.Int32(),
    "weight": pl.Float64(),
    "n_records": pl.Int64(),
}
SORT_KEYS = ["source", "year", "latitude", "longitude"]
ENGINES = ("duckdb", "dask")

Input = pl.DataFrame | str | Path | Sequence[str | Path]


def check_precision(precision: int) -> float:
    if isinstance(precision, bool) or not isinstance(precision, int) \
            or not 0 <= precision <= MAX_PRECISION:
        raise DataError(f"precision must be an integer from 0 to {MAX_PRECISION}, got "
                        f"{precision!r}", key="precision")
    return float(10**precision)


def round_expr_sql(column: str, precision: int | None) -> str:
    """The rounding rule as a DuckDB SQL expression (None: the column unrounded)."""
    if precision is None:
        return column
    scale = check_precision(precision)
    return f"floor({column} * {scale!r} + 0.5) / {scale!r}"


def as_paths(data: str | Path | Sequence[str | Path]) -> list[Path]:
    paths = [Path(data)] if isinstance(data, str | Path) else [Path(p) for p in data]
    if not paths:
        raise DataError("no input files")
    for p in paths:
        if not p.exists():
            raise DataError("file not found", file=p)
    return paths


def file_format(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".json", ".jsonl", ".ndjson")):
        return "json"
    if name.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    raise DataError(
        "unknown file type", file=path, hint="use .parquet, .csv/.tsv or .json/.jsonl files"
    )


def finish(frame: pl.DataFrame) -> pl.DataFrame:
    """Cast to :data:`AGGREGATE_SCHEMA` and sort deterministically."""
    return frame.select([pl.col(c).cast(t) for c, t in AGGREGATE_SCHEMA.items()]).sort(
        SORT_KEYS, nulls_last=True
    )
