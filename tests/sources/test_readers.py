"""Readers on small hand-written fixtures in the real layouts; counts checked by hand."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest

from techhubs.errors import DataError
from techhubs.sources.accounting import (
    BAD_WEIGHT,
    DUPLICATE,
    INACTIVE,
    NO_LOCATION,
    OUT_OF_RANGE,
    UNPARSEABLE,
    UNRESOLVED,
)
from techhubs.sources.crunchbase import CrunchbaseReader
from techhubs.sources.openalex import OpenAlexReader
from techhubs.sources.patentsview import PatentsViewReader
from techhubs.sources.ror import RorReader
from techhubs.sources.table import TableReader

POINT_COLUMNS = ["latitude", "longitude", "weight", "source", "year", "field", "id", "place"]


@pytest.fixture()
def src(fixtures_dir: Path) -> Path:
    return fixtures_dir / "sources"


def test_crunchbase_fixture(src: Path) -> None:
    res = CrunchbaseReader(keep_place=True).read(src / "crunchbase_rounds.csv")
    r = res.report
    assert r.records_read == 8
    # SF, NY (Mac Roman name), Cambridge, San Diego (from region), Palo Alto (no year)
    assert r.records_used == 5
    assert r.dropped == {NO_LOCATION: 1, UNRESOLVED: 1, UNPARSEABLE: 1}
    assert r.notes == {
        "bytes not UTF-8, decoded as mac_roman": 1,
        "year missing or not a number (kept, year null)": 1,
    }
    p = res.points
    assert p.columns[:8] == POINT_COLUMNS
    assert p["admin1"].to_list() == p["state"].to_list() == ["CA", "NY", "MA", "CA", "CA"]
    assert p["place"].to_list()[0] == "San Francisco"
    assert p["year"].to_list() == [2012, 2011, 2010, 2008, None]
    assert set(p["source"]) == {"vc"}


def test_crunchbase_amounts(src: Path, tmp_path: Path) -> None:
    res = CrunchbaseReader(keep_amount=True).read(src / "crunchbase_rounds.csv")
    # Cambridge has no amount (null), the others as written
    assert res.points["amount_usd"].to_list() == [100000.0, 2000000.0, None, 1.0, 5.0]
    assert "amount_usd" not in CrunchbaseReader().read(src / "crunchbase_rounds.csv").points
    text = (src / "crunchbase_rounds.csv").read_bytes().replace(b"2012,100000", b"2012,lots")
    (tmp_path / "r.csv").write_bytes(text)
    res = CrunchbaseReader(keep_amount=True).read(tmp_path / "r.csv")
    assert res.points["amount_usd"][0] is None
    [example] = res.report.note_examples[
        "raised_amount_usd is not a non-negative number (kept, amount null)"]
    assert example.line == 2 and "lots" in (example.detail or "")


def test_crunchbase_strict_raises_on_first_drop(src: Path) -> None:
    with pytest.raises(DataError) as info:
        CrunchbaseReader().read(src / "crunchbase_rounds.csv", strict=True)
    assert info.value.file and info.value.file.endswith("crunchbase_rounds.csv")


def test_ror_csv(src: Path) -> None:
    res = RorReader().read(src / "ror_organizations.csv")
    r = res.report
    assert (r.records_read, r.records_used) == (6, 2)
    assert r.dropped == {DUPLICATE: 1, INACTIVE: 1, NO_LOCATION: 1, OUT_OF_RANGE: 1}
    assert res.points["id"].to_list() == ["03vek6s52", "05a28rw58"]
    assert res.points["field"].to_list() == ["education", "education"]


def test_ror_json_v2(src: Path) -> None:
    res = RorReader().read(src / "ror_v2.json")
    assert (res.report.records_read, res.report.records_used) == (3, 2)
    assert res.report.dropped == {NO_LOCATION: 1}
    row = res.points.row(1, named=True)
    assert (row["latitude"], row["longitude"], row["place"]) == (47.36667, 8.55, "Zurich")


@pytest.mark.parametrize("works", ["openalex_works.jsonl", "openalex_works.jsonl.gz"])
def test_openalex_fractional_counting(src: Path, works: str) -> None:
    res = OpenAlexReader(src / "openalex_institutions.jsonl").read(src / works)
    r = res.report
    assert r.records_read == 6
    assert r.records_used == 2
    assert r.dropped == {NO_LOCATION: 1, UNRESOLVED: 1, DUPLICATE: 1, UNPARSEABLE: 1}
    w1 = res.points.filter(pl.col("id") == "W1")
    # two authorships: 1/2 at Harvard, then 1/4 Harvard + 1/4 ETH
    assert sorted(w1["weight"].to_list()) == [0.25, 0.25, 0.5]
    assert math.isclose(w1["weight"].sum(), 1.0)
    assert w1["field"].to_list()[0] == "Physics"
    w4 = res.points.filter(pl.col("id") == "W4")
    assert w4["weight"].to_list() == [0.5]  # the other half has no institution: noted
    assert r.notes["weight without location"] == 1


def test_openalex_with_ror_dump_as_geo(src: Path) -> None:
    res = OpenAlexReader(src / "ror_v2.json").read(src / "openalex_works.jsonl")
    w1 = res.points.filter(pl.col("id") == "W1")
    assert w1.height == 1  # only the authorship carrying a ROR id is located
    assert w1["weight"].to_list() == [0.5]


@pytest.mark.parametrize(
    "inventors", ["g_inventor_disambiguated.tsv", "g_inventor_disambiguated.tsv.gz"]
)
def test_patentsview(src: Path, inventors: str) -> None:
    files = [src / inventors, src / "g_location_disambiguated.tsv", src / "g_patent.tsv"]
    res = PatentsViewReader().read(files)
    r = res.report
    assert r.records_read == 7
    assert r.dropped == {NO_LOCATION: 1, DUPLICATE: 1, UNRESOLVED: 1, OUT_OF_RANGE: 1}
    p = res.points.sort("id")
    assert p["id"].to_list() == ["10000001/0", "10000001/1", "10000002/0"]
    assert p["weight"].to_list() == pytest.approx([1 / 3, 1 / 3, 1 / 2])
    assert p["year"].to_list() == [2018, 2018, 2019]
    assert p["place"].to_list() == ["San Francisco", "San Jose", "San Francisco"]


def test_patentsview_without_patent_table_has_null_years(src: Path) -> None:
    res = PatentsViewReader().read(
        [src / "g_inventor_disambiguated.tsv", src / "g_location_disambiguated.tsv"]
    )
    assert res.points["year"].null_count() == res.points.height == 3


def test_table_reader_coordinates(src: Path) -> None:
    reader = TableReader("patents", lat="lat", lon="lon", weight="w", year="yr", id="id")
    res = reader.read(src / "table_points.csv")
    r = res.report
    assert (r.records_read, r.records_used) == (6, 1)
    assert r.dropped == {DUPLICATE: 1, BAD_WEIGHT: 2, UNPARSEABLE: 1, OUT_OF_RANGE: 1}
    assert res.points.row(0, named=True)["weight"] == 1.5


def test_table_reader_place_text(src: Path, tmp_path: Path) -> None:
    reader = TableReader("publications", city="city", country="country", id="id")
    res = reader.read(src / "table_points.csv")
    # SF, Zurich (country by name), Pariss (fuzzy) and Paris; row 2 has no city; row "1" again
    assert res.report.dropped == {DUPLICATE: 1, NO_LOCATION: 1}
    assert set(res.points["place"]) == {"San Francisco", "Paris", "Zürich"}
    pq = tmp_path / "t.parquet"
    pl.read_csv(src / "table_points.csv", infer_schema_length=0).write_parquet(pq)
    again = reader.read(pq)
    assert again.points["place"].to_list() == res.points["place"].to_list()


def test_write_streams_to_parquet(src: Path, tmp_path: Path) -> None:
    out = tmp_path / "points.parquet"
    report = RorReader().write([src / "ror_organizations.csv"], out)
    back = pl.read_parquet(out)
    assert back.height == report.records_used == 2
    assert back.columns == POINT_COLUMNS
    assert not (tmp_path / "points.parquet.part").exists()


def test_batches_do_not_change_results(src: Path) -> None:
    """Streaming in tiny batches gives the same points and the same accounting."""
    one = CrunchbaseReader().read(src / "crunchbase_rounds.csv")
    many = CrunchbaseReader(batch_size=2).read(src / "crunchbase_rounds.csv")
    assert many.points.equals(one.points)
    assert many.report.dropped == one.report.dropped
    t1 = TableReader("patents", lat="lat", lon="lon", weight="w", id="id").read(
        src / "table_points.csv"
    )
    t2 = TableReader("patents", lat="lat", lon="lon", weight="w", id="id", batch_size=1).read(
        src / "table_points.csv"
    )
    assert t2.points.equals(t1.points)
    assert t2.report.dropped == t1.report.dropped
