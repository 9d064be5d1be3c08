"""Property-based fuzzing of the two documents users write most: panel CSV files and
methodology TOML files. Whatever hypothesis makes of them, ``techhubs rank`` either
refuses with one clean message (exit 2) or writes a ranking without a NaN or an infinity.

Reference: issue 13 (no traceback for any input; no non-finite value in any output).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from techhubs.cli import main

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))
CODES = ("talent", "research", "funding", "green")

def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any],
           bad_share: int = 10) -> st.SearchStrategy[Any]:
    """``good`` most of the time, ``bad`` about one draw in ``bad_share``: a document with
    a few hostile values, so that both outcomes, error and ranking, are exercised."""
    return st.integers(0, bad_share - 1).flatmap(lambda k: bad if k == 0 else good)


hostile_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-10**30, max_value=10**30),
    st.sampled_from([0, 1e308, -1e308, 1e-320, 5e-324, 1.7976931348623157e308]),
)
numbers = mostly(st.floats(min_value=0.01, max_value=1e6), hostile_numbers)
cells = mostly(
    st.floats(min_value=-1e6, max_value=1e6).map(lambda v: f"{v:.6g}"),
    st.one_of(hostile_numbers.map(str), st.text(max_size=8), st.sampled_from(
        ["", "NA", "NaN", "inf", "-inf", "1e400", "..", "n/a", "abc", " 7 ", "1,5", '"3"',
         "0x10", "1_000", "٣", "∞"])), 12)


def _run(folder: Path, argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(folder), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        code = main(argv)  # an exception escaping here is a failure
    return code, out.getvalue() + err.getvalue()


def _assert_clean(folder: Path, code: int, text: str) -> None:
    assert "Traceback" not in text
    assert code in (0, 2), (code, text)
    event(f"exit {code}" + (f": {text.split(':')[-1].strip()[:40]}" if code else ""))
    if code == 2:
        assert "error" in text.lower()
        return
    payload = json.loads((folder / "out.json").read_text(),
                         parse_constant=lambda c: (_ for _ in ()).throw(AssertionError(c)))
    for row in payload["rows"]:
        for key, value in row.items():
            assert not (isinstance(value, float) and not math.isfinite(value)), (key, value)
        assert (row["rank"] is None) == (row["score"] is None), row


def _method(codes: list[str]) -> dict[str, Any]:
    return {"name": "fuzz", "normalise": {"method": "minmax"},
            "aggregate": {"method": "arithmetic"},
            "indicator": [{"code": c, "parent": "index", "weight": 1.0} for c in codes],
            "node": [{"code": "index"}]}


@st.composite
def panels(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=4, unique=True))
    header = ["unit_id", "name", "economies", *codes]
    if draw(st.booleans()):
        header.insert(3, draw(st.sampled_from(["latitude", "longitude", "population"])))
    n = draw(st.integers(min_value=1, max_value=8))
    lines = [",".join(header)]
    for i in range(n):
        width = len(header) + draw(mostly(st.just(0), st.sampled_from([-1, 1]), 25))
        row = [f"u{i}", f"Unit {i}", draw(mostly(st.sampled_from(["US", "DE", "CN/HK", "jp"]),
                                                 st.sampled_from(["ZZZ", "", "XK", "1"])))]
        row += [draw(cells) for _ in range(max(width - 3, 0))]
        lines.append(",".join(row[:width]))
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))
    encoding = draw(mostly(st.sampled_from(["utf-8", "utf-8-sig"]),
                           st.sampled_from(["latin-1", "utf-16"])))
    return text.encode(encoding, errors="replace"), codes


@given(panels())
@SETTINGS
def test_fuzzed_panel_files_rank_cleanly(case: tuple[bytes, list[str]]) -> None:
    data, codes = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "p.csv").write_bytes(data)
        (folder / "m.toml").write_text(tomli_w.dumps(_method(codes)))
        code, text = _run(folder, ["rank", "--data", "p.csv", "--method", "m.toml",
                                   "--out", "out.json"])
        _assert_clean(folder, code, text)


PANEL = ("unit_id,name,economies,talent,research,funding,green\n"
         "a,Alpha,US,10,5,3,0\nb,Beta,JP,8,9,1,2\nc,Gamma,DE,4,4,4,\n"
         "d,Delta,FR,6,2,7,9\ne,Epsilon,KR,1,8,2,4\n")
methods = mostly(st.sampled_from(["minmax", "zscore", "rank", "percentile", "dist2max",
                                  "share", "none"]),
                 st.sampled_from(["goalposts", "fourier", ""]))
aggregations = mostly(st.sampled_from(["arithmetic", "sum", "geometric", "harmonic",
                                       "generalised", "copeland"]),
                      st.sampled_from(["median", "max"]))
values = st.one_of(numbers, st.booleans(), st.text(max_size=5))


@st.composite
def methodologies(draw: st.DrawFn) -> dict[str, Any]:
    codes = draw(mostly(st.lists(st.sampled_from(CODES), min_size=1, max_size=4, unique=True),
                        st.lists(st.sampled_from([*CODES, "nope"]), min_size=1, max_size=5)))
    pillars = draw(mostly(st.just(0), st.integers(min_value=1, max_value=2), 3))
    nodes = [{"code": "index"}] + [{"code": f"p{j}", "parent": "index",
                                    "weight": draw(numbers)} for j in range(pillars)]
    parents = ["index", *(f"p{j}" for j in range(pillars))]
    indicators = []
    for code in codes:
        entry: dict[str, Any] = {"code": code, "parent": draw(st.sampled_from(parents)),
                                 "weight": draw(numbers)}
        if draw(st.booleans()):
            entry["direction"] = draw(mostly(st.sampled_from([1, -1]), st.sampled_from([0, 2])))
        if draw(mostly(st.just(False), st.just(True), 4)):
            entry["goalposts"] = [draw(numbers), draw(numbers)]
        indicators.append(entry)
    doc: dict[str, Any] = {"name": "fuzz", "indicator": indicators, "node": nodes,
                           "normalise": {"method": draw(methods)},
                           "aggregate": {"method": draw(aggregations)}}
    for step, keys in (("normalise", ["low", "high", "mean", "sd", "scale"]),
                       ("aggregate", ["p", "min_coverage"]), ("treat", ["skew", "kurtosis"])):
        for key in draw(st.lists(st.sampled_from(keys), max_size=1, unique=True)):
            doc.setdefault(step, {})[key] = draw(mostly(
                st.floats(min_value=0.0, max_value=1.0) if key == "min_coverage" else
                st.floats(min_value=-3.0, max_value=100.0), hostile_numbers, 4))
    if draw(st.booleans()):
        doc["impute"] = {"method": draw(mostly(st.sampled_from(["none", "mean", "median"]),
                                               st.just("magic")))}
    if draw(mostly(st.just(False), st.just(True))):
        doc["weights_sum"] = draw(numbers)
    if draw(mostly(st.just(False), st.just(True))):
        doc[draw(st.sampled_from(["colour", "uncertainty", "treat"]))] = {"x": draw(values)}
    return doc


@given(methodologies())
@SETTINGS
def test_fuzzed_methodology_files_rank_cleanly(doc: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "p.csv").write_text(PANEL)
        (folder / "m.toml").write_text(tomli_w.dumps(doc))
        code, text = _run(folder, ["rank", "--data", "p.csv", "--method", "m.toml",
                                   "--out", "out.json"])
        _assert_clean(folder, code, text)
