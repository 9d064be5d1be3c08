"""OpenAlex works (JSON Lines parts or a snapshot folder) -> ``publications`` points.

Fractional counting: a work with ``n`` authorships gives each authorship
``1/n``; an authorship with ``k`` institutions gives each ``1/(n*k)``. Each
institution share becomes a point at the institution's coordinates, taken
from an OpenAlex institutions file (JSON Lines, ``geo.latitude`` /
``geo.longitude``) or a ROR dump (matched on the institution's ``ror``).

Accounting is per work, checked in this order: a work without an id or of
the wrong shape is ``unparseable``; one whose id was seen before (in this
file or an earlier one) is a ``duplicate id`` (the first is kept); one the
:class:`~techhubs.sources.filters.WorkFilter` refuses is ``filtered: type``
(``domain``, ``field``, ``year``); then ``no location`` when no authorship
names an institution and ``unresolved place`` when none of its institutions
has coordinates. Every other work is used. The weight of authorships that
could not be placed inside a used work is reported as a note (``weight
without location``), so the lost share is never silent.

The works are read column by column by DuckDB (``read_ndjson`` with explicit
types, parallel within a file); the ids seen so far live in a DuckDB table
that spills to disk, so memory stays bounded whatever the number of works. A
file DuckDB cannot read as typed JSON Lines (a malformed line, a field of the
wrong type, a JSON array) is parsed record by record instead, with the same
rules and exact line numbers for what it drops. A snapshot folder
(``.../works`` with its ``manifest``) is read part by part, and each part's
record count is checked against the manifest.
"""

from __future__ import annotations

import tempfile
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from techhubs.errors import DataError
from techhubs.points import sum_sql
from techhubs.sources import _shape as shape
from techhubs.sources._base import PathLike, Reader
from techhubs.sources._text import Unparseable, is_csv, read_head
from techhubs.sources.accounting import (
    DUPLICATE,
    NO_LOCATION,
    UNPARSEABLE,
    UNRESOLVED,
    Example,
    IngestReport,
)
from techhubs.sources.filters import WorkFilter, work_filter
from techhubs.sources.ror import (
    iter_json_records,
    load_ror_locations,
    ror_id,
)
from techhubs.sources.snapshot import expand_paths


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



# What the scan reads of a work: nothing else is parsed.
WORK_COLUMNS = {
    "id": "VARCHAR",
    "publication_year": "BIGINT",
    "type": "VARCHAR",
    "primary_topic": "STRUCT(field STRUCT(display_name VARCHAR), "
                     "domain STRUCT(display_name VARCHAR))",
    "authorships": "STRUCT(institutions STRUCT(id VARCHAR, ror VARCHAR)[])[]",
}
# the last path segment of an id URL (a string scan: several times cheaper than a regex)
_SHORT = "parse_filename(rtrim(trim(coalesce({}, '')), '/'), false, 'forward_slash')"
# Each located institution share of the works in ``w``; computed where it is used, twice
# (the accounting, then the points), rather than kept: it is the largest table of a part.
_SHARES = """
    SELECT w.rec, coalesce(a.lat, b.lat) AS lat, coalesce(a.lon, b.lon) AS lon,
           coalesce(a.city, b.city) AS city, 1.0 / (w.n * mm.k) AS weight
    FROM w, unnest(w.m) AS t(mm)
    LEFT JOIN inst a ON a.key = mm.inst AND mm.inst <> ''
    LEFT JOIN inst b ON b.key = mm.ror AND mm.ror <> ''
    WHERE coalesce(a.lat, b.lat) IS NOT NULL"""
# the table of works of one file, whichever way it was read
_WORK_SCHEMA = pa.schema([
    ("rec", pa.int64()), ("key", pa.string()), ("year", pa.int64()), ("type", pa.string()),
    ("domain", pa.string()), ("field", pa.string()), ("n", pa.int64()),
    ("m", pa.list_(pa.struct([("inst", pa.string()), ("ror", pa.string()),
                              ("k", pa.int64())]))),
])


