"""The API against hostile requests: every answer a documented status with a JSON error
body (or a correct, finite result), the security headers on every answer, no 5xx.

Reference: issue 13's server rules (CSP without inline script, nosniff, frame-ancestors,
Referrer-Policy; Host allow-list; 413 over the body limit; 404 for unknown names, 409 when
a method cannot be applied to the data, 422 for a broken rule)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from techhubs.api import SECURITY_HEADERS, Limits, create_app

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = create_app(limits=Limits(max_runs=200, max_body_bytes=64 * 1024))
    return TestClient(app, base_url="http://localhost", raise_server_exceptions=False)


W = "/api/rankings?weights="
GETS: list[tuple[str, int]] = [
    (W + "pct_applications:1e308", 422), (W + "pct_applications:1e400", 422),
    (W + "pct_applications:inf", 422), (W + "pct_applications:nan", 422),
    (W + "pct_applications:-1", 422), (W + "pct_applications:1,pct_applications:2", 422),
    (W + "pct_applications:999999999999", 200), (W + "pct_applications:1e-300", 200),
    (W + "pct_applications:0,scientific_publications:0", 422), (W + "nope:1", 404),
    (W + ":1", 422), (W + "a:", 422), (W + ",", 422), (W + "a:1,", 422),
    (W + "%00:1", 422), (W + "a" * 101 + ":1", 422), (W + "x:1," * 1500, 422),
    ("/api/rankings?top=0", 422), ("/api/rankings?top=-1", 422),
    ("/api/rankings?top=99999999999", 422), ("/api/rankings?top=1.5", 422),
    ("/api/rankings?economy=ZZZZZ", 422), ("/api/rankings?economy=JJ", 404),
    ("/api/rankings?economy=de", 200), ("/api/rankings?format=xml", 422),
    ("/api/rankings?edition=../../etc/passwd", 404), ("/api/rankings?edition=%00", 404),
    ("/api/rankings?method=../../../etc/passwd", 404),
    ("/api/rankings?normalisation=goalposts", 422),
    ("/api/rankings?normalisation=minmax&aggregation=geometric", 409),
    ("/api/units/atlantis", 404), ("/api/units/" + "x" * 201, 422),
    ("/api/units/seoul?weights=pct_applications:1e308", 422),
    ("/api/compare?a=seoul", 422), ("/api/compare?a=seoul&b=atlantis", 404),
    ("/api/assignment", 404), ("/api/assignment?offset=-1", 422),
    ("/api/clusters.geojson?results=nope", 404),
    ("/api/published/movers?from=gii-2024", 200), ("/api/published/movers?to=gii-2018", 404),
    ("/api/published/agreement?p=2", 422), ("/api/resolve?name=" + "a" * 201, 422),
    ("/api/resolve?name=Paris&economy=FR,XX,JJ", 404), ("/api/resolve?name=Paris&max_km=nan", 422),
    ("/api/methods/nonsense", 404), ("/api/methods/hub-factors?edition=gii-2023", 200),
    ("/api/nowhere", 404), ("/static/../../etc/passwd", 404),
]

BODIES: list[tuple[Any, int]] = [
    ({"weights": {"pct_applications": 1e308}}, 422),
    ('{"weights": {"pct_applications": 1e999}}', 422),
    ('{"weights": {"pct_applications": NaN}}', 422),
    ('{"weights": {"pct_applications": Infinity}}', 422),
    ('{"weights": {"pct_applications": 1, "pct_applications": 0}}', 422),
    ({"weights": {"pct_applications": 0, "scientific_publications": 0}}, 422),
    ({"weights": {"nope": 1}}, 404), ({"weights": {"pct_applications": True}}, 422),
    ({"weights": {"pct_applications": "1"}}, 422), ({"weights": [1, 2]}, 422),
    ({"intervals": {"runs": 1_000_000_000}}, 422), ({"intervals": {"runs": 1e300}}, 422),
    ({"intervals": {"runs": 50.0}}, 200), ({"intervals": {"runs": 50.5}}, 422),
    ({"intervals": {"runs": 50, "weight_uncertainty": 0}}, 422),
    ({"intervals": {"runs": 50, "seed": -1}}, 422), ({"intervals": {"runs": 50, "seed": True}}, 422),
    ({"normalisation": "minmax", "aggregation": "geometric"}, 409),
    ({"edition": "../../etc/passwd"}, 404), ({"edition": "x" * 101}, 422),
    ({"extra": 1}, 422), ([], 422), ("null", 422), ('"text"', 422), ("", 422),
    ("[" * 30_000 + "]" * 30_000, 422), ('{"weights": ' + '{"a":' * 5000 + "1" + "}" * 5001, 422),
    (b"\xff\xfe{}", 422), ("{not json", 422), ("x" * (70 * 1024), 413),
]


def _checked(response: Any, status: int) -> None:
    assert response.status_code == status, (status, response.text[:500])
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, name
    if response.headers.get("content-type", "").startswith("application/json"):
        body = json.loads(response.text, parse_constant=lambda c: pytest.fail(c))
        if status >= 400:
            assert set(body) == {"error", "message", "key", "hint"} and body["message"]


@pytest.mark.parametrize(("url", "status"), GETS, ids=[u[:60] for u, _ in GETS])
def test_hostile_get(client: TestClient, url: str, status: int) -> None:
    _checked(client.get(url), status)


@pytest.mark.parametrize(("body", "status"), BODIES, ids=[str(b)[:40] for b, _ in BODIES])
def test_hostile_post(client: TestClient, body: Any, status: int) -> None:
    if isinstance(body, str | bytes):
        response = client.post("/api/rerank", content=body, headers=JSON)
    else:
        response = client.post("/api/rerank", json=body)
    _checked(response, status)


@pytest.mark.parametrize(("host", "status"), [
    ("evil.example", 400), ("evil.example:8000", 400), ("localhost.evil.example", 400),
    ("127.0.0.1.nip.io", 400), ("localhost:8000", 200), ("127.0.0.1", 200), ("[::1]:8000", 200),
])
def test_host_allow_list(client: TestClient, host: str, status: int) -> None:
    _checked(client.get("/api/status", headers={"host": host}), status)


def test_an_allowed_extra_host_is_answered() -> None:
    app = create_app(allowed_hosts=("hubs.example.org",))
    c = TestClient(app, base_url="http://hubs.example.org")
    assert c.get("/api/status").status_code == 200
    assert c.get("/api/status", headers={"host": "localhost"}).status_code == 400


def test_the_dashboard_page_has_no_inline_script(client: TestClient) -> None:
    page = client.get("/")
    _checked(page, 200)
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text and " on" + "click=" not in page.text
    for tag in page.text.split("<script")[1:]:
        assert "src=" in tag.split(">")[0]


def test_a_repeated_get_is_answered_from_its_first_answer_with_the_same_rules() -> None:
    """The repeat cache sits inside the host check and the security headers: a kept answer
    carries each header once, a bad host still gets 400, an error is never kept."""
    app = create_app()
    c = TestClient(app, base_url="http://localhost")
    url = "/api/rankings?edition=gii-2023&economy=US"
    first, again = c.get(url), c.get(url)
    assert first.status_code == again.status_code == 200 and first.content == again.content
    for name in SECURITY_HEADERS:
        assert again.headers.get_list(name) == [SECURITY_HEADERS[name]]
    assert c.get(url, headers={"host": "evil.example"}).status_code == 400
    for _ in range(2):
        _checked(c.get("/api/rankings?economy=ZZZZZ"), 422)
    other = c.get("/api/rankings?edition=gii-2023&economy=CN")
    assert other.json()["rows"] != first.json()["rows"]  # the query is part of the key
