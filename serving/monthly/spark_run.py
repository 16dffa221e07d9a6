"""The monthly run's heavy stages on Spark: features, scoring, explanation, result files.

`score_on_spark` runs the same Ibis feature definitions as the in-process run
(`features.engineering.features_at`, compiled to Spark SQL over the store's Parquet tables),
joins each enterprise's context (`CONTEXT_COLUMNS`), and maps the one `BatchClassifier` over
the rows with ``mapInArrow``. It writes two Parquet datasets under the work directory:

    <work_dir>/<attempt>/features/             the features the run scored, sorted by uscc,
                                               with the context columns
    <work_dir>/<attempt>/results/period=DATE/  the result rows (`RESULT_SCHEMA`), partitioned by
                                               period as the results database is read

The driver then reads them back in order (`feature_slices`, `result_batches`) and loads them
through the results store's ordinary run machinery (`writing_run`, `write_feature_snapshot`,
`write_results`: PostgreSQL ``COPY``, SQLite bulk insert), so publication stays one
transaction and a failure leaves nothing published. On a cluster the work directory must be a
path that both the executors and the driver see (a shared filesystem).

Warnings, the month-over-month analysis and regional risk are *not* computed on Spark: the
driver computes them in-process from the summary columns of the result rows it loads
(`SUMMARY_COLUMNS`), exactly as the in-process run does, so both engines store the same rows by
construction. Measured on the shared 2-core machine at 17,440 enterprises (the 20,000-enterprise
synthetic province, December 2025): the summary columns are 1.04 MB in Arrow (60 bytes an
enterprise, held for this period and the previous one), and triggers, warnings, analysis and
region risk take 0.16–0.37 s together (9–21 µs an enterprise), against 305 s for the Spark
feature stage and 14 s for the Spark scoring stage of the same run. At a province (2.5 million
enterprises) that is ≈ 0.3 GB and under a minute on the driver: the right place. At 50 million
it would be ≈ 6 GB and 8–18 minutes of one core, worth moving onto Spark then (a group-by per
region and a join with the previous period); not done here.

Spark's arithmetic differs from DuckDB's in one place: ``exp`` is Java's ``StrictMath.exp``
(fdlibm) on Spark and the C library's on DuckDB; they disagree in the last bit for about one
argument in ten, so the 52 ``*_decayed`` features (sums of 2^(−age/12 months)) may differ by a
few units in the last place (relative ≤ 1e-15). Every other feature, and the scores, classes and
explanations computed from them, are identical; the input fingerprint (a hash of the exact
feature bytes) and the feature snapshot differ where a decayed feature does.

pyspark is imported lazily: nothing here needs Spark or Java until `open_session` runs.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from features.engineering import features_at
from features.engines import load_tables, spark_backend
from features.store import Store
from serving.monthly.batch import CONTEXT_COLUMNS, BatchClassifier
from serving.results.schema import RESULT_SCHEMA

LOCAL_MASTER = re.compile(r"local(\[(\*|\d+)(,\d+)?\])?")
"""``local``, ``local[N]``, ``local[*]``, ``local[N,F]``."""
REACHABLE_TIMEOUT = 5.0
"""Seconds to wait for a ``spark://`` master to accept a connection."""


class SparkUnavailable(ValueError):
    """Spark cannot run as asked: pyspark or Java missing, a malformed or unreachable master."""


@dataclass(frozen=True)
class SparkOptions:
    """Where and how the Spark stages run (defaults: `ecr_settings.Settings`)."""

    master: str = "local[*]"
    work_dir: Path = Path("data/spark")
    session: Any = None
    """An existing ``SparkSession`` to use instead of starting one on ``master`` (tests,
    notebooks); it is left running."""


@dataclass
class SparkOutputs:
    """The Parquet datasets one Spark pass wrote, and how long each stage took."""

    root: Path
    feature_schema: pa.Schema
    """The feature table's schema as the in-process engine produces it (the snapshot's)."""
    rows: int
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def features(self) -> Path:
        return self.root / "features"

    @property
    def results(self) -> Path:
        return self.root / "results"

    def remove(self) -> None:
        """Remove the run's files, and its period's folder once no other attempt is left."""
        shutil.rmtree(self.root, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.root.parent.rmdir()


def check_master(master: str) -> None:
    """Refuse a master that cannot work before starting a JVM: a malformed ``local[…]``, or a
    ``spark://host:port`` that accepts no connection within `REACHABLE_TIMEOUT` seconds."""
    if master.startswith("local"):
        if not LOCAL_MASTER.fullmatch(master):
            raise SparkUnavailable(f"--master: expected local, local[N], local[*] or "
                                   f"spark://HOST:PORT, found {master!r}")
        return
    if master.startswith("spark://"):
        for address in master.removeprefix("spark://").split(","):
            host, _, port = address.rpartition(":")
            if not host or not port.isdigit():
                raise SparkUnavailable(f"--master: expected spark://HOST:PORT, found "
                                       f"{master!r}")
            try:
                with socket.create_connection((host, int(port)), REACHABLE_TIMEOUT):
                    pass
            except OSError as error:
                raise SparkUnavailable(
                    f"--master: expected a reachable Spark master, found none at "
                    f"{host}:{port} ({master}): {error.strerror or error}") from None


@contextlib.contextmanager
def open_session(options: SparkOptions, batch_rows: int) -> Iterator[Any]:
    """``options.session``, or a session started on ``options.master`` and stopped on exit;
    either way with ``batch_rows`` rows per Arrow batch."""
    session = options.session
    started = False
    if session is None:
        check_master(options.master)
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise SparkUnavailable("--engine spark: expected pyspark, found it not installed "
                                   "(pip install 'enterprise-credit-risk[spark]')") from None
        if SparkSession.getActiveSession() is not None:
            session = SparkSession.getActiveSession()
            if session.sparkContext.master != options.master:
                raise SparkUnavailable(
                    f"--master: expected {options.master}, found a Spark session already "
                    f"running on {session.sparkContext.master} in this process")
        else:
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
            warehouse = Path(options.work_dir).resolve() / "warehouse"
            try:
                session = (
                    SparkSession.builder.master(options.master).appName("ecr-classify")
                    .config("spark.sql.session.timeZone", "UTC")
                    .config("spark.sql.warehouse.dir", str(warehouse))
                    .config("spark.ui.showConsoleProgress", "false")
                    .getOrCreate())
            except Exception as error:  # no JDK, a master that refuses the application
                lines = str(error).strip().splitlines()
                raise SparkUnavailable(
                    f"--master {options.master}: expected a Spark session, found an error "
                    f"starting one (Java 17+ on PATH or JAVA_HOME?): "
                    f"{lines[0] if lines else type(error).__name__}") from None
            session.sparkContext.setLogLevel("ERROR")
            started = True
    session.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(batch_rows))
    try:
        yield session
    finally:
        if started:
            session.stop()


