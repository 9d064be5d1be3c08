"""Member places of a published cluster, from its name and economies.

A published cluster name lists its one to three largest cities
("Tokyo–Yokohama", "Washington, DC–Baltimore, MD"). Each part is looked up in
the GeoNames gazetteer within the cluster's economies (and US state when
given), the most populous match winning. This gives reference editions
member places, a centroid and a population (the sum of the named places'
populations: a lower bound of the cluster's population, since a cluster
also covers smaller towns around them).
"""

from __future__ import annotations

import functools
import re

import polars as pl

from techhubs.geo.gazetteer import Place, load_cities
from techhubs.geo.geocode import normalize, normalize_expr

_STATE = re.compile(r",\s*([A-Z]{2})\s*$")


@functools.cache
def _name_index() -> pl.DataFrame:
    """(key, row) for every GeoNames name and alternate name of places >= 15,000."""
    cities = load_cities(15000).with_row_index("row")
    names = cities.select("row", pl.col("name").alias("label"))
    alts = cities.select("row", pl.col("alternatenames").alias("label")).explode("label")
    both = pl.concat([names, alts]).drop_nulls()
    keys = both.with_columns(
        normalize_expr(pl.col("label")).alias("key")
    ).unique(["key", "row"])
    return keys.join(cities, on="row").sort("population", descending=True)


def split_cluster_name(name: str) -> list[tuple[str, str | None]]:
    """"Washington, DC–Baltimore, MD" -> [("Washington", "DC"), ("Baltimore", "MD")]."""
    parts = re.split(r"\s*[–—]\s*|\s+-\s+", name)
    out = []
    for part in parts:
        m = _STATE.search(part)
        state = m.group(1) if m else None
        city = _STATE.sub("", part).strip()
        if city:
            out.append((city, state))
    return out


def find_place(city: str, economies: list[str], state: str | None = None) -> Place | None:
    index = _name_index()
    candidates = index.filter(pl.col("key") == normalize(city))
    if economies:
        candidates = candidates.filter(pl.col("country_code").is_in(economies))
    if state:
        in_state = candidates.filter(pl.col("admin1_code") == state)
        candidates = in_state if in_state.height else candidates
    if candidates.height == 0:
        return None
    r = candidates.row(0, named=True)
    return Place(r["geonameid"], r["name"], r["country_code"], r["admin1_code"],
                 r["latitude"], r["longitude"], r["population"])


def cluster_places(name: str, economies: list[str]) -> list[Place]:
    places = []
    for city, state in split_cluster_name(name):
        place = find_place(city, economies, state)
        if place is not None:
            places.append(place)
    return places
