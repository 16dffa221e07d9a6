"""The `ecr` command line: wires each package's commands together, holds no logic."""

from __future__ import annotations

import typer

from features.cli import contract_command, ingest_command, summary_command, synth_command
from features.feature_commands import features_command, training_set_command
from models.policy.cli import profiles_command, rules_command
from serving.cli import score_command
from serving.explain_command import explain_command
from serving.monthly_commands import (
    classify_command,
    history_command,
    rescore_command,
    warnings_command,
)
from training.cli import promote_command, runs_command, train_command

app = typer.Typer(
    name="ecr",
    help="Enterprise credit risk: synthesise, ingest, score, classify and explain.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("synth")(synth_command)
app.command("ingest")(ingest_command)
app.command("summary")(summary_command)
app.command("contract")(contract_command)
app.command("features")(features_command)
app.command("training-set")(training_set_command)
app.command("train")(train_command)
app.command("promote")(promote_command)
app.command("runs")(runs_command)
app.command("score")(score_command)
app.command("classify")(classify_command)
app.command("rescore")(rescore_command)
app.command("warnings")(warnings_command)
app.command("history")(history_command)
app.command("explain")(explain_command)
app.command("rules")(rules_command)
app.command("profiles")(profiles_command)
