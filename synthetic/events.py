"""Month-by-month record generation: Poisson record types, annual reports, list rules,
follow-ups, deaths, role changes and domain grading, all driven by the hidden risk."""

from __future__ import annotations

import numpy as np

from features.reference import industries
from features.reference.record_types import RISK_GRADES
from synthetic import inspections
from synthetic.calendar import (
    NO_DATE,
    Period,
    add_business_days,
    add_months,
    business_day,
    delays,
    uniform_days,
)
from synthetic.chunks import (
    DOMAIN_INDEX,
    OUTCOME_INDEX,
    TYPE_CODES,
    Columns,
    RecordBuilder,
    Vocabulary,
)
from synthetic.network import Relations
from synthetic.params import (
    ADVERSE_WEIGHTS,
    CHANGE_OUTCOMES,
    INDIVIDUAL,
    LATE_DELAYS,
    LATE_DEPARTMENTS,
    MONTH_SEASON,
    NETWORK_JUMP,
    POISSON_TYPES,
)
from synthetic.population import Enterprises
from synthetic.rates import static_multipliers
from synthetic.regions import DEPT_INDEX, Geography
from synthetic.risk import Excitation
from synthetic.scenarios import SCENARIOS, Scenario
from synthetic.schedule import Schedule

NEVER = np.iinfo(np.int32).max
"""'Not within the period' for planned end/removal days."""
OPERATING, REVOKED, DEREGISTERED = 0, 1, 2
GRADED_DOMAINS = ("food", "drug", "special_equipment", "medical_device", "cosmetics")
BURN_IN_MONTHS = 24
"""Months of adverse events simulated (not written) before the period, so the excitation
starts near its steady state instead of at zero."""
BURN_IN_LIFT = 1.8
"""Stands in for the mechanism-driven adverse events (lists, checks, follow-ups) that the
burn-in leaves out."""
THREE_YEAR_SHARE = 0.35
"""Share of three-year abnormal listings actually moved to the serious list (the others are
handled by revocation or forced deregistration in practice)."""
_AR_MONTH_SHARES = np.array([0.05, 0.05, 0.10, 0.15, 0.25, 0.40])


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def poisson_small(rng: np.random.Generator, lam: np.ndarray, kmax: int) -> np.ndarray:
    """Poisson counts truncated at ``kmax`` by CDF inversion (fast for small rates)."""
    u = rng.random(lam.shape[0])
    p = np.exp(-lam)
    cdf = p.copy()
    count = (u > cdf).astype(np.int64)
    for k in range(1, kmax):
        p = p * lam / k
        cdf += p
        count += u > cdf
    return count


def _first_unique(ents: np.ndarray) -> np.ndarray:
    """Positions of the first occurrence of each enterprise, in original order."""
    _, pos = np.unique(ents, return_index=True)
    return np.sort(pos)


