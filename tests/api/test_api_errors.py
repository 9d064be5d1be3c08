"""Every 4xx path: status code and a JSON body {error, message, key, hint}."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from techhubs.api import create_app
from techhubs.errors import DataError

NOT_FOUND = [
    ("get", "/api/rankings?edition=gii-1999", "edition"),
    ("get", "/api/rankings?method=no-such-method", "method"),
    ("get", "/api/rankings?edition=../../etc/passwd", "edition"),
    ("get", "/api/rankings?method=/etc/passwd", "method"),
    ("get", "/api/methods/no-such-method", "method"),
    ("get", "/api/methods?edition=nowhere", "edition"),
    ("get", "/api/units/atlantis", "atlantis"),
    ("get", "/api/units/seoul?edition=nowhere", "edition"),
    ("get", "/api/compare?a=seoul&b=atlantis", "atlantis"),
    ("get", "/api/clusters.geojson?edition=nowhere", "edition"),
    ("get", "/api/clusters.geojson?results=gii-2023", "results"),
    ("get", "/api/assignment?edition=gii-2023", "edition"),
]


@pytest.mark.parametrize(("verb", "url", "key"), NOT_FOUND)
def test_unknown_names_are_404(client, verb, url, key):
    response = getattr(client, verb)(url)
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "UnknownNameError"
    assert body["key"] == key
    assert body["message"]


def test_unknown_edition_and_method_in_rerank_are_404(client):
    assert client.post("/api/rerank", json={"edition": "x"}).status_code == 404
    response = client.post("/api/rerank", json={"method": "x"})
    assert response.status_code == 404 and response.json()["key"] == "method"


def test_unknown_route_and_static_traversal_are_404(client):
    assert client.get("/api/nothing").json()["error"] == "NotFound"
    assert client.get("/docs").status_code == 404  # would load scripts from a CDN
    assert client.get("/static/../api/_app.py").status_code == 404
    assert client.get("/static/%2e%2e/api/_app.py").status_code == 404


def test_wrong_verb_is_405(client):
    response = client.delete("/api/rankings")
    assert response.status_code == 405
    assert response.json()["error"] == "MethodNotAllowed"
    assert client.get("/api/rerank").status_code == 405


INVALID_QUERIES = [
    ("/api/rankings?top=0", "top"),
    ("/api/rankings?top=abc", "top"),
    ("/api/rankings?format=xml", "format"),
    ("/api/rankings?economy=USA", "economy"),
    ("/api/rankings?weights=pct_applications", "weights"),
    ("/api/rankings?weights=pct_applications:abc", "weights"),
    ("/api/rankings?weights=pct_applications:-1", "weights"),
    ("/api/rankings?weights=pct_applications:0,scientific_publications:0", "weights"),
    ("/api/rankings?normalisation=goalposts", "normalisation"),  # no override: needs bounds
    ("/api/rankings?weights=a:1,a:2", "weights.a"),
    ("/api/rankings?weights=a:1e400", "weights"),
    ("/api/rankings?weights=a:+1", "weights"),
    ("/api/rankings?normalisation=fourier", "normalisation"),
    ("/api/rankings?aggregation=median", "aggregation"),
    ("/api/compare?a=seoul", "b"),
    ("/api/clusters.geojson?edition=gii-2023&results=test-build", "results"),
    ("/api/assignment?edition=test-build&limit=0", "limit"),
    ("/api/assignment?edition=test-build&limit=100000", "limit"),
    ("/api/assignment?edition=test-build&offset=-1", "offset"),
    ("/api/units/seoul?format=xlsx", "format"),
]


@pytest.mark.parametrize(("url", "key"), INVALID_QUERIES)
def test_invalid_queries_are_422(client, url, key):
    response = client.get(url)
    assert response.status_code == 422, response.text
    body = response.json()
    assert set(body) == {"error", "message", "key", "hint"}
    assert body["key"] is not None and body["key"].startswith(key.split(".")[0][:9])
    assert body["message"]


def test_unknown_codes_and_economies_are_unknown_names_404(client):
    for response, key in (
            (client.get("/api/rankings?weights=nope:1"), "weights.nope"),
            (client.post("/api/rerank", json={"weights": {"unknown_code": 1}}),
             "weights.unknown_code"),
            (client.get("/api/rankings?economy=JJ"), "economy")):
        assert response.status_code == 404, response.text
        assert response.json()["key"] == key


INVALID_BODIES = [
    ({"weights": {"scientific_publications": -1}}, "weights.scientific_publications"),
    ({"weights": {"pct_applications": 0, "scientific_publications": 0}}, "weights"),
    ({"weights": {"pct_applications": "lots"}}, "weights.pct_applications"),
    ({"normalisation": "fourier"}, "normalisation"),
    ({"normalisation": "goalposts"}, "normalisation"),
    ({"intervals": {"runs": 100, "weight_uncertainty": 0}}, "intervals.weight_uncertainty"),
    ({"aggregation": "median"}, "aggregation"),
    ({"intervals": {"runs": 501}}, "intervals.runs"),
    ({"intervals": {"runs": 5}}, "intervals.runs"),
    ({"intervals": {"runs": 100, "weight_uncertainty": 1.5}}, "intervals.weight_uncertainty"),
    ({"intervals": {"runs": 100, "colour": "red"}}, "intervals.colour"),
    ({"extra": 1}, "extra"),
    ({"intervals": {"runs": 100, "seed": False}}, "intervals.seed"),
    ({"weights": {"pct_applications": True}}, "weights.pct_applications"),
    ([1, 2, 3], ""),
]


@pytest.mark.parametrize(("payload", "key"), INVALID_BODIES)
def test_invalid_rerank_bodies_are_422(client, payload, key):
    response = client.post("/api/rerank", json=payload)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["message"]
    if key:
        assert body["key"] == key


def test_weights_must_be_finite(client):
    body = b'{"weights": {"pct_applications": Infinity}}'
    response = client.post("/api/rerank", content=body,
                           headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_malformed_json_is_422(client):
    response = client.post("/api/rerank", content=b"{weights:",
                           headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["key"] == "body"


def test_undecodable_body_is_422(client):
    response = client.post("/api/rerank", content=b"\xff\xfe{",
                           headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["key"] == "body"


def test_oversized_body_is_413(client):
    payload = {"weights": {f"w{i}": 1.0 for i in range(10000)}}
    response = client.post("/api/rerank", json=payload)
    assert response.status_code == 413
    assert response.json()["error"] == "PayloadTooLarge"


def test_oversized_streamed_body_is_413(client):
    def chunks():
        for _ in range(100):
            yield b" " * 1024

    response = client.post("/api/rerank", content=chunks(),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_run_limit_follows_the_app_limits(results_dir):
    from fastapi.testclient import TestClient

    from techhubs.api import Limits

    small = TestClient(create_app(limits=Limits(max_runs=50, max_body_bytes=100)),
                       base_url="http://localhost")
    response = small.post("/api/rerank", json={"intervals": {"runs": 51}})
    assert response.status_code == 422
    assert response.json()["key"] == "intervals.runs"
    assert "50" in response.json()["message"]
    assert small.post("/api/rerank", json={"weights": {"x" * 200: 1}}).status_code == 413


# ------------------------------------------------------------ results folders
def test_results_folder_validation(tmp_path: Path, results_dir: Path):
    with pytest.raises(DataError, match="results folder not found"):
        create_app(results_dirs=[tmp_path / "missing"])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match=r"manifest\.json, ranking\.parquet missing"):
        create_app(results_dirs=[empty])
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in ("manifest.json", "ranking.parquet", "assignment.parquet"):
        (bad / name).write_bytes((results_dir / name).read_bytes())
    (bad / "clusters.geojson").write_text(json.dumps({"type": "Feature"}), encoding="utf-8")
    with pytest.raises(DataError, match="not a GeoJSON FeatureCollection") as info:
        create_app(results_dirs=[bad])
    assert info.value.file.endswith("clusters.geojson")
    (bad / "clusters.geojson").write_text("{", encoding="utf-8")
    with pytest.raises(DataError, match="cannot read JSON"):
        create_app(results_dirs=[bad])
    (bad / "clusters.geojson").unlink()
    (bad / "manifest.json").write_text("[]", encoding="utf-8")
    with pytest.raises(DataError, match="JSON object"):
        create_app(results_dirs=[bad])
    (bad / "manifest.json").write_text('{"world_totals": {"pct_applications": -1}}',
                                       encoding="utf-8")
    with pytest.raises(DataError, match="positive") as info:
        create_app(results_dirs=[bad])
    assert info.value.key == "world_totals.pct_applications"
    (bad / "manifest.json").write_text("{}", encoding="utf-8")
    (bad / "ranking.parquet").write_bytes(b"not parquet")
    with pytest.raises(DataError, match="cannot read Parquet"):
        create_app(results_dirs=[bad])


def test_the_api_has_no_writing_or_path_endpoint(app):
    schema = app.openapi()
    verbs = {(path, verb) for path, ops in schema["paths"].items() for verb in ops}
    assert {v for _, v in verbs} == {"get", "post"}
    assert [p for p, v in verbs if v == "post"] == ["/api/rerank"]
    for ops in schema["paths"].values():
        for op in ops.values():
            for param in op.get("parameters", []):
                assert param["name"] not in ("path", "file", "dir", "folder")
