"""The vouchers app's scheduled jobs and their catch-ups (``carecenter.jobs``).

Registered from ``VouchersConfig.ready``. Each catch-up looks for what its job
should have done by now and does it, with the same idempotent action the job
uses, so running it when nothing is due writes nothing.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecenter.jobs import register_job
from carecenter.models import Station
from vouchers import actions
from vouchers.models import Cycle, Grant, ReconciliationRun, RunTrigger
from vouchers.reconcile import reconcile_and_record

#: The monthly issuance is due on the 1st at this local hour (migration
#: 0002_schedule); the catch-up does not issue a month before that.
ISSUE_HOUR = 1
#: The nightly reconciliation; the catch-up runs it when none ran for longer.
RECONCILE_EVERY = datetime.timedelta(hours=25)


def issuance_catch_up(now: datetime.datetime) -> dict | None:
    """Issue this month to every active, funded station that has no cycle for it
    yet: a lost or killed issuance, a machine off on the 1st, a new station."""
    local = timezone.localtime(now)
    month = local.date().replace(day=1)
    if local.day == 1 and local.hour < ISSUE_HOUR:
        return None
    missing = list(
        Station.objects.filter(is_active=True)
        .funded_in(month)
        .exclude(pk__in=Cycle.objects.filter(month=month).values("station_id"))
        .order_by("pk")
    )
    if not missing:
        return None
    result = actions.month_issue(
        month=month, stations=missing, trigger=RunTrigger.CATCH_UP
    )
    return {
        "month": f"{month:%Y-%m}",
        "stations": [s.code for s in missing],
        "grants_created": result.grants_created,
        "amount_created": str(result.amount_created),
    }


def expiry_catch_up(now: datetime.datetime) -> dict | None:
    """Expire what is left of grants past their validity (the nightly job's work)."""
    today = timezone.localtime(now).date()
    if not Grant.objects.filter(remaining__gt=0, expires_on__lt=today).exists():
        return None
    return {"expired": actions.vouchers_expire(today)}


def reconcile_catch_up(now: datetime.datetime) -> dict | None:
    """The reconciliation, when the nightly run has not happened for a day."""
    if ReconciliationRun.objects.filter(
        station__isnull=True, started_at__gt=now - RECONCILE_EVERY
    ).exists():
        return None
    result, _run = reconcile_and_record()
    return {"disagreements": len(result.disagreements)}


def register() -> None:
    register_job(
        "vouchers.issue_monthly",
        _("Monthly voucher issuance"),
        _(
            "On the 1st at 01:00, each free and low-cost service object of every "
            "funded station receives the month's vouchers. Caught up within the "
            "hour for any station still without this month's cycle."
        ),
        catch_up=issuance_catch_up,
        order=10,
    )
    register_job(
        "vouchers.expire",
        _("Nightly voucher expiry"),
        _(
            "Every night at 00:10, what is left of vouchers past their validity "
            "expires. Caught up within the hour if a night was missed."
        ),
        catch_up=expiry_catch_up,
        order=20,
    )
    register_job(
        "vouchers.reconcile",
        _("Nightly reconciliation"),
        _(
            "Every night at 03:30, every grant is checked against its ledger "
            "entries, every cycle against its grants and every provider statement "
            "against its records. A disagreement shows on the administrator's home "
            "page."
        ),
        catch_up=reconcile_catch_up,
        order=30,
    )
