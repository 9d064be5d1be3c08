"""The alias table: names that no gazetteer holds, mapped to GeoNames places.

``geo/data/aliases.csv`` has one row per alias (``alias, country_code,
geonameids, place_names, explanation, source``):

* regions known by a nickname ("Silicon Valley", "Research Triangle"), with
  their member places, largest or best known first;
* science parks, campuses and military bases that are not populated places
  ("Sophia Antipolis" -> Valbonne, "Research Triangle Park" -> Durham), with
  the one place they lie in.

Every id is checked against the gazetteer and the name written beside it, so
a wrong id is an error naming the line. Hub resolution
(:mod:`techhubs.compare.resolve`) takes all the places of an alias; the
free-text geocoder takes the first.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import polars as pl

from techhubs.errors import DataError
from techhubs.geo.gazetteer import Place, place_by_id
from techhubs.geo.text import fold

ALIAS_COLUMNS = ("alias", "country_code", "geonameids", "place_names", "explanation", "source")


@dataclass(frozen=True)
class Alias:
    """One row of the alias table, its places looked up."""

    alias: str
    country_code: str
    places: tuple[Place, ...]
    explanation: str
    source: str


def alias_path() -> Path:
    """The bundled alias table."""
    return Path(str(resources.files("techhubs.geo") / "data" / "aliases.csv"))


@functools.cache
def load_aliases(path: str | None = None) -> dict[str, Alias]:
    """The alias table (bundled by default), keyed by the :func:`~techhubs.geo.text.fold`
    key of each alias.

    >>> [p.name for p in load_aliases()["researchtriangle"].places]
    ['Raleigh', 'Durham', 'Chapel Hill']
    """
    file = Path(path) if path else alias_path()
    try:
        frame = pl.read_csv(file, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise DataError(f"cannot read the alias table: {exc}", file=file) from exc
    missing = [c for c in ALIAS_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"alias table lacks columns {missing}", file=file)
    out: dict[str, Alias] = {}
    for line, row in enumerate(frame.iter_rows(named=True), start=2):
        ids_text = [t.strip() for t in (row["geonameids"] or "").split(";") if t.strip()]
        names = [n.strip() for n in (row["place_names"] or "").split(";")]
        if not row["alias"] or not ids_text or len(ids_text) != len(names):
            raise DataError("alias needs a name and as many place names as GeoNames ids",
                            file=file, line=line, key=row["alias"])
        places = []
        for gid, expected in zip(ids_text, names, strict=True):
            try:
                place = place_by_id(int(gid))
            except ValueError as exc:
                raise DataError(f"bad GeoNames id {gid!r}", file=file, line=line,
                                key="geonameids") from exc
            except DataError as exc:
                raise DataError(exc.message, file=file, line=line, key="geonameids") from exc
            if fold(place.name) != fold(expected):
                raise DataError(f"GeoNames id {gid} is {place.name!r}, not {expected!r}",
                                file=file, line=line, key="place_names")
            places.append(place)
        key = fold(row["alias"])
        if key in out:
            raise DataError(f"duplicate alias {row['alias']!r}", file=file, line=line)
        out[key] = Alias(alias=row["alias"], country_code=row["country_code"] or "",
                         places=tuple(places), explanation=row["explanation"] or "",
                         source=row["source"] or "")
    return out
