"""Fixtures of the API tests: an app over the bundled editions and a results folder."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from fixtures.web.results_folder import write_results_folder
from techhubs.api import Limits, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture(scope="session")
def results_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_results_folder(tmp_path_factory.mktemp("results") / "test-build")


@pytest.fixture(scope="session")
def app(results_dir: Path):
    return create_app(results_dirs=[results_dir], limits=Limits(max_runs=500))


@pytest.fixture(scope="session")
def client(app) -> TestClient:
    return TestClient(app, base_url="http://localhost")
