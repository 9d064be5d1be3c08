"""Readers on Dask. Reference: the same files ingested by one process and aggregated by
DuckDB (``techhubs.aggregate``); repeated ids across files resolved as one run does."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from techhubs.aggregate import aggregate
from techhubs.errors import DataError
from techhubs.sources.accounting import DUPLICATE
from techhubs.sources.registry import make_reader

pytestmark = [
    pytest.mark.slow,
    # distributed itself may leave a socket open on teardown when another test process
    # holds its dashboard port (distributed/node.py); techhubs closes what it opens
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def table_files(folder: Path) -> list[Path]:
    """Three CSV files of points with ids; ids 5 and 17 appear again in later files."""
    rows = [[(f"r{i}", 48.85 + (i % 7) / 100, 2.35 + (i % 5) / 100, 2000 + i % 3)
             for i in range(k * 20, k * 20 + 20)] for k in range(3)]
    rows[1].append(("r5", 10.0, 10.0, 2001))   # repeats the first file's r5
    rows[2].append(("r17", 11.0, 11.0, 2001))  # repeats the first file's r17
    rows[2].append(("r25", 12.0, 12.0, 2002))  # repeats the second file's r25
    files = []
    for k, part in enumerate(rows):
        path = folder / f"part{k}.csv"
        path.write_text("id,lat,lon,year\n" + "".join(f"{a},{b},{c},{d}\n" for a, b, c, d in part))
        files.append(path)
    return files


OPTIONS = {"id": "id", "lat": "lat", "lon": "lon", "year": "year"}


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with (LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                       dashboard_address=None) as cluster, Client(cluster) as c):
        yield c


def one_process(fmt: str, files: list[Path], options: dict, source: str, folder: Path):
    reader = make_reader(fmt, options, source=source)
    report = reader.write(files, folder / "serial.parquet")
    return aggregate(folder / "serial.parquet", engine="duckdb"), report


def test_table_files_on_two_workers_equal_one_process(client, tmp_path: Path) -> None:
    from techhubs.pipeline.distributed import ingest_on_dask

    files = table_files(tmp_path)
    expected, serial = one_process("table", files, OPTIONS, "vc", tmp_path)
    got, report = ingest_on_dask("table", files, OPTIONS, source="vc", scheduler=client)
    keys = ["source", "year", "latitude", "longitude"]
    assert got.sort(keys).equals(expected.sort(keys))  # weights of 1: exactly equal
    assert report.records_read == serial.records_read == 63
    assert report.records_used == serial.records_used == 60
    assert report.dropped == serial.dropped == {DUPLICATE: 3}


def test_openalex_snapshot_on_two_workers(client, tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sources"))
    from test_openalex import INSTITUTIONS, WORKS, lines, write_snapshot

    from techhubs.pipeline.distributed import ingest_on_dask

    (tmp_path / "i.jsonl").write_bytes(lines(INSTITUTIONS))
    # the duplicate W1 sits in the second part: found across files
    works = write_snapshot(tmp_path / "snap", [WORKS[:5], WORKS[5:]])
    options = {"institutions": str(tmp_path / "i.jsonl"), "rules": "gii-2023"}
    expected, serial = one_process("openalex", [works], options, "publications", tmp_path)
    got, report = ingest_on_dask("openalex", [works], options, source="publications",
                                 scheduler=client)
    keys = ["source", "year", "latitude", "longitude"]
    a, b = got.sort(keys), expected.sort(keys)
    assert a.select([*keys, "n_records"]).equals(b.select([*keys, "n_records"]))
    assert (a["weight"] - b["weight"]).abs().max() < 1e-12
    assert report.dropped == serial.dropped and report.dropped[DUPLICATE] == 1
    assert report.records_used == serial.records_used == 2
    json.dumps(report.to_dict(), default=str)


def test_joined_formats_are_refused(tmp_path: Path) -> None:
    from techhubs.pipeline.distributed import ingest_on_dask

    with pytest.raises(DataError, match="file by file"):
        ingest_on_dask("patentsview", [tmp_path / "x.tsv"], {})


def test_ingest_command_on_dask(client, tmp_path: Path, capsys) -> None:
    from techhubs.cli import main

    files = table_files(tmp_path)
    expected, _ = one_process("table", files, OPTIONS, "vc", tmp_path)
    out = tmp_path / "located.parquet"
    code = main(["ingest", "table", *map(str, files), "--label", "vc", "--lat", "lat",
                 "--lon", "lon", "--id", "id", "--year", "year", "--engine", "dask",
                 "--scheduler", client.scheduler.address, "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    keys = ["source", "year", "latitude", "longitude"]
    assert pl.read_parquet(out).sort(keys).equals(expected.sort(keys))
    assert "locations (60 records)" in capsys.readouterr().out


def test_build_reads_its_inputs_on_dask(client, tmp_path: Path) -> None:
    from techhubs.pipeline import build, load_config

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "build"
    results = {}
    points = pl.read_csv(fixture / "points.csv", infer_schema=False)
    table = ('format = "table"\noptions = { lat = "latitude", lon = "longitude", '
             'weight = "weight", year = "year" }\n')
    for engine in ("local", "dask"):
        folder = tmp_path / engine
        folder.mkdir()
        for source in ("patents", "publications"):  # one table file per source
            points.filter(pl.col("source") == source).drop("source").write_csv(
                folder / f"{source}.csv")
        text = (fixture / "project.toml").read_text().replace(
            '[[inputs]]\nsource = "patents"\nformat = "points"\npaths = ["points.csv"]',
            "".join(f'[[inputs]]\nsource = "{s}"\npaths = ["{s}.csv"]\n{table}\n'
                    for s in ("patents", "publications")))
        assert 'format = "table"' in text
        if engine == "dask":
            text += f'\n[engine]\nname = "dask"\nscheduler = "{client.scheduler.address}"\n'
        (folder / "project.toml").write_text(text)
        results[engine] = build(load_config(folder / "project.toml"))
    local, dask = results["local"], results["dask"]
    assert dask.ranking().equals(local.ranking())
    assert dask.ranking()["name"].to_list()[:3] == ["Paris", "Munich", "Lyon"]
    keys = ["source", "year", "latitude", "longitude"]
    from techhubs.pipeline.cache import StageCache

    def located(engine: str):
        run = results[engine].stage("aggregate")
        folder = StageCache(tmp_path / engine / ".techhubs-cache").path("aggregate", run.key)
        return pl.read_parquet(folder / "locations.parquet").sort(keys)

    a, b = located("local"), located("dask")
    assert a.select([*keys, "n_records"]).equals(b.select([*keys, "n_records"]))
    assert (a["weight"] - b["weight"]).abs().max() < 1e-9