class OpenAlexReader(Reader):
    """OpenAlex works -> fractional ``publications`` points (see the module notes).

    Parameters
    ----------
    institutions:
        OpenAlex institutions JSONL, or a ROR dump (JSON v2 or CSV).
    filters:
        Which works count (:class:`~techhubs.sources.filters.WorkFilter`); default all.
    rules, types, exclude_types, domains, exclude_domains, fields, exclude_fields, years:
        The same as options (command line, project file): a rule set (``gii``,
        ``gii-2023``...) and lists that refine it
        (:func:`~techhubs.sources.filters.work_filter`).
    memory_limit:
        DuckDB's memory limit (e.g. ``"1GB"``); beyond it DuckDB spills to disk.
    """

    source = "publications"
    name = "openalex"

    def __init__(self, institutions: PathLike, batch_size: int = 100_000,
                 filters: WorkFilter | None = None, memory_limit: str = "256MB", *,
                 rules: str | None = None, types: Sequence[str] | None = None,
                 exclude_types: Sequence[str] | None = None,
                 domains: Sequence[str] | None = None,
                 exclude_domains: Sequence[str] | None = None,
                 fields: Sequence[str] | None = None,
                 exclude_fields: Sequence[str] | None = None,
                 years: Sequence[int] | str | None = None) -> None:
        self.institutions = institutions
        self.batch_size = batch_size
        self.filters = filters
        self.memory_limit = memory_limit
        self.options = {"types": types, "exclude_types": exclude_types, "domains": domains,
                        "exclude_domains": exclude_domains, "fields": fields,
                        "exclude_fields": exclude_fields, "years": years}
        self.rules = rules

    def work_filter(self) -> WorkFilter:
        """The filter in force: ``filters``, else the rule set and lists given."""
        if self.filters is not None:
            return self.filters
        return work_filter(self.rules, **self.options)  # type: ignore[arg-type]

    def iter_batches(
        self, paths: Sequence[PathLike], report: IngestReport
    ) -> Iterator[pl.DataFrame]:
        rules = self.work_filter()  # a mistake in the options fails before any reading
        files, expected = expand_paths(list(paths))
        if files != [Path(p) for p in paths]:
            report.files = [str(f) for f in files]
        geo = load_institution_locations(self.institutions, report)
        with tempfile.TemporaryDirectory(prefix="techhubs-openalex-") as spill:
            works = _Works(geo, rules, self.memory_limit, spill)
            try:
                if self.prior_ids:
                    works.seen(self.prior_ids)
                mismatched = []
                for path in files:
                    count = yield from works.read_file(path, report, self.batch_size,
                                                       self.source)
                    want = expected.get(Path(path))
                    if want is not None and want != count:
                        mismatched.append(f"{Path(path).parent.name}/{Path(path).name}: "
                                          f"{count:,} records, the manifest says {want:,}")
                if self.keep_ids:
                    self.ids_seen_ = works.ids_seen(exclude=bool(self.prior_ids))
                if mismatched:
                    raise DataError(
                        f"{len(mismatched)} part(s) of the snapshot differ from the manifest: "
                        + "; ".join(mismatched), file=files[0].parent.parent / "manifest",
                        hint="download those parts again (a truncated or replaced part)")
            finally:
                works.close()


