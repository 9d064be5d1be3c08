"""The composite index: one object carrying data, methodology and a build log.

``Composite(methodology).fit(panel)`` runs the steps in order::

    raw -> denominated -> imputed -> treated -> normalised -> aggregated

and keeps every intermediate table (``data_``), the scores of every node of the
tree (``scores_``), the ranking (``ranking_``) and a log of what each step did
(``log_``). A variant is "change one step, rebuild"::

    base = Composite("gii-clusters").fit(panel)
    variant = base.rebuild(normalise={"method": "zscore"})
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from techhubs._version import __version__
from techhubs.config import Methodology, Node, load_methodology
from techhubs.errors import ComputationError, MethodologyError
from techhubs.index import _aggregate, _impute, _normalise, _treat
from techhubs.panel import Panel

Array = NDArray[np.float64]


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
    if missing:
        methodology = methodology.without_indicators({n.code for n in missing})
        log.append(LogEntry("select", "drop-optional", {},
                            {"dropped": [n.code for n in missing],
                             "reason": "optional indicator absent from the data"}))
    for n in methodology.indicators:
        if n.denominator and not panel.has(n.denominator):
            raise MethodologyError(
                f"denominator {n.denominator!r} of indicator {n.code!r} is not in the data",
                file=methodology.origin, key=f"indicator ({n.code}).denominator",
                hint="add a column of that name (e.g. population) to the data",
            )
    return methodology, log


class Composite:
    """A composite index built from a :class:`~techhubs.panel.Panel`.

    Parameters
    ----------
    method:
        A :class:`~techhubs.config.Methodology`, a preset name
        (``gii-clusters``, ``gii-intensity``, ``hub-factors``) or a TOML path.

    Attributes (after ``fit``)
    --------------------------
    methodology_ : the methodology actually used (optional indicators dropped)
    panel_ : the input panel
    data_ : dict step -> (n_units, n_indicators) array, for
        ``raw, denominated, imputed, treated, normalised``
    scores_ : polars DataFrame, ``unit_id`` + one column per node of the tree
    ranking_ : :class:`~techhubs.index.ranking.Ranking`
    log_ : list of :class:`LogEntry`
    """

    def __init__(self, method: str | Methodology = "gii-clusters") -> None:
        self.method = method

    # ------------------------------------------------------------------ build
    def fit(self, panel: Panel) -> Composite:
        methodology, log = fit_methodology(resolve_methodology(self.method), panel)
        leaves = list(methodology.indicators)
        codes = [n.code for n in leaves]
        raw = panel.matrix(codes)
        data: dict[str, Array] = {"raw": raw}

        x = _denominate(raw, leaves, panel, methodology, log)
        data["denominated"] = x
        x = _impute_step(x, panel, methodology, log)
        data["imputed"] = x
        x = _treat_step(x, codes, methodology, log)
        data["treated"] = x
        x = _normalise_step(x, leaves, panel, methodology, log)
        data["normalised"] = x
        node_scores = _aggregate_tree(x, codes, methodology, log)

        self.methodology_ = methodology
        self.panel_ = panel
        self.data_ = data
        self.node_scores_ = node_scores
        self.log_ = log
        root = methodology.root.code
        self.score_ = node_scores[root]
        self.rank_ = _aggregate.rank_descending(self.score_)
        self.scores_ = pl.DataFrame(
            {"unit_id": panel.unit_ids, **{k: v for k, v in node_scores.items()}}
        )
        from techhubs.index.ranking import Ranking

        self.ranking_ = Ranking.from_composite(self)
        return self

    def rebuild(self, **steps: Mapping[str, Any]) -> Composite:
        """Refit with some steps changed, e.g. ``rebuild(aggregate={"method": "geometric"})``.

        A ``weights={"code": w}`` entry replaces node weights.
        """
        self._check_fitted()
        methodology = resolve_methodology(self.method)
        for step, changes in steps.items():
            if step == "weights":
                methodology = methodology.with_weights({k: float(v) for k, v in changes.items()})
            else:
                methodology = methodology.with_step(step, **changes)
        return Composite(methodology).fit(self.panel_)

    def provenance(self) -> dict[str, Any]:
        self._check_fitted()
        m = self.methodology_
        return {
            **dict(self.panel_.provenance),
            "methodology": m.name,
            "methodology_origin": m.origin,
            "techhubs": __version__,
            "steps": {
                "denominate": m.denominate.__dict__,
                "impute": m.impute.__dict__,
                "treat": m.treat.__dict__,
                "normalise": m.normalise.__dict__,
                "aggregate": m.aggregate.__dict__,
            },
        }

    def _check_fitted(self) -> None:
        if not hasattr(self, "node_scores_"):
            raise RuntimeError("call fit(panel) first")


# ------------------------------------------------------------------- steps
def _denominate(raw: Array, leaves: list[Node], panel: Panel, m: Methodology,
                log: list[LogEntry]) -> Array:
    x = raw.copy()
    done = []
    for j, node in enumerate(leaves):
        if node.denominator:
            denom = panel.column(node.denominator)
            with np.errstate(invalid="ignore", divide="ignore"):
                x[:, j] = np.where(denom > 0, raw[:, j] / (denom / m.denominate.scale), np.nan)
            done.append(node.code)
    log.append(LogEntry("denominate", "ratio" if done else "none",
                        {"scale": m.denominate.scale},
                        {"indicators": {n.code: n.denominator for n in leaves if n.denominator}}))
    return x


def unit_groups(panel: Panel, group: str) -> NDArray[np.int64]:
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


def normalise(x: Array, leaves: list[Node], panel: Panel, m: Methodology,
              method: str | None = None) -> Array:
    """Apply the methodology's normalisation (or ``method``) to ``(..., n_units, k)``."""
    spec = m.normalise
    method = method or spec.method
    direction = np.asarray([n.direction for n in leaves], dtype=np.float64)
    if method == "minmax":
        return _normalise.minmax(x, direction, spec.low, spec.high)
    if method == "zscore":
        return _normalise.zscore(x, direction, spec.mean, spec.sd)
    if method == "rank":
        return _normalise.rank(x, direction)
    if method == "percentile":
        return _normalise.percentile(x, direction, spec.scale)
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
                        {k: v for k, v in m.normalise.__dict__.items()}, details))
    return out


def aggregate_tree(normalised: Array, codes: list[str], m: Methodology,
                   weights: Mapping[str, Array] | None = None,
                   method: str | None = None) -> dict[str, Array]:
    """Scores of every node, bottom-up. ``normalised`` is ``(..., n_units, k)``.

    ``weights`` may override node weights with arrays (batched over leading
    axes); ``method`` overrides every node's aggregation method.
    """
    scores: dict[str, Array] = {code: normalised[..., j] for j, code in enumerate(codes)}
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
        spec = m.aggregation_for(node)
        scores[node.code] = _aggregate.aggregate(
            xs, w, method or spec.method, spec.p, spec.min_coverage
        )
    return scores


def _aggregate_tree(x: Array, codes: list[str], m: Methodology,
                    log: list[LogEntry]) -> dict[str, Array]:
    try:
        scores = aggregate_tree(x, codes, m)
    except ComputationError as exc:
        exc.file = exc.file or m.origin
        raise
    incomplete = int(np.isnan(scores[m.root.code]).sum())
    log.append(LogEntry(
        "aggregate", m.aggregate.method,
        {"p": m.aggregate.p, "min_coverage": m.aggregate.min_coverage},
        {"levels": m.depth(), "nodes": [n.code for n in m.aggregation_order()],
         "units_without_score": incomplete},
    ))
    return scores
