"""`ecr explain`: why one enterprise got its class, in score points."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table as RichTable

from features.catalog import DIMENSION_NAMES, Dimension
from features.cli import DEFAULT_STORE, StoreOption, console, fail, require_store
from models.policy.common import LEVEL_INDEX
from models.registry import CHAMPION_URI, DEFAULT_TRACKING_URI, configure
from serving.cli import TrackingOption

if TYPE_CHECKING:
    from models.explain.explanation import Explanation


def explain_command(
    uscc: Annotated[str, typer.Argument(help="Unified social credit code of the enterprise.")],
    as_of: Annotated[dt.datetime, typer.Option(
        formats=["%Y-%m-%d"], help="Date to explain the classification at.")],
    model: Annotated[str, typer.Option(help="Model URI.")] = CHAMPION_URI,
    profile: Annotated[str | None, typer.Option(
        help="Jurisdiction profile (henan, ningxia, hohhot). Default: henan.")] = None,
    top: Annotated[int, typer.Option(min=1, help="Factors shown each way.")] = 6,
    all_features: Annotated[bool, typer.Option(
        "--all", help="Show a line for every feature.")] = False,
    store: StoreOption = DEFAULT_STORE,
    tracking_uri: TrackingOption = DEFAULT_TRACKING_URI,
) -> None:
    """Base points, the factors raising and lowering risk, and the rules that fired, adding up
    to the final score."""
    import mlflow
    import pyarrow.compute as pc

    from features.engines import compute_features
    from models.explain.explanation import explain_rows
    from models.explain.points import Explainer
    from models.policy.profiles import profile as jurisdiction
    from models.pyfunc import load_risk_model

    configure(tracking_uri)
    opened = require_store(store)
    try:
        risk_model = load_risk_model(model)
        chosen = jurisdiction(profile)
    except mlflow.exceptions.MlflowException as error:
        raise fail(f"cannot load model {model}: {error.message}") from None
    except ValueError as error:
        raise fail(error) from None
    features = compute_features(opened, as_of.date())
    row = features.filter(pc.equal(features["uscc"], uscc))
    if row.num_rows == 0:
        raise fail(f"{uscc}: no enterprise with this code was alive on {as_of.date()} in "
                   f"{opened.root}")
    explanation = explain_rows(Explainer(risk_model), row, chosen)[0]
    print_explanation(explanation, len(explanation.features) if all_features else top)


def print_explanation(explanation: Explanation, top: int) -> None:
    style = explanation.profile.levels[LEVEL_INDEX[explanation.risk_level]]
    console.print(
        f"[bold]{explanation.uscc}[/] as of {explanation.as_of}: class "
        f"[{style.colour}]{explanation.class_label} {style.zh} / {style.en}[/], final score "
        f"{explanation.final_score:.2f} (profile {explanation.profile.key}, rules "
        f"{explanation.rules_version})")
    table = RichTable(show_header=True, header_style="bold")
    table.add_column("line")
    table.add_column("points", justify="right")
    table.add_row("基础分 / base points (the average enterprise's log-odds)",
                  f"{explanation.base_points:.2f}")
    shown = [line for line in explanation.features[:top] if line.points]
    for line in shown:
        table.add_row(f"{line.zh} / {line.en}", f"{line.points:+.2f}")
    rest = explanation.features[len(shown):]
    if rest:
        table.add_row(f"其余 {len(rest)} 项 / {len(rest)} other features",
                      f"{sum(line.points for line in rest):+.2f}")
    table.add_row("[bold]模型分 / model score[/]", f"[bold]{explanation.model_score:.2f}[/]")
    for line in explanation.rules:
        table.add_row(f"{line.key}: {line.zh} / {line.en} — {line.reason_zh} / "
                      f"{line.reason_en}", f"{line.points:+.2f}")
    table.add_row("[bold]最终分 / final score[/]", f"[bold]{explanation.final_score:.2f}[/]")
    console.print(table)
    dimensions = ", ".join(f"{DIMENSION_NAMES[Dimension(d)][0]} {p:+.1f}"
                           for d, p in explanation.dimensions.items() if abs(p) >= 0.05)
    console.print(f"by dimension: {dimensions}")
