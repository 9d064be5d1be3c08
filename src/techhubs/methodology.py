"""Frozen, validated specifications: the methodology of a composite index.

A methodology is an indicator tree (indicators -> pillars -> ... -> index)
plus one spec per build step. It is read from TOML (see
``techhubs/presets/*.toml`` for complete examples)::

    name = "my-index"
    title = "My hub index"

    [[indicator]]
    code = "patents"          # column of the panel
    parent = "output"
    weight = 1.0
    direction = 1             # +1: more is better, -1: less is better
    # denominator = "population"   # optional, per-capita
    # goalposts = [0, 500]         # for normalise.method = "goalposts"
    # world_total = 1255625        # for normalise.method = "share"
    # optional = true              # drop from the tree when the data lacks it

    [[node]]
    code = "output"
    parent = "index"
    weight = 0.5

    [[node]]
    code = "index"            # the root: no parent

    [denominate]  method = "ratio"     # ratio | none (keep raw values)
                  scale = 1e6
    [impute]      method = "none"      # none | mean | median | group_mean
    [treat]       method = "none"      # none | winsorise
    [normalise]   method = "minmax"    # see NORMALISATION_METHODS
    [aggregate]   method = "arithmetic" # see AGGREGATION_METHODS

Every invalid input raises :class:`~techhubs.errors.MethodologyError` naming
the file and the offending key.
"""

from __future__ import annotations

import functools
import math
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from techhubs.errors import MethodologyError

IMPUTATION_METHODS = ("none", "mean", "median", "group_mean")
TREATMENT_METHODS = ("none", "winsorise")
NORMALISATION_METHODS = (
    "minmax",
    "zscore",
    "rank",
    "percentile",
    "goalposts",
    "dist2max",
    "share",
    "none",
)
AGGREGATION_METHODS = ("arithmetic", "sum", "geometric", "harmonic", "generalised", "copeland")
DENOMINATION_METHODS = ("ratio", "none")
TREATMENT_FALLBACKS = ("log", "log_ct_plus", "log_plus_one", "none")
RANK_TIES = ("average", "min")
STEPS = ("denominate", "impute", "treat", "normalise", "aggregate")


@dataclass(frozen=True)
class DenominationSpec:
    """Divide indicators that name a ``denominator`` by it, times ``scale``.

    ``scale = 1e6`` with denominator ``population`` gives "per million inhabitants".
    ``method = "none"`` keeps the raw values although indicators name a
    denominator (COINr's build without ``Denominate()``).
    """

    method: str = "ratio"
    scale: float = 1.0


@dataclass(frozen=True)
class ImputationSpec:
    method: str = "none"
    group: str = "economy"  # unit column for group_mean; "economy" = first listed economy


@dataclass(frozen=True)
class TreatmentSpec:
    """COINr's outlier rule: winsorise while |skew| >= skew and kurtosis >= kurtosis.

    ``fallback`` when winsorising ``max_points`` is not enough: ``log`` (COINr's
    ``log_CT``), ``log_ct_plus``, ``log_plus_one`` or ``none`` (see
    :mod:`techhubs.index._treat`).
    """

    method: str = "none"
    skew: float = 2.0
    kurtosis: float = 3.5
    max_points: int = 5
    fallback: str = "log"


@dataclass(frozen=True)
class NormalisationSpec:
    method: str = "minmax"
    low: float = 0.0  # minmax range
    high: float = 100.0
    mean: float = 0.0  # zscore target mean and sd
    sd: float = 1.0
    scale: float = 100.0  # goalposts / dist2max / share / percentile scale
    ties: str = "average"  # rank / percentile: tied values share the average or lowest rank


@dataclass(frozen=True)
class AggregationSpec:
    method: str = "arithmetic"
    p: float = 1.0  # exponent of the generalised mean
    min_coverage: float = 0.0  # minimum share of a node's children with data


