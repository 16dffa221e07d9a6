"""`ecr keys` and `ecr audit`: the key shown once on the last line, never listed; the audit
chain's verdict in the exit code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from ecr_cli.main import app
from serving.access.audit import AuditEntry, AuditLog
from serving.access.keys import KeyRing, Unauthenticated
from serving.access.roles import Role
from serving.access.secret import load_secret
from serving.results.schema import api_keys
from serving.results.store import ResultsStore

runner = CliRunner(env={"COLUMNS": "200"})


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """A results store URL and the secret file the commands use."""
    secret_file = tmp_path / "secret" / "service.secret"
    monkeypatch.setenv("ECR_SECRET_FILE", str(secret_file))
    monkeypatch.delenv("ECR_SECRET", raising=False)
    return f"sqlite:///{tmp_path}/results.db", secret_file


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), terminal_width=200)
    return result.exit_code, result.stdout, result.stderr


def test_created_key_is_the_last_line_and_authenticates(setup: tuple[str, Path]) -> None:
    url, secret_file = setup
    code, out, _ = invoke("keys", "create", "--role", "regulator", "--region", "4101",
                          "--expires", "2099-01-01", "--name", "郑州 bureau",
                          "--database-url", url)
    assert code == 0, out
    lines = out.rstrip("\n").split("\n")
    assert len(lines) >= 2 and "regulator key" in lines[0] and "郑州 bureau" in lines[0]
    key = KeyRing(ResultsStore(url).engine, load_secret(secret_file)).authenticate(lines[-1])
    assert (key.role, key.region, key.name) == (Role.REGULATOR, "4101", "郑州 bureau")
    assert key.expires_at == dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
    assert secret_file.stat().st_mode & 0o777 == 0o600


def test_secret_from_the_environment(setup: tuple[str, Path],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    url, secret_file = setup
    monkeypatch.setenv("ECR_SECRET", "e" * 48)
    code, out, _ = invoke("keys", "create", "--role", "sampling", "--database-url", url)
    assert code == 0, out
    plaintext = out.rstrip("\n").split("\n")[-1]
    assert KeyRing(ResultsStore(url).engine, b"e" * 48).authenticate(plaintext).name == \
        "sampling key"
    assert not secret_file.exists()


def test_list_shows_keys_but_never_a_key_or_hash(setup: tuple[str, Path]) -> None:
    url, _ = setup
    plaintexts = [invoke("keys", "create", "--role", role, "--database-url", url)[1]
                  .rstrip("\n").split("\n")[-1] for role in ("admin", "sampling")]
    code, out, _ = invoke("keys", "list", "--database-url", url)
    assert code == 0, out
    with ResultsStore(url).engine.connect() as connection:
        rows = connection.execute(sa.select(api_keys)).mappings().all()
    for row, plaintext in zip(rows, plaintexts, strict=True):
        assert row["key_id"] in out and row["role"] in out
        assert plaintext not in out and plaintext.split("_", 2)[2] not in out  # the secret part
        assert row["key_hash"] not in out and row["key_hash"][:12] not in out
    assert out.count("active") == 2


def test_revoke_then_list_and_authenticate(setup: tuple[str, Path]) -> None:
    url, secret_file = setup
    plaintext = invoke("keys", "create", "--role", "admin", "--database-url", url)[1] \
        .rstrip("\n").split("\n")[-1]
    key_id = plaintext.split("_")[1]
    code, out, _ = invoke("keys", "revoke", key_id, "--database-url", url)
    assert code == 0 and f"revoked admin key {key_id}" in out
    assert "revoked" in invoke("keys", "list", "--database-url", url)[1]
    with pytest.raises(Unauthenticated) as refused:
        KeyRing(ResultsStore(url).engine, load_secret(secret_file)).authenticate(plaintext)
    assert refused.value.reason == "revoked"


def test_revoke_unknown_and_bad_region_are_one_line_errors(setup: tuple[str, Path]) -> None:
    url, _ = setup
    code, _, err = invoke("keys", "revoke", "feedfacecafe", "--database-url", url)
    assert (code, err) == (2, "error: key_id: no API key 'feedfacecafe'\n")
    code, out, err = invoke("keys", "create", "--role", "regulator", "--region", "410",
                            "--database-url", url)
    assert code == 2 and err.startswith("error: region: expected") and "ecr_" not in out
    code, _, err = invoke("keys", "create", "--role", "sampling", "--expires", "2001-01-01",
                          "--database-url", url)
    assert code == 2 and err.startswith("error: expires_at: expected a time in the future")


def test_group_readable_secret_file_is_refused(setup: tuple[str, Path]) -> None:
    url, secret_file = setup
    load_secret(secret_file)
    secret_file.chmod(0o640)
    code, out, err = invoke("keys", "create", "--role", "sampling", "--database-url", url)
    assert code == 2 and "0640" in err and str(secret_file) in err and "ecr_" not in out


def test_audit_verify_and_tail(setup: tuple[str, Path]) -> None:
    url, _ = setup
    store = ResultsStore(url).migrate()
    log = AuditLog(store.engine)
    for number in range(3):
        log.append(AuditEntry(at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), key_id="0123456789ab",
                              role="regulator", method="GET", route="/v1/warnings",
                              parameters={"period": "2026-02-28", "page": number}, status=200,
                              rows=20, request_id=f"req-{number}"))
    code, out, _ = invoke("audit", "verify", "--database-url", url)
    assert code == 0 and out.startswith("audit log intact: 3 entries; last hash ")
    code, out, _ = invoke("audit", "tail", "--limit", "2", "--database-url", url)
    assert code == 0 and "req-1" in out and "req-2" in out and "req-0" not in out
    assert '"page": 2' in out and "GET /v1/warnings" in out

    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        connection.exec_driver_sql("UPDATE audit_log SET rows = 0 WHERE seq = 2")
    code, out, err = invoke("audit", "verify", "--database-url", url)
    assert code == 1 and out == ""
    assert err.startswith("audit log broken at seq 2: its hash does not match its fields")
