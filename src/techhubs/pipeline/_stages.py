"""The build stages: ingest -> aggregate -> clusters -> indicators -> index -> robustness.

Each stage is a :class:`Stage`: its parameters (from the project), the
package modules whose code it runs (part of its cache key) and a ``run``
function that writes its outputs into a folder and returns a small summary
(kept in the stage record and the run manifest). ``outputs`` (the results
folder) is handled by :mod:`techhubs.pipeline._build`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import polars as pl

from techhubs import clusters as clustering
from techhubs import jsonio
from techhubs.aggregate import round_expr_sql
from techhubs.datasets.simulate import SYNTHETIC_LABEL
from techhubs.errors import DataError
from techhubs.index.composite import Composite
from techhubs.indicators import cluster_panel, indicator_table
from techhubs.methodology import load_methodology
from techhubs.panel import Panel
from techhubs.pipeline.distributed import PER_FILE, ingest_on_dask
from techhubs.pipeline.project import BuildConfig
from techhubs.points import MAX_POINT_WEIGHT, sum_by, sum_sql
from techhubs.robustness import rank_intervals
from techhubs.sources.registry import canonical, make_reader

Progress = Callable[[str, int, int], None]
"""``progress(step, done, total)`` inside a stage."""

REASONS = (
    "non_numeric",
    "missing_value",
    "non_finite",
    "latitude_out_of_range",
    "longitude_out_of_range",
    "negative_weight",
    "weight_too_large",
)
"""Why an input row is dropped at ingest, in the order the checks run (first reason counts)."""

_EXAMPLES = 10
_DUCKDB_MEMORY = "3GB"


@dataclass(frozen=True)
class Stage:
    name: str
    modules: tuple[str, ...]
    params: Callable[[BuildConfig], dict[str, Any]]
    run: Callable[[BuildConfig, dict[str, Any], Path, Progress], dict[str, Any]]
    description: str = ""


# ------------------------------------------------------------------ helpers
def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _relation(paths: list[Path], *, row_numbers: bool = False) -> str:
    fmt = {p.suffix.lower() for p in paths}
    listing = "[" + ", ".join(_sql_str(str(p)) for p in paths) + "]"
    if fmt <= {".parquet", ".pq"}:
        extra = ", file_row_number=true" if row_numbers else ""
        return f"read_parquet({listing}, union_by_name=true{extra})"
    if fmt <= {".csv", ".tsv", ".txt"}:
        return f"read_csv({listing}, header=true, union_by_name=true, all_varchar=true)"
    raise DataError(f"points files must be Parquet or CSV, got {', '.join(sorted(fmt))}",
                    file=paths[0], hint="convert the file, or use format = \"generic\"")


def _connect(cache_tmp: Path | None = None) -> Any:
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET memory_limit='{_DUCKDB_MEMORY}'")
    con.execute("SET enable_progress_bar = false")  # progress is the shell's job
    if cache_tmp is not None:
        cache_tmp.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory={_sql_str(str(cache_tmp))}")
    return con


def _typed_sql(columns: list[str], source: str) -> str:
    """SELECT list casting a points file to the points schema (failed casts -> flagged)."""
    def num(col: str) -> str:
        return f"TRY_CAST({col} AS DOUBLE)" if col in columns else "CAST(NULL AS DOUBLE)"

    src = (f"COALESCE(NULLIF(CAST(source AS VARCHAR), ''), {_sql_str(source)})"
           if "source" in columns else _sql_str(source))
    year = "TRY_CAST(year AS INTEGER)" if "year" in columns else "CAST(NULL AS INTEGER)"
    bad_cast = " OR ".join(
        f"({c} IS NOT NULL AND TRY_CAST({c} AS DOUBLE) IS NULL)"
        for c in ("latitude", "longitude", "weight") if c in columns) or "false"
    # rows read on Dask are located sums that stand for n_records points each
    records = ("COALESCE(TRY_CAST(n_records AS BIGINT), 1)" if "n_records" in columns
               else "1::BIGINT")
    return (f"{num('latitude')} AS latitude, {num('longitude')} AS longitude, "
            f"{num('weight')} AS weight, {src} AS source, {year} AS year, "
            f"{records} AS n_records, ({bad_cast}) AS bad_cast")


_REASON_SQL = f"""CASE
    WHEN bad_cast THEN 'non_numeric'
    WHEN latitude IS NULL OR longitude IS NULL OR weight IS NULL THEN 'missing_value'
    WHEN NOT (isfinite(latitude) AND isfinite(longitude) AND isfinite(weight)) THEN 'non_finite'
    WHEN latitude < -90 OR latitude > 90 THEN 'latitude_out_of_range'
    WHEN longitude < -180 OR longitude > 180 THEN 'longitude_out_of_range'
    WHEN weight < 0 THEN 'negative_weight'
    WHEN weight > {MAX_POINT_WEIGHT:g} THEN 'weight_too_large'
    ELSE NULL END"""


def _columns(con: Any, relation: str, file: Path) -> list[str]:
    import duckdb

    try:
        return [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]
    except duckdb.Error as exc:
        raise DataError(f"cannot read points file: {str(exc).splitlines()[0]}", file=file) from exc


# ------------------------------------------------------------------ ingest
def _ingest_params(config: BuildConfig) -> dict[str, Any]:
    params: dict[str, Any] = {"inputs": [i.to_dict() for i in config.inputs]}
    if config.engine == "dask":  # read, rounded and summed on the workers
        params["engine"] = {"name": "dask", "precision": config.clustering.precision}
    return params


def _run_ingest(config: BuildConfig, ctx: dict[str, Any], out: Path,
                progress: Progress) -> dict[str, Any]:
    con = _connect()
    inputs: list[dict[str, Any]] = []
    points_files: list[dict[str, Any]] = []
    n_files = sum(len(i.paths) for i in config.inputs)
    synthetic = False  # any input labelled synthetic (techhubs simulate) labels the build
    done = 0
    try:
        for k, spec in enumerate(config.inputs):
            entry: dict[str, Any] = {"source": spec.source, "format": spec.format, "files": []}
            if spec.format == "points":
                files = list(spec.paths)
            elif config.engine == "dask" and canonical(spec.format) in PER_FILE:
                if config.clustering.precision is None:
                    raise DataError("the dask engine rounds locations on the workers",
                                    file=config.file, key="clustering.precision",
                                    hint="set clustering.precision (2 is about 1 km), or "
                                         "engine.name = \"local\"")
                target = out / f"points-{k}.parquet"
                located, report = ingest_on_dask(
                    spec.format, list(spec.paths), spec.options, source=spec.source,
                    precision=config.clustering.precision, scheduler=config.scheduler)
                located.write_parquet(target)  # n_records: the points each location sums
                entry["reader"] = report.to_dict()
                entry["engine"] = "dask"
                entry["raw_files"] = [str(p) for p in spec.paths]
                files = [target]
            else:
                reader = make_reader(spec.format, spec.options, source=spec.source)
                target = out / f"points-{k}.parquet"
                report = reader.write(list(spec.paths), target)
                entry["reader"] = report.to_dict()
                entry["raw_files"] = [str(p) for p in spec.paths]
                files = [target]
            for path in files:
                relation = _relation([path], row_numbers=path.suffix.lower() in (".parquet", ".pq"))
                cols = _columns(con, relation, path)
                missing = [c for c in ("latitude", "longitude", "weight") if c not in cols]
                if missing:
                    raise DataError(f"points file lacks column(s) {', '.join(missing)}",
                                    file=path,
                                    hint="columns: latitude, longitude, weight[, source, year]")
                rownum = ("file_row_number + 1" if "file_row_number" in cols
                          else "row_number() OVER ()")
                typed = _typed_sql([c for c in cols if c != "file_row_number"], spec.source)
                # Parquet rows keep their file row numbers, so a view re-reads them the
                # same way; CSV rows are numbered once, in a table.
                kind = "VIEW" if "file_row_number" in cols else "TABLE"
                checked = f"checked_{done}"
                con.execute(f"""CREATE TEMP {kind} {checked} AS
                    SELECT {rownum} AS row, reason, source, year, weight FROM (
                        SELECT *, {_REASON_SQL} AS reason FROM (
                            SELECT {typed}{', file_row_number' if 'file_row_number' in cols else ''}
                            FROM {relation}))""")
                groups = con.execute(
                    f"SELECT reason, source, count(*), {sum_sql('weight')}, min(year), max(year), "
                    f"count(year) FROM {checked} GROUP BY reason, source").fetchall()
                total = sum(int(g[2]) for g in groups)
                dropped: dict[str, int] = {}
                for g in groups:
                    if g[0] is not None:
                        dropped[g[0]] = dropped.get(g[0], 0) + int(g[2])
                good = [g for g in groups if g[0] is None]
                per_source = {g[1]: {"rows": int(g[2]), "weight": float(g[3] or 0.0)}
                              for g in sorted(good, key=lambda g: str(g[1]))}
                y_min = [g[4] for g in good if g[4] is not None]
                y_max = [g[5] for g in good if g[5] is not None]
                years = (min(y_min) if y_min else None, max(y_max) if y_max else None,
                         sum(int(g[6]) for g in good))
                examples: dict[str, list[int]] = {r: [] for r in dropped}
                if dropped:
                    for reason, row in con.execute(
                            f"SELECT reason, row FROM {checked} WHERE reason IS NOT NULL "
                            "QUALIFY row_number() OVER (PARTITION BY reason ORDER BY row) <= ? "
                            "ORDER BY reason, row", [_EXAMPLES]).fetchall():
                        examples[reason].append(int(row))
                used = int(total) - int(sum(dropped.values()))
                file_entry = {
                    "path": (f"{spec.format} reader output" if path.parent == out
                             else str(path)), "rows_read": int(total), "rows_used": used,
                    "rows_dropped": int(total) - used,
                    "dropped": {r: int(dropped[r]) for r in REASONS if r in dropped},
                    "examples": {r: examples[r] for r in REASONS if r in examples},
                    "row_numbers": "1-based data rows (CSV line = row + 1)",
                    "sources": per_source,
                    "years": {"min": years[0], "max": years[1], "with_year": int(years[2])},
                    "columns": [c for c in cols if c != "file_row_number"],
                }
                if path.suffix.lower() in (".parquet", ".pq"):
                    import pyarrow.parquet as pq

                    meta = pq.read_schema(path).metadata or {}
                    if meta.get(b"techhubs.synthetic") == b"true":
                        file_entry["synthetic"] = True
                        synthetic = True
                entry["files"].append(file_entry)
                in_stage = path.parent == out
                points_files.append({"path": path.name if in_stage else str(path),
                                     "in_stage": in_stage, "source": spec.source,
                                     "columns": file_entry["columns"]})
                done += 1
                progress(f"checked {path.name}", done, n_files)
            inputs.append(entry)
    finally:
        con.close()
    read = sum(f["rows_read"] for i in inputs for f in i["files"])
    used = sum(f["rows_used"] for i in inputs for f in i["files"])
    summary = {"inputs": inputs, "rows_read": read, "rows_used": used,
               "rows_dropped": read - used, "points_files": points_files,
               "synthetic": synthetic}
    jsonio.write(out / "ingest.json", summary)
    return {"rows_read": read, "rows_used": used, "rows_dropped": read - used,
            "points_files": points_files, "synthetic": synthetic}


# ------------------------------------------------------------------ aggregate
def _aggregate_params(config: BuildConfig) -> dict[str, Any]:
    return {"precision": config.clustering.precision, "period": list(config.period)}


def _run_aggregate(config: BuildConfig, ctx: dict[str, Any], out: Path,
                   progress: Progress) -> dict[str, Any]:
    files = ctx["ingest"]["points_files"]
    precision = config.clustering.precision
    start, end = config.period
    period = []
    if start is not None:
        period.append(f"year >= {int(start)}")
    if end is not None:
        period.append(f"year <= {int(end)}")
    in_period = " AND ".join(period) if period else "true"
    parts = []
    for f in files:
        path = ctx["ingest"]["dir"] / f["path"] if f.get("in_stage") else Path(f["path"])
        parts.append(f"SELECT {_typed_sql(f['columns'], f['source'])} FROM {_relation([path])}")
    union = "\nUNION ALL\n".join(parts)
    target = out / "locations.parquet"
    con = _connect(out.parent.parent / "duckdb-tmp")
    try:
        con.execute(f"CREATE OR REPLACE TEMP VIEW valid AS SELECT * FROM ({union}) "
                    f"WHERE ({_REASON_SQL}) IS NULL")
        # rows outside the period, or without a year when a period is set (counted)
        outside = con.execute(
            f"SELECT source, count(*), {sum_sql('weight')} FROM valid WHERE NOT ({in_period}) "
            "OR year IS NULL GROUP BY source ORDER BY source").fetchall() if period else []
        progress("period filter", 1, 3)
        con.execute(f"""COPY (
            SELECT source, year,
                   {round_expr_sql("latitude", precision)} AS latitude,
                   {round_expr_sql("longitude", precision)} AS longitude,
                   {sum_sql('weight')} AS weight, sum(n_records)::BIGINT AS n_records
            FROM valid WHERE {in_period}
            GROUP BY ALL ORDER BY source, year, latitude, longitude
        ) TO {_sql_str(str(target))} (FORMAT parquet, COMPRESSION zstd)""")
        progress("rounded locations", 2, 3)
        totals = con.execute(
            f"SELECT source, count(*), {sum_sql('weight')}, sum(n_records) FROM "
            f"read_parquet({_sql_str(str(target))}) GROUP BY source ORDER BY source").fetchall()
        progress("totals", 3, 3)
    finally:
        con.close()
    summary = {
        "locations": {s: int(n) for s, n, _, _ in totals},
        "weight": {s: float(w) for s, _, w, _ in totals},
        "records": {s: int(r) for s, _, _, r in totals},
        "outside_period": {s: {"rows": int(n), "weight": float(w or 0.0)}
                           for s, n, w in outside},
        "period": list(config.period),
        "precision": config.clustering.precision,
    }
    jsonio.write(out / "aggregate.json", summary)
    return summary


# ------------------------------------------------------------------ clusters
def _clusters_params(config: BuildConfig) -> dict[str, Any]:
    return config.clustering.to_dict()


def _per_location(aggregate_dir: Path) -> pl.DataFrame:
    """Rounded locations of the aggregate stage, years summed (what clustering reads)."""
    locs = pl.read_parquet(aggregate_dir / "locations.parquet",
                           columns=["source", "latitude", "longitude", "weight", "n_records"])
    return sum_by(locs, ["source", "latitude", "longitude"], ["weight", "n_records"])


def _find_clusters(config: BuildConfig, per_location: pl.DataFrame, progress: Any = None,
                   **overrides: Any) -> Any:
    cl = config.clustering
    min_weight = dict(cl.min_weight) if isinstance(cl.min_weight, Mapping) else cl.min_weight
    return clustering.find_clusters(
        per_location.select("latitude", "longitude", "weight", "source"),
        eps_km=overrides.get("eps_km", cl.eps_km),
        min_weight=overrides.get("min_weight", min_weight), precision=None,
        merge_threshold=overrides.get("merge_threshold", cl.merge_threshold),
        name_min_population=cl.name_min_population, progress=progress)


def _run_clusters(config: BuildConfig, ctx: dict[str, Any], out: Path,
                  progress: Progress) -> dict[str, Any]:
    per_location = _per_location(ctx["aggregate"]["dir"])
    result = _find_clusters(config, per_location, progress)
    result.clusters.write_parquet(out / "clusters.parquet")
    assignment = (per_location.select("source", "latitude", "longitude", "n_records")
                  .join(result.assignment.select("source", "latitude", "longitude", "weight",
                                                 "cluster_id", "core"),
                        on=["source", "latitude", "longitude"], how="left", maintain_order="left")
                  .select("latitude", "longitude", "source", "weight", "n_records",
                          "cluster_id", "core")
                  .sort("source", "latitude", "longitude"))
    assignment.write_parquet(out / "assignment.parquet", compression="zstd")
    meta = {"world_totals": result.world_totals, "params": result.params,
            "sources": list(result.sources), "n_clusters": result.clusters.height,
            "n_locations": assignment.height,
            "clustered_locations": int(assignment["cluster_id"].is_not_null().sum())}
    jsonio.write(out / "clusters.json", meta)
    return meta


# ------------------------------------------------------------------ indicators
def _indicators_params(config: BuildConfig) -> dict[str, Any]:
    return {"indicators": dict(config.indicators), "period": list(config.period)}


def _period_text(config: BuildConfig) -> str:
    start, end = config.period
    if start is None and end is None:
        return ""
    return f"{start if start is not None else ''}-{end if end is not None else ''}"


def read_panel_dir(directory: Path) -> Any:
    """The panel written by the indicators stage."""

    meta = json.loads((directory / "panel.json").read_text())
    frame = pl.read_parquet(directory / "panel.parquet")
    return Panel.from_frame(frame, indicators=meta["indicators"], provenance=meta["provenance"])


def _run_indicators(config: BuildConfig, ctx: dict[str, Any], out: Path,
                    progress: Progress) -> dict[str, Any]:
    cdir = ctx["clusters"]["dir"]
    clusters = pl.read_parquet(cdir / "clusters.parquet")
    world = ctx["clusters"]["world_totals"]
    provenance = {"project": config.name, "built_from": "clusters",
                  "clustering": config.clustering.to_dict(),
                  "synthetic": config.synthetic}
    if config.synthetic:
        provenance["label"] = SYNTHETIC_LABEL
    panel = cluster_panel(clusters, world, config.indicators, period=_period_text(config),
                          provenance=provenance)
    frame = panel.units.join(panel.values, on="unit_id", how="left", maintain_order="left")
    frame.write_parquet(out / "panel.parquet")
    jsonio.write(out / "panel.json", {"indicators": panel.indicators.to_dicts(),
                                      "provenance": dict(panel.provenance)})
    indicator_table(panel).write_parquet(out / "indicators.parquet")
    progress("panel", 1, 1)
    return {"units": panel.n_units, "indicators": panel.indicator_codes,
            "world_totals": {r["code"]: r["world_total"] for r in panel.indicators.to_dicts()}}


# ------------------------------------------------------------------ index
def _index_params(config: BuildConfig) -> dict[str, Any]:
    m = load_methodology(config.methodology)
    return {"methodology": config.methodology, "spec": m.to_toml()}


def _run_index(config: BuildConfig, ctx: dict[str, Any], out: Path,
               progress: Progress) -> dict[str, Any]:
    panel = read_panel_dir(ctx["indicators"]["dir"])
    m = load_methodology(config.methodology)
    composite = Composite(m).fit(panel)
    ranking = composite.ranking_
    ranking.write(out / "ranking.parquet")
    (out / "ranking.json").write_text(ranking.to_json())
    (out / "methodology.toml").write_text(m.to_toml())
    progress("ranked", 1, 1)
    top = ranking.table.head(3)["name"].to_list()
    return {"methodology": m.name, "units": len(ranking), "top": top}


# ------------------------------------------------------------------ robustness
def _robustness_params(config: BuildConfig) -> dict[str, Any]:
    return {"robustness": dict(config.robustness) if config.robustness else None}


def _run_robustness(config: BuildConfig, ctx: dict[str, Any], out: Path,
                    progress: Progress) -> dict[str, Any]:
    rob = dict(config.robustness or {})
    runs = int(rob.pop("runs", 1000))
    seed = rob.pop("seed", 0)
    top = int(rob.pop("top", 10))
    spec = rob.pop("spec", None)
    if spec is None and rob:
        spec = rob
    panel = read_panel_dir(ctx["indicators"]["dir"])
    composite = Composite(load_methodology(config.methodology)).fit(panel)
    factory = None
    if isinstance(spec, Mapping) and spec.get("clustering"):
        factory = _recluster_factory(config, ctx, panel)
    result = rank_intervals(composite, spec, runs=runs, seed=seed, top=top,
                            panel_factory=factory,
                            progress=lambda d, n: progress("runs", d, n))
    result.table.write_parquet(out / "rank_intervals.parquet")
    jsonio.write(out / "robustness.json",
                 {"runs": runs, "seed": seed, "factors": list(result.factors)})
    return {"runs": runs, "seed": seed, "factors": list(result.factors)}


def _recluster_factory(config: BuildConfig, ctx: dict[str, Any],
                       nominal: Any) -> Callable[[Mapping[str, float]], Any]:
    """Panels of the same records clustered with sampled parameters.

    ``eps_km`` is used as sampled; a sampled ``min_weight`` replaces the
    project's single value and ``min_weight_scale`` multiplies the project's
    value(s), per source or single (the project file refuses a ``min_weight``
    range against per-source values: it would be ambiguous). The robustness engine
    caches one panel per grid level, so each parameter set is clustered once.
    Cluster ids of another clustering name other clusters, so unit ids are
    prefixed and units are matched to the nominal ones by shared member places.
    """

    per_location = _per_location(ctx["aggregate"]["dir"])
    cl = config.clustering

    def factory(params: Mapping[str, float]) -> Any:
        overrides: dict[str, Any] = dict(params)
        scale = overrides.pop("min_weight_scale", None)
        if scale is not None:
            base = overrides.get("min_weight", cl.min_weight)
            overrides["min_weight"] = ({k: v * float(scale) for k, v in base.items()}
                                       if isinstance(base, Mapping) else base * float(scale))
        result = _find_clusters(config, per_location, **overrides)
        panel = cluster_panel(result.clusters, result.world_totals, config.indicators,
                              period=_period_text(config),
                              provenance={**dict(nominal.provenance), "reclustered": dict(params)})
        tag = ",".join(f"{k}={v:g}" for k, v in sorted(params.items()))
        units = panel.units.with_columns((pl.lit(f"{tag}:") + pl.col("unit_id")).alias("unit_id"))
        values = panel.values.with_columns(units["unit_id"])
        return replace(panel, units=units, values=values)

    return factory


STAGES: tuple[Stage, ...] = (
    Stage("ingest", ("pipeline/_stages.py", "sources", "points.py", "geo"), _ingest_params,
          _run_ingest, "read and check every input record"),
    Stage("aggregate", ("pipeline/_stages.py", "aggregate"), _aggregate_params, _run_aggregate,
          "round locations, filter the period, sum weights (DuckDB)"),
    Stage("clusters", ("pipeline/_stages.py", "clusters", "points.py", "geo"), _clusters_params,
          _run_clusters, "weighted DBSCAN per source, merge, name"),
    Stage("indicators", ("pipeline/_stages.py", "indicators", "panel.py"), _indicators_params,
          _run_indicators, "counts, world shares, intensity"),
    Stage("index", ("pipeline/_stages.py", "index", "methodology.py", "panel.py"), _index_params,
          _run_index, "composite index and ranking"),
    Stage("robustness", ("pipeline/_stages.py", "robustness", "index", "methodology.py"),
          _robustness_params, _run_robustness, "Monte Carlo rank intervals"),
)
STAGE_NAMES = (*(s.name for s in STAGES), "outputs")
