"""A panel data file served beside the editions (``techhubs serve --data``): validated at
start-up, opened first, ranked with hub-factors when it has its factors, and the pillar
scores in the rankings and the re-rank. Reference: the engine's ``Ranking`` for the same
file (``workflows.rank``)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from techhubs import workflows
from techhubs.api import create_app
from techhubs.cli import main
from techhubs.errors import DataError
from techhubs.indicators.enrich import enrich, write_hubs

from .conftest import TestClient


@pytest.fixture(scope="module")
def hubs_file(tmp_path_factory) -> Path:
    data = write_hubs(enrich("gii-2023", []), tmp_path_factory.mktemp("data") / "hubs.csv")
    frame = pl.read_csv(data).with_columns(
        (pl.int_range(pl.len()) % 7 + 1).cast(pl.Float64).alias("talent"))
    frame.write_csv(data)
    return data


def test_a_data_file_is_served_with_its_pillars(hubs_file: Path) -> None:
    client = TestClient(create_app(data_files=[hubs_file]), base_url="http://localhost")
    status = client.get("/api/status").json()
    assert status["default_edition"] == "hubs"
    ranking = client.get("/api/rankings", params={"edition": "hubs"}).json()
    assert ranking["method"] == "hub-factors"
    assert [p["code"] for p in ranking["pillars"]] == ["people", "knowledge"]
    assert "no data for capital, infrastructure" in ranking["notes"][0]
    expected = workflows.rank(data=hubs_file, method="hub-factors").table
    got = pl.DataFrame(ranking["rows"])
    assert got["unit_id"].to_list() == expected["unit_id"].to_list()
    assert got["knowledge__score"].to_list() == pytest.approx(
        expected["knowledge__score"].to_list())
    plain = client.post("/api/rerank", json={"edition": "hubs"}).json()
    assert "knowledge__score" not in plain["rows"][0]  # only when asked for
    rerank = client.post("/api/rerank", json={"edition": "hubs", "weights": {"people": 0},
                                              "pillars": True})
    assert rerank.status_code == 200, rerank.text
    body = rerank.json()
    assert [p["name"] for p in body["pillars"]] == ["Talent", "Knowledge creation"]
    rows = pl.DataFrame(body["rows"])
    # with the talent pillar weighing nothing, the score is the knowledge pillar
    assert rows["score"].to_list() == pytest.approx(rows["knowledge__score"].to_list())
    flat = client.get("/api/rankings", params={"edition": "gii-2023"}).json()
    assert flat["pillars"] == [] and flat["notes"] == []


def test_a_bad_data_file_stops_the_app(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("unit_id,name,economies,talent\na,A,FR,1\nb,B,FR,lots\n")
    with pytest.raises(DataError, match=r"bad.csv:3: talent: non-numeric value .lots."):
        create_app(data_files=[bad])


def test_serve_method_needs_data(capsys) -> None:
    assert main(["serve", "--method", "hub-factors", "--no-browser"]) == 2
    assert "--method goes with --data" in capsys.readouterr().err
