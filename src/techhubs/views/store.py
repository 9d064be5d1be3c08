"""What the API serves: bundled editions, ``techhubs build`` results folders, panel data
files (e.g. ``techhubs enrich`` output) and (for benchmarks only) a synthetic panel;
fitted composites cached per (source, method).

Everything here is decided when the app is created: no request ever names a
filesystem path. A results folder is read and validated once, at start-up.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from techhubs import jsonio
from techhubs.datasets.editions import list_editions, load_edition
from techhubs.errors import (
    ComputationError,
    DataError,
    MethodologyError,
    UnknownNameError,
)
from techhubs.index import Composite
from techhubs.methodology import (
    AGGREGATION_METHODS,
    NORMALISATION_METHODS,
    Methodology,
    load_methodology,
    methodology_from_dict,
)
from techhubs.panel import Panel
from techhubs.presets import list_presets
from techhubs.views.published import build_index
from techhubs.workflows import load_panel

RESULTS_REQUIRED = ("manifest.json", "ranking.parquet")


@dataclass(frozen=True)
class Source:
    """A rankable panel: a bundled edition, a results folder, a data file or a synthetic
    panel."""

    name: str
    kind: str  # "edition" | "results" | "data" | "synthetic"
    title: str
    default_method: str
    load: Callable[[], Panel]
    info: Mapping[str, Any] = field(default_factory=dict)
    geojson: Mapping[str, Any] | None = None
    assignment: pl.DataFrame | None = None
    methodology: Methodology | None = None  # a results folder's own methodology

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "title": self.title,
                "default_method": self.default_method, **dict(self.info)}


@dataclass(frozen=True)
class Fitted:
    """A fitted composite of a source, cached by the store."""

    source: str
    method: str
    composite: Composite

    @property
    def methodology(self) -> Methodology:
        return self.composite.methodology_

    @property
    def panel(self) -> Panel:
        return self.composite.panel_

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.methodology.indicator_codes)


# --------------------------------------------------------------- sources
def edition_sources() -> list[Source]:
    """The recomputable editions (a published-ranks edition has no figures to re-rank;
    its list is served with the published rankings)."""
    out = []
    for e in list_editions():
        if not e.recomputable:
            continue
        out.append(Source(
            name=e.name, kind="edition", title=e.title, default_method=e.method,
            load=functools.partial(load_edition, e.name),
            info={"year": e.year, "source": e.source, "note": " ".join(e.note.split())},
        ))
    return out


def _check_geojson(doc: Any, path: Path) -> dict[str, Any]:
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DataError("not a GeoJSON FeatureCollection", file=path, key="type")
    features = doc.get("features")
    if not isinstance(features, list):
        raise DataError("a FeatureCollection needs a 'features' list", file=path,
                        key="features")
    for i, feat in enumerate(features):
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise DataError("not a GeoJSON Feature", file=path, key=f"features[{i}]")
        geometry = feat.get("geometry")
        if geometry is not None and (not isinstance(geometry, dict) or "type" not in geometry):
            raise DataError("invalid geometry", file=path, key=f"features[{i}].geometry")
        if not isinstance(feat.get("properties") or {}, dict):
            raise DataError("properties must be an object", file=path,
                            key=f"features[{i}].properties")
    return doc


def _feature_places(doc: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
    """unit id -> latitude, longitude, population, members from a clusters GeoJSON."""
    out: dict[str, dict[str, Any]] = {}
    if not doc:
        return out
    for feat in doc["features"]:
        props = feat.get("properties") or {}
        uid = props.get("unit_id", props.get("cluster_id", feat.get("id")))
        if uid is None:
            continue
        lat, lon = props.get("latitude"), props.get("longitude")
        geometry = feat.get("geometry") or {}
        centroid = props.get("centroid")
        if (lat is None or lon is None) and isinstance(centroid, list) and len(centroid) >= 2:
            lon, lat = centroid[:2]
        if (lat is None or lon is None) and geometry.get("type") == "Point":
            lon, lat = geometry["coordinates"][:2]
        members = props.get("members")
        if isinstance(members, str):
            members = [m.strip() for m in members.split(";") if m.strip()]
        out[str(uid)] = {"latitude": lat, "longitude": lon,
                         "population": props.get("population"), "members": members}
    return out


def results_source(directory: str | Path) -> Source:
    """Read and validate a ``techhubs build`` results folder (at start-up only)."""
    root = Path(directory)
    if not root.is_dir():
        raise DataError("results folder not found", file=root,
                        hint="give the output folder of `techhubs build`")
    missing = [name for name in RESULTS_REQUIRED if not (root / name).is_file()]
    if missing:
        raise DataError(
            f"not a techhubs results folder: {', '.join(missing)} missing", file=root,
            hint="a results folder holds manifest.json, ranking.parquet, clusters.geojson "
            "and assignment.parquet, as written by `techhubs build`",
        )
    manifest = jsonio.read_object(root / "manifest.json", "manifest.json")
    try:
        ranking = pl.read_parquet(root / "ranking.parquet")
    except Exception as exc:  # pyarrow/polars parse errors
        raise DataError(f"cannot read Parquet: {exc}", file=root / "ranking.parquet") from exc
    for column in ("unit_id", "name"):
        if column not in ranking.columns:
            raise DataError(f"missing column {column!r}", file=root / "ranking.parquet",
                            key=column, hint="ranking.parquet is the Ranking table of a build")
    geojson = None
    if (root / "clusters.geojson").is_file():
        geojson = _check_geojson(jsonio.read(root / "clusters.geojson"),
                                 root / "clusters.geojson")
    assignment = None
    if (root / "assignment.parquet").is_file():
        try:
            assignment = pl.read_parquet(root / "assignment.parquet")
        except Exception as exc:
            raise DataError(f"cannot read Parquet: {exc}",
                            file=root / "assignment.parquet") from exc
    methodology = _results_methodology(manifest, root)
    method_name = methodology.name if methodology is not None else _results_method(manifest)
    codes = _results_indicators(manifest, ranking, root)
    world_totals = _results_world_totals(manifest, root)
    places = _feature_places(geojson)
    name = str(manifest.get("name") or root.name)
    title = str(manifest.get("title") or manifest.get("project") or f"build results {name}")

    def load() -> Panel:
        frame = ranking.select("unit_id", "name", *(["economies"] if "economies" in
                                                    ranking.columns else []), *codes)
        if "economies" in frame.columns and frame["economies"].dtype == pl.List(pl.Utf8):
            frame = frame.with_columns(pl.col("economies").list.join("/"))
        ids = frame["unit_id"].cast(pl.Utf8).to_list()
        extra: dict[str, list[Any]] = {"latitude": [], "longitude": [], "population": [],
                                       "members": []}
        for uid in ids:
            place = places.get(uid, {})
            extra["latitude"].append(_float(place.get("latitude")))
            extra["longitude"].append(_float(place.get("longitude")))
            extra["population"].append(_float(place.get("population")))
            extra["members"].append("; ".join(place.get("members") or []))
        for col in ("latitude", "longitude", "population"):
            if col in ranking.columns and all(v is None for v in extra[col]):
                extra[col] = ranking[col].cast(pl.Float64).to_list()
        frame = frame.with_columns(
            *(pl.Series(k, v, dtype=pl.Float64) for k, v in extra.items() if k != "members"),
            pl.Series("members", extra["members"], dtype=pl.Utf8),
        )
        indicators = [{"code": c, "name": c, "world_total": world_totals.get(c)}
                      for c in codes]
        provenance = {"results": name, **{k: v for k, v in manifest.items()
                                          if isinstance(v, str | int | float)}}
        return Panel.from_frame(frame, indicators=indicators, provenance=provenance,
                                file=None)

    info: dict[str, Any] = {"units": ranking.height, "indicators": list(codes),
                            "clusters_geojson": geojson is not None,
                            "assignment": assignment is not None}
    if manifest.get("synthetic"):
        info["synthetic"] = True
        info["label"] = str(manifest.get("label") or "SYNTHETIC data")
    return Source(
        name=name, kind="results", title=title,
        default_method=method_name, load=functools.cache(load), info=info,
        geojson=geojson, assignment=assignment, methodology=methodology,
    )


def data_source(path: str | Path, method: str | Path | None = None) -> Source:
    """A panel data file (CSV/TSV/Parquet with its metadata file, as ``techhubs enrich``
    writes), read and validated at start-up; ``method`` (a preset or a TOML file, read
    now) is the one the dashboard opens it with (default ``hub-factors`` when the file
    has any of its factors, else ``gii-clusters``)."""
    file = Path(path)
    if method is None:
        factors = {n.code for n in load_methodology("hub-factors").indicators}
        plain = Panel.read(file)  # any column named as a factor, numbers or not
        columns = set(plain.indicator_codes) | set(plain.units.columns)
        method = "hub-factors" if factors & columns else "gii-clusters"
    chosen = load_methodology(method)
    own = chosen if str(method) not in [p["name"] for p in list_presets()] else None
    # read with the method's indicators declared, so that a bad number in one of them is
    # an error naming its line, not a text column the method then goes without
    panel = load_panel(data=file, method=chosen)
    name = file.name.split(".")[0] or file.name
    return Source(
        name=name, kind="data", title=f"{file.name} (data file)",
        default_method=own.name if own is not None else str(method),
        load=lambda: panel, methodology=own,
        info={"units": panel.n_units, "indicators": panel.indicator_codes, "file": file.name},
    )


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _results_methodology(manifest: Mapping[str, Any], root: Path) -> Methodology | None:
    spec = manifest.get("methodology")
    if isinstance(spec, Mapping):
        return methodology_from_dict(spec, origin=str(root / "manifest.json"))
    return None


def _stage_summary(manifest: Mapping[str, Any], stage: str) -> Mapping[str, Any]:
    """The summary a `techhubs build` manifest records for one stage (empty if none)."""
    for entry in manifest.get("stages") or []:
        if isinstance(entry, Mapping) and entry.get("name") == stage:
            summary = entry.get("summary")
            return summary if isinstance(summary, Mapping) else {}
    return {}


def _results_method(manifest: Mapping[str, Any]) -> str:
    """The preset a build ranked with: manifest ``method``, its config, or the index stage."""
    raw = manifest.get("config")
    config: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
    for candidate in (manifest.get("method"), config.get("methodology"),
                      _stage_summary(manifest, "index").get("methodology")):
        if isinstance(candidate, str) and candidate:
            return candidate
    return "gii-clusters"


def _results_indicators(manifest: Mapping[str, Any], ranking: pl.DataFrame,
                        root: Path) -> tuple[str, ...]:
    declared = manifest.get("indicators")
    if isinstance(declared, list) and declared:
        codes = [d["code"] if isinstance(d, Mapping) else str(d) for d in declared]
    else:
        codes = [c for c in ranking.columns if f"{c}__norm" in ranking.columns]
    missing = [c for c in codes if c not in ranking.columns]
    if not codes or missing:
        raise DataError(
            "cannot tell the indicator columns of ranking.parquet"
            + (f": {', '.join(missing)} missing" if missing else ""),
            file=root / "ranking.parquet",
            hint="the manifest lists 'indicators', or the table has <code> and <code>__norm "
            "columns",
        )
    return tuple(codes)


def _results_world_totals(manifest: Mapping[str, Any], root: Path) -> dict[str, float]:
    totals = manifest.get("world_totals") or _stage_summary(manifest, "indicators").get(
        "world_totals") or {}
    if not isinstance(totals, Mapping):
        raise DataError("world_totals must be an object {indicator: total}",
                        file=root / "manifest.json", key="world_totals")
    out = {}
    for code, value in totals.items():
        number = _float(value)
        if number is None or number <= 0:
            raise DataError("a world total must be a positive number",
                            file=root / "manifest.json", key=f"world_totals.{code}")
        out[str(code)] = number
    return out


# ------------------------------------------------------------------ store
class Memo:
    """A bounded, thread-safe LRU cache of computed answers, by key."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: Hashable, value: Any) -> Any:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def __call__(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached answer for ``key``, computed (outside the lock) on a miss."""
        hit = self.get(key)
        return hit if hit is not None else self.put(key, compute())

    def __len__(self) -> int:
        return len(self._items)


