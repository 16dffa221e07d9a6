"""Optuna search over the booster's parameters: seeded TPE, median pruning, one nested MLflow
run per trial under the training run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import mlflow
import optuna
from optuna_integration import LightGBMPruningCallback

from training.booster import DEFAULT_PARAMS, Fitted, fit


@dataclass
class TuningResult:
    params: dict[str, Any]
    trials: int
    pruned: int
    best_value: float


def suggest(trial: optuna.Trial) -> dict[str, Any]:
    """The search space. Depth stays ≤ 6 (explanation tables grow as 2^depth per leaf) and
    `training.booster.LEAF_BUDGET` bounds trees × leaves, so any tuned model can be explained
    for a whole province within the monthly run's time."""
    depth = trial.suggest_int("max_depth", 3, 6)
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.02, 0.2, log=True),
        "max_depth": depth,
        "num_leaves": trial.suggest_int("num_leaves", 7, min(2**depth, 63)),
        "min_child_samples": trial.suggest_int("min_child_samples", 20, 2000, log=True),
        "feature_fraction": trial.suggest_float("feature_fraction", 0.4, 1.0),
        "bagging_fraction": trial.suggest_float("bagging_fraction", 0.5, 1.0),
        "lambda_l2": trial.suggest_float("lambda_l2", 1e-3, 30.0, log=True),
    }


def tune(
    train_set: lgb.Dataset, valid_set: lgb.Dataset, fixed: dict[str, Any], seed: int,
    trials: int | None, timeout: float | None,
    on_trial: Callable[[optuna.trial.FrozenTrial], None] | None = None,
) -> TuningResult:
    """Minimise the validation log loss; the default parameters are always the first trial."""

    def objective(trial: optuna.Trial) -> float:
        params = suggest(trial)
        with mlflow.start_run(run_name=f"trial-{trial.number}", nested=True):
            mlflow.set_tag("ecr.kind", "tuning-trial")
            mlflow.log_params(params)
            try:
                fitted: Fitted = fit(train_set, valid_set, fixed | params,
                                     [LightGBMPruningCallback(trial, "binary_logloss",
                                                              valid_name="valid")])
            except optuna.TrialPruned:
                mlflow.set_tag("ecr.trial_state", "pruned")
                raise
            mlflow.set_tag("ecr.trial_state", "complete")
            mlflow.log_metrics({"valid_log_loss": fitted.valid_log_loss,
                                "valid_roc_auc": fitted.valid_auc,
                                "best_iteration": fitted.best_iteration})
            trial.set_user_attr("best_iteration", fitted.best_iteration)
            return fitted.valid_log_loss

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="minimize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=50),
    )
    study.enqueue_trial(DEFAULT_PARAMS)
    study.optimize(objective, n_trials=trials, timeout=timeout,
                   callbacks=[lambda _study, trial: on_trial(trial)] if on_trial else None)
    states = [t.state for t in study.trials]
    complete = states.count(optuna.trial.TrialState.COMPLETE)
    if not complete:
        raise RuntimeError("tuning: every trial was pruned or failed")
    return TuningResult(dict(study.best_params), len(states),
                        states.count(optuna.trial.TrialState.PRUNED), float(study.best_value))
