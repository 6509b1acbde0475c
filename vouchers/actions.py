"""Writes of the vouchers app: monthly issuance, approval, expiry.

Issuance is exactly-once per station-month:

* one transaction for the whole run, so a run that dies half-way leaves nothing
  and the next run starts clean;
* a transaction-level advisory lock per station-month, taken in one order, so a
  second run of the same station-month waits for the first and then finds
  nothing to do;
* the database refuses a second grant for one elder and month
  (``grant_once_per_month``); the insert skips it (``ON CONFLICT DO NOTHING``).

The grants are written set-based: one statement computes every elder's tier on
the 1st of the month with the eligibility module's set form, inserts the grants
and their ledger entries, and returns the counts per station and tier.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecenter.audit import audit_context, register_reasons
from carecenter.models import Station, User
from carecenter.scoping import require_write
from elders.eligibility import annotate_tier
from elders.models import Elder, Tier
from vouchers import ledger
from vouchers.models import (
    ZERO,
    Cycle,
    CycleStatus,
    Grant,
    IssuanceRun,
    RunTrigger,
    VoucherPolicy,
    add_months,
)

log = logging.getLogger("carecenter.vouchers")

register_reasons(
    {
        "vouchers.voucher_cycle_approved": gettext_lazy("voucher cycle approved"),
        "vouchers.voucher_expiry": gettext_lazy("voucher expiry"),
        "vouchers.voucher_issuance": gettext_lazy("voucher issuance"),
        "vouchers.voucher_issuance_of_ended_month": gettext_lazy(
            "voucher issuance of an ended month: %(note)s"
        ),
    }
)

#: Advisory-lock namespace of issuance (the first key of pg_advisory_xact_lock).
_LOCK_SPACE = 0x766F75  # "vou"
_GRANTED_TIERS = (Tier.FREE, Tier.LOW_COST)


def policy_for(district_id: int, month: datetime.date) -> VoucherPolicy:
    """The district's policy in force in ``month``; the defaults if it has none."""
    return policies_for({district_id}, month)[district_id]


def policies_for(district_ids, month: datetime.date) -> dict[int, VoucherPolicy]:
    """Each district's policy in force in ``month``, in one query."""
    found = {}
    for policy in VoucherPolicy.objects.filter(
        district_id__in=district_ids, effective_from__lte=month
    ).order_by("district_id", "-effective_from"):
        found.setdefault(policy.district_id, policy)
    return {d: found.get(d) or VoucherPolicy(district_id=d) for d in district_ids}


@dataclass
class IssueResult:
    month: datetime.date
    cycles: list[Cycle] = field(default_factory=list)
    runs: list[IssuanceRun] = field(default_factory=list)
    #: Stations left out because the annual inspection stopped their funding.
    stopped: list[Station] = field(default_factory=list)

    @property
    def grants_created(self) -> int:
        return sum(r.grants_created for r in self.runs)

    @property
    def amount_created(self) -> Decimal:
        return sum((r.amount_created for r in self.runs), ZERO)