class Simulator:
    """Holds the province's state and produces each month's records and inspections."""

    def __init__(self, rng: np.random.Generator, period: Period, geo: Geography,
                 ent: Enterprises, rel: Relations, risk: np.ndarray,
                 scenario: Scenario = SCENARIOS["default"]) -> None:
        self.rng = rng
        self.scenario = scenario
        self.month = 0
        self.period = period
        self.geo = geo
        self.ent = ent
        self.risk = risk
        n = ent.n
        self.exc = Excitation(rel.incidence(n), NETWORK_JUMP * scenario.network_jump)
        self.section_letters = [s.letter for s in industries.SECTIONS]
        self.campaign_area = np.isin(np.asarray(geo.prefectures)[geo.prefecture_of[ent.region]],
                                     scenario.campaign_prefectures)
        self.static = static_multipliers(ent, risk)
        self.death = np.full(n, NEVER, np.int32)
        self.status = np.zeros(n, np.int8)
        self.protected = np.full(n, NO_DATE, np.int32)
        self.abn_since = np.full(n, NO_DATE, np.int32)
        self.abn_until = np.full(n, NO_DATE, np.int32)
        self.sd_since = np.full(n, NO_DATE, np.int32)
        self.sd_until = np.full(n, NO_DATE, np.int32)
        self.debtor_until = np.full(n, NO_DATE, np.int32)
        self.debtor_since = np.full(n, NO_DATE, np.int32)
        self.ar_day = np.full(n, NO_DATE, np.int32)
        self.ar_year = -1
        self.individual = ent.type_idx == INDIVIDUAL
        self.details = Vocabulary()
        self.schedule = Schedule(period)
        self.seq = 0
        self.draws = Vocabulary()
        self.grade_month = rng.integers(1, 4, n).astype(np.int8)
        tagged = ent.tags != 0
        sample = risk[tagged] + rng.normal(0, 0.6, int(tagged.sum()))
        self.grade_cuts = (np.quantile(sample, [0.35, 0.85, 0.97]) if sample.size
                           else np.array([0.0, 1.0, 2.0]))
        self.late_depts = np.array([DEPT_INDEX[d] for d in LATE_DEPARTMENTS])
        self.changes = rel.changes
        self.task_masks = inspections.task_masks(ent)
        self._schedule_birth_licences()
        self._burn_in(BURN_IN_MONTHS)

    # ----------------------------------------------------------------- helpers
    def _days(self, ents: np.ndarray, m0: int, m1: int) -> np.ndarray:
        """A working day in month [m0, m1] within each enterprise's lifetime."""
        lo = np.maximum(m0, self.ent.established[ents])
        hi = np.minimum(m1, self.death[ents])
        day = business_day(uniform_days(self.rng, lo, hi), hi)
        return np.maximum(day, lo).astype(np.int32)

    def _plan_end(self, day: np.ndarray, p: float | np.ndarray, lo: int, hi: int) -> np.ndarray:
        """With probability ``p`` an end (removal, repair) ``lo``-``hi`` months after ``day``;
        NEVER when there is none or it falls after the period."""
        n = day.shape[0]
        hit = self.rng.random(n) < p
        months = self.rng.integers(lo, hi + 1, n)
        end = add_months(day, months) + self.rng.integers(0, 28, n)
        end = business_day(end)
        return np.where(hit & (end <= self.period.end_day), end, NEVER).astype(np.int32)

    def _protect(self, ents: np.ndarray, until: np.ndarray) -> None:
        """An enterprise does not end before its planned removals and repairs."""
        planned = np.where(until == NEVER, NO_DATE, until)
        np.maximum.at(self.protected, ents, planned)

    def _alive_on(self, ents: np.ndarray, days: np.ndarray) -> np.ndarray:
        return (self.ent.established[ents] <= days) & (self.death[ents] >= days)

    @staticmethod
    def _open(since: np.ndarray, until: np.ndarray, ents: np.ndarray,
              days: np.ndarray) -> np.ndarray:
        s = since[ents]
        return (s != NO_DATE) & (s <= days) & (days < until[ents])

    def _detail(self, key: str, value: str) -> int:
        return self.details.get(f'{{"{key}":"{value}"}}')

    @staticmethod
    def _outcome(names: tuple[str, ...], choice: np.ndarray | None = None) -> np.ndarray:
        idx = np.array([OUTCOME_INDEX[o] for o in names], np.int16)
        return idx[choice] if choice is not None else idx[0]

    def _amount(self, n: int, median: float | np.ndarray, sigma: float,
                step: float = 1.0) -> np.ndarray:
        raw = median * np.exp(sigma * self.rng.standard_normal(n))
        return np.maximum(np.round(raw / step) * step, step)

    # ----------------------------------------------------------------- lists
    def list_abnormal(self, b: RecordBuilder, ents: np.ndarray, days: np.ndarray, reason: str,
                      until: np.ndarray | None = None, p_remove: float = 0.5,
                      months: tuple[int, int] = (1, 12)) -> None:
        """Abnormal-operation listing unless already listed; removal planned now."""
        first = _first_unique(ents)
        ents, days = ents[first], days[first]
        until = until[first] if until is not None else None
        keep = ~self._open(self.abn_since, self.abn_until, ents, days) & self._alive_on(ents, days)
        ents, days = ents[keep], days[keep]
        until = self._plan_end(days, p_remove, *months) if until is None else until[keep]
        self.abn_since[ents] = days
        self.abn_until[ents] = until
        self._protect(ents, until)
        removed = np.where(until == NEVER, NO_DATE, until)
        repaired = np.where((removed != NO_DATE) & (self.rng.random(ents.shape[0]) < 0.3),
                            removed, NO_DATE)
        b.emit("abnormal_operation", ents, days, removed=removed, repaired=repaired,
               details=self._detail("reason", reason))

    def list_serious(self, b: RecordBuilder, ents: np.ndarray, days: np.ndarray,
                     reason: str) -> None:
        """Serious illegal/dishonest list: expires after 3 years, or repaired after ≥ 1 year."""
        first = _first_unique(ents)
        ents, days = ents[first], days[first]
        keep = ~self._open(self.sd_since, self.sd_until, ents, days) & self._alive_on(ents, days)
        ents, days = ents[keep], days[keep]
        n = ents.shape[0]
        repair = self.rng.random(n) < 0.25 * sigmoid(1.0 - self.risk[ents])
        months = np.where(repair, self.rng.integers(12, 31, n), 36)
        until = business_day(add_months(days, months))
        until = np.where(until <= self.period.end_day, until, NEVER).astype(np.int32)
        self.sd_since[ents] = days
        self.sd_until[ents] = until
        self._protect(ents, until)
        removed = np.where(until == NEVER, NO_DATE, until)
        repaired = np.where(repair, removed, NO_DATE)
        b.emit("serious_dishonesty", ents, days, removed=removed, repaired=repaired,
               details=self._detail("reason", reason))
        self._schedule_joint(ents, days, removed, 0.75, "serious_dishonesty")

    def list_debtor(self, b: RecordBuilder, ents: np.ndarray, days: np.ndarray,
                    amount: np.ndarray, basis: str | None = None) -> None:
        """Dishonest judgement debtor: removed when the debt is paid (most within 18 months)."""
        first = _first_unique(ents)
        ents, days, amount = ents[first], days[first], amount[first]
        keep = (~self._open(self.debtor_since, self.debtor_until, ents, days)
                & self._alive_on(ents, days))
        ents, days, amount = ents[keep], days[keep], amount[keep]
        until = self._plan_end(days, 0.6 * sigmoid(1.5 - self.risk[ents]) + 0.2, 1, 18)
        self.debtor_since[ents] = days
        self.debtor_until[ents] = until
        self._protect(ents, until)
        removed = np.where(until == NEVER, NO_DATE, until)
        b.emit("dishonest_debtor", ents, days, amount=amount, removed=removed,
               details=self._detail("basis", basis) if basis else -1)
        self._schedule_joint(ents, days, removed, 0.3, "dishonest_debtor")

    def _schedule_joint(self, ents: np.ndarray, days: np.ndarray, removed: np.ndarray,
                        p: float, basis: str) -> None:
        hit = self.rng.random(ents.shape[0]) < p
        when = add_business_days(days[hit], self.rng.integers(3, 40, int(hit.sum())))
        rem = removed[hit]
        rem = np.where((rem != NO_DATE) & (rem < when), when, rem)
        self.schedule.add("joint_punishment", ents[hit], when, removed=rem,
                          basis=np.full(int(hit.sum()), self._detail("basis", basis)))

    def penalties(self, b: RecordBuilder, ents: np.ndarray, days: np.ndarray,
                  shift: float = 0.0, basis: str | None = None) -> None:
        """Administrative penalties with severity, fine, credit repair and serious follow-ups."""
        n = ents.shape[0]
        if n == 0:
            return
        r = self.risk[ents]
        p3 = 0.04 + 0.10 * sigmoid(r - 1.5) + shift
        u = self.rng.random(n)
        severity = np.where(u < p3, 3, np.where(u < p3 + 0.33 + shift, 2, 1)).astype(np.int8)
        median = np.array([0.0, 2000.0, 20000.0, 200000.0])[severity]
        amount = self._amount(n, median, 0.9, 100.0)
        no_fine = self.rng.random(n) < 0.08  # warnings, confiscation only
        amount = np.where(no_fine & (severity == 1), np.nan, amount)
        p_repair = np.array([0.0, 0.45, 0.30, 0.08])[severity] * sigmoid(1.0 - r) * 2
        min_months = np.array([0, 3, 12, 36])[severity]
        repair_at = business_day(add_months(days, min_months + self.rng.integers(0, 13, n)))
        repaired = np.where((self.rng.random(n) < p_repair) & (repair_at <= self.period.end_day),
                            repair_at, NO_DATE).astype(np.int32)
        self._protect(ents, np.where(repaired == NO_DATE, NEVER, repaired))
        b.emit("administrative_penalty", ents, days, severity=severity, amount=amount,
               repaired=repaired, details=self._detail("basis", basis) if basis else -1)
        serious = (severity == 3) & (self.rng.random(n) < 0.25)
        when = add_business_days(days[serious], self.rng.integers(10, 45, int(serious.sum())))
        self.schedule.add("serious_from_penalty", ents[serious], when)

    # ----------------------------------------------------------------- setup
    def _schedule_birth_licences(self) -> None:
        ent = self.ent
        needs = ent.born_in_period & ((ent.tags != 0) | (self.rng.random(ent.n) < 0.15))
        e = np.flatnonzero(needs)
        when = add_business_days(ent.established[e], self.rng.integers(3, 30, e.shape[0]))
        self.schedule.add("birth_licence", e, when)

    def _burn_in(self, months: int) -> None:
        """Advance the excitation with the Poisson adverse types for enterprises alive at the
        start (mechanism-driven events are left out)."""
        alive = np.flatnonzero(~self.ent.born_in_period)
        adverse = [(k, spec, ADVERSE_WEIGHTS[spec.code]) for k, spec in enumerate(POISSON_TYPES)
                   if spec.code in ADVERSE_WEIGHTS]
        share = {"complaint": 0.35, "product_quality_sampling": 0.1, "licence": 0.005}
        for _ in range(months):
            weight = np.zeros(self.ent.n)
            lvl = np.minimum(self.exc.level[alive], 5.0)
            for k, spec, w in adverse:
                lam = self.static[k][alive] * np.exp(spec.excite * lvl)
                counts = poisson_small(self.rng, lam, spec.kmax)
                weight[alive] += w * share.get(spec.code, 1.0) * counts * BURN_IN_LIFT
            self.exc.update(weight)

    def legacy(self, b: RecordBuilder) -> None:
        """List entries opened before the period and still open at its start."""
        ent, p, rng = self.ent, self.period, self.rng
        start = p.start_day
        alive = np.flatnonzero(~ent.born_in_period)
        r = self.risk[alive]
        lift = np.exp(1.1 * r)
        lift /= lift.mean() if lift.size else 1.0
        # Abnormal listings for missing annual reports in one of the last three Julys.
        hit = rng.random(alive.shape[0]) < np.minimum(0.06 * lift, 0.9)
        e = alive[hit]
        back = rng.integers(1, 4, e.shape[0])
        day = business_day(self._july_before(back) + rng.integers(0, 10, e.shape[0]))
        ok = (day > ent.established[e] + 365) & (day < start)
        e, day = e[ok], day[ok]
        until = np.where(rng.random(e.shape[0]) < 0.3 * sigmoid(0.5 - self.risk[e]),
                         uniform_days(rng, np.full(e.shape[0], start),
                                      np.full(e.shape[0], p.end_day)), NEVER)
        until = np.where(until == NEVER, NEVER, business_day(until, p.end_day)).astype(np.int32)
        self.list_abnormal(b, e, day, "annual_report_missing", until=until)
        # Serious dishonesty and dishonest debtors.
        for kind, base, back_months in (("serious", 0.004, 30), ("debtor", 0.006, 24)):
            hit = rng.random(alive.shape[0]) < np.minimum(base * lift, 0.5)
            e = alive[hit]
            lo = np.maximum(add_months(np.full(e.shape[0], start), -back_months),
                            ent.established[e] + 180)
            day = business_day(uniform_days(rng, lo, np.full(e.shape[0], start - 1)), start - 1)
            ok = day < start
            e, day = e[ok], day[ok]
            if kind == "serious":
                self.list_serious(b, e, day, "legacy")
            else:
                self.list_debtor(b, e, day, self._amount(e.shape[0], 80000.0, 1.3, 100.0))

    def _july_before(self, years_back: np.ndarray) -> np.ndarray:
        """First day of July ``years_back`` years before the period's start year (or the
        start year's July when the period starts after it)."""
        p = self.period
        year = p.year(0) - years_back + (p.calendar_month(0) > 7)
        months = (year - 1970) * 12 + 6
        return (np.asarray(months).astype("datetime64[M]").astype("datetime64[D]")
                .astype(np.int64).astype(np.int32))

    # ----------------------------------------------------------------- month
    def step(self, t: int) -> tuple[Columns, Columns, np.ndarray]:
        """Generate month ``t``: returns record columns (with collected day and record seq),
        inspection columns and the flat inspection item indices."""
        p, rng, ent = self.period, self.rng, self.ent
        m0, m1 = p.bounds(t)
        cal = p.calendar_month(t)
        self.month = t
        self.exc.trend = self.scenario.trend(t, p.months, ent.section, self.section_letters)
        b = RecordBuilder(rng)
        if t == 0:
            self.legacy(b)
        due = self.schedule.pop(t)
        self._deaths(b, t, m0, m1)

        lo = np.maximum(m0, ent.established)
        hi = np.minimum(m1, self.death)
        alive = np.flatnonzero(lo <= hi)
        exposure = (hi[alive] - lo[alive] + 1) / (m1 - m0 + 1)
        level = np.minimum(self.exc.level, 5.0)

        self._poisson(b, alive, exposure, level, m0, m1, cal)
        self._follow_ups(b, due)
        self._annual_reports(b, t, m0, m1, cal, alive)
        self._three_year_rule(b, m0, m1, alive)
        self._role_changes(b, m0, m1)
        self._grades(b, cal, alive, level, m0, m1)
        insp, items = inspections.spot_checks(self, b, t, alive, exposure, level, m0, m1)

        records = b.build()
        self.exc.update(self._adverse(records, m0))
        return self._finish(records, m0 if t > 0 else None), insp, items

    def _finish(self, rec: Columns, floor: int | None) -> Columns:
        """Collection day (working-day delays; some departments are slower; never before
        ``floor``, the first day not yet exported), record number, department label; later
        dates past the period end are not known yet."""
        n = rec["ent"].shape[0]
        late = np.isin(rec["dept"], self.late_depts)
        delay = delays(self.rng, n)
        if late.any():
            delay[late] = delays(self.rng, int(late.sum()), LATE_DELAYS)
        rec["collected"] = add_business_days(rec["occurred"], delay)
        if floor is not None:  # a late follow-up of an earlier month reaches us this month
            rec["collected"] = np.maximum(rec["collected"], business_day(np.array([floor]))[0])
        rec["seq"] = np.arange(self.seq, self.seq + n, dtype=np.int64)
        self.seq += n
        todo = rec["label"] < 0
        rec["label"][todo] = self.geo.department_index(
            self.rng, self.ent.region[rec["ent"][todo]], rec["dept"][todo].astype(np.int32))
        for name in ("removed", "repaired", "revoked"):
            col = rec[name]
            col[(col != NO_DATE) & (col > self.period.end_day)] = NO_DATE
        return rec

    def _adverse(self, rec: Columns, m0: int) -> np.ndarray:
        """Adverse weight per enterprise from this month's records."""
        weight = np.zeros(len(TYPE_CODES))
        for code, w in ADVERSE_WEIGHTS.items():
            weight[TYPE_CODES.index(code)] = w
        w = weight[rec["rtype"]]
        conditional = {"spot_check": ("problem_found", "not_located"),
                       "product_quality_sampling": ("fail",), "complaint": ("substantiated",),
                       "licence": ("revoked",)}
        for code, outcomes in conditional.items():
            is_type = rec["rtype"] == TYPE_CODES.index(code)
            ok = np.isin(rec["outcome"], [OUTCOME_INDEX[o] for o in outcomes])
            w = np.where(is_type & ~ok, 0.0, w)
        severe = rec["severity"] == 3
        w = np.where(severe & (rec["rtype"] == TYPE_CODES.index("administrative_penalty")),
                     1.5 * w, w)
        return np.bincount(rec["ent"], weights=w, minlength=self.ent.n)

    # ----------------------------------------------------------------- mechanisms
    def _deaths(self, b: RecordBuilder, t: int, m0: int, m1: int) -> None:
        """Deregistration (blocked while listed) and revocation (mostly long-listed shells)."""
        ent, rng = self.ent, self.rng
        cand = np.flatnonzero((ent.established < m0) & (self.death == NEVER)
                              & (self.protected < m1))
        if cand.size == 0:
            return
        r = self.risk[cand]
        listed = (self._open(self.abn_since, self.abn_until, cand, np.full(cand.size, m0))
                  | self._open(self.sd_since, self.sd_until, cand, np.full(cand.size, m0))
                  | self._open(self.debtor_since, self.debtor_until, cand,
                               np.full(cand.size, m0)))
        long_listed = listed & (self.abn_until[cand] == NEVER) & (
            self.abn_since[cand] != NO_DATE) & (self.abn_since[cand] <= m0 - 180)
        h_dereg = 0.0045 * np.exp(0.35 * r) * np.where(self.individual[cand], 1.4, 1.0)
        h_dereg = np.where(listed, 0.0, h_dereg)
        h_revoke = np.where(long_listed, 0.03, 0.0002 * np.exp(0.8 * r))
        u = rng.random(cand.size)
        dereg = u < h_dereg
        revoke = ~dereg & (u < h_dereg + h_revoke)
        dying = cand[dereg | revoke]
        lo = np.maximum(m0, self.protected[dying] + 1)
        day = np.maximum(business_day(uniform_days(rng, lo, np.full(dying.size, m1)), m1), lo)
        self.death[dying] = day
        self.status[dying] = np.where(dereg[dereg | revoke], DEREGISTERED, REVOKED)
        # Creditors object to some simplified deregistrations during the notice period.
        d = dying[dereg[dereg | revoke]]
        dd = day[dereg[dereg | revoke]]
        obj = rng.random(d.size) < 0.02 + 0.15 * sigmoid(self.risk[d] - 1.5)
        when = np.maximum(dd[obj] - rng.integers(3, 21, int(obj.sum())), ent.established[d[obj]])
        b.emit("deregistration_objection", d[obj], business_day(when, dd[obj]))

    def _poisson(self, b: RecordBuilder, alive: np.ndarray, exposure: np.ndarray,
                 level: np.ndarray, m0: int, m1: int, cal: int) -> None:
        rng = self.rng
        season = MONTH_SEASON[cal - 1]
        lvl = level[alive]
        for k, spec in enumerate(POISSON_TYPES):
            lam = self.static[k][alive] * (exposure * season)
            if spec.excite:
                lam = lam * np.exp(spec.excite * lvl)
            if (spec.code in self.scenario.campaign_types
                    and self.scenario.in_campaign(self.month, self.period.months)):
                lam = lam * np.where(self.campaign_area[alive], self.scenario.campaign_lift, 1.0)
            counts = poisson_small(rng, lam, spec.kmax)
            ents = np.repeat(alive, counts)
            if ents.size == 0:
                continue
            days = self._days(ents, m0, m1)
            getattr(self, "_emit_" + spec.code)(b, ents, days)

    def _emit_administrative_levy(self, b: RecordBuilder, e: np.ndarray, d: np.ndarray) -> None:
        median = 3000.0 * np.exp(0.6 * self.ent.capz[e]) * np.where(self.individual[e], 0.2, 1)
        b.emit("administrative_levy", e, d, amount=self._amount(e.size, median, 1.2, 0.01))

    def _emit_administrative_confirmation(self, b: RecordBuilder, e: np.ndarray,
                                          d: np.ndarray) -> None:
        b.emit("administrative_confirmation", e, d)

    def _emit_licence(self, b: RecordBuilder, e: np.ndarray, d: np.ndarray) -> None:
        n = e.size
        p_revoke = np.minimum(0.004 * np.exp(1.2 * self.risk[e] + self.exc.level[e]), 0.3)
        u = self.rng.random(n)
        choice = np.where(u < p_revoke, 2, np.where(u < p_revoke + 0.4, 1, 0))
        b.emit("licence", e, d, outcome=self._outcome(("granted", "renewed", "revoked"),
                                                      choice=choice))

    def _emit_registration_change(self, b: RecordBuilder, e: np.ndarray, d: np.ndarray) -> None:
        names = tuple(o for o, _ in CHANGE_OUTCOMES)
        probs = np.array([w for _, w in CHANGE_OUTCOMES])
        choice = self.rng.choice(len(names), size=e.size, p=probs / probs.sum())
        b.emit("registration_change", e, d, outcome=self._outcome(names, choice=choice))

    def _emit_department_notice(self, b: RecordBuilder, e: np.ndarray, d: np.ndarray) -> None:
        b.emit("department_notice", e, d)

    def _emit_credit_commitment(self, b: RecordBuilder, e: np.ndarray, d: np.ndarray) -> None:
        n = e.size
        due = d + self.rng.integers(90, 366, n)
        kept = self.rng.random(n) < sigmoid(2.6 - 1.0 * self.risk[e] - self.exc.level[e])
        choice = np.where(due > self.period.end_day, 0, np.where(kept, 1, 2))
        b.emit("credit_commitment", e, d,
               outcome=self._outcome(("pending", "kept", "broken"), choice=choice))

    def _emit_small_business_support(self, b: RecordBuilder, e: np.ndarray,
                                     d: np.ndarray) -> None:
        b.emit("small_business_support", e, d,
               amount=self._amount(e.size, 30000.0, 1.0, 100.0))

    def _emit_complaint(self, b: RecordBuilder, e: np.ndarray, d: np.ndarray) -> None:
        n = e.size
        recent = d > self.period.end_day - 45
        pending = recent & (self.rng.random(n) < 0.7) | (self.rng.random(n) < 0.03)
        subst = self.rng.random(n) < sigmoid(-1.9 + 0.8 * self.risk[e] + 0.5 * self.exc.level[e])
        choice = np.where(pending, 2, np.where(subst, 0, 1))
        b.emit("complaint", e, d, outcome=self._outcome(
            ("substantiated", "unsubstantiated", "pending"), choice=choice))

    def _emit_judicial(self, b: RecordBuilder, e: np.ndarray, d: np.ndarray) -> None:
        amount = self._amount(e.size, 150000.0 * np.exp(0.3 * self.ent.capz[e]), 1.4, 1.0)
        b.emit("judicial", e, d, amount=amount)
        p = 0.03 + 0.15 * sigmoid(2.0 * (self.risk[e] - 1.5))
        hit = self.rng.random(e.size) < p
        when = add_business_days(add_months(d[hit], self.rng.integers(2, 11, int(hit.sum()))), 0)
        self.schedule.add("debtor_from_judicial", e[hit], when,
                          amount=np.round(amount[hit] * self.rng.uniform(0.3, 1.0, int(hit.sum())),
                                          2))

    def _emit_honour(self, b: RecordBuilder, e: np.ndarray, d: np.ndarray) -> None:
        b.emit("honour", e, d)

    def _emit_administrative_penalty(self, b: RecordBuilder, e: np.ndarray,
                                     d: np.ndarray) -> None:
        self.penalties(b, e, d)

    def _emit_product_quality_sampling(self, b: RecordBuilder, e: np.ndarray,
                                       d: np.ndarray) -> None:
        n = e.size
        tags = self.ent.tags[e]
        domain = np.full(n, DOMAIN_INDEX["industrial_product"], np.int8)
        for name in ("cosmetics", "medical_device", "drug", "food"):  # later wins
            has = (tags & (1 << DOMAIN_INDEX[name])) != 0
            domain[has] = DOMAIN_INDEX[name]
        fail = self.rng.random(n) < sigmoid(-2.6 + 0.9 * self.risk[e] + 0.6 * self.exc.level[e])
        b.emit("product_quality_sampling", e, d, domain=domain,
               outcome=self._outcome(("pass", "fail"), choice=fail.astype(int)))
        hit = fail & (self.rng.random(n) < 0.4)
        when = add_months(d[hit], self.rng.integers(1, 4, int(hit.sum())))
        self.schedule.add("penalty", e[hit], business_day(when),
                          basis=np.full(int(hit.sum()), 1))

    def _emit_unlicensed_operation(self, b: RecordBuilder, e: np.ndarray, d: np.ndarray) -> None:
        u = self.rng.random(e.size)
        severity = np.where(u < 0.7, 1, np.where(u < 0.97, 2, 3)).astype(np.int8)
        b.emit("unlicensed_operation", e, d, severity=severity)

    def _emit_arbitration(self, b: RecordBuilder, e: np.ndarray, d: np.ndarray) -> None:
        b.emit("arbitration", e, d, amount=self._amount(e.size, 40000.0, 1.0, 1.0))

    def _emit_equity_pledge(self, b: RecordBuilder, e: np.ndarray, d: np.ndarray) -> None:
        cap = np.nan_to_num(self.ent.capital[e], nan=100.0) * 10000
        amount = np.round(cap * self.rng.uniform(0.1, 1.0, e.size), -2)
        b.emit("equity_pledge", e, d, amount=np.maximum(amount, 100.0))

    def _emit_ip_pledge(self, b: RecordBuilder, e: np.ndarray, d: np.ndarray) -> None:
        b.emit("ip_pledge", e, d, amount=self._amount(e.size, 1_000_000.0, 1.0, 1000.0))

    def _emit_deregistration_objection(self, b: RecordBuilder, e: np.ndarray,
                                       d: np.ndarray) -> None:
        b.emit("deregistration_objection", e, d)

    def _emit_abnormal_operation(self, b: RecordBuilder, e: np.ndarray, d: np.ndarray) -> None:
        reasons = ("instant_info_missing", "false_disclosure")
        pick = self.rng.random(e.size) < 0.7
        for flag, reason in zip((pick, ~pick), reasons, strict=True):
            self.list_abnormal(b, e[flag], d[flag], reason, p_remove=0.5, months=(1, 10))

    def _emit_dishonest_debtor(self, b: RecordBuilder, e: np.ndarray, d: np.ndarray) -> None:
        self.list_debtor(b, e, d, self._amount(e.size, 80000.0, 1.3, 100.0))

    def _emit_serious_dishonesty(self, b: RecordBuilder, e: np.ndarray, d: np.ndarray) -> None:
        self.list_serious(b, e, d, "other")

    def _follow_ups(self, b: RecordBuilder, due: dict[str, dict[str, np.ndarray]]) -> None:
        """Events planned in earlier months; skipped for enterprises that ended meanwhile."""
        for kind, cols in due.items():
            alive = self._alive_on(cols["ent"], cols["day"])
            c = {k: v[alive] for k, v in cols.items()}
            e, d = c["ent"], c["day"]
            if kind == "penalty":
                basis = np.array(["spot_check", "product_quality_sampling"])
                for i, name in enumerate(basis):
                    sel = c["basis"] == i
                    self.penalties(b, e[sel], d[sel], shift=0.03, basis=str(name))
            elif kind == "serious_from_penalty":
                self.list_serious(b, e, d, "serious_penalty")
            elif kind == "debtor_from_judicial":
                self.list_debtor(b, e, d, c["amount"], basis="judicial")
            elif kind == "joint_punishment":
                b.emit("joint_punishment", e, d, removed=c["removed"], details=c["basis"])
            elif kind == "abnormal_not_located":
                self.list_abnormal(b, e, d, "not_located", p_remove=0.2, months=(2, 12))
            elif kind == "late_report":
                b.emit("annual_report", e, d, outcome=self._outcome(("late",)))
            elif kind == "report_correction":
                b.emit("annual_report", e, d, outcome=self._outcome(("corrected",)))
            elif kind == "birth_licence":
                b.emit("licence", e, d, outcome=self._outcome(("granted",)))
            else:  # pragma: no cover - programming error
                raise ValueError(f"unknown follow-up kind {kind!r}")

    def _annual_reports(self, b: RecordBuilder, t: int, m0: int, m1: int, cal: int,
                        alive: np.ndarray) -> None:
        """Reports for the previous year filed Jan-Jun; non-filers listed in July, some of
        which file late later (removal from the list follows)."""
        p, rng, ent = self.period, self.rng, self.ent
        year = p.year(t)
        jan1 = int(p.month_start_of(np.array([t - cal + 1]))[0])
        if cal <= 6 and self.ar_year != year:
            self.ar_year = year
            self.ar_day[:] = NO_DATE
            e = alive[(ent.established[alive] < jan1)]
            dormant = (self.abn_since[e] != NO_DATE) & (self.abn_until[e] == NEVER)
            e = e[~dormant]
            r = self.risk[e]
            files = rng.random(e.size) < sigmoid(3.4 - 1.3 * r - 0.5 * self.exc.level[e])
            e = e[files]
            shares = _AR_MONTH_SHARES[cal - 1:]
            month = cal + rng.choice(shares.size, size=e.size, p=shares / shares.sum())
            first = p.month_start_of(t + month - cal)
            last = p.month_start_of(t + month - cal + 1) - 1
            self.ar_day[e] = business_day(uniform_days(rng, first, last), last)
        if cal <= 6 and self.ar_year == year:
            e = alive[(self.ar_day[alive] >= m0) & (self.ar_day[alive] <= m1)]
            d = self.ar_day[e]
            ok = self._alive_on(e, d)
            e, d = e[ok], d[ok]
            b.emit("annual_report", e, d, outcome=self._outcome(("on_time",)))
            fix = rng.random(e.size) < 0.02
            self.schedule.add("report_correction", e[fix],
                              business_day(d[fix] + rng.integers(20, 150, int(fix.sum()))))
        if cal == 7 and self.ar_year == year:
            e = alive[(ent.established[alive] < jan1) & (self.ar_day[alive] == NO_DATE)]
            day = business_day(np.full(e.size, m0) + rng.integers(0, 10, e.size), m1)
            ok = self._alive_on(e, day) & ~self._open(self.abn_since, self.abn_until, e, day)
            e, day = e[ok], day[ok]
            late = rng.random(e.size) < 0.6 * sigmoid(0.8 - self.risk[e])
            wait = 1 + rng.geometric(0.18, e.size)
            filed = business_day(add_months(day, wait) + rng.integers(0, 25, e.size))
            filed_ok = late & (filed <= p.end_day)
            removal = business_day(add_business_days(filed, rng.integers(1, 10, e.size)))
            until = np.where(filed_ok & (removal <= p.end_day), removal, NEVER).astype(np.int32)
            self.list_abnormal(b, e, day, "annual_report_missing", until=until)
            self.schedule.add("late_report", e[filed_ok], filed[filed_ok])
            self._protect(e[filed_ok], filed[filed_ok])

    def _three_year_rule(self, b: RecordBuilder, m0: int, m1: int, alive: np.ndarray) -> None:
        """Three years on the abnormal list moves an enterprise to the serious list."""
        listed = alive[self.abn_since[alive] != NO_DATE]
        trigger = business_day(add_months(self.abn_since[listed], 36))
        due = (trigger >= m0) & (trigger <= m1) & (self.abn_until[listed] > trigger)
        due &= self.rng.random(listed.size) < THREE_YEAR_SHARE
        e, d = listed[due], trigger[due]
        ok = self._alive_on(e, d)
        self.list_serious(b, e[ok], d[ok], "abnormal_3_years")

    def _role_changes(self, b: RecordBuilder, m0: int, m1: int) -> None:
        ch = self.changes
        sel = (ch["day"] >= m0) & (ch["day"] <= m1)
        e, d, role = ch["ent"][sel], ch["day"][sel].astype(np.int32), ch["role"][sel]
        ok = self._alive_on(e, d)
        b.emit("registration_change", e[ok], d[ok], outcome=self._outcome(
            ("legal_representative", "shareholder"), choice=role[ok].astype(int)))

    def _grades(self, b: RecordBuilder, cal: int, alive: np.ndarray, level: np.ndarray,
                m0: int, m1: int) -> None:
        """Yearly domain risk grade (A-D) per supervised domain, tracking the hidden risk."""
        e = alive[(self.grade_month[alive] == cal) & (self.ent.tags[alive] != 0)]
        if e.size == 0:
            return
        for name in GRADED_DOMAINS:
            bit = 1 << DOMAIN_INDEX[name]
            g = e[(self.ent.tags[e] & bit) != 0]
            if g.size == 0:
                continue
            score = self.risk[g] + 0.6 * level[g] + self.rng.normal(0, 0.6, g.size)
            grade = np.searchsorted(self.grade_cuts, score)
            dept = DEPT_INDEX["YJJ"] if name in ("drug", "medical_device", "cosmetics") \
                else DEPT_INDEX["SCJG"]
            b.emit("domain_risk_grade", g, self._days(g, m0, m1), domain=DOMAIN_INDEX[name],
                   outcome=self._outcome(RISK_GRADES, choice=grade), dept=dept)

    def hidden_risk(self) -> np.ndarray:
        """Risk logit at the end of the simulated months (base + excitation)."""
        return self.risk + self.exc.level

