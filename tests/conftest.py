"""Shared fixtures. Real third-party data is read from ../shared/data and
tests that need it are skipped cleanly when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TECHHUBS_SHARED", REPO.parent / "shared"))
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_file(relative: str) -> Path:
    """Path to a file under ../shared, or skip the test when it is not there."""
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} not present (real data lives in ../shared)")
    return path


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(autouse=True, scope="session")
def _cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    # Keep caches out of the user's home unless a developer points elsewhere.
    if "TECHHUBS_CACHE" not in os.environ:
        os.environ["TECHHUBS_CACHE"] = str(Path.home() / ".cache" / "techhubs-tests")
