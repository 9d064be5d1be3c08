"""Research Organization Registry (ROR) dumps: JSON v2 and the flat CSV layout.

Each organisation is one ``institutions`` point of weight 1 at its first
location. JSON v2 records carry ``locations[].geonames_details`` with
``lat``/``lng``; the CSV layout has ``ror_id,name,city,country_code,lat,lng,
types,status,release``. Inactive and withdrawn records are dropped as
``inactive record`` unless ``include_inactive`` is set. ``field`` is the
first organisation type (education, company, facility ...).
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator, Sequence
from typing import Any

import polars as pl

from techhubs.errors import DataError
from techhubs.sources import _shape as shape
from techhubs.sources._base import PathLike, Reader, split_out_of_range
from techhubs.sources._text import (
    Unparseable,
    is_csv,
    iter_csv_records,
    iter_raw_lines,
    open_binary,
    read_head,
)
from techhubs.sources.accounting import (
    DUPLICATE,
    INACTIVE,
    NO_LOCATION,
    UNPARSEABLE,
    IngestReport,
)

CSV_REQUIRED = ("ror_id", "lat", "lng")
TOO_DEEP = "nested deeper than the JSON reader allows"
_DECODER = json.JSONDecoder()


def iter_json_records(path: PathLike) -> Iterator[tuple[int, Any]]:
    """Records of a JSON array file or a JSON Lines file, streamed: ``(index, object)``.

    An array is decoded element by element from a sliding buffer, so a dump
    of any size is read in bounded memory. Raises :class:`DataError` for
    malformed JSON, naming the record index.
    """
    head = read_head(path, 1 << 16).lstrip()
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise DataError("the file is UTF-16 text, not UTF-8 JSON", file=path, line=1,
                        hint="save it as UTF-8 (dumps from ROR and OpenAlex are UTF-8)")
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:].lstrip()
    if not head:
        raise DataError("file is empty", file=path, line=1)
    if head.startswith(b"["):
        yield from _iter_array(path)
    else:
        for line_no, raw in enumerate(iter_raw_lines(path), start=1):
            if not raw.strip():
                continue
            try:
                yield line_no, json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                yield line_no, Unparseable(str(exc))
            except RecursionError:
                yield line_no, Unparseable(TOO_DEEP)


def _iter_array(path: PathLike) -> Iterator[tuple[int, Any]]:
    buffer = ""
    index = 0
    started = False
    with open_binary(path) as raw:
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        eof = False
        while True:
            if not eof:
                try:
                    chunk = raw.read(1 << 20)
                    buffer += decoder.decode(chunk, final=not chunk)
                except UnicodeDecodeError as exc:
                    raise DataError(f"not UTF-8 ({exc})", file=path, key=f"record {index}") from exc
                except (EOFError, OSError) as exc:
                    raise DataError(
                        f"compressed stream is truncated or corrupt ({exc})", file=path
                    ) from exc
                eof = not chunk
            pos = 0
            while True:
                pos = _skip(buffer, pos)
                if not started:
                    if pos < len(buffer) and buffer[pos] == "[":
                        started = True
                        pos += 1
                        continue
                    if pos < len(buffer):
                        raise DataError("expected a JSON array", file=path)
                    break
                if pos < len(buffer) and buffer[pos] in ",":
                    pos += 1
                    pos = _skip(buffer, pos)
                if pos < len(buffer) and buffer[pos] == "]":
                    return
                try:
                    obj, end = _DECODER.raw_decode(buffer, pos)
                except RecursionError:
                    # skip the element by its brackets; counted as unparseable
                    skip_to = _element_end(buffer, pos)
                    if skip_to is None:
                        if eof:
                            raise DataError("JSON array is not closed (truncated file?)",
                                            file=path, key=f"record {index + 1}") from None
                        break
                    obj, end = Unparseable(TOO_DEEP), skip_to
                except json.JSONDecodeError as exc:
                    if eof:
                        raise DataError(
                            f"malformed JSON ({exc.msg})",
                            file=path,
                            key=f"record {index}",
                            hint="the file may be truncated; download it again",
                        ) from exc
                    break
                index += 1
                yield index, obj
                pos = end
            buffer = buffer[pos:]
            if eof and not buffer.strip():
                if started:
                    raise DataError("JSON array is not closed (truncated file?)", file=path)
                return


def _element_end(text: str, pos: int) -> int | None:
    """Index just past the JSON value starting at ``pos`` (None when it is incomplete)."""
    depth = 0
    in_string = escaped = False
    for i in range(pos, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def ror_id(value: str | None) -> str:
    """``https://ror.org/05dxps055`` or ``05dxps055`` -> ``05dxps055``."""
    return (value or "").strip().rstrip("/").rsplit("/", 1)[-1]


def ror_record_location(record: dict[str, Any]) -> tuple[float | None, float | None, str | None]:
    """(lat, lng, city) of a ROR v2 record's first location.

    Raises :class:`~techhubs.sources._shape.MalformedError` for fields of the wrong type.
    """
    for i, loc in enumerate(shape.objects(record, "locations")):
        where = f"locations[{i}].geonames_details."
        details = shape.obj(loc, "geonames_details", f"locations[{i}].") or {}
        lat, lng = shape.number(details, "lat", where), shape.number(details, "lng", where)
        if lat is not None and lng is not None:
            return lat, lng, shape.text(details, "name", where)
    return None, None, None


