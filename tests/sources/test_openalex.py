"""The OpenAlex reader: the GII's publication rules, snapshot folders and manifests, and the
DuckDB scan against the record-by-record path. References: counts and weights worked out by
hand below; OpenAlex's snapshot layout (``data/works/manifest`` with ``entries[].url`` and
``meta.record_count``, parts under ``updated_date=*/part_NNN.gz``)."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import polars as pl
import pytest

from techhubs.cli import main
from techhubs.errors import DataError
from techhubs.sources.accounting import DUPLICATE, NO_LOCATION, UNPARSEABLE, UNRESOLVED
from techhubs.sources.filters import (
    FILTERED_DOMAIN,
    FILTERED_TYPE,
    FILTERED_YEAR,
    WorkFilter,
    gii_rules,
    work_filter,
)
from techhubs.sources.openalex import OpenAlexReader

INSTITUTIONS = [
    {"id": "https://openalex.org/I1", "geo": {"latitude": 48.85, "longitude": 2.35,
                                              "city": "Paris"}},
    {"id": "https://openalex.org/I2", "ror": "https://ror.org/02two",
     "geo": {"latitude": 42.36, "longitude": -71.06, "city": "Boston"}},
]


def topic(domain: str | None, field: str | None = None) -> dict:
    return {"domain": {"display_name": domain}, "field": {"display_name": field}}


def authors(*institutions: list[str]) -> list[dict]:
    return [{"institutions": [{"id": f"https://openalex.org/{i}"} for i in insts]}
            for insts in institutions]


def work(wid: str, wtype: str, year: int, top: dict | None, auth: list[dict]) -> dict:
    out = {"id": f"https://openalex.org/{wid}", "type": wtype, "publication_year": year,
           "authorships": auth}
    if top is not None:
        out["primary_topic"] = top
    return out


WORKS = [
    # W1: article, physics, 2020, two authors at I1 and I2: 1/2 + 1/2, used
    work("W1", "article", 2020, topic("Physical Sciences", "Physics and Astronomy"),
         authors(["I1"], ["I2"])),
    work("W2", "review", 2020, topic("Life Sciences"), authors(["I1"])),          # type
    work("W3", "book-chapter", 2021, topic("Physical Sciences"), authors(["I1"])),  # type
    work("W4", "article", 2019, topic("Social Sciences", "Economics"), authors(["I1"])),
    work("W5", "article", 2019, topic("Social Sciences", "Arts and Humanities"),
         authors(["I2"])),                                                        # domain
    work("W6", "article", 2017, topic("Health Sciences", "Medicine"), authors(["I1"])),  # year
    # W7: three authors: A at I1 and I2 (1/6 each), B without institution (1/3 lost),
    # C at the unknown I9 (1/3 lost): used with 1/3 placed and a note
    work("W7", "article", 2022, topic("Life Sciences", "Biochemistry"),
         authors(["I1", "I2"], [], ["I9"])),
    work("W8", "article", 2020, None, authors(["I1"])),             # no topic: domain
    work("W1", "article", 2020, topic("Physical Sciences"), authors(["I1"])),  # duplicate
    work("W9", "article", 2021, topic("Physical Sciences"), authors(["I9"])),  # unresolved
    work("W10", "article", 2021, topic("Physical Sciences"), authors([])),     # no location
]
GII_DROPS = {FILTERED_TYPE: 2, FILTERED_DOMAIN: 3, FILTERED_YEAR: 1, DUPLICATE: 1,
             UNRESOLVED: 1, NO_LOCATION: 1}


def lines(records: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "institutions.jsonl").write_bytes(lines(INSTITUTIONS))
    (tmp_path / "works.jsonl").write_bytes(lines(WORKS))
    return tmp_path


@pytest.mark.parametrize("broken", [False, True], ids=["duckdb-scan", "record-by-record"])
def test_gii_rules_hand_counted(folder: Path, broken: bool) -> None:
    works = folder / "works.jsonl"
    if broken:  # one malformed line: the file is read record by record, same rules
        works.write_bytes(works.read_bytes() + b"{not json\n")
    reader = OpenAlexReader(folder / "institutions.jsonl", rules="gii-2023")
    result = reader.read(works)
    r = result.report
    assert r.records_read == 11 + broken
    assert r.records_used == 2
    assert r.dropped == {**GII_DROPS, **({UNPARSEABLE: 1} if broken else {})}
    assert r.notes["weight without location"] == 1
    first = r.examples[DUPLICATE][0]  # where the repeated W1 is: line 9 of the file
    assert (first.key, first.line, first.detail) == (
        ("W1", 9, None) if broken else ("W1", None, "record 9"))  # DuckDB counts records
    points = result.points.sort(["id", "latitude"])
    assert points["id"].to_list() == ["W1", "W1", "W7", "W7"]
    assert points["weight"].to_list() == pytest.approx([0.5, 0.5, 1 / 6, 1 / 6])
    assert math.isclose(points["weight"].sum(), 1 + 1 / 3, rel_tol=1e-12)
    assert points.filter(pl.col("id") == "W1")["field"].to_list() == ["Physics and Astronomy"] * 2
    assert set(points["place"]) == {"Paris", "Boston"}


def test_without_rules_every_unique_located_work_counts(folder: Path) -> None:
    result = OpenAlexReader(folder / "institutions.jsonl").read(folder / "works.jsonl")
    # W1-W8 are located (W7 partly); W1 twice, W9 unresolved, W10 without location
    assert result.report.records_used == 8
    assert result.report.dropped == {DUPLICATE: 1, UNRESOLVED: 1, NO_LOCATION: 1}
    assert math.isclose(result.points["weight"].sum(), 7 + 1 / 3, rel_tol=1e-12)


def test_filter_options_refine_the_rules() -> None:
    assert gii_rules("gii-2018").years == (2012, 2016)
    rule = work_filter("gii-2023", types=["article", "review"], years="2019-2022")
    assert rule.types == ("article", "review") and rule.years == (2019, 2022)
    assert rule.domains == ("life sciences", "physical sciences", "health sciences")
    keep_humanities = WorkFilter(exclude_fields=["Arts and Humanities"])
    assert keep_humanities.reason("article", "Social Sciences", "arts and humanities", 2020) \
        == FILTERED_DOMAIN.replace("domain", "field")
    assert keep_humanities.reason("article", None, None, None) is None  # exclude keeps unknown
    with pytest.raises(DataError, match="rule set"):
        work_filter("wipo")
    with pytest.raises(DataError, match="years"):
        work_filter(years="2022-2018")


def write_snapshot(root: Path, parts: list[list[dict]], counts: list[int] | None = None) -> Path:
    works = root / "data" / "works"
    entries = []
    for k, records in enumerate(parts):
        date = f"updated_date=2024-0{k + 1}-01"
        part = works / date / f"part_{k:03d}.gz"
        part.parent.mkdir(parents=True, exist_ok=True)
        part.write_bytes(gzip.compress(lines(records)))
        count = len(records) if counts is None else counts[k]
        entries.append({"url": f"s3://openalex/data/works/{date}/part_{k:03d}.gz",
                        "meta": {"content_length": part.stat().st_size,
                                 "record_count": count}})
    (works / "manifest").write_text(json.dumps({"entries": entries, "meta": {
        "record_count": sum(e["meta"]["record_count"] for e in entries)}}))
    return works


def test_snapshot_folder_is_read_part_by_part(folder: Path) -> None:
    works = write_snapshot(folder / "snap", [WORKS[:6], WORKS[6:]])
    reader = OpenAlexReader(folder / "institutions.jsonl", rules="gii-2023")
    for given in (works, works.parent.parent / "data"):  # the works folder or the one above
        result = reader.read(given)
        assert result.report.dropped == GII_DROPS
        assert len(result.report.files) == 2
        assert math.isclose(result.points["weight"].sum(), 1 + 1 / 3, rel_tol=1e-12)


def test_a_part_that_differs_from_the_manifest_is_named(folder: Path) -> None:
    works = write_snapshot(folder / "snap", [WORKS[:6], WORKS[6:]], counts=[6, 6])
    reader = OpenAlexReader(folder / "institutions.jsonl")
    with pytest.raises(DataError, match=r"part_001\.gz: 5 records, the manifest says 6"):
        reader.read(works)
    (works / "updated_date=2024-02-01" / "part_001.gz").unlink()
    with pytest.raises(DataError, match=r"part_001\.gz, which is missing"):
        reader.read(works)


def test_ingest_command_with_rules_and_a_snapshot(folder: Path, capsys) -> None:
    works = write_snapshot(folder / "snap", [WORKS[:6], WORKS[6:]])
    out = folder / "p.parquet"
    code = main(["ingest", "openalex", str(works), "--institutions",
                 str(folder / "institutions.jsonl"), "--rules", "gii-2023", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "GII rules (gii-2023)" in captured.err + captured.out
    assert math.isclose(pl.read_parquet(out)["weight"].sum(), 1 + 1 / 3, rel_tol=1e-12)
    code = main(["ingest", "crunchbase", str(works), "--rules", "gii", "--out", str(out)])
    assert code == 2


def test_two_runs_write_the_same_bytes(folder: Path) -> None:
    works = write_snapshot(folder / "snap", [WORKS[:6], WORKS[6:]])
    reader = OpenAlexReader(folder / "institutions.jsonl", memory_limit="64MB")
    reader.write(works, folder / "a.parquet")
    reader.write(works, folder / "b.parquet")
    assert (folder / "a.parquet").read_bytes() == (folder / "b.parquet").read_bytes()


def test_bad_snapshot_folders_and_options_name_the_problem(folder: Path, capsys) -> None:
    reader = OpenAlexReader(folder / "institutions.jsonl")
    empty = folder / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="no manifest") as found:
        reader.read(empty)
    assert found.value.file is not None and "empty" in str(found.value.file)
    works = write_snapshot(folder / "snap", [WORKS[:3]])
    (works / "manifest").write_text('{"entries": [{"url": "x"}]}')
    with pytest.raises(DataError, match="not an OpenAlex manifest") as found:
        reader.read(works)
    assert str(found.value.file).endswith("manifest")
    with pytest.raises(DataError, match="not \\[FIRST, LAST\\]") as found:
        OpenAlexReader(folder / "institutions.jsonl", years=[2018]).read(folder / "works.jsonl")
    assert found.value.key == "years"
    code = main(["ingest", "openalex", str(folder / "works.jsonl"), "--institutions",
                 str(folder / "institutions.jsonl"), "--years", "2022-2018", "--out",
                 str(folder / "p.parquet")])
    assert code == 2 and "--years" in capsys.readouterr().err