@dataclass(frozen=True)
class _ClassifyRows:
    """What ``mapInArrow`` ships to the executors: cast Spark's column types to the in-process
    ones (Spark has no unsigned or boolean-as-int distinctions to keep), then classify."""

    classifier: BatchClassifier
    schema: pa.Schema
    """Features, then the context columns, as the in-process run hands them over."""

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            table = pa.Table.from_batches([batch]).select(self.schema.names).cast(self.schema)
            yield self.classifier.classify(table)


def score_on_spark(session: Any, store: Store, period: Any, classifier: BatchClassifier,
                   work_dir: Path) -> SparkOutputs:
    """Features at ``period`` on Spark, written sorted by uscc; then every row classified by
    ``classifier`` under ``mapInArrow`` and written partitioned by period (removed again
    if a stage fails)."""
    outputs = SparkOutputs(Path(work_dir).resolve() / f"period={period}" / uuid.uuid4().hex,
                           pa.schema([]), 0)
    outputs.root.mkdir(parents=True, exist_ok=True)
    try:
        _run_stages(session, store, period, classifier, outputs)
    except BaseException:
        outputs.remove()
        raise
    return outputs


def _run_stages(session: Any, store: Store, period: Any, classifier: BatchClassifier,
                outputs: SparkOutputs) -> None:
    from pyspark.sql.pandas.types import from_arrow_schema

    clock = time.perf_counter()
    backend = spark_backend(session)
    tables = load_tables(backend, store)
    enterprises_path = store.table_path("enterprises")
    context_schema = pq.read_schema(enterprises_path)
    context = session.read.parquet(str(enterprises_path)).select("uscc", *CONTEXT_COLUMNS)
    with features_at(tables, period) as expression:
        outputs.feature_schema = expression.schema().to_pyarrow()
        frame = session.sql(backend.compile(expression))
        (frame.join(context, "uscc", "left").orderBy("uscc")
         .write.mode("overwrite").parquet(str(outputs.features)))
    outputs.timings["spark features"] = time.perf_counter() - clock

    clock = time.perf_counter()
    schema = pa.schema([*outputs.feature_schema,
                        *(context_schema.field(name) for name in CONTEXT_COLUMNS)])
    scored = session.read.parquet(str(outputs.features))
    outputs.rows = scored.count()
    (scored.mapInArrow(_ClassifyRows(classifier, schema), from_arrow_schema(RESULT_SCHEMA))
     .write.mode("overwrite").partitionBy("period").parquet(str(outputs.results)))
    outputs.timings["spark score, rules, explain"] = time.perf_counter() - clock


def _parts(folder: Path) -> list[Path]:
    """The dataset's data files in name order (Spark numbers its tasks' files in order)."""
    return sorted(p for p in folder.rglob("*.parquet") if not p.name.startswith((".", "_")))


def feature_slices(outputs: SparkOutputs, rows: int) -> Iterator[pa.Table]:
    """The features the run scored, without the context columns, in the in-process schema,
    in order of uscc, as consecutive slices of exactly ``rows`` rows (the last one shorter):
    given the snapshot's transaction size, the stored chunks are those of the in-process run.
    """
    names = outputs.feature_schema.names
    pending: list[pa.Table] = []
    held = 0
    last = None
    for part in _parts(outputs.features):
        table = pq.read_table(part, columns=names).cast(outputs.feature_schema)
        if table.num_rows == 0:
            continue
        codes = table["uscc"]
        if last is not None and codes[0].as_py() <= last:
            raise ValueError(f"{outputs.features}: the feature files are not in order of uscc "
                             f"({part.name} starts at {codes[0].as_py()}, after {last})")
        last = codes[-1].as_py()
        pending.append(table)
        held += table.num_rows
        while held >= rows:
            joined = pa.concat_tables(pending)
            yield joined.slice(0, rows)
            rest = joined.slice(rows)
            pending, held = [rest], rest.num_rows
    if held:
        yield pa.concat_tables(pending)


def result_batches(outputs: SparkOutputs, batch_rows: int) -> Iterator[pa.Table]:
    """The result rows, ``batch_rows`` at a time, in `RESULT_SCHEMA` (the period back from its
    partition directory)."""
    dataset = ds.dataset(str(outputs.results), format="parquet",
                         partitioning=ds.partitioning(pa.schema([("period", pa.date32())]),
                                                      flavor="hive"))
    for batch in dataset.to_batches(columns=RESULT_SCHEMA.names, batch_size=batch_rows):
        if batch.num_rows:
            yield pa.Table.from_batches([batch]).cast(RESULT_SCHEMA)
