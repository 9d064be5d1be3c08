"""Hub factors from open layers: attach any geocoded records to the hubs of an edition
or of a build.

A *layer* is records read by any ``ingest`` reader (``ror``, ``crunchbase``,
``openalex``, ``patentsview``, ``table``) or a points Parquet (``points``). Each
becomes indicator ``NAME``: the summed point weight inside each hub; a ROR layer also
gives one column per organisation type (``NAME_education``, ``NAME_facility``...), a
Crunchbase layer the USD its deals raised (``NAME_usd``).

**Footprints.** A published cluster has no geometry: its footprint is the places its
name lists (:func:`techhubs.geo.gazetteer.cluster_places`, GeoNames). A build's cluster
(``results``) has its own: the rounded locations the clustering put in it. A point
belongs to the hub whose nearest footprint location is nearest to it, when that
location is within ``radius_km`` (great-circle distance; default 25 km, about a
commuting radius, for an edition; the build's ``eps_km`` for a build); a point is in at
most one hub, and a tie goes to the hub listed first. ``population`` is the summed
GeoNames population of an edition hub's member places (a lower bound of the
metropolitan population), a build cluster's own population.

**World totals.** The hubs keep their own figures (an edition's PCT applications and
publications, with the edition's world totals). A layer's world total is the weight of
every record its reader placed, inside a hub or not (records it could not place are in
its accounting, not in the total), so ``gii-clusters`` turns a ``vc_deals`` layer into
the third share of a GII 2025-style ranking.

**Factors** (the indicators of the ``hub-factors`` method, :data:`FACTORS`) are derived
from what the layers give, when exactly one layer can give them and no column already
has the factor's name.

Every record of a layer is accounted for by its reader's report; the points outside
every footprint are counted in ``Enriched.outside``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from techhubs import jsonio
from techhubs.datasets import edition_info, load_edition
from techhubs.errors import DataError
from techhubs.geo.gazetteer import cluster_places
from techhubs.geo.sphere import chord_to_km, km_to_chord, latlon_to_xyz
from techhubs.indicators._panel import cluster_panel, unit_ids
from techhubs.panel import Panel, economy_code, metadata_path
from techhubs.points import sum_by
from techhubs.sources.accounting import IngestReport
from techhubs.sources.registry import make_reader

DEFAULT_RADIUS_KM = 25.0
"""How far from a member place a record still belongs to an edition's hub."""

FACTORS: dict[str, str] = {
    "talent": "higher-education organisations (type education) of the ror layer",
    "research_institutions": "the other organisations of the ror layer",
    "venture_funding": "USD raised by the deals of the crunchbase layer",
    "patents": "the hubs' PCT applications (pct_applications)",
    "publications": "the hubs' scientific publications (scientific_publications)",
}
"""The ``hub-factors`` indicators ``enrich`` derives, and from what."""


@dataclass(frozen=True)
class Enriched:
    """The hubs with one column per layer, the point -> hub assignment, the reports.

    ``hubs`` holds the units (``unit_id``, ``name``, ``economies``, ``latitude``,
    ``longitude``, ``population``, ``members``), the hubs' own figures, the layers and the
    derived factors; ``indicators`` describes every figure column (name, unit, source,
    world total).
    """

    hubs: pl.DataFrame
    assignment: pl.DataFrame
    reports: Mapping[str, IngestReport] = field(default_factory=dict)
    outside: Mapping[str, int] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)
    indicators: tuple[Mapping[str, Any], ...] = ()

    def panel(self) -> Panel:
        """The hubs as a :class:`~techhubs.panel.Panel`, ready to rank.

        Examples
        --------
        >>> import techhubs
        >>> panel = techhubs.enrich("gii-2023", []).panel()
        >>> techhubs.rank(data=panel, method="hub-factors").names()[0]  # patents, publications
        'Shenzhen–Hong Kong–Guangzhou'
        """
        return Panel.from_frame(_flat(self.hubs), indicators=list(self.indicators),
                                provenance={k: v for k, v in self.provenance.items()
                                            if isinstance(v, str | int | float)})


@dataclass(frozen=True)
class _Hubs:
    """What is enriched: the units and their figures, and where each hub lies."""

    panel: Panel
    places: pl.DataFrame  # unit_id, order, latitude, longitude: the footprint locations
    radius_km: float
    about: Mapping[str, Any]


