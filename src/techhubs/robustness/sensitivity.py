"""Variance-based (Sobol) sensitivity of ranks to each uncertain input.

The Saltelli design without second-order terms (SALib ``sample.sobol``,
``calc_second_order=False``) needs ``N (d + 2)`` runs for ``d`` factors, ``N``
a power of two. Every run is evaluated by the batched engine; SALib's
estimators (``analyze.sobol.first_order`` / ``total_order``, Saltelli et al.
2010), computed for all outputs at once and equal to what ``analyze.sobol.analyze``
gives for each one (tested), give the first-order (S1) and total-order (ST)
indices of each factor on

* each unit's rank, and
* the mean absolute rank shift, ``mean_i |rank_i - nominal_rank_i|``,

with bootstrap confidence intervals (``conf_level``, ``num_resamples``).
Discrete factors (methods, leave-one-out, clustering levels) are uniform on
[0, 1) and mapped to their choices, as in the Monte Carlo analysis. A unit
whose rank never changes has no variance to apportion: its indices are NaN.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from techhubs.errors import TechhubsError
from techhubs.index import rank_rows
from techhubs.methodology import Methodology
from techhubs.robustness._budget import bytes_per_run, check_runs
from techhubs.robustness.spec import UncertaintySpec
from techhubs.robustness.uncertainty import (
    IntervalResult,
    PanelFactory,
    Progress,
    build_engine,
    interval_result,
    largest_power_of_two,
    required_runs,
)

Array = NDArray[np.float64]
MIN_BASE = 16
SOBOL_RESAMPLES = 100
"""Bootstrap resamples for the indices' confidence intervals (SALib's default)."""
SHIFT = "mean_abs_rank_shift"


def _check_base(base_n: int, d: int, runs: int | None) -> None:
    if base_n < MIN_BASE or base_n & (base_n - 1):
        need = required_runs(d, MIN_BASE)
        given = f"{runs} runs" if runs is not None else f"N = {base_n}"
        raise TechhubsError(
            f"Sobol analysis of {d} uncertain input(s) needs at least {need} runs "
            f"(N (d + 2) with N a power of two >= {MIN_BASE}); got {given}",
            key="runs",
            hint=f"use --runs {need} or more, e.g. {required_runs(d, 64)} "
            f"(N = 64) or {required_runs(d, 256)} (N = 256)",
        )


def base_size(d: int, runs: int | None = None, base_n: int | None = None) -> int:
    """The Saltelli base sample size N for a run budget (largest power of two that fits)."""
    if base_n is not None:
        _check_base(int(base_n), d, None)
        return int(base_n)
    if runs is None:
        runs = required_runs(d, 256)
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise TechhubsError(f"runs must be a positive integer, got {runs!r}", key="runs")
    n = largest_power_of_two(runs / (d + 2))
    _check_base(n, d, runs)
    return n


def sobol_indices(names: Sequence[str], evaluate: Callable[[Array], Array], base_n: int,
                  seed: int | None = 0, num_resamples: int = SOBOL_RESAMPLES,
                  conf_level: float = 0.95) -> dict[str, Any]:
    """S1 / ST (with CI half-widths) of every output column of ``evaluate(U)``.

    ``evaluate`` maps a unit-hypercube sample ``U`` (runs, d) to outputs
    (runs, n_outputs). Returns arrays of shape (n_outputs, d) under keys
    ``S1, S1_conf, ST, ST_conf`` plus ``U`` and ``Y``.
    """
    from SALib.sample import sobol as sobol_sample

    d = len(names)
    _check_base(base_n, d, None)
    if not 0 < conf_level < 1:
        raise TechhubsError(f"conf_level must be in (0, 1), got {conf_level}", key="conf_level")
    problem = {"num_vars": d, "names": list(names), "bounds": [[0.0, 1.0]] * d}
    U = sobol_sample.sample(problem, base_n, calc_second_order=False, scramble=True, seed=seed)
    Y = np.asarray(evaluate(U), dtype=np.float64)
    if Y.ndim == 1:
        Y = Y[:, None]
    out = _analyze(Y, d, base_n, seed, num_resamples, conf_level)
    out_any: dict[str, Any] = dict(out)
    out_any["U"] = U
    out_any["Y"] = Y
    return out_any


# Bootstrap arrays are (N, resamples, outputs) per block: this many cells bound their size
# (blocks of outputs, and of resamples when N x resamples alone is larger).
_BOOT_CELLS = 1_000_000


def _analyze(Y: Array, d: int, base_n: int, seed: int | None, num_resamples: int,
             conf_level: float) -> dict[str, Array]:
    """SALib's Sobol estimators (``analyze.sobol.first_order`` / ``total_order``: Saltelli
    et al. 2010, outputs standardised, percentile-free bootstrap CI ``Z x sd``) applied to
    every output column at once, with one bootstrap resampling shared by all outputs;
    equal to ``analyze.sobol.analyze`` run on each column with the same seed (tested)."""
    from scipy.stats import norm

    runs, n_out = Y.shape
    if runs != base_n * (d + 2):
        raise ValueError(f"expected {base_n * (d + 2)} outputs, got {runs}")
    out = {k: np.full((n_out, d), np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    ok = np.all(np.isfinite(Y), axis=0) & (np.ptp(Y, axis=0) > 0)
    cols = np.flatnonzero(ok)
    if cols.size == 0:
        return out
    Z = norm.ppf(0.5 + conf_level / 2)
    r = np.random.default_rng(seed).integers(base_n, size=(base_n, num_resamples))
    r = np.ascontiguousarray(r.T)  # (resamples, N): a chunk of resamples is contiguous
    step = d + 2
    block = max(1, _BOOT_CELLS // (base_n * num_resamples))
    r_block = max(1, _BOOT_CELLS // base_n)
    for start in range(0, cols.size, block):
        sel = cols[start:start + block]
        y = Y[:, sel]
        y = (y - y.mean(axis=0)) / y.std(axis=0)
        A, B = np.ascontiguousarray(y[0::step]), np.ascontiguousarray(y[step - 1::step])
        AB = [np.ascontiguousarray(y[j + 1::step]) for j in range(d)]
        # The variance does not depend on the factor: once per block (SALib recomputes it
        # in every first_order / total_order call).
        var = np.var(np.concatenate([A, B]), axis=0)
        boot = {k: np.empty((num_resamples, sel.size, d)) for k in ("S1", "ST")}
        for r0 in range(0, num_resamples, r_block):
            rr = r[r0:r0 + r_block]
            _bootstrap(A, B, AB, rr, boot["S1"][r0:r0 + rr.shape[0]],
                       boot["ST"][r0:r0 + rr.shape[0]])
        for j, ABj in enumerate(AB):
            out["S1"][sel, j] = _ratio(np.mean(B * (ABj - A), axis=0), var)
            out["ST"][sel, j] = _ratio(0.5 * np.mean((A - ABj) ** 2, axis=0), var)
        out["S1_conf"][sel] = Z * boot["S1"].std(axis=0, ddof=1)
        out["ST_conf"][sel] = Z * boot["ST"].std(axis=0, ddof=1)
    return out


def _ratio(num: Array, var: Array) -> Array:
    return np.divide(num, var, out=np.zeros_like(var), where=var > np.finfo(float).eps)


def _bootstrap(A: Array, B: Array, AB: list[Array], rr: NDArray[np.int64], s1: Array,
               st: Array) -> None:
    """S1 and ST of resamples ``rr`` (k, N) into ``s1`` / ``st`` (k, outputs, d)."""
    Ar, Br = A[rr], B[rr]  # (k, N, outputs)
    var_r = np.var(np.concatenate([Ar, Br], axis=1), axis=1)
    for j, ABj in enumerate(AB):
        ABr = ABj[rr]
        s1[:, :, j] = _ratio(np.mean(Br * (ABr - Ar), axis=1), var_r)
        st[:, :, j] = _ratio(0.5 * np.mean((Ar - ABr) ** 2, axis=1), var_r)


@dataclass(frozen=True)
class SensitivityResult:
    """Sobol indices of each factor on each unit's rank and on the mean absolute rank shift.

    ``indices``: output (``rank`` or ``mean_abs_rank_shift``), unit_id, name
    (null for the shift), factor, S1, S1_conf, ST, ST_conf (conf = CI
    half-width). ``summary``: the rows of the mean absolute rank shift.
    ``intervals``: rank intervals over the same runs.
    """

    indices: pl.DataFrame
    summary: pl.DataFrame
    intervals: IntervalResult
    factors: tuple[str, ...]
    base_n: int
    runs: int
    seed: int | None
    conf_level: float
    provenance: dict[str, Any] = field(default_factory=dict)

    def unit(self, unit_id: str) -> pl.DataFrame:
        return self.indices.filter(pl.col("unit_id") == unit_id)

    def to_dict(self) -> dict[str, Any]:
        return {"runs": self.runs, "base_n": self.base_n, "seed": self.seed,
                "conf_level": self.conf_level, "factors": list(self.factors),
                "provenance": self.provenance,
                "summary": self.summary.to_dicts(), "indices": self.indices.to_dicts()}


def sensitivity(source: Any, spec: UncertaintySpec | Mapping[str, Any] | float | None = None,
                runs: int | None = None, seed: int | None = 0,
                progress: Progress | None = None, *,
                method: str | Methodology | None = None,
                panel_factory: PanelFactory | None = None, base_n: int | None = None,
                num_resamples: int = SOBOL_RESAMPLES, conf_level: float = 0.95,
                top: int = 10) -> SensitivityResult:
    """Sobol first- and total-order indices of every uncertain input on the ranks.

    ``runs`` is the budget: the largest ``N (d + 2)`` (N a power of two)
    that fits is used (default N = 256); fewer than ``16 (d + 2)`` runs is an
    error. ``source``, ``spec``, ``method``, ``panel_factory`` as in
    :func:`~techhubs.robustness.rank_intervals`.
    """
    composite, s, engine = build_engine(source, spec, method, panel_factory)
    d = engine.design.d
    n = base_size(d, runs, base_n)
    check_runs(required_runs(d, n), bytes_per_run(d, len(engine.design.nodes),
                                                  composite.panel_.n_units, num_resamples),
               what="Sobol runs")
    nominal = rank_rows(composite.score_).astype(np.float64)  # as the runs rank
    holder: dict[str, Any] = {}

    def evaluate(U: Array) -> Array:
        ranks, W = engine.evaluate(U, progress=progress)
        holder["ranks"], holder["W"] = ranks, W
        # outputs written in place, chunk by chunk: no (runs, units) float temporaries
        Y = np.empty((ranks.shape[0], ranks.shape[1] + 1), dtype=np.float64)
        step = max(1, 1_000_000 // max(ranks.shape[1], 1))
        for start in range(0, ranks.shape[0], step):
            r = ranks[start:start + step].astype(np.float64)
            Y[start:start + step, :-1] = r
            Y[start:start + step, -1] = np.abs(r - nominal).mean(axis=1)
        return Y

    res = sobol_indices(engine.design.names, evaluate, n, seed, num_resamples, conf_level)
    panel = composite.panel_
    ids, names = panel.unit_ids, panel.units["name"].to_list()
    rows: dict[str, list[Any]] = {k: [] for k in ("output", "unit_id", "name", "factor", "S1",
                                                   "S1_conf", "ST", "ST_conf")}
    for j in range(len(ids) + 1):
        for f, factor in enumerate(engine.design.names):
            rows["output"].append("rank" if j < len(ids) else SHIFT)
            rows["unit_id"].append(ids[j] if j < len(ids) else None)
            rows["name"].append(names[j] if j < len(ids) else None)
            rows["factor"].append(factor)
            for k in ("S1", "S1_conf", "ST", "ST_conf"):
                rows[k].append(float(res[k][j, f]))
    indices = pl.DataFrame(rows, schema={"output": pl.String, "unit_id": pl.String,
                                         "name": pl.String, "factor": pl.String,
                                         "S1": pl.Float64, "S1_conf": pl.Float64,
                                         "ST": pl.Float64, "ST_conf": pl.Float64})
    indices = indices.with_columns(pl.col(c).fill_nan(None) for c in
                                   ("S1", "S1_conf", "ST", "ST_conf"))
    summary = indices.filter(pl.col("output") == SHIFT).drop("unit_id", "name")
    U = res["U"]
    intervals = interval_result(composite, s, engine, U, holder["ranks"], holder["W"], U.shape[0],
                        seed, top)
    provenance = {**intervals.provenance, "sobol": {"base_n": n, "runs": U.shape[0],
                                                    "num_resamples": num_resamples,
                                                    "conf_level": conf_level,
                                                    "design": "Saltelli (SALib sobol, "
                                                              "no second order)"}}
    return SensitivityResult(indices=indices, summary=summary, intervals=intervals,
                             factors=tuple(engine.design.names), base_n=n, runs=U.shape[0],
                             seed=seed, conf_level=conf_level, provenance=provenance)
