"""The qualitative rules in training: which rules a model carries, and what they do on test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import mlflow
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from models.levels import LEVELS
from models.policy.judgement import RuleInputError, judge
from models.policy.profiles import profile
from models.policy.rules import NO_RULES, RuleSet, load_rules, shipped_rules
from models.risk_model import RiskModel
from training.metrics import class_table


def resolve_rules(
    path: Path | None, use_rules: bool, columns: list[str], report: Callable[[str], None]
) -> RuleSet:
    """The rules to bundle; a table without the shipped rules' features gets none, said so."""
    if not use_rules:
        return NO_RULES
    rules = load_rules(path) if path else shipped_rules()
    missing = sorted((rules.features() | {"as_of"}) - set(columns))
    if not missing:
        return rules
    if path is None:
        report("note: no rules bundled: the table lacks the catalog features the shipped "
               f"rules read ({len(missing)} columns, e.g. {', '.join(missing[:3])})")
        return NO_RULES
    raise RuleInputError(f"{path}: the rules read columns the table lacks: "
                         f"{', '.join(missing)}")


def log_rules_effect(model: RiskModel, test: pa.Table, score: npt.NDArray,
                     outcome: npt.NDArray) -> None:
    """The rules file, and the test rows' classes and outcome rates after the rules (``score``:
    the test rows' model scores, already computed by the evaluation)."""
    mlflow.log_text(model.rules.source, "rules/rules.yaml")
    judgement = judge(score, test, model.rules, profile())
    final = class_table(outcome, np.asarray(LEVELS)[judgement.final_level])
    mlflow.log_table(final.reset_index(), "class_table_test_after_rules.json")
    changed = judgement.final_level != judgement.model_level
    fired = judgement.fired.any(axis=0)
    mlflow.log_metrics({
        "test_rules_changed_class_share": float(changed.mean()),
        **{f"test_after_rules_share_{c}": float(final.loc[c, "share"]) for c in LEVELS},
        **{f"test_after_rules_outcome_rate_{c}": float(final.loc[c, "outcome_rate"])
           for c in LEVELS if final.loc[c, "enterprises"]},
        **{f"test_rule_fired_share_{step}": float(judgement.fired[:, i].mean())
           for i, step in enumerate(judgement.step_ids) if fired[i]},
    })
