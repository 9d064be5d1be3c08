"""Project files: a valid one loads; every mistake is a DataError naming the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from techhubs.errors import DataError, UnknownNameError
from techhubs.pipeline import config_from_dict, load_config

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "build"


def _base() -> dict:
    return {
        "project": {"name": "t"},
        "inputs": [{"source": "patents", "format": "points", "paths": ["points.csv"]}],
        "clustering": {"eps_km": 10.0, "min_weight": {"patents": 2.0}},
    }


def test_fixture_project_loads() -> None:
    cfg = load_config(FIXTURE / "project.toml")
    assert cfg.name == "three-hubs"
    assert cfg.period == (2018, 2022)
    assert cfg.clustering.eps_km == 12.0 and cfg.clustering.min_weight == 3.0
    assert cfg.inputs[0].paths == (FIXTURE / "points.csv",)
    assert cfg.results == FIXTURE / "results" and cfg.cache == FIXTURE / ".techhubs-cache"
    assert cfg.methodology == "gii-clusters" and cfg.robustness is None
    assert cfg.to_dict()["clustering"]["precision"] == 2


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda d: d.update(extra={}), "extra"),
        (lambda d: d.pop("inputs"), "inputs"),
        (lambda d: d["inputs"][0].update(format="xml"), "inputs[0].format"),
        (lambda d: d["inputs"][0].update(paths=["nope.csv"]), "inputs[0].paths"),
        (lambda d: d["inputs"][0].pop("source"), "inputs[0].source"),
        (lambda d: d["clustering"].update(eps_km=-1), "clustering.eps_km"),
        (lambda d: d["clustering"].update(min_weight={"patents": 0}),
         "clustering.min_weight.patents"),
        (lambda d: d["clustering"].update(precision=9), "clustering.precision"),
        (lambda d: d["clustering"].update(merge_threshold=2.0), "clustering.merge_threshold"),
        (lambda d: d["clustering"].update(radius=3), "clustering.radius"),
        (lambda d: d.update(periods={"start": 2022, "end": 2018}), "periods"),
        (lambda d: d.update(periods={"start": "2018"}), "periods.start"),
        (lambda d: d.update(methodology={"preset": "nope"}), "methodology.preset"),
        (lambda d: d.update(methodology={"file": "nope.toml"}), "methodology.file"),
        (lambda d: d.update(robustness={"runs": 0}), "robustness.runs"),
        (lambda d: d["clustering"].update(min_weight={"patentz": 2.0}),
         "clustering.min_weight.patentz"),
        (lambda d: d.update(robustness={"wieghts": 0.2}), "robustness.wieghts"),
        (lambda d: d.update(robustness={"clustering": {"min_weight": [1, 2],
                                                       "min_weight_scale": [1, 2]}}),
         "robustness.clustering.min_weight"),
        (lambda d: d["inputs"][0].update(paths=[]), "inputs[0].paths"),
        (lambda d: d["clustering"].update(eps_km=True), "clustering.eps_km"),
    ],
)
def test_mistakes_name_their_key(change, key) -> None:
    raw = _base()
    change(raw)
    with pytest.raises(DataError) as err:
        config_from_dict(raw, root=FIXTURE, file=FIXTURE / "p.toml")
    assert err.value.key == key
    assert err.value.file == str(FIXTURE / "p.toml")


def test_unknown_compare_edition() -> None:
    raw = _base()
    raw["compare"] = {"edition": "gii-1999"}
    with pytest.raises(UnknownNameError):
        config_from_dict(raw, root=FIXTURE)


def test_invalid_toml_and_missing_file(tmp_path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_config(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[project\nname = 1")
    with pytest.raises(DataError, match="invalid TOML"):
        load_config(bad)


def test_paths_are_relative_to_the_project_file(tmp_path) -> None:
    shutil.copy(FIXTURE / "points.csv", tmp_path / "points.csv")
    shutil.copy(FIXTURE / "project.toml", tmp_path / "project.toml")
    cfg = load_config(tmp_path / "project.toml")
    assert cfg.inputs[0].paths == (tmp_path / "points.csv",)
    assert cfg.results == tmp_path / "results"


def test_a_sampled_min_weight_against_per_source_values_is_read_as_a_scale() -> None:
    raw = _base()
    raw["robustness"] = {"runs": 10, "clustering": {"min_weight": [0.5, 2]}}
    with pytest.warns(FutureWarning, match="min_weight_scale"):
        cfg = config_from_dict(raw, root=FIXTURE, file=FIXTURE / "p.toml")
    assert cfg.robustness is not None
    assert cfg.robustness["clustering"] == {"min_weight_scale": [0.5, 2.0]}
    raw["clustering"]["min_weight"] = 3.0  # one value: a sampled min_weight replaces it
    raw["robustness"] = {"runs": 10, "clustering": {"min_weight": [2, 4]}}
    cfg = config_from_dict(raw, root=FIXTURE, file=FIXTURE / "p.toml")
    assert cfg.robustness is not None
    assert cfg.robustness["clustering"] == {"min_weight": [2, 4]}
