"""Corrupted inputs each give a clear error or a counted drop."""

from __future__ import annotations

from pathlib import Path

import pytest

from techhubs.errors import DataError
from techhubs.sources.accounting import INVALID_ENCODING
from techhubs.sources.patentsview import PatentsViewReader
from techhubs.sources.table import TableReader


@pytest.fixture()
def src(fixtures_dir: Path) -> Path:
    return fixtures_dir / "sources"


def reader() -> TableReader:
    return TableReader("patents", lat="lat", lon="lon", id="id")


def test_truncated_gzip_is_an_error_naming_the_file(src: Path) -> None:
    with pytest.raises(DataError, match="truncated or corrupt") as info:
        reader().read(src / "corrupt_truncated.csv.gz")
    assert info.value.file and info.value.file.endswith("corrupt_truncated.csv.gz")


def test_truncated_gzip_in_duckdb_reader(src: Path, tmp_path: Path) -> None:
    bad = tmp_path / "g_inventor_disambiguated.tsv.gz"
    bad.write_bytes((src / "g_inventor_disambiguated.tsv.gz").read_bytes()[:150])
    with pytest.raises(DataError) as info:
        PatentsViewReader().read([bad, src / "g_location_disambiguated.tsv"])
    assert info.value.file == str(bad)


def test_wrong_delimiter_says_so(src: Path) -> None:
    with pytest.raises(DataError, match="missing required column") as info:
        reader().read(src / "corrupt_semicolon.csv")
    assert "semicolon" in (info.value.hint or "")


def test_wrong_delimiter_patentsview(src: Path) -> None:
    with pytest.raises(DataError, match="missing required column") as info:
        PatentsViewReader().read(
            [
                src / "g_inventor_disambiguated.tsv",
                src / "corrupt_g_location_disambiguated_commas.tsv",
            ]
        )
    assert info.value.line == 1
    assert "tab-separated" in (info.value.hint or "")


def test_invalid_utf8_is_a_counted_drop(src: Path) -> None:
    res = reader().read(src / "corrupt_invalid_utf8.csv")
    assert res.report.records_read == 3
    assert res.report.dropped == {INVALID_ENCODING: 1}
    assert res.report.examples[INVALID_ENCODING][0].line == 3


def test_invalid_utf8_strict_is_an_error(src: Path) -> None:
    with pytest.raises(DataError, match="invalid encoding") as info:
        reader().read(src / "corrupt_invalid_utf8.csv", strict=True)
    assert info.value.line == 3


def test_missing_required_column(src: Path) -> None:
    with pytest.raises(DataError, match="lon") as info:
        reader().read(src / "corrupt_missing_column.csv")
    assert info.value.key == "lon"


def test_empty_file(src: Path) -> None:
    with pytest.raises(DataError, match="empty"):
        reader().read(src / "corrupt_empty.csv")


def test_empty_file_patentsview(src: Path) -> None:
    with pytest.raises(DataError, match="empty"):
        PatentsViewReader().read([src / "corrupt_empty.csv", src / "g_location_disambiguated.tsv"])
