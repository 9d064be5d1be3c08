"""Place-name keys (geo.text). Reference: hand-written spellings; the Python and Polars
twins must agree on every name of the gazetteer sample."""

from __future__ import annotations

import polars as pl

from techhubs.geo.gazetteer import load_cities
from techhubs.geo.text import (
    fold,
    fold_expr,
    named_places,
    normalize,
    normalize_expr,
    slug,
    split_cluster_name,
)


def test_keys() -> None:
    assert fold("Xi’an") == fold("Xian") == "xian"
    assert fold("Köln") == "koln" and fold("Straße") == "strasse"
    assert normalize("  São-Paulo, ") == "sao paulo" and normalize("ZÜRICH") == "zurich"
    assert fold(None) == normalize(None) == ""


def test_python_and_polars_twins_agree() -> None:
    names = [*load_cities(15000)["name"].head(3000).to_list(), "Xi’an", "Straße", " a--b "]
    frame = pl.DataFrame({"t": names}).with_columns(f=fold_expr(pl.col("t")),
                                                     n=normalize_expr(pl.col("t")))
    assert frame["f"].to_list() == [fold(t) for t in names]
    assert frame["n"].to_list() == [normalize(t) for t in names]


def test_cluster_names() -> None:
    assert split_cluster_name("Washington, DC–Baltimore, MD") == [("Washington", "DC"),
                                                                   ("Baltimore", "MD")]
    assert named_places("New York City, NY") == ["New York City"]
    assert slug("San Jose–San Francisco, CA") == "san-jose-san-francisco"
