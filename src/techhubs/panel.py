"""The indicator panel: units x indicators, with metadata and provenance.

A :class:`Panel` is what every ranking starts from. Reference editions,
user data files and bottom-up clusters all become a Panel, and the index
engine (:mod:`techhubs.index`) never looks further upstream.

Layout of a panel data file (CSV, TSV or Parquet), one row per unit::

    unit_id, name, economies, [latitude, longitude, population, members,]
    <indicator columns ...>

``economies`` holds ISO 3166 alpha-2 codes separated by ``/`` (``CN/HK``),
``members`` member places separated by ``;``. Every other column is an
indicator and must be numeric (empty cells are missing values).

A file may have a metadata file beside it, ``<file>.provenance.json`` (written by
``techhubs enrich``): its ``indicators`` list (``code`` plus any of ``name``,
``unit``, ``direction``, ``source``, ``period``, ``world_total``) describes the
columns, e.g. the world totals a share normalisation divides by. Metadata given by
the caller (a methodology) comes first; the file fills what it leaves empty.

This is the validation boundary of panel data: every row has as many fields
as the header, no column name appears twice, every number is finite (``inf`` or
``1e400`` are errors; an empty cell, ``NA``, ``NaN``, ``n/a`` or ``..`` is a missing value), latitude and longitude are in
range and every economy is an ISO 3166 code; each problem is one
:class:`~techhubs.errors.DataError` naming the file, the line and the column.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from techhubs import jsonio
from techhubs._version import __version__
from techhubs.errors import DataError, UnknownNameError
from techhubs.geo.gazetteer import load_countries
from techhubs.geo.text import fold

UNIT_COLUMNS = ("unit_id", "name", "economies", "latitude", "longitude", "population", "members")
INDICATOR_COLUMNS = ("code", "name", "unit", "direction", "source", "period", "world_total")

_UNIT_SCHEMA: dict[str, pl.DataType] = {
    "unit_id": pl.Utf8(),
    "name": pl.Utf8(),
    "economies": pl.List(pl.Utf8()),
    "latitude": pl.Float64(),
    "longitude": pl.Float64(),
    "population": pl.Float64(),
    "members": pl.List(pl.Utf8()),
}
_INDICATOR_SCHEMA: dict[str, pl.DataType] = {
    "code": pl.Utf8(),
    "name": pl.Utf8(),
    "unit": pl.Utf8(),
    "direction": pl.Int8(),
    "source": pl.Utf8(),
    "period": pl.Utf8(),
    "world_total": pl.Float64(),
}


METADATA_SUFFIX = ".provenance.json"
"""The metadata file beside a panel data file: ``<file>.provenance.json``."""


def metadata_path(path: str | Path) -> Path:
    """Where the metadata of the panel data file ``path`` lives."""
    target = Path(path)
    return target.with_name(target.name + METADATA_SUFFIX)


def read_metadata(path: str | Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The indicator metadata and the other provenance in ``path``'s metadata file
    (both empty when there is none); a DataError names the file and the key."""
    meta = metadata_path(path)
    if not meta.is_file():
        return [], {}
    doc = jsonio.read_object(meta, "the metadata")
    entries = doc.get("indicators", [])
    if not isinstance(entries, list):
        raise DataError("'indicators' must be a list of objects", file=meta, key="indicators")
    out = []
    for i, entry in enumerate(entries):
        key = f"indicators[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("code"), str):
            raise DataError("an indicator needs a text 'code'", file=meta, key=key)
        unknown = sorted(set(entry) - set(INDICATOR_COLUMNS))
        if unknown:
            raise DataError(f"unknown key {unknown[0]!r}", file=meta, key=f"{key}.{unknown[0]}",
                            hint=f"keys: {', '.join(INDICATOR_COLUMNS)}")
        total = entry.get("world_total")
        if total is not None and (isinstance(total, bool) or not isinstance(total, int | float)
                                  or not math.isfinite(total) or total <= 0):
            raise DataError(f"world total {total!r} is not a positive number", file=meta,
                            key=f"{key}.world_total")
        direction = entry.get("direction")
        if direction is not None and direction not in (1, -1):
            raise DataError(f"direction {direction!r} is not 1 or -1", file=meta,
                            key=f"{key}.direction")
        out.append(entry)
    return out, {k: v for k, v in doc.items() if k != "indicators"}


