"""Place-name text: the one definition of how names are compared.

Two keys, each with a vectorised (Polars) twin that gives the same key for
the same text:

``fold`` / :func:`fold_expr`
    Case-, accent- and punctuation-insensitive, spaces dropped:
    ``"Xi’an"`` -> ``"xian"``, ``"Köln"`` -> ``"koln"``. For identity
    (published names, hub ids, member lists).
``normalize`` / :func:`normalize_expr`
    The same with word boundaries kept: ``"  São-Paulo, "`` -> ``"sao paulo"``.
    For free-text geocoding, whose rules work on words (suffixes, compounds).

Both decompose Unicode (NFKD), drop combining marks, case-fold (``ß`` ->
``ss``) and keep letters and digits of every script.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

EN_DASH = "\u2013"
"""The separator of the places in a cluster name ("Tokyo–Yokohama")."""

_STATE = re.compile(r",\s*([A-Z]{2})\s*$")
_NAME_PARTS = re.compile(r"\s*[–—]\s*|\s+-\s+")


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def fold(text: str | None) -> str:
    """Case-, accent- and punctuation-insensitive key, spaces dropped.

    >>> fold("Xi’an"), fold("Köln"), fold("San Jose–San Francisco, CA")
    ('xian', 'koln', 'sanjosesanfranciscoca')
    """
    if not text:
        return ""
    return "".join(ch for ch in _strip_marks(text) if ch.isalnum())


def normalize(text: str | None) -> str:
    """Like :func:`fold`, but runs of other characters become one space.

    >>> normalize("  São-Paulo, ")
    'sao paulo'
    """
    if not text:
        return ""
    return " ".join(re.sub(r"[^\w]+|_", " ", _strip_marks(text)).split())


def _marks_folded(expr: pl.Expr) -> pl.Expr:
    return (expr.fill_null("").str.normalize("NFKD").str.replace_all(r"\p{M}+", "")
            .str.to_lowercase().str.replace_all("ß", "ss"))


def fold_expr(expr: pl.Expr) -> pl.Expr:
    """The vectorised twin of :func:`fold`."""
    return _marks_folded(expr).str.replace_all(r"[^\p{L}\p{N}]+", "")


def normalize_expr(expr: pl.Expr) -> pl.Expr:
    """The vectorised twin of :func:`normalize`."""
    return (_marks_folded(expr).str.replace_all(r"[^\p{L}\p{N}]+", " ")
            .str.strip_chars())


def split_cluster_name(name: str) -> list[tuple[str, str | None]]:
    """The places a cluster name lists, each with its US-style state code, if any.

    >>> split_cluster_name("Washington, DC–Baltimore, MD")
    [('Washington', 'DC'), ('Baltimore', 'MD')]
    """
    out = []
    for part in _NAME_PARTS.split(name):
        m = _STATE.search(part)
        city = _STATE.sub("", part).strip()
        if city:
            out.append((city, m.group(1) if m else None))
    return out


def named_places(name: str) -> list[str]:
    """The city names of a cluster name, without state codes.

    >>> named_places("Shenzhen–Hong Kong–Guangzhou")
    ['Shenzhen', 'Hong Kong', 'Guangzhou']
    """
    return [city for city, _ in split_cluster_name(name)]


def slug(name: str) -> str:
    """A stable id from a published name.

    >>> slug("Shenzhen–Hong Kong–Guangzhou"), slug("Washington, DC–Baltimore, MD")
    ('shenzhen-hong-kong-guangzhou', 'washington-baltimore')
    """
    # US-style state suffixes (", CA", ", DC") are not part of the place name.
    text = re.sub(r",\s*[A-Z]{2}\b", "", name)
    return re.sub(r"[^a-z0-9]+", "-", _strip_marks(text)).strip("-")
