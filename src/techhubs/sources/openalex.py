"""OpenAlex works (JSON Lines snapshot) -> ``publications`` points.

Fractional counting: a work with ``n`` authorships gives each authorship
``1/n``; an authorship with ``k`` institutions gives each ``1/(n*k)``. Each
institution share becomes a point at the institution's coordinates, taken
from an OpenAlex institutions file (JSON Lines, ``geo.latitude`` /
``geo.longitude``) or a ROR dump (matched on the institution's ``ror``).

Accounting is per work: a work is used when at least one share is placed.
It is dropped as ``no location`` when no authorship names an institution,
as ``unresolved place`` when none of its institutions has coordinates, and
as ``duplicate id`` when its id was seen before. The weight of authorships
that could not be placed inside a used work is reported as a note
(``weight without location``), so the lost share is never silent.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import polars as pl

from techhubs.sources import _shape as shape
from techhubs.sources._base import PathLike, Reader
from techhubs.sources._text import Unparseable, is_csv
from techhubs.sources.accounting import (
    DUPLICATE,
    NO_LOCATION,
    UNPARSEABLE,
    UNRESOLVED,
    IngestReport,
)
from techhubs.sources.ror import (
    iter_json_records,
    load_ror_locations,
    ror_id,
)


def _short(openalex_id: str | None) -> str:
    return (openalex_id or "").rstrip("/").rsplit("/", 1)[-1]


def load_institution_locations(
    path: PathLike, report: IngestReport | None = None
) -> dict[str, tuple[float, float, str | None]]:
    """Institution key -> (lat, lon, city) from OpenAlex institutions JSONL or a ROR dump.

    Keys are OpenAlex short ids (``I136199984``) and ROR ids (``03vek6s52``). The
    kind of file is told by its content: CSV or records with ``locations`` are
    a ROR dump, records with ``geo`` are OpenAlex institutions. An institution
    record that cannot be read is noted in ``report`` (the works that cite it
    are then counted as unresolved).
    """
    if is_csv(path):
        return load_ror_locations(path, report)
    table: dict[str, tuple[float, float, str | None]] = {}
    for index, rec in iter_json_records(path):
        if isinstance(rec, dict) and "locations" in rec and "geo" not in rec:
            return load_ror_locations(path, report)  # a ROR record: the file is a ROR dump
        try:
            if not isinstance(rec, dict):
                raise shape.MalformedError(rec.why if isinstance(rec, Unparseable)
                                      else "not an object")
            geo = shape.obj(rec, "geo") or {}
            lat, lon = shape.number(geo, "latitude", "geo."), shape.number(geo, "longitude", "geo.")
            city = shape.text(geo, "city", "geo.")
            keys = [_short(shape.text(rec, "id")), ror_id(shape.text(rec, "ror"))]
        except shape.MalformedError as exc:
            if report is not None:
                report.note("institution record unreadable", file=path, line=index,
                            detail=str(exc))
            continue
        if lat is None or lon is None:
            continue
        for key in keys:
            if key:
                table[key] = (lat, lon, city)
    return table


class OpenAlexReader(Reader):
    """OpenAlex works JSONL (optionally gzipped) -> fractional ``publications`` points.

    Parameters
    ----------
    institutions:
        OpenAlex institutions JSONL, or a ROR dump (JSON v2 or CSV).
    """

    source = "publications"
    name = "openalex"

    def __init__(self, institutions: PathLike, batch_size: int = 100_000) -> None:
        self.institutions = institutions
        self.batch_size = batch_size

    def iter_batches(
        self, paths: Sequence[PathLike], report: IngestReport
    ) -> Iterator[pl.DataFrame]:
        geo = load_institution_locations(self.institutions, report)
        seen: set[str] = set()
        for path in paths:
            rows: list[tuple[object, ...]] = []
            for index, work in iter_json_records(path):
                report.read()
                if isinstance(work, Unparseable) or not isinstance(work, dict):
                    why = work.why if isinstance(work, Unparseable) else "not an object"
                    report.drop(UNPARSEABLE, file=path, line=index, detail=why)
                    continue
                key = ""
                try:
                    key = _short(shape.text(work, "id"))
                    shares, any_institution, lost = _shares(work, geo)
                    year = shape.year(work, "publication_year")
                    field = _field(work)
                except shape.MalformedError as exc:
                    report.drop(UNPARSEABLE, file=path, line=index, key=key or None,
                                detail=str(exc))
                    continue
                if not key:
                    report.drop(UNPARSEABLE, file=path, line=index, detail="work without id")
                    continue
                if key in seen:
                    report.drop(DUPLICATE, file=path, line=index, key=key)
                    continue
                seen.add(key)
                if not shares:
                    reason = UNRESOLVED if any_institution else NO_LOCATION
                    report.drop(reason, file=path, line=index, key=key)
                    continue
                if lost > 0:
                    report.note(
                        "weight without location",
                        file=path,
                        line=index,
                        key=key,
                        detail=f"{lost:.3f} of the work",
                        count=1,
                    )
                for lat, lon, weight, city in shares:
                    rows.append((index, key, lat, lon, weight, year, field, city))
                report.use()
                if len(rows) >= self.batch_size:
                    yield self._frame(rows, path, report)
                    rows = []
            if rows:
                yield self._frame(rows, path, report)

    def _frame(
        self, rows: list[tuple[object, ...]], path: PathLike, report: IngestReport
    ) -> pl.DataFrame:
        frame = pl.DataFrame(
            rows,
            schema={
                "_line": pl.Int64,
                "_key": pl.Utf8,
                "latitude": pl.Float64,
                "longitude": pl.Float64,
                "weight": pl.Float64,
                "year": pl.Int32,
                "field": pl.Utf8,
                "place": pl.Utf8,
            },
            orient="row",
        )
        ok = pl.col("latitude").is_between(-90.0, 90.0) & pl.col("longitude").is_between(
            -180.0, 180.0
        )
        bad = frame.filter(~ok)
        if bad.height:
            # Shares of a used work that sit off the globe: lost weight, noted per work.
            for key in bad["_key"].unique().to_list():
                report.note("institution coordinates out of range", file=path, key=str(key))
        frame = frame.filter(ok)
        return frame.select(
            "latitude",
            "longitude",
            "weight",
            pl.lit(self.source).alias("source"),
            "year",
            "field",
            pl.col("_key").alias("id"),
            "place",
        )


def _shares(
    work: dict[str, Any], geo: dict[str, tuple[float, float, str | None]]
) -> tuple[list[tuple[float, float, float, str | None]], bool, float]:
    authorships = shape.objects(work, "authorships")
    n = len(authorships)
    shares: list[tuple[float, float, float, str | None]] = []
    any_institution = False
    lost = 0.0
    for i, authorship in enumerate(authorships):
        institutions = shape.objects(authorship, "institutions", f"authorships[{i}].")
        if not institutions:
            lost += 1.0 / n
            continue
        any_institution = True
        k = len(institutions)
        for j, inst in enumerate(institutions):
            where = f"authorships[{i}].institutions[{j}]."
            hit = (geo.get(_short(shape.text(inst, "id", where)))
                   or geo.get(ror_id(shape.text(inst, "ror", where))))
            if hit is None:
                lost += 1.0 / (n * k)
                continue
            shares.append((hit[0], hit[1], 1.0 / (n * k), hit[2]))
    return shares, any_institution, lost


def _field(work: dict[str, Any]) -> str | None:
    topic = shape.obj(work, "primary_topic") or {}
    field = shape.obj(topic, "field", "primary_topic.") or {}
    return shape.text(field, "display_name", "primary_topic.field.") or None