def month_issue(
    *,
    month: datetime.date,
    stations=None,
    actor: User | None = None,
    trigger: str = RunTrigger.SCHEDULE,
    reason: str = "",
) -> IssueResult:
    """Issue ``month``'s vouchers for ``stations`` (default: every active station).

    The engine of every issuance. It does not judge the month: the doors that
    take a month from a person (``cycle_issue``, the command, the API, the task
    with an explicit month) check it with ``issue_month_check`` first.

    A station whose funding the annual inspection stopped for the month gets
    nothing: no cycle, no run (``Station.funded_in``, set by the inspection's
    decision).
    """
    month = month.replace(day=1)
    if stations is None:
        stations = Station.objects.filter(is_active=True)
    stations = sorted(stations, key=lambda s: s.pk)
    result = IssueResult(month=month)
    funded = set(
        Station.objects.filter(pk__in=[s.pk for s in stations])
        .funded_in(month)
        .values_list("pk", flat=True)
    )
    result.stopped = [s for s in stations if s.pk not in funded]
    stations = [s for s in stations if s.pk in funded]
    if not stations:
        return result
    with (
        transaction.atomic(),
        audit_context(
            user=actor,
            reason="vouchers.voucher_issuance_of_ended_month"
            if reason
            else "vouchers.voucher_issuance",
            **({"note": reason} if reason else {}),
        ),
    ):
        _lock(month, stations)
        policies = policies_for({s.district_id for s in stations}, month)
        cycles = _cycles_for(month, stations, policies)
        now = timezone.now()
        runs = IssuanceRun.objects.bulk_create(
            [
                IssuanceRun(
                    station=s,
                    cycle=cycles[s.pk],
                    trigger=trigger,
                    started_by=actor,
                    started_at=now,
                    reason=reason,
                )
                for s in stations
            ]
        )
        by_station = {r.station_id: r for r in runs}
        summary = _insert_grants(month, stations, policies, cycles, by_station, actor)
        for (station_id, tier), (count, amount) in summary.items():
            run = by_station[station_id]
            run.grants_created += count
            run.amount_created += amount
            if tier == Tier.FREE:
                run.free_count, run.free_amount = count, amount
            else:
                run.low_cost_count, run.low_cost_amount = count, amount
        finished = timezone.now()
        for run in runs:
            run.finished_at = finished
        IssuanceRun.objects.bulk_update(
            runs,
            [
                "finished_at",
                "grants_created",
                "amount_created",
                "free_count",
                "free_amount",
                "low_cost_count",
                "low_cost_amount",
            ],
        )
        _refresh_cycles(month, list(cycles.values()), policies, stations)
    result.cycles = [cycles[s.pk] for s in stations]
    result.runs = runs
    log.info(
        "voucher issuance %s: %d stations, %d grants, %s",
        f"{month:%Y-%m}",
        len(stations),
        result.grants_created,
        result.amount_created,
    )
    return result


def issue_month_check(
    *,
    month: datetime.date,
    actor: User | None,
    reason: str = "",
    today: datetime.date | None = None,
) -> str:
    """No back-dated money: the one rule of which months may be issued.

    The current month and the next may be issued by anyone who may issue. An
    earlier month only by an administrator, with a written reason (kept on the
    run and in the audit trail). Later months not at all. Returns the reason to
    record ("" for the current and the next month); raises ``ValidationError``.
    """
    today = today or timezone.localdate()
    month = month.replace(day=1)
    this_month = today.replace(day=1)
    if month > add_months(this_month, 1):
        raise ValidationError(
            _(
                "Vouchers can be issued for this month and the next only; "
                "%(month)s is too far ahead."
            )
            % {"month": f"{month:%Y-%m}"}
        )
    if month >= this_month:
        return ""
    if actor is None or not actor.is_administrator:
        raise ValidationError(
            _(
                "%(month)s has ended: vouchers are issued for this month and the "
                "next only. An administrator can issue an ended month, with a "
                "reason."
            )
            % {"month": f"{month:%Y-%m}"}
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Say why vouchers are issued for %(month)s, a month that has ended.")
            % {"month": f"{month:%Y-%m}"}
        )
    return reason


def cycle_issue(
    *,
    actor: User | None,
    station: Station,
    month: datetime.date,
    trigger: str,
    reason: str = "",
) -> IssueResult:
    """Issue one station's month by hand (a manager, an administrator, the API).

    Only this month and the next, or an ended month by an administrator with a
    reason (``issue_month_check``).
    """
    if actor is not None:
        require_write(actor, station, manager=True)
    reason = issue_month_check(month=month, actor=actor, reason=reason)
    if not station.is_active:
        raise ValidationError(_("This station is closed and receives no vouchers."))
    result = month_issue(
        month=month, stations=[station], actor=actor, trigger=trigger, reason=reason
    )
    if reason:
        log.warning(
            "back-dated voucher issuance %s for station %s by user=%s: %s",
            f"{month:%Y-%m}",
            station.code,
            actor.pk if actor else None,
            reason,
        )
    if result.stopped:
        raise ValidationError(
            _(
                "The annual inspection stopped this station's funding: it receives "
                "no vouchers for this month."
            )
        )
    return result


