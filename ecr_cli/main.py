"""The `ecr` command line: wires the commands together, holds no logic."""

from __future__ import annotations

import typer

from ecr_cli.commands.access import (
    audit_tail_command,
    audit_verify_command,
    keys_create_command,
    keys_list_command,
    keys_revoke_command,
)
from ecr_cli.commands.data import contract_command, ingest_command, summary_command, synth_command
from ecr_cli.commands.draws import (
    draw_cancel_command,
    draw_create_command,
    draw_export_command,
    draw_list_command,
    draw_show_command,
    draw_verify_command,
    effect_command,
)
from ecr_cli.commands.features import features_command, training_set_command
from ecr_cli.commands.monthly import (
    classify_command,
    history_command,
    rescore_command,
    warnings_command,
)
from ecr_cli.commands.policy import profiles_command, rules_command
from ecr_cli.commands.results import prune_command
from ecr_cli.commands.scoring import explain_command, score_command
from ecr_cli.commands.service import serve_command
from ecr_cli.commands.training import promote_command, runs_command, train_command

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
app.command("serve")(serve_command)

keys = typer.Typer(help="API keys of the service: create, list, revoke.", no_args_is_help=True)
keys.command("create")(keys_create_command)
keys.command("list")(keys_list_command)
keys.command("revoke")(keys_revoke_command)
app.add_typer(keys, name="keys")
audit = typer.Typer(help="The service's audit log: verify its hash chain, show its tail.",
                    no_args_is_help=True)
audit.command("verify")(audit_verify_command)
audit.command("tail")(audit_tail_command)
app.add_typer(audit, name="audit")
draw = typer.Typer(help="双随机 spot-check draws: create, verify, list, show, cancel, export.",
                   no_args_is_help=True)
draw.command("create")(draw_create_command)
draw.command("verify")(draw_verify_command)
draw.command("list")(draw_list_command)
draw.command("show")(draw_show_command)
draw.command("cancel")(draw_cancel_command)
draw.command("export")(draw_export_command)
app.add_typer(draw, name="draw")
results = typer.Typer(help="The results database: retention.", no_args_is_help=True)
results.command("prune")(prune_command)
app.add_typer(results, name="results")
sampling = typer.Typer(help="How the draws work: problems found per inspection by class.",
                       no_args_is_help=True)
sampling.command("effect")(effect_command)
app.add_typer(sampling, name="sampling")
