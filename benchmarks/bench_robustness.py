"""Benchmark: Monte Carlo rank intervals, batched engine vs a per-run loop.

Case: SYNTHETIC random data (log-normal), 1,000 units x 50 indicators in a
3-level tree (50 indicators -> 10 pillars -> 3 sub-indices -> index), with
uncertain weights (every node +-25%), normalisation (minmax 1-100, z-score
mean 100 sd 10, rank) and aggregation (arithmetic, geometric): 10,000 runs.

Peer, measured in the same process: the straightforward loop, one
``Composite(variant).fit(panel)`` per run with the same sampled inputs. It
is timed on a subset of runs (default 200) and extrapolated to the full
count; the output says so. Both produce the same ranks on the subset
(checked). Figures are wall-clock; on a shared machine, quote the ratio.

    PYTHONPATH=src python benchmarks/bench_robustness.py [--runs 10000] [--loop-runs 200]
        [--missing 0.05]

With no missing values and one aggregation method per run, the engine takes
the whole tree as one matrix product; ``--missing`` measures the per-node path.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

from techhubs.index import Composite
from techhubs.robustness import UncertaintySpec, rank_intervals
from techhubs.robustness._synthetic import synthetic_case


def per_run_loop(panel, m, result, runs: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    """One Composite fit per run, from the batched run's own samples."""
    samples = result.samples
    cols = {c: i for i, c in enumerate(result.weight_nodes)}
    out = np.empty((runs, panel.n_units), dtype=np.int64)
    for i in range(runs):
        row = samples.row(i, named=True)
        variant = m.with_weights({c: float(result.weights[i, j]) for c, j in cols.items()})
        name, *params = row["normalisation"].split(":")
        variant = variant.with_step("normalise", method=name,
                                    **{k: float(v) for k, v in (p.split("=") for p in params)})
        variant = variant.with_step("aggregate", method=row["aggregation"])
        out[i] = Composite(variant).fit(panel).rank_
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=1_000)
    parser.add_argument("--indicators", type=int, default=50)
    parser.add_argument("--loop-runs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="batched timings (median)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--missing", type=float, default=0.0,
                        help="share of missing values (exercises the per-node path: missing "
                             "children are skipped and weights renormalised)")
    args = parser.parse_args()

    panel, m = synthetic_case(n_units=args.units, n_indicators=args.indicators, n_pillars=10,
                              n_subindices=3, seed=args.seed, missing=args.missing)
    composite = Composite(m).fit(panel)
    spec = UncertaintySpec(
        weights=0.25, weight_scope="all",
        normalisation=("minmax:low=1:high=100", "zscore:mean=100:sd=10", "rank"),
        aggregation=("arithmetic", "geometric"),
    )
    print(f"case: SYNTHETIC data, {args.units} units x {args.indicators} indicators, "
          f"3-level tree ({len(m.nodes)} nodes); uncertain: weights +-25% (all nodes), "
          f"normalisation x3, aggregation x2; missing values {args.missing:.0%}")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} (shared machine: figures are noisy)")

    rank_intervals(composite, spec, runs=200, seed=args.seed)  # warm-up
    times = []
    result = None
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = rank_intervals(composite, spec, runs=args.runs, seed=args.seed)
        times.append(time.perf_counter() - t0)
    assert result is not None
    batched = statistics.median(times)
    print(f"batched engine: {args.runs} runs in {batched:.2f} s (median of {args.repeat}: "
          f"{', '.join(f'{t:.2f}' for t in times)}) = {args.runs / batched:,.0f} runs/s, "
          f"{len(result.factors)} factors")

    n_loop = min(args.loop_runs, args.runs)
    t0 = time.perf_counter()
    loop_ranks = per_run_loop(panel, m, result, n_loop)
    loop_time = time.perf_counter() - t0
    per_run = loop_time / n_loop
    same = bool(np.array_equal(loop_ranks, result.ranks[:n_loop]))
    print(f"per-run loop (Composite.fit per run): {n_loop} runs in {loop_time:.2f} s = "
          f"{1 / per_run:,.1f} runs/s; extrapolated to {args.runs} runs: "
          f"{per_run * args.runs:,.0f} s (timed on {n_loop} runs, not run in full)")
    print(f"same ranks as the batched engine on those {n_loop} runs: {same}")
    print(f"speed-up: {per_run * args.runs / batched:,.0f}x")
    verdict = "met" if batched < 10 and per_run * args.runs / batched >= 50 else "NOT met"
    print(f"target (10,000 runs < 10 s and >= 50x the loop): {verdict}")


if __name__ == "__main__":
    main()
