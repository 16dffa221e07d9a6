"""The monthly run's record in MLflow, written through the registry's own client.

One MLflow run per classified period in the experiment ``enterprise-credit-risk-monthly``:
tags with the results run and the versions behind it, the class shares, movements, warning
counts and stage seconds as metrics, and the analysis as ``analysis.json``.
"""

from __future__ import annotations

import time

from mlflow.entities import Metric

from models.registry import ModelRegistry
from serving.results.rows import PeriodAnalysis, RunInfo

MONTHLY_EXPERIMENT = "enterprise-credit-risk-monthly"


class PeriodTracker:
    """Logs each published period to MLflow; holds no state beyond its client."""

    def __init__(self, registry: ModelRegistry, experiment: str = MONTHLY_EXPERIMENT) -> None:
        self.registry = registry
        self.experiment = experiment

    def log_period(self, run: RunInfo, analysis: PeriodAnalysis,
                   timings: dict[str, float]) -> str:
        """Record one published period; returns the MLflow run id."""
        client = self.registry.client
        tags = {"ecr.kind": "monthly", "ecr.period": str(run.period),
                "ecr.results_run_id": run.run_id, "ecr.model_version": run.model_version,
                "ecr.rules_version": run.rules_version, "ecr.profile": run.profile,
                "ecr.data_fingerprint": run.data_fingerprint}
        active = client.create_run(self.registry.experiment_id(self.experiment),
                                   run_name=f"classify-{run.period}", tags=tags)
        run_id = active.info.run_id
        now = int(time.time() * 1000)
        client.log_batch(run_id, metrics=[Metric(key, float(value), now, 0)
                                          for key, value in period_metrics(analysis,
                                                                           timings).items()])
        client.log_dict(run_id, analysis.to_json(), "analysis.json")
        client.set_terminated(run_id)
        return run_id


def period_metrics(analysis: PeriodAnalysis, timings: dict[str, float]) -> dict[str, float]:
    """The period's figures as MLflow metric names and values."""
    metrics: dict[str, float] = {
        "enterprises": analysis.enterprises,
        **{f"share_{k}": v for k, v in analysis.class_shares.items()},
        **{f"warnings_{k}": v for k, v in analysis.warnings.items()},
        **{f"seconds_{k.replace(', ', '_').replace(' ', '_')}": v for k, v in timings.items()},
    }
    for key in ("class_rose", "class_fell", "score_psi"):
        value = getattr(analysis, key)
        if value is not None:
            metrics[key] = value
    return metrics
