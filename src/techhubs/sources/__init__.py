"""Readers of public data formats into the points table, with ingest accounting."""

from techhubs.sources._base import POINTS_SCHEMA, IngestResult, Reader
from techhubs.sources.accounting import IngestReport
from techhubs.sources.registry import describe, make_reader, reader_names

__all__ = ["POINTS_SCHEMA", "IngestReport", "IngestResult", "Reader", "describe", "make_reader",
           "reader_names"]
