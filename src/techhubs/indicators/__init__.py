"""Indicators from bottom-up clusters: counts, shares of world totals, per-capita intensity.

:func:`cluster_panel` turns a cluster table (``techhubs.clusters``) into the
:class:`~techhubs.panel.Panel` the index engine ranks: one indicator per
source (``patents`` -> ``pct_applications`` ...) holding the cluster's
fractional count, with the world total of that source (all valid points,
clustered or not) as the indicator's ``world_total``. :func:`shares` and
:func:`intensity` derive the share of the world (%) and the count per
million inhabitants. :func:`enrich` attaches open layers (ROR, venture deals, any
geocoded records) to the hubs of an edition.
"""

from techhubs.indicators._panel import (
    INDICATOR_META,
    cluster_panel,
    indicator_table,
    intensity,
    shares,
    unit_ids,
)
from techhubs.indicators.enrich import Enriched, enrich, write_hubs

__all__ = ["INDICATOR_META", "Enriched", "cluster_panel", "enrich", "indicator_table",
           "intensity", "shares", "unit_ids", "write_hubs"]
