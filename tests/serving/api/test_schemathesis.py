"""schemathesis against the live OpenAPI schema: every operation, with a key allowed to call
it, fed generated (valid and invalid) requests; no answer may be a 5xx, and every answer must
match the documented statuses, media types and schemas."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from tests.serving.api.conftest import Deployment

ROLE_OF = {"/v1/admin/model:reload": "admin", "/metrics": "admin",
           "/v1/inspection-results": "sampling"}


@pytest.fixture
def api_schema(deployment: Deployment) -> schemathesis.BaseSchema:
    raw = httpx.get(f"{deployment.url}/v1/openapi.json", timeout=30,
                    headers=deployment.headers("admin")).json()
    return schemathesis.openapi.from_dict(raw)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_the_live_api_keeps_its_schema(case: schemathesis.Case, deployment: Deployment) -> None:
    role = ROLE_OF.get(case.path, "regulator")
    case.call_and_validate(base_url=deployment.url, headers=deployment.headers(role))
