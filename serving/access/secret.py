"""The server secret that API keys are hashed with (HMAC-SHA256).

`load_secret` takes the value given (``ECR_SECRET``, which the caller reads through
`Settings`) or else the secret file, creating the file on first use: 32 random bytes written
as hex, owner-only (0600; parent folders it creates 0700). Creation is atomic: the secret is
written and flushed to a temporary file beside the target, then hard-linked into place, so
exactly one of several processes starting at once wins and all of them end up with its secret;
no reader ever sees a half-written file. A secret file that group or others may read or write is
refused. Either way the secret is the text's UTF-8 bytes, so the file's contents copied into
``ECR_SECRET`` give the same key hashes. Losing the secret invalidates every key.
"""

from __future__ import annotations

import os
import secrets
import stat
import tempfile
from pathlib import Path

SECRET_BYTES = 32
"""Random bytes in a new secret (256 bits)."""
MINIMUM_LENGTH = 32
"""Fewest characters a secret, given or read, may have."""


class SecretError(ValueError):
    """The secret cannot be used: too short, unreadable, or readable by others."""


def load_secret(path: Path, value: str | None = None) -> bytes:
    """The server secret: ``value`` if given, else the contents of ``path`` (created owner-only
    if absent). Raises `SecretError` naming the value or the path and what was wrong."""
    if value is not None:
        return _checked(value.strip(), "ECR_SECRET (the secret given)")
    path = Path(path)
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    _create(path)
    return _read(path)


def _read(path: Path) -> bytes:
    """The secret in ``path``, refused if group or others have any permission on it."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise SecretError(f"secret file {path}: cannot read it: {error.strerror}") from None
    with os.fdopen(descriptor, "rb") as opened:
        mode = stat.S_IMODE(os.fstat(opened.fileno()).st_mode)
        if mode & 0o077:
            raise SecretError(f"secret file {path}: expected owner-only permissions (0600), "
                              f"found {mode:04o}; run `chmod 600 {path}`")
        try:
            text = opened.read().decode("utf-8", errors="replace").strip()
        except OSError as error:
            raise SecretError(f"secret file {path}: cannot read it: {error.strerror}") from None
    return _checked(text, f"secret file {path}")


def _checked(text: str, source: str) -> bytes:
    if len(text) < MINIMUM_LENGTH:
        raise SecretError(f"{source}: expected at least {MINIMUM_LENGTH} characters, "
                          f"found {len(text)}")
    return text.encode("utf-8")


def _create(path: Path) -> None:
    """Write a new secret to ``path`` unless another process gets there first."""
    _make_folders(path.parent)
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as error:
        raise SecretError(f"secret file {path}: cannot create it: {error.strerror}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as opened:
            os.fchmod(opened.fileno(), 0o600)
            opened.write(secrets.token_bytes(SECRET_BYTES).hex() + "\n")
            opened.flush()
            os.fsync(opened.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return  # another process won; its secret is complete, since it was linked whole
        except OSError as error:
            raise SecretError(f"secret file {path}: cannot create it: {error.strerror}") from None
    finally:
        os.unlink(temporary)


def _make_folders(folder: Path) -> None:
    """Create ``folder`` and any missing parents, each owner-only (0700)."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for created in reversed(missing):
        try:
            created.mkdir(mode=0o700)
        except FileExistsError:
            pass
        except OSError as error:
            raise SecretError(f"secret folder {created}: cannot create it: "
                              f"{error.strerror}") from None
