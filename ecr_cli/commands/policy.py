"""Policy commands: the rules and the jurisdiction profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from ecr_cli.common import console, fail, verbatim
from models.levels import LEVELS
from models.policy.common import PolicyFileError


def rules_command(
    file: Annotated[Path | None, typer.Argument(
        help="Rules file to check (default: the shipped rules).")] = None,
) -> None:
    """Validate a rules file and list its rules, precedence and fusion matrix."""
    from models.policy.rules import load_rules, shipped_rules

    try:
        rules = load_rules(file) if file else shipped_rules()
    except PolicyFileError as error:
        raise fail(error) from None
    table = RichTable(title=verbatim(f"Rules {rules.version_id}: {rules.title}", "table.title"))
    table.add_column("id", no_wrap=True)
    for column in ("action", "class", "in effect", "reason", "basis"):
        table.add_column(column, overflow="fold")
    for rule in rules.rules:
        table.add_row(rule.id, rule.action, rule.level,
                      f"{rule.effective_from} … {rule.effective_to or ''}",
                      verbatim(f"{rule.reason.zh}\n{rule.reason.en}"), verbatim(rule.basis))
    console.print(table)
    console.print("precedence: caps (lowest wins) → floors (highest wins) → fusion → forces "
                  "(highest wins)")
    if rules.fusion:
        fusion = RichTable(title=f"通用+专业 fusion on {rules.fusion.grade_feature} "
                                 "(row: general class, column: domain grade)")
        fusion.add_column("general")
        for grade in LEVELS:
            fusion.add_column(grade)
        for general in LEVELS:
            fusion.add_row(general, *rules.fusion.matrix[general])
        console.print(fusion)


def profiles_command(
    file: Annotated[Path | None, typer.Argument(
        help="Profiles file to check (default: the shipped profiles).")] = None,
) -> None:
    """Validate a profiles file and list each jurisdiction's cut points, draw ratios and
    labels."""
    from models.policy.profiles import load_profiles, shipped_profiles

    try:
        book = load_profiles(file) if file else shipped_profiles()
    except PolicyFileError as error:
        raise fail(error) from None
    table = RichTable(title=verbatim(f"Jurisdiction profiles (default {book.default})",
                                     "table.title"))
    table.add_column("profile", no_wrap=True)
    table.add_column("cut points", no_wrap=True)
    table.add_column("draw %", no_wrap=True)
    for level in LEVELS:
        table.add_column(f"level {level}", overflow="fold")
    for key, entry in book.profiles.items():
        table.add_row(verbatim(f"{key}\n{entry.name.zh}"),
                      "/".join(f"{c:g}" for c in entry.cut_points),
                      "/".join(f"{r:g}" for r in entry.draw_ratios),
                      *(verbatim(s.label, s.colour) + f" {s.zh}\n{s.colour_name}"
                        for s in entry.levels))
    console.print(table)
