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
from techhubs.geo.gazetteer import Place, cluster_places, place_table, write_place_table
from techhubs.geo.sphere import weighted_centroid
from techhubs.geo.text import slug
from techhubs.panel import Panel, file_sha256


def data_dir() -> Path:
    return Path(str(resources.files("techhubs.datasets") / "data"))


@functools.cache
def _catalogue() -> dict[str, dict[str, Any]]:
    with open(data_dir() / "editions.toml", "rb") as handle:
        return tomllib.load(handle)


FIGURES = "figures"
"""An edition with the figures its method needs: it can be recomputed and explained."""
PUBLISHED_RANKS = "published-ranks"
"""An edition of ranks (and the few figures) as published: it ranks by the published rank."""


@dataclass(frozen=True)
class Edition:
    name: str
    title: str
    source: str
    year: int
    method: str
    note: str
    path: Path
    kind: str = FIGURES
    facts: tuple[str, ...] = ()
    publisher: str = ""

    @property
    def recomputable(self) -> bool:
        return self.kind == FIGURES

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "source": self.source,
                "year": self.year, "method": self.method, "note": " ".join(self.note.split()),
                "file": self.path.name, "kind": self.kind, "facts": list(self.facts),
                "publisher": self.publisher}


def edition_info(name: str) -> Edition:
    cat = _catalogue()
    if name not in cat:
        raise UnknownNameError(f"no edition named {name!r}", key=name,
                               hint=f"editions: {', '.join(cat)} (techhubs editions)")
    e = cat[name]
    return Edition(name=name, title=e["title"], source=e["source"], year=int(e["year"]),
                   method=e.get("method", "gii-clusters"), note=e.get("note", ""),
                   path=data_dir() / e["file"], kind=e.get("kind", FIGURES),
                   facts=tuple(e.get("facts", ())), publisher=e.get("publisher", ""))


def newest_published() -> Edition:
    """The newest published-ranks edition of the GII cluster ranking (by year)."""
    ranked = [edition_info(n) for n in _catalogue()]
    main = [e for e in ranked if e.kind == PUBLISHED_RANKS and "intensity" not in e.name]
    return max(main, key=lambda e: e.year)


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
    """The published figures of an edition as a panel (with published ranks as reference).

    A published-ranks edition's indicators are the figures it publishes (shares or
    per-capita values, empty where not published); :func:`published_figures` says which.
    """
    info = edition_info(name)
    if info.kind == PUBLISHED_RANKS:
        return _published_ranks_panel(info)
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
    places = [cluster_places(n, e.split("/")) for n, e in zip(names, economies, strict=True)]
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


def _published_ranks_panel(info: Edition) -> Panel:
    spec = _catalogue()[info.name]
    table = pl.read_csv(info.path, separator="\t", infer_schema_length=0)
    indicators = spec.get("indicators", {})
    names = table[spec["unit_column"]].to_list()
    economies = table[spec["economies_column"]].to_list()
    places = [cluster_places(n, e.split("/")) for n, e in zip(names, economies, strict=True)]
    frame = pl.DataFrame({
        "unit_id": [slug(n) for n in names], "name": names, "economies": economies,
        "latitude": [_centroid(p)[0] for p in places],
        "longitude": [_centroid(p)[1] for p in places],
        "members": ["; ".join(x.name for x in p) for p in places],
        **{code: table[meta["published_column"]] for code, meta in indicators.items()},
    })
    meta = [{"code": code, "name": m["name"], "unit": m.get("unit", ""), "direction": 1,
             "source": info.source, "period": spec.get("period", "")}
            for code, m in indicators.items()]
    reference = table.select(
        pl.col(spec["rank_column"]).cast(pl.Int64).alias("published_rank"),
        pl.col(spec.get("note_column", spec["rank_column"])).alias("published_note"),
    ).with_columns(pl.Series("unit_id", frame["unit_id"].to_list()))
    provenance = {
        "edition": info.name, "edition_title": info.title, "edition_kind": info.kind,
        "source": info.source, "file": info.path.name, "sha256": file_sha256(info.path),
        "note": " ".join(info.note.split()),
        "places_note": "members and coordinates from the GeoNames places named in each "
        "cluster's name",
    }
    return Panel.from_frame(frame, indicators=meta, provenance=provenance,
                            reference=reference, file=None)


def published_figures(name: str) -> dict[str, Any]:
    """What a published-ranks edition publishes and what it does not, for every output:
    ``{"published": [...], "missing": [...], "counts": {figure: units with it}}``."""
    info = edition_info(name)
    panel = load_edition(name)
    n = panel.n_units
    counts = {"rank": n}
    for code in panel.indicator_codes:
        counts[code] = int(panel.values[code].is_not_null().sum())
    method_needs = ("PCT applications, scientific publications and VC deal counts"
                    if info.year >= 2025 else "PCT application and scientific publication "
                    "counts") + (" and populations" if "intensity" in name else "")
    spec = _catalogue()[name].get("indicators", {})
    published = [f"ranks and names of {n} clusters"] + [
        f"{spec[c].get('description', c)} for {k} of them"
        for c, k in counts.items() if c != "rank" and k]
    return {"published": published, "missing": [f"{method_needs} and world totals (the "
                                                "figures the method ranks by)"],
            "counts": counts}


def edition_clusters() -> list[tuple[str, list[str]]]:
    """(name, economies) of every cluster of every bundled edition."""
    out = []
    for name in _catalogue():
        info = edition_info(name)
        spec = _catalogue()[name]
        table = pl.read_csv(info.path, separator="\t", infer_schema_length=0)
        out += [(n, e.split("/")) for n, e in zip(table[spec["unit_column"]].to_list(),
                                                 table[spec["economies_column"]].to_list(),
                                                 strict=True)]
    return out


def rebuild_cluster_places() -> Path:
    """Rewrite the prebuilt places table of the bundled clusters from the gazetteer (run
    after adding or changing an edition; a test fails while it is out of date)."""
    return write_place_table(place_table(edition_clusters()))
