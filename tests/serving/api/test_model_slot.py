"""A worker's model slot following the pointer a sibling worker moved: it moves, and after a
failed load it tries again once the wait is over instead of staying on the old model."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pyarrow as pa
import pytest

from models.policy.profiles import profile
from models.registry import LoadedModel, ModelRegistry
from serving.api import model_slot
from serving.api.model_slot import ModelSlot, write_pointer
from tests.conftest import Trained


def settled(slot: ModelSlot, seconds: float = 60) -> None:
    """Wait for a follow started in the background to finish."""
    deadline = time.monotonic() + seconds
    time.sleep(0.05)
    while slot._lock.locked() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_failed_follow_is_tried_again_after_the_wait(
        trained: Trained, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = ModelRegistry(trained.tracking_uri).load(trained.model_uri)
    failures = {"models:/m/2": 1}

    def load(uri: str) -> LoadedModel:
        if failures.get(uri, 0):
            failures[uri] -= 1
            raise OSError("the registry is busy")
        return dataclasses.replace(loaded, uri=uri, version=uri.removeprefix("models:/"))

    pointer = tmp_path / "service-model.json"
    slot = ModelSlot(load, pointer, lambda: pa.table({"uscc": pa.array([], pa.string())}),
                     profile())
    slot.start("models:/m/1")
    monkeypatch.setattr(model_slot, "FOLLOW_RETRY_SECONDS", 0.3)
    write_pointer(pointer, "m/2", "models:/m/2")  # a sibling worker moved to version 2
    slot.follow()
    settled(slot)
    assert slot.current.loaded.version == "m/1"  # the load failed
    slot.follow()  # within the wait: not tried again yet
    settled(slot)
    assert slot.current.loaded.version == "m/1" and failures["models:/m/2"] == 0
    time.sleep(0.35)
    slot.follow()
    settled(slot)
    assert slot.current.loaded.version == "m/2"