def parse_layer(text: str) -> tuple[str, str, str]:
    """``NAME=READER:PATH`` -> (name, reader, path); DataError naming the problem."""
    name, eq, rest = text.partition("=")
    reader, colon, path = rest.partition(":")
    if not eq or not colon or not name.strip() or not reader.strip() or not path.strip():
        raise DataError(f"layer {text!r} is not NAME=READER:PATH", key="--layer",
                        hint="e.g. --layer institutions=ror:organizations.csv")
    if not name.strip().isidentifier():
        raise DataError(f"layer name {name!r} is not an indicator code", key="--layer",
                        hint="letters, digits and _, not starting with a digit")
    return name.strip(), reader.strip(), path.strip()


def member_places(edition: str) -> pl.DataFrame:
    """One row per (hub, member place) of an edition: unit_id, order, lat, lon, population."""
    panel = load_edition(edition)
    rows = []
    for unit in panel.units.iter_rows(named=True):
        for order, place in enumerate(cluster_places(unit["name"], unit["economies"] or [])):
            rows.append({"unit_id": unit["unit_id"], "order": order, "place": place.name,
                         "latitude": place.latitude, "longitude": place.longitude,
                         "population": float(place.population or 0)})
    return pl.DataFrame(rows, schema={"unit_id": pl.Utf8, "order": pl.Int64, "place": pl.Utf8,
                                      "latitude": pl.Float64, "longitude": pl.Float64,
                                      "population": pl.Float64})


def assign(points: pl.DataFrame, places: pl.DataFrame, hub_order: Sequence[str],
           radius_km: float) -> tuple[np.ndarray, np.ndarray]:
    """For each point, the index (in ``hub_order``) of its hub, or -1, and the distance (km)
    to that hub's nearest member place (NaN when none is within ``radius_km``)."""
    from scipy.spatial import cKDTree  # only where hubs are matched

    if radius_km <= 0:
        raise DataError(f"radius {radius_km} km must be positive", key="radius_km")
    n = points.height
    hub_of = {u: k for k, u in enumerate(hub_order)}
    place_hub = np.array([hub_of[u] for u in places["unit_id"]], dtype=np.int64)
    tree = cKDTree(latlon_to_xyz(places["latitude"].to_numpy(), places["longitude"].to_numpy()))
    xyz = latlon_to_xyz(points["latitude"].to_numpy(), points["longitude"].to_numpy())
    chord = float(km_to_chord(radius_km))
    # the nearest places within the radius; equal distances go to the hub listed first
    k = min(len(place_hub), 8)
    dist, idx = tree.query(xyz, k=k, distance_upper_bound=chord * 1.000001)
    dist = np.asarray(dist, dtype=np.float64).reshape(n, k)
    idx = np.asarray(idx).reshape(n, k)
    found = np.isfinite(dist)
    arc = np.where(found, chord_to_km(np.where(found, dist, 0.0)), np.inf)
    arc[arc > radius_km] = np.inf
    best = arc.min(axis=1) if k else np.full(n, np.inf)
    ties = np.isfinite(arc) & (arc == best[:, None])
    owner = np.where(ties, place_hub[np.minimum(idx, len(place_hub) - 1)], np.iinfo(np.int64).max)
    inside = np.isfinite(best)
    hub = np.where(inside, owner.min(axis=1) if k else -1, -1).astype(np.int64)
    km = np.where(inside, best, np.nan)
    return hub, km


