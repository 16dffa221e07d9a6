"""The embedded store: one Parquet file per table, versioned, queried with DuckDB.

Why Parquet + DuckDB: columnar files that every engine reads (DuckDB here, Spark at national
scale), no server to run, and SQL over tens of millions of rows in seconds on two cores.

Layout under the store root::

    CURRENT                 name of the published version, replaced atomically
    v000001/<table>.parquet one file per table (absent when the table has no rows yet)
    v000001/manifest.json   row counts, fingerprints and the inputs of every ingest so far
    v000001/keys/…parquet   sidecars: the keys of each input file still in force (see
                            `features.ingest`), shared between versions like the tables

A writer builds a complete new version directory, then swaps ``CURRENT`` with ``os.replace``:
readers see the old version or the new one, never a half-written one. A reader that needs
several reads to agree (a monthly run: fingerprint, features, triggers) pins one version with
`Store.pinned` and reads everything from it. A crashed writer leaves
only an unpublished directory, removed by the next commit. A lock file keeps writers apart.
Everything a writer creates is readable by the owner only (folders 0700, files 0600).

Paths reach DuckDB only as SQL string literals made by ``sql_literal``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq

from features.contract import TABLES, Kind

KEEP_VERSIONS = 2
PRIVATE_UMASK = 0o077
"""While writing: new folders 0700, new files 0600 (results are internal)."""
SQL_TYPES = {Kind.TEXT: "VARCHAR", Kind.DATE: "DATE", Kind.DECIMAL: "DOUBLE",
             Kind.INTEGER: "SMALLINT", Kind.TEXT_LIST: "VARCHAR[]"}
"""DuckDB's type of each column kind (as `features.contract.ARROW_TYPES` in Parquet)."""


class StoreError(RuntimeError):
    """The store or an output file cannot be written; the message is one line naming it."""


class StoreBusy(StoreError):
    """Another writer holds the store's writer lock; trying again later may succeed."""


@contextlib.contextmanager
def writable(path: Path, what: str) -> Iterator[None]:
    """Turn an operating-system fault while writing ``path`` into a one-line ``StoreError``."""
    try:
        yield
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise StoreError(f"{path}: cannot write {what}: {reason}") from None


def sql_literal(value: object) -> str:
    """``value`` as a DuckDB string literal: the one way a path enters SQL."""
    return "'" + str(value).replace("'", "''") + "'"


def table_sql(table: str, path: Path) -> str:
    """A DuckDB relation over the stored file of ``table`` with every column of the contract,
    in its order: a column the file lacks (written before the contract had it, e.g.
    ``records.licence_type``) reads as missing values."""
    stored = set(pq.read_schema(path).names)
    columns = ", ".join(
        c.name if c.name in stored else f"CAST(NULL AS {SQL_TYPES[c.kind]}) AS {c.name}"
        for c in TABLES[table].columns)
    return f"(SELECT {columns} FROM read_parquet({sql_literal(path)}))"


