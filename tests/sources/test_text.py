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


def test_a_zip_archive_is_read_as_its_largest_member(tmp_path: Path) -> None:
    """ROR publishes its dump as a zip (v1 JSON, v2 JSON, v2 CSV): the largest member is
    read, its layout told by its name; the archive is closed with the stream."""
    import zipfile

    from techhubs.errors import DataError
    from techhubs.sources.ror import RorReader

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "sources"
    csv_text = (fixtures / "ror_organizations.csv").read_bytes()
    archive = tmp_path / "v2.1-2026-01-01-ror-data.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("v2.1-2026-01-01-ror-data.json", b"[]")
        zf.writestr("v2.1-2026-01-01-ror-data_schema_v2.csv", csv_text)
    assert _text.zip_member(archive) == "v2.1-2026-01-01-ror-data_schema_v2.csv"
    assert _text.is_csv(archive)
    zipped = RorReader().read(archive)
    plain = RorReader().read(fixtures / "ror_organizations.csv")
    assert zipped.points.equals(plain.points)
    assert zipped.report.records_read == plain.report.records_read
    json_archive = tmp_path / "ror.zip"
    with zipfile.ZipFile(json_archive, "w") as zf:
        zf.writestr("ror-data.json", (fixtures / "ror_v2.json").read_bytes())
    assert not _text.is_csv(json_archive)
    assert RorReader().read(json_archive).points.height == RorReader().read(
        fixtures / "ror_v2.json").points.height
    broken = tmp_path / "broken.zip"
    broken.write_bytes(archive.read_bytes()[:60])
    with pytest.raises(DataError, match="zip"):
        RorReader().read(broken)
    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    with pytest.raises(DataError, match="holds no file"):
        RorReader().read(empty)


def test_patentsview_tables_are_read_from_their_zip_archives(tmp_path: Path) -> None:
    """PatentsView publishes each table as a .tsv.zip (what `techhubs fetch patentsview`
    downloads): read as the plain TSVs are, and a damaged archive is named."""
    import zipfile

    from techhubs.errors import DataError
    from techhubs.sources.patentsview import PatentsViewReader

    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "sources"
    names = ("g_inventor_disambiguated", "g_location_disambiguated", "g_patent")
    zipped = []
    for name in names:
        target = tmp_path / f"{name}.tsv.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.write(fixtures / f"{name}.tsv", f"{name}.tsv")
        zipped.append(target)
    plain = PatentsViewReader().read([fixtures / f"{n}.tsv" for n in names])
    got = PatentsViewReader().read(zipped)
    assert got.points.equals(plain.points)
    assert got.report.dropped == plain.report.dropped
    example = got.report.examples["duplicate id"][0]
    assert example.file is not None and example.file.endswith("g_inventor_disambiguated.tsv.zip")
    zipped[1].write_bytes(zipped[1].read_bytes()[:80])
    with pytest.raises(DataError) as info:
        PatentsViewReader().read(zipped)
    assert "g_location_disambiguated.tsv.zip" in str(info.value)
