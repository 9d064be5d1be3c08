"""Methodology files: every malformed input is one clear MethodologyError naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from techhubs.errors import MethodologyError, UnknownNameError
from techhubs.methodology import load_methodology, methodology_from_dict

GOOD = """
name = "mini"
[[indicator]]
code = "a"
parent = "p"
weight = 0.5
[[indicator]]
code = "b"
parent = "p"
weight = 0.5
[[node]]
code = "p"
parent = "index"
[[node]]
code = "index"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "method.toml"
    path.write_text(text)
    return path


def test_presets_load() -> None:
    for name in ("gii-clusters", "gii-intensity", "hub-factors"):
        m = load_methodology(name)
        assert m.name == name
        assert m.root.code == "index"
    hub = load_methodology("hub-factors")
    assert hub.depth() == 3
    assert {n.code for n in hub.children("index")} == {"people", "knowledge", "capital",
                                                       "infrastructure"}


def test_round_trip_through_toml(tmp_path: Path) -> None:
    m = load_methodology("hub-factors")
    again = load_methodology(write(tmp_path, m.to_toml()))
    assert again.nodes == m.nodes
    assert again.normalise == m.normalise and again.aggregate == m.aggregate


@pytest.mark.parametrize(
    "edit,key,message",
    [
        (lambda s: s.replace("weight = 0.5\n[[indicator]]", "weight = -0.5\n[[indicator]]"),
         "indicator[0] (a).weight", "negative weight"),
        (lambda s: s.replace('parent = "index"', 'parent = "b2"'), "p.parent",
         "not a node"),
        (lambda s: s + '[normalise]\nmethod = "minmax2"\n', "normalise.method",
         "unknown method 'minmax2'"),
        (lambda s: s + '[aggregate]\nmethod = "median"\n', "aggregate.method",
         "unknown method"),
        (lambda s: s + '[impute]\nmethod = "knn"\n', "impute.method", "unknown method"),
        (lambda s: "weights_sum = 2.0\n" + s, "children weights", "sum to 1"),
        (lambda s: s + "[treat]\nmax_points = 'x'\n", "treat.max_points", "must be int"),
        (lambda s: s + '[treat]\nfallback = "sqrt"\n', "treat.fallback", "unknown method"),
        (lambda s: s + '[normalise]\nties = "max"\n', "normalise.ties", "unknown ties rule"),
        (lambda s: s + '[denominate]\nmethod = "divide"\n', "denominate.method",
         "unknown method"),
        (lambda s: s.replace('code = "index"', 'code = "index"\nparent = "p"'),
         "parent", "cycle in the tree"),
        (lambda s: s.replace('[[node]]\ncode = "index"\n', ""), "p.parent",
         "not a node"),
        (lambda s: s + "colour = 'red'\n", "", "unknown key"),
        (lambda s: s.replace('code = "b"', 'code = "a"'), "a", "duplicate code"),
        (lambda s: s.replace("weight = 0.5", 'weight = "heavy"', 1), "weight",
         "must be a number"),
    ],
)
def test_malformed_methodologies(tmp_path: Path, edit, key: str, message: str) -> None:
    path = write(tmp_path, edit(GOOD))
    with pytest.raises(MethodologyError) as info:
        load_methodology(path)
    err = info.value
    assert err.file == str(path)
    assert key in (err.key or "") or key in err.describe()
    assert message in err.describe()


def test_cycle_detected_without_reaching_root() -> None:
    raw = {
        "name": "cyc",
        "indicator": [{"code": "a", "parent": "p"}],
        "node": [{"code": "p", "parent": "q"}, {"code": "q", "parent": "p"}, {"code": "index"}],
    }
    with pytest.raises(MethodologyError, match=r"cycle in the tree: (p -> q -> p|q -> p -> q)"):
        methodology_from_dict(raw, origin="cyc.toml")


def test_invalid_toml_syntax(tmp_path: Path) -> None:
    with pytest.raises(MethodologyError, match="invalid TOML"):
        load_methodology(write(tmp_path, "name = \n"))


def test_unknown_preset() -> None:
    with pytest.raises(UnknownNameError, match="no methodology preset named 'gii-clusterz'"):
        load_methodology("gii-clusterz")


def test_with_step_validates() -> None:
    m = load_methodology("gii-clusters")
    assert m.with_step("normalise", method="zscore").normalise.method == "zscore"
    with pytest.raises(MethodologyError, match="unknown method"):
        m.with_step("aggregate", method="mode")
    with pytest.raises(MethodologyError, match="unknown node"):
        m.with_weights({"nope": 1.0})