@dataclass(frozen=True)
class Node:
    """An indicator (leaf) or an aggregate (pillar, sub-index, index)."""

    code: str
    name: str
    parent: str | None
    weight: float = 1.0
    is_indicator: bool = False
    direction: int = 1
    denominator: str | None = None
    goalposts: tuple[float, float] | None = None
    world_total: float | None = None
    optional: bool = False
    aggregation: AggregationSpec | None = None  # per-node override
    unit: str = ""
    source: str = ""


@dataclass(frozen=True)
class Methodology:
    name: str
    nodes: tuple[Node, ...]
    title: str = ""
    description: str = ""
    denominate: DenominationSpec = field(default_factory=DenominationSpec)
    impute: ImputationSpec = field(default_factory=ImputationSpec)
    treat: TreatmentSpec = field(default_factory=TreatmentSpec)
    normalise: NormalisationSpec = field(default_factory=NormalisationSpec)
    aggregate: AggregationSpec = field(default_factory=AggregationSpec)
    weights_sum: float | None = None
    origin: str = "<memory>"  # file or preset name, for messages and provenance
    # The [uncertainty] table, validated by techhubs.robustness when used.
    uncertainty: Mapping[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------- tree
    @property
    def root(self) -> Node:
        return next(n for n in self.nodes if n.parent is None)

    @property
    def indicators(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.is_indicator)

    @property
    def indicator_codes(self) -> list[str]:
        return [n.code for n in self.indicators]

    def node(self, code: str) -> Node:
        return self._by_code[code]

    @functools.cached_property
    def _by_code(self) -> dict[str, Node]:
        return {n.code: n for n in self.nodes}

    def children(self, code: str) -> tuple[Node, ...]:
        return self._children.get(code, ())

    @functools.cached_property
    def _children(self) -> dict[str, tuple[Node, ...]]:
        # Built once per (immutable) methodology: the tree is walked on every fit.
        out: dict[str, list[Node]] = {}
        for n in self.nodes:
            if n.parent is not None:
                out.setdefault(n.parent, []).append(n)
        return {k: tuple(v) for k, v in out.items()}

    def aggregation_order(self) -> list[Node]:
        """Aggregate nodes, deepest first (post-order), so children come before parents."""
        out: list[Node] = []

        def visit(node: Node) -> None:
            for child in self.children(node.code):
                if not child.is_indicator:
                    visit(child)
            out.append(node)

        visit(self.root)
        return out

    def depth(self) -> int:
        def d(node: Node) -> int:
            kids = self.children(node.code)
            return 1 + max((d(k) for k in kids), default=0)

        return d(self.root)

    def aggregation_for(self, node: Node) -> AggregationSpec:
        return node.aggregation or self.aggregate

    # --------------------------------------------------------------- variants
    def with_step(self, step: str, **changes: Any) -> Methodology:
        """A copy with one build step changed: ``m.with_step("normalise", method="zscore")``."""
        if step not in STEPS:
            raise MethodologyError(f"unknown step {step!r}", key=step,
                                   hint=f"steps are: {', '.join(STEPS)}")
        spec = getattr(self, step)
        try:
            new = replace(spec, **changes)
        except TypeError as exc:
            raise MethodologyError(str(exc), key=step) from exc
        out = replace(self, **{step: new})
        _validate_steps(out, self.origin)
        return out

    def with_weights(self, weights: Mapping[str, Any]) -> Methodology:
        """A copy with some node weights replaced (keys are node codes).

        The one validation of weights given after the methodology was read
        (what-if weights of the API and dashboard, Python callers): every key a
        node below the root, every value a finite number >= 0, and no parent
        left with children of total weight 0. Errors name ``weights.<code>``.
        """
        settable = {n.code for n in self.nodes if n.parent is not None}
        for code, value in weights.items():
            if code not in settable:
                raise MethodologyError(
                    f"unknown node {code!r}: not an indicator or pillar of {self.name}",
                    key=f"weights.{code}", hint=f"weights: {', '.join(sorted(settable))}")
            if (isinstance(value, bool) or not isinstance(value, int | float | np.number)
                    or not math.isfinite(value) or value < 0):
                raise MethodologyError(
                    f"weight of {code!r} must be a finite number >= 0, got {value!r}",
                    key=f"weights.{code}")
        nodes = tuple(
            replace(n, weight=float(weights[n.code])) if n.code in weights else n
            for n in self.nodes
        )
        for parent in (n for n in nodes if not n.is_indicator):
            kids = [k for k in nodes if k.parent == parent.code]
            if kids and all(k.weight == 0 for k in kids):
                raise MethodologyError(
                    f"all weights under {parent.code!r} are 0: nothing left to rank by",
                    key="weights", hint=f"give one of {', '.join(k.code for k in kids)} a "
                    "positive weight")
        out = replace(self, nodes=nodes, weights_sum=None)
        _validate_tree(out.nodes, out.weights_sum, self.origin)
        return out

    def levels(self) -> dict[str, int]:
        """Each node's level, counted as COINr does: indicators 1, a parent one above its
        highest child (pillars 2, sub-indices 3, ... in a balanced tree)."""
        out: dict[str, int] = {}

        def level(node: Node) -> int:
            if node.code not in out:
                kids = self.children(node.code)
                out[node.code] = 1 if node.is_indicator or not kids else \
                    1 + max(level(k) for k in kids)
            return out[node.code]

        for n in self.nodes:
            level(n)
        return out

    def without_indicators(self, codes: set[str]) -> Methodology:
        """Drop indicators (and aggregates left with no children)."""
        nodes = [n for n in self.nodes if n.code not in codes]
        while True:
            parents = {n.parent for n in nodes}
            empty = [n for n in nodes if not n.is_indicator and n.code not in parents]
            if not empty:
                break
            if any(n.parent is None for n in empty):
                raise MethodologyError("no indicators left in the tree", file=self.origin)
            nodes = [n for n in nodes if n not in empty]
        return replace(self, nodes=tuple(nodes), weights_sum=None)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_toml(self) -> str:
        """Serialise back to the TOML layout :func:`load_methodology` reads."""
        import tomli_w

        doc: dict[str, Any] = {"name": self.name, "title": self.title,
                               "description": self.description}
        if self.weights_sum is not None:
            doc["weights_sum"] = self.weights_sum
        ind, agg = [], []
        for n in self.nodes:
            entry: dict[str, Any] = {"code": n.code, "name": n.name, "weight": n.weight}
            if n.parent is not None:
                entry["parent"] = n.parent
            if n.is_indicator:
                entry["direction"] = n.direction
                for key in ("denominator", "world_total", "unit", "source"):
                    if getattr(n, key):
                        entry[key] = getattr(n, key)
                if n.goalposts:
                    entry["goalposts"] = list(n.goalposts)
                if n.optional:
                    entry["optional"] = True
                ind.append(entry)
            else:
                if n.aggregation:
                    entry["aggregation"] = asdict(n.aggregation)
                agg.append(entry)
        doc["indicator"] = ind
        doc["node"] = agg
        for step in STEPS:
            doc[step] = asdict(getattr(self, step))
        if self.uncertainty:
            doc["uncertainty"] = dict(self.uncertainty)
        return tomli_w.dumps(doc)


# ---------------------------------------------------------------- loading
def load_methodology(source: str | Path) -> Methodology:
    """Load a methodology by preset name (``gii-clusters``) or from a TOML file."""
    from techhubs.presets import preset_path

    text_source = str(source)
    path = Path(text_source)
    if not path.suffix and not path.exists():
        path = preset_path(text_source)
    if not path.exists():
        raise MethodologyError("methodology file not found", file=path,
                               hint="give a preset name (techhubs methods) or a .toml file")
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise MethodologyError(f"invalid TOML: {exc}", file=path) from exc
    return methodology_from_dict(raw, origin=str(path))


def methodology_from_dict(raw: Mapping[str, Any], origin: str = "<memory>") -> Methodology:
    """Validate a parsed TOML document and build a :class:`Methodology`."""
    known = {"name", "title", "description", "weights_sum", "indicator", "node", "uncertainty",
             *STEPS}
    for key in raw:
        if key not in known:
            raise MethodologyError(f"unknown key {key!r}", file=origin, key=key,
                                   hint=f"top-level keys are: {', '.join(sorted(known))}")
    name = _expect(raw, "name", str, origin, default=Path(origin).stem)
    indicators = raw.get("indicator") or []
    aggregates = raw.get("node") or []
    if not isinstance(indicators, list) or not indicators:
        raise MethodologyError("no [[indicator]] entries", file=origin, key="indicator",
                               hint="declare each indicator as an [[indicator]] table")
    if not isinstance(aggregates, list) or not aggregates:
        raise MethodologyError("no [[node]] entries (the tree needs at least a root)",
                               file=origin, key="node")
    nodes: list[Node] = []
    for i, entry in enumerate(indicators):
        nodes.append(_node(entry, f"indicator[{i}]", True, origin))
    for i, entry in enumerate(aggregates):
        nodes.append(_node(entry, f"node[{i}]", False, origin))
    weights_sum = raw.get("weights_sum")
    if weights_sum is not None and not isinstance(weights_sum, int | float):
        raise MethodologyError("weights_sum must be a number", file=origin, key="weights_sum")
    _validate_tree(tuple(nodes), weights_sum, origin)
    steps: dict[str, Any] = {}
    for step, cls in (("denominate", DenominationSpec), ("impute", ImputationSpec),
                      ("treat", TreatmentSpec), ("normalise", NormalisationSpec),
                      ("aggregate", AggregationSpec)):
        steps[step] = _spec(cls, raw.get(step, {}), step, origin)
    uncertainty = raw.get("uncertainty", {})
    if not isinstance(uncertainty, Mapping):
        raise MethodologyError("must be a table", file=origin, key="uncertainty")
    m = Methodology(
        name=name,
        uncertainty=dict(uncertainty),
        title=str(raw.get("title", "")),
        description=str(raw.get("description", "")),
        nodes=tuple(nodes),
        weights_sum=float(weights_sum) if weights_sum is not None else None,
        origin=origin,
        **steps,
    )
    _validate_steps(m, origin)
    return m


def _expect(raw: Mapping[str, Any], key: str, kind: type, origin: str, default: Any = None,
            where: str = "") -> Any:
    value = raw.get(key, default)
    if value is not None and not isinstance(value, kind):
        raise MethodologyError(
            f"must be {kind.__name__}, got {type(value).__name__} {value!r}",
            file=origin, key=f"{where}{key}",
        )
    return value


def _node(entry: Any, where: str, is_indicator: bool, origin: str) -> Node:
    if not isinstance(entry, Mapping):
        raise MethodologyError("must be a table", file=origin, key=where)
    allowed = {"code", "name", "parent", "weight"}
    if is_indicator:
        allowed |= {"direction", "denominator", "goalposts", "world_total", "optional", "unit",
                    "source"}
    else:
        allowed |= {"aggregation"}
    for key in entry:
        if key not in allowed:
            raise MethodologyError(f"unknown key {key!r}", file=origin, key=f"{where}.{key}",
                                   hint=f"allowed: {', '.join(sorted(allowed))}")
    code = entry.get("code")
    if not isinstance(code, str) or not code:
        raise MethodologyError("missing 'code'", file=origin, key=f"{where}.code")
    where = f"{where} ({code})"
    weight = entry.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, int | float) or not math.isfinite(weight):
        raise MethodologyError(f"weight must be a number, got {weight!r}", file=origin,
                               key=f"{where}.weight")
    if weight < 0:
        raise MethodologyError(f"negative weight {weight}", file=origin, key=f"{where}.weight",
                               hint="weights must be >= 0; use direction = -1 for 'less is better'")
    parent = entry.get("parent")
    if parent is not None and (not isinstance(parent, str)):
        raise MethodologyError("parent must be a node code", file=origin, key=f"{where}.parent")
    parent = parent or None
    if is_indicator and parent is None:
        raise MethodologyError("an indicator needs a parent node", file=origin,
                               key=f"{where}.parent")
    direction = entry.get("direction", 1)
    if direction not in (1, -1) or isinstance(direction, bool):
        raise MethodologyError(f"direction must be 1 or -1, got {direction!r}", file=origin,
                               key=f"{where}.direction")
    goalposts = entry.get("goalposts")
    if goalposts is not None:
        if (not isinstance(goalposts, list) or len(goalposts) != 2
                or not all(isinstance(g, int | float) for g in goalposts)
                or goalposts[0] == goalposts[1]):
            raise MethodologyError("goalposts must be [low, high] with low != high", file=origin,
                                   key=f"{where}.goalposts")
        goalposts = (float(goalposts[0]), float(goalposts[1]))
    world_total = entry.get("world_total")
    if world_total is not None and (not isinstance(world_total, int | float) or world_total <= 0):
        raise MethodologyError("world_total must be a positive number", file=origin,
                               key=f"{where}.world_total")
    aggregation = None
    if "aggregation" in entry:
        aggregation = _spec(AggregationSpec, entry["aggregation"], f"{where}.aggregation", origin)
        _check_method(aggregation.method, AGGREGATION_METHODS, f"{where}.aggregation.method",
                      origin)
    return Node(
        code=code,
        name=str(entry.get("name") or code),
        parent=parent,
        weight=float(weight),
        is_indicator=is_indicator,
        direction=int(direction),
        denominator=entry.get("denominator") or None,
        goalposts=goalposts,
        world_total=float(world_total) if world_total is not None else None,
        optional=bool(entry.get("optional", False)),
        aggregation=aggregation,
        unit=str(entry.get("unit", "")),
        source=str(entry.get("source", "")),
    )