def _lock(month: datetime.date, stations) -> None:
    """Wait for any other run of these station-months; released at commit."""
    base = _LOCK_SPACE * 10**12 + (month.year * 100 + month.month) * 10**6
    with connection.cursor() as cursor:
        for station in stations:  # sorted by pk: two runs never deadlock
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [base + station.pk])


def _cycles_for(month, stations, policies) -> dict[int, Cycle]:
    """Every station's cycle of ``month``, created if missing, locked for the run."""
    Cycle.objects.bulk_create(
        [
            Cycle(
                station=s,
                month=month,
                status=CycleStatus.GENERATING,
                policy=policies[s.district_id] if policies[s.district_id].pk else None,
            )
            for s in stations
        ],
        ignore_conflicts=True,
    )
    cycles = Cycle.objects.select_for_update().filter(
        month=month, station__in=[s.pk for s in stations]
    )
    return {c.station_id: c for c in cycles}


_INSERT_SQL = """
WITH src AS ({elders}),
params (station_id, tier, amount, expires_on, cycle_id, run_id) AS (
    VALUES {values}
),
inserted AS (
    INSERT INTO vouchers_grant
        (station_id, cycle_id, run_id, elder_id, month, tier, reasons,
         amount, remaining, expires_on, created_at)
    SELECT src.station_id, p.cycle_id, p.run_id, src.id, %s, src.tier,
           src.tier_reasons, p.amount, p.amount, p.expires_on, now()
    FROM src JOIN params p ON p.station_id = src.station_id AND p.tier = src.tier
    WHERE p.amount > 0
    ORDER BY src.id
    ON CONFLICT (elder_id, month) DO NOTHING
    RETURNING id, station_id, elder_id, tier, amount, run_id
),
entries AS (
    INSERT INTO vouchers_ledgerentry
        (station_id, elder_id, grant_id, kind, amount, month, run_id, actor_id,
         created_at)
    SELECT station_id, elder_id, id, 'grant', amount, %s, run_id, %s, now()
    FROM inserted
)
SELECT station_id, tier, count(*), sum(amount) FROM inserted GROUP BY station_id, tier
"""


def _insert_grants(month, stations, policies, cycles, runs, actor):
    """One statement: tiers on the 1st, grants, ledger entries; counts per station."""
    elders = (
        annotate_tier(
            Elder.objects.filter(station__in=[s.pk for s in stations]),
            on=month,
            reasons=True,
        )
        .filter(tier__in=_GRANTED_TIERS)
        .order_by()
        .values("id", "station_id", "tier", "tier_reasons")
    )
    elders_sql, elders_params = elders.query.sql_with_params()
    values, params = [], []
    for s in stations:
        policy = policies[s.district_id]
        for tier in _GRANTED_TIERS:
            values.append("(%s, %s, %s::numeric, %s::date, %s, %s)")
            params += [
                s.pk,
                tier,
                policy.amount_for(tier),
                policy.expires_on(month),
                cycles[s.pk].pk,
                runs[s.pk].pk,
            ]
    sql = _INSERT_SQL.format(elders=elders_sql, values=", ".join(values))
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [*elders_params, *params, month, month, actor.pk if actor else None],
        )
        return {(row[0], row[1]): (row[2], row[3]) for row in cursor.fetchall()}