class _Works:
    """One DuckDB connection for a run: the institutions, the ids seen, one file at a time."""

    def __init__(self, geo: dict[str, tuple[float, float, str | None]], filters: WorkFilter,
                 memory_limit: str, spill: str) -> None:
        import duckdb

        self.filters = filters
        self.con = duckdb.connect(str(Path(spill) / "works.duckdb"))
        self.run(f"SET memory_limit = '{memory_limit}'")
        self.run(f"SET temp_directory = '{spill}'")
        self.run("SET preserve_insertion_order = true")
        self.run("SET enable_progress_bar = false")  # the command line draws its own
        keys = list(geo)
        # lists as parameters: registering an Arrow table would import pandas (0.5 s)
        self.run("""CREATE TABLE inst AS SELECT unnest($1::VARCHAR[]) AS key,
                        unnest($2::DOUBLE[]) AS lat, unnest($3::DOUBLE[]) AS lon,
                        unnest($4::VARCHAR[]) AS city""",
                 [keys, [geo[k][0] for k in keys], [geo[k][1] for k in keys],
                  [geo[k][2] for k in keys]])
        self.run("CREATE TABLE seen (key VARCHAR)")

    def close(self) -> None:
        self.con.close()

    def seen(self, ids: frozenset[str]) -> None:
        """Treat ``ids`` as read before (their works here are duplicates)."""
        self.con.register("prior_arrow", pa.table({"key": pa.array(sorted(ids), pa.string())}))
        self.run("INSERT INTO seen SELECT key FROM prior_arrow")
        self.run("CREATE TABLE prior AS SELECT key FROM prior_arrow")
        self.con.unregister("prior_arrow")

    def ids_seen(self, exclude: bool) -> list[str]:
        """The ids of every work read (without those given as read before)."""
        where = " WHERE key NOT IN (SELECT key FROM prior)" if exclude else ""
        return [k for (k,) in self.con.sql(f"SELECT key FROM seen{where} ORDER BY key")
                .fetchall()]

    def run(self, sql: str, params: list[Any] | None = None) -> None:
        """Execute a statement to its end (DuckDB refuses new work while a result is open)."""
        self.con.execute(sql, params).fetchall() if params else self.con.execute(sql).fetchall()

    # -- reading one file into the table ``w`` --------------------------------------
    def _scan(self, path: Path) -> bool:
        """Load ``path`` with DuckDB's typed JSON scan; False when it cannot."""
        import duckdb

        head = read_head(path, 64).lstrip()
        if not head or head.startswith((b"[", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
            return False  # empty, a JSON array, UTF-16 or a BOM: record by record
        columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in WORK_COLUMNS.items()) + "}"
        short = _SHORT.format("id")
        try:
            # no row_number() (a window over the whole file runs on one thread): with
            # insertion order preserved, a row's rowid is its record's place in the file
            self.run(f"""
                CREATE OR REPLACE TEMP TABLE w0 AS
                SELECT CASE WHEN id IS NULL THEN NULL ELSE {short} END AS key,
                       publication_year AS year, type,
                       primary_topic.domain.display_name AS domain,
                       primary_topic.field.display_name AS field,
                       coalesce(len(authorships), 0) AS n,
                       flatten(list_transform(coalesce(authorships, []), lambda a:
                           list_transform(coalesce(a.institutions, []), lambda x: {{
                               'inst': {_SHORT.format("x.id")},
                               'ror': {_SHORT.format("x.ror")},
                               'k': len(a.institutions)}}))) AS m
                FROM read_ndjson(?, columns = {columns}, format = 'newline_delimited',
                                 maximum_object_size = 16777216)
                """, [str(path)])
        except duckdb.Error:
            return False
        self.run("CREATE OR REPLACE TEMP VIEW w AS SELECT rowid + 1 AS rec, * FROM w0")
        return True

    def _parse(self, path: Path, report: IngestReport) -> None:
        """Load ``path`` record by record (exact line numbers for what is unparseable)."""
        rows: dict[str, list[Any]] = {name: [] for name in _WORK_SCHEMA.names}
        for index, work in iter_json_records(path):
            if isinstance(work, Unparseable) or not isinstance(work, dict):
                report.read()
                why = work.why if isinstance(work, Unparseable) else "not an object"
                report.drop(UNPARSEABLE, file=path, line=index, detail=why)
                continue
            key = ""
            try:
                key = _short(shape.text(work, "id"))
                mentions, n = _mentions(work)
                year = shape.year(work, "publication_year")
                work_type = shape.text(work, "type") or None
                domain, field = _topic(work)
            except shape.MalformedError as exc:
                report.read()
                report.drop(UNPARSEABLE, file=path, line=index, key=key or None,
                            detail=str(exc))
                continue
            for name, value in zip(_WORK_SCHEMA.names,
                                   (index, key or None, year, work_type, domain, field, n,
                                    mentions), strict=True):
                rows[name].append(value)
        table = pa.table(rows, schema=_WORK_SCHEMA)
        self.con.register("parsed_arrow", table)
        self.run("CREATE OR REPLACE TEMP TABLE w0 AS SELECT * FROM parsed_arrow")
        self.con.unregister("parsed_arrow")
        self.run("CREATE OR REPLACE TEMP VIEW w AS SELECT * FROM w0")

    # -- from ``w`` to points and accounting ------------------------------------------
    def read_file(self, path: PathLike, report: IngestReport, batch_size: int,
                  source: str) -> Generator[pl.DataFrame, None, int]:
        """Yield the points of one file and count its works; returns the records read."""
        path = Path(path)
        typed = self._scan(path)
        if not typed:
            before = report.records_read
            self._parse(path, report)
            unparseable = report.records_read - before
        else:
            unparseable = 0
        con = self.con
        reason = self.filters.sql_reason("w.type", "w.domain", "w.field", "w.year")
        statements = [
            f"""
            CREATE OR REPLACE TEMP TABLE status AS
            SELECT w.rec, w.key, w.year, w.field, s.placed, s.placed_weight, s.bad,
              CASE WHEN w.key IS NULL OR w.key = '' THEN '{UNPARSEABLE}'
                   WHEN row_number() OVER (PARTITION BY w.key ORDER BY w.rec) > 1
                        OR w.key IN (SELECT key FROM seen) THEN '{DUPLICATE}'
                   ELSE coalesce({reason},
                        CASE WHEN len(w.m) = 0 THEN '{NO_LOCATION}'
                             WHEN s.placed IS NULL THEN '{UNRESOLVED}' END)
              END AS reason
            FROM w LEFT JOIN (
                SELECT rec, count(*) AS placed, {sum_sql('weight')} AS placed_weight,
                       count(*) FILTER (WHERE NOT (lat BETWEEN -90 AND 90
                                                   AND lon BETWEEN -180 AND 180)) AS bad
                FROM ({_SHARES}) GROUP BY rec) s ON s.rec = w.rec
            """,
            """
            INSERT INTO seen SELECT DISTINCT key FROM w
                WHERE key IS NOT NULL AND key <> '' AND key NOT IN (SELECT key FROM seen)
            """,
        ]
        for statement in statements:  # one at a time: a value may hold a ";"
            self.run(statement)
        records = int(con.sql("SELECT count(*) FROM w").fetchall()[0][0])
        report.read(records)
        for why, count, examples in con.sql("""
                SELECT reason, count(*), list([rec::VARCHAR, coalesce(key, '')] ORDER BY rec)[1:5]
                FROM status WHERE reason IS NOT NULL GROUP BY reason ORDER BY reason""").fetchall():
            detail = "work without id" if why == UNPARSEABLE else None
            report.drop(why, count=int(count), examples=[
                _example(path, typed, int(rec), key, detail) for rec, key in examples])
        report.use(int(con.sql("SELECT count(*) FROM status WHERE reason IS NULL")
                       .fetchall()[0][0]))
        for what, condition, detail in (
                ("weight without location", "placed_weight < 1 - 1e-9", "lost"),
                ("institution coordinates out of range", "bad > 0", None)):
            row = con.sql(f"""
                SELECT count(*), list([rec::VARCHAR, key, (1 - placed_weight)::VARCHAR]
                                      ORDER BY rec)[1:5]
                FROM status WHERE reason IS NULL AND {condition}""").fetchall()[0]
            if row[0]:
                notes = [_example(path, typed, int(rec), key,
                                  f"{float(lost):.3f} of the work" if detail else None)
                         for rec, key, lost in row[1]]
                report.note(what, count=int(row[0]), examples=notes)
        label = source.replace("'", "''")
        result = con.sql(f"""
            SELECT sh.lat AS latitude, sh.lon AS longitude, sh.weight,
                   '{label}' AS source, st.year::INTEGER AS year, st.field,
                   st.key AS id, sh.city AS place
            FROM ({_SHARES}) sh JOIN status st ON st.rec = sh.rec
            WHERE st.reason IS NULL AND sh.lat BETWEEN -90 AND 90
                  AND sh.lon BETWEEN -180 AND 180
            ORDER BY sh.rec, sh.lat, sh.lon, sh.weight""")  # the same bytes every run
        for batch in result.to_arrow_reader(batch_size):  # streamed, not materialised
            if batch.num_rows:
                yield pl.from_arrow(pa.Table.from_batches([batch]))  # type: ignore[misc]
        return records + unparseable


def _example(path: Path, typed: bool, rec: int, key: str | None,
             detail: str | None) -> Example:
    if typed:  # DuckDB counts records, not lines (blank lines are skipped)
        where = f"record {rec}" + (f"; {detail}" if detail else "")
        return Example(str(path), None, key or None, where)
    return Example(str(path), rec, key or None, detail)


def _mentions(work: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    authorships = shape.objects(work, "authorships")
    out: list[dict[str, Any]] = []
    for i, authorship in enumerate(authorships):
        institutions = shape.objects(authorship, "institutions", f"authorships[{i}].")
        for j, inst in enumerate(institutions):
            where = f"authorships[{i}].institutions[{j}]."
            out.append({"inst": _short(shape.text(inst, "id", where)),
                        "ror": ror_id(shape.text(inst, "ror", where)),
                        "k": len(institutions)})
    return out, len(authorships)


def _topic(work: dict[str, Any]) -> tuple[str | None, str | None]:
    topic = shape.obj(work, "primary_topic") or {}
    domain = shape.obj(topic, "domain", "primary_topic.") or {}
    field = shape.obj(topic, "field", "primary_topic.") or {}
    return (shape.text(domain, "display_name", "primary_topic.domain.") or None,
            shape.text(field, "display_name", "primary_topic.field.") or None)
