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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import polars as pl
import pyarrow.parquet as pq

from features.contract import TABLES, Table
from features.readers import InputError, Reader, Skipped, scan_directory
from features.store import Store, StoreError, file_sha256, sql_literal, table_sql, writable
from features.validation import validate

FORMULA_START = r"^[=+\-@\t\r]"
"""Cells a spreadsheet would evaluate; neutralised in the rejects file."""
REJECT_SCHEMA = {
    "file": pl.Utf8, "table": pl.Utf8, "row": pl.Int64,
    "field": pl.Utf8, "expected": pl.Utf8, "found": pl.Utf8,
}
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


@dataclass
class TableCounts:
    rows: int = 0
    rejected: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    stored: int = 0

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
) -> IngestReport:
    """Validate ``paths`` and publish their accepted rows as a new store version (see
    `Publish` for ``publish``; the report's counts are the same whether it published)."""
    if publish not in ("accepted", "all_or_nothing", "nothing"):
        raise ValueError(f"publish: expected accepted, all_or_nothing or nothing, found "
                         f"{publish!r}")
    files, skipped = resolve_inputs(paths)
    _check_rejects_path(rejects_path, files, store)
    plan = []
    for path in files:
        table = TABLES[table_of(path)]
        ignored = _check_columns(path, table, Reader(path).columns())
        plan.append(FileCounts(path, table.name, ignored_columns=ignored))

    tables = {name: TableCounts() for name in TABLES}
    reject_frames: list[pl.DataFrame] = []
    with store.writing() as scratch:
        for index, counts in enumerate(plan):
            reject_frames.extend(_stage_file(index, counts, scratch, today, batch_rows))
            tables[counts.table].rows += counts.rows
        key_rejects, new_files = _merge(store, scratch, plan, tables)
        reject_frames.extend(key_rejects)
        rejects = (
            pl.concat(reject_frames) if reject_frames else pl.DataFrame(schema=REJECT_SCHEMA)
        )
        _count_rejects(rejects, plan, tables)
        resulting = {name: new_files.get(name) or store.table_path(name) for name in TABLES}
        for name, counts in tables.items():
            counts.stored = _row_count(resulting[name]) if resulting[name] else 0
        orphans = _orphans(resulting)
        manifest = _manifest(store, plan, new_files)
        written = _write_rejects(rejects, rejects_path, store) if rejects.height else None
        withheld = publish == "nothing" or (publish == "all_or_nothing" and rejects.height > 0)
        published = bool(new_files) and not withheld
        version = store.commit(new_files, manifest) if published else store.version
    return IngestReport(plan, tables, version, published, written, orphans, skipped,
                        rejects.sort("file", "row", "field"))


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
        ).write_parquet(part_dir / f"part-{index:05d}-{number:05d}.parquet")
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


def _merge(
    store: Store, scratch: Path, plan: list[FileCounts], tables: dict[str, TableCounts]
) -> tuple[list[pl.DataFrame], dict[str, Path]]:
    """Deduplicate staged rows per table, reject rows that would change a stored key's
    identity, and write the tables that changed."""
    connection = duckdb.connect()
    connection.execute(
        f"SET temp_directory={sql_literal(scratch / 'duckdb')}; SET memory_limit='6GB'; "
        "SET preserve_insertion_order=false"
    )
    key_rejects: list[pl.DataFrame] = []
    new_files: dict[str, Path] = {}
    file_names = pl.DataFrame({"_file": range(len(plan)), "file": [str(p.path) for p in plan]},
                              schema={"_file": pl.Int32, "file": pl.Utf8})
    for name, table in TABLES.items():
        parts = sorted((scratch / name).glob("*.parquet")) if (scratch / name).exists() else []
        if not parts:
            continue
        columns = ", ".join(table.column_names)
        key = ", ".join(table.key)
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE ranked AS SELECT *, row_number() OVER w AS _rank, "
            f"first_value(_file) OVER w AS _first_file, first_value(_row) OVER w AS _first_row "
            f"FROM read_parquet([{', '.join(sql_literal(p) for p in parts)}]) "
            f"WINDOW w AS (PARTITION BY {key} ORDER BY _file, _row)"
        )
        dup = connection.execute(
            f"SELECT _file, _row, concat_ws(', ', {key}) AS key_value, _first_file, _first_row "
            "FROM ranked WHERE _rank > 1"
        ).pl()
        if dup.height:
            key_rejects.append(_duplicate_rejects(dup, file_names, table))
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE fresh AS SELECT {columns}, _file, _row "
            "FROM ranked WHERE _rank = 1"
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
                key_rejects.extend(_identity_conflicts(connection, file_names, table))
            same = " AND ".join(f"f.{c} IS NOT DISTINCT FROM e.{c}" for c in table.column_names)
            on = " AND ".join(f"f.{c} = e.{c}" for c in table.key)
            inserted, unchanged, total = connection.execute(
                f"SELECT count(*) FILTER (WHERE e.{table.key[0]} IS NULL), "
                f"count(*) FILTER (WHERE e.{table.key[0]} IS NOT NULL AND {same}), count(*) "
                f"FROM fresh f LEFT JOIN existing e ON {on}"
            ).fetchone()
            counts.inserted, counts.unchanged = inserted, unchanged
            counts.updated = total - inserted - unchanged
            union = (
                f"SELECT {columns} FROM existing ANTI JOIN fresh USING ({key}) "
                f"UNION ALL SELECT {columns} FROM fresh"
            )
        if counts.inserted or counts.updated:
            target = scratch / f"{name}.parquet"
            connection.execute(
                f"COPY ({union} ORDER BY {key}) TO {sql_literal(target)} "
                "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)"
            )
            new_files[name] = target
    connection.close()
    return key_rejects, new_files


