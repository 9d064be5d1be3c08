"""A ranking: the table users read, with its provenance, and its exports."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from techhubs import jsonio
from techhubs.errors import TechhubsError
from techhubs.panel import Panel, economy_code, file_sha256

if TYPE_CHECKING:  # annotations only: a saved ranking is read without the engine
    from techhubs.index.composite import Composite
    from techhubs.methodology import Methodology



@dataclass(frozen=True)
class Ranking:
    """Ranked units.

    ``table`` columns: ``rank``, ``unit_id``, ``name``, ``economies``,
    ``score``, then for each indicator the raw value (``<code>``) and the
    normalised value (``<code>__norm``), then each aggregate node's score
    (``<node>__score``), then, when the panel carries published reference
    figures, ``published_rank``, ``previous_rank`` and ``change``
    (previous - rank: positive means the unit moved up).
    """

    table: pl.DataFrame
    provenance: dict[str, Any] = field(default_factory=dict)
    indicators: tuple[str, ...] = ()
    nodes: tuple[str, ...] = ()
    log: tuple[dict[str, Any], ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    """Human names of indicators and nodes (code -> name), for headers."""
    pillars: tuple[str, ...] = ()
    """The root's children (the top-level pillars) when the tree has more than one level."""
    notes: tuple[str, ...] = ()
    """Lines every view prints under the table (e.g. which figures are published)."""

    def label(self, code: str) -> str:
        return self.labels.get(code) or code.replace("_", " ")

    def header(self, code: str, width: int | None = None) -> str:
        """A column header: the label without its parenthesis, cut at a word within ``width``.

        >>> Ranking(pl.DataFrame(), labels={"pct": "PCT applications (inventors)"}).header("pct")
        'PCT applications'
        """
        text = self.label(code)
        text = re.sub(r"\s*\(.*?\)", "", text).strip() or text
        if width is None or len(text) <= width:
            return text
        return text[:width - 1].rsplit(" ", 1)[0] + "…"

    def _with_table(self, table: pl.DataFrame) -> Ranking:
        return replace(self, table=table)

    @classmethod
    def from_composite(cls, c: Composite) -> Ranking:
        """The ranking of a fitted composite (the same object as ``c.ranking_``)."""
        return c.ranking_

    # --------------------------------------------------------------- access
    def __len__(self) -> int:
        return self.table.height

    def top(self, n: int | None) -> Ranking:
        if n is None:
            return self
        if n < 1:
            raise TechhubsError("--top must be at least 1", key="top")
        # Units tied at rank n all stay in.
        return self._with_table(self.table.filter(pl.col("rank") <= n))

    def filter_economy(self, economy: str | None) -> Ranking:
        if not economy:
            return self
        code = economy_code(economy)
        table = self.table.filter(pl.col("economies").list.contains(code))
        return self._with_table(table)

    def names(self) -> list[str]:
        return self.table["name"].to_list()

    def flat(self) -> pl.DataFrame:
        """The table with list columns joined as text, for CSV and display."""
        return self.table.with_columns(pl.col("economies").list.join("/"))

    # -------------------------------------------------------------- exports
    def to_dict(self) -> dict[str, Any]:
        return {
            "provenance": self.provenance,
            "indicators": list(self.indicators),
            "log": list(self.log),
            "rows": _json_rows(self.table),
        }

    def to_json(self) -> str:
        return jsonio.dumps(self.to_dict())

    def to_csv(self) -> str:
        return self.flat().write_csv()

    def save(self, folder: str | Path) -> Path:
        """Keep the whole ranking (table, provenance, labels, notes) in ``folder``, to be
        read back by :meth:`load` exactly (the table's SHA-256 is checked)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.table.write_parquet(folder / "table.parquet")
        meta = {"provenance": self.provenance, "indicators": list(self.indicators),
                "nodes": list(self.nodes), "log": list(self.log), "labels": dict(self.labels),
                "pillars": list(self.pillars), "notes": list(self.notes),
                "table_sha256": file_sha256(folder / "table.parquet")}
        jsonio.write(folder / "ranking.json", meta)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> Ranking:
        """A ranking kept by :meth:`save` (TechhubsError when it is not intact)."""
        folder = Path(folder)
        try:
            meta = json.loads((folder / "ranking.json").read_text(encoding="utf-8"))
            if file_sha256(folder / "table.parquet") != meta["table_sha256"]:
                raise TechhubsError("the saved table does not match its SHA-256", file=folder)
            table = pl.read_parquet(folder / "table.parquet")
        except (OSError, ValueError, KeyError, pl.exceptions.PolarsError) as exc:
            raise TechhubsError(f"cannot read a saved ranking ({exc})", file=folder) from exc
        return cls(table=table, provenance=meta["provenance"],
                   indicators=tuple(meta["indicators"]), nodes=tuple(meta["nodes"]),
                   log=tuple(meta["log"]), labels=meta["labels"],
                   pillars=tuple(meta["pillars"]), notes=tuple(meta["notes"]))

    def write(self, path: str | Path, fmt: str | None = None) -> Path:
        """Write as CSV, JSON or Parquet (by ``fmt`` or the file extension).

        Parquet carries the provenance in its metadata; a CSV gets a
        ``<file>.provenance.json`` beside it; JSON holds it inline.
        """
        path = Path(path)
        fmt = fmt or {".csv": "csv", ".json": "json", ".parquet": "parquet",
                      ".pq": "parquet"}.get(path.suffix.lower())
        if fmt not in ("csv", "json", "parquet"):
            raise TechhubsError(f"cannot tell the output format of {path.name!r}",
                                file=path, hint="use .csv, .json or .parquet, or --format")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        if fmt == "csv":
            tmp.write_text(self.to_csv(), encoding="utf-8")
            jsonio.write(path.with_name(path.name + ".provenance.json"), self.provenance)
        elif fmt == "json":
            tmp.write_text(self.to_json(), encoding="utf-8")
        else:
            import pyarrow.parquet as pq

            arrow = self.table.to_arrow()
            meta = dict(arrow.schema.metadata or {})
            meta[b"techhubs.provenance"] = jsonio.dumps(self.provenance, indent=None).encode()
            pq.write_table(arrow.replace_schema_metadata(meta), tmp)
        tmp.replace(path)
        return path


def ranking_table(*, panel: Panel, methodology: Methodology, rank: NDArray[np.float64],
                  score: NDArray[np.float64], raw: NDArray[np.float64],
                  normalised: NDArray[np.float64], node_scores: Mapping[str, NDArray[np.float64]],
                  provenance: dict[str, Any], log: tuple[dict[str, Any], ...]) -> Ranking:
    """Build the :class:`Ranking` table of a fitted composite's arrays."""
    m = methodology
    codes = m.indicator_codes
    cols: dict[str, Any] = {
        "rank": pl.Series("rank", rank, dtype=pl.Float64).fill_nan(None).cast(pl.Int64),
        "unit_id": panel.unit_ids,
        "name": panel.units["name"],
        "economies": panel.units["economies"],
        "score": score,
    }
    for j, code in enumerate(codes):
        cols[code] = raw[:, j]
        cols[f"{code}__norm"] = normalised[:, j]
    inner = [n.code for n in m.aggregation_order() if n.parent is not None]
    for node in inner:
        cols[f"{node}__score"] = node_scores[node]
    table = pl.DataFrame(cols)
    # missing values are nulls in every output (CSV: empty, JSON: null), never NaN
    table = table.with_columns(pl.col(pl.Float64).fill_nan(None))
    if panel.reference is not None:
        table = table.join(panel.reference, on="unit_id", how="left")
        if "previous_rank" in table.columns:
            table = table.with_columns((pl.col("previous_rank") - pl.col("rank")).alias("change"))
    table = table.sort(["rank", "unit_id"], nulls_last=True)
    # the methodology's names first (its author chose them), else the data's
    labels = {c: str(panel.indicator_meta(c).get("name") or c) for c in codes if panel.has(c)}
    labels |= {n.code: n.name for n in m.nodes if n.name and n.name != n.code}
    top_level = tuple(n.code for n in m.children(m.root.code) if not n.is_indicator)
    return Ranking(table=table, provenance=provenance, indicators=tuple(codes),
                   labels=labels, pillars=top_level,
                   nodes=tuple(inner), log=log, notes=_selection_notes(log, m))


def _selection_notes(log: tuple[dict[str, Any], ...], m: Methodology) -> tuple[str, ...]:
    """Which parts of the tree the fit left out for want of data, said under the ranking
    when a whole aggregate went (an optional indicator missing beside others, e.g. the
    venture deals of a two-metric GII edition, is in the log only)."""
    notes = []
    for entry in log:
        details = entry.get("details") or {}
        emptied = details.get("dropped_nodes") or []
        if entry.get("step") != "select" or not emptied:
            continue
        rule = ("the others are summed as before" if m.aggregate.method == "sum" else
                "the weights of what remains are renormalised")
        notes.append(f"no data for {', '.join(emptied)}: left out, with the optional "
                     f"indicators the data lacks ({', '.join(details.get('dropped') or [])}); "
                     f"{rule}")
    return tuple(notes)


def _json_rows(table: pl.DataFrame) -> list[dict[str, Any]]:
    rows = table.to_dicts()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, float) and not np.isfinite(value):
                row[key] = None
    return rows
