"""COINr's ASEM example (real data, ../shared/data/coinr-asem) built with techhubs.

Reference: an independent numpy implementation below of the same build
(denominate by the iMeta denominators, min-max 0-100 with directions,
weighted arithmetic means up a 4-level tree, missing values skipped).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from tests.conftest import shared_file

import techhubs


def test_asem_build_matches_independent_computation() -> None:
    idata = shared_file("data/coinr-asem/asem_iData.csv")
    imeta = shared_file("data/coinr-asem/asem_iMeta.csv")
    coin = techhubs.build(data=idata, method=imeta)
    assert coin.panel_.n_units == 51
    assert len(coin.methodology_.indicators) == 49
    assert coin.methodology_.depth() == 4

    data = pl.read_csv(idata, null_values=["NA"])
    meta = pl.read_csv(imeta, null_values=["NA"])
    ind = meta.filter(pl.col("Type") == "Indicator")
    agg = meta.filter(pl.col("Type") == "Aggregate")
    scores: dict[str, np.ndarray] = {}
    for row in ind.iter_rows(named=True):
        x = data[row["iCode"]].cast(pl.Float64).to_numpy()
        if row["Denominator"]:
            x = x / data[row["Denominator"]].cast(pl.Float64).to_numpy()
        x = x * row["Direction"]
        scores[row["iCode"]] = (x - np.nanmin(x)) / (np.nanmax(x) - np.nanmin(x)) * 100
    weights = dict(zip(meta["iCode"], meta["Weight"], strict=True))
    for level in (2, 3, 4):
        for row in agg.filter(pl.col("Level") == level).iter_rows(named=True):
            kids = meta.filter(pl.col("Parent") == row["iCode"])["iCode"].to_list()
            x = np.column_stack([scores[k] for k in kids])
            w = np.array([weights[k] for k in kids], dtype=float)
            ok = ~np.isnan(x)
            scores[row["iCode"]] = (np.where(ok, x, 0) * w).sum(1) / (ok * w).sum(1)
    np.testing.assert_allclose(coin.score_, scores["Index"], rtol=1e-10)
    np.testing.assert_allclose(coin.node_scores_["Conn"], scores["Conn"], rtol=1e-10)
    top = coin.ranking_.table["unit_id"].head(3).to_list()
    assert top == [data["uCode"][int(i)] for i in np.argsort(-scores["Index"])[:3]]
    # Group columns stay unit attributes, usable for group-mean imputation.
    variant = coin.rebuild(impute={"method": "group_mean", "group": "GDP_group"})
    assert not np.isnan(variant.data_["imputed"]).any()
