"""Technology clusters found bottom-up from geocoded activity.

``find_clusters`` runs the whole pipeline (validate, round, exact weighted
DBSCAN on the sphere per source, multi-source merge, GeoNames naming);
``WeightedDBSCAN`` is the clustering estimator on its own.
"""

from techhubs.clusters.detect import (
    DEFAULT_EPS_KM,
    DEFAULT_MIN_WEIGHT,
    ClusterResult,
    WeightedDBSCAN,
    find_clusters,
)
from techhubs.clusters.merge import DEFAULT_MERGE_THRESHOLD, merge_source_clusters
from techhubs.clusters.naming import EN_DASH, name_clusters

__all__ = [
    "DEFAULT_EPS_KM",
    "DEFAULT_MERGE_THRESHOLD",
    "DEFAULT_MIN_WEIGHT",
    "EN_DASH",
    "ClusterResult",
    "WeightedDBSCAN",
    "find_clusters",
    "merge_source_clusters",
    "name_clusters",
]
