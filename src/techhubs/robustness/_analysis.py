"""One robustness analysis (intervals, optional Sobol) and its files."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from techhubs.errors import TechhubsError
from techhubs.index.composite import Composite
from techhubs.index.ranking import Ranking
from techhubs.methodology import Methodology
from techhubs.robustness._budget import bytes_per_run, check_runs
from techhubs.robustness.plots import plot_intervals, plot_sobol
from techhubs.robustness.sensitivity import (
    SOBOL_RESAMPLES,
    SensitivityResult,
    base_size,
    sensitivity,
)
from techhubs.robustness.spec import UncertaintySpec
from techhubs.robustness.uncertainty import (
    Design,
    IntervalResult,
    PanelFactory,
    Progress,
    rank_intervals,
    required_runs,
)

DEFAULT_WEIGHT_RANGE = 0.25
TABLE_FORMATS = ("csv", "json", "parquet")


def resolve_spec(m: Methodology, spec: UncertaintySpec | Mapping[str, Any] | None = None,
                 overrides: Mapping[str, Any] | None = None) -> UncertaintySpec:
    """``spec``, else the methodology's ``[uncertainty]`` table, with ``overrides`` on top;
    +-25% indicator weights when nothing at all is declared."""
    if isinstance(spec, UncertaintySpec):
        base = spec
    elif isinstance(spec, Mapping):
        base = UncertaintySpec.from_dict(spec, origin="<memory>")
    else:
        base = UncertaintySpec.from_methodology(m)
    if overrides:
        base = base.merged(overrides, origin="<command line>")
    if base.is_empty and not base.clustering:
        base = base.merged({"weights": DEFAULT_WEIGHT_RANGE}, origin=base.origin)
    return base


@dataclass(frozen=True)
class RobustnessReport:
    intervals: IntervalResult
    sensitivity: SensitivityResult | None = None
    notes: tuple[str, ...] = ()
    files: dict[str, Path] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"intervals": self.intervals.to_dict(), "notes": list(self.notes)}
        if self.sensitivity is not None:
            out["sensitivity"] = self.sensitivity.to_dict()
        return out


def robustness_report(composite: Composite, spec: UncertaintySpec | None = None,
                      overrides: Mapping[str, Any] | None = None, runs: int = 1000,
                      seed: int | None = 0, sobol: bool = False,
                      progress: Progress | None = None,
                      sobol_progress: Progress | None = None,
                      panel_factory: PanelFactory | None = None) -> RobustnessReport:
    """Monte Carlo intervals over ``runs`` runs and, with ``sobol``, Sobol indices within
    the same run budget (N (d + 2) <= runs)."""
    m = resolve_spec_methodology(composite)
    s = resolve_spec(m, spec, overrides)
    notes = []
    if UncertaintySpec.from_methodology(m).is_empty and not overrides and spec is None:
        notes.append(f"no [uncertainty] table: indicator weights +-{DEFAULT_WEIGHT_RANGE:.0%}")
    design = Design(composite.methodology_, s, panel_factory is not None)
    per_run = bytes_per_run(design.d, len(design.nodes), composite.panel_.n_units)
    check_runs(runs, per_run)
    if sobol:
        # Check the budget (runs and memory, both analyses kept) before the Monte Carlo work.
        n = base_size(design.d, runs)
        check_runs(required_runs(design.d, n),
                   bytes_per_run(design.d, len(design.nodes), composite.panel_.n_units,
                                 SOBOL_RESAMPLES), what="Sobol runs", committed=runs * per_run)
    intervals = rank_intervals(composite, s, runs=runs, seed=seed, progress=progress,
                               panel_factory=panel_factory)
    sens = None
    if sobol:
        sens = sensitivity(composite, s, runs=runs, seed=seed, progress=sobol_progress,
                           panel_factory=panel_factory)
        if sens.runs != runs:
            notes.append(f"Sobol: N = {sens.base_n}, {sens.runs} of the {runs} runs "
                         f"(N (d + 2), d = {len(sens.factors)})")
    return RobustnessReport(intervals, sens, tuple(notes))


INTERVAL_COLUMNS = ("median_rank", "rank_p05", "rank_p95")


def with_intervals(ranking: Ranking, result: IntervalResult) -> Ranking:
    """The ranking with the interval columns (median, 5th/95th percentile rank, P(top N))
    joined by unit, and the analysis in its provenance."""
    cols = [*INTERVAL_COLUMNS, f"p_top{result.top}"]
    table = ranking.table.join(result.table.select("unit_id", *cols), on="unit_id",
                               how="left")
    provenance = {**ranking.provenance,
                  "rank_intervals": {"runs": result.runs, "seed": result.seed,
                                     "factors": list(result.factors),
                                     "uncertainty": result.spec.to_dict()}}
    return replace(ranking, table=table, provenance=provenance)


def resolve_spec_methodology(composite: Composite) -> Methodology:
    """The fitted methodology (it keeps the ``[uncertainty]`` table)."""
    if not hasattr(composite, "methodology_"):
        raise TechhubsError("the Composite is not fitted", hint="call .fit(panel) first")
    return composite.methodology_


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, Path | tuple | set):
        return str(value) if isinstance(value, Path) else list(value)
    return str(value)


def write_table(table: pl.DataFrame, path: Path, provenance: Mapping[str, Any]) -> Path:
    fmt = path.suffix.lstrip(".")
    if fmt not in TABLE_FORMATS:
        raise TechhubsError(f"cannot write {path.name!r}", file=path,
                            hint=f"use one of: {', '.join(TABLE_FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        table.write_csv(path)
    elif fmt == "json":
        doc = {"provenance": provenance, "rows": table.to_dicts()}
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=_json_default),
                        encoding="utf-8")
    else:
        import pyarrow.parquet as pq

        arrow = table.to_arrow()
        meta = dict(arrow.schema.metadata or {})
        meta[b"techhubs.provenance"] = json.dumps(provenance, default=_json_default).encode()
        pq.write_table(arrow.replace_schema_metadata(meta), path)
    return path


def write_report(report: RobustnessReport, out: str | Path, plot: str | None = "png",
                 plot_top: int = 40) -> dict[str, Path]:
    """Write intervals (CSV/JSON/Parquet), samples, Sobol indices and plots into ``out``."""

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise TechhubsError("--out must be a directory", file=out)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    iv = report.intervals
    prov = {**iv.provenance, "notes": list(report.notes)}
    for fmt in TABLE_FORMATS:
        files[f"intervals.{fmt}"] = write_table(iv.table, out / f"intervals.{fmt}", prov)
    files["samples.parquet"] = write_table(iv.samples, out / "samples.parquet", prov)
    if report.sensitivity is not None:
        sens = report.sensitivity
        for fmt in TABLE_FORMATS:
            files[f"sobol.{fmt}"] = write_table(sens.indices, out / f"sobol.{fmt}",
                                                sens.provenance)
    if plot:
        files["rank_intervals"] = plot_intervals(iv, out / f"rank_intervals.{plot}", plot,
                                                 top=plot_top)
        if report.sensitivity is not None:
            files["sobol_plot"] = plot_sobol(report.sensitivity, out / f"sobol.{plot}", plot)
    return files
