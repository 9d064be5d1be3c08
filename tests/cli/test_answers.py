"""Kept answers of `techhubs rank`. Reference: the same command computed afresh (a fresh
cache folder): the output is the same bytes, whatever was kept."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from techhubs.cli import main
from techhubs.cli._answers import answer_key


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TECHHUBS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("COLUMNS", "120")
    return tmp_path / "cache"


@pytest.mark.parametrize("argv", [["rank"], ["rank", "-e", "gii-2025"],
                                  ["rank", "--top", "5", "-f", "csv"],
                                  ["rank", "--economy", "DE", "-f", "json"]])
def test_a_kept_answer_prints_what_a_fresh_one_prints(argv: list[str], fresh_cache: Path,
                                                      capsys) -> None:
    assert main(argv) == 0
    fresh = capsys.readouterr().out
    assert (fresh_cache / "answers").exists()
    assert main(argv) == 0
    assert capsys.readouterr().out == fresh


def test_a_damaged_answer_is_recomputed(fresh_cache: Path, capsys) -> None:
    assert main(["rank", "-f", "csv"]) == 0
    fresh = capsys.readouterr().out
    # What was printed, damaged: the hash check refuses it.
    for kept in (fresh_cache / "answers").glob("*.txt.json"):
        kept.write_text(kept.read_text().replace("Tokyo", "Tokio"))
    assert main(["rank", "-f", "csv"]) == 0
    assert capsys.readouterr().out == fresh
    # The ranking itself, damaged (and nothing printed kept): recomputed.
    for kept in (fresh_cache / "answers").glob("*.txt.json"):
        kept.unlink()
    for table in (fresh_cache / "answers").rglob("table.parquet"):
        data = bytearray(table.read_bytes())
        data[40] ^= 0xFF
        table.write_bytes(bytes(data))
    assert main(["rank", "-f", "csv"]) == 0
    assert capsys.readouterr().out == fresh


def test_the_key_follows_the_methodology_file(tmp_path: Path) -> None:
    method = tmp_path / "m.toml"
    method.write_text("a = 1\n")
    first = answer_key("rank", method=str(method))
    method.write_text("a = 2\n")
    assert answer_key("rank", method=str(method)) != first
    assert answer_key("rank", top=3) != answer_key("rank", top=4)


def test_a_kept_answer_loads_no_numerical_package(tmp_path: Path) -> None:
    env = {**os.environ, "TECHHUBS_CACHE": str(tmp_path), "COLUMNS": "100",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    argv = [sys.executable, "-X", "importtime", "-m", "techhubs", "rank"]
    first = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    again = subprocess.run(argv, env=env, capture_output=True, text=True, check=True)
    assert again.stdout == first.stdout and "Tokyo–Yokohama" in again.stdout
    loaded = {line.split("|")[-1].strip() for line in again.stderr.splitlines()}
    assert "polars" in {line.split("|")[-1].strip() for line in first.stderr.splitlines()}
    assert not loaded & {"polars", "numpy", "rich", "pydantic", "techhubs.workflows"}
