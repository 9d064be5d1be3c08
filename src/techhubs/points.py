"""The points table: geocoded activity, one row per (fractional) record or location.

This is the contract between ``sources/`` + ``geo/`` (which produce points) and
``aggregate/`` + ``clusters/`` (which consume them).

Columns
-------
latitude : Float64, degrees in [-90, 90]
longitude : Float64, degrees in [-180, 180]
weight : Float64, in [0, 1e12] (fractional counts: 1/n for a document with n inventors;
    a record weighing more than :data:`MAX_POINT_WEIGHT` is a data error, not activity)
source : Utf8, e.g. ``patents``, ``publications``, ``vc``, ``institutions``
year : Int32, optional
field : Utf8, optional
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from techhubs.errors import DataError

REQUIRED_COLUMNS: dict[str, pl.DataType] = {
    "latitude": pl.Float64(),
    "longitude": pl.Float64(),
    "weight": pl.Float64(),
    "source": pl.Utf8(),
}
OPTIONAL_COLUMNS: dict[str, pl.DataType] = {
    "year": pl.Int32(),
    "field": pl.Utf8(),
}
KNOWN_SOURCES = ("patents", "publications", "vc", "institutions")


DEFAULT_PRECISION = 2
"""Decimal digits kept by :func:`round_locations` (0.01° ≈ 1.1 km north-south).

