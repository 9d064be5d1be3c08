"""The uncertainty specification: which inputs of a methodology are uncertain, and how.

It is declared in the methodology's ``[uncertainty]`` table (or on the command
line; options override the table)::

    [uncertainty]
    weights = 0.25                 # every indicator weight x U(1 - 0.25, 1 + 0.25)
    # weights = { patents = 0.5, publications = 0.1 }   # per node
    # weights = { levels = [2, 3], noise = 0.25 }      # by tree level, as COINr's
    #   get_noisy_weights(): level 1 = indicators, 2 = pillars, 3 = sub-indices, ...
    #   (noise may be a list, one value per level)
    weight_mode = "uniform"        # or "dirichlet": the children of each parent
    concentration = 50.0           #   ~ Dirichlet(concentration x nominal shares)
    weight_scope = "indicators"    # or "all": pillars and sub-indices too
    normalisation = ["minmax:low=1", "zscore:mean=100:sd=10"]
    aggregation = ["arithmetic", "geometric"]
    imputation = ["none", "mean"]
    treatment = ["off", "on"]      # outlier treatment (winsorise) on / off
    leave_one_out = true           # drop one indicator (or none) per run
    clustering = { eps_km = [10, 20], min_weight = [500, 2000] }
    # min_weight replaces one [clustering] min_weight; min_weight_scale = [0.5, 2]
    # multiplies each source's own value (a per-source [clustering] min_weight)
    clustering_levels = 5          # grid points per clustering parameter (cache)

A normalisation or aggregation choice is a method name with optional
``:key=value`` parameters (``minmax:low=1:high=100``, ``generalised:p=0.5``);
in TOML it may also be a table ``{ method = "minmax", low = 1 }``. Every
invalid entry raises :class:`~techhubs.errors.MethodologyError` naming the
key, the problem and the valid choices.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ConfigDict, Field, model_validator

from techhubs.errors import MethodologyError
from techhubs.methodology import (
    AGGREGATION_METHODS,
    IMPUTATION_METHODS,
    NORMALISATION_METHODS,
    AggregationSpec,
    NormalisationSpec,
)
from techhubs.spec import Spec

if TYPE_CHECKING:
    from techhubs.methodology import Methodology

WEIGHT_MODES = ("uniform", "dirichlet")
WEIGHT_SCOPES = ("indicators", "all")
CLUSTERING_PARAMETERS = ("eps_km", "min_weight", "min_weight_scale")
# Numeric parameters a sampled choice may set (``ties`` follows the methodology).
_NORM_PARAMS = tuple(f for f in NormalisationSpec.model_fields if f not in ("method", "ties"))
_AGG_PARAMS = tuple(f for f in AggregationSpec.model_fields if f != "method")
_ON = {"on": True, "true": True, "yes": True, "winsorise": True,
       "off": False, "false": False, "no": False, "none": False}
KNOWN_KEYS = ("weights", "weight_mode", "concentration", "weight_scope", "normalisation",
              "aggregation", "imputation", "treatment", "leave_one_out", "clustering",
              "clustering_levels")


def _unknown(value: str, allowed: Sequence[str], where: str, origin: str, what: str) -> None:
    close = difflib.get_close_matches(value, list(allowed), n=1)
    hint = (f"did you mean {close[0]!r}? " if close else "") + f"choose from: {', '.join(allowed)}"
    raise MethodologyError(f"unknown {what} {value!r}", file=origin, key=where, hint=hint)


def parse_choice(text: str, allowed: Sequence[str], params: Sequence[str], where: str,
                 origin: str, what: str) -> tuple[str, dict[str, float]]:
    """``"minmax:low=1:high=100"`` -> ``("minmax", {"low": 1.0, "high": 100.0})``."""
    parts = [p.strip() for p in str(text).split(":")]
    name = parts[0]
    if name not in allowed:
        _unknown(name, allowed, where, origin, what)
    out: dict[str, float] = {}
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in params:
            raise MethodologyError(
                f"bad parameter {part!r} of {what} {name!r}", file=origin, key=where,
                hint=f"write {name}:key=value with key one of: {', '.join(params)}")
        try:
            number = float(value)
        except ValueError:
            raise MethodologyError(f"parameter {key} of {name!r} must be a number, got {value!r}",
                                   file=origin, key=where) from None
        if not math.isfinite(number):
            raise MethodologyError(f"parameter {key} of {name!r} must be finite", file=origin,
                                   key=where)
        out[key] = number
    return name, out


def _canonical(entry: Any, allowed: Sequence[str], params: Sequence[str], where: str,
               origin: str, what: str) -> str:
    if isinstance(entry, Mapping):
        entry = dict(entry)
        name = entry.pop("method", None)
        if not isinstance(name, str):
            raise MethodologyError(f"a {what} table needs method = \"name\"", file=origin,
                                   key=where)
        text = ":".join([name, *(f"{k}={v}" for k, v in entry.items())])
    elif isinstance(entry, str):
        text = entry
    else:
        raise MethodologyError(f"a {what} choice must be a name, got {entry!r}", file=origin,
                               key=where)
    name, values = parse_choice(text, allowed, params, where, origin, what)
    return ":".join([name, *(f"{k}={values[k]:g}" for k in sorted(values))])


def _as_list(value: Any, where: str, origin: str) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in (s.strip() for s in value.split(",")) if v]
    if isinstance(value, Sequence):
        return list(value)
    raise MethodologyError(f"must be a list, got {value!r}", file=origin, key=where)


def _number(value: Any, where: str, origin: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise MethodologyError(f"must be a number, got {value!r}", file=origin, key=where)
    return float(value)


class UncertaintySpec(Spec):
    """Uncertain inputs of a composite index (see the module docstring).

    ``UncertaintySpec(weights=0.25)`` is the common case: every indicator
    weight varies uniformly within +-25% of its nominal value. Every field is
    brought to its canonical form when the spec is made (choice labels,
    booleans, ranges), and every invalid entry is a ``MethodologyError``
    naming ``origin`` and the key.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False, allow_inf_nan=False)

    weights: float | dict[str, Any] = 0.0
    weight_mode: str = "uniform"
    concentration: float = 50.0
    weight_scope: str = "indicators"
    normalisation: tuple[str, ...] = ()
    aggregation: tuple[str, ...] = ()
    imputation: tuple[str, ...] = ()
    treatment: tuple[bool, ...] = ()
    leave_one_out: bool = False
    clustering: dict[str, tuple[float, float]] = Field(default_factory=dict)
    clustering_levels: int = 5
    origin: str = "<memory>"

    @model_validator(mode="before")
    @classmethod
    def _canonical_fields(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        unknown = [k for k in data if k not in cls.model_fields]
        if unknown:
            _unknown(str(unknown[0]), KNOWN_KEYS, f"uncertainty.{unknown[0]}",
                     str(data.get("origin", "<memory>")), "key")
        fields = {name: info.get_default(call_default_factory=True)
                  for name, info in cls.model_fields.items()}
        ns = _Fields(origin=str(data.get("origin", "<memory>")),
                     values={**fields, **{k: v for k, v in data.items() if v is not None}})
        ns.check()
        return ns.values

    @property
    def weight_levels(self) -> dict[int, float]:
        """Noise by tree level when weights are perturbed by level (else empty)."""
        w = self.weights
        if isinstance(w, Mapping) and "levels" in w:
            return dict(w["levels"])
        return {}

    # ------------------------------------------------------------ construct
    @classmethod
    def from_dict(cls, d: Mapping[str, Any], origin: str = "<cli>") -> UncertaintySpec:
        """Build from a parsed ``[uncertainty]`` table (or CLI options); unknown keys fail."""
        if not isinstance(d, Mapping):
            raise MethodologyError("the [uncertainty] entry must be a table", file=origin,
                                   key="uncertainty")
        for k in d:
            if k not in KNOWN_KEYS:
                _unknown(str(k), KNOWN_KEYS, f"uncertainty.{k}", origin, "key")
        kwargs: dict[str, Any] = {k: v for k, v in d.items() if v is not None}
        for k in ("normalisation", "aggregation", "imputation", "treatment"):
            if k in kwargs:
                kwargs[k] = tuple(_as_list(kwargs[k], f"uncertainty.{k}", origin))
        return cls(**kwargs, origin=origin)

    @classmethod
    def from_methodology(cls, m: Methodology) -> UncertaintySpec:
        """The methodology's own ``[uncertainty]`` table (empty if it has none)."""
        return cls.from_dict(m.uncertainty or {}, origin=m.origin)

    def merged(self, overrides: Mapping[str, Any], origin: str = "<cli>") -> UncertaintySpec:
        """This spec with some keys replaced (command-line options over the TOML table)."""
        base = self.to_dict()
        base.update({k: v for k, v in overrides.items() if v is not None})
        return UncertaintySpec.from_dict(base, origin=origin if overrides else self.origin)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "weights": self._weights_dict(),
            "weight_mode": self.weight_mode,
            "concentration": self.concentration,
            "weight_scope": self.weight_scope,
            "normalisation": list(self.normalisation),
            "aggregation": list(self.aggregation),
            "imputation": list(self.imputation),
            "treatment": ["on" if t else "off" for t in self.treatment],
            "leave_one_out": self.leave_one_out,
            "clustering": {k: list(v) for k, v in self.clustering.items()},
            "clustering_levels": self.clustering_levels,
        }
        return out

    def _weights_dict(self) -> float | dict[str, Any]:
        levels = self.weight_levels
        if levels:
            noise = set(levels.values())
            return {"levels": sorted(levels),
                    "noise": noise.pop() if len(noise) == 1 else
                    [levels[k] for k in sorted(levels)]}
        w = self.weights
        return dict(w) if isinstance(w, Mapping) else w

    @property
    def is_empty(self) -> bool:
        w = self.weights
        if self.weight_levels:
            has_w = any(v > 0 for v in self.weight_levels.values())
        else:
            has_w = any(v > 0 for v in w.values()) if isinstance(w, Mapping) else w > 0
        return not (has_w or len(self.normalisation) > 1 or len(self.aggregation) > 1
                    or len(self.imputation) > 1 or len(self.treatment) > 1
                    or self.leave_one_out or self.clustering)


