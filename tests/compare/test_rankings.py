"""Published rankings: validation, hub identity, movers. Reference: the bundled
published_rankings.csv (copy of the reference file) and its notes."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from techhubs.compare import (
    editions_of,
    load_rankings,
    movers,
    ranked_lists,
    resolve_rankings,
    unresolved,
)
from techhubs.compare.rankings import RANKING_COLUMNS, RankedList
from techhubs.errors import DataError, UnknownNameError

HEADER = "ranking,year,publisher,title,kind,rank,name_as_published,note\n"


@pytest.fixture(scope="module")
def resolved() -> pl.DataFrame:
    return resolve_rankings()


def test_bundled_rankings_load() -> None:
    frame = load_rankings()
    assert frame.height == 133
    counts = dict(frame.group_by("ranking").len().iter_rows())
    assert counts["gii-2023"] == 34 and counts["gii-2025"] == 31
    assert counts["gii-2025-intensity"] == 5
    assert counts["article-high-tech-innovative"] == 10
    unranked = frame.filter(~pl.col("ordered"))
    assert unranked["rank"].null_count() == unranked.height
    gii25 = frame.filter(pl.col("ranking") == "gii-2025")
    assert gii25["position"].to_list() == list(range(1, 32))
    # placings added at the end of the file take their place by rank
    assert gii25["rank"].to_list() == sorted(gii25["rank"].to_list())
    assert gii25.filter(pl.col("name_as_published") == "Singapore")["position"][0] == 16
    assert frame["line"][0] == 2


def test_the_reference_file_is_the_bundled_copy() -> None:
    from conftest import shared_file

    path = shared_file("reference/published_rankings.csv")
    assert load_rankings(path).drop("line").equals(load_rankings().drop("line"))


def test_every_row_resolves_and_is_used_or_dropped_with_reason(resolved: pl.DataFrame) -> None:
    assert unresolved(resolved).height == 0, unresolved(resolved)
    lists = ranked_lists(resolved)
    used = sum(len(lst) for lst in lists)
    dropped = [d for lst in lists for d in lst.dropped]
    assert used + len(dropped) == resolved.height
    # One article names Silicon Valley and San Francisco: one hub, counted once.
    assert dropped == [("San Francisco",
                        "same hub as 'Silicon Valley (San Jose, CA, USA)' "
                        "(san-jose-san-francisco)")]


def test_spellings_share_hub_keys_across_rankings(resolved: pl.DataFrame) -> None:
    keys = dict(zip(resolved["name_as_published"], resolved["hub_key"], strict=False))
    for name in ("San Jose–San Francisco, CA", "San Jose–San Francisco",
                 "San Francisco – Silicon Valley, USA", "Silicon Valley (San Jose, CA, USA)",
                 "San Francisco, USA"):
        assert keys[name] == "san-jose-san-francisco", name
    for name in ("Shenzhen – Hong Kong – Guangzhou, China", "Shenzhen–Hong Kong"):
        assert keys[name] == "shenzhen-hong-kong-guangzhou", name
    assert keys["Bengaluru"] == keys["Bangalore"] == "gn:1277333"


def test_custom_csv_of_the_same_layout(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(HEADER + "mine,2024,me,t,ranked,1,Tokyo,\nmine,2024,me,t,ranked,2,Seoul,\n"
                    "list,,me,t,unranked list,,Paris,\n", encoding="utf-8")
    frame = resolve_rankings(load_rankings(path))
    lists = ranked_lists(frame)
    assert [(lst.name, lst.items, lst.ordered) for lst in lists] == [
        ("mine", ("tokyo-yokohama", "seoul"), True), ("list", ("paris",), False)]


@pytest.mark.parametrize(("row", "line", "fragment"), [
    ("a,2024,p,t,sorted,1,Tokyo,", 2, "neither"),
    ("a,2024,p,t,ranked,x,Tokyo,", 2, "not a positive integer"),
    ("a,2024,p,t,ranked,0,Tokyo,", 2, "not a positive integer"),
    ("a,,p,t,unranked,3,Tokyo,", 2, "unranked row has rank"),
    ("a,24,p,t,ranked,1,Tokyo,", 2, "4-digit year"),
    ("a,2024,p,t,ranked,1,,", 2, "empty name"),
    ("a,2024,p,t,ranked,1,Tokyo,\na,2024,p,t,ranked,2,tokyo,", 3, "appears twice"),
    ("a,2024,p,t,ranked,1,Tokyo,\na,2024,p,t,unranked,,Seoul,", 3, "mixes"),
])
def test_malformed_rows_name_file_and_line(tmp_path: Path, row: str, line: int,
                                           fragment: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + row + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_rankings(path)
    assert err.value.line == line and fragment in err.value.message
    assert err.value.file == str(path)


def test_missing_columns_and_files(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("ranking,rank\na,1\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing columns"):
        load_rankings(path)
    with pytest.raises(DataError, match="not found"):
        load_rankings(tmp_path / "nope.csv")


def test_unknown_ranking_name(resolved: pl.DataFrame) -> None:
    with pytest.raises(UnknownNameError) as err:
        ranked_lists(resolved, ["gii-2099"])
    assert "gii-2025" in (err.value.hint or "")


def test_tie_groups_use_published_ranks() -> None:
    lst = RankedList.ranked("x", ["a", "b", "c", "d"], [1, 2, 2, 21])
    assert lst.tie_groups() == [(1, ["a"]), (2, ["b", "c"]), (21, ["d"])]
    assert RankedList.unranked("u", ["a", "b"]).tie_groups() == [(1, ["a", "b"])]
    with pytest.raises(ValueError, match="twice"):
        RankedList.ranked("x", ["a", "a"])


def test_movers_gii_2024_to_2025(resolved: pl.DataFrame) -> None:
    table = movers(resolved, "gii-2024", "gii-2025")
    rows = {r["name"]: r for r in table.iter_rows(named=True)}
    london = rows["London"]
    assert (london["rank_before"], london["rank_after"], london["change"]) == (21, 8, 13)
    assert london["source"] == "note of gii-2025: 'up from 21st'"
    assert rows["Bengaluru"]["rank_before"] == 56 and rows["Bengaluru"]["change"] == 35
    assert rows["San Jose–San Francisco"]["rank_before"] == 6
    assert rows["San Jose–San Francisco"]["change"] == 3
    assert rows["Tokyo–Yokohama"]["change"] == -1
    assert rows["Ningbo"]["source"] == "new entrant" and rows["Ningbo"]["change"] is None
    assert rows["New York City"]["source"] == "not in gii-2024 (partial list)"
    assert table.height == 31


def test_consecutive_editions(resolved: pl.DataFrame) -> None:
    assert editions_of(resolved) == [("gii-2018", "gii-2023"), ("gii-2023", "gii-2024"),
                                      ("gii-2024", "gii-2025"),
                                      ("gii-2023-intensity", "gii-2024-intensity"),
                                      ("gii-2024-intensity", "gii-2025-intensity")]


def test_a_ranked_list_may_be_written_out_of_order(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(",".join(RANKING_COLUMNS) + "\n"
                    "a,2024,p,t,ranked,2,Tokyo,\nb,2024,p,t,ranked,1,Paris,\n"
                    "a,2024,p,t,ranked,1,Seoul,\n", encoding="utf-8")
    frame = load_rankings(path)
    a = frame.filter(pl.col("ranking") == "a")
    assert a["name_as_published"].to_list() == ["Seoul", "Tokyo"]
    assert a["position"].to_list() == [1, 2] and a["line"].to_list() == [4, 2]
    assert frame["ranking"].to_list() == ["a", "a", "b"]  # lists in order of appearance