Two digits merge the many spellings of one street address or campus into one
location, yet stay an order of magnitude finer than the default clustering
radius (see :mod:`techhubs.clusters`), so rounding never decides cluster
membership on its own."""

MAX_PRECISION = 6
"""The most decimal digits a location can be rounded to (1e-6° is about 0.1 m)."""

MAX_POINT_WEIGHT = 1e12
"""The largest weight one record may carry: sums of millions of them stay exact enough and
finite. Heavier rows are dropped (and counted) as ``weight_too_large``."""

BAD_REASONS = (
    "non_numeric",
    "missing_value",
    "non_finite",
    "latitude_out_of_range",
    "longitude_out_of_range",
    "negative_weight",
    "weight_too_large",
)
"""Why a point is dropped, in the order the checks run (a row counts once, first reason)."""


@dataclass(frozen=True)
class PointsReport:
    """What :func:`validate_points` did with every input row.

    Row numbers are 1-based positions among the data rows (in a CSV file with a
    header, data row ``k`` is on line ``k + 1``).
    """

    rows_read: int
    rows_used: int
    dropped: dict[str, int] = field(default_factory=dict)
    rows: dict[str, list[int]] = field(default_factory=dict)
    file: str | None = None

    @property
    def rows_dropped(self) -> int:
        return self.rows_read - self.rows_used

    def describe(self, max_rows: int = 10) -> str:
        """Human-readable summary: counts per reason and the first row numbers."""
        where = f"{self.file}: " if self.file else ""
        text = (
            f"{where}{self.rows_read} rows read, {self.rows_used} used, {self.rows_dropped} dropped"
        )
        for reason in BAD_REASONS:
            n = self.dropped.get(reason, 0)
            if n:
                shown = ", ".join(str(r) for r in self.rows[reason][:max_rows])
                more = ", ..." if n > max_rows else ""
                text += f"\n  {reason.replace('_', ' ')}: {n} rows ({shown}{more})"
        return text

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "rows_dropped": self.rows_dropped,
            "dropped": dict(self.dropped),
            "rows": {k: list(v) for k, v in self.rows.items()},
        }


def validate_points(
    df: pl.DataFrame, file: str | Path | None = None, *, strict: bool = False
) -> tuple[pl.DataFrame, PointsReport]:
    """Check a points table and split it into usable rows and counted bad rows.

    Returns the usable rows, cast to the schema in this module's docstring, and a
    :class:`PointsReport` that counts every dropped row by reason (see
    :data:`BAD_REASONS`) with its row number. Nothing is dropped silently.

    Raises :class:`~techhubs.errors.DataError` when a required column is missing
    or cannot be read as a number, and, with ``strict=True``, when any row is bad
    (the message names the file, the reason and the first bad rows).
    """
    name = str(file) if file is not None else None
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise DataError(
            f"points table lacks required column(s) {', '.join(missing)}",
            file=name,
            hint="columns are latitude, longitude, weight, source (year, field optional)",
        )
    casts: list[pl.Expr] = []
    unreadable: list[pl.Expr] = []
    for col, dtype in {**REQUIRED_COLUMNS, **OPTIONAL_COLUMNS}.items():
        if col not in df.columns:
            continue
        if df[col].dtype == pl.Utf8 and dtype.is_numeric():
            # a text cell that is no number is a counted bad row, not the whole file's end
            number = pl.col(col).str.strip_chars().cast(dtype, strict=False)
            unreadable.append(pl.col(col).is_not_null() & number.is_null())
            casts.append(number)
            continue
        try:
            df.select(pl.col(col).cast(dtype, strict=True))
        except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError) as exc:
            raise DataError(
                f"column {col!r} cannot be read as {dtype}: {str(exc).splitlines()[0]}",
                file=name,
                key=col,
            ) from None
        casts.append(pl.col(col).cast(dtype))
    typed = df.with_columns(pl.any_horizontal(unreadable).alias("__unreadable")
                            if unreadable else pl.lit(False).alias("__unreadable"))
    typed = typed.with_columns(casts)
    lat, lon, w = pl.col("latitude"), pl.col("longitude"), pl.col("weight")
    checks = {
        "non_numeric": pl.col("__unreadable"),
        "missing_value": pl.any_horizontal(
            lat.is_null(), lon.is_null(), w.is_null(), pl.col("source").is_null()
        ),
        "non_finite": ~pl.all_horizontal(lat.is_finite(), lon.is_finite(), w.is_finite()),
        "latitude_out_of_range": (lat < -90.0) | (lat > 90.0),
        "longitude_out_of_range": (lon < -180.0) | (lon > 180.0),
        "negative_weight": w < 0.0,
        "weight_too_large": w > MAX_POINT_WEIGHT,
    }
    reason_expr = pl.lit(None, dtype=pl.Utf8)
    for reason in reversed(BAD_REASONS):
        reason_expr = (
            pl.when(checks[reason].fill_null(False)).then(pl.lit(reason)).otherwise(reason_expr)
        )
    tagged = typed.with_columns(
        reason_expr.alias("__reason"), pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("__row")
    )
    bad = tagged.filter(pl.col("__reason").is_not_null()).select("__reason", "__row")
    dropped: dict[str, int] = {}
    rows: dict[str, list[int]] = {}
    for reason in BAD_REASONS:
        r = bad.filter(pl.col("__reason") == reason)["__row"].to_list()
        if r:
            dropped[reason] = len(r)
            rows[reason] = r
    good = tagged.filter(pl.col("__reason").is_null()).drop("__reason", "__row", "__unreadable")
    report = PointsReport(
        rows_read=df.height, rows_used=good.height, dropped=dropped, rows=rows, file=name
    )
    if strict and dropped:
        first = BAD_REASONS[min(BAD_REASONS.index(r) for r in dropped)]
        shown = ", ".join(str(r) for r in rows[first][:5])
        raise DataError(
            f"{report.rows_dropped} bad point(s); {dropped[first]} with "
            f"{first.replace('_', ' ')} (rows {shown}{', ...' if dropped[first] > 5 else ''})",
            file=name,
            line=rows[first][0],
            key=first,
            hint="fix or remove these rows, or run without strict to drop them with a report",
        )
    return good, report


def round_locations(
    points: pl.DataFrame,
    precision: int = DEFAULT_PRECISION,
    by: tuple[str, ...] | list[str] = ("source", "year"),
) -> pl.DataFrame:
    """De-duplicate validated points into weighted "rounded locations".

    Latitude and longitude are rounded half-up to ``precision`` decimal digits,
    ``floor(x * 10**precision + 0.5) / 10**precision`` in float64 (the same rule
    as the SQL aggregation engine, so both give identical locations). Rows are
    grouped by the rounded coordinates and those ``by`` columns that are present.

    Returns columns latitude, longitude, the present ``by`` columns, weight (sum)
    and n_records (count), sorted by the ``by`` columns then coordinates.
    """
    if not 0 <= precision <= MAX_PRECISION:
        raise ValueError(f"precision must be between 0 and {MAX_PRECISION} decimal digits, "
                         f"got {precision}")
    scale = float(10**precision)
    keys = [c for c in by if c in points.columns]
    rounded = points.select(
        ((pl.col("latitude").cast(pl.Float64) * scale + 0.5).floor() / scale).alias("latitude"),
        ((pl.col("longitude").cast(pl.Float64) * scale + 0.5).floor() / scale).alias("longitude"),
        *[pl.col(c) for c in keys],
        pl.col("weight").cast(pl.Float64),
    )
    return sum_by(rounded, [*keys, "latitude", "longitude"], ["weight"], count="n_records"
                  ).select("latitude", "longitude", *keys, "weight", "n_records")


def sum_sql(expr: str) -> str:
    """DuckDB SQL for the sum of ``expr`` that a rerun repeats bit for bit.

    DuckDB's ``sum`` of doubles adds per-thread partial sums in the order its threads
    finish, so the last bits change from run to run. ``fsum`` is a compensated
    (Kahan-Babuska) sum: its partial results carry their rounding error with them,
    which leaves the sum correctly rounded for the non-negative weights techhubs adds
    (the order of the threads no longer shows), at the speed of ``sum``.
    """
    return f"fsum({expr})"


def sum_by(frame: pl.DataFrame, keys: Sequence[str], sums: Sequence[str], *,
           count: str | None = None) -> pl.DataFrame:
    """One row per distinct ``keys`` (sorted by them, nulls last) with the sum of each
    ``sums`` column and, when ``count`` names it, the number of rows.

    A group's rows are added in row order by one NumPy call (``np.add.reduceat``), a
    fixed sequence of operations, so the same rows give the same bits on every run. A
    parallel group-by adds per-thread partial sums in the order the threads finish,
    which changes the last bits of a float sum from run to run (and with them a results
    file). Null keys form one group; NaN keys are not expected (locations are validated
    first).

    Examples
    --------
    >>> import polars as pl
    >>> f = pl.DataFrame({"s": ["b", "a", "b"], "w": [0.1, 0.2, 0.3]})
    >>> sum_by(f, ["s"], ["w"], count="n").rows()
    [('a', 0.2, 1), ('b', 0.4, 2)]
    """
    keys = list(keys)
    ordered = frame.select(*keys, *sums).sort(keys, maintain_order=True, nulls_last=True)
    starts = np.zeros(0, dtype=np.int64)
    if ordered.height:
        change = ordered.select(pl.any_horizontal(
            [pl.col(k).ne_missing(pl.col(k).shift(1)) for k in keys]).fill_null(True))
        starts = np.flatnonzero(change.to_series().to_numpy())
    out = ordered.select(keys)[starts].with_columns(
        pl.Series(c, np.add.reduceat(ordered[c].to_numpy(), starts), dtype=ordered.schema[c])
        for c in sums)
    if count is not None:
        sizes = np.diff(np.append(starts, ordered.height))
        out = out.with_columns(pl.Series(count, sizes, dtype=pl.Int64))
    return out
