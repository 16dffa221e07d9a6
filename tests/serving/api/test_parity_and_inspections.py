"""What the API answers equals what `ecr classify` stored for the same enterprise and period
(scores, classes, explanations adding up to the stored final score); spot-check results posted
over HTTP land in the store, raise a warning, and a retry changes nothing."""

from __future__ import annotations

import httpx
import pytest

from features.store import Store
from serving.results.store import ResultsStore
from tests.serving.conftest import DECEMBER, Deployment

TOLERANCE = 1e-6


def _stored(deployment: Deployment, limit: int = 25) -> list:
    results = ResultsStore(deployment.database_url)
    run = results.published_run(DECEMBER)
    assert run is not None
    return results.result_page(run.run_id, None, limit)


def test_scores_and_explanations_equal_the_published_results(
        client: httpx.Client, deployment: Deployment) -> None:
    stored = {row.uscc: row for row in _stored(deployment)}
    scored = client.post("/v1/scores", params={"explain": "true"},
                         headers=deployment.headers("regulator"),
                         json={"enterprises": list(stored), "as_of": DECEMBER.isoformat()})
    assert scored.status_code == 200, scored.text
    body = scored.json()
    assert [item["uscc"] for item in body["items"]] == list(stored) and not body["missing"]
    for item in body["items"]:
        row = stored[item["uscc"]]
        assert abs(item["final_score"] - row.final_score) < TOLERANCE
        assert abs(item["model_score"] - row.model_score) < TOLERANCE
        assert item["risk_class"]["level"] == row.risk_level
        assert item["model_level"] == row.model_level
        assert sorted(r["rule"] for r in item["fired_rules"]) == sorted(row.fired_rules)
        explanation = item["explanation"]
        total = explanation["base_points"] + sum(
            line["points"] for line in [*explanation["features"], *explanation["rules"]])
        assert abs(total - row.final_score) < TOLERANCE
        assert abs(explanation["base_points"] - row.base_points) < TOLERANCE
    for uscc, row in list(stored.items())[:5]:
        explained = client.get(f"/v1/enterprises/{uscc}/explanation",
                               params={"period": DECEMBER.isoformat(), "top": 10},
                               headers=deployment.headers("regulator")).json()
        assert abs(explained["final_score"] - row.final_score) < TOLERANCE
        assert len(explained["features"]) == 11  # the top 10 and the others' total
        total = explained["base_points"] + sum(
            line["points"] for line in [*explained["features"], *explained["rules"]])
        assert abs(total - row.final_score) < TOLERANCE
        top = sorted([f for f in row.factors_up], key=lambda f: -f.points)[0]
        assert top.feature in {line["feature"] for line in explained["features"]}


def test_supplied_rows_score_as_the_store_does(client: httpx.Client,
                                               deployment: Deployment) -> None:
    from features.enterprise_features import features_of

    row = _stored(deployment, 1)[0]
    features = features_of(Store(deployment.store), [row.uscc], DECEMBER).table
    payload = {k: (v.isoformat() if hasattr(v, "isoformat") else v)
               for k, v in features.to_pylist()[0].items()}
    scored = client.post("/v1/scores", json={"rows": [payload]},
                         headers=deployment.headers("sampling"))
    assert scored.status_code == 200, scored.text
    assert abs(scored.json()["items"][0]["final_score"] - row.final_score) < TOLERANCE


@pytest.fixture
def target(deployment: Deployment) -> str:
    """An enterprise of the published period without a warning yet."""
    return _stored(deployment, 200)[150].uscc


def test_inspection_results_land_warn_and_replay(
        client: httpx.Client, deployment: Deployment, target: str) -> None:
    before = Store(deployment.store).version
    body = {"results": [{"draw_id": "D20260105-0001", "uscc": target,
                         "inspected_on": "2025-12-20", "items": ["食品经营许可"],
                         "result": "problem_found", "department": "金水区市场监督管理局"}]}
    headers = deployment.headers("sampling") | {"Idempotency-Key": f"demo-{target}"}
    first = client.post("/v1/inspection-results", json=body, headers=headers)
    assert first.status_code == 201, first.text
    answer = first.json()
    assert answer["accepted"] == 1 and answer["published"]
    after = Store(deployment.store)
    assert after.version != before
    import duckdb

    spot = duckdb.sql(f"SELECT count(*) FROM '{after.table_path('records')}' WHERE uscc = "
                      f"'{target}' AND record_type = 'spot_check' AND outcome = "
                      "'problem_found'").fetchone()[0]
    assert spot >= 1
    assert any(w["uscc"] == target for w in answer["warnings"]), answer
    again = client.post("/v1/inspection-results", json=body, headers=headers)
    assert again.status_code == 201 and again.json() == answer
    assert again.headers.get("idempotent-replayed") == "true"
    assert Store(deployment.store).version == after.version
    other = client.post("/v1/inspection-results", headers=headers, json={"results": [
        {**body["results"][0], "result": "no_problem"}]})
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
