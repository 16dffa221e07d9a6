"""Group commit of the audit log within one worker: the entries of concurrent requests are
appended in one transaction, and each request waits for the commit that holds its entry.

A lone request is written at once (its batch is itself); while a batch is being committed,
the entries of the requests that arrive meanwhile gather for the next one. So the cost of a
commit is shared under load without delaying anything when idle, and "nothing is served that
was not recorded" still holds: `AuditWriter.write` returns only once its entry is committed,
and raises if it was not.
"""

from __future__ import annotations

import asyncio

import anyio

from serving.access.audit import AuditEntry, AuditLog, checked_entry

MAX_BATCH = 512
"""Most entries one transaction appends."""


class AuditWriter:
    """Appends to ``audit_log`` from one event loop, a batch at a time."""

    def __init__(self, audit_log: AuditLog, max_batch: int = MAX_BATCH) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch: expected ≥ 1, found {max_batch!r}")
        self.audit_log, self.max_batch = audit_log, max_batch
        self._waiting: list[tuple[AuditEntry, asyncio.Future[int]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def write(self, entry: AuditEntry) -> int:
        """Append ``entry`` and return its seq once committed. A malformed entry raises
        ValueError before it joins a batch (so it cannot fail the others); a failed commit
        raises its error in every request of the batch."""
        checked = checked_entry(entry)
        loop = asyncio.get_running_loop()
        written: asyncio.Future[int] = loop.create_future()
        self._waiting.append((checked, written))
        if self._flushing is None or self._flushing.done():
            self._flushing = loop.create_task(self._flush())
        # A request cancelled meanwhile (its client gone) leaves its entry to be written.
        return await asyncio.shield(written)

    async def _flush(self) -> None:
        while self._waiting:
            batch = self._waiting[:self.max_batch]
            del self._waiting[:self.max_batch]
            try:
                seqs = await anyio.to_thread.run_sync(
                    self.audit_log.append_many, [entry for entry, _ in batch])
            except Exception as error:  # every waiting request answers 503 with it
                for _, written in batch:
                    written.set_exception(error)
            else:
                for (_, written), seq in zip(batch, seqs, strict=True):
                    written.set_result(seq)