class Store:
    """A versioned directory of table files; ``version`` pins one version to read from."""

    def __init__(self, root: Path, version: str | None = None) -> None:
        self.root = Path(root)
        self._pinned = version
        if version is not None and not (self.root / version / "manifest.json").exists():
            raise ValueError(f"{self.root}: no store version {version!r}")

    @property
    def version(self) -> str | None:
        """The pinned version, else the published one (None for an empty store)."""
        if self._pinned is not None:
            return self._pinned
        pointer = self.root / "CURRENT"
        return pointer.read_text().strip() if pointer.exists() else None

    def pinned(self) -> Store:
        """This store fixed at the version published now: every later read sees that version,
        whatever an ingest publishes meanwhile."""
        return Store(self.root, self.version)

    def table_path(self, table: str) -> Path | None:
        """The published file of ``table``, or None when it has no rows yet."""
        version = self.version
        if version is None:
            return None
        path = self.root / version / f"{table}.parquet"
        return path if path.exists() else None

    def sidecar_path(self, name: str) -> Path | None:
        """The published sidecar ``name`` (a path relative to the version, e.g.
        ``keys/records-….parquet``), or None when the published version has none."""
        version = self.version
        if version is None:
            return None
        path = self.root / version / name
        return path if path.exists() else None

    def manifest(self) -> dict[str, Any]:
        version = self.version
        if version is None:
            return {"version": None, "tables": {}, "ingests": []}
        return json.loads((self.root / version / "manifest.json").read_text())

    @contextlib.contextmanager
    def writing(self) -> Iterator[Path]:
        """Hold the writer lock and give a scratch directory inside the store.

        Inside, files and folders are created private to the owner; an operating-system fault
        (read-only store, ``root`` naming a file) is a ``StoreError``.
        """
        if self._pinned is not None:
            raise RuntimeError(f"{self.root}: a store pinned at {self._pinned} is read-only")
        previous = os.umask(PRIVATE_UMASK)
        try:
            with contextlib.ExitStack() as stack:
                with writable(self.root, "the store"):
                    if self.root.exists() and not self.root.is_dir():
                        raise NotADirectoryError(errno.ENOTDIR, "not a directory")
                    self.root.mkdir(parents=True, exist_ok=True)
                    self.root.chmod(0o700)
                    lock = stack.enter_context((self.root / ".lock").open("w"))
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise StoreBusy(f"{self.root}: another ingest is writing this store") from None
                scratch = self.root / ".scratch"
                shutil.rmtree(scratch, ignore_errors=True)
                with writable(self.root, "the store"):
                    scratch.mkdir()
                try:
                    yield scratch
                finally:
                    shutil.rmtree(scratch, ignore_errors=True)
        finally:
            os.umask(previous)

    def commit(self, new_files: dict[str, Path], manifest: dict[str, Any],
               sidecars: dict[str, Path] | None = None, kept: Iterable[str] = ()) -> str:
        """Publish a version made of ``new_files`` plus the unchanged tables of the current one
        (hard links, never copies), with the ``sidecars`` written now and the ``kept`` sidecars
        of the current version (names relative to the version directory).

        Must be called inside ``writing()``.
        """
        with writable(self.root, "the store"):
            return self._commit(new_files, manifest, sidecars or {}, kept)

    def _commit(self, new_files: dict[str, Path], manifest: dict[str, Any],
                sidecars: dict[str, Path], kept: Iterable[str]) -> str:
        number = int(self.version[1:]) + 1 if self.version else 1
        name = f"v{number:06d}"
        staging = self.root / f".{name}.tmp"
        # Leftovers of a writer that died before publishing: never visible to readers.
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(self.root / name, ignore_errors=True)
        staging.mkdir()
        for table in TABLES:
            if table in new_files:
                os.replace(new_files[table], staging / f"{table}.parquet")
            elif (old := self.table_path(table)) is not None:
                os.link(old, staging / f"{table}.parquet")
        for sidecar, path in sidecars.items():
            (staging / sidecar).parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, staging / sidecar)
        for sidecar in kept:
            if sidecar not in sidecars and (old := self.sidecar_path(sidecar)) is not None:
                (staging / sidecar).parent.mkdir(parents=True, exist_ok=True)
                os.link(old, staging / sidecar)
        manifest = {**manifest, "version": name}
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        _fsync_dir(staging)
        os.replace(staging, self.root / name)
        pointer = self.root / "CURRENT.tmp"
        pointer.write_text(name + "\n")
        os.replace(pointer, self.root / "CURRENT")
        _fsync_dir(self.root)
        self._prune(keep=name)
        return name

    def _prune(self, keep: str) -> None:
        versions = sorted(p for p in self.root.glob("v[0-9]*") if p.is_dir())
        stale = [p for p in versions if p.name != keep][: max(0, len(versions) - KEEP_VERSIONS)]
        for path in stale + list(self.root.glob(".v*.tmp")):
            shutil.rmtree(path, ignore_errors=True)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with one view per stored table (every column of the
        contract, as `table_sql`)."""
        connection = duckdb.connect()
        for table in TABLES:
            path = self.table_path(table)
            if path is not None:
                connection.execute(f"CREATE VIEW {table} AS SELECT * FROM "
                                   f"{table_sql(table, path)}")
        return connection

    def relation(self, table: str) -> str | None:
        """`table_sql` of the published file of ``table``, or None when it has no rows yet."""
        path = self.table_path(table)
        return None if path is None else table_sql(table, path)


def file_sha256(path: Path) -> str:
    """The file's sha256 (``hashlib.file_digest``: about 1.2 GB/s warm on this machine)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
