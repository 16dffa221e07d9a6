"""Keep the newest published periods only (the retention setting, ``ECR_RETENTION_PERIODS``):
what goes and what stays for traceability is `serving.results.retention`."""

from __future__ import annotations

from serving.results.retention import Pruning, apply, plan
from serving.results.store import ResultsStore
from serving.use_cases.errors import InvalidRequest


def prune_periods(results: ResultsStore, keep: int | None, *,
                  dry_run: bool = False) -> Pruning:
    """Remove the published periods older than the newest ``keep`` (with their runs' rows and
    their superseded runs and rescores), or only count them when ``dry_run``."""
    if keep is None:
        raise InvalidRequest("keep: expected how many of the newest published periods to keep "
                             "(--keep N or ECR_RETENTION_PERIODS), found none set")
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise InvalidRequest(f"keep: expected a whole number of periods, at least 1, "
                             f"found {keep!r}")
    with results.engine.connect() as connection:
        pruning = plan(connection, keep)
    return pruning if dry_run else apply(results.engine, pruning)
