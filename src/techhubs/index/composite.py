"""The composite index: one object carrying data, methodology and a build log.

``Composite(methodology).fit(panel)`` runs the steps in order::

    raw -> denominated -> imputed -> treated -> normalised -> aggregated

and keeps every intermediate table (``data_``), the scores of every node of the
tree (``node_scores_``), the ranking (``ranking_``) and a log of what each step
did (``log_``). A variant is "change one step, regenerate"::

    base = Composite("gii-clusters").fit(panel)
    variant = base.rebuild(normalise={"method": "zscore"})
    what_if = base.rebuild(weights={"pct_applications": 2.0})

``rebuild`` reuses every intermediate table upstream of the first step that
changed, so a what-if on weights or aggregation costs one pass over the
normalised matrix. This module, :mod:`._aggregate` and :mod:`._batch` are the
only code that computes scores: fits, what-ifs (API, dashboard) and batches of
variants (:mod:`techhubs.robustness`) all come from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from techhubs._version import __version__
from techhubs.errors import ComputationError, MethodologyError
from techhubs.index import _impute, _means, _normalise, _treat
from techhubs.index.ranking import Ranking, ranking_table
from techhubs.methodology import STEPS, AggregationSpec, Methodology, Node, load_methodology
from techhubs.panel import Panel

Array = NDArray[np.float64]

# The matrix each step leaves in ``data_`` (aggregate leaves node scores).
STEP_DATA = {"denominate": "denominated", "impute": "imputed", "treat": "treated",
             "normalise": "normalised"}


@dataclass(frozen=True)
class LogEntry:
    """What one build step did."""

    step: str
    method: str
    params: Mapping[str, Any]
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "method": self.method, "params": dict(self.params),
                "details": dict(self.details)}


def resolve_methodology(method: str | Methodology) -> Methodology:
    """A :class:`Methodology` as given, or loaded by preset name or TOML path."""
    return method if isinstance(method, Methodology) else load_methodology(method)


def fit_methodology(methodology: Methodology, panel: Panel) -> tuple[Methodology, list[LogEntry]]:
    """Check the tree against the panel; drop optional indicators the panel lacks."""
    log: list[LogEntry] = []
    missing = [n for n in methodology.indicators if not panel.has(n.code)]
    required = [n for n in missing if not n.optional]
    if required:
        available = ", ".join(panel.indicator_codes)
        raise MethodologyError(
            f"unknown indicator {required[0].code!r}: the data has no such column",
            file=methodology.origin,
            key=f"indicator ({required[0].code}).code",
            hint=f"indicators in the data: {available}",
        )
    if missing and len(missing) == len(methodology.indicators):
        raise MethodologyError(
            f"none of the indicators is in the data: "
            f"{', '.join(n.code for n in missing)}",
            file=methodology.origin, key="indicator",
            hint=f"indicators in the data: {', '.join(panel.indicator_codes)}")
    if missing:
        kept = methodology.without_indicators({n.code for n in missing})
        emptied = [n.code for n in methodology.nodes
                   if not n.is_indicator and n.code not in {k.code for k in kept.nodes}]
        methodology = kept
        # the weighted means renormalise the weights of what remains, at every level
        log.append(LogEntry("select", "drop-optional", {},
                            {"dropped": [n.code for n in missing],
                             "dropped_nodes": emptied,
                             "reason": "optional indicator absent from the data"}))
    if methodology.denominate.method != "none":
        for n in methodology.indicators:
            if n.denominator and not panel.has(n.denominator):
                raise MethodologyError(
                    f"denominator {n.denominator!r} of indicator {n.code!r} is not in the data",
                    file=methodology.origin, key=f"indicator ({n.code}).denominator",
                    hint="add a column of that name (e.g. population) to the data, or set "
                    "[denominate] method = \"none\"",
                )
    return methodology, log


def _leaf_signature(m: Methodology) -> tuple[Any, ...]:
    """What the matrices depend on in the tree: the indicators and their settings."""
    return tuple((n.code, n.direction, n.denominator, n.goalposts, n.world_total)
                 for n in m.indicators)


def reusable_steps(old: Methodology, new: Methodology) -> list[str]:
    """The leading steps whose output ``new`` can take from a fit of ``old`` on one panel."""
    if _leaf_signature(old) != _leaf_signature(new):
        return []
    same = []
    for step in STEPS:
        if step == "aggregate" or getattr(old, step) != getattr(new, step):
            break
        same.append(step)
    return same


class Composite:
    """A composite index built from a :class:`~techhubs.panel.Panel`.

    Parameters
    ----------
    method:
        A :class:`~techhubs.methodology.Methodology`, a preset name
        (``gii-clusters``, ``gii-intensity``, ``hub-factors``) or a TOML path.

    Attributes (after ``fit``)
    --------------------------
    methodology_ : the methodology actually used (optional indicators dropped)
    panel_ : the input panel
    data_ : dict step -> (n_units, n_indicators) array, for
        ``raw, denominated, imputed, treated, normalised``
    node_scores_ : dict node code -> (n_units,) scores, every node of the tree
    score_, rank_ : the index score and competition rank of every unit (NaN: no score)
    scores_ : polars DataFrame, ``unit_id`` + one column per node of the tree
    ranking_ : :class:`~techhubs.index.ranking.Ranking`
    log_ : list of :class:`LogEntry`

    Examples
    --------
    >>> from techhubs import Composite, load_edition
    >>> coin = Composite("gii-clusters").fit(load_edition("gii-2023"))
    >>> coin.ranking_.table["name"][0]
    'Tokyo–Yokohama'
    >>> coin.rebuild(weights={"scientific_publications": 0}).ranking_.table["name"][0]
    'Tokyo–Yokohama'
    """

    methodology_: Methodology
    panel_: Panel
    data_: dict[str, Array]
    node_scores_: dict[str, Array]
    log_: list[LogEntry]
    score_: Array
    rank_: Array

    def __init__(self, method: str | Methodology = "gii-clusters") -> None:
        self.method = method

    # ------------------------------------------------------------------ build
    def fit(self, panel: Panel) -> Composite:
        """Run every step on ``panel``; returns ``self``."""
        return self._fit(resolve_methodology(self.method), panel, None)

    def _fit(self, resolved: Methodology, panel: Panel, base: Composite | None) -> Composite:
        methodology, log = fit_methodology(resolved, panel)
        reuse: list[str] = []
        if base is not None and base.panel_ is panel:
            reuse = reusable_steps(base.methodology_, methodology)
            log = [e for e in base.log_ if e.step == "select"] + log
        self.methodology_ = methodology
        self.panel_ = panel
        self.data_ = transform(panel, methodology, log, reuse=base, reuse_steps=reuse)
        self.node_scores_ = aggregate_step(self.data_["normalised"], methodology, log)
        self.log_ = log
        self.score_ = self.node_scores_[methodology.root.code]
        # A unit whose score cannot be computed (no data) is unranked (NaN), as in COINr,
        # not placed last.
        self.rank_ = np.where(np.isnan(self.score_), np.nan,
                              _means.rank_descending(self.score_))
        self.__dict__.pop("_ranking", None)
        return self

    def rebuild(self, **steps: Mapping[str, Any]) -> Composite:
        """Refit with some steps changed, e.g. ``rebuild(aggregate={"method": "geometric"})``.

        The changes apply to the tree as fitted (``methodology_``: optional
        indicators the panel lacks are gone). A ``weights={"code": w}`` entry
        replaces node weights (validated by
        :meth:`~techhubs.methodology.Methodology.with_weights`). Intermediate tables
        upstream of the first changed step are reused, not recomputed.
        """
        self._check_fitted()
        methodology = self.methodology_
        for step, changes in steps.items():
            if step == "weights":
                methodology = methodology.with_weights(changes)
            else:
                methodology = methodology.with_step(step, **changes)
        return Composite(methodology)._fit(methodology, self.panel_, self)

    @property
    def scores_(self) -> pl.DataFrame:
        self._check_fitted()
        return pl.DataFrame({"unit_id": self.panel_.unit_ids, **self.node_scores_})

    @property
    def ranking_(self) -> Ranking:
        self._check_fitted()
        if "_ranking" not in self.__dict__:
            m = self.methodology_
            self._ranking = ranking_table(
                panel=self.panel_, methodology=m, rank=self.rank_, score=self.score_,
                raw=self.data_["raw"], normalised=self.data_["normalised"],
                node_scores=self.node_scores_, provenance=self.provenance(),
                log=tuple(e.to_dict() for e in self.log_))
        return self._ranking

    def provenance(self) -> dict[str, Any]:
        """Panel provenance plus the methodology and every step's parameters."""
        self._check_fitted()
        m = self.methodology_
        return {
            **dict(self.panel_.provenance),
            "methodology": m.name,
            "methodology_origin": m.origin,
            "techhubs": __version__,
            "steps": {step: getattr(m, step).model_dump() for step in STEPS},
        }

    def _check_fitted(self) -> None:
        if not hasattr(self, "node_scores_"):
            raise RuntimeError("call fit(panel) first")


