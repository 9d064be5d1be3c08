"""Parity with COINr (the R package of the OECD/JRC Handbook) on its ASEM example.

References, both independent of techhubs' engine:

* ``_coinr``: a plain numpy re-implementation, written for this test from
  COINr's source and documentation, of the functions a COINr build calls:
  ``n_minmax``, ``n_zscore``, ``n_prank`` (``rank(ties.method = "min")``),
  ``i_mean``, ``Treat`` with its defaults (``check_SkewKurt`` with e1071
  type-2 skew/kurtosis, ``winsorise`` with winmax 5, ``log_CT``),
  ``a_amean`` / ``a_gmean`` (weights renormalised over available values),
  level by level up the iMeta tree.
* Figures COINr itself prints in its vignettes for the same data
  (``vignettes/treat.Rmd``: treatment details of ASEM indicators;
  ``vignettes/normalise.Rmd``: normalised values), transcribed below.

Data: ``../shared/data/coinr-asem`` (skipped when absent).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner
from tests.conftest import shared_file

import techhubs
from techhubs.cli import cli
from techhubs.index import skew_kurtosis, treat_column
from techhubs.index.coinr import methodology_from_imeta

TOL = 1e-9


# ----------------------------------------------------------- COINr, in numpy
def _r_skew(x: list[float]) -> float:
    n = len(x)
    m = sum(x) / n
    d = [v - m for v in x]
    y = math.sqrt(n) * sum(v**3 for v in d) / sum(v**2 for v in d) ** 1.5
    return y * math.sqrt(n * (n - 1)) / (n - 2)


def _r_kurt(x: list[float]) -> float:
    n = len(x)
    m = sum(x) / n
    d = [v - m for v in x]
    r = n * sum(v**4 for v in d) / sum(v**2 for v in d) ** 2
    return ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))


def _r_pass(x: list[float]) -> bool:
    return abs(_r_skew(x)) < 2 or _r_kurt(x) < 3.5


def _r_treat(col: np.ndarray, winmax: int = 5) -> tuple[np.ndarray, str, int]:
    """COINr's Treat.numeric with its default specs, written as the R code reads."""
    ok = ~np.isnan(col)
    x = [float(v) for v in col[ok]]
    if _r_pass(x):
        return col.copy(), "none", 0
    w = list(x)
    imax: list[int] = []
    imin: list[int] = []
    nwin = 0
    passing = False
    while not passing and nwin < winmax:
        if _r_skew(w) >= 0:
            top = max(w)
            imax = [i for i, v in enumerate(w) if v == top]
            rest = max(v for i, v in enumerate(w) if i not in imax)
            for i in imax:
                w[i] = rest
        else:
            bottom = min(w)
            imin = [i for i, v in enumerate(w) if v == bottom]
            rest = min(v for i, v in enumerate(w) if i not in imin)
            for i in imin:
                w[i] = rest
        nwin = len(imax) + len(imin)
        passing = _r_pass(w)
    out = col.copy()
    if passing:
        out[ok] = w
        return out, "winsorised", nwin
    lo, hi = min(x), max(x)
    out[ok] = [math.log(v - lo + 0.01 * (hi - lo)) for v in x]  # log_CT on the raw values
    return out, "log", 0


def _r_minmax(x: np.ndarray, lo: float = 0.0, hi: float = 100.0) -> np.ndarray:
    return (x - np.nanmin(x)) / (np.nanmax(x) - np.nanmin(x)) * (hi - lo) + lo


def _r_zscore(x: np.ndarray) -> np.ndarray:
    return (x - np.nanmean(x)) / np.nanstd(x, ddof=1)


def _r_prank(x: np.ndarray) -> np.ndarray:
    out = np.full(x.shape, np.nan)
    vals = x[~np.isnan(x)]
    for i, v in enumerate(x):
        if not np.isnan(v):
            out[i] = (1 + np.sum(vals < v) - 1) / (vals.size - 1)  # min rank
    return out


def _r_rank(x: np.ndarray) -> np.ndarray:
    """``n_rank``: ``rank(x, ties.method = "min", na.last = "keep")``."""
    vals = x[~np.isnan(x)]
    return np.array([np.nan if np.isnan(v) else 1.0 + np.sum(vals < v) for v in x])


