"""`techhubs rank | editions | methods | explain` as a user runs them (real subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from techhubs.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "techhubs", *args], capture_output=True,
                          text=True, timeout=120)


def test_rank_default_table() -> None:
    result = run("rank")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for name in ("Tokyo–Yokohama", "Shenzhen–Hong Kong–Guangzhou", "Tehran"):
        assert name in out
    assert out.index("Tokyo–Yokohama") < out.index("Seoul") < out.index("Beijing")
    assert "WIPO" in out  # the source line


def test_rank_csv_json_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rank", "--top", "3", "--format", "csv"]) == 0
    csv = capsys.readouterr().out.splitlines()
    assert csv[0].startswith("rank,unit_id,name,economies,score")
    assert len(csv) == 4 and "Tokyo–Yokohama" in csv[1]
    assert main(["rank", "--format", "json", "--top", "2"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["provenance"]["edition"] == "gii-2023"
    assert [r["name"] for r in doc["rows"]] == ["Tokyo–Yokohama", "Shenzhen–Hong Kong–Guangzhou"]
    out = tmp_path / "r.parquet"
    assert main(["rank", "--out", str(out)]) == 0
    import pyarrow.parquet as pq

    table = pq.read_table(out)
    prov = json.loads(table.schema.metadata[b"techhubs.provenance"])
    assert prov["methodology"] == "gii-clusters" and table.num_rows == 34
    csv_out = tmp_path / "r.csv"
    assert main(["rank", "--out", str(csv_out), "--economy", "us"]) == 0
    frame = pl.read_csv(csv_out)
    assert set(frame["economies"]) == {"US"} and frame.height == 9
    assert (tmp_path / "r.csv.provenance.json").exists()


def test_editions_methods_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["editions", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["name"] == "gii-2023"
    assert main(["methods", "--format", "json"]) == 0
    names = [m["name"] for m in json.loads(capsys.readouterr().out)]
    assert names == ["gii-clusters", "gii-intensity", "hub-factors"]
    assert main(["explain", "Seoul", "--format", "json"]) == 0
    e = json.loads(capsys.readouterr().out)
    assert e["rank"] == 3 and e["above"]["name"] == "Shenzhen–Hong Kong–Guangzhou"
    pct = next(r for r in e["above"]["indicators"] if r["code"] == "pct_applications")
    # Seoul needs (11.0921 - 6.8447)% of the world PCT total more to overtake: exact for shares.
    expected = (e["above"]["score_gap"]) / 100 * 1_255_500
    assert pct["extra_to_overtake"] == pytest.approx(expected, rel=1e-4)
    assert pct["gap"] == 113_482 - 63_447


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


METHOD = """name = "m"
[[indicator]]
code = "a"
parent = "index"
[[indicator]]
code = "b"
parent = "index"
direction = -1
[[node]]
code = "index"
"""


def test_rank_user_data(tmp_path: Path) -> None:
    data = write(tmp_path, "d.csv", "unit_id,name,economies,a,b\nx,X,AA,1,5\ny,Y,BB,3,1\n"
                 "z,Z,CC,2,\n")
    method = write(tmp_path, "m.toml", METHOD)
    result = run("rank", "--data", str(data), "--method", str(method), "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = pl.read_csv(result.stdout.encode())
    assert rows["unit_id"].to_list() == ["y", "z", "x"]


@pytest.mark.parametrize(
    "data,method_edit,needle",
    [
        ("unit,name,a,b\nx,X,1,2\n", None, "missing required column 'unit_id'"),
        ("unit_id,name,a,b\nx,X,1,2\ny,Y,oops,3\n", None,
         "d.csv:3: a: non-numeric value 'oops'"),
        ("unit_id,name,a,b\nx,X,1,2\nx,Y,3,3\n", None, "d.csv:3: unit_id: duplicate unit id 'x'"),
        ("unit_id,name,a,c\nx,X,1,2\n", None, "unknown indicator 'b'"),
        ("unit_id,name,a,b\nx,X,1,2\n", ("parent = \"index\"\n[[indicator]]",
                                        "parent = \"index\"\nweight = -1\n[[indicator]]"),
         "negative weight"),
        ("unit_id,name,a,b\nx,X,1,2\n", ('[[node]]\ncode = "index"\n',
                                        '[[node]]\ncode = "index"\n[aggregate]\nmethod = "avg"\n'),
         "aggregate.method: unknown method 'avg'"),
        ("", None, "no data rows"),
        ("unit_id,name,a,b\nx,X,1,2\n", ('[[node]]\ncode = "index"\n',
                                        '[[node]]\ncode = "index"\nparent = "p"\n'
                                        '[[node]]\ncode = "p"\nparent = "index"\n'),
         "cycle in the tree"),
        ("unit_id,name,a,b\nx,X,1,2\n", ('name = "m"', 'name = "m"\nweights_sum = 1.0'),
         "weights of the children of 'index' sum to 2, but weights_sum = 1"),
    ],
)
def test_bad_input_exits_2_with_one_clear_message(tmp_path: Path, data: str, method_edit,
                                                 needle: str) -> None:
    text = METHOD if method_edit is None else METHOD.replace(*method_edit, 1)
    method = write(tmp_path, "m.toml", text)
    path = write(tmp_path, "d.csv", data)
    result = run("rank", "--data", str(path), "--method", str(method))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert needle in result.stderr, result.stderr
    assert str(tmp_path) in result.stderr  # names the file
    assert result.stderr.startswith("error: ")


def test_unknown_edition_and_unit() -> None:
    result = run("rank", "--edition", "gii-1999")
    assert result.returncode == 2 and "no edition named 'gii-1999'" in result.stderr
    result = run("explain", "Atlantis")
    assert result.returncode == 2 and "no unit named 'Atlantis'" in result.stderr
    result = run("rank", "--bogus")
    assert result.returncode == 2 and "No such option" in result.stderr


def test_help_lists_commands() -> None:
    result = run("--help")
    for command in ("rank", "editions", "methods", "explain"):
        assert command in result.stdout
