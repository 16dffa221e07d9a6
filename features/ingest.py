"""Ingest input files into the store: validate every row, reject with reasons, deduplicate.

Guarantees:
- every input row is either accepted or rejected, and the counts reconcile per file and table;
- a rejected row is written to the rejects file as (file, table, row, field, expected, found);
- a key seen twice in one ingest keeps its first row and rejects the later ones as duplicates;
- an accepted row whose key is already stored replaces the stored row (a later export of the
  same record, e.g. with its removal date set) or, when identical, changes nothing; a row that
  would change a stored key's identity columns (a record's enterprise, type or formation date)
  is rejected with the stored value, never applied;
- re-ingesting the same files publishes no new version; a file named twice (or through its
  directory) is read once;
- ``publish`` chooses what a run with rejects publishes: its accepted rows (the default, as
  ``ecr ingest`` does), nothing at all (``all_or_nothing``: a batch that must land whole) or,
  rejects or not, nothing (``nothing``: a dry run that validates and counts);
- a file that cannot be read at all stops the ingest with a one-line ``InputError`` before
  anything is published; so does a rejects file naming an input or a file of the store;
- everything that can fail (the rejects file included) is done before the store's pointer
  moves: an ingest that raises has published nothing;
- a rejects cell starting with ``= + - @``, tab or CR is prefixed with ``'`` so that no
  spreadsheet runs it as a formula (OWASP CSV injection).

Incremental ingest: a file whose content is *in force* is skipped, its rows not read. A file's
content (sha256) is in force for its table when a published ingest read it under the same
contract (`features.validation.contract_fingerprint`), the ingest that read it kept a key file
of its accepted rows (``keys/<table>-<sha256>.parquet`` in the store version), no later
ingest updated one of those keys, and, when one of its rejects depended on the day (a date
"not in the future"), the day is the same. Skipping then changes nothing that reading would:
- the stored tables are the same as ``full`` would leave them: a skipped file's keys take
  part in the deduplication in its place (a row read now with a key a skipped file has earlier
  is rejected as a duplicate, naming that file and row), and a skipped file is read after all
  when one of its keys comes after a row read now, or when a key of it that was a duplicate
  when it was read is first now (the file it lost to is gone or no longer has it), whether
  or not another file of its table is read (the manifest notes which sources lost a key);
- only tables with a file read now can change, and a table that does not change keeps its
  stored file (the new version links it, never rewrites it);
- counts: a skipped file reports the rows, accepted and rejected counts recorded when it was
  read, marked ``skipped``; table counts (rows, rejected, inserted, updated, unchanged) are of
  the rows read now and reconcile as before, a table's skipped files and their recorded rows
  are in ``skipped_files`` and ``skipped_rows``; ``stored`` counts every stored row. A skipped
  file's rejects are not listed again (they are in the rejects file of the ingest that read it);
- ``full`` reads and validates every file, as every ingest did before files were skipped.

A file's hash comes from a shortcut when its (size, mtime, ctime, inode, device) is exactly
the one recorded beside the hash and both times were more than `STAT_MARGIN_NS` older than the
moment the hash was taken (`trusted_hash`); any other file is hashed in full.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from features.contract import TABLES, Table
from features.readers import InputError, Reader, Skipped, scan_directory
from features.store import Store, StoreError, file_sha256, sql_literal, table_sql, writable
from features.validation import TODAY_DEPENDENT, contract_fingerprint, validate

FORMULA_START = r"^[=+\-@\t\r]"
"""Cells a spreadsheet would evaluate; neutralised in the rejects file."""
REJECT_SCHEMA = {
    "file": pl.Utf8, "table": pl.Utf8, "row": pl.Int64,
    "field": pl.Utf8, "expected": pl.Utf8, "found": pl.Utf8,
}
DUPLICATE_EXPECTED = "a key not seen earlier in this ingest"
"""What a row rejected as a duplicate of an earlier one expected (its reject's ``expected``)."""
STAT_MARGIN_NS = 1_000_000_000
"""How much older than its recorded hash a file's mtime and ctime must be for its stat to vouch
for the hash (`trusted_hash`): a write within the timestamp tick of the recorded stat could
leave the stat as recorded (the "racy git" problem), so such a file is hashed again."""
TABLE_ROW_GROUP = 250_000
"""Rows per row group of a stored table. DuckDB writes row groups in parallel: sorting and
writing 1.47 M records took 9.8 s with groups of 1,000,000 rows and 5.5 s with 250,000, for a
file 6 % larger."""
MERGE_MEMORY = "4GB"
"""DuckDB's buffer limit in the merge; it spills sorts and windows to the scratch folder
beyond it. With Python's share, the first ingest of the 1,000,000-enterprise province peaked
at 4.47 GiB (91 s) under 4GB, and at 6.26 GiB (106 s) under 6GB."""
SCRATCH_COMPRESSION = "lz4"
"""Staged parts are read once, by the merge: fast compression rather than small files."""
Publish = Literal["accepted", "all_or_nothing", "nothing"]
"""What an ingest publishes: its accepted rows; everything or nothing (nothing when any row is
rejected); nothing (a dry run)."""


@dataclass
class FileCounts:
    path: Path
    table: str
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    skipped: bool = False
    """Not read: its content is in force (rows, accepted and rejected as recorded then)."""
    recorded_in: str | None = None
    """The store version whose ingest read a skipped file."""
    note: str = ""
    """Why a file that could have been skipped was read."""
    sha256: str = ""
    stat: dict | None = field(default=None, repr=False)
    lost_keys: bool = field(default=False, repr=False)
    """A skipped file some of whose keys lost to an earlier file when it was read: they may
    be first now, so its table is ranked even when no file of it is read."""


@dataclass
class TableCounts:
    """Counts of the rows read now (a skipped file's rows are only in ``skipped_rows``)."""

    rows: int = 0
    rejected: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    stored: int = 0
    skipped_files: int = 0
    skipped_rows: int = 0

    @property
    def accepted(self) -> int:
        return self.inserted + self.updated + self.unchanged


@dataclass
class IngestReport:
    files: list[FileCounts]
    tables: dict[str, TableCounts]
    version: str | None
    published: bool
    rejects_path: Path | None
    orphans: dict[str, int]
    skipped: list[Skipped] = field(default_factory=list)
    """Directory entries not read, each with the reason."""
    rejects: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=REJECT_SCHEMA))
    """Every rejected row's problems (file, table, row, field, expected, found), as written
    to the rejects file but with no cell neutralised."""