def _r_amean(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    out = np.full(x.shape[0], np.nan)
    for i, row in enumerate(x):
        ok = ~np.isnan(row)
        if ok.any():
            ww = w[ok] / w[ok].sum()
            out[i] = float(np.sum(ww * row[ok]))
    return out


def _r_gmean(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    out = np.full(x.shape[0], np.nan)
    for i, row in enumerate(x):
        ok = ~np.isnan(row)
        if ok.any():
            out[i] = math.exp(float(np.sum(w[ok] * np.log(row[ok])) / w[ok].sum()))
    return out


def _coinr(idata: Path, imeta: Path, *, impute: bool = False, treat: bool = False,
           normalise: str = "minmax", low: float = 0.0, high: float = 100.0,
           mean: str = "arithmetic", denominate: bool = False
           ) -> tuple[dict[str, np.ndarray], dict[str, tuple[str, int]]]:
    data = pl.read_csv(idata, null_values=["NA"])
    meta = pl.read_csv(imeta, null_values=["NA"])
    ind = meta.filter(pl.col("Type") == "Indicator")
    scores: dict[str, np.ndarray] = {}
    decisions: dict[str, tuple[str, int]] = {}
    for row in ind.iter_rows(named=True):
        x = data[row["iCode"]].cast(pl.Float64).to_numpy().copy()
        if denominate and row["Denominator"]:
            x = x / data[row["Denominator"]].cast(pl.Float64).to_numpy()
        if impute:
            x[np.isnan(x)] = np.nanmean(x)
        if treat:
            x, action, points = _r_treat(x)
            decisions[row["iCode"]] = (action, points)
        x = x * row["Direction"]
        if normalise == "minmax":
            x = _r_minmax(x, low, high)
        elif normalise == "zscore":
            x = _r_zscore(x)
        elif normalise == "rank":
            x = _r_rank(x)
        else:
            x = _r_prank(x)
        scores[row["iCode"]] = x
    weights = dict(zip(meta["iCode"], meta["Weight"], strict=True))
    agg = meta.filter(pl.col("Type") == "Aggregate")
    for level in sorted(set(agg["Level"].to_list())):
        for row in agg.filter(pl.col("Level") == level).iter_rows(named=True):
            kids = meta.filter(pl.col("Parent") == row["iCode"])["iCode"].to_list()
            x = np.column_stack([scores[k] for k in kids])
            w = np.array([weights[k] for k in kids], dtype=float)
            scores[row["iCode"]] = _r_amean(x, w) if mean == "arithmetic" else _r_gmean(x, w)
    return scores, decisions


@pytest.fixture(scope="module")
def asem() -> tuple[Path, Path]:
    return (shared_file("data/coinr-asem/asem_iData.csv"),
            shared_file("data/coinr-asem/asem_iMeta.csv"))


def _r_ranks(score: np.ndarray) -> np.ndarray:
    return np.array([1 + np.sum(score > s) for s in score])


def _assert_same_build(coin: techhubs.Composite, ref: dict[str, np.ndarray]) -> None:
    m = coin.methodology_
    codes = m.indicator_codes
    for j, code in enumerate(codes):
        np.testing.assert_allclose(coin.data_["normalised"][:, j], ref[code], rtol=TOL,
                                   atol=TOL, err_msg=code)
    for node in m.nodes:
        np.testing.assert_allclose(coin.node_scores_[node.code], ref[node.code], rtol=TOL,
                                   atol=TOL, err_msg=node.code)
    np.testing.assert_array_equal(coin.rank_, _r_ranks(ref["Index"]))


# ----------------------------------------------------------------- pipelines
def test_default_build_is_coinr_default(asem: tuple[Path, Path]) -> None:
    """``--method iMeta.csv``: raw data, min-max 0-100, arithmetic means (no Denominate)."""
    idata, imeta = asem
    coin = techhubs.fit(data=idata, method=imeta)
    assert coin.panel_.n_units == 51 and len(coin.methodology_.indicators) == 49
    assert coin.methodology_.depth() == 4 and coin.methodology_.denominate.method == "none"
    ref, _ = _coinr(idata, imeta)
    _assert_same_build(coin, ref)


def test_denominated_build_when_asked(asem: tuple[Path, Path]) -> None:
    idata, imeta = asem
    coin = techhubs.fit(data=idata, method=imeta, denominate=True)
    ref, _ = _coinr(idata, imeta, denominate=True)
    _assert_same_build(coin, ref)


def test_zscore_arithmetic(asem: tuple[Path, Path]) -> None:
    idata, imeta = asem
    coin = techhubs.fit(data=idata, method=imeta).rebuild(
        normalise={"method": "zscore", "mean": 0.0, "sd": 1.0})
    ref, _ = _coinr(idata, imeta, normalise="zscore")
    _assert_same_build(coin, ref)


def test_mean_imputation_treatment_minmax_1_100_geometric(asem: tuple[Path, Path]) -> None:
    idata, imeta = asem
    coin = techhubs.fit(data=idata, method=imeta).rebuild(
        impute={"method": "mean"}, treat={"method": "winsorise"},
        normalise={"method": "minmax", "low": 1.0, "high": 100.0},
        aggregate={"method": "geometric"})
    ref, decisions = _coinr(idata, imeta, impute=True, treat=True, low=1.0, high=100.0,
                            mean="geometric")
    _assert_same_build(coin, ref)
    # every indicator's treatment decision: untouched, winsorised n points, or logged
    entry = next(e for e in coin.log_ if e.step == "treat")
    logged = {r["indicator"]: (r["action"], r["points"]) for r in entry.details["indicators"]}
    got = {code: logged.get(code, ("none", 0)) for code in coin.methodology_.indicator_codes}
    assert got == decisions
    assert {a for a, _ in decisions.values()} >= {"none", "winsorised"}


def test_percentile_ranks_min_ties_arithmetic(asem: tuple[Path, Path]) -> None:
    idata, imeta = asem
    coin = techhubs.fit(data=idata, method=imeta).rebuild(
        normalise={"method": "percentile", "scale": 1.0, "ties": "min"})
    ref, _ = _coinr(idata, imeta, normalise="percentile")
    _assert_same_build(coin, ref)
    # ASEM has ties (e.g. zeros in Ship): the average-rank rule gives other numbers
    average = coin.rebuild(normalise={"method": "percentile", "scale": 1.0, "ties": "average"})
    assert not np.allclose(average.data_["normalised"], coin.data_["normalised"],
                           equal_nan=True)


@pytest.mark.parametrize("method", ["percentile", "rank", "zscore"])
def test_an_imported_imeta_normalises_with_coinr_defaults(asem: tuple[Path, Path],
                                                          method: str) -> None:
    """Switching the normalisation of an iMeta build, as a COINr user calls
    ``Normalise(coin, global_specs = list(f_n = "n_prank"))``: COINr's parameters
    (percentile ranks on [0, 1], ties at the lowest rank; z-scores 0/1) without naming them."""
    idata, imeta = asem
    coin = techhubs.fit(data=idata, method=imeta).rebuild(normalise={"method": method})
    ref, _ = _coinr(idata, imeta, normalise=method)
    _assert_same_build(coin, ref)
    given = methodology_from_imeta(imeta, normalise={"method": method})
    assert (given.normalise.scale, given.normalise.ties) == (1.0, "min")


def test_treatment_of_the_raw_data_as_coinr_prints_it(asem: tuple[Path, Path]) -> None:
    """COINr's treat vignette, ``Treat(coin, dset = "Raw")`` on ASEM: skew and kurtosis
    before, points winsorised and the statistics after (``Dets_Table``)."""
    idata, _ = asem
    data = pl.read_csv(idata, null_values=["NA"])
    published = {  # iCode: (skew, kurt, nwin, skew after, kurt after)
        "LPI": (-0.3042681, -0.6567514, None, None, None),
        "Ship": (-0.5756680, -0.6814795, None, None, None),
        "Services": (1.701085, 2.375656, None, None, None),
        "Flights": (2.1032872, 4.5088794, 1, 1.900658, 3.336065),
        "Bord": (2.1482360, 5.7914905, 1, 1.899211, 4.346298),
        "Elec": (2.2252736, 5.7910268, 1, 1.717744, 2.586062),
        "Gas": (2.8294486, 10.3346494, 1, 1.602518, 1.525576),
        "Goods": (2.649973, 8.266610, 2, 1.140608, 0.1572047),
    }
    for code, (sk, kt, nwin, sk1, kt1) in published.items():
        x = data[code].cast(pl.Float64).to_numpy()
        s, k = skew_kurtosis(x[~np.isnan(x)])
        assert (s, k) == (pytest.approx(sk, abs=1e-6), pytest.approx(kt, abs=1e-6)), code
        out, action, points = treat_column(x, 2.0, 3.5, 5, "log")
        if nwin is None:
            assert action == "none", code
            continue
        assert (action, points) == ("winsorised", nwin), code
        s1, k1 = skew_kurtosis(out[~np.isnan(out)])
        assert (s1, k1) == (pytest.approx(sk1, abs=1e-6), pytest.approx(kt1, abs=1e-6)), code


def test_normalised_values_as_coinr_prints_them(asem: tuple[Path, Path]) -> None:
    """COINr's normalise vignette: Ship min-max 0-100 of the raw data, Flights z-scores
    with mean 10 and sd 2."""
    idata, imeta = asem
    coin = techhubs.fit(data=idata, method=imeta)
    ids = coin.panel_.unit_ids
    ship = coin.data_["normalised"][:, coin.methodology_.indicator_codes.index("Ship")]
    for unit, value in {"AUS": 66.14497, "AUT": 0.0, "BEL": 97.14314, "BGD": 45.80661,
                        "BGR": 37.40495, "CHN": 100.0, "CYP": 55.21211}.items():
        assert ship[ids.index(unit)] == pytest.approx(value, abs=5e-6), unit
    z = coin.rebuild(normalise={"method": "zscore", "mean": 10.0, "sd": 2.0})
    flights = z.data_["normalised"][:, z.methodology_.indicator_codes.index("Flights")]
    for unit, value in {"AUS": 9.889993, "AUT": 9.588735, "CHN": 13.235114,
                        "CZE": 9.001961}.items():
        assert flights[ids.index(unit)] == pytest.approx(value, abs=5e-7), unit


# ------------------------------------------------------------------ treatment
def test_toy_column_winsorises_two_tied_points_to_20() -> None:
    v = np.array([*range(1, 21), 200.0, 300.0])
    out, action, points = treat_column(v, 2.0, 3.5, 5, "log")
    assert (action, points) == ("winsorised", 2)
    np.testing.assert_array_equal(out, [*range(1, 21), 20.0, 20.0])
    ref, ref_action, ref_points = _r_treat(v)
    assert (ref_action, ref_points) == (action, points)
    np.testing.assert_array_equal(out, ref)


def test_ties_count_toward_the_limit_and_can_pass_it() -> None:
    # Step 1 moves 900 to 500; step 2 moves the four tied 500s at once (4 points): the
    # count passes a limit of 2, and the column passes the check, so it stays winsorised.
    v = np.array([*range(1, 31), 500.0, 500.0, 500.0, 900.0])
    out, action, points = treat_column(v, 2.0, 3.5, 2, "log")
    assert (action, points) == ("winsorised", 4)
    np.testing.assert_array_equal(out, [*range(1, 31), 30.0, 30.0, 30.0, 30.0])
    ref, ref_action, ref_points = _r_treat(v, winmax=2)
    assert (ref_action, ref_points) == (action, points)
    np.testing.assert_array_equal(out, ref)
    # with a limit of 1, the first step reaches it and the column is logged instead
    out1, action1, _ = treat_column(v, 2.0, 3.5, 1, "log")
    ref1, ref_action1, _ = _r_treat(v, winmax=1)
    assert action1 == ref_action1 == "log"
    np.testing.assert_allclose(out1, ref1)


def test_negative_skew_winsorises_the_low_end() -> None:
    v = -np.array([*range(1, 21), 200.0, 300.0])
    out, action, points = treat_column(v, 2.0, 3.5, 5, "log")
    assert (action, points) == ("winsorised", 2)
    assert out.min() == -20.0


# ------------------------------------------------------------------------ CLI
def test_cli_default_build_and_denominate_flag(asem: tuple[Path, Path]) -> None:
    idata, imeta = asem
    runner = CliRunner()
    plain = runner.invoke(cli, ["rank", "--data", str(idata), "--method", str(imeta),
                                 "-f", "csv"])
    assert plain.exit_code == 0, plain.output
    table = pl.read_csv(plain.stdout.encode())
    ref, _ = _coinr(idata, imeta)
    data = pl.read_csv(idata, null_values=["NA"])
    expected = dict(zip(data["uCode"].to_list(), ref["Index"].tolist(), strict=True))
    for uid, score in zip(table["unit_id"], table["score"], strict=True):
        assert score == pytest.approx(expected[uid], abs=TOL)
    denominated = runner.invoke(cli, ["rank", "--data", str(idata), "--method", str(imeta),
                                       "--denominate", "-f", "csv"])
    assert denominated.exit_code == 0, denominated.output
    ref_d, _ = _coinr(idata, imeta, denominate=True)
    table_d = pl.read_csv(denominated.stdout.encode())
    expected_d = dict(zip(data["uCode"].to_list(), ref_d["Index"].tolist(), strict=True))
    for uid, score in zip(table_d["unit_id"], table_d["score"], strict=True):
        assert score == pytest.approx(expected_d[uid], abs=TOL)


def test_imeta_to_editable_toml_round_trip(asem: tuple[Path, Path], tmp_path: Path) -> None:
    idata, imeta = asem
    runner = CliRunner()
    result = runner.invoke(cli, ["methods", "--from-imeta", str(imeta), "-f", "toml"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert 'method = "none"' in text and 'denominator = "Population"' in text
    path = tmp_path / "asem.toml"
    path.write_text(text.replace('[treat]\nmethod = "none"', '[treat]\nmethod = "winsorise"'),
                    encoding="utf-8")
    edited = runner.invoke(cli, ["rank", "--data", str(idata), "--method", str(path),
                                  "-f", "csv"])
    assert edited.exit_code == 0, edited.output
    coin = techhubs.fit(data=idata, method=imeta).rebuild(treat={"method": "winsorise"})
    table = pl.read_csv(edited.stdout.encode())
    scores = dict(zip(coin.panel_.unit_ids, coin.score_.tolist(), strict=True))
    for uid, score in zip(table["unit_id"], table["score"], strict=True):
        assert score == pytest.approx(scores[uid], abs=TOL)


# --------------------------------------------------------------- uncertainty
def test_weights_by_level_vary_only_those_levels(asem: tuple[Path, Path]) -> None:
    from techhubs.robustness import rank_intervals

    idata, imeta = asem
    coin = techhubs.fit(data=idata, method=imeta)
    result = rank_intervals(coin, {"weights": {"levels": [2, 3], "noise": 0.25}}, runs=500,
                            seed=1)
    levels = coin.methodology_.levels()
    cols = {c: i for i, c in enumerate(result.weight_nodes)}
    for code, j in cols.items():
        w = result.weights[:, j]
        nominal = coin.methodology_.node(code).weight
        if levels[code] in (2, 3):
            assert w.min() >= nominal * 0.75 - 1e-12 and w.max() <= nominal * 1.25 + 1e-12
            assert np.ptp(w) > 0.3 * nominal, code
        else:
            assert np.ptp(w) == 0, code
    assert sorted({levels[f.split(":", 1)[1]] for f in result.factors}) == [2, 3]
    assert result.ranks.shape == (500, 51)


def test_group_columns_stay_unit_attributes(asem: tuple[Path, Path]) -> None:
    idata, imeta = asem
    variant = techhubs.fit(data=idata, method=imeta).rebuild(
        impute={"method": "group_mean", "group": "GDP_group"})
    assert not np.isnan(variant.data_["imputed"]).any()
