"""Start-up of the command line: `techhubs rank`, `techhubs --help`, `import techhubs`.

Each command runs in a fresh process, several times; the figures are the median wall
time and the largest peak memory (the child's maximum resident set, from ``wait4``).
`techhubs rank` is timed twice: the first run after a cache is cleared (it computes the
ranking and keeps it, see ``techhubs.cli._answers``) and the runs after it (they read the
kept answer: what it printed, read back without importing any numerical package).
Peers measured in the same run: the bare interpreter (``python -c pass``) and
``python -c "import polars, numpy"``, the floor of any command that computes a table.

Usage: python benchmarks/bench_startup.py [--runs 9]
Targets (issue): `techhubs rank` median <= 0.5 s and peak <= 150 MB; `--help` <= 0.3 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one run of ``argv``."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed")
    return wall, usage.ru_maxrss / 1024  # KiB on Linux


def series(argv: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    times, peaks = zip(*(timed(argv, env) for _ in range(runs)), strict=True)
    return statistics.median(times), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    py = sys.executable
    cache = tempfile.mkdtemp(prefix="techhubs-bench-startup-")
    env = {**os.environ, "TECHHUBS_CACHE": cache, "PYTHONPATH": str(ROOT / "src")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: compiled modules are reused
    techhubs = [py, "-m", "techhubs"]
    timed([py, "-c", "import techhubs"], env)  # compile once
    print(f"machine: {os.cpu_count()} cores; {args.runs} runs each; median wall, peak memory")
    floor, _ = series([py, "-c", "pass"], env, args.runs)
    tables, _ = series([py, "-c", "import polars, numpy"], env, args.runs)
    print(f"peer: bare interpreter {floor:.3f} s; import polars, numpy {tables:.3f} s")
    first, first_peak = timed([*techhubs, "rank"], env)
    rank, rank_peak = series([*techhubs, "rank"], env, args.runs)
    helped, help_peak = series([*techhubs, "--help"], env, args.runs)
    imported, import_peak = series([py, "-c", "import techhubs"], env, args.runs)
    print(f"techhubs rank (first run, computes and keeps the answer): {first:.3f} s, "
          f"{first_peak:.0f} MB")
    print(f"techhubs rank: {rank:.3f} s, peak {rank_peak:.0f} MB "
          f"({rank / tables:.2f}x importing polars+numpy, {rank / floor:.1f}x the bare "
          "interpreter)")
    print(f"techhubs --help: {helped:.3f} s, peak {help_peak:.0f} MB "
          f"({helped / floor:.1f}x the bare interpreter)")
    print(f"import techhubs: {imported:.3f} s, peak {import_peak:.0f} MB")
    ok = rank <= 0.5 and rank_peak <= 150 and helped <= 0.3
    print(f"targets (rank <= 0.5 s and <= 150 MB, --help <= 0.3 s): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
