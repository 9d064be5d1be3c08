"""Reference editions: published cluster tables bundled as :class:`~techhubs.panel.Panel`.

Each edition is declared in ``data/editions.toml`` (title, source, world
totals and how they were derived) next to its table.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl

from techhubs.errors import UnknownNameError
from techhubs.geo.gazetteer import Place, locate_places
from techhubs.geo.sphere import weighted_centroid
from techhubs.geo.text import slug
from techhubs.panel import Panel, file_sha256


def data_dir() -> Path:
    return Path(str(resources.files("techhubs.datasets") / "data"))


@functools.cache
def _catalogue() -> dict[str, dict[str, Any]]:
    with open(data_dir() / "editions.toml", "rb") as handle:
        return tomllib.load(handle)


@dataclass(frozen=True)
class Edition:
    name: str
    title: str
    source: str
    year: int
    method: str
    note: str
    path: Path

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "source": self.source,
                "year": self.year, "method": self.method, "note": self.note.strip(),
                "file": self.path.name}


def edition_info(name: str) -> Edition:
    cat = _catalogue()
    if name not in cat:
        raise UnknownNameError(f"no edition named {name!r}", key=name,
                               hint=f"editions: {', '.join(cat)} (techhubs editions)")
    e = cat[name]
    return Edition(name=name, title=e["title"], source=e["source"], year=int(e["year"]),
                   method=e.get("method", "gii-clusters"), note=e.get("note", ""),
                   path=data_dir() / e["file"])


def list_editions() -> list[Edition]:
    """The bundled reference editions (name, title, source, year, method, note).

    Examples
    --------
    >>> import techhubs
    >>> [e.name for e in techhubs.list_editions()][:1]
    ['gii-2023']
    """
    return [edition_info(name) for name in _catalogue()]


@functools.cache
def load_edition(name: str = "gii-2023") -> Panel:
    """The published figures of an edition as a panel (with published ranks as reference)."""
    info = edition_info(name)
    spec = _catalogue()[name]
    table = pl.read_csv(info.path, separator="\t", infer_schema_length=0)
    indicators = []
    for code, meta in spec["indicators"].items():
        indicators.append({"code": code, "name": meta["name"], "unit": meta.get("unit", ""),
                           "direction": 1, "source": meta.get("source", ""),
                           "period": meta.get("period", ""),
                           "world_total": meta.get("world_total")})
    names = table[spec["unit_column"]].to_list()
    economies = table[spec["economies_column"]].to_list()
    places = [locate_places(n, e.split("/")) for n, e in zip(names, economies, strict=True)]
    frame = pl.DataFrame({
        "unit_id": [slug(n) for n in names],
        "name": names,
        "economies": economies,
        "latitude": [_centroid(p)[0] for p in places],
        "longitude": [_centroid(p)[1] for p in places],
        "population": [float(sum(x.population for x in p)) if p else None for p in places],
        "members": ["; ".join(x.name for x in p) for p in places],
        **{code: table[code] for code in spec["indicators"]},
    })
    ref_cols = {"published_rank": pl.col(spec["rank_column"]).cast(pl.Int64)}
    if spec.get("previous_rank_column"):
        ref_cols["previous_rank"] = pl.col(spec["previous_rank_column"]).cast(pl.Int64)
    for code, meta in spec["indicators"].items():
        if meta.get("published_share_column"):
            ref_cols[f"published_{code}_share"] = pl.col(
                meta["published_share_column"]).cast(pl.Float64)
    published = spec.get("published", {})
    if published.get("total_share_column"):
        ref_cols["published_total_share"] = pl.col(published["total_share_column"]).cast(
            pl.Float64)
    reference = table.select(**ref_cols).with_columns(
        pl.Series("unit_id", frame["unit_id"].to_list())
    )
    provenance = {
        "edition": name,
        "edition_title": info.title,
        "source": info.source,
        "file": info.path.name,
        "sha256": file_sha256(info.path),
        "world_totals": {c: m.get("world_total") for c, m in spec["indicators"].items()},
        "world_totals_note": " ".join(info.note.split()),
        "places_note": "members, coordinates and population from the GeoNames places named "
        "in each cluster's name (population: sum of those places, a lower bound)",
    }
    return Panel.from_frame(frame, indicators=indicators, provenance=provenance,
                            reference=reference, file=None)


def _centroid(places: list[Place]) -> tuple[float | None, float | None]:
    """Population-weighted centroid of the named places (places without population weigh 1)."""
    return weighted_centroid([p.latitude for p in places], [p.longitude for p in places],
                             [max(p.population, 1) for p in places])


def world_total_ranges(name: str) -> dict[str, tuple[float, float]]:
    """The ranges of world totals consistent with the published figures."""
    spec = _catalogue()[name]
    return {code: (float(meta["world_total_range"][0]), float(meta["world_total_range"][1]))
            for code, meta in spec["indicators"].items() if "world_total_range" in meta}
