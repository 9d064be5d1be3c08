"""The project file: one TOML that names inputs, periods, clustering and methodology.

Each table is a declarative model (:class:`techhubs.spec.Spec`); every mistake is
a :class:`~techhubs.errors.DataError` naming the file and the key.

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

    [[inputs]]
    source = "publications"
    format = "openalex"            # parts, or the works folder of a snapshot
    paths = ["openalex/data/works"]
    options = { institutions = "institutions.jsonl", rules = "gii-2023" }
                                   # also types, domains, fields (and exclude_...), years

    [periods]
    start = 2018                   # inclusive; records without a year are dropped
    end = 2022                     # (and counted) when a period is set

    [clustering]                   # defaults: techhubs.clusters.params
    eps_km = 12.0
    min_weight = { patents = 100, publications = 600 }   # or one number; the sources
                                                         # are those of [[inputs]]
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
    # clustering = { eps_km = [10, 20], min_weight_scale = [0.5, 2] }   # re-cluster

    [compare]                      # optional: a published edition to compare with
    edition = "gii-2023"

    [engine]                       # optional: read the inputs on a Dask cluster, a task
    name = "dask"                  # per file, rounded and summed on the workers
    scheduler = "tcp://10.0.0.5:8786"   # default: a local cluster of this machine
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from techhubs.clusters.params import ClusterParams
from techhubs.datasets.editions import edition_info
from techhubs.errors import DataError, TechhubsError
from techhubs.presets import list_presets
from techhubs.robustness.spec import UncertaintySpec
from techhubs.sources.registry import ALIASES, reader_names
from techhubs.spec import Sequenced, Spec, choice, invalid, parse, read_toml

# "points": a points file already (techhubs ingest output); else a reader of the registry.
FORMATS = ("points", *reader_names(), *ALIASES)
DEFAULT_INDICATORS = {
    "patents": "pct_applications",
    "publications": "scientific_publications",
    "vc": "vc_deals",
    "institutions": "institutions",
}
ClusteringSpec = ClusterParams  # the [clustering] table: parameters of find_clusters


def _paths(value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    if not value or not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise invalid("paths", "paths must be a list of file names")
    return value


class InputEntry(Spec):
    """One ``[[inputs]]`` table."""

    source: Annotated[str, Field(min_length=1)]
    format: Annotated[str, choice(FORMATS, "format")] = "points"
    paths: Annotated[tuple[str, ...] | None, Sequenced, BeforeValidator(_paths)] = None
    path: Annotated[tuple[str, ...] | None, Sequenced, BeforeValidator(_paths)] = None
    options: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _some_paths(self) -> InputEntry:
        if not (self.paths or self.path):
            raise invalid("paths", "paths must be a list of file names", key="paths")
        return self


class ProjectSection(Spec):
    name: str | None = None
    results: str = "results"
    cache: str = ".techhubs-cache"
    synthetic: bool = False


class PeriodsSection(Spec):
    start: int | None = None
    end: int | None = None

    @model_validator(mode="after")
    def _forwards(self) -> PeriodsSection:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise invalid("period", f"period runs backwards: {self.start} > {self.end}")
        return self


class MethodologySection(Spec):
    preset: str | None = None
    file: str | None = None

    @model_validator(mode="after")
    def _one(self) -> MethodologySection:
        if self.preset is not None and self.file is not None:
            raise invalid("methodology", "give either preset or file")
        return self


class RobustnessSection(Spec):
    """``runs``, ``seed`` and ``top``; the other keys are the uncertainty spec."""

    model_config = Spec.model_config | {"extra": "allow"}

    runs: Annotated[int, Field(ge=1, le=10_000_000)] = 1000
    seed: Annotated[int, Field(ge=0)] = 0
    top: Annotated[int, Field(ge=1)] = 10


class CompareSection(Spec):
    edition: str | None = None


class EngineSection(Spec):
    """Where records are read: ``local`` (this process, DuckDB) or ``dask`` (each input
    file a task on a Dask cluster, rounded and summed there; ``scheduler`` its address,
    a local cluster when absent)."""

    name: Literal["local", "dask"] = "local"
    scheduler: str | None = None


class ProjectDocument(Spec):
    """A project file as written (see the module docstring)."""

    project: ProjectSection = ProjectSection()
    inputs: Annotated[list[InputEntry], Sequenced, Field(min_length=1)]
    periods: PeriodsSection = PeriodsSection()
    clustering: ClusterParams = Field(default_factory=ClusterParams)
    indicators: dict[str, Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)
    methodology: MethodologySection = MethodologySection()
    robustness: RobustnessSection | None = None
    compare: CompareSection = CompareSection()
    engine: EngineSection = EngineSection()


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
class BuildConfig:
    """A validated project file, paths resolved. Build it with :func:`load_config` or
    :func:`config_from_dict`."""

    name: str
    root: Path
    results: Path
    cache: Path
    inputs: tuple[InputSpec, ...]
    period: tuple[int | None, int | None] = (None, None)
    clustering: ClusterParams = field(default_factory=ClusterParams)
    indicators: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_INDICATORS))
    methodology: str = "gii-clusters"
    robustness: Mapping[str, Any] | None = None
    compare_edition: str | None = None
    synthetic: bool = False
    file: Path | None = None
    engine: str = "local"
    scheduler: str | None = None

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
            "engine": {"name": self.engine, "scheduler": self.scheduler},
        }

    def with_clustering(self, **changes: Any) -> BuildConfig:
        return replace(self, clustering=self.clustering.replace(**changes))


def load_config(path: str | Path) -> BuildConfig:
    """Read and validate a project TOML file."""
    path = Path(path)
    if not path.exists():
        raise DataError("project file not found", file=path,
                        hint="write a project TOML (see `techhubs build --help`)")
    return config_from_dict(read_toml(path, error=DataError), root=path.parent, file=path)


def config_from_dict(raw: Mapping[str, Any], *, root: str | Path = ".",
                     file: Path | None = None) -> BuildConfig:
    """Validate a project mapping (as read from TOML); paths are relative to ``root``."""
    root = Path(root).resolve()
    unknown = [k for k in raw if k not in ProjectDocument.model_fields]
    if unknown:
        raise DataError(f"unknown section [{unknown[0]}]", file=file, key=unknown[0],
                        hint=f"sections: {', '.join(ProjectDocument.model_fields)}")
    if not raw.get("inputs"):
        raise DataError("no [[inputs]]", file=file, key="inputs",
                        hint="add [[inputs]] with source, format and paths")
    doc = parse(ProjectDocument, raw, error=DataError, file=file)
    inputs = []
    for i, entry in enumerate(doc.inputs):
        paths = tuple(root / p for p in (entry.paths or entry.path or ()))
        for p in paths:
            if not p.exists():
                raise DataError(f"input file not found: {p}", file=file,
                                key=f"inputs[{i}].paths")
            if p.is_dir() and entry.format == "openalex":
                continue  # a snapshot folder: its manifest names the parts
            if not p.is_file():
                raise DataError(f"input path is not a file: {p}", file=file,
                                key=f"inputs[{i}].paths",
                                hint="name the files themselves (only an OpenAlex snapshot "
                                     "may be given as its folder)")
        inputs.append(InputSpec(source=entry.source, format=entry.format, paths=paths,
                                options=dict(entry.options)))
    declared = {entry.source for entry in doc.inputs}
    # a misspelt source would silently get the default: per-source tables name the
    # sources of [[inputs]] ([indicators] may also keep the standard labels' codes)
    per_source = {"clustering.min_weight": (doc.clustering.min_weight, declared),
                  "indicators": (doc.indicators, declared | set(DEFAULT_INDICATORS))}
    for where, (table, allowed) in per_source.items():
        unknown = sorted(set(table) - allowed) if isinstance(table, dict) else []
        if unknown:
            raise DataError(f"{where.split('.')[-1]} names source {unknown[0]!r}, which no "
                            "input has", file=file, key=f"{where}.{unknown[0]}",
                            hint=f"sources of [[inputs]]: {', '.join(sorted(declared))}")
    for key in ("results", "cache"):
        folder = root / getattr(doc.project, key)
        if folder.exists() and not folder.is_dir():
            raise DataError(f"{key} folder {folder.name!r} is an existing file", file=file,
                            key=f"project.{key}", hint="name a folder (it is created if absent)")
    methodology = _methodology(doc.methodology, root, file)
    robustness = None
    if doc.robustness is not None:
        robustness = _robustness({**doc.robustness.model_dump(),
                                  **(doc.robustness.model_extra or {})}, doc.clustering, file)
    if doc.compare.edition is not None:
        edition_info(doc.compare.edition)  # raises UnknownNameError with the list of editions
    indicators = {**DEFAULT_INDICATORS, **doc.indicators}
    name = doc.project.name or (file.stem if file else "project")
    return BuildConfig(
        name=name, root=root, results=root / doc.project.results,
        cache=root / doc.project.cache, inputs=tuple(inputs),
        period=(doc.periods.start, doc.periods.end), clustering=doc.clustering,
        indicators=indicators, methodology=methodology, robustness=robustness,
        compare_edition=doc.compare.edition, synthetic=doc.project.synthetic, file=file,
        engine=doc.engine.name, scheduler=doc.engine.scheduler)


def _methodology(section: MethodologySection, root: Path, file: Path | None) -> str:
    if section.file is not None:
        path = root / section.file
        if not path.is_file():
            raise DataError(f"methodology file not found: {path}", file=file,
                            key="methodology.file")
        return str(path)

    preset = section.preset or "gii-clusters"
    names = [p["name"] for p in list_presets()]
    if preset not in names:
        raise DataError(f"unknown methodology preset {preset!r}", file=file,
                        key="methodology.preset", hint=f"presets: {', '.join(names)}")
    return preset


def _robustness(robustness: dict[str, Any], clustering: ClusterParams,
                file: Path | None) -> dict[str, Any]:
    """[robustness] with its uncertainty keys checked now rather than mid-build.

    A sampled ``min_weight`` replaces a single ``[clustering] min_weight``; with
    per-source values it is ambiguous, so the explicit ``min_weight_scale``
    (a factor on every source's value) is asked for. Files that relied on the
    old reading of ``min_weight`` as that factor keep working, with a warning.
    """

    spec_keys = {k: v for k, v in robustness.items() if k not in ("runs", "seed", "top")}
    if not spec_keys:
        return robustness
    try:
        spec = UncertaintySpec.from_dict(spec_keys, origin=str(file or "<project>"))
    except TechhubsError as exc:
        key = f"robustness.{(exc.key or '').removeprefix('uncertainty.')}".rstrip(".")
        raise DataError(exc.message, file=file, key=key, hint=exc.hint) from None
    sampled = dict(spec.clustering)
    if "min_weight" in sampled and isinstance(clustering.min_weight, dict):
        if "min_weight_scale" in sampled:
            raise DataError("give min_weight_scale only: [clustering] min_weight is per source",
                            file=file, key="robustness.clustering.min_weight")
        warnings.warn(
            f"{file or 'project'}: robustness.clustering.min_weight is read as "
            "min_weight_scale (a factor on each source's [clustering] min_weight); write "
            "min_weight_scale to say so", FutureWarning, stacklevel=3)
        sampled["min_weight_scale"] = sampled.pop("min_weight")
        robustness = {**robustness, "clustering": {k: list(v) for k, v in sampled.items()}}
    return robustness
