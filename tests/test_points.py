"""Points validation and rounding (hand-computed expectations)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from techhubs.errors import DataError
from techhubs.points import BAD_REASONS, round_locations, sum_by, validate_points


def _frame(**cols: list[object]) -> pl.DataFrame:
    n = len(next(iter(cols.values())))
    base: dict[str, list[object]] = {
        "latitude": [0.0] * n,
        "longitude": [0.0] * n,
        "weight": [1.0] * n,
        "source": ["patents"] * n,
    }
    base.update(cols)
    return pl.DataFrame(base, strict=False)


def test_every_bad_row_is_counted_with_its_row_number() -> None:
    df = _frame(
        latitude=[10.0, 95.0, math.nan, None, 20.0, -90.0, 0.0, 1.0],
        longitude=[1.0, 2.0, 3.0, 4.0, math.inf, 181.0, 5.0, 6.0],
        weight=[1.0, 1.0, 1.0, 1.0, 1.0, 1.0, -0.5, 0.0],
    )
    good, report = validate_points(df, "pts.csv")
    assert good["latitude"].to_list() == [10.0, 1.0]
    assert report.rows_read == 8
    assert report.rows_used == 2
    assert report.dropped == {
        "latitude_out_of_range": 1,
        "non_finite": 2,
        "missing_value": 1,
        "longitude_out_of_range": 1,
        "negative_weight": 1,
    }
    assert report.rows == {
        "missing_value": [4],
        "non_finite": [3, 5],
        "latitude_out_of_range": [2],
        "longitude_out_of_range": [6],
        "negative_weight": [7],
    }
    assert sum(report.dropped.values()) == report.rows_dropped
    text = report.describe()
    assert "pts.csv" in text and "negative weight: 1 rows (7)" in text


def test_strict_names_file_reason_and_rows() -> None:
    df = _frame(latitude=[0.0, 91.0, -92.0], weight=[1.0, 1.0, 1.0])
    with pytest.raises(DataError) as info:
        validate_points(df, "in.parquet", strict=True)
    msg = str(info.value)
    assert "in.parquet" in msg and "latitude out of range" in msg and "rows 2, 3" in msg
    assert info.value.line == 2


def test_missing_column_and_unreadable_column() -> None:
    with pytest.raises(DataError, match="lacks required column"):
        validate_points(pl.DataFrame({"latitude": [1.0], "longitude": [1.0]}))
    # a cell that is no number is one counted bad row (the clusters help promises it),
    # and an error under strict
    good, report = validate_points(_frame(weight=["one"]))
    assert good.height == 0 and report.dropped == {"non_numeric": 1}
    with pytest.raises(DataError, match="non numeric"):
        validate_points(_frame(weight=["one"]), strict=True)


def test_numeric_strings_are_cast_and_year_is_int32() -> None:
    df = _frame(latitude=["1.5"], longitude=["2"], weight=["0.5"]).with_columns(
        pl.lit(2020).alias("year")
    )
    good, report = validate_points(df)
    assert good.schema["latitude"] == pl.Float64 and good.schema["year"] == pl.Int32
    assert report.rows_used == 1 and good["weight"][0] == 0.5


def test_bad_reasons_are_the_documented_ones() -> None:
    assert BAD_REASONS[:2] == ("non_numeric", "missing_value")
    assert {"negative_weight", "weight_too_large"} <= set(BAD_REASONS)


def test_round_locations_groups_and_sums() -> None:
    df = _frame(
        latitude=[35.6812, 35.6849, 35.6812, 35.6812, -33.86],
        longitude=[139.7671, 139.7651, 139.7671, 139.7671, 151.21],
        weight=[0.5, 0.25, 1.0, 2.0, 1.0],
        source=["patents", "patents", "patents", "publications", "patents"],
    )
    out = round_locations(df, precision=2)
    assert out.columns == ["latitude", "longitude", "source", "weight", "n_records"]
    rows = {(r[2], r[0], r[1]): (r[3], r[4]) for r in out.iter_rows()}
    assert rows[("patents", 35.68, 139.77)] == (1.75, 3)
    assert rows[("publications", 35.68, 139.77)] == (2.0, 1)
    assert rows[("patents", -33.86, 151.21)] == (1.0, 1)
    assert out["weight"].sum() == pytest.approx(df["weight"].sum())


def test_round_half_up_rule_in_float64() -> None:
    # floor(x * 100 + 0.5) / 100: -0.005 rounds up to -0.0, 0.125 to 0.13 (exact in binary)
    df = _frame(latitude=[0.125, -0.005, -1.115], longitude=[0.0, 0.0, 0.0])
    out = round_locations(df, precision=2)
    got = sorted(out["latitude"].to_list())
    expect = sorted(math.floor(x * 100 + 0.5) / 100 for x in [0.125, -0.005, -1.115])
    assert got == expect
    assert 0.13 in got


def test_round_locations_keeps_years_apart() -> None:
    df = _frame(latitude=[1.0, 1.0, 1.0], longitude=[2.0, 2.0, 2.0]).with_columns(
        pl.Series("year", [2020, 2021, 2020], dtype=pl.Int32)
    )
    out = round_locations(df, precision=1)
    assert out.columns == ["latitude", "longitude", "source", "year", "weight", "n_records"]
    assert out.sort("year")["n_records"].to_list() == [2, 1]
    assert round_locations(df, precision=1, by=("source",))["n_records"].to_list() == [3]


@given(
    st.lists(
        st.tuples(st.floats(-90, 90), st.floats(-180, 180), st.floats(0, 10)),
        min_size=1,
        max_size=30,
    ),
    st.integers(0, 4),
)
def test_rounding_conserves_weight_and_records(
    rows: list[tuple[float, float, float]], precision: int
) -> None:
    df = pl.DataFrame(
        {
            "latitude": [r[0] for r in rows],
            "longitude": [r[1] for r in rows],
            "weight": [r[2] for r in rows],
            "source": ["vc"] * len(rows),
        }
    )
    out = round_locations(df, precision=precision)
    assert out["n_records"].sum() == len(rows)
    assert out["weight"].sum() == pytest.approx(df["weight"].sum())
    assert out.select(pl.struct("latitude", "longitude").is_unique().all()).item()
    assert (out["latitude"].abs() <= 90).all()


def test_precision_is_checked() -> None:
    with pytest.raises(ValueError, match="precision"):
        round_locations(_frame(latitude=[1.0]), precision=-1)


def test_sum_by_gives_the_same_bits_on_every_run() -> None:
    """Reference: each group's rows gathered by a plain Python loop, added exactly
    (``math.fsum``), counted by ``len``."""
    rng = np.random.default_rng(3)
    n = 300_000
    frame = pl.DataFrame({"source": rng.choice(["patents", "publications"], n),
                          "year": pl.Series([(2020, 2021, None)[i] for i in rng.integers(0, 3, n)],
                                            dtype=pl.Int32),
                          "weight": 1.0 / rng.integers(1, 40, n)})
    runs = {repr(sum_by(frame, ["source", "year"], ["weight"], count="n").rows())
            for _ in range(8)}
    assert len(runs) == 1  # a parallel group-by gave 3 different sums in 8 runs here
    expected: dict[tuple, list] = {}
    for s, y, w in frame.iter_rows():
        expected.setdefault((s, y), []).append(w)
    got = sum_by(frame, ["source", "year"], ["weight"], count="n")
    keys = sorted(expected, key=lambda k: (k[0], k[1] is None, k[1] or 0))  # nulls last
    assert [r[:2] for r in got.rows()] == keys
    assert got["n"].to_list() == [len(expected[k]) for k in keys]
    np.testing.assert_allclose(got["weight"].to_numpy(),
                               [math.fsum(expected[k]) for k in keys], rtol=1e-13)


def test_sum_by_on_no_rows_keeps_the_columns() -> None:
    empty = pl.DataFrame(schema={"k": pl.Utf8, "w": pl.Float64})
    out = sum_by(empty, ["k"], ["w"], count="n")
    assert out.height == 0 and out.columns == ["k", "w", "n"]
