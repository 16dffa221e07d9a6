"""The pages are tested on the same real deployment as the API (`deployment` of
``tests/serving/conftest.py``: `ecr serve` in a subprocess over SQLite and PostgreSQL, keys of
every kind, built once per database for both), and in Debian's chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.serving.conftest import Deployment

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts" / "pages"
"""Screenshots of every page the browser test opens (gitignored)."""


def login(client: httpx.Client, key: str) -> httpx.Response:
    """Log ``client`` in with ``key`` through the login form (its CSRF cookie and token)."""
    form = client.get("/pages/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert token, form.text
    return client.post("/pages/login", data={"csrf": token.group(1), "key": key})


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


@pytest.fixture
def pages(deployment: Deployment) -> Iterator[httpx.Client]:
    """A client that does not follow redirects (to see them)."""
    with httpx.Client(base_url=deployment.url, timeout=60) as session:
        yield session


@pytest.fixture
def regulator(deployment: Deployment) -> Iterator[httpx.Client]:
    """A client logged in to the pages with the regulator key."""
    with httpx.Client(base_url=deployment.url, timeout=60) as session:
        response = login(session, deployment.keys["regulator"])
        assert response.status_code == 303, response.text
        yield session
