"""The one alias table (geo/data/aliases.csv). Reference: GeoNames ids and names of the
gazetteer; hand-written malformed tables."""

from __future__ import annotations

import pytest

from techhubs.errors import DataError
from techhubs.geo.aliases import load_aliases
from techhubs.geo.gazetteer import place_by_id
from techhubs.geo.text import fold


def test_alias_table_is_small_consistent_and_sourced() -> None:
    aliases = load_aliases()
    assert 0 < len(aliases) <= 60
    assert "siliconvalley" in aliases and "sophiaantipolis" in aliases
    for key, a in aliases.items():
        assert key == fold(a.alias)
        assert a.places and a.source and len(a.explanation) >= 15
        for p in a.places:  # every target exists in the gazetteer
            assert place_by_id(p.geonameid) == p
        # the stated country is the first place's (a region may span economies: CN/HK)
        assert not a.country_code or a.places[0].country_code == a.country_code
    assert [p.name for p in aliases["sophiaantipolis"].places] == ["Valbonne"]
    assert aliases["siliconvalley"].places[0].name == "San Jose"


def test_bad_alias_file_names_the_line(tmp_path) -> None:
    bad = tmp_path / "aliases.csv"
    bad.write_text("alias,country_code,geonameids,place_names,explanation,source\n"
                   "Somewhere,US,5392171,Paris,x,y\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_aliases(str(bad))
    assert err.value.line == 2 and "San Jose" in err.value.message
    missing = tmp_path / "short.csv"
    missing.write_text("alias,country_code\nX,US\n", encoding="utf-8")
    with pytest.raises(DataError, match="lacks columns"):
        load_aliases(str(missing))
    dup = tmp_path / "dup.csv"
    dup.write_text("alias,country_code,geonameids,place_names,explanation,source\n"
                   "Here,US,5392171,San Jose,x,y\nhere,US,5392171,San Jose,x,y\n",
                   encoding="utf-8")
    with pytest.raises(DataError, match="duplicate alias") as err:
        load_aliases(str(dup))
    assert err.value.line == 3
