"""Sphere maths on the mean Earth radius: great-circle distance, unit vectors, chords.

Distances on the sphere are monotone in the straight-line (chord) distance
between unit vectors, ``chord = 2 sin(d / 2R)``, so "within ``eps`` km along
the surface" is the same test as "within ``km_to_chord(eps)`` in 3-D". That is
what lets the clustering kernel use a plain Euclidean grid on unit vectors and
still be exact across the antimeridian and at the poles.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), the radius scikit-learn's haversine examples use."""

FloatArray = npt.NDArray[np.float64]


def haversine_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> FloatArray:
    """Great-circle distance in km between points given in degrees (broadcasting)."""
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dp / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """:func:`haversine_km` for one pair of points, as a plain float (for loops).

    >>> round(great_circle_km(51.5074, -0.1278, 48.8566, 2.3522))
    344
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def weighted_centroid(lat: Sequence[float], lon: Sequence[float],
                      weight: Sequence[float]) -> tuple[float, float] | tuple[None, None]:
    """Weighted mean position on the sphere (through unit vectors, so it is right across
    the antimeridian); ``(None, None)`` for no points."""
    if len(lat) == 0:
        return None, None
    w = np.asarray(weight, dtype=np.float64)
    v = (latlon_to_xyz(lat, lon) * w[:, None]).sum(axis=0)
    la, lo = xyz_to_latlon(v)
    return float(la), float(lo)


def latlon_to_xyz(lat: npt.ArrayLike, lon: npt.ArrayLike) -> FloatArray:
    """Unit vectors (n, 3) for latitudes/longitudes in degrees."""
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lam = np.radians(np.asarray(lon, dtype=np.float64))
    cphi = np.cos(phi)
    out = np.empty((*phi.shape, 3), dtype=np.float64)
    out[..., 0] = cphi * np.cos(lam)
    out[..., 1] = cphi * np.sin(lam)
    out[..., 2] = np.sin(phi)
    return out


def xyz_to_latlon(xyz: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Latitude and longitude in degrees of (not necessarily unit) vectors (n, 3).

    Longitude is in (-180, 180]; at the poles it is 0 by convention.
    """
    v = np.asarray(xyz, dtype=np.float64)
    x, y, z = v[..., 0], v[..., 1], v[..., 2]
    lat = np.degrees(np.arctan2(z, np.hypot(x, y)))
    lon = np.degrees(np.arctan2(y, x))
    lon = np.where(lon == -180.0, 180.0, lon)
    return np.asarray(lat), np.asarray(lon)


def km_to_chord(km: float | FloatArray) -> float | FloatArray:
    """Chord length on the unit sphere that spans ``km`` along the surface.

    Distances beyond half the circumference map to the diameter 2.
    """
    angle = np.minimum(np.asarray(km, dtype=np.float64) / EARTH_RADIUS_KM, np.pi)
    out = 2.0 * np.sin(angle / 2.0)
    return float(out) if np.ndim(out) == 0 else np.asarray(out)


def chord_to_km(chord: float | FloatArray) -> float | FloatArray:
    """Great-circle distance in km of a chord on the unit sphere (inverse of km_to_chord)."""
    c = np.clip(np.asarray(chord, dtype=np.float64), 0.0, 2.0)
    out = 2.0 * EARTH_RADIUS_KM * np.arcsin(c / 2.0)
    return float(out) if np.ndim(out) == 0 else np.asarray(out)
