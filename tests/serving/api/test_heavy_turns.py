"""Large answers take turns within a worker (`ServiceState.heavy`) while waiting on the event
loop: a burst of them must leave the thread pool to the cheap reads.

The app runs in process over the deployment's settings (its model, store and database), with
the thread pool cut to `THREADS` and every page made slow, so that pages waiting for their
turn in threads (as a lock taken inside the route did) would hold every thread, and the
enterprise read asked for after them would finish after the second page."""

from __future__ import annotations

import time
from typing import Any

import anyio
import httpx
import pytest

from ecr_settings import Settings
from serving.api.app import create_app
from serving.api.routes import classifications
from tests.serving.conftest import Deployment

THREADS = 2
PAGES = 4
PAGE_SECONDS = 0.3


@pytest.fixture
def settings(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for name, value in deployment.environment(ECR_MATERIALISE_FEATURES="false").items():
        if name.startswith("ECR_"):
            monkeypatch.setenv(name, value)
    return Settings()


def test_a_burst_of_pages_leaves_the_threads_to_a_cheap_read(
        deployment: Deployment, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    page_of = classifications.classification_page

    def slow_page(*args: Any, **kwargs: Any) -> Any:
        time.sleep(PAGE_SECONDS)
        return page_of(*args, **kwargs)

    app = create_app(settings)
    headers = deployment.headers("regulator")
    finished: dict[str, float] = {}

    async def scenario() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://service",
                headers=headers, timeout=60) as client:
            period = (await client.get("/v1/periods")).json()["periods"][-1]
            first = await client.get("/v1/classifications", params={"period": period,
                                                                    "limit": 1})
            uscc = first.json()["items"][0]["uscc"]
            monkeypatch.setattr(classifications, "classification_page", slow_page)

            async def get(name: str, path: str, params: dict[str, Any] | None = None) -> None:
                answer = await client.get(path, params=params)
                assert answer.status_code == 200, answer.text
                finished[name] = time.perf_counter()

            async with anyio.create_task_group() as requests:
                for i in range(PAGES):
                    requests.start_soon(get, f"page {i}", "/v1/classifications",
                                        {"period": period, "limit": 10})
                await anyio.sleep(0.05)
                requests.start_soon(get, "enterprise", f"/v1/enterprises/{uscc}")

    anyio.run(scenario)
    pages = sorted(at for name, at in finished.items() if name.startswith("page"))
    assert len(pages) == PAGES
    assert finished["enterprise"] < pages[1], "the enterprise read waited for the pages"
    assert pages[-1] - pages[0] >= (PAGES - 1) * PAGE_SECONDS * 0.9, "pages did not take turns"
