"""The results store: SQLite by default, PostgreSQL by URL; migrated by Alembic on open.

Writing a period: `begin_run` registers a run as ``writing``; `write_results` appends its rows
in batches (each batch its own transaction, so a huge province never holds one giant
transaction); `publish` flips the period's publication to the run and marks the previous run
superseded, in one transaction. Readers go through `publications`, so they see the whole old
period or the whole new one. A run killed at any point leaves the published state untouched;
`discard_unpublished` (called when the next run begins) removes its rows.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from serving.results.rows import (
    HistoryEntry,
    PeriodAnalysis,
    RegionalRisk,
    ResultRow,
    RunInfo,
    StoredWarning,
)
from serving.results.schema import (
    period_analysis,
    publications,
    regional_risk,
    results,
    runs,
    warnings,
)

MIGRATIONS = Path(__file__).with_name("migrations")


class ResultsStore:
    """The results database at ``url`` (``Settings.database_url`` by default in the faces)."""

    def __init__(self, url: str) -> None:
        self.url = url
        if self.url.startswith("sqlite:///"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = sa.create_engine(self.url)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)

    def migrate(self) -> ResultsStore:
        """Bring the schema to the latest Alembic revision."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        return self

    # ------------------------------------------------------------------ runs

    def begin_run(self, period: dt.date, kind: str, model_uri: str, model_version: str,
                  rules_version: str, profile: str, data_fingerprint: str,
                  store_version: str) -> str:
        self.discard_unpublished(period)
        run_id = str(uuid.uuid4())
        with self.engine.begin() as connection:
            connection.execute(runs.insert().values(
                run_id=run_id, period=period, kind=kind, status="writing",
                model_uri=model_uri, model_version=model_version,
                rules_version=rules_version, profile=profile,
                data_fingerprint=data_fingerprint, store_version=store_version, rows=0,
                started_at=_now()))
        return run_id

    def discard_unpublished(self, period: dt.date) -> int:
        """Remove runs of ``period`` left ``writing`` by a run that died; their row count."""
        with self.engine.begin() as connection:
            stale = [r.run_id for r in connection.execute(
                sa.select(runs.c.run_id).where(runs.c.period == period,
                                               runs.c.status == "writing"))]
            removed = 0
            for table in (results, warnings, period_analysis, regional_risk):
                outcome = connection.execute(table.delete().where(table.c.run_id.in_(stale)))
                removed += outcome.rowcount if table is results else 0
            connection.execute(runs.delete().where(runs.c.run_id.in_(stale)))
        return removed

    def write_results(self, run_id: str, batch: pa.Table | pa.RecordBatch) -> int:
        """Append one batch of result rows (columns named as in the ``results`` table)."""
        table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
        columns = [c.name for c in results.columns if c.name != "run_id"]
        table = table.select(columns)
        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                _copy_postgres(connection, "results", ["run_id", *columns], run_id, table)
            else:
                rows = zip(*(table[c].to_pylist() for c in columns), strict=True)
                placeholders = ", ".join("?" * (len(columns) + 1))
                connection.exec_driver_sql(
                    f"INSERT INTO results (run_id, {', '.join(columns)}) "
                    f"VALUES ({placeholders})",
                    [(run_id, *row) for row in rows])
            connection.execute(runs.update().where(runs.c.run_id == run_id).values(
                rows=runs.c.rows + table.num_rows))
        return table.num_rows

    def write_warnings(self, run_id: str, rows: Iterable[StoredWarning]) -> int:
        return self._write_rows(warnings, run_id, (
            {**asdict(w), "triggers": ";".join(w.triggers)} for w in rows))

    def write_analysis(self, run_id: str, period: dt.date, previous_period: dt.date | None,
                       analysis: PeriodAnalysis) -> None:
        self._write_rows(period_analysis, run_id, [{
            "period": period, "previous_period": previous_period,
            "analysis": analysis.to_json()}])

    def write_regional(self, run_id: str, rows: Iterable[RegionalRisk]) -> int:
        return self._write_rows(regional_risk, run_id, (asdict(r) for r in rows))

    def _write_rows(self, table: sa.Table, run_id: str, rows: Iterable[Mapping[str, Any]]
                    ) -> int:
        """Rows of a small per-run table (warnings, analysis, regional risk)."""
        values = [{**row, "run_id": run_id} for row in rows]
        if values:
            with self.engine.begin() as connection:
                connection.execute(table.insert(), values)
        return len(values)

    def publish(self, run_id: str) -> RunInfo:
        """Make ``run_id`` the period's published run, atomically."""
        with self.engine.begin() as connection:
            run = connection.execute(sa.select(runs).where(runs.c.run_id == run_id)).one()
            previous = connection.execute(sa.select(publications.c.run_id).where(
                publications.c.period == run.period)).scalar_one_or_none()
            if previous is None:
                connection.execute(publications.insert().values(
                    period=run.period, run_id=run_id, published_at=_now()))
            else:
                connection.execute(publications.update().where(
                    publications.c.period == run.period).values(run_id=run_id,
                                                                 published_at=_now()))
                connection.execute(runs.update().where(runs.c.run_id == previous).values(
                    status="superseded"))
            connection.execute(runs.update().where(runs.c.run_id == run_id).values(
                status="published", finished_at=_now()))
        return self.run(run_id)

    def finish(self, run_id: str, status: str = "recorded") -> None:
        """Close a run that is not a period's publication (a rescore)."""
        with self.engine.begin() as connection:
            connection.execute(runs.update().where(runs.c.run_id == run_id).values(
                status=status, finished_at=_now()))

    def set_mlflow_run(self, run_id: str, mlflow_run_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(runs.update().where(runs.c.run_id == run_id).values(
                mlflow_run_id=mlflow_run_id))

    # ------------------------------------------------------------------ reading

    def run(self, run_id: str) -> RunInfo:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(runs).where(runs.c.run_id == run_id)).one()
        return _run_info(row)

    def published_run(self, period: dt.date) -> RunInfo | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(runs).join(publications, publications.c.run_id == runs.c.run_id)
                .where(publications.c.period == period)).one_or_none()
        return _run_info(row) if row else None

    def previous_published(self, period: dt.date) -> RunInfo | None:
        """The latest published period before ``period``."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(runs).join(publications, publications.c.run_id == runs.c.run_id)
                .where(publications.c.period < period)
                .order_by(publications.c.period.desc()).limit(1)).one_or_none()
        return _run_info(row) if row else None

    def periods(self) -> list[dt.date]:
        with self.engine.connect() as connection:
            return [r.period for r in connection.execute(
                sa.select(publications.c.period).order_by(publications.c.period))]

    def results_of(self, run_id: str, columns: tuple[str, ...] | None = None) -> pa.Table:
        """A run's result rows as Arrow, by uscc."""
        selected = [results.c[c] for c in columns] if columns else [results]
        query = sa.select(*selected).where(results.c.run_id == run_id).order_by(results.c.uscc)
        with self.engine.connect() as connection:
            cursor = connection.execute(query)
            names = list(cursor.keys())
            rows = cursor.fetchall()
        return pa.table({n: [r[i] for r in rows] for i, n in enumerate(names)}
                        if rows else {n: pa.array([], pa.null()) for n in names})

    def published_results(self, period: dt.date,
                          columns: tuple[str, ...] | None = None) -> pa.Table:
        run = self.published_run(period)
        if run is None:
            raise LookupError(f"no classification is published for {period}")
        return self.results_of(run.run_id, columns)

    def history(self, uscc: str) -> list[HistoryEntry]:
        """An enterprise's published results, oldest period first, with each run's versions."""
        query = (sa.select(results, runs.c.profile, runs.c.data_fingerprint)
                 .join(runs, runs.c.run_id == results.c.run_id)
                 .join(publications, publications.c.run_id == results.c.run_id)
                 .where(results.c.uscc == uscc).order_by(results.c.period))
        with self.engine.connect() as connection:
            return [HistoryEntry(ResultRow.from_mapping(r._mapping), r.profile,
                                 r.data_fingerprint) for r in connection.execute(query)]

    def warnings_of(self, run_id: str, limit: int | None = None) -> list[StoredWarning]:
        """A run's warnings, most severe first (then by uscc)."""
        query = (sa.select(warnings).where(warnings.c.run_id == run_id)
                 .order_by(warnings.c.severity.desc(), warnings.c.uscc).limit(limit))
        with self.engine.connect() as connection:
            return [StoredWarning.from_mapping(r._mapping) for r in connection.execute(query)]

    def top_warnings(self, period: dt.date, limit: int) -> list[StoredWarning]:
        """The published period's warnings, most severe first (none for an unpublished one)."""
        run = self.published_run(period)
        return [] if run is None else self.warnings_of(run.run_id, limit)

    def analysis_of(self, run_id: str) -> PeriodAnalysis | None:
        with self.engine.connect() as connection:
            stored = connection.execute(sa.select(period_analysis.c.analysis).where(
                period_analysis.c.run_id == run_id)).scalar_one_or_none()
        return None if stored is None else PeriodAnalysis.model_validate(stored)

    def regional_of(self, run_id: str) -> list[RegionalRisk]:
        """A run's prefecture × industry cells, in key order."""
        columns = [c for c in regional_risk.columns if c.name != "run_id"]
        query = (sa.select(*columns).where(regional_risk.c.run_id == run_id)
                 .order_by(regional_risk.c.prefecture, regional_risk.c.industry_section))
        with self.engine.connect() as connection:
            return [RegionalRisk(**r._mapping) for r in connection.execute(query)]


def _run_info(row: Any) -> RunInfo:
    return RunInfo(row.run_id, row.period, row.kind, row.status, row.model_uri,
                   row.model_version, row.rules_version, row.profile, row.data_fingerprint,
                   row.store_version, row.rows)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _copy_postgres(connection: sa.Connection, table: str, columns: list[str], run_id: str,
                   data: pa.Table) -> None:
    """COPY the batch in as CSV: PostgreSQL's bulk path, ~10× an INSERT per row."""
    buffer = io.BytesIO()
    with_run = data.add_column(0, "run_id", pa.array([run_id] * data.num_rows, pa.string()))
    pcsv.write_csv(with_run, buffer, pcsv.WriteOptions(include_header=False))
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())
