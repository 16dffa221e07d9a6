"""Spot-check draws (双随机、一公开): create, verify, list, show, cancel, export, publish, and
the effect table. Each command calls a use case; the draw id is the last line `create` prints.
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table as RichTable

from ecr_cli.common import (
    DatabaseOption,
    ProfileOption,
    StoreOption,
    console,
    fail,
    jurisdiction,
    open_results,
    parse_date,
    require_store,
    settings,
    verbatim,
)

if TYPE_CHECKING:
    from serving.sampling.catalogue import Catalogue

VERIFY_FAILED = 1
"""Exit status of ``ecr draw verify`` when the draw does not recompute."""
CatalogueOption = Annotated[Path | None, typer.Option(
    "--catalogue", help="Inspection items catalogue. Default: $ECR_ITEMS_CATALOGUE or the "
                        "shipped one.")]


def _catalogue(path: Path | None) -> Catalogue:
    from models.policy.common import PolicyFileError
    from serving.sampling.catalogue import catalogue

    try:
        return catalogue(path)
    except PolicyFileError as error:
        raise fail(error) from None


def _forced(values: list[str]) -> dict[str, str]:
    forced = {}
    for value in values:
        uscc, _, reason = value.partition("=")
        if not reason.strip():
            raise typer.BadParameter(f"expected USCC=REASON, found {value!r}",
                                     param_hint="--force")
        forced[uscc.strip()] = reason.strip()
    return forced


def draw_create_command(
    period: Annotated[str, typer.Option(help="The published period (YYYY-MM-DD).")],
    task: Annotated[str, typer.Option(help="A task of the items catalogue (GEN, FOOD, …).")
                    ] = "GEN",
    seed: Annotated[str | None, typer.Option(
        help="A value committed before the draw (e.g. a published lottery number). "
             "Default: a secure random seed, recorded.")] = None,
    seed_source: Annotated[str | None, typer.Option(
        help="Where the given seed comes from.")] = None,
    ratios: Annotated[str | None, typer.Option(
        help="Percent per class, e.g. A=1,B=3,C=10,D=20. Default: the profile's.")] = None,
    budget: Annotated[int | None, typer.Option(
        help="Total inspections, allocated in proportion to ratio × N above the floors.")
    ] = None,
    mode: Annotated[str, typer.Option(help="combined, per-class or batched.")] = "combined",
    batches: Annotated[int, typer.Option(help="Batches of --mode batched.")] = 1,
    region: Annotated[str | None, typer.Option(help="Division-code prefix.")] = None,
    section: Annotated[list[str] | None, typer.Option(help="Industry section (repeat).")] = None,
    division: Annotated[list[str] | None, typer.Option(
        help="Industry division, e.g. H62 (repeat).")] = None,
    enterprise_type: Annotated[list[str] | None, typer.Option(
        "--type", help="Enterprise type (repeat).")] = None,
    domain: Annotated[list[str] | None, typer.Option(help="Domain tag (repeat).")] = None,
    force: Annotated[list[str] | None, typer.Option(
        help="USCC=REASON drawn apart (重点监管 / 触发式; repeat).")] = None,
    recent_months: Annotated[int | None, typer.Option(
        help="Enterprises inspected or drawn this recently wait. Default: "
             "$ECR_DRAW_RECENT_MONTHS or 6.")] = None,
    inspectors: Annotated[int | None, typer.Option(
        help="Inspectors per target. Default: $ECR_DRAW_INSPECTORS or 2.")] = None,
    cap: Annotated[int | None, typer.Option(
        help="Most targets per inspector. Default: $ECR_DRAW_WORKLOAD_CAP or 20.")] = None,
    avoid_months: Annotated[int | None, typer.Option(
        help="回避 of an inspector who inspected the enterprise this recently. Default: "
             "$ECR_DRAW_AVOID_MONTHS or 12.")] = None,
    drawn_on: Annotated[str | None, typer.Option(help="The draw's date. Default: today.")
    ] = None,
    author: Annotated[str | None, typer.Option(help="Who draws. Default: the OS user.")
    ] = None,
    catalogue_file: CatalogueOption = None,
    store: StoreOption = None,
    database_url: DatabaseOption = None,
    profile: ProfileOption = None,
) -> None:
    """Draw a campaign over a published period; the draw id is printed on the last line."""
    from serving.sampling.selection import parse_ratios
    from serving.use_cases.draw_population import Filters
    from serving.use_cases.draws import Conflict, DrawRequest, create_draw
    from serving.use_cases.errors import InvalidRequest

    config = settings(store=store, database_url=database_url, profile=profile)
    try:
        given = parse_ratios(ratios) if ratios else None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--ratios") from None
    wanted = DrawRequest(
        period=parse_date(period, "--period"), task=task, seed=seed, seed_source=seed_source,
        ratios=given, budget=budget, mode=mode, batches=batches,
        filters=Filters(region, tuple(section or ()), tuple(division or ()),
                        tuple(enterprise_type or ()), tuple(domain or ())),
        forced=_forced(force or []),
        recent_months=config.draw_recent_months if recent_months is None else recent_months,
        per_target=config.draw_inspectors if inspectors is None else inspectors,
        workload_cap=config.draw_workload_cap if cap is None else cap,
        avoid_months=config.draw_avoid_months if avoid_months is None else avoid_months,
        drawn_on=parse_date(drawn_on, "--drawn-on") if drawn_on else None)
    items = _catalogue(catalogue_file or config.items_catalogue)
    try:
        view = create_draw(open_results(config), require_store(config), jurisdiction(config),
                           items, wanted, author=author or f"cli:{getpass.getuser()}")
    except (Conflict, InvalidRequest) as error:
        raise fail(error) from None
    record = view.record
    table = RichTable(title=verbatim(f"{view.draw_id}: task {record['task']} "
                                     f"({record['task_name']['zh']}), {record['mode']}",
                                     "table.title"))
    for column in ("class", "population", "ratio %", "drawn", "key list"):
        table.add_column(column, justify="right")
    keyed = view.counts("key")
    for level, drawn in view.counts().items():
        table.add_row(level, str(record["class_sizes"][level]), record["ratios"][level],
                      str(drawn), str(keyed[level]))
    console.print(table)
    console.print(verbatim(f"population {record['population']} (sha256 "
                           f"{record['population_sha256'][:16]}…), seed source "
                           f"{record['seed_source']}, {len(view.exclusions)} exclusions (回避)"))
    for target in view.targets[:5]:
        team = ", ".join(f"{a.inspector_id} ({a.department})" for a in target.inspectors)
        console.print(verbatim(f"  {target.uscc} {target.risk_level} batch {target.batch}: "
                               f"{';'.join(target.items)} — {team}"), soft_wrap=True)
    typer.echo(view.draw_id)


def draw_verify_command(
    draw_id: Annotated[str, typer.Argument(metavar="ID")],
    catalogue_file: CatalogueOption = None,
    store: StoreOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Recompute a draw from its record; exit 1 naming every difference."""
    from serving.use_cases.draw_verify import verify_draw
    from serving.use_cases.errors import NotFound

    config = settings(store=store, database_url=database_url)
    try:
        report = verify_draw(open_results(config), require_store(config),
                             _catalogue(catalogue_file or config.items_catalogue), draw_id)
    except NotFound as error:
        raise fail(error) from None
    for check in report.checks:
        console.print(verbatim(f"{'ok  ' if check.ok else 'DIFF'} {check.name}: {check.detail}"),
                      soft_wrap=True)
    if not report.ok:
        console.print(verbatim(f"{draw_id}: does not recompute"))
        raise typer.Exit(VERIFY_FAILED)
    console.print(verbatim(f"{draw_id}: verified"))