def table_of(path: Path) -> str:
    """The table a file feeds, from its name: ``records.csv``, ``records-2024-01.parquet``."""
    stem = path.name.lower()
    for name in TABLES:
        if stem.startswith(name):
            return name
    raise InputError(
        f"{path}: cannot tell which table it feeds; its name must start with one of "
        f"{', '.join(TABLES)}"
    )


def resolve_inputs(paths: list[Path]) -> tuple[list[Path], list[Skipped]]:
    """Expand directories into their input files; every entry not read is named with why.
    A file named more than once (directly, through its directory or another spelling of its
    path) is kept once, where it first appears."""
    files: list[Path] = []
    skipped: list[Skipped] = []
    for path in paths:
        if path.is_dir():
            found, passed_over = scan_directory(path)
            if not found:
                raise InputError(f"{path}: no .csv, .jsonl or .parquet files in this directory"
                                 f" ({len(passed_over)} other entries)")
            files.extend(found)
            skipped.extend(passed_over)
        elif path.exists():
            files.append(path)
        else:
            raise InputError(f"{path}: no such file or directory")
    unique: dict[Path, Path] = {}
    for file in files:
        unique.setdefault(file.resolve(), file)
    return list(unique.values()), skipped


def _check_rejects_path(rejects_path: Path | None, files: list[Path], store: Store) -> None:
    """Refuse a rejects file that is an input, a directory or one of the store's own files
    (anywhere in the store but its ``rejects`` folder), before anything is read."""
    if rejects_path is None:
        return
    target = rejects_path.resolve()
    if target in {f.resolve() for f in files}:
        raise InputError(
            f"{rejects_path}: is an input of this ingest; name another file for the rejects"
        )
    root = store.root.resolve()
    if root in target.parents and root / "rejects" not in target.parents:
        raise InputError(
            f"{rejects_path}: is inside the store {store.root}; name a file outside it or "
            f"under {store.root / 'rejects'}"
        )
    if rejects_path.is_dir():
        raise StoreError(f"{rejects_path}: cannot write the rejects: is a directory")


def _check_columns(path: Path, table: Table, columns: list[str]) -> list[str]:
    missing = [c for c in table.required_columns if c not in columns]
    if missing:
        raise InputError(
            f"{path}: missing column(s) {', '.join(missing)} required by table {table.name} "
            f"(found: {', '.join(columns) or 'none'})"
        )
    return [c for c in columns if c not in table.column_names]