# Bounded caches of a store: answers that do not change while the app runs.
MEMO_SIZES = {"fitted": 32, "published": 16, "rankings": 256, "profiles": 512,
              "intervals": 64}


class Store:
    """The sources an app serves and its caches: fitted composites, published-rank
    indexes and answers (rankings, profiles, rank intervals), one :class:`Memo` each."""

    def __init__(self, sources: list[Source], cache_size: int = 32) -> None:
        self.sources: dict[str, Source] = {}
        for source in sources:
            if source.name in self.sources:
                raise DataError(f"two sources are named {source.name!r}", key=source.name,
                                hint="rename a results folder (manifest 'name')")
            self.sources[source.name] = source
        self._preset_names = tuple(p["name"] for p in list_presets())
        self.memo = {name: Memo(cache_size if name == "fitted" else size)
                     for name, size in MEMO_SIZES.items()}

    @property
    def default_source(self) -> str:
        return next(iter(self.sources))

    def source(self, name: str | None) -> Source:
        name = name or self.default_source
        if name not in self.sources:
            raise UnknownNameError(f"no edition or results named {name!r}", key="edition",
                                   hint=f"available: {', '.join(self.sources)}")
        return self.sources[name]

    def method_names(self, source: Source | None = None) -> list[str]:
        names = list(self._preset_names)
        if source is not None and source.methodology is not None:
            names.insert(0, source.methodology.name)
        return names

    def methodology(self, name: str, source: Source | None = None) -> Methodology:
        """A preset by name (never a path), or a results folder's own methodology."""
        if source is not None and source.methodology is not None \
                and name == source.methodology.name:
            return source.methodology
        if name not in self._preset_names:
            raise UnknownNameError(f"no method named {name!r}", key="method",
                                   hint=f"methods: {', '.join(self.method_names(source))}")
        return load_methodology(name)

    def published(self, source_name: str) -> Any:
        """Published ranks and quoted facts matched to a source's units (built once)."""
        return self.memo["published"](
            source_name, lambda: build_index(self.source(source_name).load()))

    def fitted(self, source_name: str | None, method: str | None) -> Fitted:
        source = self.source(source_name)
        method = method or source.default_method

        def fit() -> Fitted:
            composite = Composite(self.methodology(method, source)).fit(source.load())
            return Fitted(source=source.name, method=method, composite=composite)

        fitted: Fitted = self.memo["fitted"]((source.name, method), fit)
        return fitted


