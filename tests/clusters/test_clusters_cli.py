"""`techhubs clusters` end to end through the click entry point."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from techhubs.cli import cli, main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "clusters" / "two_hubs.csv"


def test_fixture_is_reproducible() -> None:
    df = pl.read_csv(FIXTURE)
    assert df.height == 404 and set(df["source"]) == {"patents", "publications"}
    expected = _make_fixture()
    assert df.select(pl.all().cast(pl.Utf8)).equals(
        pl.read_csv(expected.write_csv().encode()).select(pl.all().cast(pl.Utf8))
    )


def test_directory_output_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    rc = main(["clusters", str(FIXTURE), "--eps-km", "10", "--min-weight", "15", "--out", str(out)])
    assert rc == 0
    captured = capsys.readouterr()
    assert "2 clusters" in captured.out and "Munich" in captured.out and "Stuttgart" in captured.out
    # the 4 bad rows of the fixture are reported with their row numbers
    assert "4 dropped" in captured.err and "latitude out of range: 1 rows (401)" in captured.err
    clusters = pl.read_parquet(out / "clusters.parquet")
    assert clusters["name"].to_list()[0] == "Munich"
    assignment = pl.read_parquet(out / "assignment.parquet")
    assert assignment["cluster_id"].drop_nulls().unique().sort().to_list() == [1, 2]
    geo = json.loads((out / "clusters.geojson").read_text())
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 2
    assert geo["features"][0]["geometry"]["type"] == "Point"
    run = json.loads((out / "run.json").read_text())
    assert run["report"]["rows_dropped"] == 4 and run["params"]["eps_km"] == 10.0


@pytest.mark.parametrize("name", ["c.csv", "c.parquet"])
def test_single_file_outputs(tmp_path: Path, name: str) -> None:
    out = tmp_path / name
    rc = main(["clusters", str(FIXTURE), "--eps-km", "10", "--min-weight", "15", "--out", str(out)])
    assert rc == 0
    table = pl.read_csv(out) if name.endswith(".csv") else pl.read_parquet(out)
    assert table.height == 2 and "weight_patents" in table.columns


def test_strict_bad_rows_exit_2_with_rows_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["clusters", str(FIXTURE), "--strict", "--out", str(tmp_path / "x.csv")])
    assert rc == 2
    err = capsys.readouterr().err
    assert "two_hubs.csv" in err and "missing value" in err and "403" in err


def test_unreadable_and_wrong_inputs_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "pts.csv"
    bad.write_text("latitude,longitude,weight\n1,2,3\n")
    assert main(["clusters", str(bad), "--out", str(tmp_path / "o.csv")]) == 2
    assert "lacks required column(s) source" in capsys.readouterr().err
    other = tmp_path / "pts.json"
    other.write_text("{}")
    assert main(["clusters", str(other), "--out", str(tmp_path / "o.csv")]) == 2
    assert "unknown points file type" in capsys.readouterr().err
    assert main(["clusters", str(FIXTURE), "--out", str(tmp_path / "o.xlsx")]) == 2
    assert "unknown output type" in capsys.readouterr().err
    assert main(["clusters", str(tmp_path / "missing.csv"), "--out", "x"]) == 2
    assert main(["clusters", str(FIXTURE), "--eps-km", "-1", "--out", str(tmp_path / "o.csv")]) == 2


def test_help_lists_the_options() -> None:
    res = CliRunner().invoke(cli, ["clusters", "--help"])
    assert res.exit_code == 0
    for opt in ("--eps-km", "--min-weight", "--precision", "--merge-threshold", "--out"):
        assert opt in res.output


def _make_fixture() -> pl.DataFrame:
    """How tests/fixtures/clusters/two_hubs.csv was built (Munich and Stuttgart)."""
    rng = np.random.default_rng(11)
    parts = []
    for lat, lon, n, src in [
        (48.137, 11.575, 250, "patents"),
        (48.776, 9.183, 150, "publications"),
    ]:
        parts.append(
            pl.DataFrame(
                {
                    "latitude": np.round(lat + rng.normal(0, 0.03, n), 4),
                    "longitude": np.round(lon + rng.normal(0, 0.045, n), 4),
                    "weight": np.round(1.0 / rng.integers(1, 4, n), 4),
                    "source": [src] * n,
                    "year": rng.integers(2018, 2023, n),
                }
            )
        )
    bad = pl.DataFrame(
        {
            "latitude": [91.0, 48.1, None, 48.2],
            "longitude": [11.5, 11.5, 11.5, 11.5],
            "weight": [1.0, -1.0, 1.0, float("nan")],
            "source": ["patents"] * 4,
            "year": [2020] * 4,
        }
    )
    return pl.concat([*parts, bad], how="vertical_relaxed")