def ingest(
    paths: list[Path],
    store: Store,
    *,
    rejects_path: Path | None = None,
    today: dt.date | None = None,
    batch_rows: int = 1_000_000,
    publish: Publish = "accepted",
    full: bool = False,
) -> IngestReport:
    """Validate ``paths`` and publish their accepted rows as a new store version (see
    `Publish` for ``publish``; the report's counts are the same whether it published).

    A file whose content is in force in the store is skipped, unless ``full`` (re-read and
    re-validate every file, as every ingest did before files were skipped)."""
    if publish not in ("accepted", "all_or_nothing", "nothing"):
        raise ValueError(f"publish: expected accepted, all_or_nothing or nothing, found "
                         f"{publish!r}")
    files, skipped = resolve_inputs(paths)
    _check_rejects_path(rejects_path, files, store)
    today = today or dt.date.today()
    tables = {name: TableCounts() for name in TABLES}
    reject_frames: list[pl.DataFrame] = []
    with store.writing() as scratch:
        previous = store.manifest()
        plan = _plan(files, store, previous, today, full)

        def read(index: int, counts: FileCounts) -> None:
            counts.ignored_columns = _check_columns(
                counts.path, TABLES[counts.table], Reader(counts.path).columns())
            reject_frames.extend(_stage_file(index, counts, scratch, today, batch_rows))
            tables[counts.table].rows += counts.rows

        for index, counts in enumerate(plan):
            if counts.skipped:
                tables[counts.table].skipped_files += 1
                tables[counts.table].skipped_rows += counts.rows
            else:
                read(index, counts)
        merged = _merge(store, scratch, plan, tables, read)
        reject_frames.extend(merged.rejects)
        rejects = (
            pl.concat(reject_frames) if reject_frames else pl.DataFrame(schema=REJECT_SCHEMA)
        )
        _count_rejects(rejects, plan, tables)
        new_files = merged.new_files
        resulting = {name: new_files.get(name) or store.table_path(name) for name in TABLES}
        for name, counts in tables.items():
            counts.stored = _row_count(resulting[name]) if resulting[name] else 0
        orphans = _orphans(resulting, set(new_files), previous.get("orphans"))
        sources, kept = _sources(previous, plan, rejects, merged, today)
        manifest = _manifest(previous, plan, new_files, sources, orphans)
        written = _write_rejects(rejects, rejects_path, store) if rejects.height else None
        withheld = publish == "nothing" or (publish == "all_or_nothing" and rejects.height > 0)
        published = bool(new_files) and not withheld
        version = (store.commit(new_files, manifest, merged.key_files, kept) if published
                   else store.version)
    return IngestReport(plan, tables, version, published, written, orphans, skipped,
                        rejects.sort("file", "row", "field"))


def _plan(files: list[Path], store: Store, previous: dict, today: dt.date,
          full: bool) -> list[FileCounts]:
    """Hash every input (through the stat shortcut) and mark the files that are skipped: their
    content is in force for their table (`_in_force`), it is the first file of the ingest with
    that content, and ``full`` is off."""
    contract = contract_fingerprint()
    recorded = _recorded_stats(previous)
    in_force = {(table, s["sha256"]): s for table, listed in previous.get("sources", {}).items()
                for s in listed}
    plan: list[FileCounts] = []
    seen: set[tuple[str, str]] = set()
    for path in files:
        table = table_of(path)
        sha256, stat = _content_hash(path, recorded.get(str(path.resolve())))
        counts = FileCounts(path, table, sha256=sha256, stat=stat)
        source = in_force.get((table, sha256))
        if (not full and (table, sha256) not in seen
                and _in_force(source, store, contract, today)):
            counts.skipped, counts.recorded_in = True, source["version"]
            counts.rows, counts.accepted, counts.rejected = (
                source["rows"], source["accepted"], source["rejected"])
            counts.lost_keys = _lost_keys(source, store)
        seen.add((table, sha256))
        plan.append(counts)
    return plan


def _in_force(source: dict | None, store: Store, contract: str, today: dt.date) -> bool:
    """Whether a recorded source can stand for its file: read under the same contract, on the
    same day if one of its rejects depended on the day, and its key file still stored."""
    return (
        source is not None and source["contract"] == contract
        and (not source["dated_rejects"] or source["today"] == today.isoformat())
        and store.sidecar_path(source["keys"]) is not None
    )


def _lost_keys(source: dict, store: Store) -> bool:
    """Whether a recorded source lost a key to an earlier file of its ingest (recorded since
    the manifest says so; read from its key file for a source recorded before)."""
    if "lost_keys" in source:
        return bool(source["lost_keys"])
    keys = store.sidecar_path(source["keys"])
    connection = duckdb.connect()
    try:
        return bool(connection.execute(
            f"SELECT count(*) FROM read_parquet({sql_literal(keys)}) WHERE NOT _won"
        ).fetchone()[0])
    finally:
        connection.close()