# ------------------------------------------------------------------- steps
def transform(panel: Panel, m: Methodology, log: list[LogEntry] | None = None, *,
              reuse: Composite | None = None, reuse_steps: list[str] | None = None
              ) -> dict[str, Array]:
    """The matrices of every step before aggregation: ``raw, denominated, imputed, treated,
    normalised`` (each ``(n_units, n_indicators)``).

    ``m`` must fit ``panel`` (:func:`fit_methodology`). Steps named in
    ``reuse_steps`` take their matrix (and log entry) from the fitted ``reuse``.
    """
    log = log if log is not None else []
    leaves = list(m.indicators)
    codes = [n.code for n in leaves]
    reused = set(reuse_steps or [])
    old_log = {e.step: e for e in reuse.log_} if reuse is not None else {}
    data: dict[str, Array] = {
        "raw": reuse.data_["raw"] if reuse is not None and reused else panel.matrix(codes)}
    x = data["raw"]
    for step in STEPS[:-1]:
        if step in reused and reuse is not None:
            x = reuse.data_[STEP_DATA[step]]
            log.append(old_log[step])
        elif step == "denominate":
            x = _denominate(x, leaves, panel, m, log)
        elif step == "impute":
            x = _impute_step(x, panel, m, log)
        elif step == "treat":
            x = _treat_step(x, codes, m, log)
        else:
            x = _normalise_step(x, leaves, panel, m, log)
        data[STEP_DATA[step]] = x
    return data