# ---------------------------------------------------------------- what-if
def what_if(fitted: Fitted, weights: Mapping[str, float] | None = None,
            normalisation: str | None = None, aggregation: str | None = None) -> Composite:
    """The fitted composite rebuilt with other weights and/or methods.

    The engine's own :meth:`~techhubs.index.Composite.rebuild`: only the steps
    after the first change run again, and the weights are validated by the
    methodology (``weights.<code>`` in errors).
    """
    m = fitted.methodology
    steps: dict[str, Any] = {}
    if weights:
        steps["weights"] = dict(weights)
    if normalisation is not None and normalisation != m.normalise.method:
        _check_choice(normalisation, NORMALISATION_METHODS, "normalisation")
        steps["normalise"] = {"method": normalisation}
    if aggregation is not None and aggregation != m.aggregate.method:
        _check_choice(aggregation, AGGREGATION_METHODS, "aggregation")
        steps["aggregate"] = {"method": aggregation}
    if not steps:
        return fitted.composite
    try:
        return fitted.composite.rebuild(**steps)
    except ComputationError as exc:  # e.g. a geometric mean of scores <= 0
        exc.key = exc.key or ("aggregation" if "aggregate" in steps else "normalisation")
        raise


def _check_choice(value: str, allowed: tuple[str, ...], key: str) -> None:
    if value not in allowed:
        raise MethodologyError(f"unknown {key} {value!r}", key=key,
                               hint=f"choose from: {', '.join(allowed)}")


def effective_weights(composite: Composite) -> dict[str, float]:
    """Every settable weight of a fitted composite (nodes below the root)."""
    return {n.code: n.weight for n in composite.methodology_.nodes if n.parent is not None}