class RorReader(Reader):
    """ROR dump (JSON v2 array or JSON Lines, or the CSV layout) -> ``institutions`` points."""

    source = "institutions"
    name = "ror"

    def __init__(self, include_inactive: bool = False, batch_size: int = 50_000) -> None:
        self.include_inactive = include_inactive
        self.batch_size = batch_size

    def iter_batches(
        self, paths: Sequence[PathLike], report: IngestReport
    ) -> Iterator[pl.DataFrame]:
        seen: set[str] = set(self.prior_ids)
        for path in paths:
            rows = self._csv_rows(path, report) if is_csv(path) else self._json_rows(path, report)
            batch: list[tuple[object, ...]] = []
            for row in rows:
                line = row[0] if isinstance(row[0], int) else None
                key, status = str(row[1]), row[6]
                if key in seen:
                    report.drop(DUPLICATE, file=path, line=line, key=key)
                    continue
                seen.add(key)
                if not self.include_inactive and status and status != "active":
                    report.drop(INACTIVE, file=path, line=line, key=key, detail=f"status {status}")
                    continue
                if row[2] is None or row[3] is None:
                    report.drop(NO_LOCATION, file=path, line=line, key=key)
                    continue
                batch.append(row)
                if len(batch) >= self.batch_size:
                    yield self._frame(batch, path, report)
                    batch = []
            if batch:
                yield self._frame(batch, path, report)
        if self.keep_ids:
            self.ids_seen_ = sorted(seen - self.prior_ids)

    def _frame(
        self, batch: list[tuple[object, ...]], path: PathLike, report: IngestReport
    ) -> pl.DataFrame:
        frame = pl.DataFrame(
            batch,
            schema={
                "_line": pl.Int64,
                "_key": pl.Utf8,
                "latitude": pl.Float64,
                "longitude": pl.Float64,
                "place": pl.Utf8,
                "field": pl.Utf8,
                "status": pl.Utf8,
            },
            orient="row",
        )
        frame = split_out_of_range(frame, report, path)
        report.use(frame.height)
        return frame.select(
            "latitude",
            "longitude",
            pl.lit(1.0).alias("weight"),
            pl.lit(self.source).alias("source"),
            pl.lit(None, pl.Int32).alias("year"),
            "field",
            pl.col("_key").alias("id"),
            "place",
        )

    def _csv_rows(self, path: PathLike, report: IngestReport) -> Iterator[tuple[object, ...]]:
        for line, rec in iter_csv_records(path, report, required=CSV_REQUIRED):
            key = ror_id(rec["ror_id"])
            lat, lng = _float(rec["lat"]), _float(rec["lng"])
            if (rec["lat"].strip() and lat is None) or (rec["lng"].strip() and lng is None):
                report.drop(
                    UNPARSEABLE, file=path, line=line, key=key, detail="lat/lng not numbers"
                )
                continue
            types = (rec.get("types") or "").split("|")[0] or None
            yield line, key, lat, lng, rec.get("city") or None, types, rec.get("status") or ""

    def _json_rows(self, path: PathLike, report: IngestReport) -> Iterator[tuple[object, ...]]:
        for index, rec in iter_json_records(path):
            report.read()
            try:
                if isinstance(rec, Unparseable):
                    raise shape.MalformedError(rec.why)
                if not isinstance(rec, dict) or not shape.text(rec, "id"):
                    raise shape.MalformedError("not a ROR record (no id)")
                lat, lng, city = ror_record_location(rec)
                types = shape.texts(rec, "types")
                row = (index, ror_id(shape.text(rec, "id")), lat, lng, city,
                       types[0] if types else None, shape.text(rec, "status") or "")
            except shape.MalformedError as exc:
                report.drop(UNPARSEABLE, file=path, line=index, detail=str(exc))
                continue
            yield row


def load_ror_locations(
    path: PathLike, report: IngestReport | None = None
) -> dict[str, tuple[float, float, str | None]]:
    """ROR id -> (lat, lng, city) for every located record of a ROR dump (JSON or CSV).

    Unreadable records are noted in ``report`` when one is given.
    """
    own = IngestReport(source="ror")
    result: dict[str, tuple[float, float, str | None]] = {}
    reader = RorReader(include_inactive=True)
    rows = reader._csv_rows(path, own) if is_csv(path) else reader._json_rows(path, own)
    for row in rows:
        if row[2] is not None and row[3] is not None:
            city = row[4] if isinstance(row[4], str) else None
            result[str(row[1])] = (float(str(row[2])), float(str(row[3])), city)
    bad = own.dropped[UNPARSEABLE]
    if report is not None and bad:
        first = own.examples[UNPARSEABLE][0]
        report.note("institution record unreadable", file=path, line=first.line,
                    detail=first.detail, count=bad)
    return result


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
