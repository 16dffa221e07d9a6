"""The model being served as a regulator sees it: its version, its test metrics beside the
baselines trained in the same run, the outcome rate by class on the test periods, and its
mean points by indicator dimension — as training logged them in MLflow, never recomputed."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from features.catalog import DIMENSION_NAMES
from models.levels import LEVELS
from models.registry import LoadedModel, ModelRegistry

METRICS = ("roc_auc", "gini", "ks", "brier", "log_loss", "ece")
"""Test metrics shown, in this order (each logged as ``test_<name>``)."""


@dataclass(frozen=True)
class Metrics:
    label: str
    """``model`` for the served model, else the baseline's model type."""
    values: dict[str, float]
    """Of `METRICS`, those logged."""


@dataclass(frozen=True)
class ClassOutcome:
    level: str
    share: float | None
    """Share of the test rows in the class."""
    outcome_rate: float | None
    """Observed outcome rate of the class on the test periods."""


@dataclass(frozen=True)
class ModelCard:
    version: str
    run_id: str | None
    rules_version: str
    trained_at: dt.datetime | None
    metrics: tuple[Metrics, ...]
    """The served model first, then each baseline of its run."""
    classes: tuple[ClassOutcome, ...]
    dimensions: tuple[tuple[str, str, str, float], ...]
    """(dimension, 中文名, English name, mean |points|) in catalog order, where logged."""


_cards: dict[tuple[str, str], ModelCard] = {}
_lock = threading.Lock()


def model_card(registry: ModelRegistry, model: LoadedModel) -> ModelCard:
    """The card of ``model`` from its training run in ``registry`` (read once per run: a
    finished run does not change); a model without a run has only its identity."""
    if model.run_id is None:
        return ModelCard(model.version, None, model.rules_version, None, (), (), ())
    key = (registry.tracking_uri, model.run_id)
    with _lock:
        if key in _cards:
            return _cards[key]
    card = _read(registry, model)
    with _lock:
        _cards[key] = card
    return card


def _read(registry: ModelRegistry, model: LoadedModel) -> ModelCard:
    client = registry.client
    run = client.get_run(model.run_id)
    logged = run.data.metrics
    rows = [Metrics("model", _metrics(logged))]
    baselines = client.search_runs(
        [run.info.experiment_id], f"tags.`ecr.compared_with` = '{model.run_id}'")
    for baseline in sorted(baselines, key=lambda r: r.data.tags.get("ecr.model_type", "")):
        rows.append(Metrics(baseline.data.tags.get("ecr.model_type", baseline.info.run_id),
                            _metrics(baseline.data.metrics)))
    classes = tuple(ClassOutcome(level, logged.get(f"test_share_{level}"),
                                 logged.get(f"test_outcome_rate_{level}")) for level in LEVELS)
    dimensions = tuple((str(d), zh, en, logged[f"mean_abs_points_{d}"])
                       for d, (zh, en) in DIMENSION_NAMES.items()
                       if f"mean_abs_points_{d}" in logged)
    started = run.info.start_time
    return ModelCard(model.version, model.run_id, model.rules_version,
                     dt.datetime.fromtimestamp(started / 1000, dt.UTC) if started else None,
                     tuple(rows), classes, dimensions)


def _metrics(logged: dict[str, float]) -> dict[str, float]:
    return {name: logged[f"test_{name}"] for name in METRICS if f"test_{name}" in logged}
