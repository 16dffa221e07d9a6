"""Follow-up events planned for later months (penalty after a failed check, late annual
report, listing after a not-located inspection, …)."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from synthetic.calendar import Period


class Schedule:
    """Queue of (kind, enterprise, day, payload) grouped by month; order is insertion order."""

    def __init__(self, period: Period) -> None:
        self.period = period
        self._by_month: dict[int, list[tuple[str, dict[str, np.ndarray]]]] = defaultdict(list)
        self.current = -1
        """Last month popped; events planned for it or earlier are handled the month after."""

    def add(self, kind: str, ent: np.ndarray, day: np.ndarray, **payload: np.ndarray) -> None:
        """Plan events on ``day``; those after the period are dropped. Events dated in a
        month already processed keep their day and are handled in the next month."""
        day = np.asarray(day, np.int32)
        keep = day <= self.period.end_day
        if not keep.any():
            return
        ent, day = ent[keep], day[keep]
        payload = {k: np.asarray(v)[keep] for k, v in payload.items()}
        month = np.maximum(self.period.month_of(day), self.current + 1)
        for m in np.unique(month):
            sel = month == m
            cols = {"ent": ent[sel], "day": day[sel], **{k: v[sel] for k, v in payload.items()}}
            self._by_month[int(m)].append((kind, cols))

    def pop(self, t: int) -> dict[str, dict[str, np.ndarray]]:
        """Events due in month ``t``, concatenated per kind."""
        self.current = t
        grouped: dict[str, list[dict[str, np.ndarray]]] = defaultdict(list)
        for kind, cols in self._by_month.pop(t, []):
            grouped[kind].append(cols)
        return {
            kind: {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
            for kind, parts in grouped.items()
        }
