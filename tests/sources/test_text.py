"""The streaming line splitter against Python's own splitting, at every chunk boundary."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from techhubs.sources import _text
from techhubs.sources._text import iter_raw_lines

lines = st.lists(st.text(alphabet='ab,"é', max_size=6), min_size=1, max_size=12)
endings = st.sampled_from(["\n", "\r", "\r\n"])


@settings(max_examples=150, deadline=None)
@given(lines=lines, ending=endings, chunk=st.integers(1, 7), final=st.booleans())
def test_any_line_ending_any_chunk(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str], ending: str, chunk: int, final: bool
) -> None:
    path = tmp_path_factory.mktemp("t") / "f.txt"
    text = ending.join(lines) + (ending if final else "")
    path.write_bytes(text.encode())
    old = _text._CHUNK
    _text._CHUNK = chunk
    try:
        got = [b.decode() for b in iter_raw_lines(path)]
    finally:
        _text._CHUNK = old
    expected = text.splitlines()
    assert got == expected


def test_gzip_detected_by_magic_not_name(tmp_path: Path) -> None:
    path = tmp_path / "plain-name.csv"
    path.write_bytes(gzip.compress(b"a,b\r1,2\r"))
    assert list(iter_raw_lines(path)) == [b"a,b", b"1,2"]
