"""Claim checks. References: GII 2023 Appendix Table 3 figures (bundled
edition), the GII 2025 list and its quoted shares, the reference README's
notes (Daedeok Innopolis is in Daejeon; Tokyo-Yokohama leads PCT filings)."""

from __future__ import annotations

import polars as pl
import pytest

from techhubs.compare import check_claims, load_facts
from techhubs.errors import DataError, UnknownNameError
from techhubs.panel import Panel


@pytest.fixture(scope="module")
def checked() -> pl.DataFrame:
    return check_claims()


def one(frame: pl.DataFrame, place: str, fact: str) -> dict:
    rows = frame.filter((pl.col("place") == place) & (pl.col("fact") == fact))
    assert rows.height == 1
    return rows.row(0, named=True)


def test_every_fact_gets_one_result(checked: pl.DataFrame) -> None:
    assert checked.height == load_facts().height == 33
    assert set(checked["status"]) <= {"supported", "contradicted", "not checkable"}


def test_seoul_patent_filings_contradicted_with_figures(checked: pl.DataFrame) -> None:
    row = one(checked, "Seoul", "patent_filings")
    assert row["status"] == "contradicted"
    assert "Tokyo–Yokohama 127,418" in row["figures"] and "Seoul 63,447" in row["figures"]
    assert "gii-2023" in row["figures"]
    assert "ranks 3 of 34" in row["explanation"]


def test_daedeok_innopolis_is_in_daejeon(checked: pl.DataFrame) -> None:
    row = one(checked, "Seoul", "innovation_district")
    assert row["status"] == "contradicted"
    assert "Daejeon" in row["figures"] and "rank 18" in row["figures"]
    # The claim is the article's words; the reviewer's note stays out of it.
    assert row["statement"] == "Daedeok Innopolis, a 7.2 km2 hub"


def test_no_claim_carries_its_own_verdict() -> None:
    facts = load_facts()
    for row in facts.iter_rows(named=True):
        # A place the verdict depends on never appears in the claim unless the article says it.
        assert "(" not in row["statement"] or "is in" not in row["statement"], row
    noted = facts.filter(pl.col("note") != "")
    assert noted["fact"].to_list() == ["innovation_district"]


def test_rank_and_share_claims_against_gii_2025(checked: pl.DataFrame) -> None:
    ranks = checked.filter(pl.col("fact") == "rank")
    assert ranks.height == 5 and set(ranks["status"]) == {"supported"}
    assert one(checked, "Tokyo–Yokohama", "pct_share_pct")["figures"] == (
        "PCT share: claimed >10%, published 10.3%")
    vc = one(checked, "San Jose–San Francisco", "vc_share_pct")
    assert vc["status"] == "supported" and "6.9%" in vc["figures"]  # 7% at 0 decimals
    assert one(checked, "Seoul", "pct_share_pct")["status"] == "supported"
    assert one(checked, "Beijing", "publications_share_pct")["status"] == "supported"


def test_not_checkable_claims_say_why(checked: pl.DataFrame) -> None:
    pc = one(checked, "Seoul", "patents_per_capita_rank")
    # Without population, or with only a lower bound of it, per capita cannot be settled.
    assert pc["status"] == "not checkable" and "population" in pc["explanation"]
    assert "no bundled data" in one(checked, "Munich", "carbon_neutral_target")["explanation"]
    patents = one(checked, "Shenzhen", "patents")
    assert patents["status"] == "not checkable" and "113,482" in patents["figures"]


def facts(*rows: tuple[str, str, str]) -> pl.DataFrame:
    return pl.DataFrame({"place": [r[0] for r in rows], "fact": [r[1] for r in rows],
                         "value": [r[2] for r in rows], "statement": ["s"] * len(rows),
                         "source_title": ["t"] * len(rows)})


def test_wrong_claims_are_contradicted() -> None:
    out = check_claims(facts(("Seoul", "rank", "1"), ("Tokyo–Yokohama", "pct_share_pct", ">12"),
                             ("Tokyo", "patent_filings", "highest"),
                             ("Beijing", "publications_share_pct", "4.5"),
                             ("Atlantis Qx", "rank", "3")))
    assert out["status"].to_list() == ["contradicted", "contradicted", "supported",
                                       "contradicted", "not checkable"]
    assert "rank 5" in out["figures"][0]


def test_share_falls_back_to_edition_figures() -> None:
    # Nagoya has no share quoted in the GII 2025 list; GII 2023 published 1.4%.
    out = check_claims(facts(("Nagoya", "pct_share_pct", "1.4")))
    assert out["status"][0] == "supported" and "gii-2023" in out["data"][0]


def test_per_capita_with_population() -> None:
    panel = Panel.from_frame(pl.DataFrame({
        "unit_id": ["a", "b", "c", "seoul"], "name": ["Tokyo", "Paris", "Boston", "Seoul"],
        "population": [1e6, 1e6, 1e6, 1e6], "pct_applications": [10.0, 9.0, 8.0, 1.0]}),
        indicators=[{"code": "pct_applications"}])
    out = check_claims(facts(("Seoul", "patents_per_capita_rank", "top 2")), panel=panel,
                       edition="mine")
    row = out.row(0, named=True)
    assert row["status"] == "contradicted" and "rank 4 of 4" in row["figures"]
    rough = Panel.from_frame(panel.units.join(panel.values, on="unit_id"),
                             indicators=[{"code": "pct_applications"}],
                             provenance={"places_note": "population: a lower bound"})
    out = check_claims(facts(("Seoul", "patents_per_capita_rank", "top 2")), panel=rough,
                       edition="mine")
    assert out["status"][0] == "not checkable" and "indicative" in out["figures"][0]
    no_pop = Panel.from_frame(panel.units.drop("population").join(panel.values, on="unit_id"),
                              indicators=[{"code": "pct_applications"}])
    out = check_claims(facts(("Seoul", "patents_per_capita_rank", "top 2")), panel=no_pop,
                       edition="mine")
    assert out["status"][0] == "not checkable" and "no population" in out["explanation"][0]


def test_bad_inputs(tmp_path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("place,fact\nSeoul,rank\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing columns"):
        load_facts(path)
    with pytest.raises(UnknownNameError):
        check_claims(ranking="gii-2099")


def test_rank_claim_uses_the_edition_the_statement_names() -> None:
    frame = pl.DataFrame({"place": ["Seoul", "Seoul"], "fact": ["rank", "rank"],
                          "value": ["4", "4"],
                          "statement": ["GII 2024 S&T cluster rank", "GII 2025 S&T cluster rank"],
                          "source_title": ["t", "t"]})
    out = check_claims(frame)
    assert out["status"].to_list() == ["supported", "contradicted"]
    assert out["data"].to_list() == ["published ranking gii-2024", "published ranking gii-2025"]


def test_member_names_count_only_in_the_units_economy() -> None:
    from techhubs.compare import match_to_units, resolve_hub

    panel = Panel.from_frame(pl.DataFrame({
        "unit_id": ["ldn"], "name": ["Cluster"], "economies": ["GB"], "members": ["London"],
        "x": [1.0]}), indicators=[{"code": "x"}])
    assert match_to_units(resolve_hub("London, United Kingdom"), panel)[0] == "ldn"
    assert match_to_units(resolve_hub("London, Ontario, Canada"), panel)[0] is None
