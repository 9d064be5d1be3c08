"""`techhubs build` and `techhubs simulate` on the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl

from techhubs.cli import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "build"


def test_build_project_prints_ranking_and_reuses_cache(tmp_path, capsys) -> None:
    shutil.copy(FIXTURE / "points.csv", tmp_path / "points.csv")
    shutil.copy(FIXTURE / "project.toml", tmp_path / "project.toml")
    assert main(["build", str(tmp_path / "project.toml")]) == 0
    out = capsys.readouterr()
    assert "Paris" in out.out and "stages run: ingest, aggregate, clusters" in out.out
    assert "ran" in out.err and "skipped robustness" in out.err
    assert main(["build", str(tmp_path / "project.toml"), "--json", "-q"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    assert {s["status"] for s in manifest["this_run"]} == {"cached", "skipped"}
    assert {s["status"] for s in manifest["stages"]} == {"ran", "skipped"}  # the writing run
    assert main(["build", str(tmp_path / "project.toml"), "--from", "index", "-q"]) == 0
    assert "stages run: index, outputs" in capsys.readouterr().out


def test_build_needs_a_project_or_demo(capsys) -> None:
    assert main(["build"]) == 2
    assert "PROJECT" in capsys.readouterr().err


def test_bad_project_is_one_clear_error(tmp_path, capsys) -> None:
    bad = tmp_path / "p.toml"
    bad.write_text('[[inputs]]\nsource = "patents"\nformat = "xml"\npaths = []\n')
    assert main(["build", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "inputs[0].format" in err and "unknown format" in err


def test_simulate_writes_a_labelled_world(tmp_path, capsys) -> None:
    assert main(["simulate", str(tmp_path / "w"), "--scale", "0.001", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out and "patents" in out and "documents" in out
    summary = json.loads((tmp_path / "w" / "SYNTHETIC.json").read_text())
    assert abs(summary["sources"]["patents"]["documents"] - 1256) <= 35  # rounding per cluster
    pts = pl.read_parquet(tmp_path / "w" / "publications.parquet")
    assert pts["weight"].sum() > 7_456_000


def test_example_project_is_a_valid_project(tmp_path, capsys) -> None:
    from techhubs.pipeline import load_config

    assert main(["build", "--example"]) == 0
    text = capsys.readouterr().out
    (tmp_path / "data").mkdir()
    for source in ("patents", "publications"):
        shutil.copy(FIXTURE / "points.csv", tmp_path / "data" / f"{source}.parquet.csv")
    (tmp_path / "openalex" / "data" / "works").mkdir(parents=True)  # a snapshot folder
    (tmp_path / "institutions.jsonl").write_text("")
    project = tmp_path / "p.toml"
    project.write_text(text.replace(".parquet", ".parquet.csv"))
    config = load_config(project)
    assert config.clustering.min_weight == {"patents": 100.0, "publications": 600.0}
    assert config.compare_edition == "gii-2023"
