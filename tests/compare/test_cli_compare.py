"""The compare/consensus/movers/claims/resolve commands (exit codes, output)."""

from __future__ import annotations

import json

import pytest

from techhubs.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_claims_marks_seoul_contradicted_with_figures(capsys) -> None:
    code, out, _ = run(capsys, "claims", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    seoul = next(r for r in rows if r["place"] == "Seoul" and r["fact"] == "patent_filings")
    assert seoul["status"] == "contradicted"
    assert "Tokyo–Yokohama 127,418 vs Seoul 63,447 PCT applications" in seoul["figures"]


def test_claims_table(capsys) -> None:
    code, out, _ = run(capsys, "claims", "--checkable")
    assert code == 0 and "contradicted" in out and "supported: 9" in out
    assert "not checkable" not in out.split("\n")[-2]


def test_compare_json_and_table(capsys) -> None:
    code, out, _ = run(capsys, "compare", "gii-2024", "article-high-tech-innovative",
                       "gii-2025", "--format", "json")
    assert code == 0
    data = json.loads(out, parse_constant=lambda c: pytest.fail(f"invalid JSON {c}"))
    assert data["pairs"][0]["kendall_tau_b"] is None  # unranked list: no tau
    data["pairs"] = [p for p in data["pairs"] if p["ranking_b"] == "gii-2025"
                     and p["ranking_a"] == "gii-2024"]
    pair = data["pairs"][0]
    assert pair["n_common"] == 11 and data["unresolved"] == []
    # (50 - 5) / 55: SZ/Tokyo, SJ-SF over 3, and Cairo/Kuala Lumpur swap
    assert pair["kendall_tau_b"] == pytest.approx(45 / 55)
    code, out, _ = run(capsys, "compare")
    assert code == 0 and "Kendall tau-b" in out and "all names resolved" in out
    assert "rows not compared" in out
    code, out, _ = run(capsys, "compare", "gii-2018", "gii-2023", "-f", "csv")
    header, row = out.strip().splitlines()
    assert header.startswith("ranking_a,ranking_b,n_a,n_b,n_common,kendall_tau_b,rbo")
    assert row.startswith("gii-2018,gii-2023,10,34,10,")


def test_consensus_methods(capsys) -> None:
    code, out, _ = run(capsys, "consensus", "--method", "kemeny", "--top", "5")
    assert code == 0 and "approximation" in out
    code, out, _ = run(capsys, "consensus", "--method", "schulze", "-f", "csv",
                       "gii-2023", "gii-2024")
    lines = out.strip().splitlines()
    assert lines[0].startswith("position,rank,item,label")
    assert lines[1].split(",")[2] == "tokyo-yokohama"


def test_movers_london(capsys) -> None:
    code, out, _ = run(capsys, "movers", "gii-2024", "gii-2025", "-f", "json")
    assert code == 0
    london = next(r for r in json.loads(out) if r["name"] == "London")
    assert (london["rank_before"], london["rank_after"], london["change"]) == (21, 8, 13)


def test_resolve_command(capsys) -> None:
    code, out, _ = run(capsys, "resolve", "Silicon Valley", "Qxzvbn Wyrtlk", "-f", "json")
    assert code == 0
    sv, bad = json.loads(out)
    assert sv["unit_id"] == "san-jose-san-francisco" and sv["method"] == "alias"
    assert bad["places"] == [] and bad["unit_id"] is None
    code, out, _ = run(capsys, "resolve", "Shenzhen–Hong Kong")
    assert code == 0 and "shenzhen-hong-kong-guangzhou" in out and "1795565" in out


def test_errors_exit_2(capsys, tmp_path) -> None:
    code, _, err = run(capsys, "compare", "gii-2099")
    assert code == 2 and "no ranking named 'gii-2099'" in err
    bad = tmp_path / "r.csv"
    bad.write_text("ranking,year,publisher,title,kind,rank,name_as_published,note\n"
                   "a,2024,p,t,ranked,x,Tokyo,\n", encoding="utf-8")
    code, _, err = run(capsys, "compare", "--rankings", str(bad))
    assert code == 2 and f"{bad}:2" in err
    code, _, err = run(capsys, "movers", "gii-2024")
    assert code == 2
