"""The points table: geocoded activity, one row per (fractional) record or location.

This is the contract between ``sources/`` + ``geo/`` (which produce points) and
``aggregate/`` + ``clusters/`` (which consume them).

Columns
-------
latitude : Float64, degrees in [-90, 90]
longitude : Float64, degrees in [-180, 180]
weight : Float64, >= 0 (fractional counts: 1/n for a document with n inventors)
source : Utf8, e.g. ``patents``, ``publications``, ``vc``, ``institutions``
year : Int32, optional
field : Utf8, optional
"""

from __future__ import annotations

import polars as pl

REQUIRED_COLUMNS: dict[str, pl.DataType] = {
    "latitude": pl.Float64(),
    "longitude": pl.Float64(),
    "weight": pl.Float64(),
    "source": pl.Utf8(),
}
OPTIONAL_COLUMNS: dict[str, pl.DataType] = {
    "year": pl.Int32(),
    "field": pl.Utf8(),
}
KNOWN_SOURCES = ("patents", "publications", "vc", "institutions")
