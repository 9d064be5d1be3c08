"""Uncertainty specs: parsing, defaults, and clear errors for invalid input."""

from __future__ import annotations

import pytest

from techhubs.datasets import load_edition
from techhubs.errors import MethodologyError, TechhubsError
from techhubs.methodology import methodology_from_dict
from techhubs.robustness import UncertaintySpec, rank_intervals, sensitivity


def test_common_case_constructor() -> None:
    spec = UncertaintySpec(weights=0.25)
    assert spec.weights == 0.25 and spec.weight_mode == "uniform"
    assert not spec.is_empty
    assert UncertaintySpec().is_empty


def test_from_dict_canonicalises_choices() -> None:
    spec = UncertaintySpec.from_dict({
        "weights": {"pct_applications": 0.5},
        "normalisation": ["minmax:high=100:low=1", {"method": "zscore", "mean": 100, "sd": 10}],
        "aggregation": "arithmetic, geometric",
        "treatment": ["on", "off"],
        "imputation": ["none", "mean"],
        "leave_one_out": True,
        "clustering": {"eps_km": [10, 20]},
    })
    assert spec.normalisation == ("minmax:high=100:low=1", "zscore:mean=100:sd=10")
    assert spec.aggregation == ("arithmetic", "geometric")
    assert spec.treatment == (True, False)
    assert spec.clustering == {"eps_km": (10.0, 20.0)}
    again = UncertaintySpec.from_dict(spec.to_dict())
    assert again == spec


def test_from_methodology_reads_the_uncertainty_table() -> None:
    m = methodology_from_dict({
        "name": "t", "indicator": [{"code": "a", "parent": "i"}, {"code": "b", "parent": "i"}],
        "node": [{"code": "i"}],
        "uncertainty": {"weights": 0.1, "aggregation": ["arithmetic", "sum"]},
    }, origin="t.toml")
    spec = UncertaintySpec.from_methodology(m)
    assert spec.weights == 0.1 and spec.aggregation == ("arithmetic", "sum")
    assert spec.origin == "t.toml"
    merged = spec.merged({"weights": 0.3})
    assert merged.weights == 0.3 and merged.aggregation == ("arithmetic", "sum")


@pytest.mark.parametrize(("raw", "message", "key"), [
    ({"weights": -0.1}, "negative weight range", "uncertainty.weights"),
    ({"weights": 1.5}, "would allow weights <= 0", "uncertainty.weights"),
    ({"weights": {"a": -1}}, "negative weight range", "uncertainty.weights.a"),
    ({"weights": "lots"}, "must be a number", "uncertainty.weights"),
    ({"normalisation": ["minmax", "zscroe"]}, "unknown normalisation method 'zscroe'",
     "uncertainty.normalisation[1]"),
    ({"normalisation": ["minmax:lo=1"]}, "bad parameter", "uncertainty.normalisation[0]"),
    ({"normalisation": ["minmax:low=x"]}, "must be a number", "uncertainty.normalisation[0]"),
    ({"aggregation": ["arithmetic", "geometrik"]}, "unknown aggregation method",
     "uncertainty.aggregation[1]"),
    ({"aggregation": ["sum", "sum"]}, "duplicate choices", "uncertainty.aggregation"),
    ({"imputation": ["median", "knn"]}, "unknown imputation method 'knn'",
     "uncertainty.imputation[1]"),
    ({"treatment": ["maybe"]}, "unknown treatment choice", "uncertainty.treatment[0]"),
    ({"weight_mode": "gaussian"}, "unknown weight mode", "uncertainty.weight_mode"),
    ({"concentration": -3}, "concentration must be positive", "uncertainty.concentration"),
    ({"leave_one_out": "yes"}, "leave_one_out must be true or false",
     "uncertainty.leave_one_out"),
    ({"clustering": {"eps_km": [-5, 10]}}, "invalid", "uncertainty.clustering.eps_km"),
    ({"clustering": {"eps_km": [20, 10]}}, "invalid", "uncertainty.clustering.eps_km"),
    ({"clustering": {"radius": [1, 2]}}, "unknown clustering parameter",
     "uncertainty.clustering.radius"),
    ({"wieghts": 0.2}, "unknown key", "uncertainty.wieghts"),
    ({"weights": {"levels": [2, 3]}}, "need noise", "uncertainty.weights.noise"),
    ({"weights": {"levels": [0], "noise": 0.2}}, "tree level", "uncertainty.weights.levels[0]"),
    ({"weights": {"levels": [2, 2], "noise": 0.2}}, "listed twice", "uncertainty.weights.levels"),
    ({"weights": {"levels": [2, 3], "noise": [0.1]}}, "noise has 1 values",
     "uncertainty.weights.noise"),
    ({"weights": {"levels": [2], "noise": 1.5}}, "would allow weights", "uncertainty.weights.noise"),
    ({"weights": {"levels": [2], "noise": 0.2, "scope": 1}}, "unknown key",
     "uncertainty.weights.scope"),
])
def test_invalid_specs_are_clear_errors(raw: dict[str, object], message: str, key: str) -> None:
    with pytest.raises(MethodologyError, match=message) as info:
        UncertaintySpec.from_dict(raw, origin="m.toml")
    assert info.value.key == key
    assert info.value.file == "m.toml"
    assert "m.toml" in info.value.describe()


