"""Optuna search over the booster's parameters on the tuning folds: seeded TPE, a trial pruned
when its folds fall behind the median, one nested MLflow run per trial under the training run.

A trial's score is the folds' average validation log loss at its best common round count
(`training.cross_validation`), so parameters are chosen on several rolling origins at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mlflow
import numpy as np
import numpy.typing as npt
import optuna

from models.feature_frame import FeatureSpec
from training.cross_validation import CrossValidation, cross_validate
from training.parameters import additive_params, default_params, suggest
from training.protocol import Fold


@dataclass
class TuningResult:
    params: dict[str, Any]
    cross_validation: CrossValidation
    trials: int
    pruned: int


def tune(
    x: npt.NDArray, y: npt.NDArray, spec: FeatureSpec, folds: tuple[Fold, ...],
    fixed: dict[str, Any], rows: int, seed: int, trials: int | None, timeout: float | None,
    on_trial: Callable[[optuna.trial.FrozenTrial], None] | None = None,
) -> TuningResult:
    """Minimise the folds' average validation log loss; the scaled default parameters
    (`training.parameters.default_params`) are always the first trial, and stumps
    (`additive_params`) the second."""
    results: dict[int, CrossValidation] = {}

    def objective(trial: optuna.Trial) -> float:
        params = suggest(trial, rows)

        losses: list[float] = []

        def on_fold(index: int, loss: float) -> None:
            losses.append(loss)  # the running mean: one noisy fold does not prune a trial
            trial.report(float(np.mean(losses)), index)
            if trial.should_prune():
                raise optuna.TrialPruned()

        with mlflow.start_run(run_name=f"trial-{trial.number}", nested=True):
            mlflow.set_tag("ecr.kind", "tuning-trial")
            mlflow.log_params(params)
            try:
                result = cross_validate(x, y, spec, folds, fixed | params, on_fold)
            except optuna.TrialPruned:
                mlflow.set_tag("ecr.trial_state", "pruned")
                raise
            mlflow.set_tag("ecr.trial_state", "complete")
            mlflow.log_metrics({"cv_valid_log_loss": result.valid_log_loss,
                                "cv_rounds": result.rounds,
                                **{f"fold_{i + 1}_valid_roc_auc": a
                                   for i, a in enumerate(result.fold_auc) if a == a}})
            results[trial.number] = result
            return result.valid_log_loss

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=0),
    )
    study.enqueue_trial(default_params(rows))
    study.enqueue_trial(additive_params(rows))
    study.optimize(objective, n_trials=trials, timeout=timeout,
                   callbacks=[lambda _study, trial: on_trial(trial)] if on_trial else None)
    states = [t.state for t in study.trials]
    if not states.count(optuna.trial.TrialState.COMPLETE):
        raise RuntimeError("tuning: every trial was pruned or failed")
    best = study.best_trial
    return TuningResult(dict(best.params), results[best.number], len(states),
                        states.count(optuna.trial.TrialState.PRUNED))
