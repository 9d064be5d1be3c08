"""Any CSV/TSV/Parquet table with coordinates or place text, mapped by options.

Either ``lat`` and ``lon`` name coordinate columns, or ``city`` and
``country`` (and optionally ``region``) name place-text columns that are
geocoded on GeoNames. ``weight`` (default 1 per row), ``year``, ``field`` and
``id`` columns are optional; with ``id`` given, a repeated id is dropped as
``duplicate id``. ``source`` is the label of the points (``patents``,
``publications``, ``vc``, ``institutions``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import polars as pl

from techhubs.errors import DataError
from techhubs.geo.geocode import Geocoder, default_geocoder
from techhubs.points import KNOWN_SOURCES, MAX_POINT_WEIGHT
from techhubs.sources._base import PathLike, Reader, split_out_of_range
from techhubs.sources._text import iter_csv_records
from techhubs.sources.accounting import (
    BAD_WEIGHT,
    DUPLICATE,
    NO_LOCATION,
    UNPARSEABLE,
    UNRESOLVED,
    IngestReport,
)


class TableReader(Reader):
    """Generic table -> points. See the module docstring for the options."""

    name = "table"

    def __init__(
        self,
        source: str,
        *,
        lat: str | None = None,
        lon: str | None = None,
        city: str | None = None,
        region: str | None = None,
        country: str | None = None,
        weight: str | None = None,
        year: str | None = None,
        field: str | None = None,
        id: str | None = None,
        delimiter: str = ",",
        fallback_encoding: str | None = None,
        geocoder: Geocoder | None = None,
        batch_size: int = 100_000,
    ) -> None:
        self.source = source
        self.lat, self.lon = lat, lon
        self.city, self.region, self.country = city, region, country
        self.weight, self.year, self.field, self.id = weight, year, field, id
        self.delimiter = delimiter
        self.fallback_encoding = fallback_encoding
        self.geocoder = geocoder
        self.batch_size = batch_size

    def _columns(self) -> dict[str, str]:
        if self.source not in KNOWN_SOURCES:
            raise DataError(
                f"unknown source label {self.source!r}",
                hint=f"use one of {', '.join(KNOWN_SOURCES)}",
            )
        coords = self.lat is not None and self.lon is not None
        text = self.city is not None and self.country is not None
        if not coords and not text:
            raise DataError(
                "say where the records are",
                hint="give --lat and --lon columns, or --city and --country (and --region)",
            )
        mapping = {
            "lat": self.lat,
            "lon": self.lon,
            "city": self.city,
            "region": self.region,
            "country": self.country,
            "weight": self.weight,
            "year": self.year,
            "field": self.field,
            "id": self.id,
        }
        return {k: v for k, v in mapping.items() if v is not None}

    def iter_batches(
        self, paths: Sequence[PathLike], report: IngestReport
    ) -> Iterator[pl.DataFrame]:
        mapping = self._columns()
        seen: set[str] = set(self.prior_ids)
        for path in paths:
            for frame in self._raw_batches(path, mapping, report):
                yield self._points(frame, mapping, path, report, seen)
        if self.keep_ids and "id" in mapping:
            self.ids_seen_ = sorted(seen - self.prior_ids)

    def _raw_batches(
        self, path: PathLike, mapping: dict[str, str], report: IngestReport
    ) -> Iterator[pl.DataFrame]:
        required = tuple(mapping.values())
        name = Path(path).name.lower()
        if name.endswith(".parquet") or name.endswith(".pq"):
            import pyarrow.parquet as pq

            try:
                handle = pq.ParquetFile(path)
            except Exception as exc:
                raise DataError(f"not a readable Parquet file ({exc})", file=path) from exc
            missing = [c for c in required if c not in handle.schema_arrow.names]
            if missing:
                raise DataError(
                    f"missing required column(s): {', '.join(missing)}",
                    file=path,
                    key=missing[0],
                    hint=f"columns found: {', '.join(handle.schema_arrow.names[:12])}",
                )
            offset = 0
            for batch in handle.iter_batches(
                batch_size=self.batch_size, columns=list(set(required))
            ):
                frame = pl.from_arrow(batch)
                assert isinstance(frame, pl.DataFrame)
                frame = frame.select(
                    [pl.col(col).cast(pl.Utf8).alias(key) for key, col in mapping.items()]
                ).with_row_index("_line", offset=offset + 1)
                offset += frame.height
                report.read(frame.height)
                yield frame.with_columns(pl.col("_line").cast(pl.Int64))
            return
        rows: list[tuple[object, ...]] = []
        keys = list(mapping)
        for line, rec in iter_csv_records(
            path,
            report,
            required=required,
            delimiter=self.delimiter,
            fallback_encoding=self.fallback_encoding,
        ):
            rows.append((line, *(rec[mapping[k]] for k in keys)))
            if len(rows) >= self.batch_size:
                yield _frame(rows, keys)
                rows = []
        if rows:
            yield _frame(rows, keys)

    def _points(
        self,
        frame: pl.DataFrame,
        mapping: dict[str, str],
        path: PathLike,
        report: IngestReport,
        seen: set[str],
    ) -> pl.DataFrame:
        frame = frame.with_columns(
            (pl.col("id") if "id" in mapping else pl.lit(None, pl.Utf8)).alias("_key")
        )
        if "id" in mapping:
            first = frame["id"].is_first_distinct() & ~frame["id"].is_in(list(seen))
            report.drop_frame(DUPLICATE, frame.filter(~first), file=path)
            frame = frame.filter(first)
            seen.update(frame["id"].drop_nulls().to_list())
        if "weight" in mapping:
            w = pl.col("weight").str.strip_chars().cast(pl.Float64, strict=False)
            frame = frame.with_columns(w.alias("_weight"))
            ok = (pl.col("_weight").is_not_null() & pl.col("_weight").is_finite()
                  & pl.col("_weight").is_between(0.0, MAX_POINT_WEIGHT))
            report.drop_frame(
                BAD_WEIGHT, frame.filter(~ok.fill_null(False)), file=path,
                detail=f"weight missing, negative, not a number or above {MAX_POINT_WEIGHT:g}")
            frame = frame.filter(ok.fill_null(False))
        else:
            frame = frame.with_columns(pl.lit(1.0).alias("_weight"))
        if "lat" in mapping:
            blank = (pl.col("lat").str.strip_chars().fill_null("") == "") | (
                pl.col("lon").str.strip_chars().fill_null("") == ""
            )
            report.drop_frame(NO_LOCATION, frame.filter(blank), file=path)
            frame = frame.filter(~blank).with_columns(
                pl.col("lat").str.strip_chars().cast(pl.Float64, strict=False).alias("latitude"),
                pl.col("lon").str.strip_chars().cast(pl.Float64, strict=False).alias("longitude"),
                pl.lit(None, pl.Utf8).alias("place"),
            )
            nan = pl.col("latitude").is_null() | pl.col("longitude").is_null()
            report.drop_frame(
                UNPARSEABLE, frame.filter(nan), file=path, detail="lat/lon not numbers"
            )
            frame = frame.filter(~nan)
        else:
            blank = pl.col("city").str.replace_all(r"[\W_]+", "").fill_null("") == ""
            report.drop_frame(NO_LOCATION, frame.filter(blank), file=path, detail="no place text")
            frame = frame.filter(~blank)
            coder = self.geocoder or default_geocoder()
            resolved = coder.resolve(
                frame,
                city="city",
                region="region" if "region" in mapping else None,
                country="country",
            )
            frame = frame.hstack(
                resolved.select("latitude", "longitude", pl.col("place_name").alias("place"))
            )
            miss = pl.col("latitude").is_null()
            report.drop_frame(
                UNRESOLVED, frame.filter(miss), file=path, detail="place not in GeoNames"
            )
            frame = frame.filter(~miss)
        frame = split_out_of_range(frame, report, path)
        report.use(frame.height)
        year = (
            pl.col("year")
            .str.strip_chars()
            .cast(pl.Float64, strict=False)
            .cast(pl.Int32, strict=False)
            if "year" in mapping
            else pl.lit(None, pl.Int32)
        )
        return frame.select(
            "latitude",
            "longitude",
            pl.col("_weight").alias("weight"),
            pl.lit(self.source).alias("source"),
            year.alias("year"),
            (pl.col("field") if "field" in mapping else pl.lit(None, pl.Utf8)).alias("field"),
            pl.col("_key").alias("id"),
            "place",
        )


def _frame(rows: list[tuple[object, ...]], keys: list[str]) -> pl.DataFrame:
    schema: dict[str, pl.DataType] = {"_line": pl.Int64()}
    schema.update({k: pl.Utf8() for k in keys})
    return pl.DataFrame(rows, schema=schema, orient="row")
