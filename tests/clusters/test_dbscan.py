"""WeightedDBSCAN against scikit-learn's DBSCAN(metric="haversine", sample_weight=...).

Reference: sklearn.cluster.DBSCAN(eps=eps_km / 6371.0088, min_samples=min_weight,
metric="haversine", algorithm="ball_tree").fit(radians(latlon), sample_weight=w).

Two floating-point ties would make the comparison flaky without telling anything
about correctness, so the generated data avoid them:

* distances: sklearn compares the haversine angle with eps, the kernel compares
  the chord between unit vectors with 2 sin(eps / 2R). Both are exact tests of
  "great-circle distance <= eps" but round differently, so point sets with a pair
  whose distance is within 1e-7 (relative) of eps are rejected (``assume``);
* weights: sums of neighbour weights are added in different orders, so weights
  are multiples of 1/4 (exact in binary, so every order gives the same sum) and
  min_weight an integer (sklearn requires one).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sklearn.cluster import DBSCAN

from techhubs.clusters import WeightedDBSCAN
from techhubs.geo.sphere import EARTH_RADIUS_KM, haversine_km

# centres: ordinary places, both poles, both sides of the antimeridian
CENTRES = [(0.0, 0.0), (90.0, 0.0), (-90.0, 45.0), (10.0, 180.0), (-10.0, -179.95), (60.0, 179.9)]


def _sklearn(lat, lon, w, eps_km, min_weight):  # type: ignore[no-untyped-def]
    model = DBSCAN(
        eps=eps_km / EARTH_RADIUS_KM,
        min_samples=min_weight,
        metric="haversine",
        algorithm="ball_tree",
    ).fit(np.radians(np.c_[lat, lon]), sample_weight=w)
    core = np.zeros(lat.size, dtype=bool)
    core[model.core_sample_indices_] = True
    return model.labels_, core


def _check_against_sklearn(
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    w: npt.NDArray[np.float64],
    eps_km: float,
    min_weight: int,
) -> WeightedDBSCAN:
    est = WeightedDBSCAN(eps_km=eps_km, min_weight=min_weight).fit(lat, lon, w)
    ref_labels, ref_core = _sklearn(lat, lon, w, eps_km, min_weight)
    labels, core = est.labels_, est.core_sample_mask_
    # 1. the core / non-core split is identical
    np.testing.assert_array_equal(core, ref_core)
    # 2. core points are partitioned identically (a bijection between labels)
    pairs = set(zip(labels[core].tolist(), ref_labels[core].tolist(), strict=True))
    assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs})
    # 3. noise is identical
    np.testing.assert_array_equal(labels == -1, ref_labels == -1)
    # 4. a border point belongs to a cluster that has a core point within eps
    d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    for i in np.flatnonzero(~core & (labels >= 0)):
        near_core = core & (d[i] <= eps_km)
        assert (labels[near_core] == labels[i]).any()
    # labels are 0..k-1, numbered by decreasing weight
    if labels.max() >= 0:
        assert set(labels[labels >= 0].tolist()) == set(range(labels.max() + 1))
        tw = np.bincount(labels[labels >= 0], weights=w[labels >= 0])
        assert np.all(np.diff(tw) <= 1e-12)
    return est


@st.composite
def point_sets(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, int]:
    eps_km = draw(st.floats(1.0, 200.0))
    n_centres = draw(st.integers(1, 3))
    centres = draw(st.lists(st.sampled_from(CENTRES), min_size=n_centres, max_size=n_centres))
    n = draw(st.integers(1, 60))
    spread_km = draw(st.floats(0.1, 3.0)) * eps_km
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    which = rng.integers(0, len(centres), n)
    c = np.array(centres)[which]
    lat = np.clip(c[:, 0] + rng.normal(0, spread_km / 111.2, n), -90.0, 90.0)
    coslat = np.maximum(np.cos(np.radians(c[:, 0])), 0.01)
    lon = c[:, 1] + rng.normal(0, spread_km / 111.2, n) / coslat
    lon = (lon + 180.0) % 360.0 - 180.0
    # exact duplicates and exact poles
    n_dup = draw(st.integers(0, min(n, 10)))
    if n_dup:
        src = rng.integers(0, n, n_dup)
        lat = np.concatenate([lat, lat[src]])
        lon = np.concatenate([lon, lon[src]])
    if draw(st.booleans()):
        lat = np.concatenate([lat, [90.0, 90.0, -90.0]])
        lon = np.concatenate([lon, [0.0, -120.0, 33.0]])
    w = rng.integers(0, 9, lat.size) / 4.0
    min_weight = draw(st.integers(1, 8))
    return lat, lon, w, eps_km, min_weight


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(point_sets())
def test_matches_sklearn_haversine_with_sample_weight(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, float, int],
) -> None:
    lat, lon, w, eps_km, min_weight = case
    assume(np.any(w > 0))  # sklearn refuses all-zero sample weights
    d = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    assume(not np.any(np.abs(d - eps_km) <= 1e-7 * eps_km))
    _check_against_sklearn(lat, lon, w, eps_km, min_weight)


def test_many_cells_against_sklearn() -> None:
    # 4000 points around 40 centres: many grid cells, dense and sparse ones
    rng = np.random.default_rng(7)
    centres = np.c_[rng.uniform(-60, 70, 40), rng.uniform(-180, 180, 40)]
    which = rng.integers(0, 40, 4000)
    lat = np.clip(centres[which, 0] + rng.normal(0, 0.15, 4000), -90, 90)
    lon = (centres[which, 1] + rng.normal(0, 0.2, 4000) + 180) % 360 - 180
    w = rng.integers(0, 9, 4000) / 4.0
    est = _check_against_sklearn(lat, lon, w, 8.0, 6)
    assert est.n_clusters_ >= 20


def test_antimeridian_cluster_is_one_cluster() -> None:
    lat = np.array([0.0, 0.0, 0.0, 0.0])
    lon = np.array([179.99, -179.99, 179.995, -179.995])
    est = WeightedDBSCAN(eps_km=5.0, min_weight=3).fit(lat, lon)
    assert est.labels_.tolist() == [0, 0, 0, 0]


def test_pole_points_with_any_longitude_are_one_place() -> None:
    lat = np.array([90.0, 90.0, 90.0, 89.99])
    lon = np.array([0.0, 90.0, -170.0, 45.0])
    est = WeightedDBSCAN(eps_km=2.0, min_weight=4).fit(lat, lon)
    assert est.core_sample_mask_.all() and est.n_clusters_ == 1


def test_weight_reaches_min_weight_exactly_and_itself_counts() -> None:
    # one location of weight 3 is core on its own when min_weight is 3
    est = WeightedDBSCAN(eps_km=1.0, min_weight=3).fit([10.0, 50.0], [10.0, 50.0], [3.0, 2.5])
    assert est.labels_.tolist() == [0, -1]
    assert est.core_sample_mask_.tolist() == [True, False]


def test_border_point_goes_to_nearest_core_cluster() -> None:
    # a light point 1.0 km from a core group to the west and 1.3 km from a
    # heavier core group to the east; each group leans on a heavy point further out
    km = 1 / 111.195
    lat = np.zeros(7)
    lon = np.array([-2.2, -1.0, -1.0, 0.0, 1.3, 1.3, 2.6]) * km
    w = np.array([4.0, 1.0, 1.0, 0.5, 1.0, 1.0, 5.0])
    est = WeightedDBSCAN(eps_km=1.5, min_weight=6).fit(lat, lon, w)
    assert est.core_sample_mask_.tolist() == [True, True, True, False, True, True, True]
    assert est.labels_.tolist() == [1, 1, 1, 1, 0, 0, 0]  # east is heavier: label 0


def test_labels_do_not_depend_on_input_order() -> None:
    rng = np.random.default_rng(3)
    lat = rng.normal(45, 0.3, 3000)
    lon = rng.normal(7, 0.4, 3000)
    w = rng.uniform(0.1, 2.0, 3000)  # no two clusters weigh the same
    a = WeightedDBSCAN(eps_km=4.0, min_weight=8).fit(lat, lon, w).labels_
    perm = rng.permutation(3000)
    b = WeightedDBSCAN(eps_km=4.0, min_weight=8).fit(lat[perm], lon[perm], w[perm]).labels_
    # same partition, and identical numbering since clusters are ordered by weight
    np.testing.assert_array_equal(a[perm], b)


def test_zero_weights_are_never_core_alone() -> None:
    est = WeightedDBSCAN(eps_km=1.0, min_weight=0.5).fit([1.0, 1.0, 1.0], [2.0] * 3, [0.0] * 3)
    assert est.labels_.tolist() == [-1, -1, -1]
    # ... but a zero-weight point next to enough weight is core
    est = WeightedDBSCAN(eps_km=1.0, min_weight=0.5).fit([1.0, 1.0], [2.0, 2.0], [0.0, 0.5])
    assert est.core_sample_mask_.tolist() == [True, True]


def test_empty_and_single_point() -> None:
    est = WeightedDBSCAN(eps_km=1.0, min_weight=1).fit([], [], [])
    assert est.labels_.size == 0 and est.n_clusters_ == 0
    est = WeightedDBSCAN(eps_km=1.0, min_weight=1).fit([5.0], [5.0])
    assert est.labels_.tolist() == [0]


@pytest.mark.parametrize(
    ("lat", "lon", "w", "match"),
    [
        ([91.0], [0.0], [1.0], "invalid point"),
        ([np.nan], [0.0], [1.0], "invalid point"),
        ([0.0], [np.inf], [1.0], "invalid point"),
        ([0.0], [0.0], [-1.0], "invalid point"),
        ([0.0, 1.0], [0.0], None, "differ in length"),
        ([0.0], [0.0], [1.0, 2.0], "weight has"),
    ],
)
def test_bad_input_is_rejected(lat, lon, w, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=match):
        WeightedDBSCAN(eps_km=1.0, min_weight=1).fit(lat, lon, w)


@pytest.mark.parametrize(("eps", "mw"), [(0.0, 1.0), (-1.0, 1.0), (1.0, 0.0), (np.nan, 1.0)])
def test_bad_parameters_are_rejected(eps: float, mw: float) -> None:
    with pytest.raises(ValueError, match="must be a positive"):
        WeightedDBSCAN(eps_km=eps, min_weight=mw).fit([0.0], [0.0])


def test_tiny_radius_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="smallest supported radius"):
        WeightedDBSCAN(eps_km=0.001, min_weight=1).fit([0.0], [0.0])


def test_fractional_counts_reach_min_weight_whatever_the_order() -> None:
    # ten records of 0.1 at one place weigh 1; the float sum falls one ulp short
    w = np.full(10, 0.1)
    assert sum(w.tolist()) < 1.0
    lat, lon = np.full(10, 5.0), np.full(10, 5.0)
    est = WeightedDBSCAN(eps_km=1.0, min_weight=1).fit(lat, lon, w)
    assert est.core_sample_mask_.all()
    # the slack is 1e-9 relative, far below any real difference in weight
    est = WeightedDBSCAN(eps_km=1.0, min_weight=1.000001).fit(lat, lon, w)
    assert not est.core_sample_mask_.any()