class _Fields:
    """The fields of an :class:`UncertaintySpec` being checked and made canonical."""

    def __init__(self, origin: str, values: dict[str, Any]) -> None:
        self.origin = origin
        self.values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    def check(self) -> None:
        o = self.origin
        key = "uncertainty"
        # weights: one range, a range per node, or ranges by tree level
        if isinstance(self.weights, Mapping) and "levels" in self.weights:
            self.values.__setitem__("weights", self._level_ranges(self.weights))
        elif isinstance(self.weights, Mapping):
            ranges = {}
            for code, x in self.weights.items():
                ranges[str(code)] = self._check_range(x, f"{key}.weights.{code}")
            self.values.__setitem__("weights", ranges)
        else:
            self.values.__setitem__("weights", self._check_range(self.weights,
                                                                  f"{key}.weights"))
        if self.weight_mode not in WEIGHT_MODES:
            _unknown(str(self.weight_mode), WEIGHT_MODES, f"{key}.weight_mode", o, "weight mode")
        if self.weight_scope not in WEIGHT_SCOPES:
            _unknown(str(self.weight_scope), WEIGHT_SCOPES, f"{key}.weight_scope", o,
                     "weight scope")
        c = _number(self.concentration, f"{key}.concentration", o)
        if c <= 0:
            raise MethodologyError(f"concentration must be positive, got {c:g}", file=o,
                                   key=f"{key}.concentration",
                                   hint="larger = weights closer to nominal (e.g. 50)")
        self.values.__setitem__("concentration", c)
        # discrete choices
        norm = tuple(_canonical(v, NORMALISATION_METHODS, _NORM_PARAMS,
                                f"{key}.normalisation[{i}]", o, "normalisation method")
                     for i, v in enumerate(_as_list(self.normalisation,
                                                    f"{key}.normalisation", o)))
        agg = tuple(_canonical(v, AGGREGATION_METHODS, _AGG_PARAMS, f"{key}.aggregation[{i}]",
                               o, "aggregation method")
                    for i, v in enumerate(_as_list(self.aggregation, f"{key}.aggregation", o)))
        imp = []
        for i, v in enumerate(_as_list(self.imputation, f"{key}.imputation", o)):
            if v not in IMPUTATION_METHODS:
                _unknown(str(v), IMPUTATION_METHODS, f"{key}.imputation[{i}]", o,
                         "imputation method")
            imp.append(str(v))
        treat = []
        for i, v in enumerate(_as_list(self.treatment, f"{key}.treatment", o)):
            if isinstance(v, bool):
                treat.append(v)
            elif isinstance(v, str) and v.lower() in _ON:
                treat.append(_ON[v.lower()])
            else:
                raise MethodologyError(f"unknown treatment choice {v!r}", file=o,
                                       key=f"{key}.treatment[{i}]",
                                       hint="use on / off (or true / false)")
        for name, values in (("normalisation", norm), ("aggregation", agg),
                             ("imputation", imp), ("treatment", treat)):
            if len(set(values)) != len(values):
                raise MethodologyError(f"duplicate choices in {name}: {list(values)}", file=o,
                                       key=f"{key}.{name}")
        self.values.__setitem__("normalisation", norm)
        self.values.__setitem__("aggregation", agg)
        self.values.__setitem__("imputation", tuple(imp))
        self.values.__setitem__("treatment", tuple(treat))
        if not isinstance(self.leave_one_out, bool):
            raise MethodologyError(f"leave_one_out must be true or false, got "
                                   f"{self.leave_one_out!r}", file=o, key=f"{key}.leave_one_out")
        # clustering
        if not isinstance(self.clustering, Mapping):
            raise MethodologyError("clustering must be a table {eps_km = [lo, hi], ...}",
                                   file=o, key=f"{key}.clustering")
        clus: dict[str, tuple[float, float]] = {}
        for name, rng in self.clustering.items():
            where = f"{key}.clustering.{name}"
            if name not in CLUSTERING_PARAMETERS:
                _unknown(str(name), CLUSTERING_PARAMETERS, where, o, "clustering parameter")
            if isinstance(rng, str) or not isinstance(rng, Sequence) or len(rng) != 2:
                raise MethodologyError(f"must be [low, high], got {rng!r}", file=o, key=where)
            lo, hi = (_number(v, where, o) for v in rng)
            if lo <= 0 or hi < lo:
                raise MethodologyError(f"range [{lo:g}, {hi:g}] is invalid", file=o, key=where,
                                       hint="give 0 < low <= high")
            clus[str(name)] = (lo, hi)
        self.values.__setitem__("clustering", clus)
        levels = self.clustering_levels
        if isinstance(levels, bool) or not isinstance(levels, int) or levels < 1:
            raise MethodologyError(f"clustering_levels must be a positive integer, got {levels!r}",
                                   file=o, key=f"{key}.clustering_levels")

    def _check_range(self, x: Any, where: str) -> float:
        value = _number(x, where, self.origin)
        if value < 0:
            raise MethodologyError(f"negative weight range {value:g}", file=self.origin,
                                   key=where, hint="give a relative half-width in [0, 1), "
                                   "e.g. 0.25 for +-25%")
        if value >= 1:
            raise MethodologyError(f"weight range {value:g} would allow weights <= 0",
                                   file=self.origin, key=where,
                                   hint="give a relative half-width in [0, 1), e.g. 0.25")
        return value

    def _level_ranges(self, table: Mapping[str, Any]) -> dict[str, Any]:
        """``{levels = [2, 3], noise = 0.25}`` -> ``{"levels": {2: 0.25, 3: 0.25}}``."""
        where = "uncertainty.weights"
        unknown = set(table) - {"levels", "noise"}
        if unknown:
            raise MethodologyError(
                f"unknown key {sorted(unknown)[0]!r} in weights by level", file=self.origin,
                key=f"{where}.{sorted(unknown)[0]}",
                hint="write weights = { levels = [2, 3], noise = 0.25 }")
        levels = table["levels"]
        if isinstance(levels, Mapping):  # already canonical: {level: noise}
            return {"levels": {self._level(k): self._check_range(v, f"{where}.levels.{k}")
                               for k, v in levels.items()}}
        if isinstance(levels, int) and not isinstance(levels, bool):
            levels = [levels]
        if isinstance(levels, str) or not isinstance(levels, Sequence) or not levels:
            raise MethodologyError(f"levels must be a list of tree levels, got {levels!r}",
                                   file=self.origin, key=f"{where}.levels",
                                   hint="1 = indicators, 2 = pillars, 3 = sub-indices, ...")
        noise = table.get("noise")
        if noise is None:
            raise MethodologyError("weights by level need noise = <relative half-width>",
                                   file=self.origin, key=f"{where}.noise",
                                   hint="e.g. noise = 0.25 for +-25%")
        if isinstance(noise, Sequence) and not isinstance(noise, str):
            if len(noise) != len(levels):
                raise MethodologyError(
                    f"noise has {len(noise)} values for {len(levels)} levels", file=self.origin,
                    key=f"{where}.noise", hint="give one noise value, or one per level")
            noises = list(noise)
        else:
            noises = [noise] * len(levels)
        out: dict[int, float] = {}
        for i, (level, x) in enumerate(zip(levels, noises, strict=True)):
            lv = self._level(level, f"{where}.levels[{i}]")
            if lv in out:
                raise MethodologyError(f"level {lv} is listed twice", file=self.origin,
                                       key=f"{where}.levels")
            out[lv] = self._check_range(x, f"{where}.noise")
        return {"levels": out}

    def _level(self, value: Any, where: str = "uncertainty.weights.levels") -> int:
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise MethodologyError(f"a tree level is an integer >= 1, got {value!r}",
                                   file=self.origin, key=where,
                                   hint="1 = indicators, 2 = pillars, 3 = sub-indices, ...")
        return value



def normalisation_spec(label: str, base: NormalisationSpec) -> NormalisationSpec:
    """The :class:`NormalisationSpec` a canonical choice label stands for."""
    name, params = parse_choice(label, NORMALISATION_METHODS, _NORM_PARAMS, "normalisation",
                                "<memory>", "normalisation method")
    return base.model_copy(update={"method": name, **params})


def aggregation_spec(label: str, base: AggregationSpec) -> AggregationSpec:
    name, params = parse_choice(label, AGGREGATION_METHODS, _AGG_PARAMS, "aggregation",
                                "<memory>", "aggregation method")
    return base.model_copy(update={"method": name, **params})