def _recorded_stats(manifest: dict) -> dict[str, dict]:
    """The latest recorded (stat, hash) of every input path, by its resolved path."""
    recorded: dict[str, dict] = {}
    for entry in reversed(manifest.get("ingests", [])):
        for f in entry["files"]:
            if f.get("stat"):
                recorded.setdefault(f["stat"]["realpath"], f)
    return recorded


def _stat_of(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev]


def trusted_hash(recorded: dict | None, stat: os.stat_result) -> str | None:
    """The recorded sha256 of a file, when its stat vouches for it: (size, mtime, ctime, inode,
    device) exactly as recorded, and mtime and ctime older than the moment the hash was taken by
    more than `STAT_MARGIN_NS`; otherwise None (hash the file).

    ctime cannot be set by a user: any write, and any ``touch``/``os.utime`` that restores the
    mtime after a write, moves it to the present. The margin covers a write within the same
    timestamp tick as the recorded stat ("racy git")."""
    if recorded is None or recorded["stat"]["stat"] != _stat_of(stat):
        return None
    hashed = recorded["stat"]["hashed_ns"]
    if max(stat.st_mtime_ns, stat.st_ctime_ns) >= hashed - STAT_MARGIN_NS:
        return None
    return recorded["sha256"]


def _content_hash(path: Path, recorded: dict | None) -> tuple[str, dict | None]:
    """The file's sha256 (from the stat shortcut when `trusted_hash` allows) and the stat to
    record beside it (None when the file changed while it was hashed)."""
    before = path.stat()
    if (known := trusted_hash(recorded, before)) is not None:
        return known, recorded["stat"]
    hashed_ns = time.time_ns()
    sha256 = file_sha256(path)
    if _stat_of(path.stat()) != _stat_of(before):
        return sha256, None
    return sha256, {"realpath": str(path.resolve()), "stat": _stat_of(before),
                    "hashed_ns": hashed_ns}


def _stage_file(
    index: int, counts: FileCounts, scratch: Path, today: dt.date | None, batch_rows: int
) -> list[pl.DataFrame]:
    """Validate one file batch by batch; accepted rows go to scratch Parquet parts."""
    table = TABLES[counts.table]
    reader = Reader(counts.path, batch_rows=batch_rows)
    rejects: list[pl.DataFrame] = []
    part_dir = scratch / table.name
    part_dir.mkdir(exist_ok=True)
    for number, batch in enumerate(reader.batches()):
        present = [c for c in table.column_names if c in batch.frame.columns]
        checked = validate(table, batch.frame.select(present), today=today)
        counts.rows += batch.frame.height
        if checked.rejects.height:
            rejects.append(
                checked.rejects.with_columns(
                    row=pl.Series(batch.rows)[checked.rejects.get_column("row")]
                ).select(
                    pl.lit(str(counts.path)).alias("file"), pl.lit(table.name).alias("table"),
                    "row", "field", "expected", "found",
                )
            )
        accepted_rows = pl.Series("_row", batch.rows).filter(
            ~pl.int_range(batch.frame.height, eager=True).is_in(
                checked.rejects.get_column("row").unique().implode()
            )
        )
        checked.accepted.with_columns(
            pl.lit(index, pl.Int32).alias("_file"), accepted_rows.cast(pl.Int64)
        ).write_parquet(part_dir / f"part-{index:05d}-{number:05d}.parquet",
                        compression=SCRATCH_COMPRESSION)
    counts.rows += len(reader.malformed)
    if reader.malformed:
        rejects.append(
            pl.DataFrame(
                {
                    "file": str(counts.path),
                    "table": table.name,
                    "row": [m.row for m in reader.malformed],
                    "field": "(whole row)",
                    "expected": [m.expected for m in reader.malformed],
                    "found": [m.found for m in reader.malformed],
                },
                schema=REJECT_SCHEMA,
            )
        )
    return rejects


@dataclass
class Merged:
    rejects: list[pl.DataFrame] = field(default_factory=list)
    new_files: dict[str, Path] = field(default_factory=dict)
    """Rewritten table files, by table."""
    key_files: dict[str, Path] = field(default_factory=dict)
    """Key files of the files read, by their name in the version (``keys/…``)."""
    stale: set[tuple[str, str]] = field(default_factory=set)
    """(table, sha256) of sources in force before that this ingest takes out of force."""


