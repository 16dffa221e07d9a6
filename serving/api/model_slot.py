"""The model the service scores with, swapped atomically on reload.

A request takes `ModelSlot.current` once and uses that object to the end, so a reload never
changes the model under a request in flight. `reload()` loads the version an alias names
now, checks it on a golden sample (finite scores within 0–1000, every explanation adding up to
its final score, the explanation path agreeing with the batch path), and only then swaps it in
and writes the *pointer file*: the resolved version every worker should serve. Each worker
checks the pointer's modification time on every request (`follow`, a ``stat`` call) and, when
another worker moved it, loads the same version in the background and swaps when ready; so
one ``POST /v1/admin/model:reload`` reaches every worker, and none answers from a
half-loaded model.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import structlog

from models.classification import classify
from models.explain.explanation import explain_rows
from models.explain.points import Explainer
from models.policy.profiles import Profile
from models.registry import LoadedModel

log = structlog.get_logger("ecr.model")
TOLERANCE = 1e-6
"""Points by which an explanation may miss its final score (floating-point sums)."""
FOLLOW_RETRY_SECONDS = 5.0
"""After a failed follow (the registry busy, the model unreadable), how long a worker waits
before it tries the pointer's version again."""


class GoldenCheckFailed(RuntimeError):
    """A candidate model failed the golden sample; the message says how."""


@dataclass(frozen=True)
class ServingModel:
    loaded: LoadedModel
    explainer: Explainer
    loaded_at: dt.datetime


@dataclass(frozen=True)
class ReloadStatus:
    state: str
    """``idle``, ``loading``, ``failed`` or ``done``."""
    target: str | None = None
    version: str | None = None
    error: str | None = None
    finished_at: dt.datetime | None = None


def golden_check(model: LoadedModel, explainer: Explainer, sample: pa.Table,
                 profile: Profile) -> None:
    """Raise `GoldenCheckFailed` unless ``model`` scores ``sample`` sanely and explains it
    exactly."""
    if sample.num_rows == 0:
        return
    batch = classify(model.model, sample, profile).to_arrow()
    explained = explain_rows(explainer, sample, profile)
    scores = np.asarray(batch["final_score"].to_numpy(zero_copy_only=False), np.float64)
    if not np.isfinite(scores).all() or scores.min() < 0 or scores.max() > 1000:
        raise GoldenCheckFailed(f"{model.version}: scores outside 0–1000 on the golden sample")
    for row, explanation in enumerate(explained):
        total = explanation.base_points + sum(
            line.points for line in [*explanation.features, *explanation.rules])
        if abs(total - explanation.final_score) > TOLERANCE:
            raise GoldenCheckFailed(
                f"{model.version}: golden row {row}: the explanation adds up to {total:.6f}, "
                f"not its final score {explanation.final_score:.6f}")
        if abs(explanation.final_score - scores[row]) > TOLERANCE:
            raise GoldenCheckFailed(
                f"{model.version}: golden row {row}: explained score "
                f"{explanation.final_score:.6f} differs from the batch score {scores[row]:.6f}")


class ModelSlot:
    """The current `ServingModel` of one worker, its reloads and the shared pointer."""

    def __init__(self, load: Callable[[str], LoadedModel], pointer: Path,
                 golden: Callable[[], pa.Table], profile: Profile) -> None:
        self._load, self.pointer, self._golden, self._profile = load, pointer, golden, profile
        self._current: ServingModel | None = None
        self._lock = threading.Lock()
        self._seen: float | None = None
        self._retry_at = 0.0
        self.status = ReloadStatus("idle")

    @property
    def current(self) -> ServingModel:
        if self._current is None:
            raise RuntimeError("no model loaded")
        return self._current

    def start(self, uri: str) -> ServingModel:
        """Load at start-up: the pointer's version when a sibling worker wrote one, else
        ``uri``."""
        target = self._pointed() or uri
        candidate = self._prepare(target)
        self._current = candidate
        self._seen = self._mtime()
        return candidate

    def _prepare(self, uri: str) -> ServingModel:
        loaded = self._load(uri)
        explainer = Explainer(loaded.model)
        golden_check(loaded, explainer, self._golden(), self._profile)
        return ServingModel(loaded, explainer, dt.datetime.now(dt.UTC))

    def reload(self, uri: str) -> ServingModel:
        """Load what ``uri`` names now, check it, swap it in, point every worker at it.
        Runs in a background thread; one reload at a time."""
        with self._lock:
            self.status = ReloadStatus("loading", uri)
            try:
                candidate = self._prepare(uri)
            except Exception as error:
                self.status = ReloadStatus("failed", uri, error=f"{type(error).__name__}: "
                                           f"{str(error).splitlines()[0] if str(error) else ''}",
                                           finished_at=dt.datetime.now(dt.UTC))
                log.warning("model reload refused", target=uri, error=self.status.error)
                raise
            self._current = candidate
            self._write_pointer(candidate.loaded)
            self.status = ReloadStatus("done", uri, candidate.loaded.version,
                                       finished_at=dt.datetime.now(dt.UTC))
            log.info("model swapped", version=candidate.loaded.version)
            return candidate

    def follow(self) -> None:
        """Start loading the pointer's version if another worker moved it."""
        mtime = self._mtime()
        if (mtime is None or mtime == self._seen or self._lock.locked()
                or time.monotonic() < self._retry_at):
            return
        self._seen = mtime
        target = self._pointed()
        if target and (self._current is None or target != self._current.loaded.uri):
            threading.Thread(target=self._follow, args=(target,), daemon=True).start()

    def _follow(self, target: str) -> None:
        try:
            with self._lock:
                candidate = self._prepare(target)
                self._current = candidate
                self.status = ReloadStatus("done", target, candidate.loaded.version,
                                           finished_at=dt.datetime.now(dt.UTC))
        except Exception as error:
            # Seen but not followed: tried again once the wait is over, not left behind on
            # the old model until the pointer moves again.
            self._seen, self._retry_at = None, time.monotonic() + FOLLOW_RETRY_SECONDS
            log.warning("model follow failed", target=target, error=type(error).__name__,
                        retry_in_s=FOLLOW_RETRY_SECONDS)

    def _mtime(self) -> float | None:
        try:
            return self.pointer.stat().st_mtime_ns / 1e9
        except FileNotFoundError:
            return None

    def _pointed(self) -> str | None:
        try:
            return json.loads(self.pointer.read_text())["uri"]
        except (FileNotFoundError, ValueError, KeyError):
            return None

    def _write_pointer(self, loaded: LoadedModel) -> None:
        write_pointer(self.pointer, loaded.version, loaded.uri)
        self._seen = self._mtime()


def write_pointer(pointer: Path, version: str, uri: str) -> None:
    """Point every worker at this exact version (``models:/name/N``, not an alias, which may
    move again; a model that is not registered stays at ``uri``), replacing the file
    atomically."""
    exact = (f"models:/{version}" if "/" in version
             and not version.startswith(("models:/", "/", "file:")) else uri)
    pointer.parent.mkdir(parents=True, exist_ok=True)
    temporary = pointer.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps({"uri": exact, "version": version}))
    os.replace(temporary, pointer)
