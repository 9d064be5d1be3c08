"""Technology clusters found bottom-up from geocoded activity.

``find_clusters`` runs the whole pipeline (validate, round, exact weighted
DBSCAN on the sphere per source, multi-source merge, GeoNames naming);
``WeightedDBSCAN`` is the clustering estimator on its own.
"""

from techhubs.clusters.detect import ClusterResult, WeightedDBSCAN, find_clusters
from techhubs.clusters.merge import merge_source_clusters
from techhubs.clusters.naming import name_clusters
from techhubs.clusters.params import (
    DEFAULT_EPS_KM,
    DEFAULT_MERGE_THRESHOLD,
    DEFAULT_MIN_WEIGHT,
    ClusterParams,
)
from techhubs.geo.text import EN_DASH

__all__ = [
    "DEFAULT_EPS_KM",
    "DEFAULT_MERGE_THRESHOLD",
    "DEFAULT_MIN_WEIGHT",
    "EN_DASH",
    "ClusterParams",
    "ClusterResult",
    "WeightedDBSCAN",
    "find_clusters",
    "merge_source_clusters",
    "name_clusters",
]
