"""Hub factors from open layers: attach any geocoded records to the hubs of an edition.

A *layer* is records read by any ``ingest`` reader (``ror``, ``crunchbase``,
``openalex``, ``patentsview``, ``table``) or a points Parquet (``points``). Each
becomes indicator ``NAME``: the summed point weight inside each hub; a ROR layer also
gives one column per organisation type (``NAME_education``, ``NAME_facility``...).

**Footprint of a published cluster** (it has no geometry): the places its name lists
(:func:`techhubs.geo.gazetteer.cluster_places`, GeoNames). A point belongs to the hub
whose nearest member place is nearest to it, when that place is within ``radius_km``
(great-circle distance; default 25 km, about a commuting radius); a point is in at most
one hub, and a tie goes to the hub listed first. ``population`` is the summed GeoNames
population of the member places (a lower bound of the metropolitan population).

Every record of a layer is accounted for by its reader's report; the points outside
every footprint are counted in ``Enriched.outside``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
from techhubs.sources.accounting import IngestReport
from techhubs.sources.registry import make_reader

DEFAULT_RADIUS_KM = 25.0
"""How far from a member place a record still belongs to the hub."""


@dataclass(frozen=True)
class Enriched:
    """The hubs with one column per layer, the point -> hub assignment, the reports."""

    hubs: pl.DataFrame
    assignment: pl.DataFrame
    reports: Mapping[str, IngestReport] = field(default_factory=dict)
    outside: Mapping[str, int] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)


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


def enrich(edition: str = "gii-2023", layers: Mapping[str, tuple[str, str | Path]]
           | Sequence[str] = (), *, radius_km: float = DEFAULT_RADIUS_KM,
           options: Mapping[str, Mapping[str, Any]] | None = None) -> Enriched:
    """The hubs of ``edition`` with one indicator per layer (see the module notes).

    Parameters
    ----------
    edition:
        A bundled edition whose hubs are enriched (``techhubs editions``).
    layers:
        ``{"institutions": ("ror", "organizations.csv")}`` or ``["NAME=READER:PATH"]``.
    radius_km:
        How far from a member place a record belongs to the hub.
    options:
        Reader options per layer name (e.g. ``{"pubs": {"institutions": "inst.jsonl"}}``).

    Examples
    --------
    >>> import techhubs
    >>> hubs = techhubs.enrich("gii-2023", []).hubs
    >>> hubs.height, hubs.columns[:4]
    (34, ['unit_id', 'name', 'economies', 'latitude'])
    """
    given = (dict(layers) if isinstance(layers, Mapping)
             else {name: (fmt, path) for name, fmt, path in map(parse_layer, layers)})
    info = edition_info(edition)
    panel = load_edition(edition)
    places = member_places(edition)
    units = panel.units
    order = units["unit_id"].to_list()
    population = places.group_by("unit_id").agg(pl.col("population").sum())
    hubs = units.select("unit_id", "name", "economies", "latitude", "longitude", "members") \
        .join(population, on="unit_id", how="left")
    assignments = []
    reports: dict[str, IngestReport] = {}
    outside: dict[str, int] = {}
    for name, (fmt, path) in given.items():
        points, report = _read_layer(fmt, path, (options or {}).get(name, {}), name)
        hub, km = assign(points, places, order, radius_km)
        inside = hub >= 0
        outside[name] = int((~inside).sum())
        reports[name] = report
        owner = pl.Series("unit_id", [*order, None], dtype=pl.Utf8).gather(
            np.where(hub >= 0, hub, len(order)))  # -1: the trailing null
        frame = points.with_columns(owner, pl.Series("distance_km", km)).filter(inside)
        sums = frame.group_by("unit_id").agg(pl.col("weight").sum().alias(name))
        hubs = hubs.join(sums, on="unit_id", how="left").with_columns(
            pl.col(name).fill_null(0.0))
        if fmt == "ror":
            kinds = frame.with_columns(pl.col("field").fill_null("other")).group_by(
                "unit_id", "field").agg(pl.col("weight").sum()).pivot(
                on="field", index="unit_id", values="weight")
            kinds = kinds.rename({c: f"{name}_{_code(c)}" for c in kinds.columns
                                  if c != "unit_id"})
            kinds = kinds.select("unit_id", *sorted(c for c in kinds.columns if c != "unit_id"))
            hubs = hubs.join(kinds, on="unit_id", how="left").with_columns(
                pl.col(c).fill_null(0.0) for c in kinds.columns if c != "unit_id")
        assignments.append(frame.select(
            pl.lit(name).alias("layer"), "id", "unit_id", "distance_km", "weight",
            "latitude", "longitude"))
    assignment = pl.concat(assignments) if assignments else pl.DataFrame(
        schema={"layer": pl.Utf8, "id": pl.Utf8, "unit_id": pl.Utf8, "distance_km": pl.Float64,
                "weight": pl.Float64, "latitude": pl.Float64, "longitude": pl.Float64})
    provenance = {"edition": edition, "edition_source": info.source, "radius_km": radius_km,
                  "footprint": "points within radius_km of a member place, nearest hub",
                  "layers": {n: {"reader": f, "path": str(p)} for n, (f, p) in given.items()},
                  "population": "summed GeoNames population of the member places"}
    return Enriched(hubs.select(pl.exclude("members"), pl.col("members")), assignment, reports,
                    outside, provenance)


def write_hubs(enriched: Enriched, out: str | Path) -> Path:
    """The enriched hubs as a panel file ``techhubs rank --data`` reads (CSV or Parquet by
    the extension; economies joined by ``/``, members by ``;``) with its provenance beside
    it (``<file>.provenance.json``)."""
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    flat = enriched.hubs.with_columns(pl.col("economies").list.join("/"),
                                      pl.col("members").list.join(";"))
    if target.suffix.lower() in (".parquet", ".pq"):
        flat.write_parquet(target)
    elif target.suffix.lower() in (".csv", ".tsv", ".txt"):
        flat.write_csv(target, separator="\t" if target.suffix.lower() == ".tsv" else ",")
    else:
        raise DataError(f"cannot write {target.suffix or 'a file without extension'}",
                        file=target, key="--out", hint="use .csv, .tsv or .parquet")
    meta = {**enriched.provenance,
            "layers_accounting": {n: r.to_dict() for n, r in enriched.reports.items()},
            "outside_every_hub": dict(enriched.outside)}
    target.with_name(target.name + ".provenance.json").write_text(
        jsonio.dumps(meta), encoding="utf-8")
    return target


def _code(text: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in text.lower()).strip("_") or "other"


def _read_layer(fmt: str, path: str | Path, options: Mapping[str, Any],
                name: str) -> tuple[pl.DataFrame, IngestReport]:
    if fmt == "points":
        frame = pl.read_parquet(path)
        report = IngestReport(source=name, files=[str(path)])
        report.read(frame.height)
        report.use(frame.height)
        if "id" not in frame.columns:
            frame = frame.with_row_index("id").with_columns(pl.col("id").cast(pl.Utf8))
        return frame, report
    result = make_reader(fmt, dict(options), source=name if fmt == "table" else None).read(
        [path])
    return result.points, result.report


__all__ = ["DEFAULT_RADIUS_KM", "Enriched", "assign", "enrich", "member_places", "parse_layer",
           "write_hubs"]