def _merge(
    store: Store, scratch: Path, plan: list[FileCounts], tables: dict[str, TableCounts],
    read: Callable[[int, FileCounts], None],
) -> Merged:
    """Deduplicate staged rows per table, reject rows that would change a stored key's
    identity, and write the tables that changed.

    The keys of a table's skipped files (their key files) take part in the deduplication in
    their place, so that a key of a file read now that a skipped file has earlier in the ingest
    is rejected as a duplicate, as if the skipped file had been read. A skipped file is read
    after all (``read``) when its rows would not stand as stored: one of its keys comes after
    a row read now, or a key that was not first in its own ingest is first now."""
    connection = duckdb.connect()
    connection.execute(
        f"SET temp_directory={sql_literal(scratch / 'duckdb')}; "
        f"SET memory_limit='{MERGE_MEMORY}'; SET preserve_insertion_order=false"
    )
    merged = Merged()
    file_names = pl.DataFrame({"_file": range(len(plan)), "file": [str(p.path) for p in plan]},
                              schema={"_file": pl.Int32, "file": pl.Utf8})
    for name, table in TABLES.items():
        if not any(c.table == name and (not c.skipped or c.lost_keys) for c in plan):
            continue  # nothing read, and no skipped file lost a key: the stored table stands
        key = ", ".join(table.key)
        while _rank(connection, store, scratch, plan, table):
            again = [index for (index,) in connection.execute(
                "SELECT _file FROM contested WHERE _skipped AND _rank > 1 AND NOT _first_skipped "
                "UNION SELECT k._file FROM keyed k LEFT JOIN contested c USING (_file, _row) "
                "WHERE k._skipped AND NOT k._won AND coalesce(c._rank, 1) = 1 "
                "ORDER BY _file").fetchall()]
            if not again:
                break
            for index in again:
                counts = plan[index]
                tables[name].skipped_files -= 1
                tables[name].skipped_rows -= counts.rows
                counts.skipped, counts.recorded_in = False, None
                counts.rows = counts.accepted = counts.rejected = 0
                counts.note = "read again: its keys meet a file read now"
                read(index, counts)
        if not any(c.table == name and not c.skipped for c in plan):
            continue  # still nothing read: the stored table stands
        if not list((scratch / name).glob("*.parquet")):  # read, but no row accepted
            _write_key_files(connection, scratch, plan, table, merged, ranked=False)
            continue
        dup = connection.execute(
            f"SELECT _file, _row, concat_ws(', ', {key}) AS key_value, _first_file, _first_row "
            "FROM contested WHERE _rank > 1 AND NOT _skipped"
        ).pl()
        if dup.height:
            merged.rejects.append(_duplicate_rejects(dup, file_names, table))
        _write_key_files(connection, scratch, plan, table, merged)
        columns = ", ".join(table.column_names)
        connection.execute(
            "CREATE OR REPLACE TEMP TABLE dropped AS SELECT _file, _row FROM contested "
            "WHERE _rank > 1 AND NOT _skipped"
        )
        connection.execute(
            f"CREATE OR REPLACE TEMP VIEW fresh AS SELECT {columns}, _file, _row "
            "FROM staged ANTI JOIN dropped USING (_file, _row)"
        )
        counts = tables[name]
        existing = store.table_path(name)
        if existing is None:
            counts.inserted = connection.execute("SELECT count(*) FROM fresh").fetchone()[0]
            union = f"SELECT {columns} FROM fresh"
        else:
            connection.execute(
                f"CREATE OR REPLACE TEMP VIEW existing AS "
                f"SELECT {columns} FROM {table_sql(name, existing)}"
            )
            if table.identity:
                merged.rejects.extend(_identity_conflicts(connection, file_names, table))
            same = " AND ".join(f"f.{c} IS NOT DISTINCT FROM e.{c}" for c in table.column_names)
            on = " AND ".join(f"f.{c} = e.{c}" for c in table.key)
            inserted, unchanged, total = connection.execute(
                f"SELECT count(*) FILTER (WHERE e.{table.key[0]} IS NULL), "
                f"count(*) FILTER (WHERE e.{table.key[0]} IS NOT NULL AND {same}), count(*) "
                f"FROM fresh f LEFT JOIN existing e ON {on}"
            ).fetchone()
            counts.inserted, counts.unchanged = inserted, unchanged
            counts.updated = total - inserted - unchanged
            if counts.updated:
                merged.stale |= _stale_sources(connection, store, plan, table, on, same)
            union = (
                f"SELECT {columns} FROM existing ANTI JOIN fresh USING ({key}) "
                f"UNION ALL SELECT {columns} FROM fresh"
            )
        if counts.inserted or counts.updated:
            target = scratch / f"{name}.parquet"
            connection.execute(
                f"COPY ({union} ORDER BY {key}) TO {sql_literal(target)} "
                f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {TABLE_ROW_GROUP})"
            )
            merged.new_files[name] = target
    connection.close()
    return merged


