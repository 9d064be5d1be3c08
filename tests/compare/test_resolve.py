"""Place resolution. References: GeoNames ids and admin codes of the gazetteer,
the published cluster names of GII 2023, hand-checked homonyms."""

from __future__ import annotations

import math

import polars as pl
import pytest

from techhubs.compare import load_rankings, match_to_units, resolve_hub
from techhubs.compare.resolve import centroid, match_unit
from techhubs.datasets import load_edition
from techhubs.errors import DataError
from techhubs.geo.sphere import great_circle_km as haversine_km
from techhubs.panel import Panel

SJ_SF = ["San Jose–San Francisco, CA", "San Jose–San Francisco", "Silicon Valley",
         "San Francisco", "San Francisco – Silicon Valley, USA", "San Francisco, USA",
         "Silicon Valley (San Jose, CA, USA)"]
SZ_HK = ["Shenzhen–Hong Kong–Guangzhou", "Shenzhen – Hong Kong – Guangzhou, China",
         "Shenzhen–Hong Kong", "Shenzhen, China"]


@pytest.fixture(scope="module")
def gii2023() -> Panel:
    return load_edition("gii-2023")


def test_every_published_name_resolves_to_a_hub() -> None:
    names = load_rankings()["name_as_published"].unique(maintain_order=True).to_list()
    failed = []
    for name in names:
        hub = resolve_hub(name)
        if not hub.resolved or hub.latitude is None or not 0 < hub.confidence <= 1:
            failed.append(f"{name}: {hub.explanation}")
    assert not failed, "names that do not resolve to hubs:\n" + "\n".join(failed)
    assert len(names) == 83  # distinct spellings in the bundled file


@pytest.mark.parametrize("name", SJ_SF)
def test_san_jose_san_francisco_spellings_match_the_gii_cluster(name: str, gii2023: Panel
                                                                ) -> None:
    hub = resolve_hub(name)
    unit, confidence, why = match_to_units(hub, gii2023)
    assert unit == "san-jose-san-francisco", why
    assert 0.5 < confidence <= 1.0
    assert all(p.country_code == "US" and p.admin1_code == "CA" for p in hub.places)


@pytest.mark.parametrize("name", SZ_HK)
def test_shenzhen_hong_kong_spellings_match_the_gii_cluster(name: str, gii2023: Panel) -> None:
    unit, _, why = match_to_units(resolve_hub(name), gii2023)
    assert unit == "shenzhen-hong-kong-guangzhou", why


def test_multi_city_names_list_every_component() -> None:
    hub = resolve_hub("Shenzhen – Hong Kong – Guangzhou, China")
    assert [p.geonameid for p in hub.places] == [1795565, 1819729, 1809858]
    assert hub.economies == ("CN", "HK")
    dc = resolve_hub("Washington, DC–Baltimore, MD")
    assert [(p.name, p.admin1_code) for p in dc.places] == [("Washington", "DC"),
                                                           ("Baltimore", "MD")]


def test_every_gii_2023_cluster_name_matches_its_own_unit(gii2023: Panel) -> None:
    wrong = []
    for row in gii2023.units.iter_rows(named=True):
        hub = resolve_hub(row["name"], row["economies"])
        unit, _, why = match_to_units(hub, gii2023)
        if unit != row["unit_id"]:
            wrong.append(f"{row['name']} -> {unit} ({why})")
    assert not wrong, wrong


@pytest.mark.parametrize("name", ["Toronto, Canada", "Berlin, Germany", "Bengaluru", "Dublin",
                                  "Nairobi", "Cape Town"])
def test_names_outside_the_edition_resolve_but_match_no_unit(name: str, gii2023: Panel) -> None:
    hub = resolve_hub(name)
    assert hub.resolved and hub.latitude is not None and hub.longitude is not None
    unit, confidence, why = match_to_units(hub, gii2023)
    assert unit is None and confidence == 0.0
    assert "nearest" in why


def test_old_and_new_names_are_one_hub() -> None:
    assert resolve_hub("Bangalore").key == resolve_hub("Bengaluru").key == "gn:1277333"
    assert resolve_hub("Cologne").places[0].geonameid == 2886242  # Köln


