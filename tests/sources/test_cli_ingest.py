from __future__ import annotations

from pathlib import Path

import polars as pl
from click.testing import CliRunner

from techhubs.cli import cli, main


def test_ingest_prints_report_and_writes_points(fixtures_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.parquet"
    result = CliRunner().invoke(
        cli,
        [
            "ingest",
            "ror",
            str(fixtures_dir / "sources" / "ror_organizations.csv"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "duplicate id" in result.output and "wrote 2 records" in result.output
    assert pl.read_parquet(out).height == 2


def test_ingest_strict_exits_2(fixtures_dir: Path, tmp_path: Path) -> None:
    code = main(
        [
            "ingest",
            "ror",
            str(fixtures_dir / "sources" / "ror_organizations.csv"),
            "--out",
            str(tmp_path / "p.parquet"),
            "--strict",
        ]
    )
    assert code == 2
    assert not (tmp_path / "p.parquet").exists()


def test_geocode_adds_columns(tmp_path: Path) -> None:
    src = tmp_path / "places.csv"
    src.write_text("name,town,cc\nA,Zürich,CH\nB,San francisco,USA\nC,Qqqzzz,FR\n")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        cli, ["geocode", str(src), "--city", "town", "--country", "cc", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(out)
    for col in ("geonameid", "place_name", "latitude", "longitude", "confidence"):
        assert col in frame.columns
    assert frame["place_name"].to_list()[:2] == ["Zürich", "San Francisco"]
    assert frame["geonameid"].null_count() == 1


def test_aggregate_command(fixtures_dir: Path, tmp_path: Path) -> None:
    pts = tmp_path / "p.parquet"
    CliRunner().invoke(
        cli, ["ingest", "ror", str(fixtures_dir / "sources" / "ror_v2.json"), "--out", str(pts)]
    )
    out = tmp_path / "agg.csv"
    result = CliRunner().invoke(cli, ["aggregate", str(pts), "--out", str(out), "--precision", "1"])
    assert result.exit_code == 0, result.output
    assert pl.read_csv(out)["latitude"].to_list() == [42.4, 47.4]