def enrich(edition: str | None = "gii-2023", layers: Mapping[str, tuple[str, str | Path]]
           | Sequence[str] = (), *, results: str | Path | None = None,
           radius_km: float | None = None,
           options: Mapping[str, Mapping[str, Any]] | None = None,
           covers: Mapping[str, Sequence[str]] | None = None,
           progress: Callable[[str, int], None] | None = None) -> Enriched:
    """The hubs of ``edition`` (or of the build in ``results``) with one indicator per
    layer (see the module notes).

    Parameters
    ----------
    edition:
        A bundled edition whose hubs are enriched (``techhubs editions``).
    layers:
        ``{"institutions": ("ror", "organizations.csv")}`` or ``["NAME=READER:PATH"]``.
    results:
        A ``techhubs build`` results folder: its clusters are the hubs (instead of an
        edition's).
    radius_km:
        How far from a footprint location a record belongs to the hub (default: 25 km
        for an edition, the build's ``eps_km`` for a build).
    options:
        Reader options per layer name (e.g. ``{"pubs": {"institutions": "inst.jsonl"}}``).
    covers:
        The economies a layer covers, per layer name (``{"deals": ["US"]}``): a hub in none
        of them gets a missing value (not 0) in the layer's columns, since the layer
        cannot say.
    progress:
        Called with ``(layer name, records read)`` as each layer is read.

    Examples
    --------
    >>> import techhubs
    >>> hubs = techhubs.enrich("gii-2023", []).hubs
    >>> hubs.height, hubs.columns[:4]
    (34, ['unit_id', 'name', 'economies', 'latitude'])
    """
    given = (dict(layers) if isinstance(layers, Mapping)
             else {name: (fmt, path) for name, fmt, path in map(parse_layer, layers)})
    # checked before any layer is read
    unknown = sorted(set(covers or {}) - set(given))
    if unknown:
        raise DataError(f"--covers names no layer: {unknown[0]!r}", key="--covers",
                        hint=f"layers: {', '.join(given) or 'none'}")
    covered_by = {name: [economy_code(e, key=f"--covers {name}") for e in economies]
                  for name, economies in (covers or {}).items()}
    target = _results_hubs(Path(results)) if results is not None else _edition_hubs(
        edition or "gii-2023")
    radius = target.radius_km if radius_km is None else float(radius_km)
    panel, places = target.panel, target.places
    order = panel.unit_ids
    hubs = panel.units.select("unit_id", "name", "economies", "latitude", "longitude",
                              "population", "members").join(panel.values, on="unit_id",
                                                            how="left", maintain_order="left")
    indicators: list[dict[str, Any]] = [
        {k: v for k, v in row.items() if v not in (None, "")}
        for row in panel.indicators.to_dicts()]
    assignments = []
    reports: dict[str, IngestReport] = {}
    outside: dict[str, int] = {}
    for name, (fmt, path) in given.items():
        if name in hubs.columns:
            raise DataError(f"layer name {name!r} is already a column of the hubs",
                            key="--layer", hint="give the layer another name")
        points, report = _read_layer(fmt, path, (options or {}).get(name, {}), name,
                                     None if progress is None else functools.partial(
                                         progress, name))
        hub, km = assign(points, places, order, radius)
        inside = hub >= 0
        outside[name] = int((~inside).sum())
        reports[name] = report
        label = f"{name} ({fmt}: {Path(path).name})"
        columns = {name: (pl.col("weight"), f"{label}, summed weight of the records",
                          "records")}
        if fmt == "ror":
            points = points.with_columns(_kind(pl.col("field")).alias("_kind"))
            for kind in sorted(set(points["_kind"].to_list())):
                columns[f"{name}_{kind}"] = (
                    pl.col("weight") * (pl.col("_kind") == kind).cast(pl.Float64),
                    f"{label}, organisations of type {kind}", "organisations")
        if "amount_usd" in points.columns:
            columns[f"{name}_usd"] = (pl.col("amount_usd").fill_null(0.0),
                                      f"{label}, USD raised", "USD")
        owner = pl.Series("unit_id", [*order, None], dtype=pl.Utf8).gather(
            np.where(hub >= 0, hub, len(order)))  # -1: the trailing null
        located = points.with_columns(owner, pl.Series("distance_km", km))
        frame = located.filter(inside)
        sums = sum_by(frame.select("unit_id", *(expr.alias(c) for c, (expr, _, _) in
                                                columns.items())), ["unit_id"], list(columns))
        covered = pl.lit(True)
        if name in covered_by:
            covered = pl.col("economies").list.set_intersection(
                pl.lit(covered_by[name], dtype=pl.List(pl.Utf8))).list.len() > 0
        hubs = hubs.join(sums, on="unit_id", how="left", maintain_order="left").with_columns(
            pl.when(covered).then(pl.col(c).fill_null(0.0)) for c in columns)
        world = located.select(expr.sum().alias(c) for c, (expr, _, _) in columns.items())
        for code, (_, title, unit) in columns.items():
            total = float(world[code][0])
            indicators.append({"code": code, "name": title, "unit": unit, "source": fmt,
                               **({"world_total": total} if total > 0 else {})})
        assignments.append(frame.select(
            pl.lit(name).alias("layer"), "id", "unit_id", "distance_km", "weight",
            "latitude", "longitude"))
    hubs, derived = _derive_factors(hubs, given, indicators)
    assignment = pl.concat(assignments) if assignments else pl.DataFrame(
        schema={"layer": pl.Utf8, "id": pl.Utf8, "unit_id": pl.Utf8, "distance_km": pl.Float64,
                "weight": pl.Float64, "latitude": pl.Float64, "longitude": pl.Float64})
    provenance = {**target.about, "radius_km": radius,
                  "layers": {n: {"reader": f, "path": str(p),
                                 **({"covers": covered_by[n]} if n in covered_by else {})}
                             for n, (f, p) in given.items()},
                  "factors": derived}
    return Enriched(hubs.select(pl.exclude("members"), pl.col("members")), assignment, reports,
                    outside, provenance, tuple(indicators))