def _denominate(raw: Array, leaves: list[Node], panel: Panel, m: Methodology,
                log: list[LogEntry]) -> Array:
    named = {n.code: n.denominator for n in leaves if n.denominator}
    if m.denominate.method == "none" or not named:
        log.append(LogEntry("denominate", "none", {"scale": m.denominate.scale},
                            {"indicators": named}))
        return raw
    x = raw.copy()
    for j, node in enumerate(leaves):
        if node.denominator:
            denom = panel.column(node.denominator)
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                x[:, j] = np.where(denom > 0, raw[:, j] / (denom / m.denominate.scale), np.nan)
    log.append(LogEntry("denominate", "ratio", {"scale": m.denominate.scale},
                        {"indicators": named}))
    return x


def unit_groups(panel: Panel, group: str) -> NDArray[np.int64]:
    """Each unit's group index, from a text column of the units (``economy``: the first
    listed economy)."""
    if group == "economy":
        labels = [e[0] if e else "" for e in panel.units["economies"].to_list()]
    elif group in panel.units.columns:
        labels = [str(v) for v in panel.units[group].to_list()]
    else:
        raise MethodologyError(f"group column {group!r} is not in the data",
                               key="impute.group",
                               hint="use 'economy' or a text column of the units")
    _, inverse = np.unique(np.asarray(labels, dtype=object).astype(str), return_inverse=True)
    return inverse.astype(np.int64)


def _impute_step(x: Array, panel: Panel, m: Methodology, log: list[LogEntry]) -> Array:
    method = m.impute.method
    missing = int(np.isnan(x).sum())
    groups = unit_groups(panel, m.impute.group) if method == "group_mean" else None
    out = _impute.impute(x, method, groups)
    log.append(LogEntry("impute", method, {"group": m.impute.group},
                        {"missing_before": missing, "missing_after": int(np.isnan(out).sum())}))
    return out


def _treat_step(x: Array, codes: list[str], m: Methodology, log: list[LogEntry]) -> Array:
    t = m.treat
    if t.method == "none":
        log.append(LogEntry("treat", "none", {}))
        return x
    out, records = _treat.treat(x, codes, t.skew, t.kurtosis, t.max_points, t.fallback)
    log.append(LogEntry("treat", t.method,
                        {"skew": t.skew, "kurtosis": t.kurtosis, "max_points": t.max_points,
                         "fallback": t.fallback},
                        {"indicators": [r.__dict__ for r in records if r.action != "none"]}))
    return out


def world_totals(leaves: list[Node], panel: Panel, m: Methodology) -> Array:
    """The world total of every indicator (methodology first, then the panel's metadata)."""
    totals = []
    for node in leaves:
        total = node.world_total or panel.world_total(node.code)
        if total is None:
            raise MethodologyError(
                f"share normalisation needs the world total of {node.code!r}",
                file=m.origin, key=f"indicator ({node.code}).world_total",
                hint="set world_total in the methodology or in the data's indicator metadata",
            )
        totals.append(total)
    return np.asarray(totals)


