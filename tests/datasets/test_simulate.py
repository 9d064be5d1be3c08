"""The calibrated synthetic world: totals, determinism, labelling, fractional counting.

References: the published GII 2023 figures bundled with techhubs (cluster
totals, world totals) and hand-computed expectations.
"""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pyarrow.parquet as pq
import pytest

from techhubs.datasets import load_edition
from techhubs.datasets.simulate import (
    SUMMARY_FILE,
    SYNTHETIC_LABEL,
    SimulationParams,
    locate_edition,
    read_summary,
    simulate,
)
from techhubs.errors import DataError
from techhubs.geo.sphere import haversine_km as _haversine
from techhubs.geo.text import named_places

SCALE = 0.002


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    return simulate(tmp_path_factory.mktemp("world"), SimulationParams(scale=SCALE, seed=3))


def test_named_places_strip_state_suffixes() -> None:
    assert named_places("Washington, DC–Baltimore, MD") == ["Washington", "Baltimore"]
    assert named_places("Shenzhen–Hong Kong–Guangzhou") == ["Shenzhen", "Hong Kong", "Guangzhou"]
    assert named_places("New York City, NY") == ["New York City"]


def test_every_published_cluster_is_anchored_on_gazetteer_cities() -> None:
    anchors = locate_edition("gii-2023")
    assert anchors.height == 34
    by_name = {r["name"]: r["places"] for r in anchors.iter_rows(named=True)}
    assert [p["name"] for p in by_name["Cologne"]] == ["Köln"]  # found by alternate name
    assert [p["country_code"] for p in by_name["Shenzhen–Hong Kong–Guangzhou"]] == [
        "CN", "HK", "CN"]
    cambridge = by_name["Boston–Cambridge, MA"][1]
    boston = by_name["Boston–Cambridge, MA"][0]
    # the Cambridge next to Boston, not another one
    assert _haversine(boston["latitude"], boston["longitude"],
                      cambridge["latitude"], cambridge["longitude"]) < 10


def test_world_totals_are_reproduced_exactly(world) -> None:
    edition = load_edition("gii-2023")
    for source, code in (("patents", "pct_applications"),
                         ("publications", "scientific_publications")):
        points = pl.read_parquet(world.files[source])
        assert points["weight"].sum() == pytest.approx(edition.world_total(code), rel=1e-9)
        assert set(points["source"].cast(pl.Utf8).unique()) == {source}
        assert points["year"].min() >= 2018 and points["year"].max() <= 2022


def test_single_city_clusters_hold_their_published_totals(world) -> None:
    # background activity stays exclusion_km (60) away from every published city, and a
    # single-city cluster's activity lies within surround_km (30) plus a few km of jitter
    edition = load_edition("gii-2023")
    values = {r["name"]: r for r in edition.units.join(edition.values, on="unit_id")
              .iter_rows(named=True)}
    anchors = {r["name"]: r["places"][0] for r in locate_edition().iter_rows(named=True)}
    for name in ("Seoul", "Tehran", "Munich", "Paris"):
        for source, code in (("patents", "pct_applications"),
                             ("publications", "scientific_publications")):
            pts = pl.read_parquet(world.files[source])
            a = anchors[name]
            d = _haversine(a["latitude"], a["longitude"], pts["latitude"].to_numpy(),
                           pts["longitude"].to_numpy())
            inside = float(pts["weight"].to_numpy()[d <= 45].sum())
            assert inside == pytest.approx(values[name][code], rel=1e-9), (name, source)


def test_fractional_counting_and_record_counts(world) -> None:
    summary = world.summary
    pat = summary["sources"]["patents"]
    assert pat["documents"] == pytest.approx(1_255_625 * SCALE, abs=40)
    # k = 1 + Poisson(1) locations per patent: about two rows per document
    assert 1.8 < pat["rows"] / pat["documents"] < 2.2
    pts = pl.read_parquet(world.files["patents"])
    assert pts.height == pat["rows"]
    doc_weight = 1 / SCALE
    # every row holds 1/k of a document's weight, k >= 1
    ratio = doc_weight / pts["weight"].to_numpy()
    assert ratio.min() > 0.5 and np.percentile(ratio, 99) < 8


def test_labelled_synthetic_everywhere(world) -> None:
    for path in world.files.values():
        meta = pq.read_schema(path).metadata
        assert meta[b"techhubs.synthetic"] == b"true"
        assert meta[b"techhubs.label"].decode() == SYNTHETIC_LABEL
        assert json.loads(meta[b"techhubs.simulation"])["seed"] == 3
    summary = read_summary(world.directory)
    assert summary["synthetic"] is True and "SYNTHETIC" in summary["label"]
    assert (world.directory / SUMMARY_FILE).exists()
    assert not list(world.directory.glob(".*tmp*"))  # nothing half-written left


def test_deterministic_from_the_seed(world, tmp_path) -> None:
    again = simulate(tmp_path / "again", SimulationParams(scale=SCALE, seed=3))
    other = simulate(tmp_path / "other", SimulationParams(scale=SCALE, seed=4))
    a = pl.read_parquet(world.files["patents"])
    assert a.equals(pl.read_parquet(again.files["patents"]))
    assert not a.equals(pl.read_parquet(other.files["patents"]))


def test_vc_source_is_optional(tmp_path) -> None:
    w = simulate(tmp_path, SimulationParams(scale=0.001, vc=True, vc_world_total=5000))
    vc = pl.read_parquet(w.files["vc"])
    assert vc["weight"].sum() == pytest.approx(5000)
    assert "vc" in w.summary["sources"]


@pytest.mark.parametrize("changes", [{"scale": 0.0}, {"scale": float("nan")},
                                     {"years": (2022, 2018)}, {"jitter_km": -1.0}])
def test_bad_parameters_are_clear_errors(tmp_path, changes) -> None:
    with pytest.raises(DataError):
        simulate(tmp_path, SimulationParams(**changes))
