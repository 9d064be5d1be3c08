"""The API reference page matches the docstrings, and the public names are documented with
examples (which run as doctests: pyproject's --doctest-modules)."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import techhubs

DOCS = Path(__file__).resolve().parents[1] / "docs"
WITH_EXAMPLES = ("find_clusters", "WeightedDBSCAN", "rank_intervals", "sensitivity", "ingest",
                 "fit", "rank", "explain")


def test_api_page_is_up_to_date() -> None:
    done = subprocess.run([sys.executable, str(DOCS / "gen_api.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_every_public_name_has_a_docstring() -> None:
    missing = [n for n in techhubs.__all__ if n != "__version__"
               and not inspect.getdoc(getattr(techhubs, n))]
    assert missing == []


def test_the_main_entry_points_are_numpydoc_with_examples() -> None:
    for name in WITH_EXAMPLES:
        doc = inspect.getdoc(getattr(techhubs, name)) or ""
        assert "Parameters\n----------" in doc and "Examples\n--------\n>>>" in doc, name
