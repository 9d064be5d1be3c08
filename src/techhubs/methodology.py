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

Every step table and tree entry is a declarative model (:class:`techhubs.spec.Spec`):
its defaults are written once, on the field, and :func:`techhubs.spec.parse`
turns any invalid input into a :class:`~techhubs.errors.MethodologyError`
naming the file and the offending key (``indicator[0] (a).weight``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, model_validator

from techhubs.errors import MethodologyError, UnknownNodeError
from techhubs.presets import is_preset_file, preset_path
from techhubs.spec import (
    FiniteFloat,
    Positive,
    Sequenced,
    Spec,
    choice,
    invalid,
    parse,
    read_toml,
    translate,
)

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
MAX_WEIGHT = 1e12
"""The largest weight accepted: products and sums of weighted scores stay finite."""


def _check_weight(value: float) -> float:
    if value < 0:
        raise invalid("negative_weight", f"negative weight {value:g}",
                      "weights must be >= 0; use direction = -1 for 'less is better'")
    if value > MAX_WEIGHT:
        raise invalid("weight_too_large", f"weight {value:g} is larger than {MAX_WEIGHT:g}",
                      "only ratios of weights matter: scale them down")
    return value


NodeWeight = Annotated[float, AfterValidator(_check_weight)]


class DenominationSpec(Spec):
    """Divide indicators that name a ``denominator`` by it, times ``scale``.

    ``scale = 1e6`` with denominator ``population`` gives "per million inhabitants".
    ``method = "none"`` keeps the raw values although indicators name a
    denominator (COINr's build without ``Denominate()``).
    """

    method: Annotated[str, choice(DENOMINATION_METHODS)] = "ratio"
    scale: Positive = 1.0


class ImputationSpec(Spec):
    """Fill missing values by column: ``none``, ``mean``, ``median``, or ``group_mean``
    over the units sharing ``group`` (``economy``: the first listed economy)."""

    method: Annotated[str, choice(IMPUTATION_METHODS)] = "none"
    group: str = "economy"


class TreatmentSpec(Spec):
    """COINr's outlier rule: winsorise while |skew| >= skew and kurtosis >= kurtosis.

    ``fallback`` when winsorising ``max_points`` is not enough: ``log`` (COINr's
    ``log_CT``), ``log_ct_plus``, ``log_plus_one`` or ``none`` (see
    :mod:`techhubs.index._treat`).
    """

    method: Annotated[str, choice(TREATMENT_METHODS)] = "none"
    skew: Positive = 2.0
    kurtosis: FiniteFloat = 3.5
    max_points: Annotated[int, Field(ge=0)] = 5
    fallback: Annotated[str, choice(TREATMENT_FALLBACKS)] = "log"


class NormalisationSpec(Spec):
    """How indicators come onto one scale; parameters of the methods that use them."""

    method: Annotated[str, choice(NORMALISATION_METHODS)] = "minmax"
    low: FiniteFloat = 0.0  # minmax range
    high: FiniteFloat = 100.0
    mean: FiniteFloat = 0.0  # zscore target mean and sd
    sd: Positive = 1.0
    scale: Positive = 100.0  # goalposts / dist2max / share / percentile scale
    ties: Annotated[str, choice(RANK_TIES, "ties rule")] = "average"  # rank / percentile

    @model_validator(mode="after")
    def _range(self) -> NormalisationSpec:
        if self.method == "minmax" and self.low >= self.high:
            raise invalid("low_high", "normalise.low must be below normalise.high",
                          "e.g. low = 0, high = 100")
        return self


class AggregationSpec(Spec):
    """How children scores combine into a parent score."""

    method: Annotated[str, choice(AGGREGATION_METHODS)] = "arithmetic"
    p: Annotated[float, Field(ge=-1e3, le=1e3)] = 1.0  # exponent of the generalised mean
    min_coverage: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0  # share of children with data


class Node(Spec):
    """An indicator (leaf) or an aggregate (pillar, sub-index, index)."""

    code: str
    name: str
    parent: str | None
    weight: NodeWeight = 1.0
    is_indicator: bool = False
    direction: Literal[1, -1] = 1
    denominator: str | None = None
    goalposts: Annotated[tuple[FiniteFloat, FiniteFloat] | None, Sequenced] = None
    world_total: Positive | None = None
    optional: bool = False
    aggregation: AggregationSpec | None = None  # per-node override
    unit: str = ""
    source: str = ""


# ------------------------------------------------------------ TOML documents
def _check_direction(value: int) -> int:
    if value not in (1, -1):
        raise invalid("direction", f"direction must be 1 or -1, got {value!r}")
    return value


def _check_goalposts(value: tuple[float, float] | None) -> tuple[float, float] | None:
    if value is not None and value[0] == value[1]:
        raise invalid("goalposts", "goalposts must be [low, high] with low != high")
    return value


class _Entry(Spec):
    code: Annotated[str, Field(min_length=1)]
    name: str = ""
    weight: NodeWeight = 1.0


class IndicatorEntry(_Entry):
    """One ``[[indicator]]`` table."""

    parent: Annotated[str, Field(min_length=1)]
    direction: Annotated[int, AfterValidator(_check_direction)] = 1
    denominator: str | None = None
    goalposts: Annotated[tuple[FiniteFloat, FiniteFloat] | None, Sequenced,
                         AfterValidator(_check_goalposts)] = None
    world_total: Positive | None = None
    optional: bool = False
    unit: str = ""
    source: str = ""

    def node(self) -> Node:
        return Node(code=self.code, name=self.name or self.code, parent=self.parent,
                    weight=self.weight, is_indicator=True, direction=self.direction,  # type: ignore[arg-type]
                    denominator=self.denominator or None, goalposts=self.goalposts,
                    world_total=self.world_total, optional=self.optional, unit=self.unit,
                    source=self.source)


class NodeEntry(_Entry):
    """One ``[[node]]`` table (the root has no parent)."""

    parent: str | None = None
    aggregation: AggregationSpec | None = None

    def node(self) -> Node:
        return Node(code=self.code, name=self.name or self.code, parent=self.parent or None,
                    weight=self.weight, aggregation=self.aggregation)


class MethodologyDocument(Spec):
    """A methodology TOML file as written (see the module docstring)."""

    name: str | None = None
    title: str = ""
    description: str = ""
    weights_sum: FiniteFloat | None = None
    indicator: Annotated[list[IndicatorEntry], Sequenced, Field(min_length=1)]
    node: Annotated[list[NodeEntry], Sequenced, Field(min_length=1)]
    denominate: DenominationSpec = Field(default_factory=DenominationSpec)
    impute: ImputationSpec = Field(default_factory=ImputationSpec)
    treat: TreatmentSpec = Field(default_factory=TreatmentSpec)
    normalise: NormalisationSpec = Field(default_factory=NormalisationSpec)
    aggregate: AggregationSpec = Field(default_factory=AggregationSpec)
    # Validated by techhubs.robustness when used.
    uncertainty: dict[str, Any] = Field(default_factory=dict)


# ---------------------------------------------------------------- the model
class Methodology(Spec):
    """An indicator tree plus one spec per build step (frozen and validated).

    Build one with :func:`load_methodology` or :func:`methodology_from_dict`;
    variants with :meth:`with_step`, :meth:`with_weights`,
    :meth:`without_indicators`.
    """

    name: str
    nodes: Annotated[tuple[Node, ...], Sequenced]
    title: str = ""
    description: str = ""
    denominate: DenominationSpec = Field(default_factory=DenominationSpec)
    impute: ImputationSpec = Field(default_factory=ImputationSpec)
    treat: TreatmentSpec = Field(default_factory=TreatmentSpec)
    normalise: NormalisationSpec = Field(default_factory=NormalisationSpec)
    aggregate: AggregationSpec = Field(default_factory=AggregationSpec)
    weights_sum: FiniteFloat | None = None
    origin: str = "<memory>"  # file or preset name, for messages and provenance
    # The [uncertainty] table, validated by techhubs.robustness when used.
    uncertainty: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _whole(self) -> Methodology:
        _validate_tree(self.nodes, self.weights_sum, self.origin)
        _validate_steps(self, self.origin)
        return self

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

    def aggregation_for(self, node: Node) -> AggregationSpec:
        return node.aggregation or self.aggregate

    # --------------------------------------------------------------- variants
    def with_step(self, step: str, **changes: Any) -> Methodology:
        """A copy with one build step changed: ``m.with_step("normalise", method="zscore")``."""
        if step not in STEPS:
            raise MethodologyError(f"unknown step {step!r}", key=step,
                                   hint=f"steps are: {', '.join(STEPS)}")
        spec: Spec = getattr(self, step)
        raw = {**spec.fields_dict(), **changes}
        try:
            new = type(spec).model_validate(raw)
        except ValidationError as exc:
            raise translate(exc, type(spec), raw, error=MethodologyError, file=self.origin,
                            prefix=step) from None
        return self.replace(**{step: new})

    def with_weights(self, weights: Mapping[str, Any]) -> Methodology:
        """A copy with some node weights replaced (keys are node codes).

        The one validation of weights given after the methodology was read
        (what-if weights of the API and dashboard, Python callers): every key a
        node below the root, every value a finite number in [0, 1e12], and no
        parent left with children of total weight 0. Errors name ``weights.<code>``.
        """
        settable = {n.code for n in self.nodes if n.parent is not None}
        for code, value in weights.items():
            if code not in settable:
                raise UnknownNodeError(
                    f"unknown node {code!r}: not an indicator or pillar of {self.name}",
                    key=f"weights.{code}", hint=f"weights: {', '.join(sorted(settable))}")
            if (isinstance(value, bool) or not isinstance(value, int | float)
                    or not math.isfinite(value) or not 0 <= value <= MAX_WEIGHT):
                raise MethodologyError(
                    f"weight of {code!r} must be a finite number in [0, {MAX_WEIGHT:g}], "
                    f"got {value!r}", key=f"weights.{code}")
        new = {code: float(value) for code, value in weights.items()}
        for parent in (n for n in self.nodes if not n.is_indicator):
            kids = self.children(parent.code)
            if kids and all(new.get(k.code, k.weight) == 0 for k in kids):
                raise MethodologyError(
                    f"all weights under {parent.code!r} are 0: nothing left to rank by",
                    key="weights", hint=f"give one of {', '.join(k.code for k in kids)} a "
                    "positive weight")
        nodes = tuple(n.model_copy(update={"weight": new[n.code]}) if n.code in new else n
                      for n in self.nodes)
        # Only weights changed, each checked above, so the tree validated when this
        # methodology was made is not walked again (a what-if per slider move).
        return type(self).model_construct(**{**self.fields_dict(), "nodes": nodes,
                                             "weights_sum": None})

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
        return self.replace(nodes=tuple(nodes), weights_sum=None)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump()

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
                    entry["aggregation"] = n.aggregation.model_dump()
                agg.append(entry)
        doc["indicator"] = ind
        doc["node"] = agg
        for step in STEPS:
            doc[step] = getattr(self, step).model_dump()
        if self.uncertainty:
            doc["uncertainty"] = dict(self.uncertainty)
        return tomli_w.dumps(doc)


# ---------------------------------------------------------------- loading
def load_methodology(source: str | Path) -> Methodology:
    """Load a methodology by preset name (``gii-clusters``) or from a TOML file."""

    text_source = str(source)
    path = Path(text_source)
    if not path.suffix and not path.exists():
        path = preset_path(text_source)
    if not path.exists():
        raise MethodologyError("methodology file not found", file=path,
                               hint="give a preset name (techhubs methods) or a .toml file")
    # provenance names a shipped preset by its place in the package, never the install path
    origin = (f"techhubs/presets/{path.name}" if is_preset_file(path) else str(path))
    return methodology_from_dict(read_toml(path, error=MethodologyError), origin=origin)


def methodology_from_dict(raw: Mapping[str, Any], origin: str = "<memory>") -> Methodology:
    """Validate a parsed TOML document and build a :class:`Methodology`."""
    if not isinstance(raw, Mapping):
        raise MethodologyError("a methodology must be a table", file=origin)
    for key in ("indicator", "node"):
        if key in raw and not raw[key]:
            raise MethodologyError(
                "no [[indicator]] entries" if key == "indicator"
                else "no [[node]] entries (the tree needs at least a root)",
                file=origin, key=key, hint="declare each as a [[" + key + "]] table")
    doc = parse(MethodologyDocument, raw, error=MethodologyError, file=origin)
    nodes = tuple([e.node() for e in doc.indicator] + [e.node() for e in doc.node])
    try:
        return Methodology(
            name=doc.name or Path(origin).stem, nodes=nodes, title=doc.title,
            description=doc.description, denominate=doc.denominate, impute=doc.impute,
            treat=doc.treat, normalise=doc.normalise, aggregate=doc.aggregate,
            weights_sum=doc.weights_sum, origin=origin, uncertainty=doc.uncertainty)
    except ValidationError as exc:  # a step rule that spans fields (normalise low/high)
        raise translate(exc, Methodology, raw, error=MethodologyError, file=origin) from None


def _validate_steps(m: Methodology, origin: str) -> None:
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


MAX_TREE_DEPTH = 64
"""Levels from an indicator up to the root, at most (COINr's examples have four)."""


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
    # A cycle never reaches the root; a path longer than MAX_TREE_DEPTH is refused too
    # (which also bounds this walk and every later one).
    for n in nodes:
        path = [n.code]
        on_path = {n.code}
        current = n
        while current.parent is not None:
            if current.parent in on_path:
                cycle = " -> ".join([*path[path.index(current.parent):], current.parent])
                raise MethodologyError(f"cycle in the tree: {cycle}", file=origin,
                                       key=f"{current.code}.parent")
            if len(path) >= MAX_TREE_DEPTH:
                raise MethodologyError(
                    f"the tree is deeper than {MAX_TREE_DEPTH} levels below {n.code!r}",
                    file=origin, key=f"{n.code}.parent",
                    hint="an index tree has a few levels (indicators, pillars, "
                    "sub-indices, index)")
            path.append(current.parent)
            on_path.add(current.parent)
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
