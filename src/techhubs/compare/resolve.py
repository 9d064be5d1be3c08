"""Place resolution: a published name -> a hub (a set of GeoNames places) -> an edition's unit.

Rankings spell one hub many ways: "Silicon Valley", "San Francisco",
"San Jose–San Francisco, CA", "San Francisco – Silicon Valley, USA". A name
is resolved in four steps:

1. **Parse.** A parenthesised part is resolved as an extra component
   ("Silicon Valley (San Jose, CA, USA)"). The rest is split into components
   at en/em dashes, spaced hyphens and slashes; an unspaced hyphen splits only
   when the whole text is not itself a place ("Macau-Zhuhai", but not
   "Aix-en-Provence"). Text after a comma is a qualifier: a country (name,
   ISO code, "USA", "UK"...) or a US state code. Qualifiers of the last
   component also apply to components that have none of their own
   ("Shenzhen – Hong Kong – Guangzhou, China"). Qualifiers and the
   ``economies`` argument are preferences, never filters: "China" also
   prefers Hong Kong and Macao.
2. **Look up** each component: first the alias table
   (:mod:`techhubs.geo.aliases`: regions such as "Silicon Valley" that no
   gazetteer holds, each with its member places, an explanation and a
   source), then GeoNames names and alternate names in the name index of
   :mod:`techhubs.geo.gazetteer` (by :func:`~techhubs.geo.text.fold` key:
   case, accents and punctuation ignored), then fuzzy matching of names of
   places with at least 15,000 inhabitants (rapidfuzz ``WRatio`` >= 88).
3. **Choose** among homonyms jointly: each candidate scores log10(population)
   + 3 for a matching qualifier + 2 for a matching economy + 0.5 for a main
   (not alternate) name, and a combination loses 2 per pair of components
   more than 300 km apart, so "Boston–Cambridge" picks Cambridge,
   Massachusetts and "Shanghai–Suzhou" the Suzhou in Jiangsu.
4. **Score.** A component's confidence is 0.95 for an alias, 1.0 for a main
   name (0.9 for an alternate name) times a homonym factor (the chosen
   place's share of the population of all places of that name, or at least
   0.9 when a qualifier, an economy or a nearby component supports the
   choice; 0.5 + 0.5 x share otherwise), and 0.8 x similarity for a fuzzy
   match. A hub's confidence is the least confident component times the
   share of components resolved.

:func:`match_to_units` then finds the unit of an edition (a
:class:`~techhubs.panel.Panel`) that a hub belongs to: by shared member
places when the panel lists members, by shared places of the units' own
resolved names, then by proximity (nearest place within ``max_km``).

Places, names, distances and aliases all come from :mod:`techhubs.geo`; this
module only chooses among them.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from techhubs.errors import DataError
from techhubs.geo.aliases import load_aliases
from techhubs.geo.gazetteer import Place, load_countries, name_index
from techhubs.geo.sphere import great_circle_km, weighted_centroid
from techhubs.geo.text import fold, fold_expr
from techhubs.panel import Panel

ALIAS_CONFIDENCE = 0.95
ALTERNATE_NAME_FACTOR = 0.9
FUZZY_FACTOR = 0.8
FUZZY_CUTOFF = 88.0
FUZZY_MIN_POPULATION = 15000
SPREAD_KM = 300.0
DEFAULT_MAX_KM = 30.0

_DASHES = re.compile(r"\s*[–—]\s*|\s+-\s+|\s*/\s*")
_PAREN = re.compile(r"^(?P<main>.*?)\s*\((?P<inner>[^()]*)\)\s*(?P<rest>.*)$")

# Country spellings that GeoNames' country table does not carry.
_COUNTRY_WORDS: dict[str, tuple[str, ...]] = {
    "usa": ("US",), "us": ("US",), "unitedstatesofamerica": ("US",), "america": ("US",),
    "uk": ("GB",), "britain": ("GB",), "greatbritain": ("GB",), "england": ("GB",),
    "scotland": ("GB",), "wales": ("GB",), "korea": ("KR",), "republicofkorea": ("KR",),
    "southkorea": ("KR",), "macao": ("MO",), "macau": ("MO",), "czechia": ("CZ",),
    "holland": ("NL",), "thenetherlands": ("NL",), "uae": ("AE",), "russia": ("RU",),
    "iran": ("IR",), "vietnam": ("VN",), "turkiye": ("TR",), "turkey": ("TR",),
}
# Economies a country qualifier also covers (special administrative regions).
_ALSO_COVERS: dict[str, tuple[str, ...]] = {"CN": ("HK", "MO")}


# ----------------------------------------------------------------- records
@dataclass(frozen=True)
class Hub:
    """A published name resolved to a set of GeoNames places.

    ``latitude``/``longitude`` are the population-weighted centroid of the
    places (None when nothing resolved); ``method`` names how the components
    were found ("alias", "gazetteer", "fuzzy", joined with "+" when mixed,
    "unresolved" when none was).
    """

    name_as_given: str
    places: tuple[Place, ...]
    economies: tuple[str, ...]
    latitude: float | None
    longitude: float | None
    confidence: float
    explanation: str
    method: str
    unresolved_parts: tuple[str, ...] = field(default=())

    @property
    def resolved(self) -> bool:
        return bool(self.places)

    @property
    def geonameids(self) -> frozenset[int]:
        return frozenset(p.geonameid for p in self.places)

    @property
    def largest(self) -> Place | None:
        return max(self.places, key=lambda p: (p.population, -p.geonameid), default=None)

    @property
    def key(self) -> str:
        """Identity without an edition: the GeoNames id of the largest place."""
        big = self.largest
        return f"gn:{big.geonameid}" if big else f"unresolved:{fold(self.name_as_given)}"

    def to_dict(self) -> dict[str, Any]:
        return {"name_as_given": self.name_as_given,
                "places": [p.to_dict() for p in self.places],
                "economies": list(self.economies), "latitude": self.latitude,
                "longitude": self.longitude, "confidence": self.confidence,
                "explanation": self.explanation, "method": self.method,
                "unresolved_parts": list(self.unresolved_parts), "key": self.key}


@dataclass(frozen=True)
class _Option:
    places: tuple[Place, ...]
    method: str  # alias | gazetteer | alternate | fuzzy
    detail: str
    base: float  # confidence before homonym/context factors
    share: float  # population share among homonyms (1 for aliases)
    qualifier_match: bool
    economy_match: bool

    @property
    def anchor(self) -> Place:
        return max(self.places, key=lambda p: p.population)

    def score(self) -> float:
        pop = sum(p.population for p in self.places)
        return (math.log10(pop + 10) + 3.0 * self.qualifier_match + 2.0 * self.economy_match
                + 0.5 * (self.method in ("alias", "gazetteer")))


# ---------------------------------------------------------------- fuzzy pool
@dataclass(frozen=True)
class _FuzzyPool:
    keys: list[str]  # fold keys of main names of places >= FUZZY_MIN_POPULATION
    rows: list[list[int]]  # their rows in the name index's cities


@functools.cache
def _fuzzy_pool() -> _FuzzyPool:
    big = (name_index().cities.with_row_index("row")
           .filter(pl.col("population") >= FUZZY_MIN_POPULATION)
           .with_columns(fold_expr(pl.col("name")).alias("key"))
           .group_by("key").agg(pl.col("row")).sort("key"))
    return _FuzzyPool(keys=big["key"].to_list(), rows=[list(r) for r in big["row"].to_list()])


# --------------------------------------------------------------- qualifiers
@functools.cache
def _country_words() -> dict[str, tuple[str, ...]]:
    words: dict[str, tuple[str, ...]] = {}
    for r in load_countries().iter_rows(named=True):
        codes = (r["iso"], *_ALSO_COVERS.get(r["iso"], ()))
        for text in (r["name"], r["iso3"]):
            words[fold(text)] = codes
    words.update(_COUNTRY_WORDS)
    return words


@functools.cache
def _us_states() -> frozenset[str]:
    codes = name_index().cities.filter(pl.col("country_code") == "US")["admin1_code"].unique()
    return frozenset(c for c in codes.to_list() if c and len(c) == 2)


def _qualifier(text: str) -> tuple[tuple[str, str | None], ...]:
    """(country, admin1 or None) pairs that a qualifier such as "CA" or "USA" denotes."""
    text = text.strip().strip(".")
    out: list[tuple[str, str | None]] = []
    if len(text) == 2 and text.isupper():
        if text in _us_states():
            out.append(("US", text))
        codes = _country_words().get(text.lower())
        if text in set(load_countries()["iso"].to_list()):
            out.append((text, None))
        elif codes:
            out.extend((c, None) for c in codes)
        return tuple(out)
    codes = _country_words().get(fold(text))
    if codes:
        out.extend((c, None) for c in codes)
    return tuple(out)


def _matches(place: Place, quals: Sequence[tuple[str, str | None]]) -> bool:
    return any(place.country_code == c and (a is None or place.admin1_code == a)
               for c, a in quals)


# ------------------------------------------------------------------ parsing
@dataclass(frozen=True)
class _Part:
    text: str
    qualifiers: tuple[str, ...]
    own_qualifiers: bool


def _split_components(text: str) -> list[tuple[str, list[str]]]:
    pieces = [p for p in _DASHES.split(text) if p.strip()]
    out = []
    for piece in pieces:
        bits = [b.strip() for b in piece.split(",")]
        out.append((bits[0], [b for b in bits[1:] if b]))
    return out


def _parse(name: str) -> list[_Part]:
    text = " ".join(name.split())
    groups: list[str] = []
    m = _PAREN.match(text)
    if m:
        main = (m["main"] + " " + m["rest"]).strip().strip(",")
        groups = [main, m["inner"]] if main else [m["inner"]]
    else:
        groups = [text]
    parts: list[_Part] = []
    for group in groups:
        comps = _split_components(group)
        tail = comps[-1][1] if comps else []
        # A trailing qualifier also applies to components with none.
        for comp, quals in comps:
            own = bool(quals)
            parts.append(_Part(comp, tuple(quals or tail), own))
    return [p for p in parts if p.text]


# ------------------------------------------------------------------ options
def _options(part: _Part, economies: Sequence[str], fuzzy: bool = True) -> list[_Option]:
    quals = tuple(q for t in part.qualifiers for q in _qualifier(t))
    key = fold(part.text)
    aliases = load_aliases()
    if key in aliases:
        a = aliases[key]
        return [_Option(a.places, "alias", f"alias table: {a.explanation}", ALIAS_CONFIDENCE,
                        1.0, any(_matches(p, quals) for p in a.places),
                        any(p.country_code in economies for p in a.places))]
    idx = name_index()
    hits = idx.lookup(key)
    method_detail: list[tuple[int, str, float]] = []
    if hits:
        for row, primary in hits:
            method_detail.append((row, "gazetteer" if primary else "alternate",
                                  1.0 if primary else ALTERNATE_NAME_FACTOR))
    elif fuzzy:
        from rapidfuzz import fuzz, process

        pool = _fuzzy_pool()
        found = process.extract(key, pool.keys, scorer=fuzz.WRatio,
                                score_cutoff=FUZZY_CUTOFF, limit=3)
        for match, score, pos in found:
            for row in pool.rows[pos]:
                method_detail.append((row, f"fuzzy:{match}:{score:.0f}",
                                      FUZZY_FACTOR * score / 100.0))
    if not method_detail:
        return []
    places = {row: idx.place(row) for row, _, _ in method_detail}
    total = sum(p.population for p in places.values()) or 1
    opts = []
    for row, how, base in method_detail:
        p = places[row]
        method = "fuzzy" if how.startswith("fuzzy") else how
        detail = (f"fuzzy match of {part.text!r} to {how.split(':')[1]!r} "
                  f"(similarity {how.split(':')[2]})" if method == "fuzzy" else
                  "GeoNames main name" if method == "gazetteer" else "GeoNames alternate name")
        opts.append(_Option((p,), method, detail, base,
                            (p.population / total) if total else 1.0,
                            _matches(p, quals), p.country_code in economies))
    opts.sort(key=lambda o: -o.score())
    return opts[:6]


def _hyphen_split(part: _Part, economies: Sequence[str]) -> list[_Part] | None:
    """Split an unspaced hyphenated name when the whole is no place but each piece is."""
    if "-" not in part.text:
        return None
    pieces = [p.strip() for p in part.text.split("-") if p.strip()]
    if len(pieces) < 2:
        return None
    subs = [_Part(p, part.qualifiers, part.own_qualifiers) for p in pieces]
    if all(_options(s, economies, fuzzy=False) for s in subs):
        return subs
    return None


# --------------------------------------------------------------- geometry
def centroid(places: Sequence[Place]) -> tuple[float, float] | tuple[None, None]:
    """Population-weighted centroid on the sphere (places without population weigh 1)."""
    return weighted_centroid([p.latitude for p in places], [p.longitude for p in places],
                             [max(p.population, 1) for p in places])


def _km(a: Place, b: Place) -> float:
    return great_circle_km(a.latitude, a.longitude, b.latitude, b.longitude)


# ---------------------------------------------------------------- resolve
def _choose(options: list[list[_Option]]) -> tuple[list[_Option], bool]:
    """Pick one option per component maximising fit minus geographic spread."""
    best: tuple[float, tuple[_Option, ...]] | None = None
    for combo in itertools.product(*(o[:5] for o in options)):
        score = sum(o.score() for o in combo)
        for a, b in itertools.combinations(combo, 2):
            if _km(a.anchor, b.anchor) > SPREAD_KM:
                score -= 2.0
        if best is None or score > best[0]:
            best = (score, combo)
    assert best is not None
    chosen = list(best[1])
    compact = len(chosen) > 1 and all(
        _km(a.anchor, b.anchor) <= SPREAD_KM for a, b in itertools.combinations(chosen, 2))
    return chosen, compact


def _confidence(opt: _Option, supported: bool) -> float:
    if opt.method in ("alias", "fuzzy"):
        return opt.base
    factor = max(opt.share, 0.9) if supported else 0.5 + 0.5 * opt.share
    return opt.base * min(1.0, factor)


@functools.lru_cache(maxsize=4096)
def _resolve_cached(name: str, economies: tuple[str, ...]) -> Hub:
    parts = _parse(name)
    expanded: list[_Part] = []
    for part in parts:
        if not _options(part, economies, fuzzy=False):
            split = _hyphen_split(part, economies)
            if split:
                expanded.extend(split)
                continue
        expanded.append(part)
    found: list[tuple[_Part, list[_Option]]] = []
    missing: list[str] = []
    for part in expanded:
        opts = _options(part, economies)
        if opts:
            found.append((part, opts))
        else:
            missing.append(part.text)
    if not found:
        return Hub(name_as_given=name, places=(), economies=tuple(economies), latitude=None,
                   longitude=None, confidence=0.0, method="unresolved",
                   explanation=(f"no alias, GeoNames name or close spelling matches "
                                f"{', '.join(repr(m) for m in missing) or repr(name)}"),
                   unresolved_parts=tuple(missing or [name]))
    chosen, compact = _choose([o for _, o in found])
    places: list[Place] = []
    notes: list[str] = []
    confs: list[float] = []
    methods: list[str] = []
    for (part, opts), opt in zip(found, chosen, strict=True):
        homonyms = len({p.geonameid for o in opts for p in o.places}) if opt.method != "alias" else 1
        supported = opt.qualifier_match or opt.economy_match or compact or homonyms == 1
        conf = _confidence(opt, supported)
        confs.append(conf)
        m = "gazetteer" if opt.method == "alternate" else opt.method
        if m not in methods:
            methods.append(m)
        why = []
        if opt.qualifier_match:
            why.append(f"qualifier {', '.join(part.qualifiers)!s} matches")
        if opt.economy_match:
            why.append("economy matches")
        if compact and len(chosen) > 1:
            why.append(f"within {SPREAD_KM:.0f} km of the other components")
        if homonyms > 1 and opt.method != "alias":
            why.append(f"{homonyms - 1} other place(s) share the name; "
                       f"this one holds {opt.share:.0%} of their population")
        labels = ", ".join(p.label() for p in opt.places)
        notes.append(f"{part.text!r} -> {labels} [{opt.detail}"
                     + (f"; {'; '.join(why)}" if why else "") + f"; confidence {conf:.2f}]")
        for p in opt.places:
            if p.geonameid not in {q.geonameid for q in places}:
                places.append(p)
    if missing:
        notes.append(f"not resolved: {', '.join(repr(m) for m in missing)}")
    share_found = len(found) / (len(found) + len(missing))
    confidence = round(min(confs) * share_found, 4)
    lat, lon = centroid(places)
    econ = list(economies) if economies else []
    for p in places:
        if p.country_code not in econ:
            econ.append(p.country_code)
    return Hub(name_as_given=name, places=tuple(places), economies=tuple(econ),
               latitude=lat, longitude=lon, confidence=confidence,
               explanation="; ".join(notes), method="+".join(methods),
               unresolved_parts=tuple(missing))


def resolve_hub(name: str, economies: Sequence[str] | None = None) -> Hub:
    """Resolve a published name to a :class:`Hub` (see the module docstring).

    Never raises for an unknown name: the hub then has no places,
    ``method == "unresolved"`` and an explanation; check ``hub.resolved``.
    ``economies`` (ISO2 codes) are preferred among homonyms.
    """
    if not isinstance(name, str) or not name.strip():
        raise DataError("a place name to resolve must be non-empty text", key=repr(name))
    return _resolve_cached(name.strip(), tuple(e.upper() for e in economies or ()))


# ---------------------------------------------------------------- matching
@dataclass(frozen=True)
class UnitMatch:
    unit_id: str | None
    confidence: float
    explanation: str
    unit_name: str | None = None
    distance_km: float | None = None


def _weight(p: Place) -> float:
    return float(max(p.population, 1))


def _member_sets(members: Sequence[str]) -> tuple[set[int], set[str]]:
    ids: set[int] = set()
    names: set[str] = set()
    for m in members:
        nums = re.findall(r"\b\d{3,9}\b", m)
        ids.update(int(n) for n in nums)
        head = re.sub(r"\(.*?\)", "", m).split(",")[0]
        if fold(head):
            names.add(fold(head))
    return ids, names


def _unit_hubs(names: tuple[str, ...], economies: tuple[tuple[str, ...], ...]) -> list[Hub]:
    return [resolve_hub(n, list(e)) for n, e in zip(names, economies, strict=True)]


def match_unit(hub: Hub, panel: Panel, max_km: float = DEFAULT_MAX_KM) -> UnitMatch:
    """The unit of ``panel`` that ``hub`` belongs to, with confidence and explanation.

    Order of evidence: (1) hub places among a unit's ``members`` (GeoNames
    ids or names); (2) hub places shared with the places of the unit's own
    name resolved by :func:`resolve_hub` (economies preferred); (3) the
    nearest unit centroid (when the panel has coordinates) or unit place
    within ``max_km`` of a hub place. Shares are population-weighted: the
    unit holding most of the hub's population wins.
    """
    if not hub.resolved:
        return UnitMatch(None, 0.0, "the name did not resolve to any place")
    units = panel.units
    ids = units["unit_id"].to_list()
    names = units["name"].to_list()
    total = sum(_weight(p) for p in hub.places)

    unit_econ = [set(e or []) for e in units["economies"].to_list()]

    def best_share(sets: list[tuple[set[int], set[str]]], by_name: bool
                   ) -> tuple[int, float, list[Place]] | None:
        # A member named like a hub place counts only in the place's economy
        # (when the unit lists economies): "London" of Ontario is no member of GB London.
        top: tuple[int, float, list[Place]] | None = None
        for i, (gids, loose_names) in enumerate(sets):
            shared = [p for p in hub.places if p.geonameid in gids
                      or (by_name and fold(p.name) in loose_names
                          and (not unit_econ[i] or p.country_code in unit_econ[i]))]
            if shared:
                share = sum(_weight(p) for p in shared) / total
                if top is None or share > top[1]:
                    top = (i, share, shared)
        return top

    if "members" in units.columns and any(units["members"].list.len().to_list()):
        sets = [_member_sets(m or []) for m in units["members"].to_list()]
        hit = best_share(sets, by_name=True)
        if hit:
            i, share, shared = hit
            conf = round(hub.confidence * (0.6 + 0.4 * share), 4)
            return UnitMatch(ids[i], conf,
                             f"{len(shared)} of {len(hub.places)} places "
                             f"({', '.join(p.name for p in shared)}; {share:.0%} of the hub's "
                             f"population) are members of {names[i]!r}", names[i], 0.0)
    econ = tuple(tuple(e or []) for e in units["economies"].to_list())
    unit_hubs = _unit_hubs(tuple(names), econ)
    sets = [({p.geonameid for p in h.places}, set()) for h in unit_hubs]
    hit = best_share(sets, by_name=False)
    if hit:
        i, share, shared = hit
        conf = round(hub.confidence * unit_hubs[i].confidence * (0.6 + 0.4 * share), 4)
        return UnitMatch(ids[i], conf,
                         f"shares {', '.join(p.label() for p in shared)} "
                         f"({share:.0%} of the hub's population) with the places of "
                         f"{names[i]!r}", names[i], 0.0)
    best: tuple[float, int, str] | None = None
    lats = units["latitude"].to_list() if "latitude" in units.columns else [None] * len(ids)
    lons = units["longitude"].to_list() if "longitude" in units.columns else [None] * len(ids)
    for i in range(len(ids)):
        targets: list[tuple[float, float, str]] = []
        lat_i, lon_i = lats[i], lons[i]
        if lat_i is not None and lon_i is not None:
            targets.append((float(lat_i), float(lon_i), "centroid"))
        targets.extend((q.latitude, q.longitude, q.name) for q in unit_hubs[i].places)
        for p in hub.places:
            for lat, lon, what in targets:
                d = great_circle_km(p.latitude, p.longitude, lat, lon)
                if best is None or d < best[0]:
                    best = (d, i, f"{p.name} is {d:.0f} km from the {what} of {names[i]!r}"
                            if what == "centroid" else
                            f"{p.name} is {d:.0f} km from {what}, a place of {names[i]!r}")
    if best is not None and best[0] <= max_km:
        d, i, why = best
        conf = round(hub.confidence * max(0.0, 1.0 - d / (2.0 * max_km)) * 0.8, 4)
        return UnitMatch(ids[i], conf, f"{why} (within {max_km:g} km)", names[i], d)
    nearest = f"; nearest: {best[2]}" if best is not None else ""
    return UnitMatch(None, 0.0, f"no unit shares a place or lies within {max_km:g} km{nearest}",
                     None, best[0] if best else None)


def match_to_units(hub: Hub, panel: Panel, max_km: float = DEFAULT_MAX_KM
                   ) -> tuple[str | None, float, str]:
    """``(unit_id or None, confidence, explanation)``: see :func:`match_unit`."""
    m = match_unit(hub, panel, max_km=max_km)
    return m.unit_id, m.confidence, m.explanation


__all__ = ["Hub", "UnitMatch", "centroid", "match_to_units", "match_unit", "resolve_hub"]
