"""Every operation × every kind of key: no key, a malformed, unknown, expired or revoked key
→ 401; a role without the permission → 403; a region-limited key sees only its region (an
enterprise outside it is 404, as if it did not exist). The table of who may do what is written
out here, apart from the code's own matrix, so that a change to either shows."""

from __future__ import annotations

import httpx
import pytest

from tests.serving.conftest import DECEMBER, Deployment

ROLES = ("sampling", "regulator", "admin")
BAD_KEYS = ("malformed", "unknown", "expired", "revoked")

# (method, path template, roles allowed)
OPERATIONS = [
    ("GET", "/v1/model", {"sampling", "regulator", "admin"}),
    ("GET", "/v1/periods", {"sampling", "regulator"}),
    ("GET", "/v1/classifications", {"sampling", "regulator"}),
    ("POST", "/v1/scores", {"sampling", "regulator"}),
    ("GET", "/v1/enterprises", {"regulator"}),
    ("GET", "/v1/enterprises/{uscc}", {"regulator"}),
    ("GET", "/v1/enterprises/{uscc}/explanation", {"regulator"}),
    ("GET", "/v1/warnings", {"regulator"}),
    ("PATCH", "/v1/warnings/{warning_id}", {"regulator"}),
    ("GET", "/v1/regions", {"regulator"}),
    ("POST", "/v1/inspection-results", {"sampling", "regulator"}),
    ("POST", "/v1/sampling/draws", {"sampling", "regulator"}),
    ("GET", "/v1/sampling/draws", {"sampling", "regulator"}),
    ("GET", "/v1/sampling/draws/{draw_id}", {"sampling", "regulator"}),
    ("GET", "/v1/sampling/draws/{draw_id}/record", {"sampling", "regulator"}),
    ("GET", "/v1/sampling/draws/{draw_id}/progress", {"sampling", "regulator"}),
    ("POST", "/v1/sampling/draws/{draw_id}/cancellation", {"sampling", "regulator"}),
    ("GET", "/v1/sampling/effect", {"sampling", "regulator"}),
    ("POST", "/v1/admin/model:reload", {"admin"}),
    ("GET", "/v1/admin/model:reload", {"admin"}),
    ("GET", "/metrics", {"admin"}),
    ("GET", "/v1/openapi.json", {"sampling", "regulator", "admin"}),
]


def _operations_in_schema(client: httpx.Client, deployment: Deployment) -> set[tuple[str, str]]:
    schema = client.get("/v1/openapi.json", headers=deployment.headers("admin")).json()
    return {(method.upper(), path) for path, item in schema["paths"].items()
            for method in item if method in {"get", "post", "patch", "put", "delete"}}


def test_the_table_covers_every_operation(client: httpx.Client, deployment: Deployment) -> None:
    listed = {(method, path) for method, path, _ in OPERATIONS}
    documented = _operations_in_schema(client, deployment) - {("GET", "/healthz"),
                                                             ("GET", "/readyz")}
    assert documented <= listed, documented - listed


def _request(client: httpx.Client, method: str, path: str, deployment: Deployment,
             headers: dict[str, str], uscc: str, warning_id: str,
             draw_id: str) -> httpx.Response:
    url = path.format(uscc=uscc, warning_id=warning_id, draw_id=draw_id)
    params = {}
    if path in ("/v1/classifications", "/v1/warnings", "/v1/regions", "/v1/sampling/draws",
                "/v1/sampling/effect") or path.endswith("/explanation"):
        params["period"] = DECEMBER.isoformat()
    if path == "/v1/enterprises":
        params["q"] = uscc[:6]
    body = None
    if path == "/v1/scores":
        body = {"enterprises": [uscc]}
    elif path == "/v1/inspection-results":
        body = {"results": []}
    elif method == "PATCH":
        body = {"status": "in_progress"}
    elif path == "/v1/sampling/draws" and method == "POST":
        body = {"period": DECEMBER.isoformat(), "task": "GEN", "seed": "auth matrix"}
    elif path.endswith("/cancellation"):
        body = {"reason": "auth matrix"}
    return client.request(method, url, params=params, json=body, headers=headers)


@pytest.fixture(scope="module")
def examples(deployment: Deployment) -> tuple[str, str, str]:
    with httpx.Client(base_url=deployment.url, timeout=60) as client:
        page = client.get("/v1/warnings", params={"period": DECEMBER.isoformat(), "limit": 1},
                          headers=deployment.headers("regulator")).json()
        made = client.post("/v1/sampling/draws", headers=deployment.headers("sampling"),
                           json={"period": DECEMBER.isoformat(), "task": "GEN",
                                 "seed": "auth matrix example"})
    assert made.status_code == 201, made.text
    warning = page["items"][0]
    return warning["uscc"], warning["warning_id"], made.json()["draw_id"]


@pytest.mark.parametrize(("method", "path", "allowed"), OPERATIONS,
                         ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_every_operation_refuses_a_missing_or_bad_key(
        client: httpx.Client, deployment: Deployment, examples: tuple[str, str, str],
        method: str, path: str, allowed: set[str]) -> None:
    for kind in (None, *BAD_KEYS):
        headers = deployment.headers(kind) if kind else {}
        answer = _request(client, method, path, deployment, headers, *examples)
        assert answer.status_code == 401, (kind, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert "revoked" not in answer.text and "expired" not in answer.text


@pytest.mark.parametrize(("method", "path", "allowed"), OPERATIONS,
                         ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_every_operation_checks_the_role(
        client: httpx.Client, deployment: Deployment, examples: tuple[str, str, str],
        method: str, path: str, allowed: set[str]) -> None:
    for role in ROLES:
        answer = _request(client, method, path, deployment, deployment.headers(role),
                          *examples)
        if role in allowed:
            assert answer.status_code not in (401, 403), (role, answer.text)
            assert answer.status_code < 500, (role, answer.text)
        else:
            assert answer.status_code == 403, (role, answer.text)


def test_a_region_limited_key_sees_only_its_region(
        client: httpx.Client, deployment: Deployment) -> None:
    region = deployment.region
    limited = deployment.headers("regulator_region")
    page = client.get("/v1/classifications", headers=limited,
                      params={"period": DECEMBER.isoformat(), "limit": 1000}).json()
    def code(item: dict) -> str:
        return item["county"] or item["prefecture"] or ""

    assert page["items"] and all(code(item).startswith(region) for item in page["items"])
    everyone = client.get("/v1/classifications", headers=deployment.headers("regulator"),
                          params={"period": DECEMBER.isoformat(), "limit": 1000}).json()
    outside = next(item["uscc"] for item in everyone["items"]
                   if not code(item).startswith(region))
    inside = page["items"][0]["uscc"]
    for path in ("/v1/enterprises/{}", "/v1/enterprises/{}/explanation"):
        assert client.get(path.format(inside), headers=limited,
                          params={"period": DECEMBER.isoformat()}).status_code == 200
        hidden = client.get(path.format(outside), headers=limited,
                            params={"period": DECEMBER.isoformat()})
        unknown = client.get(path.format("91350200776049653A"), headers=limited,
                             params={"period": DECEMBER.isoformat()})
        assert hidden.status_code == unknown.status_code == 404
    scored = client.post("/v1/scores", headers=deployment.headers("sampling_region"),
                         json={"enterprises": [outside]})
    assert scored.status_code == 404, scored.text
    found = client.get("/v1/enterprises", headers=limited, params={"q": outside[:10]}).json()
    assert all(match["uscc"] != outside for match in found["items"])
