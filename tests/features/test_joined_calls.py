"""Concurrent calls join one run: each call gets exactly its own answer, errors reach every
call of their run, and calls for another key or beyond the limit wait for their own run."""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from features.joined_calls import JoinedCalls


class Recorder:
    """A run that answers each code with ``key:code``; the first run waits to be released,
    so that the calls made meanwhile queue behind it."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.runs: list[tuple[Hashable, list[str]]] = []
        self.release = threading.Event()
        self.fail_on = fail_on

    def run(self, key: Hashable, codes: list[str]) -> dict[str, str]:
        if not self.runs:
            self.release.wait(10)
        self.runs.append((key, codes))
        if self.fail_on in codes:
            raise RuntimeError(f"failed on {self.fail_on}")
        return {code: f"{key}:{code}" for code in codes}


def part(whole: dict[str, str], codes: list[str]) -> dict[str, str]:
    return {code: whole[code] for code in codes}


def queued(joined: JoinedCalls, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(joined._waiting) < count:
        assert time.monotonic() < deadline, "calls did not queue"
        time.sleep(0.001)


def submit_blocked_first(recorder: Recorder, joined: JoinedCalls, pool: ThreadPoolExecutor,
                         calls: list[tuple[Hashable, list[str]]]) -> list[Future]:
    first = pool.submit(joined, "k", ["first"])
    deadline = time.monotonic() + 10
    while not joined._running:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    futures = [pool.submit(joined, key, codes) for key, codes in calls]
    queued(joined, len(calls))
    recorder.release.set()
    return [first, *futures]


def test_calls_waiting_behind_a_run_are_answered_by_one_run() -> None:
    recorder = Recorder()
    joined = JoinedCalls(recorder.run, part)
    calls = [("k", ["a", "b"]), ("k", ["b", "c"]), ("k", ["d"])]
    with ThreadPoolExecutor(8) as pool:
        futures = submit_blocked_first(recorder, joined, pool, calls)
        answers = [f.result(10) for f in futures]
    assert answers[0] == {"first": "k:first"}
    assert answers[1:] == [{"a": "k:a", "b": "k:b"}, {"b": "k:b", "c": "k:c"}, {"d": "k:d"}]
    assert joined.runs == 2
    key, codes = recorder.runs[1]  # the union, each code once
    assert key == "k" and sorted(codes) == ["a", "b", "c", "d"] and len(codes) == 4


def test_other_keys_and_the_limit_get_runs_of_their_own() -> None:
    recorder = Recorder()
    joined = JoinedCalls(recorder.run, part, limit=3)
    calls = [("k", ["a", "b"]), ("other", ["a"]), ("k", ["c", "d"]), ("k", ["e"])]
    with ThreadPoolExecutor(8) as pool:
        futures = submit_blocked_first(recorder, joined, pool, calls)
        answers = [f.result(10) for f in futures]
    assert answers[2] == {"a": "other:a"}
    assert answers[3] == {"c": "k:c", "d": "k:d"}
    runs = recorder.runs[1:]  # which waiting call leads next is up to the threads
    assert all(len(codes) <= 3 for _, codes in runs)
    assert ("other", ["a"]) in runs and len(runs) == 3
    assert sorted(code for key, codes in runs if key == "k" for code in codes) == list("abcde")


def test_an_error_reaches_every_call_of_its_run_and_no_other() -> None:
    recorder = Recorder(fail_on="bad")
    joined = JoinedCalls(recorder.run, part)
    calls = [("k", ["bad"]), ("k", ["fine"]), ("other", ["fine"])]
    with ThreadPoolExecutor(8) as pool:
        futures = submit_blocked_first(recorder, joined, pool, calls)
        for future in futures[1:3]:
            with pytest.raises(RuntimeError, match="failed on bad"):
                future.result(10)
        assert futures[3].result(10) == {"fine": "other:fine"}
    assert futures[0].result() == {"first": "k:first"}


def test_a_call_alone_runs_at_once() -> None:
    recorder = Recorder()
    recorder.release.set()
    joined = JoinedCalls(recorder.run, part)
    assert joined("k", ["x"]) == {"x": "k:x"}
    assert joined("k", ["y"]) == {"y": "k:y"}
    assert joined.runs == 2
