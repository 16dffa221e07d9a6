"""schemathesis against the live OpenAPI schema: every operation, with a key allowed to call
it, fed generated (valid and invalid) requests; no answer may be a 5xx, and every answer must
match the documented statuses, media types and schemas.

(Each operation's strategy is driven here with hypothesis directly: schemathesis' lazy pytest
fixture relies on a pytest internal that pytest 9 removed.)"""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.serving.conftest import Deployment

ROLE_OF = {"/v1/admin/model:reload": "admin", "/metrics": "admin"}
BEYOND_THE_SCHEMA = {"/v1/scores", "/v1/inspection-results", "/v1/enterprises/{uscc}",
                     "/v1/enterprises/{uscc}/explanation", "/v1/warnings/{warning_id}",
                     "/v1/classifications", "/v1/sampling/draws",
                     "/v1/sampling/draws/{draw_id}", "/v1/sampling/draws/{draw_id}/record",
                     "/v1/sampling/draws/{draw_id}/progress",
                     "/v1/sampling/draws/{draw_id}/cancellation"}
"""Operations that refuse some schema-valid requests on purpose, with 422: a USCC whose check
characters are wrong, an opaque cursor that was never issued, an inspection dated in the
future, feature rows without the model's columns, a draw over an unpublished period (409) or
with a task the catalogue lacks, a draw id never issued (404). Every other check still
applies to them."""
EXAMPLES = 30


def test_the_live_api_keeps_its_schema(deployment: Deployment) -> None:
    raw = httpx.get(f"{deployment.url}/v1/openapi.json", timeout=30,
                    headers=deployment.headers("admin")).json()
    schema = schemathesis.openapi.from_dict(raw)
    failures: dict[str, str] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 14

    def checker(operation: schemathesis.APIOperation, headers: dict[str, str]):
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            excluded = ([positive_data_acceptance] if operation.path in BEYOND_THE_SCHEMA
                        else [])
            case.call_and_validate(base_url=deployment.url, headers=headers,
                                   excluded_checks=excluded)

        return check

    for operation in operations:
        try:
            checker(operation, deployment.headers(ROLE_OF.get(operation.path, "regulator")))()
        except Exception as error:
            failures[f"{operation.method.upper()} {operation.path}"] = str(error)[:700]
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
