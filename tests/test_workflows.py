"""The Python API's entry points (techhubs.fit, rank, explain): the same answers as the
engine called directly; deprecated names still work and warn."""

from __future__ import annotations

import numpy as np
import pytest

import techhubs
from techhubs.index import Composite


def test_fit_is_the_engine_fit_and_build_is_its_deprecated_alias() -> None:
    coin = techhubs.fit()
    direct = Composite("gii-clusters").fit(techhubs.load_edition("gii-2023"))
    np.testing.assert_array_equal(coin.score_, direct.score_)
    with pytest.warns(DeprecationWarning, match="techhubs.fit"):
        old = techhubs.build()
    np.testing.assert_array_equal(old.score_, coin.score_)


def test_the_config_module_name_still_imports_and_warns() -> None:
    from techhubs import methodology

    with pytest.warns(DeprecationWarning, match="techhubs.methodology"):
        from techhubs.config import load_methodology
    assert load_methodology is methodology.load_methodology
