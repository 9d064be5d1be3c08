from __future__ import annotations

import pytest

from techhubs.errors import ComputationError, DataError
from techhubs.sources.accounting import IngestReport


def test_counts_examples_and_views() -> None:
    r = IngestReport(source="x", max_examples=2)
    r.read(5)
    r.use(2)
    for line in (3, 4, 5):
        r.drop("no location", file="/data/f.csv", line=line, key=f"k{line}")
    r.check()
    d = r.to_dict()
    assert d["records_dropped"] == 3
    assert d["dropped"]["no location"]["count"] == 3
    assert d["dropped"]["no location"]["examples"] == ["f.csv:3 k3", "f.csv:4 k4"]
    frame = r.to_frame()
    assert frame["records"].to_list() == [2, 3]
    assert r.to_table().row_count == 2


def test_check_detects_unbalanced_accounting() -> None:
    r = IngestReport(source="x")
    r.read(2)
    r.use(1)
    with pytest.raises(ComputationError):
        r.check()


def test_strict_raises_with_location() -> None:
    r = IngestReport(source="x", strict=True)
    with pytest.raises(DataError) as info:
        r.drop("out of range", file="f.csv", line=7, key="id9")
    assert (info.value.file, info.value.line, info.value.key) == ("f.csv", 7, "id9")


def test_merge() -> None:
    a, b = IngestReport(source="x"), IngestReport(source="x")
    a.read(1)
    a.use(1)
    b.read(2)
    b.drop("duplicate id", count=2)
    a.merge(b)
    a.check()
    assert a.dropped["duplicate id"] == 2
