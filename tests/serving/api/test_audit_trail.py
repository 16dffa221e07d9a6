"""Every read of a result or an explanation, and every write, leaves an audit entry before
the answer is sent (key id, route, parameters, status, rows, request id; never the key); the
chain verifies with `ecr audit verify`, and an edited entry is found."""

from __future__ import annotations

import sqlite3

import httpx
import sqlalchemy as sa
from typer.testing import CliRunner

from ecr_cli.main import app
from serving.access.audit import AuditLog
from serving.results.store import ResultsStore
from tests.serving.conftest import DECEMBER, Deployment


def _entries_for(deployment: Deployment, request_id: str) -> list:
    log = AuditLog(ResultsStore(deployment.database_url).engine)
    return [e for e in log.tail(500) if e.entry.request_id == request_id]


def test_reads_and_refusals_are_audited_before_the_answer(
        client: httpx.Client, deployment: Deployment) -> None:
    page = client.get("/v1/classifications", headers=deployment.headers("regulator"),
                      params={"period": DECEMBER.isoformat(), "limit": 7})
    assert page.status_code == 200
    uscc = page.json()["items"][0]["uscc"]
    [entry] = _entries_for(deployment, page.headers["x-request-id"])
    assert entry.entry.route == "/v1/classifications" and entry.entry.rows == 7
    assert entry.entry.status == 200 and entry.entry.role == "regulator"
    assert entry.entry.parameters["query"]["period"] == DECEMBER.isoformat()

    explained = client.get(f"/v1/enterprises/{uscc}/explanation",
                           headers=deployment.headers("regulator"))
    [entry] = _entries_for(deployment, explained.headers["x-request-id"])
    assert entry.entry.route == "/v1/enterprises/{uscc}/explanation"
    assert entry.entry.parameters["path"] == {"uscc": uscc} and entry.entry.rows == 1

    refused = client.get("/v1/classifications", headers=deployment.headers("revoked"),
                         params={"period": DECEMBER.isoformat()})
    assert refused.status_code == 401
    [entry] = _entries_for(deployment, refused.headers["x-request-id"])
    assert entry.entry.status == 401 and entry.entry.rows == 0
    assert entry.entry.parameters["outcome"] == "unauthenticated: revoked"
    secret_part = deployment.keys["revoked"].split("_", 2)[2]
    log = AuditLog(ResultsStore(deployment.database_url).engine)
    assert all(secret_part not in repr(e) for e in log.tail(1000))


def test_the_chain_verifies_and_an_edit_is_found(
        client: httpx.Client, deployment: Deployment, tmp_path) -> None:
    client.get("/v1/periods", headers=deployment.headers("sampling"))
    runner = CliRunner()
    verified = runner.invoke(app, ["audit", "verify", "--database-url",
                                   deployment.database_url])
    assert verified.exit_code == 0, verified.output
    if not deployment.database_url.startswith("sqlite"):
        return  # tampering on PostgreSQL is shown in tests/serving/access/test_audit.py
    copy = tmp_path / "tampered.db"
    with sqlite3.connect(deployment.database_url.removeprefix("sqlite:///")) as source, \
            sqlite3.connect(copy) as target:
        source.backup(target)  # with what the write-ahead log holds
    with sqlite3.connect(copy) as connection:
        connection.execute("DROP TRIGGER audit_log_no_update")
        connection.execute("UPDATE audit_log SET rows = rows + 1 WHERE seq = 2")
    broken = runner.invoke(app, ["audit", "verify", "--database-url", f"sqlite:///{copy}"])
    assert broken.exit_code == 1 and "seq 2" in broken.output


def test_an_unwritable_audit_log_serves_nothing(deployment: Deployment) -> None:
    """If the audit entry cannot be written, the caller gets 503, not the data."""
    if not deployment.database_url.startswith("sqlite"):
        return
    from tests.serving.conftest import start_server

    engine = sa.create_engine(deployment.database_url)
    server = start_server(deployment)
    try:
        with engine.begin() as connection:  # the application may not drop it; a DBA may
            connection.exec_driver_sql("ALTER TABLE audit_log RENAME TO audit_log_away")
        try:
            answer = httpx.get(f"{server.url}/v1/periods", timeout=30,
                               headers=deployment.headers("sampling"))
            assert answer.status_code == 503 and "periods" not in answer.text
        finally:
            with engine.begin() as connection:
                connection.exec_driver_sql("ALTER TABLE audit_log_away RENAME TO audit_log")
    finally:
        server.stop()
