"""Readers on Dask: every input file is a task on the workers, the client merges.

Each task builds the reader from the registry, reads its one file with the reader's
accounting (filters included), rounds the points and sums them per location, source and
year (the aggregate contract of :func:`techhubs.aggregate.aggregate`); only the partial
sums, the file's report and the ids of the records it saw travel back.

Repeated ids across files are resolved exactly as a single run resolves them (the first
file keeps the record): the client walks the files in order, and a file that holds an id
an earlier file holds is read again with those ids marked as seen, so its duplicates are
dropped and counted. The ids are kept in DuckDB on the client (spilling), never in a
Python set. The result equals DuckDB's aggregation of the points one process writes:
the same keys and counts, weights to the last bits of floating-point summation order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from techhubs.aggregate import AGGREGATE_SCHEMA, aggregate
from techhubs.errors import DataError
from techhubs.points import DEFAULT_PRECISION, sum_by
from techhubs.sources.accounting import IngestReport
from techhubs.sources.registry import canonical, make_reader
from techhubs.sources.snapshot import expand_paths

PER_FILE = ("openalex", "crunchbase", "ror", "table")
"""Formats whose files are independent record streams (patentsview joins several tables)."""


def _read_one(fmt: str, options: Mapping[str, Any], source: str | None, path: str,
              precision: int, strict: bool, prior: Sequence[str]
              ) -> tuple[pl.DataFrame, IngestReport, list[str]]:
    """One task: read ``path``, round and sum its points; its report and the ids it saw."""
    reader = make_reader(fmt, options, source=source)
    reader.keep_ids = True
    reader.prior_ids = frozenset(prior)
    result = reader.read([path], strict=strict)
    partial = aggregate(result.points, precision=precision, engine="duckdb")
    return partial, result.report, list(reader.ids_seen_ or ())


def ingest_on_dask(fmt: str, files: Sequence[str | Path], options: Mapping[str, Any] | None,
                   *, source: str | None = None, precision: int = DEFAULT_PRECISION,
                   scheduler: str | object | None = None, strict: bool = False,
                   progress: Callable[[int, int], None] | None = None
                   ) -> tuple[pl.DataFrame, IngestReport]:
    """Read and aggregate ``files`` of ``fmt`` on a Dask cluster (see the module notes).

    ``scheduler`` is an address (``tcp://host:8786``), a ``distributed.Client``, or None
    for a local cluster of this machine's cores. Returns the aggregated locations and the
    merged ingest report.
    """
    import duckdb
    from distributed import Client

    name = canonical(fmt)
    if name not in PER_FILE:
        raise DataError(f"the {name} reader cannot run file by file on Dask", key="--engine",
                        hint=f"--engine dask reads {', '.join(PER_FILE)}; {name} files join "
                             "one another (ingest them on one machine)")
    # a snapshot folder is its parts (one task each)
    paths = [str(p) for p in (expand_paths(list(files))[0] if name == "openalex" else files)]
    opts = dict(options or {})
    make_reader(name, opts, source=source)  # a mistake in the options fails here, once

    own = None
    if isinstance(scheduler, Client):
        client = scheduler
    elif scheduler is None:
        from distributed import LocalCluster

        own = LocalCluster(processes=True, dashboard_address=None)
        client = Client(own)
    else:
        client = Client(str(scheduler))
    con = duckdb.connect()
    con.execute("CREATE TABLE seen (key VARCHAR, file INTEGER)").fetchall()
    try:
        futures = [client.submit(_read_one, name, opts, source, p, precision, strict, (),
                                 pure=False) for p in paths]
        partials: list[pl.DataFrame] = []
        report = IngestReport(source=name, strict=strict, files=[])
        for k, (path, future) in enumerate(zip(paths, futures, strict=True)):
            partial, part_report, ids = future.result()
            earlier = _repeated(con, ids, k)
            if earlier:  # read again, the ids of earlier files marked as seen
                partial, part_report, ids = client.submit(
                    _read_one, name, opts, source, path, precision, strict, earlier,
                    pure=False).result()
            _remember(con, ids, k)
            partials.append(partial)
            report.merge(part_report)
            if progress is not None:
                progress(k + 1, len(paths))
    finally:
        con.close()
        if own is not None:
            client.close()
            own.close()
        elif not isinstance(scheduler, Client):
            client.close()
    report.check()
    return _merge(partials, precision), report


def _repeated(con: Any, ids: list[str], k: int) -> list[str]:
    if not ids or k == 0:
        return []
    import pyarrow as pa

    con.register("ids_arrow", pa.table({"key": pa.array(ids, pa.string())}))
    try:
        rows = con.sql("SELECT DISTINCT i.key FROM ids_arrow i JOIN seen s ON s.key = i.key "
                       "ORDER BY 1").fetchall()
    finally:
        con.unregister("ids_arrow")
    return [r[0] for r in rows]


def _remember(con: Any, ids: list[str], k: int) -> None:
    if not ids:
        return
    import pyarrow as pa

    con.register("ids_arrow", pa.table({"key": pa.array(ids, pa.string())}))
    con.execute(f"INSERT INTO seen SELECT key, {k} FROM ids_arrow").fetchall()
    con.unregister("ids_arrow")


def _merge(partials: list[pl.DataFrame], precision: int) -> pl.DataFrame:
    """Sum the partial aggregates per location, source and year."""
    if not partials:
        return aggregate(pl.DataFrame(schema={"latitude": pl.Float64, "longitude": pl.Float64,
                                              "weight": pl.Float64, "source": pl.Utf8}),
                         precision=precision)
    both = pl.concat(partials)
    keys = [c for c in AGGREGATE_SCHEMA if c not in ("weight", "n_records")]
    summed = sum_by(both, keys, ["weight", "n_records"])  # sorted by the keys
    return summed.select([pl.col(c).cast(t) for c, t in AGGREGATE_SCHEMA.items()])


__all__ = ["PER_FILE", "ingest_on_dask"]
