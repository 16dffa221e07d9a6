"""The real server: two uvicorn workers start on one model version, a reload under load
swaps every worker to the newly promoted version with no failed request, and a shutdown lets
requests in flight finish."""

from __future__ import annotations

import signal
import threading
import time

import httpx
import pytest

from tests.conftest import Trained
from tests.serving.conftest import Deployment, register, start_server


@pytest.fixture
def sqlite_only(deployment: Deployment) -> Deployment:
    if not deployment.database_url.startswith("sqlite"):
        pytest.skip("the lifecycle does not depend on the database; run once")
    return deployment


def test_reload_under_load_fails_no_request(sqlite_only: Deployment, trained: Trained) -> None:
    deployment = sqlite_only
    server = start_server(deployment, workers=2)
    statuses: list[int] = []
    versions: set[str] = set()
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            while not stop.is_set():
                answer = client.get("/v1/model", headers=deployment.headers("sampling"))
                statuses.append(answer.status_code)
                if answer.status_code == 200:
                    versions.add(answer.json()["version"])

    try:
        before = httpx.get(f"{server.url}/v1/model", headers=deployment.headers("sampling"),
                           timeout=30).json()["version"]
        workers = [threading.Thread(target=load) for _ in range(4)]
        for worker in workers:
            worker.start()
        new_version = register(trained)
        started = httpx.post(f"{server.url}/v1/admin/model:reload",
                             headers=deployment.headers("admin"), timeout=30)
        assert started.status_code == 202, started.text
        deadline = time.monotonic() + 120
        target = f"{before.rsplit('/', 1)[0]}/{new_version}"
        seen_new = 0
        while time.monotonic() < deadline and seen_new < 20:
            answer = httpx.get(f"{server.url}/v1/model", headers=deployment.headers("sampling"),
                               timeout=30)
            seen_new = seen_new + 1 if answer.json()["version"] == target else 0
            time.sleep(0.05)
        stop.set()
        for worker in workers:
            worker.join()
        assert seen_new >= 20, "not every worker moved to the new version"
        status = httpx.get(f"{server.url}/v1/admin/model:reload",
                           headers=deployment.headers("admin"), timeout=30).json()
        assert status["state"] in ("done", "idle")
        assert statuses and set(statuses) == {200}, {s for s in statuses if s != 200}
        assert {before, target} >= versions
    finally:
        stop.set()
        server.stop()


def test_shutdown_lets_requests_in_flight_finish(sqlite_only: Deployment) -> None:
    deployment = sqlite_only
    server = start_server(deployment)
    answers: list[httpx.Response] = []
    sending = threading.Event()

    def slow_request() -> None:  # scored at a past date: its features computed, not looked up
        with httpx.Client(base_url=server.url, timeout=60) as client:
            page = client.get("/v1/classifications", headers=deployment.headers("regulator"),
                              params={"period": "2025-12-31", "limit": 1}).json()
            uscc = page["items"][0]["uscc"]
            sending.set()
            answers.append(client.post("/v1/scores", params={"explain": "true"},
                                       json={"enterprises": [uscc], "as_of": "2025-11-30"},
                                       headers=deployment.headers("regulator")))

    thread = threading.Thread(target=slow_request)
    thread.start()
    assert sending.wait(60)  # the signal follows the request, however slow the machine
    time.sleep(0.05)
    server.process.send_signal(signal.SIGTERM)
    thread.join(60)
    # uvicorn shuts down gracefully, then re-raises the signal: the exit is "by SIGTERM"
    assert server.process.wait(60) in (0, -signal.SIGTERM)
    assert answers and answers[0].status_code == 200
