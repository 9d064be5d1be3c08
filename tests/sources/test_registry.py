"""The reader registry: one list of formats for the CLI, the project file and enrich."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from techhubs.cli import cli
from techhubs.errors import DataError
from techhubs.pipeline.project import FORMATS
from techhubs.sources import registry
from techhubs.sources._base import Reader


def test_every_format_has_a_reader_class_named_like_it() -> None:
    for name in registry.reader_names():
        cls = registry.reader_class(name)
        assert issubclass(cls, Reader) and cls.name == name
    assert registry.reader_class("generic") is registry.reader_class("table")
    assert set(registry.describe()) == set(registry.reader_names())


def test_the_cli_and_the_project_file_offer_the_registry() -> None:
    ingest = cli.get_command(None, "ingest")  # type: ignore[arg-type]
    source = next(p for p in ingest.params if p.name == "source")
    assert tuple(source.type.choices) == registry.reader_names()  # type: ignore[attr-defined]
    assert set(FORMATS) == {"points", *registry.reader_names(), *registry.ALIASES}


def test_options_are_checked_by_name() -> None:
    reader = registry.make_reader("table", {"lat": "y", "lon": "x"}, source="vc")
    assert reader.source == "vc"  # type: ignore[attr-defined]
    with pytest.raises(DataError, match="takes no option 'colour'") as info:
        registry.make_reader("ror", {"colour": "red"})
    assert info.value.key == "options.colour"
    with pytest.raises(DataError, match="needs the option 'institutions'"):
        registry.make_reader("openalex", {})
    with pytest.raises(DataError, match="unknown format 'xml'"):
        registry.make_reader("xml")


def test_ingest_names_a_missing_option() -> None:
    result = CliRunner().invoke(cli, ["ingest", "openalex", "w.jsonl", "--out", "p.parquet"])
    assert isinstance(result.exception, DataError)
    assert result.exception.key == "--institutions"
