"""The results store: SQLite by default, PostgreSQL by URL; migrated by Alembic on open.

Writing a period: `begin_run` registers a run as ``writing``; `write_results` appends its rows
in batches (each batch its own transaction, so a huge province never holds one giant
transaction); `publish` flips the period's publication to the run and marks the previous run
superseded, in one transaction. Readers go through `publications`, so they see the whole old
period or the whole new one. A run killed at any point leaves the published state untouched;
`discard_unpublished` (called when the next run begins) removes its rows.

One writer per period: `begin_run` takes the period's lease (``period_leases``) or refuses
with `PeriodBusy` while a live run holds it. A holder is live while its process runs (same
host) or, on another host, while it renewed the lease (every batch) within `LEASE_EXPIRES`;
only runs without a live lease are discarded. `publish`, `finish` and `abandon` release it;
`writing_run` abandons its run on any failure, so no failure leaves a run ``writing``.

Every fault of the database itself (unreachable, read-only, locked, missing driver) is a
`ResultsStoreError` naming the URL with its password masked.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import socket
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pcsv
import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from serving.results import partitions
from serving.results.export import csv_chunks, export_query
from serving.results.feature_snapshots import by_code, chunks, row_of
from serving.results.rows import (
    Disposition,
    HistoryEntry,
    PeriodAnalysis,
    RegionRisk,
    ResultRow,
    RunInfo,
    StoredWarning,
)
from serving.results.schema import (
    feature_snapshots,
    leases,
    period_analysis,
    publications,
    region_risk,
    results,
    runs,
    warning_dispositions,
    warnings,
)

MIGRATIONS = Path(__file__).with_name("migrations")
LEASE_EXPIRES = dt.timedelta(minutes=15)
SNAPSHOT_ROWS_PER_TRANSACTION = 50_000
"""Feature rows kept per transaction of `ResultsStore.write_feature_snapshot`."""
"""How long a period's lease held from another host stays live without renewal."""


class ResultsStoreError(RuntimeError):
    """The results database cannot be used; the message names its (masked) URL."""


class PeriodBusy(ValueError):
    """Another live run is writing the period."""