def _spec(cls: type, raw: Any, where: str, origin: str) -> Any:
    if not isinstance(raw, Mapping):
        raise MethodologyError("must be a table", file=origin, key=where)
    fields = cls.__dataclass_fields__  # type: ignore[attr-defined]
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in fields:
            raise MethodologyError(f"unknown key {key!r}", file=origin, key=f"{where}.{key}",
                                   hint=f"allowed: {', '.join(fields)}")
        default = fields[key].default
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if default is not None and not isinstance(value, type(default)):
            raise MethodologyError(
                f"must be {type(default).__name__}, got {value!r}", file=origin,
                key=f"{where}.{key}",
            )
        kwargs[key] = value
    return cls(**kwargs)


def _check_method(method: str, allowed: tuple[str, ...], key: str, origin: str) -> None:
    if method not in allowed:
        import difflib

        close = difflib.get_close_matches(method, allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise MethodologyError(f"unknown method {method!r}", file=origin, key=key,
                               hint=hint + f"choose from: {', '.join(allowed)}")


def _validate_steps(m: Methodology, origin: str) -> None:
    _check_method(m.impute.method, IMPUTATION_METHODS, "impute.method", origin)
    _check_method(m.treat.method, TREATMENT_METHODS, "treat.method", origin)
    _check_method(m.normalise.method, NORMALISATION_METHODS, "normalise.method", origin)
    _check_method(m.aggregate.method, AGGREGATION_METHODS, "aggregate.method", origin)
    _check_method(m.denominate.method, DENOMINATION_METHODS, "denominate.method", origin)
    _check_method(m.treat.fallback, TREATMENT_FALLBACKS, "treat.fallback", origin)
    _check_method(m.normalise.ties, RANK_TIES, "normalise.ties", origin)
    if m.treat.max_points < 0:
        raise MethodologyError("max_points must be >= 0", file=origin, key="treat.max_points")
    if not 0 <= m.aggregate.min_coverage <= 1:
        raise MethodologyError("min_coverage must be in [0, 1]", file=origin,
                               key="aggregate.min_coverage")
    if m.normalise.method == "minmax" and m.normalise.low >= m.normalise.high:
        raise MethodologyError("normalise.low must be below normalise.high", file=origin,
                               key="normalise.low")
    if m.normalise.sd <= 0:
        raise MethodologyError("normalise.sd must be positive", file=origin, key="normalise.sd")
    if m.denominate.scale <= 0:
        raise MethodologyError("denominate.scale must be positive", file=origin,
                               key="denominate.scale")
    if m.normalise.method == "goalposts":
        missing = [n.code for n in m.indicators if n.goalposts is None]
        if missing:
            raise MethodologyError(
                "goalposts normalisation needs goalposts = [low, high] on every indicator",
                file=origin, key=f"indicator ({missing[0]}).goalposts",
            )
    if m.normalise.method == "share":
        neg = [n.code for n in m.indicators if n.direction == -1]
        if neg:
            raise MethodologyError("a share of the world total has no 'less is better' form",
                                   file=origin, key=f"indicator ({neg[0]}).direction",
                                   hint="use direction = 1 or another normalisation")


def _validate_tree(nodes: tuple[Node, ...], weights_sum: float | None, origin: str) -> None:
    seen: dict[str, Node] = {}
    for n in nodes:
        if n.code in seen:
            raise MethodologyError(f"duplicate code {n.code!r}", file=origin, key=n.code)
        seen[n.code] = n
    for n in nodes:
        if n.parent is not None and n.parent not in seen:
            raise MethodologyError(f"parent {n.parent!r} is not a node of the tree", file=origin,
                                   key=f"{n.code}.parent")
        if n.parent is not None and seen[n.parent].is_indicator:
            raise MethodologyError(f"parent {n.parent!r} is an indicator, not a node",
                                   file=origin, key=f"{n.code}.parent")
    # A cycle never reaches the root.
    for n in nodes:
        path = [n.code]
        current = n
        while current.parent is not None:
            if current.parent in path:
                cycle = " -> ".join([*path[path.index(current.parent):], current.parent])
                raise MethodologyError(f"cycle in the tree: {cycle}", file=origin,
                                       key=f"{current.code}.parent")
            path.append(current.parent)
            current = seen[current.parent]
    roots = [n for n in nodes if n.parent is None]
    if len(roots) != 1:
        raise MethodologyError(
            f"the tree needs exactly one root (a [[node]] without parent), found {len(roots)}"
            + (f": {', '.join(r.code for r in roots)}" if roots else ""),
            file=origin, key="node",
        )
    children: dict[str, list[Node]] = {}
    for n in nodes:
        if n.parent is not None:
            children.setdefault(n.parent, []).append(n)
    for n in nodes:
        if not n.is_indicator and n.code not in children:
            raise MethodologyError(f"node {n.code!r} has no children", file=origin, key=n.code)
    if weights_sum is not None:
        for parent, kids in children.items():
            total = sum(k.weight for k in kids)
            if not math.isclose(total, weights_sum, rel_tol=1e-6, abs_tol=1e-9):
                raise MethodologyError(
                    f"weights of the children of {parent!r} sum to {total:g}, "
                    f"but weights_sum = {weights_sum:g}",
                    file=origin, key=f"{parent} children weights",
                    hint="fix the weights or remove weights_sum",
                )
    for parent, kids in children.items():
        if all(k.weight == 0 for k in kids):
            raise MethodologyError(f"all children of {parent!r} have weight 0", file=origin,
                                   key=f"{parent} children weights")
