"""The draws over HTTP, against the real server (SQLite and PostgreSQL): a sampling key draws
a campaign over a published period and reads it back, an unpublished period answers 409,
bad input names the field, the draw and its reads are in the audit log, a region-limited key
draws and sees only its region, results posted with the draw id show as progress, cancelling
happens once, and an impossible staffing names the targets."""

from __future__ import annotations

import datetime as dt

import httpx

from serving.access.audit import AuditLog
from serving.results.store import ResultsStore
from tests.serving.conftest import DECEMBER, Deployment

PROBLEM = "application/problem+json"


def create(client: httpx.Client, deployment: Deployment, kind: str = "sampling",
           **body: object) -> httpx.Response:
    wanted = {"period": DECEMBER.isoformat(), "task": "GEN", "seed": "api test"} | body
    return client.post("/v1/sampling/draws", json=wanted, headers=deployment.headers(kind))


def audited(deployment: Deployment, request_id: str) -> list:
    log = AuditLog(ResultsStore(deployment.database_url).engine)
    return [e.entry for e in log.tail(2000) if e.entry.request_id == request_id]


def test_a_sampling_key_draws_a_campaign_and_reads_it_back(
        client: httpx.Client, deployment: Deployment) -> None:
    made = create(client, deployment, mode="per-class", seed="api per-class")
    assert made.status_code == 201, made.text
    draw = made.json()
    draw_id = draw["draw_id"]
    assert draw["status"] == "active" and draw["author"].startswith("key:")
    assert draw["record"]["ratios"] == {"A": "1", "B": "2", "C": "10", "D": "30"}
    assert draw["record"]["seed_source"].startswith("given:")
    assert sum(draw["counts"].values()) == len(draw["items"]) == draw["targets"]
    for target in draw["items"]:
        assert target["batch"] == target["risk_level"]
        assert len(target["inspectors"]) == 2 and target["items"]
    [entry] = audited(deployment, made.headers["x-request-id"])
    assert entry.route == "/v1/sampling/draws" and entry.method == "POST"
    assert entry.status == 201 and entry.rows == draw["targets"]
    assert entry.parameters["draw_id"] == draw_id

    read = client.get(f"/v1/sampling/draws/{draw_id}", headers=deployment.headers("regulator"))
    assert read.status_code == 200 and read.json()["items"] == draw["items"]
    [entry] = audited(deployment, read.headers["x-request-id"])
    assert entry.route == "/v1/sampling/draws/{draw_id}" and entry.rows == draw["targets"]

    listed = client.get("/v1/sampling/draws", params={"period": DECEMBER.isoformat()},
                        headers=deployment.headers("sampling")).json()
    assert draw_id in {d["draw_id"] for d in listed["items"]}
    record = client.get(f"/v1/sampling/draws/{draw_id}/record",
                        headers=deployment.headers("sampling")).json()
    assert len(record["population"]) == draw["population"]
    assert record["record"] == draw["record"]


def test_an_unpublished_period_answers_409(client: httpx.Client,
                                           deployment: Deployment) -> None:
    refused = create(client, deployment, period="2024-06-30")
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"].startswith(PROBLEM)
    assert "2024-06-30" in refused.json()["detail"]
    assert refused.json()["errors"][0]["pointer"] == "/period"


