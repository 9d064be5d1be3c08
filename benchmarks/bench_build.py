"""Benchmark of `techhubs build` on the SYNTHETIC world calibrated to GII 2023.

Times, each in a fresh process (peak memory = that process's maximum RSS):

1. the full build from a cold cache (ingest -> outputs) on an already simulated
   world (simulation is timed separately and is not part of the build);
2. a rebuild with nothing changed (in-process build() time and the whole
   `techhubs build` command including interpreter start-up);
3. a rebuild after changing one clustering parameter (only clustering and
   later stages run).

Peer measured in the same run: a bare DuckDB GROUP BY of the same Parquet
files into rounded locations (the least any build must do), so the ratio says
how much the whole pipeline costs beyond reading and aggregating the records.

Usage: python benchmarks/bench_build.py [--scale 1] [--dir /tmp/techhubs-bench]
Targets (issue): full build < 180 s and < 6 GB at scale 1; rebuild < 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"

_CHILD = r"""
import json, sys, time
sys.path.insert(0, {src!r})
t0 = time.perf_counter()
from techhubs.pipeline import build, load_config
config = load_config({project!r})
changes = {changes!r}
if changes:
    config = config.with_clustering(**changes)
t1 = time.perf_counter()
result = build(config, from_stage={from_stage!r})
t2 = time.perf_counter()
# VmHWM: this process's own high-water mark (ru_maxrss can carry the parent's across fork)
peak = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
            if line.startswith("VmHWM:"))
print(json.dumps({{"build_s": t2 - t1, "setup_s": t1 - t0, "peak_bytes": peak,
                  "stages": [(s.name, s.status, s.seconds) for s in result.stages],
                  "comparison": result.manifest.get("comparison")}}))
"""


def child(project: Path, changes: dict | None = None, from_stage: str | None = None) -> dict:
    code = _CHILD.format(src=str(SRC), project=str(project), changes=changes or {},
                         from_stage=from_stage)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                         text=True)
    wall = time.perf_counter() - t0
    data = json.loads(out.stdout.strip().splitlines()[-1])
    data["process_s"] = wall
    return data


def bare_duckdb(files: list[Path]) -> float:
    import duckdb

    listing = ", ".join(f"'{f}'" for f in files)
    con = duckdb.connect()
    t0 = time.perf_counter()
    con.execute(f"""CREATE TEMP TABLE t AS SELECT source, year,
        floor(latitude * 100 + 0.5) / 100 AS lat, floor(longitude * 100 + 0.5) / 100 AS lon,
        sum(weight) AS w, count(*) AS n FROM read_parquet([{listing}]) GROUP BY ALL""")
    elapsed = time.perf_counter() - t0
    con.close()
    return elapsed


def show(title: str, run: dict) -> None:
    print(f"\n{title}: build() {run['build_s']:.1f} s, whole process {run['process_s']:.1f} s, "
          f"peak memory {run['peak_bytes'] / 2**30:.2f} GiB")
    for name, status, seconds in run["stages"]:
        print(f"  {name:<11} {status:<8} {seconds:8.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "techhubs-bench-build")
    args = parser.parse_args()
    sys.path.insert(0, str(SRC))
    from techhubs.pipeline.demo import demo_project

    args.dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    project = demo_project(args.dir, scale=args.scale, seed=args.seed)
    sim_s = time.perf_counter() - t0
    from techhubs.pipeline import load_config

    config = load_config(project)
    files = [p for spec in config.inputs for p in spec.paths]
    rows = 0
    import pyarrow.parquet as pq

    for f in files:
        rows += pq.ParquetFile(f).metadata.num_rows
    print(f"SYNTHETIC world calibrated to gii-2023, scale {args.scale:g}: {rows:,} point rows "
          f"in {len(files)} files (simulated or reused in {sim_s:.1f} s, not part of the build)")
    print(f"machine: {os.cpu_count()} cores")
    shutil.rmtree(config.cache, ignore_errors=True)
    shutil.rmtree(config.results, ignore_errors=True)

    full = child(project)
    show("full build, cold cache", full)
    again = child(project)
    show("rebuild, nothing changed", again)
    eps = config.clustering.eps_km
    changed = child(project, {"eps_km": eps + 1.0})
    show(f"rebuild after eps_km {eps:g} -> {eps + 1:g}", changed)
    duck = bare_duckdb(files)
    print(f"\npeer: bare DuckDB GROUP BY of the same files into rounded locations: {duck:.1f} s")
    print(f"ratio full build / bare DuckDB aggregation: {full['build_s'] / duck:.1f}x")
    print(f"ratio full build / rebuild with nothing changed: "
          f"{full['build_s'] / max(again['build_s'], 1e-9):.0f}x")
    cmp = full.get("comparison") or {}
    if cmp:
        print(f"demo: recovered {cmp['recovered']} of {cmp['published']} published clusters, "
              f"Spearman rho {cmp['spearman_rho']:.3f}")
    ok_time = full["build_s"] < 180
    ok_mem = full["peak_bytes"] < 6 * 2**30
    ok_re = again["process_s"] < 5
    print(f"\ntargets: full build < 180 s: {'yes' if ok_time else 'NO'}; "
          f"peak < 6 GB: {'yes' if ok_mem else 'NO'}; "
          f"rebuild (whole process) < 5 s: {'yes' if ok_re else 'NO'}")
    ran = [n for n, s, _ in changed["stages"] if s == "ran"]
    print(f"stages run after the clustering change: {', '.join(ran)}")


if __name__ == "__main__":
    main()
