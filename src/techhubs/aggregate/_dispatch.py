"""One entry point for both aggregation engines (their shared helpers live in _common)."""

from __future__ import annotations

import polars as pl

from techhubs.aggregate._common import Input
from techhubs.aggregate._dask_engine import aggregate_dask
from techhubs.aggregate._duckdb_engine import aggregate_duckdb
from techhubs.errors import DataError
from techhubs.points import DEFAULT_PRECISION


def aggregate(
    data: Input,
    *,
    precision: int = DEFAULT_PRECISION,
    engine: str = "duckdb",
    scheduler: str | object | None = None,
    memory_limit: str | None = None,
) -> pl.DataFrame:
    """Aggregate points to rounded locations per source and year.

    Parameters
    ----------
    data:
        A points :class:`polars.DataFrame`, or Parquet / CSV / JSON file(s)
        with at least ``latitude``, ``longitude``, ``weight``, ``source``
        (``year`` optional). Files are read by the engine directly, never
        loaded whole into Python.
    precision:
        Decimal digits kept by the rounding rule (0-6; 2 is about 1 km).
    engine:
        ``"duckdb"`` (embedded, out-of-core) or ``"dask"`` (a cluster).
    scheduler:
        For Dask: a scheduler address (``tcp://host:8786``) or a
        ``distributed.Client``; ``None`` uses the local threaded scheduler.
    memory_limit:
        For DuckDB: e.g. ``"4GB"``; beyond it DuckDB spills to disk.
    """
    if engine == "duckdb":
        return aggregate_duckdb(data, precision=precision, memory_limit=memory_limit)
    if engine == "dask":
        return aggregate_dask(data, precision=precision, scheduler=scheduler)
    raise DataError(f"unknown engine {engine!r}", key="engine", hint="use duckdb or dask")
