"""PatentsView bulk TSVs -> fractional ``patents`` points, joined out of core in DuckDB.

Inputs (plain, gzipped or zipped as published at
https://patentsview.org/download/data-download-tables):

* ``g_inventor_disambiguated.tsv``: ``patent_id, inventor_sequence,
  inventor_id, disambig_inventor_name_first, disambig_inventor_name_last,
  gender_code, location_id``;
* ``g_location_disambiguated.tsv``: ``location_id, disambig_city,
  disambig_state, disambig_country, latitude, longitude, county, state_fips,
  county_fips``;
* optionally ``g_patent.tsv`` (``patent_id, patent_type, patent_date, ...``)
  for the grant year; without it ``year`` is null.

Each inventor row is a record with weight ``1 / (inventors on the patent)``.
Drops: ``duplicate id`` (same patent and inventor sequence twice), ``no
location`` (empty location id, or a location without coordinates),
``unresolved place`` (location id absent from the location table),
``unparseable`` (coordinates that are not numbers), ``out of range``.
DuckDB spills to disk, so inputs larger than memory work; results stream out
in Arrow batches.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from techhubs.errors import DataError
from techhubs.sources._base import PathLike, Reader
from techhubs.sources._text import iter_raw_lines, zip_member
from techhubs.sources.accounting import (
    DUPLICATE,
    NO_LOCATION,
    OUT_OF_RANGE,
    UNPARSEABLE,
    UNRESOLVED,
    Example,
    IngestReport,
)

INVENTOR_REQUIRED = ("patent_id", "inventor_sequence", "location_id")
LOCATION_REQUIRED = ("location_id", "latitude", "longitude")
PATENT_REQUIRED = ("patent_id", "patent_date")


def _require_columns(columns: list[str], required: Sequence[str], p: Path) -> None:
    """Fail with the missing columns; one column holding separators means a wrong delimiter."""
    missing = [c for c in required if c not in columns]
    if missing:
        hint = f"columns found: {', '.join(columns[:10])}"
        if len(columns) == 1 and ("," in columns[0] or ";" in columns[0]):
            hint += "; PatentsView tables are tab-separated, this file is not"
        raise DataError(
            f"missing required column(s): {', '.join(missing)}",
            file=p,
            line=1,
            key=missing[0],
            hint=hint,
        )


def _tsv(con: object, path: PathLike, required: tuple[str, ...], view: str,
         scratch: Path) -> None:
    """Register ``path`` as a DuckDB view of all-text columns, after checking it. A zip
    archive (as PatentsView publishes its tables) is first unpacked into ``scratch``:
    DuckDB reads gzip but not zip."""
    import duckdb

    p = Path(path)
    if not p.exists():
        raise DataError("file not found", file=p)
    if p.stat().st_size == 0:
        raise DataError("file is empty", file=p, line=1)
    member = zip_member(p)
    data = p
    if member is not None:
        data = scratch / f"{view}.tsv"
        try:
            with zipfile.ZipFile(p) as archive, archive.open(member) as src, \
                    open(data, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
        except (OSError, zipfile.BadZipFile, EOFError) as exc:
            raise DataError(f"cannot unpack {member} ({exc})", file=p,
                            hint="download the file again (techhubs fetch checks hashes)"
                            ) from exc

    first = next(iter(iter_raw_lines(p)), b"").decode("utf-8", "replace")
    if not first.strip():
        raise DataError("file is empty (no header line)", file=p, line=1)
    header = [h.strip().strip('"') for h in first.split("\t")]
    _require_columns(header, required, p)
    source = (
        f"read_csv('{_q(data)}', delim='\t', header=true, quote='\"', escape='\"', "
        "all_varchar=true, compression='auto', sample_size=-1)"
    )
    try:
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]  # type: ignore[attr-defined]
    except duckdb.Error as exc:
        raise _data_error(exc, p) from exc
    _require_columns(columns, required, p)
    con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM {source}")  # type: ignore[attr-defined]


def _q(path: Path) -> str:
    return str(path).replace("'", "''")


def _data_error(exc: Exception, path: Path) -> DataError:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    hint = None
    low = str(exc).lower()
    if path.name.lower().endswith(".gz") or "gzip" in low or "zlib" in low:
        hint = "the compressed file is truncated or corrupt; download it again"
    elif "unicode" in low or "utf" in low:
        hint = "the file is not UTF-8"
    return DataError(f"cannot read: {text}", file=path, hint=hint)


class PatentsViewReader(Reader):
    """Inventor x location (x patent) TSVs -> ``patents`` points with fractional weights.

    ``paths`` are given in any order; they are told apart by their header.
    """

    source = "patents"
    name = "patentsview"

    def __init__(self, batch_size: int = 500_000, memory_limit: str | None = None) -> None:
        self.batch_size = batch_size
        self.memory_limit = memory_limit

    def iter_batches(
        self, paths: Sequence[PathLike], report: IngestReport
    ) -> Iterator[pl.DataFrame]:
        import duckdb

        roles = _roles(paths)
        if "inventor" not in roles or "location" not in roles:
            raise DataError(
                "PatentsView needs g_inventor_disambiguated and g_location_disambiguated",
                hint="pass both TSV files (and optionally g_patent.tsv for years)",
            )
        # unpacked zip members live as long as the run
        with tempfile.TemporaryDirectory(prefix="techhubs-patentsview-") as scratch:
            con = duckdb.connect()
            try:
                yield from self._batches(con, roles, report, Path(scratch))
            finally:
                con.close()

    def _batches(self, con: Any, roles: dict[str, PathLike], report: IngestReport,
                 scratch: Path) -> Iterator[pl.DataFrame]:
        import duckdb

        if self.memory_limit:
            con.execute(f"SET memory_limit='{self.memory_limit}'")
        inv, loc = roles["inventor"], roles["location"]
        _tsv(con, inv, INVENTOR_REQUIRED, "inv", scratch)
        _tsv(con, loc, LOCATION_REQUIRED, "loc", scratch)
        if "patent" in roles:
            _tsv(con, roles["patent"], PATENT_REQUIRED, "pat", scratch)
            year = "(SELECT patent_id, TRY_CAST(substr(patent_date, 1, 4) AS INTEGER) AS year FROM pat)"
        else:
            year = "(SELECT NULL::VARCHAR AS patent_id, NULL::INTEGER AS year WHERE false)"
        sql = f"""
            CREATE TEMP TABLE classified AS
            WITH r AS (
                SELECT inv.patent_id, inv.inventor_sequence, inv.inventor_id,
                       NULLIF(trim(inv.location_id), '') AS location_id,
                       row_number() OVER (PARTITION BY inv.patent_id, inv.inventor_sequence) AS dup,
                       count(*) OVER (PARTITION BY inv.patent_id) AS n_inventors
                FROM inv
            ),
            l AS (SELECT location_id, any_value(latitude) AS lat_text,
                         any_value(longitude) AS lon_text, any_value(disambig_city) AS city
                  FROM loc GROUP BY location_id)
            SELECT r.*, l.location_id IS NOT NULL AS known, l.lat_text, l.lon_text, l.city,
                   TRY_CAST(l.lat_text AS DOUBLE) AS latitude,
                   TRY_CAST(l.lon_text AS DOUBLE) AS longitude,
                   CASE
                     WHEN r.dup > 1 THEN '{DUPLICATE}'
                     WHEN r.location_id IS NULL THEN '{NO_LOCATION}'
                     WHEN l.location_id IS NULL THEN '{UNRESOLVED}'
                     WHEN NULLIF(trim(l.lat_text), '') IS NULL OR NULLIF(trim(l.lon_text), '') IS NULL
                       THEN '{NO_LOCATION}'
                     WHEN TRY_CAST(l.lat_text AS DOUBLE) IS NULL
                       OR TRY_CAST(l.lon_text AS DOUBLE) IS NULL THEN '{UNPARSEABLE}'
                     WHEN NOT (TRY_CAST(l.lat_text AS DOUBLE) BETWEEN -90 AND 90)
                       OR NOT (TRY_CAST(l.lon_text AS DOUBLE) BETWEEN -180 AND 180)
                       OR isnan(TRY_CAST(l.lat_text AS DOUBLE))
                       OR isnan(TRY_CAST(l.lon_text AS DOUBLE)) THEN '{OUT_OF_RANGE}'
                     ELSE NULL
                   END AS reason
            FROM r LEFT JOIN l USING (location_id)
        """
        try:
            con.execute(sql)
        except duckdb.Error as exc:
            raise _data_error(exc, Path(inv)) from exc
        total = con.execute("SELECT count(*) FROM classified").fetchone()
        report.read(int(total[0]) if total else 0)
        drops = con.execute(
            "SELECT reason, count(*) FROM classified WHERE reason IS NOT NULL "
            "GROUP BY reason ORDER BY 2 DESC"
        ).fetchall()
        for reason, count in drops:
            examples = con.execute(
                "SELECT patent_id, inventor_sequence, location_id FROM classified "
                "WHERE reason = ? ORDER BY patent_id, inventor_sequence LIMIT 5",
                [reason],
            ).fetchall()
            report.drop(
                reason,
                count=int(count),
                examples=[
                    Example(str(inv), None, f"patent {p} inventor {s}", f"location_id={lid}")
                    for p, s, lid in examples
                ],
            )
        result = con.sql(
            f"""
            SELECT c.latitude, c.longitude, 1.0 / c.n_inventors AS weight,
                   '{self.source}' AS source, y.year::INTEGER AS year, NULL::VARCHAR AS field,
                   c.patent_id || '/' || c.inventor_sequence AS id, c.city AS place
            FROM classified c LEFT JOIN {year} y USING (patent_id)
            WHERE c.reason IS NULL
            """
        )
        reader = result.to_arrow_reader(self.batch_size)
        for batch in reader:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            report.use(frame.height)
            yield frame


def _roles(paths: Sequence[PathLike]) -> dict[str, PathLike]:
    """Tell the TSVs apart by file name, falling back to their header line."""

    roles: dict[str, PathLike] = {}
    for path in paths:
        name = Path(path).name.lower()
        if "inventor" in name:
            roles["inventor"] = path
        elif "location" in name:
            roles["location"] = path
        elif "patent" in name:
            roles["patent"] = path
        else:
            header = next(iter(iter_raw_lines(path)), b"").decode("utf-8", "replace")
            if "inventor_sequence" in header:
                roles["inventor"] = path
            elif "disambig_city" in header:
                roles["location"] = path
            elif "patent_date" in header:
                roles["patent"] = path
            else:
                raise DataError(
                    "not a PatentsView inventor, location or patent table",
                    file=path,
                    line=1,
                    hint="expected g_inventor_disambiguated, g_location_disambiguated or g_patent",
                )
    return roles
