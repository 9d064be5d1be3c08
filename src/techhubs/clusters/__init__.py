"""Technology clusters found bottom-up from geocoded activity.

``find_clusters`` runs the whole pipeline (validate, round, exact weighted
DBSCAN on the sphere per source, multi-source merge, GeoNames naming);
``WeightedDBSCAN`` is the clustering estimator on its own. Both load their numba
kernels on first use.
"""

from typing import TYPE_CHECKING

from techhubs._lazy import lazy_names
from techhubs.clusters.merge import merge_source_clusters
from techhubs.clusters.naming import name_clusters
from techhubs.clusters.params import (
    DEFAULT_EPS_KM,
    DEFAULT_MERGE_THRESHOLD,
    DEFAULT_MIN_WEIGHT,
    ClusterParams,
)
from techhubs.geo.text import EN_DASH

if TYPE_CHECKING:
    from techhubs.clusters.detect import ClusterResult, WeightedDBSCAN, find_clusters

# The clustering kernels compile with numba, whose import alone takes longer than the
# rest of a ranking: their names load on first use (PEP 562), so that importing the
# pipeline or the package stays quick.
_LAZY = {"ClusterResult", "WeightedDBSCAN", "find_clusters"}


__getattr__ = lazy_names(__name__, dict.fromkeys(_LAZY, "techhubs.clusters.detect"))


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
