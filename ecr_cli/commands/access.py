"""Access commands: API keys (create, list, revoke) and the audit log (verify, tail).

The server secret comes from the settings (``ECR_SECRET``, else the file ``ECR_SECRET_FILE``,
created owner-only on first use). Nothing here prints a key but ``ecr keys create``, once, on
its last line; no command prints a key's hash or the secret.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table as RichTable

from ecr_cli.common import DatabaseOption, console, errors, fail, open_results, settings, verbatim
from serving.access.roles import Role

if TYPE_CHECKING:
    from ecr_settings import Settings
    from serving.access.keys import ApiKey, KeyRing

AUDIT_BROKEN = 1
"""Exit status of ``ecr audit verify`` when the chain is broken."""


def keys_create_command(
    role: Annotated[Role, typer.Option(help="What the key may do.")],
    region: Annotated[str | None, typer.Option(
        help="Limit the key to enterprises whose division code starts with this prefix "
             "(2, 4 or 6 digits).")] = None,
    expires: Annotated[dt.datetime | None, typer.Option(
        formats=["%Y-%m-%d"], help="Expiry date: the key stops working at 00:00 UTC on it.")
    ] = None,
    name: Annotated[str | None, typer.Option(
        help="Who or what holds the key. Default: '<role> key'.")] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Create an API key; its plaintext is printed once, alone on the last line."""
    from serving.results.store import ResultsStoreError

    ring = _key_ring(settings(database_url=database_url))
    expires_at = expires.replace(tzinfo=dt.UTC) if expires is not None else None
    try:
        key, plaintext = ring.create(role, name or f"{role} key",
                                     region=region, expires_at=expires_at)
    except (ValueError, ResultsStoreError) as error:
        raise fail(error) from None
    console.print(verbatim(f"created {_describe(key)}"), soft_wrap=True)
    console.print("the key is shown this once and cannot be recovered; store it now:")
    typer.echo(plaintext)


def keys_list_command(database_url: DatabaseOption = None) -> None:
    """Every API key with its role, region and status (never the key or its hash)."""
    from serving.results.store import ResultsStoreError

    try:
        keys = _key_ring(settings(database_url=database_url)).list()
    except ResultsStoreError as error:
        raise fail(error) from None
    now = dt.datetime.now(dt.UTC)
    table = RichTable(title="API keys")
    for column in ("id", "name", "role", "region", "created", "expires", "status"):
        table.add_column(column, overflow="fold")
    for key in keys:
        table.add_row(key.key_id, verbatim(key.name), key.role.value, key.region or "all",
                      _moment(key.created_at), _moment(key.expires_at), key.status(now))
    console.print(table)


def keys_revoke_command(
    key_id: Annotated[str, typer.Argument(metavar="ID", help="The key's id (ecr keys list).")],
    database_url: DatabaseOption = None,
) -> None:
    """Revoke an API key: it stops working within seconds everywhere."""
    from serving.results.store import ResultsStoreError

    try:
        key = _key_ring(settings(database_url=database_url)).revoke(key_id)
    except LookupError as error:
        raise fail(error.args[0]) from None
    except ResultsStoreError as error:
        raise fail(error) from None
    console.print(verbatim(f"revoked {_describe(key)} at {_moment(key.revoked_at)}"),
                  soft_wrap=True)


def audit_verify_command(database_url: DatabaseOption = None) -> None:
    """Check the audit log's hash chain: exit 0 when intact, 1 naming the first break."""
    from serving.access.audit import AuditLog
    from serving.results.store import ResultsStoreError

    try:
        found = AuditLog(open_results(settings(database_url=database_url)).engine).verify()
    except ResultsStoreError as error:
        raise fail(error) from None
    if not found.ok:
        errors.print(verbatim(f"audit log broken at {found.reason} "
                              f"({found.entries:,} entries read)"), highlight=False,
                     soft_wrap=True)
        raise typer.Exit(code=AUDIT_BROKEN)
    last = f"; last hash {found.last_hash}" if found.last_hash else ""
    console.print(f"audit log intact: {found.entries:,} entries{last}", highlight=False,
                  soft_wrap=True)


def audit_tail_command(
    limit: Annotated[int, typer.Option(min=1, help="How many entries, the latest.")] = 20,
    database_url: DatabaseOption = None,
) -> None:
    """The latest audit entries, oldest first."""
    from serving.access.audit import AuditLog
    from serving.results.store import ResultsStoreError

    try:
        entries = AuditLog(open_results(settings(database_url=database_url)).engine).tail(limit)
    except ResultsStoreError as error:
        raise fail(error) from None
    table = RichTable(title="Audit log (latest entries)")
    for column in ("seq", "at (UTC)", "key", "role", "request", "parameters", "status", "rows",
                   "request id"):
        table.add_column(column, overflow="fold",
                         justify="right" if column in ("seq", "status", "rows") else "left")
    for stored in entries:
        entry = stored.entry
        table.add_row(str(stored.seq), _moment(entry.at), entry.key_id or "–",
                      verbatim(entry.role or "–"), verbatim(f"{entry.method} {entry.route}"),
                      verbatim(json.dumps(dict(entry.parameters), ensure_ascii=False,
                                          sort_keys=True)),
                      str(entry.status), f"{entry.rows:,}", verbatim(entry.request_id))
    console.print(table)


def _key_ring(config: Settings) -> KeyRing:
    """The keys of the settings' results store, hashed with the settings' secret."""
    from serving.access.keys import KeyRing
    from serving.access.secret import SecretError, load_secret

    results = open_results(config)
    given = config.secret.get_secret_value() if config.secret is not None else None
    try:
        secret = load_secret(config.secret_file, given)
    except SecretError as error:
        raise fail(error) from None
    return KeyRing(results.engine, secret)


def _describe(key: ApiKey) -> str:
    region = f"region {key.region}" if key.region else "all regions"
    expires = f"expires {_moment(key.expires_at)}" if key.expires_at else "no expiry"
    return f"{key.role.value} key {key.key_id} named {key.name!r} ({region}; {expires})"


def _moment(moment: dt.datetime | None) -> str:
    return "–" if moment is None else f"{moment.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}"