def _merge_metadata(first: Sequence[Mapping[str, Any]] | pl.DataFrame | None,
                    then: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]] | pl.DataFrame | None:
    """Indicator metadata: ``first``'s fields, ``then``'s where ``first`` leaves them empty."""
    if not then:
        return first if first is None or isinstance(first, pl.DataFrame) else [
            dict(m) for m in first]
    rows = first.to_dicts() if isinstance(first, pl.DataFrame) else [dict(m) for m in first or []]
    by_code = {str(m["code"]): m for m in rows}
    for entry in then:
        mine = by_code.get(entry["code"])
        if mine is None:
            rows.append(dict(entry))
        else:
            for key, value in entry.items():
                if mine.get(key) in (None, ""):
                    mine[key] = value
    return rows


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Panel:
    """Units x indicators, with metadata and provenance.

    Attributes
    ----------
    units:
        One row per unit: ``unit_id`` (unique), ``name``, ``economies``
        (list of ISO2), ``latitude``, ``longitude``, ``population``,
        ``members`` (list of places); extra columns (e.g. groups) are kept.
    indicators:
        One row per indicator: ``code``, ``name``, ``unit``, ``direction``
        (+1/-1), ``source``, ``period``, ``world_total`` (may be null).
    values:
        ``unit_id`` plus one Float64 column per indicator code, rows in the
        order of ``units``; null means missing.
    provenance:
        Where the figures come from (edition, file hashes, version...). It
        is copied into every output built from this panel.
    reference:
        Optional published figures for the same units (e.g. published
        ranks and shares of a reference edition), keyed by ``unit_id``.
    """

    units: pl.DataFrame
    indicators: pl.DataFrame
    values: pl.DataFrame
    provenance: Mapping[str, Any] = field(default_factory=dict)
    reference: pl.DataFrame | None = None

    # ------------------------------------------------------------------ basics
    @property
    def n_units(self) -> int:
        return self.units.height

    @property
    def unit_ids(self) -> list[str]:
        return self.units["unit_id"].to_list()

    @property
    def indicator_codes(self) -> list[str]:
        return self.indicators["code"].to_list()

    def has(self, code: str) -> bool:
        """Whether ``code`` is an indicator or a numeric unit attribute (e.g. population)."""
        return code in self._numeric_columns

    @functools.cached_property
    def _numeric_columns(self) -> frozenset[str]:
        # asked for every indicator of every fit (and every what-if): a set, built once
        numeric = (name for name, dtype in self.units.schema.items() if dtype.is_numeric())
        return frozenset((*self.values.columns, *numeric))

    def column(self, code: str) -> np.ndarray:
        """Values of one indicator (or numeric unit attribute) as float64 with NaN."""
        if code in self.values.columns and code != "unit_id":
            series = self.values[code]
        elif code in self.units.columns and self.units[code].dtype.is_numeric():
            series = self.units[code]
        else:
            raise DataError(f"no indicator or numeric unit column named {code!r}", key=code)
        return series.cast(pl.Float64).fill_null(float("nan")).to_numpy().astype(np.float64)

    def matrix(self, codes: Sequence[str]) -> np.ndarray:
        """Values as an (n_units, len(codes)) float64 array, NaN for missing."""
        if not codes:
            return np.empty((self.n_units, 0))
        return np.column_stack([self.column(c) for c in codes])

    def indicator_meta(self, code: str) -> dict[str, Any]:
        rows = self.indicators.filter(pl.col("code") == code)
        return rows.row(0, named=True) if rows.height else {}

    def world_total(self, code: str) -> float | None:
        meta = self.indicator_meta(code)
        value = meta.get("world_total")
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return float(value)

    def unit_index(self, query: str) -> int:
        """Index of a unit by id or (case/dash-insensitive) name."""

        ids = self.unit_ids
        if query in ids:
            return ids.index(query)
        wanted = _loose(query)
        names = self.units["name"].to_list()
        exact = [i for i, n in enumerate(names) if _loose(n) == wanted]
        if len(exact) == 1:
            return exact[0]
        partial = [i for i, n in enumerate(names) if wanted and wanted in _loose(n)]
        if len(partial) == 1:
            return partial[0]
        choices = ", ".join(names[i] for i in (partial or exact)[:8])
        hint = f"did you mean one of: {choices}" if (partial or exact) else None
        raise UnknownNameError(
            f"no unit named {query!r}" + (" (ambiguous)" if len(partial) > 1 else ""),
            key=query,
            hint=hint or "list units with `techhubs rank`",
        )

    def with_values(self, values: pl.DataFrame) -> Panel:
        return replace(self, values=values)

    def with_provenance(self, **items: Any) -> Panel:
        return replace(self, provenance={**self.provenance, **items})

    # ----------------------------------------------------------- constructors
    @classmethod
    def from_frame(
        cls,
        frame: pl.DataFrame,
        *,
        indicators: pl.DataFrame | Sequence[Mapping[str, Any]] | None = None,
        provenance: Mapping[str, Any] | None = None,
        reference: pl.DataFrame | None = None,
        file: str | Path | None = None,
        line_offset: int = 2,
    ) -> Panel:
        """Build a panel from a wide table (see the module docstring for the layout).

        ``line_offset`` is the file line of the first data row (2 for a CSV with
        a header) so that errors can name the line.
        """
        if "unit_id" not in frame.columns:
            raise DataError(
                "missing required column 'unit_id'",
                file=file,
                key="unit_id",
                hint=f"columns found: {', '.join(frame.columns[:12])}",
            )
        ids = frame["unit_id"].cast(pl.Utf8)
        if ids.null_count():
            row = int(ids.is_null().arg_true()[0])
            raise DataError("empty unit_id", file=file, line=row + line_offset, key="unit_id")
        dup = ids.is_duplicated()
        if dup.any():
            rows = dup.arg_true().to_list()
            raise DataError(
                f"duplicate unit id {ids[rows[1]]!r} (also on line {rows[0] + line_offset})",
                file=file,
                line=rows[1] + line_offset,
                key="unit_id",
            )
        unit_cols = [c for c in frame.columns if c in UNIT_COLUMNS]
        # A text column is a unit attribute unless every filled cell is a number (a CSV is
        # read as text, so that bad numbers can be named by line).
        extra_unit_cols = [
            c for c in frame.columns
            if c not in UNIT_COLUMNS and frame[c].dtype == pl.Utf8 and not _all_numbers(frame[c])
        ]
        meta_codes = _indicator_codes(indicators)
        indicator_cols = [
            c for c in frame.columns if c not in UNIT_COLUMNS and c not in extra_unit_cols
        ]
        # Text columns named as indicators are data errors, not unit attributes.
        for code in meta_codes:
            if code in extra_unit_cols:
                extra_unit_cols.remove(code)
                indicator_cols.append(code)
        values = {"unit_id": ids}
        for code in indicator_cols:
            values[code] = _numeric(frame[code], code, file, line_offset)
        units = _normalise_units(frame.select(unit_cols + extra_unit_cols).with_columns(ids),
                                 file, line_offset)
        ind = _indicator_table(indicator_cols, indicators)
        prov = {"techhubs": __version__, **(provenance or {})}
        if file is not None and "file" not in prov:
            prov["file"] = str(file)
            prov["sha256"] = file_sha256(file)
        return cls(units=units, indicators=ind, values=pl.DataFrame(values), provenance=prov,
                   reference=reference)

    @classmethod
    def read(
        cls,
        path: str | Path,
        *,
        indicators: pl.DataFrame | Sequence[Mapping[str, Any]] | None = None,
    ) -> Panel:
        """Read a panel data file (``.csv``, ``.tsv``/``.txt`` or ``.parquet``)."""
        path = Path(path)
        if not path.exists():
            raise DataError("file not found", file=path)
        suffix = path.suffix.lower()
        if path.stat().st_size == 0:
            raise DataError("the file is empty (no data rows)", file=path)
        try:
            if suffix in (".parquet", ".pq"):
                frame = pl.read_parquet(path)
            elif suffix in (".csv", ".tsv", ".txt"):
                sep = "\t" if suffix in (".tsv", ".txt") else ","
                check_text_table(path, sep)
                # Read everything as text: we check numbers ourselves to name the line.
                frame = pl.read_csv(path, separator=sep, infer_schema=False)
            else:
                raise DataError(
                    f"unsupported file type {suffix!r}", file=path,
                    hint="use .csv, .tsv or .parquet",
                )
        except DataError:
            raise
        except Exception as exc:  # polars parse errors: report them as data errors
            raise DataError(f"cannot read file: {exc}", file=path) from exc
        if frame.height == 0:
            raise DataError("the file has no data rows", file=path)
        described, provenance = read_metadata(path)
        if described:
            provenance["metadata_file"] = str(metadata_path(path))
        return cls.from_frame(frame, indicators=_merge_metadata(indicators, described),
                              provenance={k: v for k, v in provenance.items()
                                          if isinstance(v, str | int | float)},
                              file=path)