def masked_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, fit to show in a message."""
    try:
        parsed = sa.engine.make_url(url)
        return url if parsed.password is None else parsed.render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return url if "@" not in url else url.split("://", 1)[0] + "://***@" + url.rsplit(
            "@", 1)[1]


class ResultsStore:
    """The results database at ``url`` (``Settings.database_url`` by default in the faces)."""

    def __init__(self, url: str, pool_size: int | None = None) -> None:
        """``pool_size``: connections kept open (SQLAlchemy's default of 5 when None); a
        service sizes it to its threads, since each connection opened beyond it is closed
        again when returned."""
        self.url = url
        self.shown = masked_url(url)
        try:
            parsed = sa.engine.make_url(url)
            if parsed.get_backend_name() == "sqlite":
                _prepare_sqlite_file(parsed.database)
            self.engine = sa.create_engine(parsed)
            if pool_size is not None and isinstance(self.engine.pool, sa.pool.QueuePool):
                # (an in-memory SQLite database has one connection per thread, no queue)
                self.engine = sa.create_engine(parsed, pool_size=pool_size, max_overflow=10)
        except (sa.exc.ArgumentError, ImportError, OSError) as error:
            raise ResultsStoreError(f"results store {self.shown}: cannot open it: "
                                    f"{_first_line(error)}") from None
        self._periods: dict[str, dt.date] = {}
        sa.event.listen(self.engine, "handle_error", self._fault)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)

    def _fault(self, context: sa.engine.ExceptionContext) -> None:
        """Turn a fault of the database (not a constraint or a statement) into one line."""
        error = context.sqlalchemy_exception
        denied = (isinstance(error, sa.exc.ProgrammingError)
                  and getattr(context.original_exception, "sqlstate", None) == "42501")
        if denied or isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError
                                | sa.exc.InternalError):
            raise ResultsStoreError(f"results store {self.shown}: "
                                    f"{_first_line(context.original_exception)}") from None

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
        """Take the period's lease (or raise `PeriodBusy`), discard the runs of writers that
        died, and register a new ``writing`` run."""
        run_id = str(uuid.uuid4())
        self._take_lease(period, run_id)
        try:
            self.discard_unpublished(period)
            with self.engine.begin() as connection:
                partitions.ensure(connection, period)
                connection.execute(runs.insert().values(
                    run_id=run_id, period=period, kind=kind, status="writing",
                    model_uri=model_uri, model_version=model_version,
                    rules_version=rules_version, profile=profile,
                    data_fingerprint=data_fingerprint, store_version=store_version, rows=0,
                    started_at=_now()))
        except BaseException:
            with self.engine.begin() as connection:
                connection.execute(leases.delete().where(leases.c.run_id == run_id))
            raise
        return run_id

    @contextlib.contextmanager
    def writing_run(self, period: dt.date, kind: str, model_uri: str, model_version: str,
                    rules_version: str, profile: str, data_fingerprint: str,
                    store_version: str) -> Iterator[str]:
        """`begin_run`, and `abandon` the run if the block fails before publishing it."""
        run_id = self.begin_run(period, kind, model_uri, model_version, rules_version,
                                profile, data_fingerprint, store_version)
        try:
            yield run_id
        except BaseException as error:
            try:
                self.abandon(run_id)
            except Exception as cleanup:  # the lease dies with this process; say so
                error.add_note(f"run {run_id} could not be removed: {cleanup}")
            raise

    def abandon(self, run_id: str) -> None:
        """Remove a run that is still ``writing`` (and its rows), and release its lease."""
        with self.engine.begin() as connection:
            if connection.execute(sa.select(runs.c.status).where(
                    runs.c.run_id == run_id)).scalar_one_or_none() == "writing":
                _delete_runs(connection, [run_id])
            connection.execute(leases.delete().where(leases.c.run_id == run_id))

    def _take_lease(self, period: dt.date, run_id: str) -> None:
        """Insert the period's lease; a lease held by a writer that died is taken over."""
        for _ in range(3):
            now = _now()
            try:
                with self.engine.begin() as connection:
                    connection.execute(leases.insert().values(
                        period=period, run_id=run_id, host=socket.gethostname(),
                        pid=os.getpid(), acquired_at=now, renewed_at=now))
                return
            except sa.exc.IntegrityError:
                pass
            with self.engine.begin() as connection:
                held = connection.execute(sa.select(leases).where(
                    leases.c.period == period)).one_or_none()
                if held is not None and _alive(held):
                    raise PeriodBusy(
                        f"{period} is being written by run {held.run_id} (pid {held.pid} on "
                        f"{held.host}, since {_utc(held.acquired_at):%Y-%m-%d %H:%M:%S} UTC); "
                        "try again when it has finished")
                if held is not None:
                    connection.execute(leases.delete().where(
                        leases.c.period == period, leases.c.run_id == held.run_id))
        raise PeriodBusy(f"{period}: could not take the period's lease; another run keeps "
                         "taking it")

    def discard_unpublished(self, period: dt.date) -> int:
        """Remove runs of ``period`` left ``writing`` by a writer that died (none holds the
        period's live lease); their row count."""
        with self.engine.begin() as connection:
            held = connection.execute(sa.select(leases).where(
                leases.c.period == period)).one_or_none()
            live = held.run_id if held is not None and _alive(held) else None
            stale = [r.run_id for r in connection.execute(
                sa.select(runs.c.run_id).where(runs.c.period == period,
                                               runs.c.status == "writing",
                                               runs.c.run_id != live if live else sa.true()))]
            return _delete_runs(connection, stale)

    def _renew(self, connection: sa.Connection, run_id: str) -> None:
        """Renew the run's lease; a run whose lease was taken over must stop."""
        renewed = connection.execute(leases.update().where(leases.c.run_id == run_id)
                                     .values(renewed_at=_now()))
        if renewed.rowcount == 0:
            raise PeriodBusy(f"run {run_id} no longer holds its period's lease (taken over "
                             "as abandoned); its rows are not kept")

    def write_results(self, run_id: str, batch: pa.Table | pa.RecordBatch) -> int:
        """Append one batch of result rows (columns named as in the ``results`` table)."""
        table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
        columns = [c.name for c in results.columns if c.name != "run_id"]
        table = table.select(columns)
        with self.engine.begin() as connection:
            self._renew(connection, run_id)
            if table.num_rows == 0:
                return 0
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

    def write_feature_snapshot(self, run_id: str, features: pa.Table) -> int:
        """Keep the feature rows the run scores (one per enterprise; `feature_snapshots`), in
        transactions of a few thousand rows; the rows kept."""
        ordered = by_code(features)
        kept, period = 0, self.period_of(run_id)
        for start in range(0, ordered.num_rows, SNAPSHOT_ROWS_PER_TRANSACTION):
            part = ordered.slice(start, SNAPSHOT_ROWS_PER_TRANSACTION)
            values = [{"run_id": run_id, "period": period, **asdict(chunk)}
                      for chunk in chunks(part)]
            with self.engine.begin() as connection:
                self._renew(connection, run_id)
                connection.execute(feature_snapshots.insert(), values)
            kept += part.num_rows
        return kept

    def feature_row(self, run_id: str, uscc: str) -> pa.Table | None:
        """The feature row the run scored for ``uscc``; None when the run kept no snapshot
        (written before migration 0008) or did not score the enterprise."""
        query = (sa.select(feature_snapshots.c.last_uscc, feature_snapshots.c.features)
                 .where(feature_snapshots.c.run_id == run_id,
                        feature_snapshots.c.period == self.period_of(run_id),
                        feature_snapshots.c.first_uscc <= uscc)
                 .order_by(feature_snapshots.c.first_uscc.desc()).limit(1))
        with self.engine.connect() as connection:
            found = connection.execute(query).one_or_none()
        if found is None or found.last_uscc < uscc:
            return None
        row = row_of(bytes(found.features), uscc)
        return row if row.num_rows else None

    def write_warnings(self, run_id: str, rows: Iterable[StoredWarning]) -> int:
        return self._write_rows(warnings, run_id, (
            {**asdict(w), "triggers": ";".join(w.triggers)} for w in rows))

    def write_analysis(self, run_id: str, period: dt.date, previous_period: dt.date | None,
                       analysis: PeriodAnalysis) -> None:
        self._write_rows(period_analysis, run_id, [{
            "period": period, "previous_period": previous_period,
            "analysis": analysis.to_json()}])

    def write_region_risk(self, run_id: str, rows: Iterable[RegionRisk]) -> int:
        return self._write_rows(region_risk, run_id, (asdict(r) for r in rows))

    def _write_rows(self, table: sa.Table, run_id: str, rows: Iterable[Mapping[str, Any]]
                    ) -> int:
        """Rows of a small per-run table (warnings, analysis, region risk)."""
        values = [{**row, "run_id": run_id} for row in rows]
        if values:
            with self.engine.begin() as connection:
                connection.execute(table.insert(), values)
        return len(values)

    def publish(self, run_id: str) -> RunInfo:
        """Make ``run_id`` the period's published run and release its lease, atomically."""
        with self.engine.begin() as connection:
            self._renew(connection, run_id)
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
            connection.execute(leases.delete().where(leases.c.run_id == run_id))
        return self.run(run_id)

    def finish(self, run_id: str, status: str = "recorded") -> None:
        """Close a run that is not a period's publication (a rescore); release its lease."""
        with self.engine.begin() as connection:
            self._renew(connection, run_id)
            connection.execute(runs.update().where(runs.c.run_id == run_id).values(
                status=status, finished_at=_now()))
            connection.execute(leases.delete().where(leases.c.run_id == run_id))

    def set_mlflow_run(self, run_id: str, mlflow_run_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(runs.update().where(runs.c.run_id == run_id).values(
                mlflow_run_id=mlflow_run_id))

    # ------------------------------------------------------------------ reading

    def period_of(self, run_id: str) -> dt.date:
        """The run's period (remembered: a run's period never changes). Every read of a run's
        rows names it, so PostgreSQL reads only the period's partition."""
        period = self._periods.get(run_id)
        if period is None:
            with self.engine.connect() as connection:
                period = connection.execute(sa.select(runs.c.period).where(
                    runs.c.run_id == run_id)).scalar_one_or_none()
            if period is None:
                raise LookupError(f"no classification run {run_id}")
            if len(self._periods) > 10_000:
                self._periods.clear()
            self._periods[run_id] = period
        return period

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
        query = sa.select(*selected).where(results.c.run_id == run_id,
                                           results.c.period == self.period_of(run_id)
                                           ).order_by(results.c.uscc)
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
        with self.engine.connect() as connection:
            return [HistoryEntry(ResultRow.from_mapping(r._mapping), r.profile,
                                 r.data_fingerprint, r.run_id)
                    for r in connection.execute(HISTORY_QUERY, {"uscc": uscc})]

    def warnings_of(self, run_id: str, limit: int | None = None) -> list[StoredWarning]:
        """A run's warnings, most severe first (then by uscc)."""
        query = (sa.select(warnings).where(warnings.c.run_id == run_id)
                 .order_by(warnings.c.severity.desc(), warnings.c.uscc).limit(limit))
        with self.engine.connect() as connection:
            return [StoredWarning.from_mapping(r._mapping) for r in connection.execute(query)]

    def analysis_of(self, run_id: str) -> PeriodAnalysis | None:
        with self.engine.connect() as connection:
            stored = connection.execute(sa.select(period_analysis.c.analysis).where(
                period_analysis.c.run_id == run_id)).scalar_one_or_none()
        return None if stored is None else PeriodAnalysis.model_validate(stored)

    def region_risk_of(self, run_id: str, level: str = "prefecture") -> list[RegionRisk]:
        """A run's region × industry cells at ``level`` (prefecture or county), in key
        order."""
        columns = [c for c in region_risk.columns if c.name != "run_id"]
        query = (sa.select(*columns)
                 .where(region_risk.c.run_id == run_id, region_risk.c.level == level)
                 .order_by(region_risk.c.region, region_risk.c.industry_section))
        with self.engine.connect() as connection:
            return [RegionRisk(**r._mapping) for r in connection.execute(query)]

    def result_page(self, run_id: str, after: str | None, limit: int,
                    selection: ResultSelection | None = None) -> list[ResultRow]:
        """Up to ``limit`` of a run's results with uscc after ``after``, by uscc: one range
        scan of the primary key (run_id, uscc, period), or of (run_id, risk_level, uscc)
        for one class, the selection checked on the way."""
        return [ResultRow.from_mapping(r) for r in self.result_rows(run_id, after, limit,
                                                                    selection)]

    def result_rows(self, run_id: str, after: str | None, limit: int,
                    selection: ResultSelection | None = None) -> list[sa.RowMapping]:
        """`result_page` as raw rows (columns as in the ``results`` table)."""
        with self.engine.connect() as connection:
            return list(connection.execute(
                page_query(run_id, after, limit, selection, self.period_of(run_id))
            ).mappings())

    def count_results(self, run_id: str, selection: ResultSelection | None = None) -> int:
        """How many of a run's results the selection holds."""
        query = sa.select(sa.func.count()).select_from(results).where(
            results.c.run_id == run_id, results.c.period == self.period_of(run_id),
            *(selection or ResultSelection()).conditions())
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def csv_chunks(self, run_id: str, selection: ResultSelection | None = None
                   ) -> Iterator[bytes]:
        """The run's results in ``selection`` as CSV chunks (`serving.results.export`)."""
        return csv_chunks(self.engine, run_id, self._export_conditions(run_id, selection))

    def export_query(self, run_id: str, selection: ResultSelection | None = None
                     ) -> sa.Select[Any]:
        """The query `csv_chunks` streams (its plan is in docs/results-database.md)."""
        return export_query(run_id, self._export_conditions(run_id, selection),
                            self.engine.dialect.name)

    def _export_conditions(self, run_id: str, selection: ResultSelection | None
                           ) -> list[sa.ColumnElement[bool]]:
        return [results.c.period == self.period_of(run_id),
                *(selection or ResultSelection()).conditions()]

    def published_result(self, uscc: str, period: dt.date) -> HistoryEntry | None:
        """The enterprise's result in the period's publication, with the run's versions."""
        published = sa.select(publications.c.run_id).where(
            publications.c.period == period).scalar_subquery()
        query = (sa.select(results, runs.c.profile, runs.c.data_fingerprint)
                 .join(runs, runs.c.run_id == results.c.run_id)
                 .where(results.c.run_id == published, results.c.uscc == uscc,
                        results.c.period == period))  # one primary-key lookup
        with self.engine.connect() as connection:
            row = connection.execute(query).one_or_none()
        return None if row is None else HistoryEntry(ResultRow.from_mapping(row._mapping),
                                                     row.profile, row.data_fingerprint,
                                                     row.run_id)

    def latest_levels(self, usccs: Iterable[str]) -> dict[str, str]:
        """Each enterprise's risk level in its latest published period (absent: none)."""
        codes = sorted(set(usccs))
        if not codes:
            return {}
        query = (sa.select(results.c.uscc, results.c.period, results.c.risk_level)
                 .join(publications, publications.c.run_id == results.c.run_id)
                 .where(results.c.uscc.in_(codes)).order_by(results.c.period))
        with self.engine.connect() as connection:
            return {r.uscc: r.risk_level for r in connection.execute(query)}

    def scoped_warnings(self, run_id: str, selection: ResultSelection | None = None,
                        severity: int | None = None, limit: int | None = None,
                        uscc: str | None = None) -> list[StoredWarning]:
        """A run's warnings of the results in ``selection``, most severe first (then by
        uscc); only ``uscc``'s when given."""
        query = (sa.select(warnings)
                 .join(results, sa.and_(results.c.run_id == warnings.c.run_id,
                                        results.c.uscc == warnings.c.uscc))
                 .where(warnings.c.run_id == run_id,
                        results.c.period == self.period_of(run_id),
                        *(selection or ResultSelection()).conditions()))
        if severity is not None:
            query = query.where(warnings.c.severity == severity)
        if uscc is not None:
            query = query.where(warnings.c.uscc == uscc)
        query = query.order_by(warnings.c.severity.desc(), warnings.c.uscc).limit(limit)
        with self.engine.connect() as connection:
            return [StoredWarning.from_mapping(r._mapping) for r in connection.execute(query)]

    def record_disposition(self, run_id: str, period: dt.date, uscc: str, status: str,
                           action_taken: str | None, department: str | None,
                           note: str | None, key_id: str | None,
                           recorded_at: dt.datetime) -> Disposition:
        """Append one disposition of the warning of ``uscc`` in ``run_id``."""
        values = {"period": period, "uscc": uscc, "run_id": run_id, "status": status,
                  "action_taken": action_taken, "department": department, "note": note,
                  "key_id": key_id, "recorded_at": recorded_at}
        with self.engine.begin() as connection:
            inserted = connection.execute(warning_dispositions.insert().values(**values))
        return Disposition(disposition_id=inserted.inserted_primary_key[0], **values)

    def dispositions(self, period: dt.date, uscc: str) -> list[Disposition]:
        """Every disposition of the enterprise's warning in the period, oldest first."""
        query = (sa.select(warning_dispositions)
                 .where(warning_dispositions.c.period == period,
                        warning_dispositions.c.uscc == uscc)
                 .order_by(warning_dispositions.c.disposition_id))
        with self.engine.connect() as connection:
            return [Disposition.from_mapping(r) for r in connection.execute(query).mappings()]

    def latest_dispositions(self, period: dt.date) -> dict[str, Disposition]:
        """The latest disposition of each warning of the period that has one, by uscc."""
        latest = (sa.select(sa.func.max(warning_dispositions.c.disposition_id))
                  .where(warning_dispositions.c.period == period)
                  .group_by(warning_dispositions.c.uscc).scalar_subquery())
        query = sa.select(warning_dispositions).where(
            warning_dispositions.c.disposition_id.in_(latest))
        with self.engine.connect() as connection:
            found = (Disposition.from_mapping(r) for r in connection.execute(query).mappings())
            return {d.uscc: d for d in found}


@dataclass(frozen=True)
class ResultSelection:
    """Which of a run's results to read; every field None selects them all.

    ``region`` is a prefix of the enterprise's division code (``coalesce(county,
    prefecture)``); ``domain`` one of its professional-supervision domains."""

    risk_level: str | None = None
    region: str | None = None
    industry_section: str | None = None
    industry_division: str | None = None
    domain: str | None = None

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        found: list[sa.ColumnElement[bool]] = []
        if self.risk_level is not None:
            found.append(results.c.risk_level == self.risk_level)
        if self.region is not None:
            code = sa.func.coalesce(results.c.county, results.c.prefecture)
            found.append(sa.func.substr(code, 1, len(self.region)) == self.region)
        if self.industry_section is not None:
            found.append(results.c.industry_section == self.industry_section)
        if self.industry_division is not None:
            found.append(results.c.industry_division == self.industry_division)
        if self.domain is not None:
            tags = sa.literal(";").concat(results.c.domain_tags).concat(";")
            escaped = self.domain.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            found.append(tags.like(f"%;{escaped};%", escape="\\"))
        return found


HISTORY_QUERY = (sa.select(results, runs.c.profile, runs.c.data_fingerprint)
                 .join(runs, runs.c.run_id == results.c.run_id)
                 .join(publications, publications.c.run_id == results.c.run_id)
                 .where(results.c.uscc == sa.bindparam("uscc")).order_by(results.c.period))
"""`ResultsStore.history`'s query, built once (the service runs it on every enterprise read;
building it cost a tenth of the request)."""


def page_query(run_id: str, after: str | None, limit: int,
               selection: ResultSelection | None = None,
               period: dt.date | None = None) -> sa.Select[Any]:
    """The query of `ResultsStore.result_page` (shown by ``bench/service_reads.py``); the
    run's ``period``, when given, confines it to the period's partition on PostgreSQL."""
    query = sa.select(results).where(results.c.run_id == run_id,
                                     *(selection or ResultSelection()).conditions())
    if period is not None:
        query = query.where(results.c.period == period)
    if after is not None:
        query = query.where(results.c.uscc > after)
    return query.order_by(results.c.uscc).limit(limit)


def _delete_runs(connection: sa.Connection, run_ids: list[str]) -> int:
    """Delete runs and every row under them; the number of result rows removed."""
    removed = 0
    periods = sorted(set(connection.execute(sa.select(runs.c.period).where(
        runs.c.run_id.in_(run_ids))).scalars()))
    for table in (results, warnings, period_analysis, region_risk, feature_snapshots):
        outcome = connection.execute(table.delete().where(table.c.run_id.in_(run_ids),
                                                          table.c.period.in_(periods)))
        removed += outcome.rowcount if table is results else 0
    connection.execute(runs.delete().where(runs.c.run_id.in_(run_ids)))
    return removed


def _alive(lease: Any) -> bool:
    """Whether the writer holding ``lease`` is still running."""
    if lease.host == socket.gethostname():
        try:
            os.kill(lease.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return _now() - _utc(lease.renewed_at) < LEASE_EXPIRES


def _utc(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _prepare_sqlite_file(database: str | None) -> None:
    """Create a SQLite results file owner-only (0600; SQLite gives its -wal and -shm the
    file's mode) in folders created owner-only (0700). A ``file:`` URI is left as given."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


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
