"""Find technology clusters bottom-up from geocoded points.

Pipeline of :func:`find_clusters`:

1. validate the points (:func:`techhubs.points.validate_points`): bad rows are
   counted with their row numbers in ``ClusterResult.report``, never lost;
2. round and de-duplicate into weighted locations
   (:func:`techhubs.points.round_locations`);
3. per source, exact weighted DBSCAN on the sphere (:class:`WeightedDBSCAN`);
4. merge overlapping clusters of different sources (:mod:`.merge`);
5. number clusters by total weight (1 = heaviest) and describe them: centroid,
   bounding box, weight per source and, with ``name=True``, GeoNames names,
   economies, member cities and population (:mod:`.naming`).

Default parameters
------------------
The GII does not publish its DBSCAN radius or density. The defaults suit
rounded locations of patents and publications at metropolitan scale:
``eps_km = 12`` (a commute-scale radius: wide enough that the suburbs of one
metropolis chain together through core locations, narrow enough that
neighbouring metropolises 40+ km apart stay apart unless activity between them
is continuous) and ``min_weight = 25`` fractional records within that radius
(about one record per 18 km², which isolated campuses and small towns do not
reach). Both are parameters; ``min_weight`` can be given per source, since a
count of venture deals and a count of publications are on different scales.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from techhubs.clusters._dbscan import weighted_dbscan
from techhubs.clusters.merge import merge_source_clusters
from techhubs.clusters.naming import name_clusters
from techhubs.clusters.params import (
    DEFAULT_EPS_KM,
    DEFAULT_MERGE_THRESHOLD,
    DEFAULT_MIN_WEIGHT,
    ClusterParams,
)
from techhubs.errors import DataError
from techhubs.geo.sphere import latlon_to_xyz, xyz_to_latlon
from techhubs.points import (
    DEFAULT_PRECISION,
    PointsReport,
    round_locations,
    sum_by,
    validate_points,
)
from techhubs.spec import parse

Progress = Callable[[str, int, int], None]
"""``progress(step, done, total)``: called as each step of :func:`find_clusters` ends."""


class WeightedDBSCAN:
    """Exact DBSCAN on the sphere with point weights (scikit-learn style estimator).

    A point is *core* when the summed weight of the points within ``eps_km``
    great-circle kilometres (itself included, ``distance <= eps_km``) reaches
    ``min_weight``. Core points within ``eps_km`` of each other share a cluster;
    a non-core point within ``eps_km`` of a core point is a *border* point of
    the cluster of its nearest core point; the rest is noise (label -1). This
    equals ``sklearn.cluster.DBSCAN(eps=eps_km / EARTH_RADIUS_KM, min_samples=min_weight,
    metric="haversine").fit(radians(latlon), sample_weight=weight)`` on core and
    noise points and on the partition of core points; sklearn gives a border
    point to the first cluster that reaches it, this estimator to the nearest.

    Labels are 0, 1, ... by decreasing total cluster weight (ties: the cluster
    holding the lowest input index first), so they are reproducible.

    Cost is near-linear for real activity data; the one quadratic corner is two
    neighbouring grid cells that each hold a huge stack of identical points
    without being connected. Aggregate exact duplicates first (summing their
    weights), as :func:`find_clusters` does with rounded locations.

    Parameters
    ----------
    eps_km:
        Neighbourhood radius along the Earth's surface, in km (> 0.011).
    min_weight:
        Summed weight that makes a point core (> 0).

    Attributes
    ----------
    labels_ : ndarray of int64, cluster of each point, -1 for noise
    core_sample_mask_ : ndarray of bool
    core_sample_indices_ : ndarray of int64
    n_clusters_ : int

    Examples
    --------
    >>> from techhubs import WeightedDBSCAN
    >>> lat = [48.85, 48.86, 48.87, 51.5, 40.0]
    >>> lon = [2.35, 2.36, 2.34, -0.12, 3.0]
    >>> est = WeightedDBSCAN(eps_km=5, min_weight=3).fit(lat, lon, [1, 1, 2, 5, 1])
    >>> est.labels_.tolist(), est.n_clusters_
    ([1, 1, 1, 0, -1], 2)
    """

    def __init__(self, eps_km: float = DEFAULT_EPS_KM, min_weight: float = DEFAULT_MIN_WEIGHT):
        self.eps_km = eps_km
        self.min_weight = min_weight

    def fit(
        self,
        lat: npt.ArrayLike,
        lon: npt.ArrayLike,
        weight: npt.ArrayLike | None = None,
    ) -> WeightedDBSCAN:
        """Cluster points given by latitude and longitude in degrees."""
        eps = float(self.eps_km)
        mw = float(self.min_weight)
        if not (math.isfinite(eps) and eps > 0):
            raise ValueError(f"eps_km must be a positive number, got {self.eps_km!r}")
        if not (math.isfinite(mw) and mw > 0):
            raise ValueError(f"min_weight must be a positive number, got {self.min_weight!r}")
        la = np.ascontiguousarray(lat, dtype=np.float64).ravel()
        lo = np.ascontiguousarray(lon, dtype=np.float64).ravel()
        if la.shape != lo.shape:
            raise ValueError(f"lat and lon differ in length ({la.size} vs {lo.size})")
        w = (
            np.ones_like(la)
            if weight is None
            else np.ascontiguousarray(weight, dtype=np.float64).ravel()
        )
        if w.shape != la.shape:
            raise ValueError(f"weight has {w.size} values for {la.size} points")
        bad = ~(np.isfinite(la) & np.isfinite(lo) & np.isfinite(w))
        bad |= (la < -90) | (la > 90) | (w < 0)
        if bad.any():
            rows = np.flatnonzero(bad)
            raise ValueError(
                f"{rows.size} invalid point(s) (non-finite, latitude outside [-90, 90] or "
                f"negative weight), first at index {rows[:5].tolist()}; "
                "use techhubs.points.validate_points to report and drop them"
            )
        labels, core = weighted_dbscan(la, lo, w, eps, mw)
        self.labels_ = labels
        self.core_sample_mask_ = core
        self.core_sample_indices_ = np.flatnonzero(core).astype(np.int64)
        self.n_clusters_ = int(labels.max()) + 1 if labels.size else 0
        return self

    def fit_predict(
        self, lat: npt.ArrayLike, lon: npt.ArrayLike, weight: npt.ArrayLike | None = None
    ) -> npt.NDArray[np.int64]:
        return self.fit(lat, lon, weight).labels_


@dataclass
class ClusterResult:
    """Clusters found by :func:`find_clusters`.

    Attributes
    ----------
    clusters:
        One row per cluster, ``cluster_id`` 1 = heaviest: name, economies,
        latitude/longitude (weighted centroid), min_lat/min_lon/max_lat/max_lon
        (bounding box; ``min_lon > max_lon`` when it crosses the antimeridian),
        population, members, weight (total), weight_<source>, n_locations.
    assignment:
        Every rounded location (latitude, longitude, source, year if present,
        weight, n_records) with its ``cluster_id`` (null for noise) and ``core``.
    world_totals:
        Total weight of all valid points per source, clustered or not (the
        denominator of world shares).
    params:
        The parameters used.
    report:
        What validation did with every input row.
    """

    clusters: pl.DataFrame
    assignment: pl.DataFrame
    world_totals: dict[str, float]
    params: dict[str, Any]
    report: PointsReport
    sources: tuple[str, ...] = field(default=())

    def unit_ids(self) -> list[str]:
        width = max(3, len(str(self.clusters.height)))
        return [f"C{i:0{width}d}" for i in self.clusters["cluster_id"].to_list()]

    def to_panel_frame(self) -> pl.DataFrame:
        """The wide indicator panel the index engine reads.

        Columns: unit_id ("C001"), name, economies ("/"-joined ISO2), latitude,
        longitude, population, members ("; "-joined), then one Float64 column per
        source holding the cluster's weight of that source. World totals for
        shares are in :attr:`world_totals`.
        """
        c = self.clusters
        return pl.DataFrame(
            {
                "unit_id": pl.Series(self.unit_ids(), dtype=pl.Utf8),
                "name": c["name"],
                "economies": c["economies"].list.join("/"),
                "latitude": c["latitude"],
                "longitude": c["longitude"],
                "population": c["population"],
                "members": c["members"].list.join("; "),
                **{s: c[f"weight_{s}"].cast(pl.Float64) for s in self.sources},
            }
        )

    def indicator_frame(self) -> pl.DataFrame:
        """Shares of world activity and intensity per source, one row per cluster.

        ``share_<source>`` = cluster weight / world total of that source;
        ``intensity_<source>`` = cluster weight per million inhabitants (null
        when the population is unknown or zero).
        """
        panel = self.to_panel_frame()
        pop = pl.col("population").cast(pl.Float64)
        cols: list[pl.Expr] = []
        for s in self.sources:
            total = self.world_totals.get(s, 0.0)
            cols.append(
                (pl.col(s) / total if total > 0 else pl.lit(None, pl.Float64)).alias(f"share_{s}")
            )
            cols.append(
                pl.when(pop > 0).then(pl.col(s) / pop * 1e6).otherwise(None).alias(f"intensity_{s}")
            )
        return panel.select("unit_id", "name", "economies", "population", *cols)


def _bbox(
    lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
) -> tuple[float, float, float, float]:
    """(min_lat, min_lon, max_lat, max_lon); across the antimeridian min_lon > max_lon."""
    lon_sorted = np.unique(lon)
    if lon_sorted.size <= 1:
        return float(lat.min()), float(lon.min()), float(lat.max()), float(lon.max())
    gaps = np.diff(np.concatenate([lon_sorted, lon_sorted[:1] + 360.0]))
    k = int(np.argmax(gaps))  # the widest empty arc is outside the box
    west = float(lon_sorted[(k + 1) % lon_sorted.size])
    east = float(lon_sorted[k])
    if k == lon_sorted.size - 1:  # widest gap wraps around: ordinary box
        west, east = float(lon_sorted[0]), float(lon_sorted[-1])
    return float(lat.min()), west, float(lat.max()), east


def _locations(points: pl.DataFrame, precision: int | None) -> pl.DataFrame:
    by = ("source", "year")
    if precision is not None:
        return round_locations(points, precision=precision, by=by)
    keys = [c for c in by if c in points.columns]
    return sum_by(points, [*keys, "latitude", "longitude"], ["weight"], count="n_records"
                  ).select("latitude", "longitude", *keys, "weight", "n_records")


CLUSTER_COLUMNS = ("cluster_id", "name", "economies", "latitude", "longitude", "min_lat",
                   "min_lon", "max_lat", "max_lon", "population", "members", "weight",
                   "n_locations")
"""Columns of the cluster table (``weight_<source>`` columns stand before n_locations)."""


def _cluster_source(part: pl.DataFrame, eps_km: float, min_weight: float) -> pl.DataFrame:
    """One source's locations with their DBSCAN ``label`` and ``core`` flag."""
    est = WeightedDBSCAN(eps_km=eps_km, min_weight=min_weight).fit(
        part["latitude"].to_numpy(), part["longitude"].to_numpy(), part["weight"].to_numpy())
    return part.with_columns(pl.Series("label", est.labels_),
                             pl.Series("core", est.core_sample_mask_))


