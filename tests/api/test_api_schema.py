"""The OpenAPI schema, validated and exercised with schemathesis (property-based):
every operation answers within its documented responses, never a 5xx."""

from __future__ import annotations

import warnings

import hypothesis
import schemathesis

from techhubs.api import LOOPBACK_HOSTS, Limits, create_app

# schemathesis' ASGI client sends Host: testserver; the app answers only allowed names.
APP = create_app(limits=Limits(max_runs=50), allowed_hosts=(*LOOPBACK_HOSTS, "testserver"))
# Every check, with schemathesis' own expected statuses: a schema-valid request may name an
# unknown edition, unit or code (404), but is never refused as invalid (422); a
# schema-invalid one is always refused.
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


def test_openapi_document_is_valid():
    document = APP.openapi()
    schema.validate()  # against the OpenAPI meta-schema; raises on any violation
    assert document["info"]["title"] == "techhubs"
    paths = set(document["paths"])
    assert {"/api/editions", "/api/methods", "/api/methods/{name}", "/api/rankings",
            "/api/rerank", "/api/units/{unit_id}", "/api/compare", "/api/clusters.geojson",
            "/api/assignment", "/api/status", "/api/published/rankings",
            "/api/published/agreement", "/api/published/consensus", "/api/published/movers",
            "/api/published/claims", "/api/resolve"} <= paths
    for path, ops in document["paths"].items():
        for op in ops.values():
            assert "200" in op["responses"], path
            if op.get("parameters") or op.get("requestBody"):
                assert op["responses"]["422"]["content"]["application/json"]["schema"][
                    "$ref"].endswith("/ErrorBody"), path


@schema.parametrize()
@hypothesis.settings(max_examples=25, deadline=None,
                     suppress_health_check=list(hypothesis.HealthCheck))
def test_api_conforms_to_its_schema(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        case.call_and_validate()  # every built-in check (schemathesis enables all)