def _derive_factors(hubs: pl.DataFrame, given: Mapping[str, tuple[str, Any]],
                    indicators: list[dict[str, Any]]) -> tuple[pl.DataFrame, dict[str, str]]:
    """The :data:`FACTORS` columns the hubs can have: {factor: the rule used}."""
    def only(reader: str) -> str | None:
        names = [n for n, (f, _) in given.items() if f == reader]
        return names[0] if len(names) == 1 else None

    ror, deals = only("ror"), only("crunchbase")
    rules: dict[str, tuple[pl.Expr, list[str]]] = {}
    if ror is not None:
        education = f"{ror}_education"
        edu = pl.col(education) if education in hubs.columns else pl.lit(0.0)
        rules["talent"] = (edu, [education])
        rules["research_institutions"] = (pl.col(ror) - edu, [ror, f"-{education}"])
    if deals is not None and f"{deals}_usd" in hubs.columns:
        rules["venture_funding"] = (pl.col(f"{deals}_usd"), [f"{deals}_usd"])
    for factor, column in (("patents", "pct_applications"),
                           ("publications", "scientific_publications")):
        if column in hubs.columns:
            rules[factor] = (pl.col(column), [column])
    meta = {m["code"]: m for m in indicators}
    derived: dict[str, str] = {}
    for factor, (expr, parts) in rules.items():
        if factor in hubs.columns:
            continue  # the data has the factor under its own name: that column stands
        hubs = hubs.with_columns(expr.alias(factor))
        totals = [(-1 if p.startswith("-") else 1) * meta.get(p.lstrip("-"), {}).get(
            "world_total", 0.0) for p in parts]
        entry = {"code": factor, "name": FACTORS[factor], "source": " ".join(parts)}
        if sum(totals) > 0:
            entry["world_total"] = sum(totals)
        first = meta.get(parts[0], {})
        for key in ("unit", "period"):
            if first.get(key):
                entry[key] = first[key]
        indicators.append(entry)
        derived[factor] = " - ".join(p.lstrip("-") for p in parts)
    return hubs, derived


def _edition_hubs(edition: str) -> _Hubs:
    info = edition_info(edition)
    panel = load_edition(edition)
    places = member_places(edition)
    population = places.group_by("unit_id").agg(pl.col("population").sum())
    units = panel.units.drop("population").join(population, on="unit_id", how="left",
                                                maintain_order="left")
    return _Hubs(Panel(units=units, indicators=panel.indicators, values=panel.values,
                       provenance=panel.provenance),
                 places, DEFAULT_RADIUS_KM,
                 {"edition": edition, "edition_source": info.source,
                  "footprint": "points within radius_km of a member place, nearest hub",
                  "population": "summed GeoNames population of the member places"})


