"""Fixtures of the API tests: an app over the bundled editions and a results folder."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import polars as pl
import pytest

from techhubs import workflows
from techhubs.api import Limits, create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def write_results_folder(root: Path) -> Path:
    """A results folder laid out as `techhubs build` writes it, from the GII 2023 edition.

    Cluster ids, names and geometries come from the edition; the assignment
    holds one made-up point per cluster member.
    """
    root.mkdir(parents=True, exist_ok=True)
    composite = workflows.build("gii-2023")
    composite.ranking_.write(root / "ranking.parquet")
    units = composite.panel_.units
    features = []
    rows = []
    for u in units.iter_rows(named=True):
        features.append({
            "type": "Feature", "id": u["unit_id"],
            "geometry": {"type": "Point", "coordinates": [u["longitude"], u["latitude"]]},
            "properties": {"cluster_id": u["unit_id"], "name": u["name"],
                           "members": "; ".join(u["members"]),
                           "population": u["population"]},
        })
        for member in u["members"]:
            rows.append({"latitude": u["latitude"], "longitude": u["longitude"],
                         "source": "patents", "weight": 1.0, "cluster_id": u["unit_id"],
                         "member": member})
    (root / "clusters.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    pl.DataFrame(rows).write_parquet(root / "assignment.parquet")
    (root / "manifest.json").write_text(json.dumps({
        "name": "test-build", "title": "Test build from the GII 2023 figures",
        "method": "gii-clusters",
        "world_totals": {"pct_applications": 1255625, "scientific_publications": 7457000},
    }), encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def results_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_results_folder(tmp_path_factory.mktemp("results") / "build")


@pytest.fixture(scope="session")
def app(results_dir: Path):
    return create_app(results_dirs=[results_dir], limits=Limits(max_runs=500))


@pytest.fixture(scope="session")
def client(app) -> TestClient:
    return TestClient(app)
