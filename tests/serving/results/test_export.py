"""Numbers in the CSV export: PostgreSQL's text of a double, as the export asks for it, is
Python's ``repr`` of it, so the export is the same text whichever database serves it."""

from __future__ import annotations

import random
import struct
from collections.abc import Iterator

import sqlalchemy as sa

from serving.results.export import float_text


def doubles(count: int) -> Iterator[float]:
    """Any bit pattern below 10¹⁵ in magnitude, scores and points, whole numbers, powers of
    ten, both zeros and the edges."""
    yield from (0.0, -0.0, 100.0, -612.4, 1e-05, 0.0001, 5e-324, 999999999999999.9,
                999999999999999.0, 0.30000000000000004)
    rng = random.Random(11)
    for _ in range(count):
        value = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
        if abs(value) < 1e15:
            yield value
        yield rng.uniform(-1000, 1000)
        yield float(rng.randint(-10**15 + 1, 10**15 - 1))
        yield 10.0 ** rng.randint(-20, 14) * rng.choice([1, 1.5, -7.25])


def test_postgresql_writes_what_python_writes(postgres_url: str) -> None:
    values = list(doubles(1500))
    numbers = sa.table("numbers", sa.column("v", sa.Float), sa.column("i", sa.Integer))
    engine = sa.create_engine(postgres_url)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("CREATE TEMPORARY TABLE numbers (v float8, i int)")
            connection.execute(numbers.insert(), [{"v": v, "i": i}
                                                  for i, v in enumerate(values)])
            written = connection.execute(sa.select(float_text(numbers.c.v)).order_by(
                numbers.c.i)).scalars().all()
    finally:
        engine.dispose()
    assert written == [repr(v) for v in values]