def test_bad_input_is_a_problem_naming_the_field(client: httpx.Client,
                                                 deployment: Deployment) -> None:
    for body, pointer in (({"ratios": {"E": 1}}, "/ratios/E"), ({"mode": "lottery"}, "/mode"),
                          ({"seed": "a|b"}, "/seed"), ({"batches": 0}, "/batches"),
                          ({"forced": [{"uscc": "X" * 18, "reason": "r"}]}, None)):
        answer = create(client, deployment, **body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.headers["content-type"].startswith(PROBLEM)
        if pointer:
            assert any(e["pointer"].startswith(pointer) for e in answer.json()["errors"])
    unknown = create(client, deployment, task="NOPE")
    assert unknown.status_code == 422 and "task" in unknown.json()["detail"]
    short = create(client, deployment, budget=1)
    assert short.status_code == 422 and "short" in short.json()["detail"]
    missing = client.get("/v1/sampling/draws/DRW-20251231-000000000000",
                         headers=deployment.headers("sampling"))
    assert missing.status_code == 404


def test_a_region_limited_key_draws_and_sees_only_its_region(
        client: httpx.Client, deployment: Deployment) -> None:
    made = create(client, deployment, "sampling_region", seed="county")
    assert made.status_code == 201, made.text
    draw = made.json()
    assert draw["region"] == deployment.region
    assert all(t["region_code"].startswith(deployment.region) for t in draw["items"])
    everywhere = create(client, deployment, seed="province").json()
    hidden = client.get(f"/v1/sampling/draws/{everywhere['draw_id']}",
                        headers=deployment.headers("sampling_region"))
    assert hidden.status_code == 404
    listed = client.get("/v1/sampling/draws", params={"period": DECEMBER.isoformat()},
                        headers=deployment.headers("sampling_region")).json()
    assert {d["draw_id"] for d in listed["items"]} >= {draw["draw_id"]}
    assert everywhere["draw_id"] not in {d["draw_id"] for d in listed["items"]}
    outside = create(client, deployment, "sampling_region", region="4117" if not
                     deployment.region.startswith("4117") else "4101")
    assert outside.status_code == 422 and "region" in outside.json()["detail"]


def test_posted_results_show_as_progress_and_cancelling_happens_once(
        client: httpx.Client, deployment: Deployment) -> None:
    draw = create(client, deployment, task="FOOD", seed="food campaign").json()
    first = draw["items"][0]
    team = sorted(i["inspector_id"] for i in first["inspectors"])
    posted = client.post("/v1/inspection-results", headers=deployment.headers("sampling"),
                         json={"results": [{
                             "draw_id": draw["draw_id"], "uscc": first["uscc"],
                             "inspected_on": dt.date.today().isoformat(),
                             "items": first["items"], "result": "problem_found",
                             "department": "市场监督管理局", "inspector_ids": team}]})
    assert posted.status_code == 201, posted.text
    progress = client.get(f"/v1/sampling/draws/{draw['draw_id']}/progress",
                          headers=deployment.headers("sampling")).json()
    assert progress["done"] == 1 and progress["targets"] == len(draw["items"])
    [done] = [t for t in progress["items"] if t["result"] != "pending"]
    assert done["uscc"] == first["uscc"] and done["routed_to"] == ["SCJG"]
    effect = client.get("/v1/sampling/effect", params={"period": DECEMBER.isoformat()},
                        headers=deployment.headers("sampling")).json()
    row = next(r for r in effect["items"]
               if r["prefecture"] == "all" and r["risk_level"] == first["risk_level"])
    assert row["problems"] >= 1 and row["inspected"] >= row["problems"]

    path = f"/v1/sampling/draws/{draw['draw_id']}/cancellation"
    cancelled = client.post(path, json={"reason": "wrong task"},
                            headers=deployment.headers("sampling"))
    assert cancelled.status_code == 201 and cancelled.json()["reason"] == "wrong task"
    again = client.post(path, json={"reason": "again"}, headers=deployment.headers("sampling"))
    assert again.status_code == 409
    read = client.get(f"/v1/sampling/draws/{draw['draw_id']}",
                      headers=deployment.headers("sampling")).json()
    assert read["status"] == "cancelled" and read["items"] == draw["items"]

    # the cancelled draw no longer keeps its inspectors away; the posted inspection does (回避)
    followed = create(client, deployment, task="FOOD", seed="food follow-up",
                      forced=[{"uscc": first["uscc"], "reason": "复查 (触发式)"}]).json()
    [again] = [t for t in followed["items"] if t["uscc"] == first["uscc"]]
    assert not set(team) & {i["inspector_id"] for i in again["inspectors"]}
    assert {(e["inspector_id"], e["reason"]) for e in followed["exclusions"]
            if e["uscc"] == first["uscc"]} >= {(i, "inspected_recently") for i in team}


def test_an_impossible_staffing_names_the_targets(client: httpx.Client,
                                                  deployment: Deployment) -> None:
    refused = create(client, deployment, inspectors_per_target=10, workload_cap=1,
                     seed="overloaded")
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert "cannot be staffed" in problem["detail"]
    assert problem["errors"] and all(e["pointer"] == "/inspectors_per_target"
                                     for e in problem["errors"])
