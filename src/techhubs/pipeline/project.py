"""The project file: one TOML that names inputs, periods, clustering and methodology.

Example (relative paths are relative to the project file)::

    [project]
    name = "my-hubs"
    results = "results"            # default: results/ beside the project file
    cache = ".techhubs-cache"      # default: .techhubs-cache/ beside the project file

    [[inputs]]
    source = "patents"             # patents | publications | vc | institutions
    format = "points"              # points | patentsview | openalex | ror | crunchbase |
                                   # generic (alias table: CSV/Parquet mapped by options)
    paths = ["data/patents.parquet"]
    options = {}                   # passed to the reader

    [periods]
    start = 2018                   # inclusive; records without a year are dropped
    end = 2022                     # (and counted) when a period is set

    [clustering]
    eps_km = 12.0
    min_weight = { patents = 100, publications = 600 }   # or one number
    precision = 2
    merge_threshold = 0.5

    [indicators]                   # source -> indicator code (these are the defaults)
    patents = "pct_applications"
    publications = "scientific_publications"
    vc = "vc_deals"

    [methodology]
    preset = "gii-clusters"        # or: file = "method.toml"

    [robustness]                   # optional; without it the stage is skipped
    runs = 1000                    # also seed, top; other keys are the uncertainty spec
    weights = 0.25                 # (default: the methodology's [uncertainty] table)

    [compare]                      # optional: a published edition to compare with
    edition = "gii-2023"
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techhubs.errors import DataError
from techhubs.sources.registry import ALIASES, reader_names

# "points": a points file already (techhubs ingest output); else a reader of the registry.
FORMATS = ("points", *reader_names(), *ALIASES)
DEFAULT_INDICATORS = {
    "patents": "pct_applications",
    "publications": "scientific_publications",
    "vc": "vc_deals",
    "institutions": "institutions",
}
_SECTIONS = ("project", "inputs", "periods", "clustering", "indicators", "methodology",
             "robustness", "compare")


@dataclass(frozen=True)
class InputSpec:
    """One input: a source label, a file format, files and reader options."""

    source: str
    format: str
    paths: tuple[Path, ...]
    options: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "format": self.format,
                "paths": [str(p) for p in self.paths], "options": dict(self.options)}


@dataclass(frozen=True)
class ClusteringSpec:
    eps_km: float = 12.0
    min_weight: float | Mapping[str, float] = 25.0
    precision: int = 2
    merge_threshold: float = 0.5
    name_min_population: int = 15000

    def to_dict(self) -> dict[str, Any]:
        mw = dict(self.min_weight) if isinstance(self.min_weight, Mapping) else self.min_weight
        return {"eps_km": self.eps_km, "min_weight": mw, "precision": self.precision,
                "merge_threshold": self.merge_threshold,
                "name_min_population": self.name_min_population}


@dataclass(frozen=True)
class BuildConfig:
    """A validated project file. Build it with :func:`load_config` or :func:`config_from_dict`."""

    name: str
    root: Path
    results: Path
    cache: Path
    inputs: tuple[InputSpec, ...]
    period: tuple[int | None, int | None] = (None, None)
    clustering: ClusteringSpec = field(default_factory=ClusteringSpec)
    indicators: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_INDICATORS))
    methodology: str = "gii-clusters"
    robustness: Mapping[str, Any] | None = None
    compare_edition: str | None = None
    synthetic: bool = False
    file: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file": str(self.file) if self.file else None,
            "results": str(self.results),
            "cache": str(self.cache),
            "inputs": [i.to_dict() for i in self.inputs],
            "period": list(self.period),
            "clustering": self.clustering.to_dict(),
            "indicators": dict(self.indicators),
            "methodology": self.methodology,
            "robustness": dict(self.robustness) if self.robustness else None,
            "compare": {"edition": self.compare_edition} if self.compare_edition else None,
            "synthetic": self.synthetic,
        }

    def with_clustering(self, **changes: Any) -> BuildConfig:
        from dataclasses import replace

        return replace(self, clustering=replace(self.clustering, **changes))


def load_config(path: str | Path) -> BuildConfig:
    """Read and validate a project TOML file."""
    path = Path(path)
    if not path.exists():
        raise DataError("project file not found", file=path,
                        hint="write a project TOML (see `techhubs build --help`)")
    try:
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"invalid TOML: {exc}", file=path) from exc
    return config_from_dict(raw, root=path.parent, file=path)


def _err(msg: str, file: Path | None, key: str, hint: str | None = None) -> DataError:
    return DataError(msg, file=file, key=key, hint=hint)


def _table(raw: Mapping[str, Any], name: str, file: Path | None) -> Mapping[str, Any]:
    value = raw.get(name, {})
    if not isinstance(value, Mapping):
        raise _err(f"[{name}] must be a table", file, name)
    return value


def _number(table: Mapping[str, Any], key: str, default: float, file: Path | None,
            section: str, *, positive: bool = True) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _err(f"{key} must be a number, got {value!r}", file, f"{section}.{key}")
    if positive and value <= 0:
        raise _err(f"{key} must be positive, got {value!r}", file, f"{section}.{key}")
    return float(value)


def config_from_dict(raw: Mapping[str, Any], *, root: str | Path = ".",
                     file: Path | None = None) -> BuildConfig:
    """Validate a project mapping (as read from TOML); paths are relative to ``root``."""
    root = Path(root).resolve()
    unknown = [k for k in raw if k not in _SECTIONS]
    if unknown:
        raise _err(f"unknown section [{unknown[0]}]", file, unknown[0],
                   f"sections: {', '.join(_SECTIONS)}")
    project = _table(raw, "project", file)
    for key in project:
        if key not in ("name", "results", "cache", "synthetic"):
            raise _err(f"unknown key {key!r}", file, f"project.{key}",
                       "keys: name, results, cache, synthetic")
    name = str(project.get("name") or (file.stem if file else "project"))
    results = root / str(project.get("results", "results"))
    cache = root / str(project.get("cache", ".techhubs-cache"))

    inputs_raw = raw.get("inputs")
    if not inputs_raw:
        raise _err("no [[inputs]]", file, "inputs",
                   'add [[inputs]] with source, format and paths')
    if not isinstance(inputs_raw, list):
        raise _err("inputs must be an array of tables ([[inputs]])", file, "inputs")
    inputs = []
    for i, entry in enumerate(inputs_raw):
        key = f"inputs[{i}]"
        if not isinstance(entry, Mapping):
            raise _err("each input must be a table", file, key)
        for k in entry:
            if k not in ("source", "format", "paths", "path", "options"):
                raise _err(f"unknown key {k!r}", file, f"{key}.{k}",
                           "keys: source, format, paths, options")
        source = entry.get("source")
        if not isinstance(source, str) or not source:
            raise _err("missing source (e.g. patents, publications, vc)", file, f"{key}.source")
        fmt = entry.get("format", "points")
        if fmt not in FORMATS:
            raise _err(f"unknown format {fmt!r}", file, f"{key}.format",
                       f"formats: {', '.join(FORMATS)}")
        paths_raw = entry.get("paths", entry.get("path"))
        if isinstance(paths_raw, str):
            paths_raw = [paths_raw]
        if not paths_raw or not all(isinstance(p, str) for p in paths_raw):
            raise _err("paths must be a list of file names", file, f"{key}.paths")
        paths = tuple(root / p for p in paths_raw)
        for p in paths:
            if not p.exists():
                raise _err(f"input file not found: {p}", file, f"{key}.paths")
        options = entry.get("options", {})
        if not isinstance(options, Mapping):
            raise _err("options must be a table", file, f"{key}.options")
        inputs.append(InputSpec(source=source, format=fmt, paths=paths, options=dict(options)))

    periods = _table(raw, "periods", file)
    for k in periods:
        if k not in ("start", "end"):
            raise _err(f"unknown key {k!r}", file, f"periods.{k}", "keys: start, end")
    start = periods.get("start")
    end = periods.get("end")
    for k, v in (("start", start), ("end", end)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int)):
            raise _err(f"{k} must be a year (integer), got {v!r}", file, f"periods.{k}")
    if start is not None and end is not None and start > end:
        raise _err(f"period runs backwards: {start} > {end}", file, "periods")

    cl = _table(raw, "clustering", file)
    allowed = ("eps_km", "min_weight", "precision", "merge_threshold", "name_min_population")
    for k in cl:
        if k not in allowed:
            raise _err(f"unknown key {k!r}", file, f"clustering.{k}", f"keys: {', '.join(allowed)}")
    mw_raw = cl.get("min_weight", 25.0)
    min_weight: float | dict[str, float]
    if isinstance(mw_raw, Mapping):
        min_weight = {str(s): _number(mw_raw, s, 0, file, "clustering.min_weight")
                      for s in mw_raw}
    else:
        min_weight = _number(cl, "min_weight", 25.0, file, "clustering")
    precision = cl.get("precision", 2)
    if isinstance(precision, bool) or not isinstance(precision, int) or not 0 <= precision <= 6:
        raise _err(f"precision must be an integer 0-6, got {precision!r}", file,
                   "clustering.precision")
    merge = _number(cl, "merge_threshold", 0.5, file, "clustering", positive=False)
    if not 0 <= merge <= 1:
        raise _err(f"merge_threshold must lie in [0, 1], got {merge}", file,
                   "clustering.merge_threshold")
    name_pop = cl.get("name_min_population", 15000)
    if name_pop not in (500, 1000, 5000, 15000):
        raise _err("name_min_population must be 500, 1000, 5000 or 15000", file,
                   "clustering.name_min_population")
    clustering = ClusteringSpec(
        eps_km=_number(cl, "eps_km", 12.0, file, "clustering"),
        min_weight=min_weight, precision=precision, merge_threshold=merge,
        name_min_population=int(name_pop))

    ind = _table(raw, "indicators", file)
    indicators = dict(DEFAULT_INDICATORS)
    for s, code in ind.items():
        if not isinstance(code, str) or not code:
            raise _err("indicator codes are text", file, f"indicators.{s}")
        indicators[str(s)] = code

    meth = _table(raw, "methodology", file)
    for k in meth:
        if k not in ("preset", "file"):
            raise _err(f"unknown key {k!r}", file, f"methodology.{k}", "keys: preset or file")
    if "preset" in meth and "file" in meth:
        raise _err("give either preset or file", file, "methodology")
    methodology = str(meth.get("preset", "gii-clusters"))
    if "file" in meth:
        mpath = root / str(meth["file"])
        if not mpath.exists():
            raise _err(f"methodology file not found: {mpath}", file, "methodology.file")
        methodology = str(mpath)
    else:
        from techhubs.presets import list_presets

        names = [p["name"] for p in list_presets()]
        if methodology not in names:
            raise _err(f"unknown methodology preset {methodology!r}", file,
                       "methodology.preset", f"presets: {', '.join(names)}")

    rob = raw.get("robustness")
    if rob is not None and not isinstance(rob, Mapping):
        raise _err("[robustness] must be a table", file, "robustness")
    if rob is not None and "runs" in rob:
        runs = rob["runs"]
        if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
            raise _err(f"runs must be a positive integer, got {runs!r}", file, "robustness.runs")

    cmp = _table(raw, "compare", file)
    edition = cmp.get("edition")
    if edition is not None:
        from techhubs.datasets.editions import edition_info

        edition_info(str(edition))  # raises UnknownNameError with the list of editions

    return BuildConfig(
        name=name, root=root, results=results, cache=cache, inputs=tuple(inputs),
        period=(start, end), clustering=clustering, indicators=indicators,
        methodology=methodology, robustness=dict(rob) if rob else None,
        compare_edition=str(edition) if edition else None,
        synthetic=bool(project.get("synthetic", False)), file=file)
