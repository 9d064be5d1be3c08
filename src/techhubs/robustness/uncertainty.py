"""Monte Carlo rank intervals: how sure is each rank?

Every uncertain input of an :class:`~techhubs.robustness.spec.UncertaintySpec`
is one *factor*, a column of a unit-hypercube sample ``U`` (runs, d):

* a weight (uniform: ``w = w0 (1 - x + 2 x u)``; Dirichlet: ``w`` from
  gamma quantiles ``G^-1(u; c w0 / sum w0)``, renormalised to the nominal
  total of the siblings, so Dirichlet weights are also a function of
  independent uniforms and Sobol designs apply unchanged);
* a discrete choice (normalisation, aggregation, imputation, treatment,
  which indicator to leave out, a clustering parameter on a grid of
  levels): ``floor(u x n_choices)``.

Runs are then grouped by their discrete choices. Each distinct
(panel, imputation, treatment, normalisation) matrix is computed once; all
runs of a group are evaluated together, in chunks, as array operations
(:func:`techhubs.index.batch_scores`, the engine's batched evaluator), never a
Python loop over runs. Leaving an indicator out is weight 0 for it. The same seed gives the
same samples and the same ranks.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from techhubs.errors import ComputationError, MethodologyError, TechhubsError
from techhubs.index import (
    Composite,
    batch_scores,
    fit_methodology,
    rank_rows,
    resolve_methodology,
    transform,
)
from techhubs.methodology import Methodology, Node
from techhubs.panel import Panel
from techhubs.robustness._budget import bytes_per_run, check_runs
from techhubs.robustness.spec import UncertaintySpec, aggregation_spec, normalisation_spec

Array = NDArray[np.float64]
Progress = Callable[[int, int], None]
PanelFactory = Callable[[dict[str, float]], Panel]

# Per chunk, (runs x units) cells of one node's scores: bounds memory.
_CHUNK_CELLS = 2_000_000


@dataclass(frozen=True)
class Factor:
    """One uncertain input: a column of the unit-hypercube sample."""

    name: str
    kind: str  # weight | normalisation | aggregation | imputation | treatment | leave_one_out
    #            | clustering
    choices: tuple[Any, ...] = ()
    node: str | None = None
    half_width: float = 0.0

    @property
    def discrete(self) -> bool:
        return self.kind != "weight"

    def pick(self, u: Array) -> NDArray[np.int64]:
        n = len(self.choices)
        return np.minimum((np.asarray(u) * n).astype(np.int64), n - 1)


def _single_threaded_blas() -> AbstractContextManager[Any]:
    """BLAS on one thread: the products here have 2-10 inner terms, where threads only
    add overhead (and spin badly on a loaded machine)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: only a speed-up
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _grid(lo: float, hi: float, levels: int) -> tuple[float, ...]:
    if lo == hi or levels == 1:
        return (float(f"{(lo + hi) / 2:.10g}"),)
    return tuple(float(f"{v:.10g}") for v in np.linspace(lo, hi, levels))


