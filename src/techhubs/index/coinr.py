"""Read composite indicators in the layout of the R package COINr.

COINr describes a composite indicator with two tables: ``iData`` (one row per
unit: ``uCode``, ``uName``, group columns, denominators, indicator columns)
and ``iMeta`` (one row per indicator, aggregate, group or denominator:
``Level, iCode, iName, Direction, Weight, Unit, Target, Denominator, Parent,
Type``). :func:`methodology_from_imeta` turns ``iMeta`` into a techhubs
:class:`~techhubs.methodology.Methodology` and :func:`panel_from_idata` turns
``iData`` into a :class:`~techhubs.panel.Panel`, so a COINr example ranks with
``techhubs rank --data iData.csv --method iMeta.csv``.

The methodology is COINr's default build: raw data (the ``Denominator``
column is kept on each indicator but not applied, as COINr denominates only
when ``Denominate()`` is called), min-max to [0, 100], weighted arithmetic
means with the iMeta weights. The other normalisations keep COINr's defaults
too: percentile ranks on [0, 1] with tied values at their lowest rank
(``n_prank``), ranks with the same ties (``n_rank``), z-scores with mean 0 and
standard deviation 1 (``n_zscore``). ``denominate=True`` (``techhubs rank
--denominate``) divides by the denominators; any other step can be given as a
table (``normalise={"method": "zscore"}``), or written out as an editable
TOML file with ``techhubs methods --from-imeta iMeta.csv -f toml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from techhubs.errors import DataError, MethodologyError
from techhubs.methodology import Methodology, methodology_from_dict
from techhubs.panel import Panel

_IMETA_COLUMNS = ("iCode", "Type", "Parent")

COINR_NORMALISATION: dict[str, Any] = {
    "method": "minmax", "low": 0.0, "high": 100.0,  # n_minmax, l_u = c(0, 100)
    "mean": 0.0, "sd": 1.0,  # n_zscore, m_sd = c(0, 1)
    "scale": 1.0, "ties": "min",  # n_prank: (rank(x, ties.method = "min") - 1) / (n - 1)
}
"""COINr's ``Normalise()`` defaults, the ``[normalise]`` table of an imported iMeta."""


def is_imeta(path: str | Path) -> bool:
    path = Path(path)
    if path.suffix.lower() != ".csv" or not path.exists():
        return False
    with open(path, encoding="utf-8", errors="replace") as handle:
        header = handle.readline()
    return all(f'"{c}"' in header or c in header.split(",") for c in _IMETA_COLUMNS)


def _read(path: str | Path) -> pl.DataFrame:
    try:
        return pl.read_csv(path, null_values=["NA", ""], infer_schema_length=0)
    except Exception as exc:
        raise DataError(f"cannot read file: {exc}", file=path) from exc


def methodology_from_imeta(path: str | Path, denominate: bool = False,
                           **steps: dict[str, Any]) -> Methodology:
    """A methodology from a COINr ``iMeta`` table: COINr's default build (raw data,
    min-max 0-100, arithmetic means); ``denominate=True`` applies the iMeta
    denominators; ``steps`` replace whole step tables, e.g. ``impute={"method": "mean"}``
    (a ``normalise`` table over COINr's defaults of the parameters it leaves out)."""
    meta = _read(path)
    missing = [c for c in ("iCode", "Type", "Parent", "Weight") if c not in meta.columns]
    if missing:
        raise MethodologyError(f"missing iMeta column {missing[0]!r}", file=path, key=missing[0])
    indicators, nodes = [], []
    for line, row in enumerate(meta.iter_rows(named=True), start=2):
        kind = row["Type"]
        if kind not in ("Indicator", "Aggregate"):
            continue  # groups, denominators and other columns describe iData, not the tree
        try:
            weight = float(row["Weight"])
        except (TypeError, ValueError) as exc:
            raise MethodologyError(f"weight {row['Weight']!r} is not a number", file=path,
                                   line=line, key=f"{row['iCode']}.Weight") from exc
        entry: dict[str, Any] = {"code": row["iCode"], "name": row.get("iName") or row["iCode"],
                                 "weight": weight}
        if row["Parent"]:
            entry["parent"] = row["Parent"]
        if kind == "Indicator":
            direction = row.get("Direction")
            entry["direction"] = int(float(direction)) if direction else 1
            if row.get("Denominator"):
                entry["denominator"] = row["Denominator"]
            if row.get("Unit"):
                entry["unit"] = row["Unit"]
            indicators.append(entry)
        else:
            nodes.append(entry)
    raw: dict[str, Any] = {
        "name": Path(path).stem,
        "title": f"COINr composite from {Path(path).name}",
        "indicator": indicators,
        "node": nodes,
        "denominate": {"method": "ratio" if denominate else "none"},
        "aggregate": {"method": "arithmetic"},
        **steps,
        "normalise": {**COINR_NORMALISATION, **steps.get("normalise", {})},
    }
    return methodology_from_dict(raw, origin=str(path))


def panel_from_idata(frame: pl.DataFrame, file: str | Path | None = None) -> Panel:
    """A panel from a COINr ``iData`` table (``uCode`` -> unit_id, ``uName`` -> name)."""
    renamed = frame.rename({"uCode": "unit_id", **({"uName": "name"} if "uName" in frame.columns
                                                   else {})})
    # Group columns (e.g. GDP_group) stay unit attributes; Time is not an indicator.
    renamed = renamed.drop([c for c in ("Time",) if c in renamed.columns])
    text_groups = [c for c in renamed.columns if c.endswith("_group")]
    renamed = renamed.with_columns(pl.col(text_groups).cast(pl.Utf8))
    numeric = [{"code": c} for c in renamed.columns
               if c not in ("unit_id", "name", *text_groups)]
    return Panel.from_frame(renamed, indicators=numeric, file=file,
                            provenance={"layout": "COINr iData"})