_CHANGES_SQL = """
SELECT coalesce(cur.station_id, prev.station_id),
       count(*) FILTER (WHERE prev.elder_id IS NULL),
       count(*) FILTER (WHERE cur.elder_id IS NULL),
       count(*) FILTER (WHERE cur.tier <> prev.tier)
FROM (SELECT station_id, elder_id, tier FROM vouchers_grant
      WHERE month = %s AND station_id = ANY(%s)) cur
FULL JOIN (SELECT station_id, elder_id, tier FROM vouchers_grant
           WHERE month = %s AND station_id = ANY(%s)) prev
  ON cur.elder_id = prev.elder_id AND cur.station_id = prev.station_id
GROUP BY 1
"""


def _refresh_cycles(month, cycles: list[Cycle], policies, stations) -> None:
    """Counts, totals and changes against last month; the status after the run."""
    ids = [c.station_id for c in cycles]
    totals = defaultdict(dict)
    for row in (
        Grant.objects.filter(cycle__in=cycles)
        .values("cycle_id", "tier")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .order_by()
    ):
        totals[row["cycle_id"]][row["tier"]] = (row["n"], row["total"])
    with connection.cursor() as cursor:
        cursor.execute(_CHANGES_SQL, [month, ids, add_months(month, -1), ids])
        changes = {row[0]: row[1:] for row in cursor.fetchall()}
    district_of = {s.pk: s.district_id for s in stations}
    now = timezone.now()
    for cycle in cycles:
        by_tier = totals[cycle.pk]
        cycle.free_count = by_tier.get(Tier.FREE, (0, ZERO))[0]
        cycle.low_cost_count = by_tier.get(Tier.LOW_COST, (0, ZERO))[0]
        cycle.grants_count = cycle.free_count + cycle.low_cost_count
        cycle.total_amount = sum((t for _n, t in by_tier.values()), ZERO)
        cycle.added_count, cycle.removed_count, cycle.changed_count = changes.get(
            cycle.station_id, (0, 0, 0)
        )
        if cycle.status == CycleStatus.GENERATING:
            if policies[district_of[cycle.station_id]].approval_required:
                cycle.status = CycleStatus.DRAFT
            else:
                cycle.status = CycleStatus.APPROVED
                cycle.approved_at = now
        cycle.updated_at = now
    Cycle.objects.bulk_update(
        cycles,
        [
            "free_count",
            "low_cost_count",
            "grants_count",
            "total_amount",
            "added_count",
            "removed_count",
            "changed_count",
            "status",
            "approved_at",
            "updated_at",
        ],
    )


@transaction.atomic
def cycle_approve(*, actor: User, cycle: Cycle) -> Cycle:
    """The manager releases a draft cycle's vouchers (maker-checker)."""
    require_write(actor, cycle.station, manager=True)
    try:
        cycle = Cycle.objects.select_for_update(nowait=True).get(pk=cycle.pk)
    except DatabaseError:
        raise ValidationError(
            _("This cycle is being generated. Try again in a moment.")
        ) from None
    if cycle.status != CycleStatus.DRAFT:
        raise ValidationError(_("Only a cycle awaiting approval can be approved."))
    if cycle.runs.filter(
        Q(started_by=actor) & ~Q(trigger=RunTrigger.SCHEDULE)
    ).exists():
        raise PermissionDenied(
            _("You ran this issuance by hand; another manager must approve it.")
        )
    cycle.status = CycleStatus.APPROVED
    cycle.approved_by = actor
    cycle.approved_at = timezone.now()
    with audit_context(user=actor, reason="vouchers.voucher_cycle_approved"):
        cycle.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
    return cycle


@transaction.atomic
def vouchers_expire(today: datetime.date | None = None) -> int:
    """Expire what is left of every grant past its validity; safe to repeat."""
    today = today or timezone.localdate()
    with audit_context(reason="vouchers.voucher_expiry"):
        count = ledger.expire(today)
    log.info("voucher expiry on %s: %d grants", today, count)
    return count