def _all_numbers(series: pl.Series) -> bool:
    """Whether a text column has filled cells and every one reads as a number."""
    text = series.str.strip_chars()
    filled = text.is_not_null() & (text != "")
    if not filled.any():
        return False
    numbers = text.filter(filled).cast(pl.Float64, strict=False)
    return numbers.null_count() == 0


def _loose(text: str) -> str:
    return fold(text)


def check_text_table(path: Path, sep: str) -> None:
    """A CSV/TSV file is UTF-8 text whose header names each column once and whose every
    row has as many fields as the header (a ragged row would shift values into the
    wrong columns, silently)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise DataError(f"not UTF-8 text (byte {exc.start})", file=path, line=line,
                        hint="save the table as UTF-8 CSV") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header = next(reader, None)
    if not header:
        raise DataError("the file has no header line", file=path, line=1)
    names = [h.strip() for h in header]
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise DataError(f"column {name!r} appears twice in the header (columns "
                            f"{seen[name] + 1} and {i + 1})", file=path, line=1, key=name)
        seen[name] = i
    for row in reader:
        if row and len(row) != len(names):
            raise DataError(f"{len(row)} fields where the header has {len(names)}",
                            file=path, line=reader.line_num,
                            hint="a ragged row shifts values into other columns: check the "
                            "separators and quotes of this line")


@functools.cache
def iso_codes() -> frozenset[str]:
    """ISO 3166 alpha-2 codes: the gazetteer's countries and the codes ISO 3166 leaves to
    its users (AA, QM-QZ, XA-XZ, ZZ: groupings, placeholders, Kosovo's XK)."""
    user = {"AA", "ZZ", *(f"Q{c}" for c in "MNOPQRSTUVWXYZ"),
            *(f"X{c}" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
    return frozenset(load_countries()["iso"].to_list()) | user


def economy_code(value: str, key: str = "economy") -> str:
    """``"de"`` -> ``"DE"``: the one check of an economy someone asks for (a filter, a
    preference); a malformed code is a :class:`DataError`, an unassigned one an
    :class:`UnknownNameError`."""
    code = value.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise DataError(f"economy {value[:20]!r} is not an ISO 3166 alpha-2 code", key=key,
                        hint="e.g. US, CN, JP, DE")
    if code not in iso_codes():
        raise UnknownNameError(f"no economy with code {code!r}", key=key,
                               hint="an ISO 3166 alpha-2 code, e.g. US, CN, JP, DE")
    return code


def _indicator_codes(indicators: Any) -> list[str]:
    if indicators is None:
        return []
    if isinstance(indicators, pl.DataFrame):
        return indicators["code"].to_list()
    return [str(m["code"]) for m in indicators]


def _numeric(series: pl.Series, code: str, file: str | Path | None, line_offset: int,
             what: str = "indicator column") -> pl.Series:
    if series.dtype.is_numeric():
        parsed = series.cast(pl.Float64).fill_nan(None)  # NaN in a numeric column: missing
        _check_finite(parsed, parsed.cast(pl.Utf8), code, file, line_offset)
        return parsed.alias(code)
    text = series.cast(pl.Utf8).str.strip_chars()
    text = pl.Series(code, text).replace({"": None, "NA": None, "NaN": None, "nan": None,
                                          "..": None, "n/a": None})
    parsed = text.str.replace_all(",", "").cast(pl.Float64, strict=False)
    bad = parsed.is_null() & text.is_not_null()
    if bad.any():
        row = int(bad.arg_true()[0])
        raise DataError(
            f"non-numeric value {text[row]!r} in {what} {code!r}",
            file=file,
            line=row + line_offset,
            key=code,
            hint="indicator columns hold numbers; leave the cell empty for a missing value",
        )
    _check_finite(parsed, text, code, file, line_offset)
    return parsed.alias(code)


def _check_finite(parsed: pl.Series, text: pl.Series, code: str, file: str | Path | None,
                  line_offset: int) -> None:
    bad = parsed.is_not_null() & ~parsed.is_finite()
    if bad.any():
        row = int(bad.arg_true()[0])
        raise DataError(
            f"value {text[row]!r} in column {code!r} is not a finite number", file=file,
            line=row + line_offset, key=code,
            hint="infinite or out-of-range values (beyond about 1.8e308) cannot be ranked; "
            "leave the cell empty for a missing value")


def _check_range(series: pl.Series, code: str, lo: float, hi: float,
                 file: str | Path | None, line_offset: int) -> None:
    bad = series.is_not_null() & ~series.is_between(lo, hi)
    if bad.any():
        row = int(bad.arg_true()[0])
        raise DataError(f"{code} {series[row]!r} is outside [{lo:g}, {hi:g}]", file=file,
                        line=row + line_offset, key=code)


def _split_list(series: pl.Series, sep: str) -> pl.Series:
    if series.dtype == pl.List(pl.Utf8):
        return series
    return (
        series.cast(pl.Utf8)
        .fill_null("")
        .str.split(sep)
        .list.eval(pl.element().str.strip_chars())
        .list.eval(pl.element().filter(pl.element() != ""))
    )


def _normalise_units(frame: pl.DataFrame, file: str | Path | None = None,
                     line_offset: int = 2) -> pl.DataFrame:
    n = frame.height
    cols: dict[str, pl.Series] = {"unit_id": frame["unit_id"].cast(pl.Utf8)}
    cols["name"] = (
        frame["name"].cast(pl.Utf8).fill_null(frame["unit_id"])
        if "name" in frame.columns
        else cols["unit_id"].alias("name")
    )
    cols["economies"] = (
        _split_list(frame["economies"], "/").list.eval(pl.element().str.to_uppercase())
        if "economies" in frame.columns
        else pl.Series("economies", [[] for _ in range(n)], dtype=pl.List(pl.Utf8))
    )
    limits = {"latitude": (-90.0, 90.0), "longitude": (-180.0, 180.0),
              "population": (0.0, 1e11)}
    for num, (lo, hi) in limits.items():
        if num in frame.columns:
            cols[num] = _numeric(frame[num], num, file, line_offset, "column")
            _check_range(cols[num], num, lo, hi, file, line_offset)
        else:
            cols[num] = pl.Series(num, [None] * n, dtype=pl.Float64)
    cols["members"] = (
        _split_list(frame["members"], ";")
        if "members" in frame.columns
        else pl.Series("members", [[] for _ in range(n)], dtype=pl.List(pl.Utf8))
    )
    _check_economies(cols["economies"], file, line_offset)
    out = pl.DataFrame([s.alias(k) for k, s in cols.items()])
    extras = [c for c in frame.columns if c not in UNIT_COLUMNS]
    if extras:
        out = out.with_columns(frame.select(extras))
    return out


def _check_economies(economies: pl.Series, file: str | Path | None, line_offset: int) -> None:
    known = iso_codes()
    for row, codes in enumerate(economies.to_list()):
        for code in codes or []:
            if code not in known:
                raise DataError(f"economy {code!r} is not an ISO 3166 alpha-2 code", file=file,
                                line=row + line_offset, key="economies",
                                hint="write two-letter codes separated by '/', e.g. CN/HK")


def _indicator_table(
    codes: Sequence[str], indicators: pl.DataFrame | Sequence[Mapping[str, Any]] | None
) -> pl.DataFrame:
    given: dict[str, Mapping[str, Any]] = {}
    if isinstance(indicators, pl.DataFrame):
        given = {r["code"]: r for r in indicators.iter_rows(named=True)}
    elif indicators is not None:
        given = {str(m["code"]): m for m in indicators}
    rows = []
    for code in codes:
        meta = given.get(code, {})
        rows.append(
            {
                "code": code,
                "name": meta.get("name") or code,
                "unit": meta.get("unit") or "",
                "direction": int(meta.get("direction") or 1),
                "source": meta.get("source") or "",
                "period": str(meta.get("period") or ""),
                "world_total": (float(meta["world_total"]) if meta.get("world_total") is not None
                                else None),
            }
        )
    return pl.DataFrame(rows, schema=_INDICATOR_SCHEMA)
