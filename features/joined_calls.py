"""Concurrent calls for a few enterprises' features joined into one run.

Computing the features of one enterprise costs about as much as computing those of a few
dozen: the run's fixed cost (a DuckDB statement with hundreds of aggregates, planned once,
executed on a handful of rows) dwarfs the rows. So while one run is under way, the calls that
arrive wait, and the next run answers every waiting call for the same date at once, with the
union of their codes; each call then takes its own rows. A call alone runs at once, as
before. This is the same combining as a database's group commit: latency under load stays
near two runs, and throughput grows with the load instead of queueing behind it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

Result = TypeVar("Result")
MAX_JOINED_CODES = 512
"""Codes one joined run takes at most (a call asking for more runs alone)."""


@dataclass
class _Call(Generic[Result]):
    key: Hashable
    codes: list[str]
    done: bool = False
    result: Result | None = None
    error: BaseException | None = None


class JoinedCalls(Generic[Result]):
    """``call(key, codes)`` from any thread: ``run(key, codes)`` for the union of the codes of
    the calls waiting with the same key, one run at a time, each call's answer cut from it by
    ``part(result, codes)``. An error of a run is raised in every call it answers."""

    def __init__(self, run: Callable[[Hashable, list[str]], Result],
                 part: Callable[[Result, list[str]], Result],
                 limit: int = MAX_JOINED_CODES) -> None:
        self._run, self._part, self._limit = run, part, limit
        self._changed = threading.Condition()
        self._waiting: list[_Call[Result]] = []
        self._running = False
        self.runs = 0
        """Runs made so far (calls answered ≥ runs)."""

    def __call__(self, key: Hashable, codes: list[str]) -> Result:
        call: _Call[Result] = _Call(key, codes)
        with self._changed:
            self._waiting.append(call)
            while self._running and not call.done:
                self._changed.wait()
            if not call.done:  # this thread runs next, for every call waiting with its key
                self._running = True
                batch = self._take(call)
        if not call.done:
            self._answer(batch)
        if call.error is not None:
            raise call.error
        return call.result  # type: ignore[return-value]

    def _take(self, first: _Call[Result]) -> list[_Call[Result]]:
        """``first`` and the calls waiting with its key, within the limit (lock held)."""
        batch, total = [first], len(first.codes)
        for call in self._waiting:
            if call is not first and call.key == first.key \
                    and total + len(call.codes) <= self._limit:
                batch.append(call)
                total += len(call.codes)
        self._waiting = [c for c in self._waiting if not any(c is b for b in batch)]
        return batch

    def _answer(self, batch: list[_Call[Result]]) -> None:
        try:
            codes = list(dict.fromkeys(code for call in batch for code in call.codes))
            whole = self._run(batch[0].key, codes)
            answers = [whole if len(batch) == 1 else self._part(whole, call.codes)
                       for call in batch]
            error = None
        except BaseException as raised:  # every call of the run sees it
            answers, error = [None] * len(batch), raised
        with self._changed:
            self.runs += 1
            for call, answer in zip(batch, answers, strict=True):
                call.result, call.error, call.done = answer, error, True
            self._running = False
            self._changed.notify_all()
