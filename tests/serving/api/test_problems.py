"""Bad requests get 4xx problem details naming the field, never a 5xx."""

from __future__ import annotations

import httpx
import pytest

from tests.serving.conftest import DECEMBER, Deployment

PROBLEM = "application/problem+json"


def _problem(answer: httpx.Response, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    body = answer.json()
    assert body["status"] == status and body["detail"] and body["type"].endswith(
        body["type"].rsplit("/", 1)[-1])
    return body


@pytest.mark.parametrize(("path", "params", "status", "pointer"), [
    ("/v1/classifications", {}, 422, "period"),
    ("/v1/classifications", {"period": "2025-13-45"}, 422, "period"),
    ("/v1/classifications", {"period": DECEMBER.isoformat(), "limit": 0}, 422, "limit"),
    ("/v1/classifications", {"period": DECEMBER.isoformat(), "class": "E"}, 422, "class"),
    ("/v1/classifications", {"period": DECEMBER.isoformat(), "cursor": "garbage"}, 422, None),
    ("/v1/classifications", {"period": "2025-10-31"}, 404, None),
    ("/v1/enterprises/91350200776049653A", {}, 404, None),
    ("/v1/enterprises/not-a-uscc", {}, 422, "uscc"),
    ("/v1/enterprises", {"q": "x"}, 422, "q"),
    ("/v1/regions", {"period": DECEMBER.isoformat(), "level": "village"}, 422, "level"),
    ("/v1/warnings", {"period": DECEMBER.isoformat(), "severity": 9}, 422, "severity"),
    ("/v1/nowhere", {}, 404, None),
])
def test_bad_reads_are_named(client: httpx.Client, deployment: Deployment, path: str,
                             params: dict, status: int, pointer: str | None) -> None:
    body = _problem(client.get(path, params=params, headers=deployment.headers("regulator")),
                    status)
    if pointer:
        assert any(e["pointer"] == pointer for e in body["errors"]), body


def test_bad_bodies_are_named(client: httpx.Client, deployment: Deployment) -> None:
    sampling = deployment.headers("sampling")
    _problem(client.post("/v1/scores", content=b"{not json", headers=sampling
                         | {"content-type": "application/json"}), 422)
    body = _problem(client.post("/v1/scores", json={"enterprises": "91350200776049653A"},
                                headers=sampling), 422)
    assert body["errors"][0]["pointer"] == "/enterprises"
    _problem(client.post("/v1/scores", json={}, headers=sampling), 422)
    _problem(client.post("/v1/scores", json={"enterprises": ["X"], "rows": [{}]},
                         headers=sampling), 422)
    body = _problem(client.post("/v1/scores", json={"enterprises": ["91350200776049653A"],
                                                    "as_of": "2020-01-31"},
                                headers=sampling), 422)
    assert "as_of" in body["detail"] or "as-of" in body["detail"]
    body = _problem(client.post("/v1/inspection-results", json={"results": [
        {"uscc": "123", "inspected_on": "2030-01-01", "items": ["x"], "result": "maybe",
         "department": "d"}]}, headers=sampling), 422)
    fields = {e["pointer"] for e in body["errors"]}
    assert {"/results/0/uscc", "/results/0/result"} <= fields, body
    _problem(client.patch("/v1/warnings/20251231-91350200776049653A",
                          json={"status": "forgotten"}, headers=deployment.headers("regulator")),
             422)
    _problem(client.patch("/v1/warnings/20251231-91350200776049653A",
                          json={"status": "resolved"}, headers=deployment.headers("regulator")),
             404)


def test_size_limits(client: httpx.Client, deployment: Deployment) -> None:
    sampling = deployment.headers("sampling")
    many = {"enterprises": [f"{i:018d}" for i in range(10_001)]}
    _problem(client.post("/v1/scores", json=many, headers=sampling), 413)
    huge = b'{"rows": [' + b'{"a": 1},' * 4_000_000 + b'{"a": 1}]}'
    _problem(client.post("/v1/scores", content=huge, headers=sampling
                         | {"content-type": "application/json"}), 413)


def test_security_headers(client: httpx.Client, deployment: Deployment) -> None:
    answer = client.get("/v1/periods", headers=deployment.headers("sampling"))
    for header in ("x-content-type-options", "content-security-policy", "cache-control",
                   "x-request-id", "referrer-policy"):
        assert header in answer.headers
    assert answer.headers["cache-control"] == "no-store"
    assert "server" not in answer.headers
