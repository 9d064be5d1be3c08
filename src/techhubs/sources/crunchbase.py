"""Crunchbase-style funding rounds (the 2013 export layout), geocoded from text.

Columns used: ``company_permalink``, ``company_category_code``,
``company_country_code``, ``company_state_code``, ``company_region``,
``company_city``, ``funded_at``, ``funded_year`` (and ``raised_amount_usd`` with
``keep_amount``). Each round is one point of
weight 1 (``source = "vc"``), in the GeoNames place resolved from
``(company_city, company_state_code, company_country_code)``.

Location rule
-------------
* A round with a city is geocoded from its city text (state and country as
  hints). If the city does not resolve it is dropped as ``unresolved place``.
* A round without a city is geocoded from ``company_region`` taken as a city
  (Crunchbase regions are metro names such as ``Boston`` or ``San Diego``).
  If that does not resolve either (``SF Bay``, ``unknown``,
  ``California - Other``) it is dropped as ``no location``.

The 2013 export was written on a Mac: CR line endings and, in a few names,
Mac Roman bytes; lines that are not UTF-8 are decoded as ``mac_roman`` and
noted in the report.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import polars as pl

from techhubs.geo.geocode import Geocoder, default_geocoder
from techhubs.sources._base import PathLike, Reader, split_out_of_range
from techhubs.sources._text import iter_csv_records
from techhubs.sources.accounting import NO_LOCATION, UNRESOLVED, IngestReport

REQUIRED = (
    "company_permalink",
    "company_country_code",
    "company_state_code",
    "company_region",
    "company_city",
    "funded_year",
)


class CrunchbaseReader(Reader):
    """Funding rounds CSV -> ``vc`` points.

    Parameters
    ----------
    geocoder:
        The :class:`~techhubs.geo.geocode.Geocoder` to use (default: shared one).
    fallback_encoding:
        How to decode lines that are not UTF-8 (``None``: drop those rounds).
    keep_place:
        Also return ``geonameid``, ``admin1`` (GeoNames admin1 code of the
        place), ``state`` (the round's state code) and ``confidence``.
    keep_amount:
        Also return ``amount_usd``, the round's ``raised_amount_usd`` (null when
        the export leaves it empty; a text that is not a number is noted in the
        report and kept as null).
    batch_size:
        Rounds per geocoding batch.
    """

    source = "vc"
    name = "crunchbase"

    def __init__(
        self,
        geocoder: Geocoder | None = None,
        fallback_encoding: str | None = "mac_roman",
        keep_place: bool = False,
        keep_amount: bool = False,
        batch_size: int = 50_000,
    ) -> None:
        self.geocoder = geocoder
        self.fallback_encoding = fallback_encoding
        self.keep_place = keep_place
        self.keep_amount = keep_amount
        self.batch_size = batch_size

    def iter_batches(
        self, paths: Sequence[PathLike], report: IngestReport
    ) -> Iterator[pl.DataFrame]:
        unresolved: list[pl.DataFrame] = []
        for path in paths:
            rows: list[tuple[object, ...]] = []
            for line, rec in iter_csv_records(
                path, report, required=REQUIRED, fallback_encoding=self.fallback_encoding
            ):
                rows.append(
                    (
                        line,
                        f"{rec['company_permalink']}#{rec.get('funded_at', '')}",
                        rec["company_city"],
                        rec["company_state_code"],
                        rec["company_region"],
                        rec["company_country_code"],
                        rec["funded_year"],
                        rec.get("company_category_code") or None,
                        rec.get("raised_amount_usd") or None,
                    )
                )
                if len(rows) >= self.batch_size:
                    yield self._batch(rows, path, report, unresolved)
                    rows = []
            if rows:
                yield self._batch(rows, path, report, unresolved)
        if unresolved:
            report.unresolved_places = (
                pl.concat(unresolved)
                .group_by("city", "state", "country")
                .agg(pl.col("count").sum())
                .sort(["count", "city"], descending=[True, False])
            )

    def _batch(
        self,
        rows: list[tuple[object, ...]],
        path: PathLike,
        report: IngestReport,
        unresolved: list[pl.DataFrame],
    ) -> pl.DataFrame:
        frame = pl.DataFrame(
            rows,
            schema={
                "_line": pl.Int64,
                "_key": pl.Utf8,
                "city": pl.Utf8,
                "state": pl.Utf8,
                "region": pl.Utf8,
                "country": pl.Utf8,
                "year_text": pl.Utf8,
                "field": pl.Utf8,
                "amount_text": pl.Utf8,
            },
            orient="row",
        ).with_columns(
            pl.col("city").str.strip_chars(),
            pl.col("region").str.strip_chars(),
        )
        has_city = pl.col("city").str.replace_all(r"[\W_]+", "") != ""
        query = frame.with_columns(
            pl.when(has_city).then(pl.col("city")).otherwise(pl.col("region")).alias("query")
        )
        coder = self.geocoder or default_geocoder()
        resolved = coder.resolve(query, city="query", region="state", country="country")
        frame = query.hstack(resolved)
        ok = pl.col("geonameid").is_not_null()
        no_city = frame.filter(~ok & ~has_city)
        report.drop_frame(
            NO_LOCATION, no_city, file=Path(path), detail="no city, and the region is not a place"
        )
        bad_city = frame.filter(~ok & has_city)
        report.drop_frame(UNRESOLVED, bad_city, file=Path(path), detail="city not in GeoNames")
        if bad_city.height:
            unresolved.append(bad_city.group_by("city", "state", "country").len("count"))
        frame = split_out_of_range(frame.filter(ok), report, path)
        report.use(frame.height)
        year = pl.col("year_text").str.strip_chars().cast(pl.Int32, strict=False)
        no_year = frame.filter(year.is_null())
        if no_year.height:
            report.note(
                "year missing or not a number (kept, year null)",
                file=path,
                line=int(no_year["_line"][0]),
                detail=repr(no_year["year_text"][0]),
                count=no_year.height,
            )
        columns = [
            "latitude",
            "longitude",
            pl.lit(1.0).alias("weight"),
            pl.lit(self.source).alias("source"),
            year.alias("year"),
            "field",
            pl.col("_key").alias("id"),
            pl.col("place_name").alias("place"),
        ]
        if self.keep_amount:
            text = pl.col("amount_text").str.strip_chars()
            amount = text.cast(pl.Float64, strict=False)
            bad = frame.filter(text.is_not_null() & (text != "")
                               & (amount.is_null() | ~amount.is_finite() | (amount < 0)))
            if bad.height:
                report.note("raised_amount_usd is not a non-negative number (kept, amount null)",
                            file=path, line=int(bad["_line"][0]),
                            detail=repr(bad["amount_text"][0]), count=bad.height)
            columns.append(pl.when(amount.is_finite() & (amount >= 0)).then(amount)
                           .alias("amount_usd"))
        if self.keep_place:
            columns += [
                "geonameid",
                pl.col("place_admin1").alias("admin1"),
                "state",
                "confidence",
            ]
        return frame.select(columns)
