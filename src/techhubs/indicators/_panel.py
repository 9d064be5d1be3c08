"""Cluster table -> indicator panel, shares and intensities."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import polars as pl

from techhubs.errors import DataError
from techhubs.panel import Panel

INDICATOR_META: dict[str, dict[str, str]] = {
    "pct_applications": {"name": "PCT patent applications (inventor locations, fractional counts)",
                         "unit": "applications"},
    "scientific_publications": {
        "name": "Scientific publications (author locations, fractional counts)",
        "unit": "articles"},
    "vc_deals": {"name": "Venture-capital deals (investee locations)", "unit": "deals"},
    "institutions": {"name": "Research institutions", "unit": "organisations"},
}


def unit_ids(cluster_ids: list[int], n: int | None = None) -> list[str]:
    """Stable unit ids "C001", "C002", ... (width grows with the number of clusters)."""
    width = max(3, len(str(n if n is not None else (max(cluster_ids) if cluster_ids else 0))))
    return [f"C{i:0{width}d}" for i in cluster_ids]


def cluster_panel(
    clusters: pl.DataFrame,
    world_totals: Mapping[str, float],
    indicators: Mapping[str, str],
    *,
    period: str = "",
    provenance: Mapping[str, Any] | None = None,
) -> Panel:
    """The indicator panel of a cluster table.

    ``clusters`` has cluster_id, name, economies (list), latitude, longitude,
    population, members (list) and ``weight_<source>`` columns (the layout of
    ``ClusterResult.clusters``). ``indicators`` maps source -> indicator code;
    sources without a ``weight_<source>`` column are left out. A missing weight
    (the cluster has none of that source) is a count of 0.
    """
    if clusters.height == 0:
        raise DataError("no clusters to rank", key="clusters",
                        hint="lower clustering.min_weight or check the inputs")
    for col in ("cluster_id", "name", "economies", "latitude", "longitude", "population"):
        if col not in clusters.columns:
            raise DataError(f"cluster table lacks column {col!r}", key=col)
    sources = [s for s in indicators if f"weight_{s}" in clusters.columns]
    if not sources:
        raise DataError("no source of the clusters has an indicator",
                        key="indicators",
                        hint=f"weight columns: {[c for c in clusters.columns if c.startswith('weight_')]}")
    ids = unit_ids(clusters["cluster_id"].to_list(), clusters.height)
    frame = pl.DataFrame({
        "unit_id": ids,
        "name": clusters["name"].fill_null("").cast(pl.Utf8),
        "economies": clusters["economies"],
        "latitude": clusters["latitude"].cast(pl.Float64),
        "longitude": clusters["longitude"].cast(pl.Float64),
        "population": clusters["population"].cast(pl.Float64),
        "members": clusters["members"] if "members" in clusters.columns else [[]] * clusters.height,
        **{indicators[s]: clusters[f"weight_{s}"].cast(pl.Float64).fill_null(0.0)
           for s in sources},
    })
    meta = []
    for s in sources:
        code = indicators[s]
        total = world_totals.get(s)
        if total is not None and not (math.isfinite(total) and total > 0):
            total = None
        info = INDICATOR_META.get(code, {"name": code, "unit": ""})
        meta.append({"code": code, "name": info["name"], "unit": info["unit"], "direction": 1,
                     "source": f"clusters of {s} points", "period": period,
                     "world_total": total})
    return Panel.from_frame(frame, indicators=meta, provenance=dict(provenance or {}))


def shares(panel: Panel, scale: float = 100.0) -> pl.DataFrame:
    """unit_id + ``<code>_share``: each count over its world total (percent by default).

    Indicators without a world total get a null share.
    """
    cols: dict[str, Any] = {"unit_id": panel.unit_ids}
    for code in panel.indicator_codes:
        total = panel.world_total(code)
        values = panel.values[code]
        cols[f"{code}_share"] = (values / total * scale if total else
                                 pl.Series([None] * panel.n_units, dtype=pl.Float64))
    return pl.DataFrame(cols)


def intensity(panel: Panel, per: float = 1e6) -> pl.DataFrame:
    """unit_id + ``<code>_per_million``: counts per ``per`` inhabitants (null without population)."""
    pop = panel.units["population"].cast(pl.Float64)
    valid = pop.is_not_null() & (pop > 0)
    cols: dict[str, Any] = {"unit_id": panel.unit_ids}
    for code in panel.indicator_codes:
        v = panel.values[code] / pop * per
        cols[f"{code}_per_million"] = pl.Series(
            [x if ok else None for x, ok in zip(v.to_list(), valid.to_list(), strict=True)],
            dtype=pl.Float64)
    return pl.DataFrame(cols)


def indicator_table(panel: Panel) -> pl.DataFrame:
    """One row per unit: id, name, economies ("/"), population, counts, shares, intensities."""
    base = panel.units.select(
        "unit_id", "name", pl.col("economies").list.join("/"), "population")
    return (base.join(panel.values, on="unit_id", how="left", maintain_order="left")
            .join(shares(panel), on="unit_id", how="left", maintain_order="left")
            .join(intensity(panel), on="unit_id", how="left", maintain_order="left"))
