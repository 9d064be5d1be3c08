"""Match recovered clusters to a published edition and score the agreement.

A published cluster is matched to the recovered cluster that holds its
first named city: among the recovered clusters whose bounding box (widened
by 0.05 degrees) contains that city, the best ranked; failing that, the
best ranked recovered cluster whose centroid lies within 50 km of one of its
named cities. A recovered cluster matches one published cluster at most (the
better published rank keeps it). The name matches when the recovered name
lists the same cities in the same order (compared accent-, case- and
punctuation-insensitively, with the GeoNames spelling of the published
names, so "Köln" matches "Cologne"); the economies match when the sets of
ISO codes are equal. Rank agreement is Spearman's rho between published and
recovered ranks over the matched clusters.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from techhubs.datasets.simulate import locate_edition
from techhubs.geo.sphere import haversine_km
from techhubs.geo.text import EN_DASH, fold, named_places
from techhubs.indicators import unit_ids

_NEAR_KM = 50.0


def compare_with_edition(ranking: pl.DataFrame, clusters: pl.DataFrame,
                         edition: str) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Published vs recovered: one row per published cluster, and a summary."""
    from scipy.stats import spearmanr  # heavy: imported where it is used

    published = locate_edition(edition).sort("published_rank")
    ids = unit_ids(clusters["cluster_id"].to_list(), clusters.height)
    info = clusters.with_columns(pl.Series("unit_id", ids)).join(
        ranking.select("unit_id", "rank", "score"), on="unit_id", how="left",
        maintain_order="left").sort("rank")
    r_lat = info["latitude"].to_numpy()
    r_lon = info["longitude"].to_numpy()
    lo_lat = info["min_lat"].to_numpy() - 0.05
    hi_lat = info["max_lat"].to_numpy() + 0.05
    lo_lon = info["min_lon"].to_numpy() - 0.05
    hi_lon = info["max_lon"].to_numpy() + 0.05
    taken: dict[int, int] = {}
    rows = []
    for pub in published.iter_rows(named=True):
        places = pub["places"]
        first = places[0]
        inside = np.flatnonzero((lo_lat <= first["latitude"]) & (first["latitude"] <= hi_lat)
                                & (lo_lon <= first["longitude"]) & (first["longitude"] <= hi_lon))
        cand = [int(i) for i in inside if int(i) not in taken]
        if not cand:
            near = np.zeros(info.height, dtype=bool)
            for p in places:
                near |= haversine_km(p["latitude"], p["longitude"], r_lat, r_lon) <= _NEAR_KM
            cand = [int(i) for i in np.flatnonzero(near) if int(i) not in taken]
        row: dict[str, Any] = {
            "published_rank": pub["published_rank"], "published_name": pub["name"],
            "published_economies": "/".join(pub["economies"]),
            "recovered_rank": None, "recovered_name": None, "recovered_economies": None,
            "unit_id": None, "name_match": False, "economies_match": False, "match": "missing"}
        if cand:
            i = cand[0]  # info is sorted by rank: the best ranked candidate
            taken[i] = pub["published_rank"]
            rec = info.row(i, named=True)
            rec_parts = [fold(x) for x in (rec["name"] or "").split(EN_DASH)]
            names_geo = [fold(p["name"]) for p in places]
            names_pub = [fold(x) for x in named_places(pub["name"])]
            name_ok = rec_parts in (names_geo, names_pub)
            econ_ok = set(rec["economies"] or []) == set(pub["economies"])
            row.update({
                "recovered_rank": rec["rank"], "recovered_name": rec["name"],
                "recovered_economies": "/".join(rec["economies"] or []),
                "unit_id": rec["unit_id"], "name_match": name_ok, "economies_match": econ_ok,
                "match": "yes" if name_ok and econ_ok else (
                    "name differs" if not name_ok else "economies differ")})
        rows.append(row)
    frame = pl.DataFrame(rows, schema={
        "published_rank": pl.Int64, "published_name": pl.Utf8, "published_economies": pl.Utf8,
        "recovered_rank": pl.Int64, "recovered_name": pl.Utf8, "recovered_economies": pl.Utf8,
        "unit_id": pl.Utf8, "name_match": pl.Boolean, "economies_match": pl.Boolean,
        "match": pl.Utf8})
    matched = frame.filter(pl.col("recovered_rank").is_not_null())
    n = frame.height
    rho = None
    if matched.height >= 3:
        rho = float(spearmanr(matched["published_rank"].to_numpy(),
                              matched["recovered_rank"].to_numpy()).statistic)
    summary = {
        "edition": edition,
        "published": n,
        "matched": matched.height,
        "recovered": int(frame["match"].eq("yes").sum()),
        "recovered_in_top": int(frame.filter((pl.col("match") == "yes")
                                             & (pl.col("recovered_rank") <= n)).height),
        "spearman_rho": rho,
        "rule": "a published cluster is recovered when a recovered cluster holds its first "
                "named city, with the same named cities in order and the same economies",
    }
    return frame, summary