def _number_clusters(located: pl.DataFrame, group_of: Mapping[tuple[str, int], int]
                     ) -> tuple[pl.DataFrame, int]:
    """Map (source, label) to merged groups and number them by total weight (1 = heaviest;
    ties by the south-west corner, so the numbering does not depend on input order)."""
    keys = pl.DataFrame(
        {"source": [k[0] for k in group_of], "label": [k[1] for k in group_of],
         "group": list(group_of.values())},
        schema={"source": pl.Utf8, "label": pl.Int64, "group": pl.Int64},
    )
    located = located.join(keys, on=["source", "label"], how="left", maintain_order="left")
    grouped = located.filter(pl.col("group").is_not_null())
    order = (
        sum_by(grouped, ["group"], ["weight"])
        .join(grouped.group_by("group").agg(pl.col("latitude").min().alias("lat0"),
                                            pl.col("longitude").min().alias("lon0")),
              on="group")
        .sort(["weight", "lat0", "lon0"], descending=[True, False, False])
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("cluster_id"))
        .select("group", "cluster_id")
    )
    located = located.join(order, on="group", how="left", maintain_order="left")
    return located.drop("group", "label"), order.height


def _with_names(clusters: pl.DataFrame, members: pl.DataFrame, name: bool, eps_km: float,
                min_population: int) -> pl.DataFrame:
    """Cluster names, economies, population and member places (null when not named)."""
    if name and clusters.height:
        names = name_clusters(members, eps_km=eps_km, min_population=min_population)
        return clusters.join(names, on="cluster_id", how="left", maintain_order="left")
    return clusters.with_columns(
        pl.lit(None, pl.Utf8).alias("name"),
        pl.lit([], pl.List(pl.Utf8)).alias("economies"),
        pl.lit(None, pl.Int64).alias("population"),
        pl.lit([], pl.List(pl.Utf8)).alias("members"),
    )