def _results_hubs(root: Path) -> _Hubs:
    """The clusters of a ``techhubs build`` results folder, their figures (with the
    build's world totals) and their rounded locations."""
    needed = ("manifest.json", "clusters.parquet", "assignment.parquet")
    missing = [n for n in needed if not (root / n).is_file()]
    if missing:
        raise DataError(f"not a techhubs results folder: {', '.join(missing)} missing",
                        file=root, key="--results",
                        hint="give the results folder `techhubs build` wrote")
    manifest = jsonio.read_object(root / "manifest.json", "the manifest")
    stages = {s.get("name"): s.get("summary") or {} for s in manifest.get("stages") or []
              if isinstance(s, Mapping)}
    clustering = stages.get("clusters", {})
    world = clustering.get("world_totals") or {}
    config = manifest.get("config")
    codes = (config.get("indicators") if isinstance(config, Mapping) else None) or {
        s: s for s in world}
    try:
        clusters = pl.read_parquet(root / "clusters.parquet")
        located = pl.read_parquet(root / "assignment.parquet",
                                  columns=["latitude", "longitude", "cluster_id"])
    except Exception as exc:  # a damaged Parquet file
        raise DataError(f"cannot read Parquet: {exc}", file=root) from exc
    panel = cluster_panel(clusters, world, codes, provenance={"results": str(root)})
    ids = dict(zip(clusters["cluster_id"].to_list(),
                   unit_ids(clusters["cluster_id"].to_list(), clusters.height), strict=True))
    places = (located.filter(pl.col("cluster_id").is_not_null())
              .unique(["cluster_id", "latitude", "longitude"])
              .sort("cluster_id", "latitude", "longitude")
              .select(pl.col("cluster_id").replace_strict(ids, return_dtype=pl.Utf8)
                      .alias("unit_id"),
                      pl.int_range(pl.len()).over("cluster_id").cast(pl.Int64).alias("order"),
                      "latitude", "longitude"))
    eps = (clustering.get("params") or {}).get("eps_km")
    return _Hubs(panel, places, float(eps) if eps else DEFAULT_RADIUS_KM,
                 {"results": str(root), "project": str(manifest.get("project") or ""),
                  "footprint": "points within radius_km of a cluster's rounded location, "
                               "nearest cluster",
                  "population": "the build's population of each cluster"})


def write_hubs(enriched: Enriched, out: str | Path) -> Path:
    """The enriched hubs as a panel file ``techhubs rank --data`` reads (CSV or Parquet by
    the extension; economies joined by ``/``, members by ``;``) with its metadata beside
    it (``<file>.provenance.json``: the indicators and their world totals, the layers and
    their accounting)."""
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    flat = _flat(enriched.hubs)
    if target.suffix.lower() in (".parquet", ".pq"):
        flat.write_parquet(target)
    elif target.suffix.lower() in (".csv", ".tsv", ".txt"):
        flat.write_csv(target, separator="\t" if target.suffix.lower() == ".tsv" else ",")
    else:
        raise DataError(f"cannot write {target.suffix or 'a file without extension'}",
                        file=target, key="--out", hint="use .csv, .tsv or .parquet")
    meta = {**enriched.provenance, "indicators": list(enriched.indicators),
            "layers_accounting": {n: r.to_dict() for n, r in enriched.reports.items()},
            "outside_every_hub": dict(enriched.outside)}
    metadata_path(target).write_text(jsonio.dumps(meta), encoding="utf-8")
    return target


def _kind(text: pl.Expr) -> pl.Expr:
    """An organisation type as a column-name part: lower case, ``_`` between words."""
    code = text.str.to_lowercase().str.replace_all(r"[^\w]+", "_").str.strip_chars("_")
    return pl.when(code.is_null() | (code == "")).then(pl.lit("other")).otherwise(code)


def _flat(hubs: pl.DataFrame) -> pl.DataFrame:
    """The hubs with their lists as text: economies joined by ``/``, members by ``;``."""
    return hubs.with_columns(pl.col("economies").list.join("/"),
                             pl.col("members").list.join(";"))


def _read_layer(fmt: str, path: str | Path, options: Mapping[str, Any], name: str,
                progress: Callable[[int], None] | None) -> tuple[pl.DataFrame, IngestReport]:
    if fmt == "points":
        frame = pl.read_parquet(path)
        report = IngestReport(source=name, files=[str(path)])
        report.read(frame.height)
        report.use(frame.height)
        if "id" not in frame.columns:
            frame = frame.with_row_index("id").with_columns(pl.col("id").cast(pl.Utf8))
        return frame, report
    chosen = dict(options)
    if fmt == "crunchbase":
        chosen.setdefault("keep_amount", True)  # the USD raised: venture_funding
    result = make_reader(fmt, chosen, source=name if fmt == "table" else None).read(
        [path], progress=progress)
    return result.points, result.report


__all__ = ["DEFAULT_RADIUS_KM", "FACTORS", "Enriched", "assign", "enrich", "member_places", "parse_layer",
           "write_hubs"]
