"""The features of every enterprise at a store version's data end, computed once and kept
beside the version as an Arrow file that readers memory-map.

The question a service is asked most is an enterprise's features now (the sampling module
scoring by code, with no date). Computing them for one enterprise costs a DuckDB run of every
definition (~100 ms, mostly fixed overhead); computing them for the whole province in one
batch costs seconds per 100,000 enterprises, once per store version. After that, the
features now are a lookup. The batch is `compute_features`, the same definitions, so the rows
equal those of the few-enterprise path (tested).

Several processes (the service's workers) share one file: the first to start builds it
under a lock and publishes it by an atomic rename; the others wait on the lock and open what
it wrote. The file lives in the version's ``derived/`` folder, so it goes when the store
prunes the version. Memory-mapped, its pages are shared by every process that reads it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from features.engines import compute_features
from features.store import Store

FOLDER = "derived"


def materialised_path(store: Store, as_of: dt.date) -> Path:
    """Where the features of ``store``'s pinned version at ``as_of`` are kept."""
    if store.version is None:
        raise ValueError(f"{store.root}: the store has no published version")
    return store.root / store.version / FOLDER / f"features-{as_of.isoformat()}.arrow"


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(mode=0o700, exist_ok=True)
    descriptor = os.open(path.with_suffix(".lock"), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)


def materialise(store: Store, as_of: dt.date, schema: pa.Schema) -> Path:
    """The file of ``store``'s features at ``as_of`` in ``schema``, sorted by code; built
    unless another process built it already."""
    store = store.pinned()
    path = materialised_path(store, as_of)
    with _locked(path):
        if path.exists():
            return path
        table = compute_features(store, as_of)
        table = table.take(pc.sort_indices(table["uscc"])).cast(schema)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        with pa.OSFile(str(partial), "wb") as sink, ipc.new_file(sink, schema) as writer:
            writer.write_table(table, max_chunksize=65_536)
        os.chmod(partial, 0o600)
        os.replace(partial, path)
    return path


class MaterialisedFeatures:
    """The rows of a materialised file, found by code."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.table = ipc.open_file(pa.memory_map(str(path))).read_all()
        self._codes = np.array([code.encode() for code in self.table["uscc"].to_pylist()])
        # Rows are taken batch by batch: a take across the table's chunks would first
        # concatenate every column (gigabytes at a million enterprises).
        self._batches = self.table.to_batches()
        self._starts = np.cumsum([0, *(len(b) for b in self._batches)])

    def rows(self, wanted: list[str]) -> pa.Table:
        """The rows of those of ``wanted`` it holds, sorted by code (each once)."""
        if not wanted or not len(self._codes):
            return self.table.slice(0, 0)
        values = np.array(sorted({code.encode() for code in wanted}))
        found = np.minimum(np.searchsorted(self._codes, values), len(self._codes) - 1)
        # Compared with the untruncated values: searchsorted casts to the codes' width.
        index = found[self._codes[found] == values]
        batch_of = np.searchsorted(self._starts, index, side="right") - 1
        taken = [self._batches[b].take(pa.array(index[batch_of == b] - self._starts[b]))
                 for b in np.unique(batch_of)]
        return pa.Table.from_batches(taken, schema=self.table.schema).combine_chunks()