def draw_list_command(
    period: Annotated[str, typer.Option(help="The period (YYYY-MM-DD).")],
    database_url: DatabaseOption = None,
) -> None:
    """A period's draws, oldest first."""
    from serving.use_cases.draws import list_draws

    found = list_draws(open_results(settings(database_url=database_url)),
                       parse_date(period, "--period"))
    table = RichTable(title=f"Draws of {period}")
    for column in ("draw", "task", "mode", "status", "population", "targets", "A/B/C/D",
                   "author", "created"):
        table.add_column(column, overflow="fold")
    for view in found:
        counts = view.record["counts"]
        table.add_row(view.draw_id, view.draw.task, view.draw.mode, view.status,
                      str(view.draw.population), str(view.draw.targets),
                      "/".join(str(counts[c]) for c in "ABCD"), verbatim(view.draw.author),
                      view.draw.created_at.isoformat(timespec="seconds"))
    console.print(table)


def draw_show_command(
    draw_id: Annotated[str, typer.Argument(metavar="ID")],
    limit: Annotated[int, typer.Option(help="Targets shown.")] = 20,
    database_url: DatabaseOption = None,
) -> None:
    """A draw's targets with class, items and inspectors."""
    from serving.use_cases.draws import read_draw
    from serving.use_cases.errors import NotFound

    try:
        view = read_draw(open_results(settings(database_url=database_url)), draw_id)
    except NotFound as error:
        raise fail(error) from None
    status = (f"cancelled: {view.cancellation.reason} ({view.cancellation.author})"
              if view.cancellation else "active")
    console.print(verbatim(f"{view.draw_id} {view.draw.task} {view.draw.mode}, {status}"))
    table = RichTable()
    for column in ("uscc", "class", "part", "batch", "items", "inspectors"):
        table.add_column(column, overflow="fold")
    for target in view.targets[:limit]:
        table.add_row(target.uscc, target.risk_level, target.part, target.batch,
                      ";".join(target.items),
                      verbatim("\n".join(f"{a.inspector_id} {a.unit}" for a in target.inspectors)))
    console.print(table)


