"""The DuckDB aggregation engine: one GROUP BY, read straight from the files."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from techhubs.aggregate._common import (
    Input,
    as_paths,
    check_precision,
    file_format,
    finish,
    round_expr_sql,
)
from techhubs.errors import DataError
from techhubs.points import DEFAULT_PRECISION, sum_sql

REQUIRED = ("latitude", "longitude", "weight", "source")


def relation_sql(paths: list[Path]) -> str:
    """A DuckDB table function reading ``paths`` (all of one format)."""
    formats = {file_format(p) for p in paths}
    if len(formats) != 1:
        raise DataError("input files mix formats", hint="aggregate one format at a time")
    listing = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"
    fmt = formats.pop()
    if fmt == "parquet":
        return f"read_parquet({listing}, union_by_name=true)"
    if fmt == "json":
        return f"read_json_auto({listing}, union_by_name=true)"
    return f"read_csv({listing}, header=true, union_by_name=true)"


def aggregate_sql(relation: str, precision: int, has_year: bool) -> str:
    lat = round_expr_sql("CAST(latitude AS DOUBLE)", precision)
    lon = round_expr_sql("CAST(longitude AS DOUBLE)", precision)
    year = "CAST(year AS INTEGER)" if has_year else "CAST(NULL AS INTEGER)"
    return f"""
        SELECT {lat} AS latitude, {lon} AS longitude, CAST(source AS VARCHAR) AS source,
               {year} AS year, {sum_sql('CAST(weight AS DOUBLE)')} AS weight, count(*) AS n_records
        FROM {relation}
        GROUP BY ALL
    """


def aggregate_duckdb(
    data: Input, *, precision: int = DEFAULT_PRECISION, memory_limit: str | None = None
) -> pl.DataFrame:
    import duckdb

    check_precision(precision)
    con = duckdb.connect()
    try:
        if memory_limit:
            con.execute(f"SET memory_limit='{memory_limit}'")
        if isinstance(data, pl.DataFrame):
            con.register("points_input", data.to_arrow())
            relation = "points_input"
            where: str | None = None
        else:
            paths = as_paths(data)
            relation = relation_sql(paths)
            where = str(paths[0])
        try:
            columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
        except duckdb.Error as exc:
            raise DataError(f"cannot read input: {exc}", file=where) from exc
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            raise DataError(
                f"missing required column(s): {', '.join(missing)}",
                file=where,
                key=missing[0],
                hint=f"columns found: {', '.join(columns[:12])}",
            )
        try:
            table = con.sql(aggregate_sql(relation, precision, "year" in columns)).to_arrow_table()
        except duckdb.Error as exc:
            raise DataError(f"aggregation failed: {exc}", file=where) from exc
    finally:
        con.close()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return finish(frame)
