"""`techhubs robustness` and `techhubs rank --intervals` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from techhubs.cli import main
from techhubs.methodology import load_methodology


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "techhubs", *args], capture_output=True,
                          text=True, timeout=180)


@pytest.mark.slow
def test_robustness_writes_tables_and_plots(tmp_path: Path) -> None:
    out = tmp_path / "rob"
    result = run("robustness", "--runs", "640", "--seed", "3", "--sobol", "--top", "6",
                 "--out", str(out), "--plot", "svg")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "Tokyo–Yokohama" in text and "3–4" in text  # Seoul/Beijing interval
    assert "Sobol indices" in text and "weight:pct_applications" in text
    assert "no [uncertainty] table" in text
    names = {p.name for p in out.iterdir()}
    assert {"intervals.csv", "intervals.json", "intervals.parquet", "samples.parquet",
            "sobol.csv", "sobol.json", "sobol.parquet", "rank_intervals.svg",
            "sobol.svg"} <= names
    table = pl.read_csv(out / "intervals.csv")
    assert table.height == 34
    top = table.filter(pl.col("nominal_rank") <= 2)
    assert top["rank_p95"].to_list() == [1, 2]
    doc = json.loads((out / "intervals.json").read_text())
    assert doc["provenance"]["runs"] == 640 and doc["provenance"]["seed"] == 3
    assert pl.read_parquet(out / "samples.parquet").height == 640
    assert (out / "rank_intervals.svg").read_text().lstrip().startswith("<?xml")
    sobol = pl.read_csv(out / "sobol.csv")
    assert set(sobol["factor"]) == {"weight:pct_applications", "weight:scientific_publications"}


@pytest.mark.slow
def test_robustness_reads_the_uncertainty_table_and_options_override(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    m = load_methodology("gii-clusters")
    toml = m.to_toml() + '\n[uncertainty]\nweights = 0.1\naggregation = ["sum", "arithmetic"]\n'
    path = tmp_path / "m.toml"
    path.write_text(toml)
    out = tmp_path / "o"
    assert main(["robustness", "--method", str(path), "--runs", "200", "--weights", "0.3",
                 "--out", str(out), "--plot", "png"]) == 0
    prov = json.loads((out / "intervals.json").read_text())["provenance"]
    assert prov["factors"] == ["weight:pct_applications", "weight:scientific_publications",
                               "aggregation"]
    assert prov["uncertainty"]["weights"] == 0.3
    assert (out / "rank_intervals.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Rank intervals: 200 runs" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "message"), [
    (["--weights", "-0.25"], "negative weight range"),
    (["--aggregation", "arithmetic,geometrik"], "unknown aggregation method 'geometrik'"),
    (["--normalisation", "minmax,zscroe"], "did you mean 'zscore'"),
    (["--treatment", "on,sometimes"], "unknown treatment choice"),
    (["--sobol", "--runs", "40"], "needs at least 64 runs"),
    (["--runs", "0"], "runs must be a positive integer"),
])
def test_invalid_specs_exit_2_with_one_message(args: list[str], message: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["robustness", *args]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_rank_intervals_columns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rank", "--intervals", "--runs", "300", "--top", "4", "--format", "csv"]) == 0
    table = pl.read_csv(__import__("io").StringIO(capsys.readouterr().out))
    assert {"median_rank", "rank_p05", "rank_p95", "p_top10"} <= set(table.columns)
    rows = {r["unit_id"]: r for r in table.iter_rows(named=True)}
    assert (rows["seoul"]["rank_p05"], rows["seoul"]["rank_p95"]) == (3, 4)
    assert rows["tokyo-yokohama"]["p_top10"] == 1.0
    assert main(["rank", "--intervals", "--runs", "100", "--top", "3"]) == 0
    assert "5-95% rank" in capsys.readouterr().out
    assert main(["rank", "--weight-uncertainty", "0.2"]) == 2
