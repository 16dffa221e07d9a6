"""The feature rows a run scored, as chunks a database can keep and return by key.

A run's feature table is cut, in order of code, into chunks of `CHUNK_ROWS` consecutive
enterprises; each chunk is one Arrow IPC stream (zstd-compressed buffers, its own schema) with
the first and last code it holds. One enterprise's row is then one primary-key lookup (the
chunk whose first code is the greatest not above the code) and one chunk decoded: about as
cheap as reading its result, and the values are exactly those that produced it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

CHUNK_ROWS = 1024
"""Enterprises per chunk: ~330 bytes an enterprise at 356 features, a few ms to decode."""
_OPTIONS = ipc.IpcWriteOptions(compression="zstd")


@dataclass(frozen=True)
class Chunk:
    first_uscc: str
    last_uscc: str
    rows: int
    features: bytes


def by_code(table: pa.Table, key: str = "uscc") -> pa.Table:
    """``table`` ordered by ``key`` (returned as is when it already is); `ValueError` when a
    code is missing or repeated, since a chunk's range must name each row once."""
    codes = table[key]
    if codes.null_count:
        raise ValueError(f"feature snapshot: {codes.null_count} rows without a {key}")
    if pc.count_distinct(codes).as_py() != table.num_rows:
        raise ValueError(f"feature snapshot: a {key} appears on more than one row")
    order = pc.sort_indices(codes)
    if table.num_rows and pc.all(pc.equal(order, pa.array(range(table.num_rows)))).as_py():
        return table
    return table.take(order)


def chunks(table: pa.Table, key: str = "uscc", rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """The chunks of ``table``, whose rows must already be in order of ``key`` (`by_code`)."""
    for start in range(0, table.num_rows, rows):
        part = table.slice(start, rows)
        sink = pa.BufferOutputStream()
        with ipc.new_stream(sink, part.schema, options=_OPTIONS) as writer:
            writer.write_table(part)
        codes = part[key]
        yield Chunk(codes[0].as_py(), codes[-1].as_py(), part.num_rows,
                    sink.getvalue().to_pybytes())


def row_of(features: bytes, uscc: str, key: str = "uscc") -> pa.Table:
    """The rows of ``uscc`` in one chunk (none when the chunk does not hold it)."""
    table = ipc.open_stream(pa.py_buffer(features)).read_all()
    return table.filter(pc.equal(table[key], pa.scalar(uscc, table.schema.field(key).type)))
