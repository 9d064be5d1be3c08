"""Published-ranks editions (GII 2025, 2024, 2018 and the intensity top 5s).

Reference: ``../shared/reference/published_rankings.csv`` as bundled
(``datasets/data/published_rankings.csv``): every edition's ranks and names are that
file's list, and every share it carries is the one the list's note quotes.
"""

from __future__ import annotations

import re

import polars as pl
import pytest

import techhubs
from techhubs.cli import main
from techhubs.compare import load_rankings
from techhubs.datasets.editions import (
    edition_clusters,
    edition_info,
    list_editions,
    load_edition,
    published_figures,
)
from techhubs.errors import TechhubsError
from techhubs.geo.gazetteer import CLUSTER_PLACES_FILE, place_table

PUBLISHED = ["gii-2025", "gii-2024", "gii-2018", "gii-2023-intensity", "gii-2024-intensity",
             "gii-2025-intensity"]


def test_every_gii_ranking_of_the_reference_is_an_edition() -> None:
    names = {e.name for e in list_editions()}
    assert {"gii-2025", "gii-2024", "gii-2023", "gii-2018"} <= names
    assert set(PUBLISHED) <= names
    assert edition_info("gii-2023").recomputable
    assert not any(edition_info(n).recomputable for n in PUBLISHED)


@pytest.mark.parametrize("name", PUBLISHED)
def test_ranks_and_names_are_the_published_lists(name: str) -> None:
    lists = load_rankings()
    published = lists.filter(pl.col("ranking") == name).sort("rank")
    ranking = techhubs.rank(edition=name)
    assert ranking.table["rank"].to_list() == published["rank"].to_list()
    assert ranking.names() == published["name_as_published"].to_list()


def test_gii_2025_shares_are_the_quoted_ones_and_missing_ones_are_marked() -> None:
    notes = load_rankings().filter(pl.col("ranking") == "gii-2025")
    quoted = {}
    for row in notes.iter_rows(named=True):
        for metric, value in re.findall(r"(PCT|publications|VC) share ([\d.]+)%",
                                        row["note"] or ""):
            quoted[(row["name_as_published"], metric)] = float(value)
    columns = {"PCT": "pct_applications_share", "publications": "scientific_publications_share",
               "VC": "vc_deals_share"}
    table = techhubs.rank(edition="gii-2025").table
    found = {}
    for row in table.iter_rows(named=True):
        for metric, column in columns.items():
            if row[column] is not None:
                found[(row["name"], metric)] = row[column]
    assert found == quoted and len(found) == 10
    first = table.row(0, named=True)
    assert first["name"] == "Shenzhen–Hong Kong–Guangzhou"
    assert (first["pct_applications_share"], first["scientific_publications_share"],
            first["vc_deals_share"]) == (9.0, 2.4, 2.9)
    assert table["score"].null_count() == table.height  # no score is invented


def test_the_outputs_say_what_is_published_and_what_is_not(capsys) -> None:
    assert main(["rank", "-e", "gii-2025"]) == 0
    out = capsys.readouterr().out
    first = next(line for line in out.splitlines() if re.match(r"\s*1\s", line))
    assert "Shenzhen–Hong Kong–Guangzhou" in first
    assert "not published (marked –)" in out and "ranks and names of 31 clusters" in out
    assert main(["rank", "-e", "gii-2025", "-f", "json"]) == 0
    import json

    payload = json.loads(capsys.readouterr().out)
    assert payload["provenance"]["figures"] == published_figures("gii-2025")
    assert payload["rows"][0]["vc_deals_share"] == 2.9
    assert payload["rows"][2]["pct_applications_share"] is None


@pytest.mark.parametrize("argv", [["explain", "Seoul", "-e", "gii-2025"],
                                  ["robustness", "-e", "gii-2024", "--runs", "50"],
                                  ["rank", "-e", "gii-2018", "--method", "gii-clusters"]])
def test_commands_that_need_figures_say_what_is_missing(argv: list[str], capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "publishes ranks, not the figures a method needs" in err
    assert "missing" in err and "techhubs rank -e" in err


def test_python_api_refuses_to_fit_a_published_ranks_edition() -> None:
    with pytest.raises(TechhubsError, match="missing"):
        techhubs.fit(edition="gii-2025")


def test_default_rank_keeps_2023_and_names_the_newest_published(capsys) -> None:
    assert main(["rank"]) == 0
    out = capsys.readouterr().out
    assert "GII 2023" in out.splitlines()[0]
    last = " ".join(out.split("Newest published ranking:")[1].split())
    assert last.startswith("GII 2025 (WIPO, Global Innovation Index 2025) — 1 Shenzhen–Hong "
                           "Kong–Guangzhou, 2 Tokyo–Yokohama, 3 San Jose–San Francisco")
    assert "techhubs rank -e gii-2025" in last


def test_the_prebuilt_cluster_places_are_what_the_gazetteer_gives() -> None:
    # rebuild with techhubs.datasets.editions.rebuild_cluster_places() when this fails
    fresh = pl.DataFrame(place_table(edition_clusters()), infer_schema_length=None)
    bundled = pl.read_csv(CLUSTER_PLACES_FILE, infer_schema_length=0)
    assert bundled.height == fresh.height
    assert bundled["geonameid"].cast(pl.Int64).to_list() == fresh["geonameid"].to_list()
    assert bundled["cluster"].to_list() == fresh["cluster"].to_list()
    assert load_edition("gii-2025").units.filter(pl.col("unit_id") == "singapore")[
        "members"].to_list() == [["Singapore"]]