def test_qualifiers_and_neighbours_choose_among_homonyms() -> None:
    assert resolve_hub("Cambridge, MA").places[0].admin1_code == "MA"
    assert resolve_hub("Cambridge, United Kingdom").places[0].country_code == "GB"
    boston = resolve_hub("Boston–Cambridge")
    assert [p.admin1_code for p in boston.places] == ["MA", "MA"]
    assert resolve_hub("Shanghai–Suzhou").places[1].admin1_code == "04"  # Jiangsu
    # Without context the name is ambiguous: lower confidence, said why.
    alone = resolve_hub("Cambridge")
    assert alone.confidence < resolve_hub("Cambridge, MA").confidence
    assert "other place(s) share the name" in alone.explanation


def test_economies_argument_prefers_places() -> None:
    assert resolve_hub("San Jose").places[0].country_code == "US"
    assert resolve_hub("San Jose", ["PH"]).places[0].country_code == "PH"


def test_hyphens_split_only_when_the_whole_is_no_place() -> None:
    assert [p.name for p in resolve_hub("Macau-Zhuhai").places] == ["Macau", "Zhuhai"]
    aix = resolve_hub("Aix-en-Provence")
    assert len(aix.places) == 1 and aix.places[0].country_code == "FR"


def test_alias_and_fuzzy_methods() -> None:
    sv = resolve_hub("Silicon Valley")
    assert sv.method == "alias" and sv.confidence == pytest.approx(0.95)
    assert 5392171 in sv.geonameids and "alias table" in sv.explanation
    typo = resolve_hub("Stuttgrat")
    assert typo.method == "fuzzy" and typo.places[0].name == "Stuttgart"
    assert typo.confidence < 0.8
    daedeok = resolve_hub("Daedeok Innopolis")
    assert daedeok.places[0].name == "Daejeon"


def test_unresolved_names_are_reported_not_raised() -> None:
    hub = resolve_hub("Qxzvbn Wyrtlk")
    assert not hub.resolved and hub.method == "unresolved" and hub.confidence == 0.0
    assert hub.unresolved_parts == ("Qxzvbn Wyrtlk",)
    partial = resolve_hub("Tokyo–Qxzvbn")
    assert partial.resolved and partial.unresolved_parts == ("Qxzvbn",)
    assert partial.confidence == pytest.approx(0.5)
    with pytest.raises(DataError):
        resolve_hub("   ")


def test_centroid_is_population_weighted() -> None:
    hub = resolve_hub("Tokyo–Yokohama")
    tokyo, yokohama = hub.places
    assert hub.latitude is not None and hub.longitude is not None
    d_t = haversine_km(hub.latitude, hub.longitude, tokyo.latitude, tokyo.longitude)
    d_y = haversine_km(hub.latitude, hub.longitude, yokohama.latitude, yokohama.longitude)
    # Tokyo has ~2.6x Yokohama's population, so the centroid sits ~2.6x closer to it.
    assert d_y / d_t == pytest.approx(tokyo.population / yokohama.population, rel=0.02)
    assert centroid([]) == (None, None)


def _panel(rows: list[dict]) -> Panel:
    return Panel.from_frame(pl.DataFrame(rows), indicators=[{"code": "x"}])


def test_match_by_member_places_first() -> None:
    panel = _panel([
        {"unit_id": "bay", "name": "Cluster 1", "economies": "US",
         "members": "San Francisco; Palo Alto; San Jose", "x": 1.0},
        {"unit_id": "la", "name": "Cluster 2", "economies": "US",
         "members": "Los Angeles", "x": 2.0},
    ])
    m = match_unit(resolve_hub("Silicon Valley"), panel)
    assert m.unit_id == "bay" and "members" in m.explanation


def test_match_by_geonames_ids_in_members() -> None:
    panel = _panel([{"unit_id": "sz", "name": "C", "economies": "CN/HK",
                     "members": "1795565; 1819729", "x": 1.0}])
    assert match_to_units(resolve_hub("Hong Kong"), panel)[0] == "sz"


def test_match_by_proximity_of_coordinates() -> None:
    panel = _panel([
        {"unit_id": "a", "name": "Cluster A", "latitude": 48.78, "longitude": 9.18, "x": 1.0},
        {"unit_id": "b", "name": "Cluster B", "latitude": 52.52, "longitude": 13.40, "x": 1.0},
    ])
    unit, conf, why = match_to_units(resolve_hub("Stuttgart"), panel)
    assert unit == "a" and 0 < conf < 1 and "centroid" in why
    far = match_to_units(resolve_hub("Munich"), panel, max_km=30)
    assert far[0] is None
    near = match_to_units(resolve_hub("Munich"), panel, max_km=250)
    assert near[0] == "a"
    assert math.isfinite(near[1])
