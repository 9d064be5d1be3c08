"""Which publications count: work types, OpenAlex domains and fields, publication years.

A :class:`WorkFilter` is applied by the OpenAlex reader (both its DuckDB scan and its
record-by-record path, with the same rules) after a work is read and found unique; a
work it refuses is dropped with the reason ``filtered: type``, ``filtered: domain``,
``filtered: field`` or ``filtered: year`` (checked in that order), so the accounting
still adds up: read = used + dropped by reason.

Matching ignores case. ``types`` are OpenAlex work types (``article``, ``review``,
``book-chapter``...); ``domains`` and ``fields`` are the display names of the work's
``primary_topic`` (OpenAlex domains: Life Sciences, Physical Sciences, Health Sciences,
Social Sciences, the last holding the Arts and Humanities field). An include list
refuses a work that lacks the attribute (no topic: no domain); an exclude list keeps
it.

:func:`gii_rules` is the GII's publication rule as far as it is published: original
research articles (OpenAlex type ``article``; reviews, chapters, editorials... are
not), in science and technology (the Life, Physical and Health Sciences domains; the
social sciences and humanities are left out), published within the edition's
five-year window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from techhubs.errors import DataError

FILTERED_TYPE = "filtered: type"
FILTERED_DOMAIN = "filtered: domain"
FILTERED_FIELD = "filtered: field"
FILTERED_YEAR = "filtered: year"
REASONS = (FILTERED_TYPE, FILTERED_DOMAIN, FILTERED_FIELD, FILTERED_YEAR)

SCIENCE_AND_TECHNOLOGY = ("Life Sciences", "Physical Sciences", "Health Sciences")
"""OpenAlex's domains without the Social Sciences (which hold the Arts and Humanities)."""


def _names(values: Iterable[str] | None) -> tuple[str, ...] | None:
    if values is None:
        return None
    out = tuple(dict.fromkeys(v.strip().casefold() for v in values if v and v.strip()))
    return out or None


@dataclass(frozen=True)
class WorkFilter:
    """Rules a work must pass to count; ``None`` everywhere keeps every work."""

    types: tuple[str, ...] | None = None
    exclude_types: tuple[str, ...] | None = None
    domains: tuple[str, ...] | None = None
    exclude_domains: tuple[str, ...] | None = None
    fields: tuple[str, ...] | None = None
    exclude_fields: tuple[str, ...] | None = None
    years: tuple[int, int] | None = None
    label: str = ""

    def __post_init__(self) -> None:
        for name in ("types", "exclude_types", "domains", "exclude_domains", "fields",
                     "exclude_fields"):
            object.__setattr__(self, name, _names(getattr(self, name)))
        if self.years is not None:
            lo, hi = self.years
            if not (isinstance(lo, int) and isinstance(hi, int)) or lo > hi:
                raise DataError(f"years {lo}-{hi} is not a range of years", key="years",
                                hint="give FIRST-LAST, e.g. 2018-2022")

    @property
    def active(self) -> bool:
        return any(getattr(self, n) is not None for n in (
            "types", "exclude_types", "domains", "exclude_domains", "fields",
            "exclude_fields", "years"))

    def reason(self, work_type: str | None, domain: str | None, field: str | None,
               year: int | None) -> str | None:
        """Why a work is refused (one of :data:`REASONS`), or None when it counts."""
        checks = ((work_type, self.types, self.exclude_types, FILTERED_TYPE),
                  (domain, self.domains, self.exclude_domains, FILTERED_DOMAIN),
                  (field, self.fields, self.exclude_fields, FILTERED_FIELD))
        for value, include, exclude, why in checks:
            key = value.casefold() if value else None
            if include is not None and key not in include:
                return why
            if exclude is not None and key is not None and key in exclude:
                return why
        if self.years is not None and (year is None or not
                                       self.years[0] <= year <= self.years[1]):
            return FILTERED_YEAR
        return None

    def sql_reason(self, work_type: str, domain: str, field: str, year: str) -> str:
        """The same rule as a SQL ``CASE`` over the given column expressions (NULL: counts)."""
        def listed(values: tuple[str, ...]) -> str:
            return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"

        cases = []
        for column, include, exclude, why in (
                (work_type, self.types, self.exclude_types, FILTERED_TYPE),
                (domain, self.domains, self.exclude_domains, FILTERED_DOMAIN),
                (field, self.fields, self.exclude_fields, FILTERED_FIELD)):
            key = f"lower({column})"
            if include is not None:
                cases.append(f"WHEN {key} IS NULL OR NOT list_contains({listed(include)}, {key}) "
                             f"THEN '{why}'")
            if exclude is not None:
                cases.append(f"WHEN list_contains({listed(exclude)}, {key}) THEN '{why}'")
        if self.years is not None:
            cases.append(f"WHEN {year} IS NULL OR {year} NOT BETWEEN {self.years[0]} AND "
                         f"{self.years[1]} THEN '{FILTERED_YEAR}'")
        return f"CASE {' '.join(cases)} END" if cases else "NULL::VARCHAR"

    def describe(self) -> str:
        parts = []
        for name in ("types", "exclude_types", "domains", "exclude_domains", "fields",
                     "exclude_fields"):
            values = getattr(self, name)
            if values is not None:
                parts.append(f"{name.replace('_', ' ')}: {', '.join(values)}")
        if self.years is not None:
            parts.append(f"years {self.years[0]}-{self.years[1]}")
        text = "; ".join(parts) or "every work"
        return f"{self.label} ({text})" if self.label else text


