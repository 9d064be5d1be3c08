"""Geocoder: hand-checked GeoNames answers, and the ROR coordinates as reference."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from conftest import shared_file
from techhubs.cli import cli
from techhubs.geo.geocode import Geocoder, _agglomeration_population, default_geocoder
from techhubs.geo.text import normalize


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


@pytest.fixture(scope="module")
def ror_within_25km(tmp_path_factory: pytest.TempPathFactory) -> float:
    """`techhubs geocode` on (city, country code) only; reference: ROR's own coordinates."""
    path = shared_file("data/ror/organizations.csv")
    out = tmp_path_factory.mktemp("ror") / "ror_geocoded.parquet"
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
    return within


@pytest.mark.slow
def test_ror_cities_land_near_ror_coordinates(ror_within_25km: float) -> None:
    # The figure reached with the cities500 gazetteer (95.41% when written): a floor
    # that catches regressions of the matching rules.
    assert ror_within_25km >= 0.954


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="target 97% of ROR records within 25 km from (city, country) alone is not "
    "reached: even a perfect choice among exact-name GeoNames candidates gives 97.2%, and "
    "cities500 lacks many wards (Osaka, Kyoto, Yokohama, Kobe) and homonyms such as "
    "Arlington VA/TX carry no region; see docs/architecture/ingest.md",
)
def test_ror_target_of_97_percent(ror_within_25km: float) -> None:
    assert ror_within_25km >= 0.97


@pytest.mark.parametrize(
    ("city", "region", "country", "name", "admin1", "match"),
    [
        # Homonyms: the Tokyo ward (agglomeration of ~26 M) over Wakayama's Minato.
        ("Minato", None, "JP", "Minato City", "40", "population"),
        # "Halle (Saale)" is also indexed as "Halle": the city over Halle (Westf.).
        ("Halle", None, "DE", "Halle (Saale)", "14", "population"),
        # "City" belongs to US names: Junction (TX) is not Junction City (KS).
        ("Junction", None, "US", "Junction", "TX", "population"),
        # A merged commune falls back to its leading part.
        ("Évry-Courcouronnes", None, "FR", "Évry", "11", "compound"),
        # Alias table, and AFB spelled out before the lookup.
        ("Sophia Antipolis", None, "FR", "Valbonne", "93", "alias"),
        ("Peterson SFB", None, "US", "Colorado Springs", "CO", "alias"),
        ("Wright-Patterson Air Force Base", None, "US", "Wright-Patterson AFB", "OH", "exact"),
    ],
)
def test_disambiguation_rules(
    coder: Geocoder,
    city: str,
    region: str | None,
    country: str,
    name: str,
    admin1: str,
    match: str,
) -> None:
    r = coder.resolve_one(city, region, country)
    assert (r.name, r.admin1_code, r.match) == (name, admin1, match)


def test_compound_part_is_never_a_region_or_generic_word(coder: Geocoder) -> None:
    # Crunchbase's "California - Other" names a state, not a city.
    assert coder.resolve_one("California - Other", "CA", "US").match == "unresolved"
    # "National Park" alone is no place.
    r = coder.resolve_one("Qqqzzz National Park", None, "US")
    assert r.match == "unresolved"


def test_confidence_of_compound_and_alias_below_exact(coder: Geocoder) -> None:
    compound = coder.resolve_one("Évry-Courcouronnes", None, "FR")
    alias = coder.resolve_one("Research Triangle Park", None, "US")
    exact = coder.resolve_one("Durham", "NC", "US")
    assert compound.confidence < alias.confidence < exact.confidence
    assert alias.geonameid == exact.geonameid


def test_agglomeration_population_hand_computed() -> None:
    # Two places 0.1 degree of latitude apart (11.1 km) and one 1 degree away (111 km).
    lat = np.array([0.0, 0.1, 1.0])
    lon = np.array([0.0, 0.0, 0.0])
    pop = np.array([100, 20, 5])
    assert _agglomeration_population(lat, lon, pop, 25.0).tolist() == [120, 120, 5]
    assert _agglomeration_population(lat, lon, pop, 10.0).tolist() == [100, 20, 5]
    assert _agglomeration_population(lat, lon, pop, 200.0).tolist() == [125, 125, 125]


def test_cache_file_depends_on_matching_parameters() -> None:
    assert Geocoder().default_cache_path() != Geocoder(fuzzy_cutoff=85).default_cache_path()


def test_equally_close_fuzzy_names_are_decided_by_prominence(coder: Geocoder) -> None:
    # "Rancho Dominguez" is as close to East as to West Rancho Dominguez: the more
    # prominent place wins, whatever order the candidates come in (an arbitrary
    # order once made two ingests of one file differ).
    hit = coder.resolve_one("Rancho Dominguez", "CA", "USA")
    assert (hit.name, hit.match) == ("East Rancho Dominguez", "fuzzy")
    pools = coder._fuzzy_pools
    assert all(keys == sorted(keys) for keys in pools.values())