def draw_cancel_command(
    draw_id: Annotated[str, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option(help="Why the draw is cancelled (recorded).")],
    author: Annotated[str | None, typer.Option(help="Who cancels. Default: the OS user.")
    ] = None,
    database_url: DatabaseOption = None,
) -> None:
    """Cancel a draw: it stays stored, marked cancelled; drawing again makes a new draw."""
    from serving.use_cases.draws import Conflict, cancel_draw
    from serving.use_cases.errors import InvalidRequest, NotFound

    try:
        done = cancel_draw(open_results(settings(database_url=database_url)), draw_id, reason,
                           author or f"cli:{getpass.getuser()}")
    except (Conflict, InvalidRequest, NotFound) as error:
        raise fail(error) from None
    console.print(verbatim(f"{draw_id}: cancelled by {done.author} at "
                           f"{done.cancelled_at.isoformat(timespec='seconds')}"))


def draw_export_command(
    draw_id: Annotated[str, typer.Argument(metavar="ID")],
    out: Annotated[Path, typer.Option(help="A .csv or .xlsx file.")],
    publication: Annotated[bool, typer.Option(
        help="The publication (一公开): task, targets, items and results, never the class.")
    ] = False,
    catalogue_file: CatalogueOption = None,
    store: StoreOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Write a draw's targets (with class, items and inspectors) or its publication."""
    from serving.use_cases.draw_export import (
        EXPORT_COLUMNS,
        PUBLICATION_COLUMNS,
        export_rows,
        publication_rows,
        write_rows,
    )
    from serving.use_cases.errors import InvalidRequest, NotFound

    config = settings(store=store, database_url=database_url)
    try:
        if publication:
            rows = publication_rows(open_results(config), require_store(config),
                                    _catalogue(catalogue_file or config.items_catalogue),
                                    draw_id)
            written = write_rows(rows, PUBLICATION_COLUMNS, out)
        else:
            rows = export_rows(open_results(config), draw_id)
            written = write_rows(rows, EXPORT_COLUMNS, out)
    except (InvalidRequest, NotFound, OSError) as error:
        raise fail(error) from None
    console.print(verbatim(f"{len(rows)} targets written to {written}"))


def effect_command(
    period: Annotated[str, typer.Option(help="The period drawn over (YYYY-MM-DD).")],
    store: StoreOption = None,
    database_url: DatabaseOption = None,
) -> None:
    """Problems found per inspection by the class held when drawn, with Wilson 95 %
    intervals, beside Henan's 2021 figures."""
    from serving.use_cases.sampling_effect import sampling_effect

    config = settings(store=store, database_url=database_url)
    rows = sampling_effect(open_results(config), require_store(config),
                           parse_date(period, "--period"))
    table = RichTable(title=f"Problems found per inspection, draws of {period}")
    for column in ("prefecture", "class", "targets", "inspected", "problems", "rate",
                   "95 % interval", "Henan 2021"):
        table.add_column(column, justify="right")
    for row in rows:
        shown = "—" if row.rate is None else f"{row.rate:.1%}"
        interval = "—" if row.low is None else f"{row.low:.1%}–{row.high:.1%}"
        table.add_row(row.prefecture, row.risk_level, str(row.targets), str(row.inspected),
                      str(row.problems), shown, interval, f"{row.henan_2021:.1%}")
    console.print(table)
