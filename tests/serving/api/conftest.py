"""The API tests run on the real deployment of ``tests/serving/conftest.py`` (`deployment`:
`ecr serve` in a subprocess over SQLite and PostgreSQL, keys of every kind), which the pages
tests share; `client` talks to it over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.serving.conftest import Deployment


@pytest.fixture
def client(deployment: Deployment) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=deployment.url, timeout=60) as session:
        yield session