def _rank(connection: duckdb.DuckDBPyConnection, store: Store, scratch: Path,
          plan: list[FileCounts], table: Table) -> bool:
    """Views ``staged`` (the staged rows of ``table``) and ``keyed`` (their keys and the keys of
    the table's skipped files), and ``contested``: the keyed rows of every key seen more than
    once, each with its rank among them in the order of the ingest (file, then row). False,
    and nothing made, when there is no key (no row staged, no file skipped).

    Only keys are grouped and only contested keys ranked: ranking every whole row (a window
    over all columns) cost more than the rest of the merge."""
    parts = sorted((scratch / table.name).glob("*.parquet"))
    key = ", ".join(table.key)
    sources = []
    if parts:
        connection.execute(
            f"CREATE OR REPLACE TEMP VIEW staged AS "
            f"SELECT * FROM read_parquet([{', '.join(sql_literal(p) for p in parts)}])")
        sources.append(f"SELECT {key}, _file, _row, false AS _skipped, true AS _won FROM staged")
    for index, counts in enumerate(plan):
        if counts.table == table.name and counts.skipped:
            keys = store.sidecar_path(_key_file(table.name, counts.sha256))
            sources.append(f"SELECT {key}, CAST({index} AS INTEGER) AS _file, _row, "
                           f"true AS _skipped, _won FROM read_parquet({sql_literal(keys)})")
    if not sources:
        return False
    connection.execute(f"CREATE OR REPLACE TEMP VIEW keyed AS {' UNION ALL '.join(sources)}")
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE contested AS SELECT *, row_number() OVER w AS _rank, "
        f"first_value(_file) OVER w AS _first_file, first_value(_row) OVER w AS _first_row, "
        f"first_value(_skipped) OVER w AS _first_skipped "
        f"FROM keyed SEMI JOIN (SELECT {key} FROM keyed GROUP BY ALL HAVING count(*) > 1) "
        f"USING ({key}) WINDOW w AS (PARTITION BY {key} ORDER BY _file, _row)"
    )
    return True


def _write_key_files(connection: duckdb.DuckDBPyConnection, scratch: Path,
                     plan: list[FileCounts], table: Table, merged: Merged,
                     ranked: bool = True) -> None:
    """One key file per file read now (the first of each content): the key and row number of
    each accepted row, and whether it was the first of its key in this ingest (``_won``)."""
    first: dict[str, int] = {}
    for index, counts in enumerate(plan):
        if counts.table == table.name:
            first.setdefault(counts.sha256, index)
    wanted = [i for i in first.values() if not plan[i].skipped]
    if not wanted:
        return
    folder = scratch / "key-parts" / table.name
    folder.parent.mkdir(exist_ok=True)
    if ranked:
        connection.execute(
            f"COPY (SELECT {', '.join('k.' + c for c in table.key)}, _row, "
            f"c._rank IS NULL OR c._rank = 1 AS _won, _file "
            f"FROM keyed k LEFT JOIN contested c USING (_file, _row) "
            f"WHERE NOT k._skipped AND _file IN ({', '.join(map(str, wanted))})) "
            f"TO {sql_literal(folder)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (_file), "
            "OVERWRITE_OR_IGNORE)"
        )
    for index in wanted:
        name = _key_file(table.name, plan[index].sha256)
        written = sorted((folder / f"_file={index}").glob("*.parquet"))
        target = scratch / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if len(written) == 1:
            written[0].replace(target)
        elif written:
            connection.execute(
                f"COPY (SELECT * FROM read_parquet([{', '.join(map(sql_literal, written))}])) "
                f"TO {sql_literal(target)} (FORMAT parquet, COMPRESSION zstd)")
        else:  # no accepted row: an empty key file
            schema = table.arrow_schema()
            pq.write_table(pa.schema([*(schema.field(k) for k in table.key),
                                      pa.field("_row", pa.int64()),
                                      pa.field("_won", pa.bool_())]).empty_table(), target)
        merged.key_files[name] = target


def _key_file(table: str, sha256: str) -> str:
    return f"keys/{table}-{sha256}.parquet"


