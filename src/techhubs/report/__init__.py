"""The HTML report: one self-contained file (inline CSS and SVG, no external resource)
with the ranking, rank intervals, map, methodology, provenance and a page per hub."""

from techhubs.report._build import build_report, render_report, report_context

__all__ = ["build_report", "render_report", "report_context"]