class Design:
    """The factors of a spec for one methodology, and the map from ``U`` to run inputs."""

    def __init__(self, m: Methodology, spec: UncertaintySpec,
                 has_factory: bool = False) -> None:
        self.methodology = m
        self.spec = spec
        self.nodes: list[Node] = [n for n in m.nodes if n.parent is not None]
        self.columns = {n.code: i for i, n in enumerate(self.nodes)}
        self.nominal = np.asarray([n.weight for n in self.nodes], dtype=np.float64)
        factors: list[Factor] = []
        ranges = self._weight_ranges()
        if spec.weight_mode == "uniform":
            for code, x in ranges.items():
                if x > 0 and self.nominal[self.columns[code]] > 0:
                    factors.append(Factor(f"weight:{code}", "weight", node=code, half_width=x))
        else:
            by_parent: dict[str, list[str]] = {}
            for code, x in ranges.items():
                node = m.node(code)
                if x > 0 and node.weight > 0 and node.parent is not None:
                    by_parent.setdefault(node.parent, []).append(code)
            for codes in by_parent.values():
                if len(codes) >= 2:
                    factors += [Factor(f"weight:{c}", "weight", node=c) for c in codes]
            self._dirichlet_groups = [g for g in by_parent.values() if len(g) >= 2]
        for kind, choices in (("normalisation", spec.normalisation),
                              ("aggregation", spec.aggregation),
                              ("imputation", spec.imputation),
                              ("treatment", spec.treatment)):
            if len(choices) >= 2:
                factors.append(Factor(kind, kind, tuple(choices)))
        if spec.leave_one_out:
            leaves = [n.code for n in m.indicators]
            if len(leaves) < 2:
                raise MethodologyError("leave_one_out needs at least two indicators",
                                       file=spec.origin, key="uncertainty.leave_one_out")
            factors.append(Factor("leave_one_out", "leave_one_out", (None, *leaves)))
        if spec.clustering and not has_factory:
            raise TechhubsError(
                "clustering uncertainty needs a panel factory that re-clusters the points",
                key="uncertainty.clustering",
                hint="pass panel_factory=... (techhubs builds one from a points file)")
        for name, (lo, hi) in spec.clustering.items():
            factors.append(Factor(f"clustering:{name}", "clustering",
                                  _grid(lo, hi, spec.clustering_levels), node=name))
        if not factors:
            raise TechhubsError(
                "no uncertain inputs: every factor of the spec is fixed",
                file=spec.origin, key="uncertainty",
                hint="declare e.g. weights = 0.25 or normalisation = ['minmax', 'zscore'] "
                "in [uncertainty], or pass --weights 0.25")
        self.factors = factors
        # Single choices are fixed overrides, not factors.
        self.fixed = {kind: choices[0] for kind, choices in
                      (("normalisation", spec.normalisation), ("aggregation", spec.aggregation),
                       ("imputation", spec.imputation), ("treatment", spec.treatment))
                      if len(choices) == 1}

    @property
    def d(self) -> int:
        return len(self.factors)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.factors]

    @property
    def discrete(self) -> list[Factor]:
        return [f for f in self.factors if f.discrete]

    def _weight_ranges(self) -> dict[str, float]:
        spec, m = self.spec, self.methodology
        by_level = spec.weight_levels
        if by_level:
            levels = m.levels()
            present = {levels[n.code] for n in self.nodes}
            absent = sorted(set(by_level) - present)
            if absent:
                raise MethodologyError(
                    f"the tree has no node at level {absent[0]} below the root",
                    file=spec.origin, key="uncertainty.weights.levels",
                    hint=f"levels with weights: {', '.join(map(str, sorted(present)))} "
                    "(1 = indicators)")
            return {n.code: by_level[levels[n.code]] for n in self.nodes
                    if levels[n.code] in by_level}
        if isinstance(spec.weights, Mapping):
            out = {}
            for code, x in spec.weights.items():
                if code not in self.columns:
                    raise MethodologyError(
                        f"unknown node {code!r} in the weight uncertainty",
                        file=spec.origin, key=f"uncertainty.weights.{code}",
                        hint=f"nodes: {', '.join(self.columns)}")
                out[code] = float(x)
            return out
        x = float(spec.weights)
        nodes = m.indicators if spec.weight_scope == "indicators" else self.nodes
        return {n.code: x for n in nodes}

    # ------------------------------------------------------------- mapping
    def weights(self, U: Array) -> Array:
        """(runs, n_nodes) weights of every non-root node."""
        runs = U.shape[0]
        W = np.broadcast_to(self.nominal, (runs, len(self.nodes))).copy()
        idx = {f.name: i for i, f in enumerate(self.factors)}
        if self.spec.weight_mode == "uniform":
            for f in self.factors:
                if f.kind == "weight":
                    assert f.node is not None
                    j = self.columns[f.node]
                    x = f.half_width
                    W[:, j] = self.nominal[j] * (1.0 - x + 2.0 * x * U[:, idx[f.name]])
            return W
        from scipy.stats import gamma

        c = self.spec.concentration
        for group in self._dirichlet_groups:
            cols = [self.columns[code] for code in group]
            w0 = self.nominal[cols]
            alpha = c * w0 / w0.sum()
            u = np.clip(U[:, [idx[f"weight:{code}"] for code in group]], 1e-12, 1 - 1e-12)
            g = gamma.ppf(u, alpha)
            W[:, cols] = g / g.sum(axis=1, keepdims=True) * w0.sum()
        return W

    def choices(self, U: Array) -> NDArray[np.int64]:
        """(runs, n_discrete) choice indices."""
        cols = [i for i, f in enumerate(self.factors) if f.discrete]
        if not cols:
            return np.zeros((U.shape[0], 0), dtype=np.int64)
        return np.column_stack([self.factors[i].pick(U[:, i]) for i in cols])

    def samples(self, U: Array, W: Array) -> pl.DataFrame:
        """One row per run: the sampled value of each factor."""
        cols: dict[str, Any] = {"run": np.arange(U.shape[0], dtype=np.int64)}
        for i, f in enumerate(self.factors):
            if f.kind == "weight":
                assert f.node is not None
                cols[f.name] = W[:, self.columns[f.node]]
                continue
            picked = f.pick(U[:, i])
            if f.kind == "treatment":
                cols[f.name] = ["on" if f.choices[j] else "off" for j in picked]
            elif f.kind == "clustering":
                cols[f.name] = np.asarray(f.choices, dtype=np.float64)[picked]
            else:
                cols[f.name] = pl.Series(f.name, [f.choices[j] for j in picked], dtype=pl.String)
        return pl.DataFrame(cols)