def _stale_sources(connection: duckdb.DuckDBPyConnection, store: Store, plan: list[FileCounts],
                   table: Table, on: str, same: str) -> set[tuple[str, str]]:
    """The sources in force of ``table`` not in this ingest that have a key this ingest
    updates: their rows no longer stand as stored, so they will be read the next time."""
    in_plan = {c.sha256 for c in plan if c.table == table.name}
    sources = [s for s in store.manifest().get("sources", {}).get(table.name, [])
               if s["sha256"] not in in_plan and store.sidecar_path(s["keys"]) is not None]
    if not sources:
        return set()
    key = ", ".join(table.key)
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE updated AS SELECT {', '.join(f'f.{k}' for k in table.key)} "
        f"FROM fresh f JOIN existing e ON {on} WHERE NOT ({same})"
    )
    stale = set()
    for source in sources:
        hit = connection.execute(
            f"SELECT count(*) FROM (SELECT {key} FROM "
            f"read_parquet({sql_literal(store.sidecar_path(source['keys']))}) "
            f"SEMI JOIN updated USING ({key}))").fetchone()[0]
        if hit:
            stale.add((table.name, source["sha256"]))
    return stale


def _identity_conflicts(
    connection: duckdb.DuckDBPyConnection, file_names: pl.DataFrame, table: Table
) -> list[pl.DataFrame]:
    """Reject (and drop from ``fresh``, through ``dropped``) the rows whose key is stored with
    other identity columns: one reject per differing column, naming the stored value."""
    on = " AND ".join(f"f.{c} = e.{c}" for c in table.key)
    key = ", ".join(table.key)
    differing = " UNION ALL ".join(
        f"SELECT f._file, f._row, concat_ws(', ', {', '.join(f'f.{k}' for k in table.key)}) "
        f"AS key_value, '{c}' AS field, CAST(e.{c} AS VARCHAR) AS stored, "
        f"CAST(f.{c} AS VARCHAR) AS found, {i} AS position "
        f"FROM fresh f JOIN existing e ON {on} WHERE f.{c} IS DISTINCT FROM e.{c}"
        for i, c in enumerate(table.identity)
    )
    connection.execute(f"CREATE OR REPLACE TEMP TABLE conflicts AS SELECT * FROM ({differing})")
    conflicts = connection.execute("SELECT * FROM conflicts ORDER BY _file, _row, position").pl()
    if not conflicts.height:
        return []
    connection.execute("INSERT INTO dropped SELECT DISTINCT _file, _row FROM conflicts")
    return [
        conflicts.join(file_names, on="_file").select(
            "file", pl.lit(table.name).alias("table"), pl.col("_row").alias("row"), "field",
            pl.format("{} (as stored under {} {}, which keeps its {})", "stored", pl.lit(key),
                      "key_value", pl.lit(", ".join(table.identity))).alias("expected"),
            "found",
        ).cast(REJECT_SCHEMA)
    ]


def _duplicate_rejects(dup: pl.DataFrame, file_names: pl.DataFrame, table: Table) -> pl.DataFrame:
    first = file_names.rename({"_file": "_first_file", "file": "first_file"})
    return (
        dup.join(file_names, on="_file").join(first, on="_first_file")
        .select(
            "file", pl.lit(table.name).alias("table"), pl.col("_row").alias("row"),
            pl.lit(", ".join(table.key)).alias("field"),
            pl.lit(DUPLICATE_EXPECTED).alias("expected"),
            pl.format("{} (same key as {} row {})", "key_value", "first_file", "_first_row")
            .alias("found"),
        )
        .cast(REJECT_SCHEMA)
    )


def _count_rejects(rejects: pl.DataFrame, plan: list[FileCounts], tables: dict) -> None:
    """Per-file and per-table reject counts of the files read; a skipped file keeps the counts
    recorded when it was read."""
    per_file = dict(
        rejects.group_by("file").agg(pl.struct("row").n_unique()).iter_rows()
    ) if rejects.height else {}
    for counts in plan:
        if counts.skipped:
            continue
        counts.rejected = per_file.get(str(counts.path), 0)
        counts.accepted = counts.rows - counts.rejected
        tables[counts.table].rejected += counts.rejected
    for name, counts in tables.items():
        if counts.rows != counts.rejected + counts.accepted:
            raise AssertionError(
                f"{name}: {counts.rows} input rows but {counts.accepted} accepted + "
                f"{counts.rejected} rejected"
            )