def test_unknown_method_suggests_the_close_name() -> None:
    with pytest.raises(MethodologyError) as info:
        UncertaintySpec(aggregation=("arithmetc",))
    assert "did you mean 'arithmetic'" in (info.value.hint or "")


def test_errors_found_against_the_methodology() -> None:
    panel = load_edition("gii-2023")
    with pytest.raises(MethodologyError, match="unknown node 'patents'"):
        rank_intervals(panel, UncertaintySpec(weights={"patents": 0.2}), method="gii-clusters")
    with pytest.raises(TechhubsError, match="no uncertain inputs"):
        rank_intervals(panel, UncertaintySpec(normalisation=("share",)), method="gii-clusters")
    with pytest.raises(TechhubsError, match="panel factory"):
        rank_intervals(panel, UncertaintySpec(clustering={"eps_km": (5, 10)}),
                       method="gii-clusters")
    with pytest.raises(TechhubsError, match="runs must be a positive integer"):
        rank_intervals(panel, UncertaintySpec(weights=0.1), runs=0, method="gii-clusters")
    with pytest.raises(TechhubsError, match="not fitted"):
        from techhubs.index import Composite

        rank_intervals(Composite("gii-clusters"), UncertaintySpec(weights=0.1))


def test_geometric_choice_on_shares_with_zeros_names_the_choice() -> None:
    from techhubs.robustness._synthetic import synthetic_case

    panel, m = synthetic_case(n_units=20, n_indicators=4, n_pillars=2, n_subindices=1)
    spec = UncertaintySpec(normalisation=("minmax:low=0",),
                           aggregation=("arithmetic", "geometric"))
    with pytest.raises(TechhubsError, match="positive") as info:
        rank_intervals((panel, m), spec, runs=20)
    assert "aggregation = 'geometric'" in info.value.message


def test_sobol_with_too_few_runs_is_a_clear_error() -> None:
    panel = load_edition("gii-2023")
    with pytest.raises(TechhubsError, match=r"needs at least 64 runs") as info:
        sensitivity(panel, UncertaintySpec(weights=0.25), runs=50, method="gii-clusters")
    assert info.value.key == "runs"
    assert "--runs" in (info.value.hint or "")
    with pytest.raises(TechhubsError, match="power of two"):
        sensitivity(panel, UncertaintySpec(weights=0.25), base_n=48, method="gii-clusters")


def test_weights_by_level_round_trip_and_per_level_noise() -> None:
    spec = UncertaintySpec.from_dict({"weights": {"levels": [3, 2], "noise": [0.1, 0.3]}})
    assert spec.weight_levels == {3: 0.1, 2: 0.3}
    assert spec.to_dict()["weights"] == {"levels": [2, 3], "noise": [0.3, 0.1]}
    assert UncertaintySpec.from_dict(spec.to_dict()).weight_levels == spec.weight_levels
    same = UncertaintySpec.from_dict({"weights": {"levels": [2, 3], "noise": 0.25}})
    assert same.to_dict()["weights"] == {"levels": [2, 3], "noise": 0.25}
    assert not same.is_empty