GII_PUBLICATION_WINDOWS: dict[str, tuple[int, int]] = {
    "gii-2018": (2012, 2016),
    "gii-2023": (2018, 2022),
    "gii-2024": (2018, 2022),
}
"""The publication years each GII edition counts, as its report states (the editions'
``period`` in ``datasets/data/editions.toml``); ``gii`` alone is the newest of them."""


def gii_rules(edition: str = "gii", years: tuple[int, int] | None = None) -> WorkFilter:
    """The GII's publication rule (see the module notes) for an edition's window, or for
    ``years`` when given."""
    name = max(GII_PUBLICATION_WINDOWS) if edition == "gii" else edition
    if years is None:
        if name not in GII_PUBLICATION_WINDOWS:
            raise DataError(f"no publication window is known for {edition!r}", key="rules",
                            hint="rules: gii, " + ", ".join(GII_PUBLICATION_WINDOWS)
                                 + "; or give the years (--years 2020-2024)")
        years = GII_PUBLICATION_WINDOWS[name]
    return WorkFilter(types=("article",), domains=SCIENCE_AND_TECHNOLOGY, years=years,
                      label=f"GII rules ({name})")


def work_filter(rules: str | None = None, *, types: Iterable[str] | None = None,
                exclude_types: Iterable[str] | None = None,
                domains: Iterable[str] | None = None,
                exclude_domains: Iterable[str] | None = None,
                fields: Iterable[str] | None = None,
                exclude_fields: Iterable[str] | None = None,
                years: tuple[int, int] | str | Iterable[int] | None = None) -> WorkFilter:
    """One filter from a rule set and explicit options (explicit options win).

    ``rules`` is ``gii`` or ``gii-YYYY`` (:func:`gii_rules`); ``years`` is a pair, a
    two-element list (project files) or text such as ``"2018-2022"``.
    """
    window: tuple[int, int] | None
    if years is None:
        window = None
    elif isinstance(years, str):
        window = parse_years(years)
    else:
        pair = tuple(years)
        if len(pair) != 2 or not all(isinstance(y, int) for y in pair):
            raise DataError(f"years {list(pair)} is not [FIRST, LAST]", key="years",
                            hint="e.g. years = [2018, 2022]")
        window = (int(pair[0]), int(pair[1]))
    base = WorkFilter()
    if rules is not None:
        if rules != "gii" and rules not in GII_PUBLICATION_WINDOWS:
            raise DataError(f"unknown rule set {rules!r}", key="rules",
                            hint="rules: gii, " + ", ".join(GII_PUBLICATION_WINDOWS))
        base = gii_rules(rules, window)
    given = {"types": types, "exclude_types": exclude_types, "domains": domains,
             "exclude_domains": exclude_domains, "fields": fields,
             "exclude_fields": exclude_fields}
    return WorkFilter(**{name: (tuple(v) if (v := given[name]) is not None
                                else getattr(base, name)) for name in given},
                      years=window if window is not None else base.years, label=base.label)


def parse_years(text: str) -> tuple[int, int]:
    """``"2018-2022"`` or ``"2020"`` -> a closed range of years (DataError otherwise)."""
    lo, sep, hi = text.strip().partition("-")
    try:
        first = int(lo)
        last = int(hi) if sep else first
    except ValueError:
        raise DataError(f"years {text!r} is not a year or a range FIRST-LAST", key="--years",
                        hint="e.g. 2018-2022") from None
    if first > last:
        raise DataError(f"years {text!r}: the first year is after the last", key="--years")
    return first, last


def split_list(text: str | None) -> tuple[str, ...] | None:
    """A comma-separated option as a tuple (None when not given)."""
    if text is None:
        return None
    return tuple(v.strip() for v in text.split(",") if v.strip()) or None


__all__ = ["FILTERED_DOMAIN", "FILTERED_FIELD", "FILTERED_TYPE", "FILTERED_YEAR",
           "GII_PUBLICATION_WINDOWS", "REASONS", "SCIENCE_AND_TECHNOLOGY", "WorkFilter",
           "gii_rules", "parse_years", "split_list", "work_filter"]
