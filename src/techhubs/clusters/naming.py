"""Name and describe clusters with the GeoNames gazetteer.

Rules
-----
*Member cities.* A GeoNames city (population >= ``min_population``, default
15,000) is a member of the cluster of its nearest clustered location when that
location is within ``eps_km``. A city that receives weight (below) is a member
too. The cluster's ``population`` is the sum of its member cities' populations.

*Assigned weight.* Each clustered location gives its weight to one member city
of its own cluster within ``eps_km``: the one with the largest gravity
``population / max(distance_km, 1)``, so a campus on the edge of a
metropolis counts for the metropolis rather than for a small suburb whose
centre happens to be nearer. With no member city in reach the nearest city of
any size in the table takes it (and becomes a member).

*Name.* The one to three member cities with the most assigned weight, each
holding at least ``name_min_share`` (10%) of the cluster's weight (the first is
always named), joined by an en dash: "Tokyo–Yokohama". Members are listed by
assigned weight, then population.

*Economies.* ISO 3166 alpha-2 codes of the countries the cluster's weight lies
in (the country of each location's nearest GeoNames place of 5,000+
inhabitants), by weight, each holding at least ``economy_min_share`` (1%).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from techhubs.geo.gazetteer import load_cities
from techhubs.geo.sphere import chord_to_km, km_to_chord, latlon_to_xyz
from techhubs.geo.text import EN_DASH
from techhubs.points import sum_by

NAME_MIN_SHARE = 0.10
ECONOMY_MIN_SHARE = 0.01
_CANDIDATES = 16


def name_clusters(
    members: pl.DataFrame,
    *,
    eps_km: float,
    min_population: int = 15000,
    name_min_share: float = NAME_MIN_SHARE,
    economy_min_share: float = ECONOMY_MIN_SHARE,
) -> pl.DataFrame:
    """Describe clusters from their member locations.

    ``members`` has columns latitude, longitude, weight and cluster_id (>= 1).
    Returns cluster_id, name, economies (list of ISO2), population, members
    (list of city names).
    """
    from scipy.spatial import cKDTree  # heavy: imported where it is used

    locs = sum_by(members, ["cluster_id", "latitude", "longitude"], ["weight"])
    cid = locs["cluster_id"].to_numpy().astype(np.int64)
    w = locs["weight"].to_numpy()
    lxyz = latlon_to_xyz(locs["latitude"].to_numpy(), locs["longitude"].to_numpy())
    n_clusters = int(cid.max())

    cities = load_cities(min_population)
    cxyz = latlon_to_xyz(cities["latitude"].to_numpy(), cities["longitude"].to_numpy())
    cpop = cities["population"].to_numpy().astype(np.float64)
    r = float(km_to_chord(eps_km))

    # member cities: nearest clustered location within eps
    ltree = cKDTree(lxyz)
    d, nearest = ltree.query(cxyz, k=1, distance_upper_bound=r)
    city_cluster = np.where(np.isfinite(d), cid[np.minimum(nearest, cid.size - 1)], 0)

    # assigned weight: best gravity among member cities of the same cluster in reach
    ctree = cKDTree(cxyz)
    k = min(_CANDIDATES, cxyz.shape[0])
    cd, ci = ctree.query(lxyz, k=k, distance_upper_bound=r)
    cd = cd.reshape(lxyz.shape[0], k)
    ci = ci.reshape(lxyz.shape[0], k)
    valid = np.isfinite(cd)
    ci_safe = np.where(valid, ci, 0)
    same = valid & (city_cluster[ci_safe] == cid[:, None])
    dist_km = np.maximum(np.asarray(chord_to_km(np.where(valid, cd, 0.0))), 1.0)
    gravity = np.where(same, cpop[ci_safe] / dist_km, -1.0)
    best = np.argmax(gravity, axis=1)
    has = gravity[np.arange(best.size), best] >= 0
    assigned = np.where(has, ci_safe[np.arange(best.size), best], -1)
    if (~has).any():
        _, fallback = ctree.query(lxyz[~has], k=1)
        assigned[~has] = fallback

    pairs = pl.DataFrame({"cluster_id": cid, "city": assigned, "weight": w})
    city_w = sum_by(pairs, ["cluster_id", "city"], ["weight"])
    extra = pl.DataFrame(
        {"cluster_id": city_cluster[city_cluster > 0], "city": np.flatnonzero(city_cluster > 0)}
    ).with_columns(pl.col("cluster_id").cast(pl.Int64), pl.col("city").cast(pl.Int64))
    city_w = sum_by(
        pl.concat([city_w.with_columns(pl.col("city").cast(pl.Int64)),
                   extra.with_columns(pl.lit(0.0).alias("weight"))]),
        ["cluster_id", "city"], ["weight"])
    names = cities["name"].to_numpy()
    city_w = city_w.with_columns(
        pl.Series("city_name", names[city_w["city"].to_numpy()]),
        pl.Series("pop", cpop[city_w["city"].to_numpy()].astype(np.int64)),
    ).sort(["cluster_id", "weight", "pop", "city_name"], descending=[False, True, True, False])

    # each cluster's weight, added in row order (np.bincount), for both shares below
    total = pl.DataFrame({"cluster_id": np.arange(1, n_clusters + 1, dtype=np.int64),
                          "total": np.bincount(cid, weights=w, minlength=n_clusters + 1)[1:]})
    ranked = city_w.join(total, on="cluster_id", maintain_order="left").with_columns(
        pl.int_range(pl.len()).over("cluster_id").alias("rank")
    )
    share = pl.when(pl.col("total") > 0).then(pl.col("weight") / pl.col("total")).otherwise(0.0)
    named = (
        ranked.filter((pl.col("rank") == 0) | ((pl.col("rank") < 3) & (share >= name_min_share)))
        .group_by("cluster_id", maintain_order=True)
        .agg(pl.col("city_name").str.join(EN_DASH).alias("name"))
    )
    described = ranked.group_by("cluster_id", maintain_order=True).agg(
        pl.col("pop").sum().alias("population"),
        pl.col("city_name").alias("members"),
    )
    economies = _economies(lxyz, cid, w, total, economy_min_share)
    out = (
        pl.DataFrame({"cluster_id": np.arange(1, n_clusters + 1, dtype=np.int64)})
        .join(named, on="cluster_id", how="left", maintain_order="left")
        .join(economies, on="cluster_id", how="left", maintain_order="left")
        .join(described, on="cluster_id", how="left", maintain_order="left")
    )
    return out.select("cluster_id", "name", "economies", "population", "members")


def _economies(lxyz: np.ndarray, cid: np.ndarray, w: np.ndarray, total: pl.DataFrame,
               min_share: float) -> pl.DataFrame:
    from scipy.spatial import cKDTree  # heavy: imported where it is used

    places = load_cities(5000)
    tree = cKDTree(latlon_to_xyz(places["latitude"].to_numpy(), places["longitude"].to_numpy()))
    _, idx = tree.query(lxyz, k=1)
    cc = places["country_code"].to_numpy()[idx]
    frame = sum_by(pl.DataFrame({"cluster_id": cid, "cc": cc, "weight": w}),
                   ["cluster_id", "cc"], ["weight"], count="n")
    frame = frame.join(total, on="cluster_id", maintain_order="left").with_columns(
        (pl.col("weight") / pl.col("total")).fill_nan(None).alias("share"))
    return (
        frame.sort(["cluster_id", "weight", "n", "cc"], descending=[False, True, True, False])
        .with_columns(pl.int_range(pl.len()).over("cluster_id").alias("rank"))
        .filter((pl.col("rank") == 0) | (pl.col("share") >= min_share))
        .group_by("cluster_id", maintain_order=True)
        .agg(pl.col("cc").alias("economies"))
    )


__all__ = ["EN_DASH", "name_clusters"]