def match_units(nominal: Panel, variant: Panel) -> NDArray[np.int64]:
    """For each nominal unit, its unit in ``variant`` (index) or -1 when it has none.

    Same ``unit_id`` first; else the variant unit sharing the most members.
    """
    ids = {u: i for i, u in enumerate(variant.unit_ids)}
    out = np.full(nominal.n_units, -1, dtype=np.int64)
    have_members = "members" in nominal.units.columns and "members" in variant.units.columns
    var_members = ([set(m or []) for m in variant.units["members"].to_list()]
                   if have_members else [])
    nom_members = ([set(m or []) for m in nominal.units["members"].to_list()]
                   if have_members else [])
    for i, uid in enumerate(nominal.unit_ids):
        if uid in ids:
            out[i] = ids[uid]
        elif have_members and nom_members[i]:
            overlaps = [len(nom_members[i] & mv) for mv in var_members]
            best = int(np.argmax(overlaps)) if overlaps else -1
            if best >= 0 and overlaps[best] > 0:
                out[i] = best
    return out


class Engine:
    """Evaluates ranks for a unit-hypercube sample, batched over runs."""

    def __init__(self, m: Methodology, panel: Panel, spec: UncertaintySpec,
                 panel_factory: PanelFactory | None = None) -> None:
        self.methodology = m
        self.panel = panel
        self.spec = spec
        self.design = Design(m, spec, has_factory=panel_factory is not None)
        self._prepared: dict[tuple[Any, ...], Array] = {}
        self._variants: dict[tuple[Any, ...], tuple[Panel, Methodology,
                                                    NDArray[np.int64]]] = {}
        self._factory: Callable[..., Panel] | None = None
        if panel_factory is not None:
            factory = panel_factory

            @functools.lru_cache(maxsize=64)
            def cached(items: tuple[tuple[str, float], ...]) -> Panel:
                return factory(dict(items))

            self._factory = cached

    # ----------------------------------------------------------- variants
    def variant(self, params: tuple[tuple[str, float], ...]) -> tuple[Panel, Methodology,
                                                                       NDArray[np.int64]]:
        if params not in self._variants:
            if not params or self._factory is None:
                panel = self.panel
                match = np.arange(panel.n_units, dtype=np.int64)
            else:
                panel = self._factory(params)
                match = match_units(self.panel, panel)
            m, _ = fit_methodology(self.methodology, panel)
            self._variants[params] = (panel, m, match)
        return self._variants[params]

    def prepared(self, params: tuple[tuple[str, float], ...], imputation: str,
                 treatment: bool, normalisation: str | None) -> Array:
        """The normalised matrix of one variant's panel and step choices (cached)."""
        key = (params, imputation, treatment, normalisation)
        if key not in self._prepared:
            panel, m, _ = self.variant(params)
            m = m.with_step("impute", method=imputation)
            m = m.with_step("treat", method="winsorise" if treatment else "none")
            if normalisation is not None:
                spec = normalisation_spec(normalisation, m.normalise)
                m = m.with_step("normalise", **spec.model_dump())
            self._prepared[key] = transform(panel, m)["normalised"]
        return self._prepared[key]

    # ------------------------------------------------------------ evaluate
    def evaluate(self, U: Array, progress: Progress | None = None,
                 chunk: int | None = None) -> tuple[NDArray[np.int32], Array]:
        """Ranks (runs, n_units) of the nominal units, and the weights (runs, n_nodes)."""
        U = np.asarray(U, dtype=np.float64)
        if U.ndim != 2 or U.shape[1] != self.design.d:
            raise ValueError(f"U must be (runs, {self.design.d}), got {U.shape}")
        runs = U.shape[0]
        W = self.design.weights(U)
        D = self.design.choices(U)
        n = self.panel.n_units
        ranks = np.empty((runs, n), dtype=np.int32)
        if runs == 0:
            return ranks, W
        if D.shape[1]:
            keys, inverse = np.unique(D, axis=0, return_inverse=True)
            inverse = inverse.reshape(-1)
        else:
            keys = np.zeros((1, 0), dtype=np.int64)
            inverse = np.zeros(runs, dtype=np.int64)
        with _single_threaded_blas():
            self._evaluate_groups(U, W, keys, inverse, ranks, progress, chunk)
        return ranks, W

    def _evaluate_groups(self, U: Array, W: Array, keys: NDArray[np.int64],
                         inverse: NDArray[np.int64], ranks: NDArray[np.int32],
                         progress: Progress | None, chunk: int | None) -> None:
        runs = U.shape[0]
        n = self.panel.n_units
        discrete = self.design.discrete
        order = np.argsort(inverse, kind="stable")
        bounds = np.searchsorted(inverse[order], np.arange(len(keys) + 1))
        m0 = self.methodology
        done = 0
        for g, key in enumerate(keys):
            rows = order[bounds[g]:bounds[g + 1]]
            if rows.size == 0:
                continue
            chosen = {f.name: f.choices[int(j)] for f, j in zip(discrete, key, strict=True)}
            params = tuple(sorted((f.node, float(chosen[f.name])) for f in discrete
                                  if f.kind == "clustering" and f.node is not None))
            fixed = self.design.fixed
            imputation = chosen.get("imputation", fixed.get("imputation", m0.impute.method))
            treat = chosen.get("treatment", fixed.get("treatment", m0.treat.method != "none"))
            norm = chosen.get("normalisation", fixed.get("normalisation"))
            agg = chosen.get("aggregation", fixed.get("aggregation"))
            loo = chosen.get("leave_one_out")
            panel, m, match = self.variant(params)
            x = self.prepared(params, imputation, bool(treat), norm)
            override = aggregation_spec(agg, m.aggregate) if agg else None
            codes = m.indicator_codes
            n_var = panel.n_units
            step = chunk or max(1, _CHUNK_CELLS // max(n_var, 1))
            for start in range(0, rows.size, step):
                sel = rows[start:start + step]
                w = W[sel]
                if loo is not None and loo in self.design.columns:
                    w = w.copy()
                    w[:, self.design.columns[loo]] = 0.0
                try:
                    scores = batch_scores(x, codes, m, w, self.design.columns, override)
                except ComputationError as exc:
                    where = ", ".join(f"{k} = {v!r}" for k, v in chosen.items()
                                      if k in ("normalisation", "aggregation", "imputation",
                                               "treatment"))
                    exc.message = f"{exc.message} (runs with {where or 'the nominal steps'})"
                    exc.args = (exc.message,)
                    exc.file = exc.file or self.spec.origin
                    raise
                r = rank_rows(scores)
                if n_var == n and np.array_equal(match, np.arange(n)):
                    ranks[sel] = r
                else:
                    padded = np.concatenate(
                        [r, np.full((r.shape[0], 1), n_var + 1, dtype=np.int32)], axis=1)
                    ranks[sel] = padded[:, np.where(match >= 0, match, n_var)]
                done += sel.size
                if progress is not None:
                    progress(done, runs)


# ---------------------------------------------------------------- results
@dataclass(frozen=True)
class IntervalResult:
    """Rank intervals of every unit under the declared uncertainty.

    ``table``: unit_id, name, nominal_rank, median_rank, rank_p05, rank_p95,
    p_top10 (share of runs in the top 10), mean_rank, rank_sd, rank_min,
    rank_max; sorted by nominal rank. ``ranks``: (runs, n_units) int
    ranks, columns in the panel's unit order. ``samples``: one row per run,
    the sampled value of every factor. ``weights``: (runs, n_nodes) weights
    used, columns ``weight_nodes``.
    """

    table: pl.DataFrame
    ranks: NDArray[np.int32]
    samples: pl.DataFrame
    weights: Array
    weight_nodes: tuple[str, ...]
    unit_ids: tuple[str, ...]
    nominal_rank: NDArray[np.int64]
    factors: tuple[str, ...]
    spec: UncertaintySpec
    runs: int
    seed: int | None
    top: int = 10
    provenance: dict[str, Any] = field(default_factory=dict)

    def swap_share(self, a: str, b: str) -> float:
        """Share of runs in which units ``a`` and ``b`` (ids) are ranked the other way round
        from their nominal order."""
        i, j = self.unit_ids.index(a), self.unit_ids.index(b)
        nominal = np.sign(self.nominal_rank[i] - self.nominal_rank[j])
        return float(np.mean(np.sign(self.ranks[:, i] - self.ranks[:, j]) == -nominal))

    def to_dict(self) -> dict[str, Any]:
        return {"runs": self.runs, "seed": self.seed, "factors": list(self.factors),
                "spec": self.spec.to_dict(), "provenance": self.provenance,
                "rows": self.table.to_dicts()}


def _rank_counts(ranks: NDArray[np.int32]) -> NDArray[np.int64] | None:
    """(n_units, max_rank + 1) counts of each rank per unit, or None when too large."""
    runs, n = ranks.shape
    top = int(ranks.max()) + 1
    if n * top > 50_000_000:
        return None
    offsets = np.arange(n, dtype=np.int64)[None, :] * top
    counts = np.zeros(n * top, dtype=np.int64)
    step = max(1, _CHUNK_CELLS // max(n, 1))  # bounded temporaries, whatever the runs
    for start in range(0, runs, step):
        flat = (offsets + ranks[start:start + step]).ravel()
        counts += np.bincount(flat, minlength=n * top)
    return counts.reshape(n, top)


def _order_statistics(ranks: NDArray[np.int32], positions: list[int],
                      counts: NDArray[np.int64] | None = None) -> list[NDArray[np.int64]]:
    """The ``positions``-th smallest rank (0-based) of every column, via rank counts."""
    counts = _rank_counts(ranks) if counts is None else counts
    if counts is None:
        ordered = np.sort(ranks, axis=0)
        return [ordered[i].astype(np.int64) for i in positions]
    cum = np.cumsum(counts, axis=1)
    return [np.argmax(cum > i, axis=1).astype(np.int64) for i in positions]


def rank_quantiles(ranks: NDArray[np.int32], probs: list[float],
                   counts: NDArray[np.int64] | None = None) -> list[Array]:
    """Quantiles of every column of a (runs, n_units) rank matrix, by R's default rule
    (``quantile(type = 7)``, numpy's ``linear``): with ``h = (runs - 1) p``, the
    ``floor(h)``-th and next order statistics, linearly interpolated."""
    runs = ranks.shape[0]
    positions: list[int] = []
    plan = []
    for p in probs:
        h = (runs - 1) * p
        lo = math.floor(h + 1e-9)
        hi = min(lo + 1, runs - 1)
        plan.append((lo, hi, max(h - lo, 0.0)))
        positions += [lo, hi]
    stats = dict(zip(positions, _order_statistics(ranks, positions, counts), strict=True))
    out = []
    for lo, hi, frac in plan:
        a, b = stats[lo].astype(np.float64), stats[hi].astype(np.float64)
        out.append(a + frac * (b - a))
    return out


def interval_table(ranks: NDArray[np.int32], nominal: NDArray[np.int64], unit_ids: list[str],
                   names: list[str], top: int = 10) -> pl.DataFrame:
    """Per-unit summary of a (runs, n_units) rank matrix.

    ``median_rank``, ``rank_p05`` and ``rank_p95`` are quantiles by R's default
    definition (type 7, as COINr's ``get_sensitivity`` reports them): a 5 %
    quantile between two observed ranks is interpolated, e.g. 3.45.
    """
    runs = ranks.shape[0]
    counts = _rank_counts(ranks)
    p05, med, p95 = rank_quantiles(ranks, [0.05, 0.5, 0.95], counts)
    if counts is not None:  # moments from the rank histogram: no (runs, n) float copy
        values = np.arange(counts.shape[1], dtype=np.float64)
        mean = counts @ values / runs
        second = counts @ (values * values) / runs
        var = np.maximum(second - mean * mean, 0.0) * runs / max(runs - 1, 1)
        p_top = counts[:, :top + 1].sum(axis=1) / runs
        seen = counts > 0
        rank_min = np.argmax(seen, axis=1)
        rank_max = counts.shape[1] - 1 - np.argmax(seen[:, ::-1], axis=1)
    else:
        r = ranks.astype(np.float64)
        mean = r.mean(axis=0)
        var = ((r - mean) ** 2).sum(axis=0) / max(runs - 1, 1)
        p_top = np.mean(ranks <= top, axis=0)
        rank_min, rank_max = ranks.min(axis=0), ranks.max(axis=0)
    sd = np.sqrt(var) if runs > 1 else np.zeros(ranks.shape[1])
    table = pl.DataFrame({
        "unit_id": unit_ids,
        "name": names,
        "nominal_rank": nominal.astype(np.int64),
        "median_rank": med,
        "rank_p05": p05,
        "rank_p95": p95,
        f"p_top{top}": p_top,
        "mean_rank": mean,
        "rank_sd": sd,
        "rank_min": np.asarray(rank_min).astype(np.int64),
        "rank_max": np.asarray(rank_max).astype(np.int64),
    })
    return table.sort(["nominal_rank", "unit_id"])


def resolve_source(source: Any, method: str | Methodology | None = None) -> Composite:
    """A fitted :class:`Composite` from a Composite, a Panel (+ method) or a (panel, method)."""
    if isinstance(source, tuple) and len(source) == 2:
        source, method = source
    if isinstance(source, Composite):
        if not hasattr(source, "node_scores_"):
            if method is not None:
                raise TechhubsError("give a fitted Composite, or a Panel with method=")
            raise TechhubsError("the Composite is not fitted", hint="call .fit(panel) first")
        return source
    if isinstance(source, Panel):
        return Composite(resolve_methodology(method or "gii-clusters")).fit(source)
    raise TechhubsError(f"cannot rank {type(source).__name__}: give a fitted Composite, a "
                        "Panel with method=, or (panel, method)")


def _spec_for(composite: Composite, spec: UncertaintySpec | Mapping[str, Any] | float | None
              ) -> UncertaintySpec:
    if spec is None:
        m = resolve_methodology(composite.method)
        return UncertaintySpec.from_methodology(m)
    if isinstance(spec, UncertaintySpec):
        return spec
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        return UncertaintySpec(weights=float(spec))
    if isinstance(spec, Mapping):
        return UncertaintySpec.from_dict(spec, origin="<memory>")
    raise TechhubsError(f"not an uncertainty spec: {spec!r}")


def build_engine(source: Any, spec: UncertaintySpec | Mapping[str, Any] | float | None = None,
                 method: str | Methodology | None = None,
                 panel_factory: PanelFactory | None = None
                 ) -> tuple[Composite, UncertaintySpec, Engine]:
    composite = resolve_source(source, method)
    s = _spec_for(composite, spec)
    engine = Engine(composite.methodology_, composite.panel_, s, panel_factory)
    return composite, s, engine


def rank_intervals(source: Any, spec: UncertaintySpec | Mapping[str, Any] | float | None = None,
                   runs: int = 1000, seed: int | None = 0, progress: Progress | None = None,
                   *, method: str | Methodology | None = None,
                   panel_factory: PanelFactory | None = None, top: int = 10,
                   chunk: int | None = None) -> IntervalResult:
    """Monte Carlo rank intervals.

    ``source`` is a fitted :class:`~techhubs.index.Composite`, a
    :class:`~techhubs.panel.Panel` (with ``method=``, a preset, file or
    Methodology; default ``gii-clusters``) or a ``(panel, method)`` pair.
    ``spec`` defaults to the methodology's ``[uncertainty]`` table; a number
    ``x`` means ``UncertaintySpec(weights=x)``. ``panel_factory(params)``
    re-builds the panel for clustering parameters (``eps_km``,
    ``min_weight``); calls are cached per grid point. ``progress(done,
    total)`` is called after each batch.
    """
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise TechhubsError(f"runs must be a positive integer, got {runs!r}", key="runs")
    if top < 1:
        raise TechhubsError("top must be at least 1", key="top")
    composite, s, engine = build_engine(source, spec, method, panel_factory)
    check_runs(runs, bytes_per_run(engine.design.d, len(engine.design.nodes),
                                   composite.panel_.n_units))
    rng = np.random.default_rng(seed)
    U = rng.random((runs, engine.design.d))
    ranks, W = engine.evaluate(U, progress=progress, chunk=chunk)
    return interval_result(composite, s, engine, U, ranks, W, runs, seed, top)


def interval_result(composite: Composite, s: UncertaintySpec, engine: Engine, U: Array,
            ranks: NDArray[np.int32], W: Array, runs: int, seed: int | None,
            top: int) -> IntervalResult:
    panel = composite.panel_
    # as the runs rank them: a unit without a score is placed last (its rows are then
    # blanked: it has no rank, and no interval)
    nominal = rank_rows(composite.score_).astype(np.int64)
    table = interval_table(ranks, nominal, panel.unit_ids, panel.units["name"].to_list(), top)
    unscored = [u for u, s in zip(panel.unit_ids, composite.score_, strict=True) if np.isnan(s)]
    if unscored:
        blank = pl.col("unit_id").is_in(unscored)
        table = table.with_columns(pl.when(~blank).then(pl.col(c)).alias(c)
                                   for c in table.columns if c not in ("unit_id", "name"))
    provenance = {**composite.provenance(), "uncertainty": s.to_dict(), "runs": runs,
                  "seed": seed, "factors": engine.design.names}
    return IntervalResult(
        table=table, ranks=ranks, samples=engine.design.samples(U, W), weights=W,
        weight_nodes=tuple(n.code for n in engine.design.nodes),
        unit_ids=tuple(panel.unit_ids), nominal_rank=nominal,
        factors=tuple(engine.design.names), spec=s, runs=runs, seed=seed, top=top,
        provenance=provenance,
    )


def required_runs(d: int, base: int) -> int:
    """Runs of a Saltelli design without second-order terms: N (d + 2)."""
    return base * (d + 2)


def largest_power_of_two(x: float) -> int:
    return 1 << math.floor(math.log2(x)) if x >= 1 else 0
