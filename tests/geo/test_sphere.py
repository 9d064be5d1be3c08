"""Sphere maths against hand-computed distances and round trips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from techhubs.geo.sphere import (
    EARTH_RADIUS_KM,
    chord_to_km,
    haversine_km,
    km_to_chord,
    latlon_to_xyz,
    xyz_to_latlon,
)

lats = st.floats(-90, 90, allow_nan=False)
lons = st.floats(-180, 180, allow_nan=False)


def test_quarter_meridian_is_a_quarter_circumference() -> None:
    assert haversine_km(0, 0, 90, 0) == pytest.approx(np.pi / 2 * EARTH_RADIUS_KM, rel=1e-12)


def test_antimeridian_neighbours_are_close() -> None:
    # 0.02 degrees of longitude on the equator, across the date line
    d = haversine_km(0.0, 179.99, 0.0, -179.99)
    assert d == pytest.approx(np.radians(0.02) * EARTH_RADIUS_KM, rel=1e-9)


def test_all_longitudes_meet_at_the_pole() -> None:
    assert haversine_km(90, 0, 90, 123.0) < 1e-9
    xyz = latlon_to_xyz([90.0, 90.0], [0.0, 123.0])
    assert np.linalg.norm(xyz[0] - xyz[1]) < 1e-15


def test_paris_london_reference_distance() -> None:
    # Paris (48.8566, 2.3522) to London (51.5074, -0.1278): 343.5 km on the mean sphere
    assert haversine_km(48.8566, 2.3522, 51.5074, -0.1278) == pytest.approx(343.5, abs=0.5)


@given(lats, lons)
def test_xyz_roundtrip(lat: float, lon: float) -> None:
    xyz = latlon_to_xyz(lat, lon)
    assert np.linalg.norm(xyz) == pytest.approx(1.0, abs=1e-15)
    la, lo = xyz_to_latlon(xyz)
    assert float(la) == pytest.approx(lat, abs=1e-9)
    if abs(lat) < 89.999:
        assert haversine_km(lat, lon, float(la), float(lo)) < 1e-6


@given(lats, lons, lats, lons)
def test_chord_matches_great_circle(lat1: float, lon1: float, lat2: float, lon2: float) -> None:
    d = float(haversine_km(lat1, lon1, lat2, lon2))
    chord = float(np.linalg.norm(latlon_to_xyz(lat1, lon1) - latlon_to_xyz(lat2, lon2)))
    assert chord == pytest.approx(km_to_chord(d), abs=1e-9)
    assert chord_to_km(km_to_chord(d)) == pytest.approx(d, abs=1e-6)


def test_chord_saturates_at_the_diameter() -> None:
    assert km_to_chord(1e6) == pytest.approx(2.0)
    assert chord_to_km(2.0) == pytest.approx(np.pi * EARTH_RADIUS_KM)