def find_clusters(
    points: pl.DataFrame,
    *,
    eps_km: float = DEFAULT_EPS_KM,
    min_weight: float | Mapping[str, float] = DEFAULT_MIN_WEIGHT,
    precision: int | None = DEFAULT_PRECISION,
    merge_threshold: float = DEFAULT_MERGE_THRESHOLD,
    name: bool = True,
    name_min_population: int = 15000,
    strict: bool = False,
    file: str | None = None,
    progress: Progress | None = None,
) -> ClusterResult:
    """Find multi-source technology clusters in a points table.

    Parameters
    ----------
    points:
        Points table (see :mod:`techhubs.points`).
    eps_km, min_weight:
        DBSCAN radius (great-circle km) and core density (summed weight within
        the radius); ``min_weight`` may map source -> value (missing sources use
        :data:`DEFAULT_MIN_WEIGHT`).
    precision:
        Decimal digits for rounding locations, ``None`` to keep coordinates
        as they are (exact duplicates are still merged).
    merge_threshold:
        Clusters of different sources merge when at least this share of one's
        weight lies within ``eps_km`` of the other's core locations.
    name:
        Name and describe clusters with the GeoNames gazetteer.
    name_min_population:
        Smallest city (500, 1000, 5000 or 15000 inhabitants) that can name a cluster.
    strict:
        Raise :class:`~techhubs.errors.DataError` on the first bad rows instead of
        dropping them (they are always counted in ``result.report``).
    file:
        Name of the file the points came from, for messages.
    progress:
        Callback ``progress(step, done, total)``.

    Returns
    -------
    ClusterResult
        ``clusters`` (one row per cluster: id, name, economies, centroid, bounding
        box, population, member places, weight per source), ``assignment`` (each
        rounded location's cluster), ``world_totals`` per source, ``report``.

    Examples
    --------
    >>> import polars as pl
    >>> from techhubs import find_clusters
    >>> points = pl.DataFrame({"latitude": [35.68, 35.69, 35.44, 37.57, 37.56],
    ...                        "longitude": [139.69, 139.70, 139.64, 126.98, 126.97],
    ...                        "weight": [50.0, 30.0, 40.0, 20.0, 20.0],
    ...                        "source": ["patents"] * 5})
    >>> result = find_clusters(points, eps_km=30, min_weight=30)
    >>> result.clusters.select("name", "economies", "weight").rows()
    [('Tokyo–Yokohama', ['JP'], 120.0), ('Seoul', ['KR'], 40.0)]
    """
    params = parse(ClusterParams, {
        "eps_km": eps_km, "min_weight": dict(min_weight) if isinstance(min_weight, Mapping)
        else min_weight, "merge_threshold": merge_threshold, "precision": precision,
        "name_min_population": name_min_population}, error=DataError, file=file)
    clean, report = validate_points(points, file, strict=strict)
    if clean.height == 0:
        raise DataError(
            "no usable points"
            + (f" ({report.rows_dropped} bad rows)" if report.rows_dropped else ""),
            file=file,
            hint=report.describe() if report.rows_dropped else None,
        )
    sources = tuple(sorted(clean["source"].unique().to_list()))
    mw = params.min_weight
    if isinstance(mw, dict):
        unknown = sorted(set(mw) - set(sources))
        if unknown:  # a misspelt source would silently get the default
            raise DataError(f"min_weight names source {unknown[0]!r}, which has no points",
                            file=file, key=f"min_weight.{unknown[0]}",
                            hint=f"sources in the points: {', '.join(sources)}")
    thresholds = {s: float(mw.get(s, DEFAULT_MIN_WEIGHT)) if isinstance(mw, dict)
                  else float(mw) for s in sources}
    steps = len(sources) + 3 + int(name)
    done = 0

    def tick(step: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(step, done, steps)

    world_totals = {
        r["source"]: float(r["weight"])
        for r in sum_by(clean, ["source"], ["weight"]).iter_rows(named=True)
    }
    locs = _locations(clean, precision)
    del clean
    tick("rounded locations")

    # one row per (source, location), sorted so results do not depend on input order; without
    # years, the locations are that already (sum_by sorts by source, latitude, longitude)
    per_source = (sum_by(locs, ["source", "latitude", "longitude"], ["weight"])
                  if "year" in locs.columns
                  else locs.select("source", "latitude", "longitude", "weight"))
    frames = []
    for s in sources:
        frames.append(_cluster_source(per_source.filter(pl.col("source") == s), eps_km,
                                      thresholds[s]))
        tick(f"clustered {s}")
    located = pl.concat(frames)
    group_of = merge_source_clusters(
        {s: (f["latitude"].to_numpy(), f["longitude"].to_numpy(), f["weight"].to_numpy(),
             f["label"].to_numpy(), f["core"].to_numpy())
         for s, f in zip(sources, frames, strict=True)},
        eps_km=eps_km, threshold=merge_threshold)
    tick("merged sources")
    located, n_clusters = _number_clusters(located, group_of)
    members = located.filter(pl.col("cluster_id").is_not_null())
    clusters = _describe(members, sources, n_clusters)
    tick("described clusters")
    clusters = _with_names(clusters, members, name, eps_km, name_min_population)
    if name:
        tick("named clusters")
    clusters = clusters.select(*CLUSTER_COLUMNS[:-1], *[f"weight_{s}" for s in sources],
                               "n_locations").sort("cluster_id")
    assignment = locs.join(
        located.select("source", "latitude", "longitude", "cluster_id", "core"),
        on=["source", "latitude", "longitude"],
        how="left",
        maintain_order="left",
    )
    used = {
        "eps_km": eps_km,
        "min_weight": thresholds,
        "precision": precision,
        "merge_threshold": merge_threshold,
        "name": name,
        "name_min_population": name_min_population,
    }
    return ClusterResult(
        clusters=clusters,
        assignment=assignment,
        world_totals=world_totals,
        params=used,
        report=report,
        sources=sources,
    )


def _describe(members: pl.DataFrame, sources: tuple[str, ...], n: int) -> pl.DataFrame:
    """Centroid, bounding box and weights per source of each cluster."""
    cid = members["cluster_id"].to_numpy()
    w = members["weight"].to_numpy()
    lat = members["latitude"].to_numpy()
    lon = members["longitude"].to_numpy()
    xyz = latlon_to_xyz(lat, lon)
    sums = np.zeros((n + 1, 3))
    for k in range(3):
        sums[:, k] = np.bincount(cid, weights=xyz[:, k] * np.where(w > 0, w, 0.0), minlength=n + 1)
    # all-zero-weight clusters fall back to the unweighted mean direction
    unweighted = np.zeros((n + 1, 3))
    for k in range(3):
        unweighted[:, k] = np.bincount(cid, weights=xyz[:, k], minlength=n + 1)
    empty = np.linalg.norm(sums, axis=1) < 1e-300
    sums[empty] = unweighted[empty]
    clat, clon = xyz_to_latlon(sums[1:])
    order = np.argsort(cid, kind="stable")
    bounds = np.searchsorted(cid[order], np.arange(1, n + 2))
    boxes = np.empty((n, 4))
    for i in range(n):
        idx = order[bounds[i] : bounds[i + 1]]
        boxes[i] = _bbox(lat[idx], lon[idx])
    frame = pl.DataFrame(
        {
            "cluster_id": np.arange(1, n + 1, dtype=np.int64),
            "latitude": clat,
            "longitude": clon,
            "min_lat": boxes[:, 0],
            "min_lon": boxes[:, 1],
            "max_lat": boxes[:, 2],
            "max_lon": boxes[:, 3],
        }
    )
    # weights added in row order (np.bincount), so a rerun gives the same bits
    source = members["source"].to_numpy()
    frame = frame.with_columns(
        pl.Series("weight", np.bincount(cid, weights=w, minlength=n + 1)[1:]),
        *[pl.Series(f"weight_{s}", np.bincount(cid[source == s], weights=w[source == s],
                                               minlength=n + 1)[1:]) for s in sources],
    )
    places = members.group_by("cluster_id").agg(
        pl.struct("latitude", "longitude").n_unique().cast(pl.Int64).alias("n_locations"))
    return frame.join(places, on="cluster_id", how="left", maintain_order="left")
