"""Geocoder: hand-checked GeoNames answers, and the ROR coordinates as reference."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from conftest import shared_file
from techhubs.cli import cli
from techhubs.geo.geocode import Geocoder, default_geocoder, normalize


@pytest.fixture(scope="module")
def coder() -> Geocoder:
    return default_geocoder()


def test_normalize() -> None:
    assert normalize("  São-Paulo, ") == "sao paulo"
    assert normalize("ZÜRICH") == "zurich"
    assert normalize(None) == ""


@pytest.mark.parametrize(
    ("city", "region", "country", "name", "admin1"),
    [
        ("San francisco", "CA", "USA", "San Francisco", "CA"),
        ("Wilmington,", "DE", "USA", "Wilmington", "DE"),
        ("wilmington", "NC", "US", "Wilmington", "NC"),
        ("Portland", "Maine", "United States", "Portland", "ME"),
        ("Zürich", None, "CH", "Zürich", "ZH"),
        ("zurich", None, "Switzerland", "Zürich", "ZH"),
        ("MÜNCHEN", None, "DEU", "Munich", "02"),
        ("St. Louis", "MO", "USA", "St. Louis", "MO"),
        ("Tuscon", "AZ", "USA", "Tucson", "AZ"),
        ("Brooklyn, New York", None, "USA", "Brooklyn", "NY"),
    ],
)
def test_known_places(
    coder: Geocoder, city: str, region: str | None, country: str, name: str, admin1: str
) -> None:
    r = coder.resolve_one(city, region, country)
    assert (r.name, r.admin1_code) == (name, admin1)
    assert 0 < r.confidence <= 1


def test_region_then_population(coder: Geocoder) -> None:
    # Without a region the most prominent Cambridge; with one, the one in that region.
    assert coder.resolve_one("Cambridge", None, "US").admin1_code == "MA"
    assert coder.resolve_one("Cambridge", "MD", "US").admin1_code == "MD"


def test_confidence_orders_match_kinds(coder: Geocoder) -> None:
    exact = coder.resolve_one("Boston", "MA", "US")
    fuzzy = coder.resolve_one("Bostom", "MA", "US")
    assert exact.match == "exact" and exact.confidence == 1.0
    assert fuzzy.match == "fuzzy" and fuzzy.confidence < exact.confidence


def test_unresolved_reported_with_counts(coder: Geocoder) -> None:
    frame = pl.DataFrame(
        {"city": ["Qqqzzz", "Qqqzzz", "Paris", None], "country": ["FR", "FR", "FR", "FR"]}
    )
    resolved = coder.resolve(frame, city="city", region=None, country="country")
    assert resolved["geonameid"].null_count() == 3
    bad = coder.unresolved(frame, resolved, city="city", region=None, country="country")
    assert bad.row(0) == ("Qqqzzz", "FR", 2)


def test_vectorised_and_cached(tmp_path) -> None:
    coder = Geocoder()
    frame = pl.DataFrame({"city": ["Paris", "paris", "PARIS "] * 1000, "country": ["FR"] * 3000})
    out = coder.resolve(frame, city="city", region=None, country="country")
    assert out["geonameid"].n_unique() == 1
    assert coder.cache_len == 1  # one unique normalised triple
    path = coder.save_cache(tmp_path / "c.parquet")
    fresh = Geocoder()
    assert fresh.load_cache(path) == 1
    assert fresh.resolve_one("Paris", None, "FR").geonameid == out["geonameid"][0]


def test_country_codes(coder: Geocoder) -> None:
    assert coder.country_code("USA") == coder.country_code("us") == "US"
    assert coder.country_code("United Kingdom") == coder.country_code("UK") == "GB"
    assert coder.country_code("Atlantis") is None


def test_empty_input(coder: Geocoder) -> None:
    empty = pl.DataFrame(schema={"city": pl.Utf8, "country": pl.Utf8})
    assert coder.resolve(empty, city="city", region=None, country="country").height == 0


@pytest.mark.slow
def test_ror_cities_land_near_ror_coordinates(tmp_path: Path) -> None:
    """`techhubs geocode` on (city, country code) only; reference: ROR's own coordinates."""
    path = shared_file("data/ror/organizations.csv")
    out = tmp_path / "ror_geocoded.parquet"
    result = CliRunner().invoke(
        cli,
        ["geocode", str(path), "--city", "city", "--country", "country_code", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    df = pl.read_parquet(out)
    ror = pl.read_csv(path, infer_schema_length=0)
    assert df.height == ror.height
    lat1 = np.radians(ror["lat"].cast(pl.Float64).to_numpy())
    lon1 = np.radians(ror["lng"].cast(pl.Float64).to_numpy())
    lat2 = np.radians(df["latitude"].cast(pl.Float64).to_numpy())
    lon2 = np.radians(df["longitude"].cast(pl.Float64).to_numpy())
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    km = 2 * 6371.0088 * np.arcsin(np.sqrt(a))
    within = float(np.mean(np.nan_to_num(km, nan=math.inf) <= 25.0))
    print(
        f"ROR: {within:.4f} within 25 km, median error {np.nanmedian(km):.2f} km, "
        f"unresolved {int(np.isnan(km).sum())} of {len(km)}"
    )
    assert within >= 0.97