def _identity_conflicts(
    connection: duckdb.DuckDBPyConnection, file_names: pl.DataFrame, table: Table
) -> list[pl.DataFrame]:
    """Reject (and drop from ``fresh``) the rows whose key is stored with other identity
    columns: one reject per differing column, naming the stored value."""
    on = " AND ".join(f"f.{c} = e.{c}" for c in table.key)
    key = ", ".join(table.key)
    differing = " UNION ALL ".join(
        f"SELECT f._file, f._row, concat_ws(', ', {', '.join(f'f.{k}' for k in table.key)}) "
        f"AS key_value, '{c}' AS field, CAST(e.{c} AS VARCHAR) AS stored, "
        f"CAST(f.{c} AS VARCHAR) AS found, {i} AS position "
        f"FROM fresh f JOIN existing e ON {on} WHERE f.{c} IS DISTINCT FROM e.{c}"
        for i, c in enumerate(table.identity)
    )
    conflicts = connection.execute(
        f"SELECT * FROM ({differing}) ORDER BY _file, _row, position"
    ).pl()
    if not conflicts.height:
        return []
    changed = " OR ".join(f"f.{c} IS DISTINCT FROM e.{c}" for c in table.identity)
    connection.execute(f"DELETE FROM fresh AS f USING existing AS e WHERE {on} AND ({changed})")
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
            pl.lit("a key not seen earlier in this ingest").alias("expected"),
            pl.format("{} (same key as {} row {})", "key_value", "first_file", "_first_row")
            .alias("found"),
        )
        .cast(REJECT_SCHEMA)
    )


def _count_rejects(rejects: pl.DataFrame, plan: list[FileCounts], tables: dict) -> None:
    per_file = dict(
        rejects.group_by("file").agg(pl.struct("row").n_unique()).iter_rows()
    ) if rejects.height else {}
    for counts in plan:
        counts.rejected = per_file.get(str(counts.path), 0)
        counts.accepted = counts.rows - counts.rejected
        tables[counts.table].rejected += counts.rejected
    for name, counts in tables.items():
        if counts.rows != counts.rejected + counts.accepted:
            raise AssertionError(
                f"{name}: {counts.rows} input rows but {counts.accepted} accepted + "
                f"{counts.rejected} rejected"
            )


def _manifest(store: Store, plan: list[FileCounts], new_files: dict[str, Path]) -> dict:
    previous = store.manifest()
    tables = dict(previous.get("tables", {}))
    for name, path in new_files.items():
        tables[name] = {"rows": _row_count(path), "sha256": file_sha256(path)}
    ingest_entry = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "files": [
            {"path": str(c.path), "sha256": file_sha256(c.path), "table": c.table,
             "rows": c.rows, "accepted": c.accepted, "rejected": c.rejected}
            for c in plan
        ],
    }
    return {"tables": tables, "ingests": [*previous.get("ingests", []), ingest_entry]}


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


def _orphans(files: dict[str, Path | None]) -> dict[str, int]:
    """Rows of the dependent tables whose enterprise is not (yet) in ``enterprises``."""
    if files["enterprises"] is None:
        return {}
    connection = duckdb.connect()
    counts = {}
    for name in ("records", "relations", "inspections"):
        if files[name] is not None:
            counts[name] = connection.execute(
                f"SELECT count(*) FROM read_parquet({sql_literal(files[name])}) t "
                f"ANTI JOIN read_parquet({sql_literal(files['enterprises'])}) e USING (uscc)"
            ).fetchone()[0]
    connection.close()
    return counts
