"""What every reader shares: the points schema, batching, and writing Parquet.

A reader turns one format into batches of the points table
(:mod:`techhubs.points`) plus two carried columns:

``id`` (Utf8)
    The record's identifier in its source (patent id, work id, ROR id,
    ``permalink#date`` for a funding round), for tracing a point back.
``place`` (Utf8)
    The place the point stands for when known (a GeoNames or PatentsView
    city name), else null.

Every input record is either used (it yields one or more points whose
weights sum to the record's share) or dropped with a counted reason in the
:class:`~techhubs.sources.accounting.IngestReport`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from techhubs.sources.accounting import OUT_OF_RANGE, IngestReport

POINTS_SCHEMA: dict[str, pl.DataType] = {
    "latitude": pl.Float64(),
    "longitude": pl.Float64(),
    "weight": pl.Float64(),
    "source": pl.Utf8(),
    "year": pl.Int32(),
    "field": pl.Utf8(),
    "id": pl.Utf8(),
    "place": pl.Utf8(),
}

PathLike = str | Path


@dataclass
class IngestResult:
    """Points and the accounting of how they were obtained."""

    points: pl.DataFrame
    report: IngestReport


def empty_points() -> pl.DataFrame:
    return pl.DataFrame(schema=POINTS_SCHEMA)


def conform(frame: pl.DataFrame) -> pl.DataFrame:
    """Cast and order ``frame`` to :data:`POINTS_SCHEMA` (missing optional columns -> null).

    Extra columns a reader was asked to keep follow the schema's columns.
    """
    extra = [pl.col(c) for c in frame.columns if c not in POINTS_SCHEMA and not c.startswith("_")]
    return frame.select(
        [
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in POINTS_SCHEMA.items()
        ]
        + extra
    )


def split_out_of_range(
    frame: pl.DataFrame, report: IngestReport, file: PathLike | None
) -> pl.DataFrame:
    """Drop rows whose coordinates are outside [-90, 90] x [-180, 180] or not finite."""
    ok = (
        pl.col("latitude").is_between(-90.0, 90.0)
        & pl.col("longitude").is_between(-180.0, 180.0)
        & pl.col("latitude").is_finite()
        & pl.col("longitude").is_finite()
    )
    bad = frame.filter(~ok)
    report.drop_frame(OUT_OF_RANGE, bad, file=file, detail="latitude/longitude outside the globe")
    return frame.filter(ok)


class Reader(ABC):
    """Base class: subclasses implement :meth:`iter_batches` for one format."""

    #: the points ``source`` label this reader emits
    source: str = ""
    #: name used on the command line
    name: str = ""
    #: readers that drop repeated record ids: ids to treat as already seen (a run that
    #: reads one file of several on a worker is told which ids earlier files hold)
    prior_ids: frozenset[str] = frozenset()
    #: set True to keep, after a run of such a reader, every record id it saw (used or
    #: dropped) in ``ids_seen_`` (off by default: a snapshot holds hundreds of millions)
    keep_ids: bool = False
    ids_seen_: list[str] | None = None

    @abstractmethod
    def iter_batches(
        self, paths: Sequence[PathLike], report: IngestReport
    ) -> Iterator[pl.DataFrame]:
        """Yield batches of points (schema :data:`POINTS_SCHEMA`), counting into ``report``."""

    def new_report(self, paths: Sequence[PathLike], strict: bool = False) -> IngestReport:
        return IngestReport(source=self.name, strict=strict, files=[str(p) for p in paths])

    def read(self, paths: Sequence[PathLike] | PathLike, *, strict: bool = False,
             progress: Callable[[int], None] | None = None) -> IngestResult:
        """Read everything into memory (small inputs, tests); see :meth:`write` for big ones.
        ``progress(records_read)`` after each batch."""
        paths = _as_list(paths)
        report = self.new_report(paths, strict)
        batches = []
        for batch in self.iter_batches(paths, report):
            batches.append(conform(batch))
            if progress is not None:
                progress(report.records_read)
        report.check()
        points = pl.concat(batches) if batches else empty_points()
        return IngestResult(points, report)

    def write(
        self, paths: Sequence[PathLike] | PathLike, out: PathLike, *, strict: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> IngestReport:
        """Stream the points of ``paths`` into the Parquet file ``out`` (constant memory);
        ``progress(records_read)`` after each batch."""
        import pyarrow.parquet as pq

        paths = _as_list(paths)
        report = self.new_report(paths, strict)
        target = Path(out)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".part")
        writer = None
        try:
            for batch in self.iter_batches(paths, report):
                table = conform(batch).to_arrow()
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema)
                writer.write_table(table)
                if progress is not None:
                    progress(report.records_read)
            if writer is None:
                empty = empty_points().to_arrow()
                writer = pq.ParquetWriter(tmp, empty.schema)
                writer.write_table(empty)
            writer.close()
            writer = None
            report.check()
            tmp.replace(target)
        finally:
            if writer is not None:
                writer.close()
            tmp.unlink(missing_ok=True)
        return report


def _as_list(paths: Sequence[PathLike] | PathLike) -> list[PathLike]:
    if isinstance(paths, str | Path):
        return [paths]
    return list(paths)
