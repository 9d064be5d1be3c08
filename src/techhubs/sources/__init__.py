"""Readers of public data formats into the points table, with ingest accounting."""