def _sources(previous: dict, plan: list[FileCounts], rejects: pl.DataFrame, merged: Merged,
             today: dt.date) -> tuple[dict[str, list[dict]], list[str]]:
    """The sources in force once this ingest is published, by table, and the key files to
    keep from the current version.

    In force: every file read now (the first of each content), every skipped file, and every
    source of before that is not read again, was recorded under this contract and has no key
    this ingest updates."""
    contract = contract_fingerprint()
    dated = _files_with(rejects, pl.col("expected").str.contains(TODAY_DEPENDENT, literal=True))
    lost = _files_with(rejects, pl.col("expected") == DUPLICATE_EXPECTED)
    read_now: dict[str, dict[str, dict]] = {}
    for counts in plan:
        if counts.skipped or counts.sha256 in read_now.setdefault(counts.table, {}):
            continue
        read_now[counts.table][counts.sha256] = {
            "sha256": counts.sha256, "path": str(counts.path), "contract": contract,
            "keys": _key_file(counts.table, counts.sha256), "version": None,
            "rows": counts.rows, "accepted": counts.accepted, "rejected": counts.rejected,
            "dated_rejects": str(counts.path) in dated, "today": today.isoformat(),
            "lost_keys": str(counts.path) in lost,
        }
    sources: dict[str, list[dict]] = {}
    kept: list[str] = []
    checked = {(c.table, c.sha256): c.lost_keys for c in plan if c.skipped}
    for table in TABLES:
        fresh = read_now.get(table, {})
        old = [s for s in previous.get("sources", {}).get(table, [])
               if s["contract"] == contract and s["sha256"] not in fresh
               and (table, s["sha256"]) not in merged.stale]
        old = [s if "lost_keys" in s or (table, s["sha256"]) not in checked  # noted once known
               else {**s, "lost_keys": checked[table, s["sha256"]]} for s in old]
        kept.extend(s["keys"] for s in old)
        if old or fresh:
            sources[table] = [*old, *fresh.values()]
    return sources, kept


def _files_with(rejects: pl.DataFrame, condition: pl.Expr) -> set[str]:
    """The files with a reject meeting ``condition``."""
    if not rejects.height:
        return set()
    return set(rejects.filter(condition).get_column("file").unique().to_list())


def _manifest(previous: dict, plan: list[FileCounts], new_files: dict[str, Path],
              sources: dict[str, list[dict]], orphans: dict[str, int]) -> dict:
    """The next version's manifest: tables, sources in force (new ones get the version at
    commit), orphans and every ingest so far."""
    tables = dict(previous.get("tables", {}))
    for name, path in new_files.items():
        tables[name] = {"rows": _row_count(path), "sha256": file_sha256(path)}
    number = int(previous["version"][1:]) + 1 if previous.get("version") else 1
    version = f"v{number:06d}"
    for listed in sources.values():
        for source in listed:
            source["version"] = source["version"] or version
    ingest_entry = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "files": [
            {"path": str(c.path), "sha256": c.sha256, "table": c.table, "rows": c.rows,
             "accepted": c.accepted, "rejected": c.rejected, "skipped": c.skipped,
             "stat": c.stat}
            for c in plan
        ],
    }
    return {"tables": tables, "sources": sources, "orphans": orphans,
            "ingests": [*previous.get("ingests", []), ingest_entry]}


def _row_count(path: Path) -> int:
    return pq.ParquetFile(path).metadata.num_rows


def _write_rejects(rejects: pl.DataFrame, path: Path | None, store: Store) -> Path:
    """Write the rejects CSV (formula-like cells neutralised); a ``StoreError`` names the
    file when it cannot be written."""
    if path is None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        path = store.root / "rejects" / f"rejects-{stamp}.csv"
    partial = path.with_name(path.name + ".partial")
    with writable(path, "the rejects"):
        path.parent.mkdir(parents=True, exist_ok=True)
        neutralise_formulas(rejects.sort("file", "row", "field")).write_csv(partial)
        partial.replace(path)
    return path


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix ``'`` to every text cell a spreadsheet would evaluate (=, +, -, @, tab, CR)."""
    text = [name for name, dtype in frame.schema.items() if dtype == pl.Utf8]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA_START))
        .then(pl.lit("'") + pl.col(name)).otherwise(pl.col(name)).alias(name)
        for name in text
    )


def _orphans(files: dict[str, Path | None], changed: set[str],
             recorded: dict[str, int] | None) -> dict[str, int]:
    """Rows of the dependent tables whose enterprise is not (yet) in ``enterprises``; the
    recorded count stands for a table when neither it nor ``enterprises`` changed."""
    if files["enterprises"] is None:
        return {}
    counts = {}
    connection = duckdb.connect()
    for name in ("records", "relations", "inspections"):
        if files[name] is None:
            continue
        if recorded and name in recorded and not {name, "enterprises"} & changed:
            counts[name] = recorded[name]
            continue
        counts[name] = connection.execute(
            f"SELECT count(*) FROM read_parquet({sql_literal(files[name])}) t "
            f"ANTI JOIN read_parquet({sql_literal(files['enterprises'])}) e USING (uscc)"
        ).fetchone()[0]
    connection.close()
    return counts