def normalise(x: Array, leaves: list[Node], panel: Panel, m: Methodology) -> Array:
    """Apply the methodology's normalisation to ``(..., n_units, k)``."""
    spec = m.normalise
    method = spec.method
    direction = np.asarray([n.direction for n in leaves], dtype=np.float64)
    if method == "minmax":
        return _normalise.minmax(x, direction, spec.low, spec.high)
    if method == "zscore":
        return _normalise.zscore(x, direction, spec.mean, spec.sd)
    if method == "rank":
        return _normalise.rank(x, direction, spec.ties)
    if method == "percentile":
        return _normalise.percentile(x, direction, spec.scale, spec.ties)
    if method == "goalposts":
        missing = [n.code for n in leaves if n.goalposts is None]
        if missing:
            raise MethodologyError("goalposts normalisation needs goalposts on every indicator",
                                   file=m.origin, key=f"indicator ({missing[0]}).goalposts")
        low = np.asarray([n.goalposts[0] for n in leaves if n.goalposts])
        high = np.asarray([n.goalposts[1] for n in leaves if n.goalposts])
        return _normalise.goalposts(x, direction, low, high, spec.scale)
    if method == "dist2max":
        return _normalise.dist2max(x, direction, spec.scale)
    if method == "share":
        return _normalise.share(x, world_totals(leaves, panel, m), spec.scale)
    if method == "none":
        return _normalise.identity(x, direction)
    raise MethodologyError(f"unknown normalisation {method!r}", key="normalise.method")


def _normalise_step(x: Array, leaves: list[Node], panel: Panel, m: Methodology,
                    log: list[LogEntry]) -> Array:
    out = normalise(x, leaves, panel, m)
    details: dict[str, Any] = {}
    if m.normalise.method == "share":
        details["world_totals"] = dict(zip([n.code for n in leaves],
                                           world_totals(leaves, panel, m).tolist(), strict=True))
    log.append(LogEntry("normalise", m.normalise.method,
                        m.normalise.model_dump(), details))
    return out


def aggregate_tree(normalised: Array, codes: list[str], m: Methodology,
                   weights: Mapping[str, Array] | None = None,
                   aggregation: AggregationSpec | None = None) -> dict[str, Array]:
    """Scores of every node, bottom-up. ``normalised`` is ``(..., n_units, k)``.

    ``weights`` may override node weights with arrays (batched over leading
    axes); ``aggregation`` overrides every node's aggregation.
    """
    scale = _means.safe_scale(normalised, m, aggregation)
    if scale != 1.0:  # every mean is homogeneous: scale down, aggregate, scale back
        scores = aggregate_tree(normalised / scale, codes, m, weights, aggregation)
        return {k: v * scale for k, v in scores.items()}
    scores = {code: normalised[..., j] for j, code in enumerate(codes)}
    for node in m.aggregation_order():
        children = m.children(node.code)
        xs = np.stack([scores[c.code] for c in children], axis=-1)
        if weights is None:
            w: Array = np.asarray([c.weight for c in children], dtype=np.float64)
        else:
            w = np.stack(
                [np.broadcast_to(np.asarray(weights.get(c.code, c.weight), dtype=np.float64),
                                 normalised.shape[:-2]) for c in children],
                axis=-1,
            )
        spec = aggregation or m.aggregation_for(node)
        scores[node.code] = _means.aggregate(xs, w, spec.method, spec.p, spec.min_coverage)
    return scores


def aggregate_step(x: Array, m: Methodology, log: list[LogEntry]) -> dict[str, Array]:
    """Scores of every node of ``m`` from the normalised matrix, with a log entry."""
    try:
        scores = aggregate_tree(x, m.indicator_codes, m)
    except ComputationError as exc:
        exc.file = exc.file or m.origin
        raise
    for node in m.aggregation_order():
        if np.isinf(scores[node.code]).any():
            raise ComputationError(
                f"the scores of {node.code!r} overflow (beyond about 1.8e308)", file=m.origin,
                key=f"{node.code}.aggregation",
                hint="normalise the indicators (e.g. minmax) or scale the data down")
    incomplete = int(np.isnan(scores[m.root.code]).sum())
    log.append(LogEntry(
        "aggregate", m.aggregate.method,
        {"p": m.aggregate.p, "min_coverage": m.aggregate.min_coverage},
        {"levels": m.depth(), "nodes": [n.code for n in m.aggregation_order()],
         "units_without_score": incomplete},
    ))
    return scores
