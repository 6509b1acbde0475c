"""Celery tasks of the vouchers app; beat runs them (see migration 0002_schedule)."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.utils import timezone

from vouchers import actions
from vouchers.models import RunTrigger
from vouchers.reconcile import reconcile_and_record

log = logging.getLogger("carecenter.vouchers")


@shared_task(name="vouchers.issue_monthly")
def issue_monthly(month: str | None = None) -> dict:
    """Issue a month's vouchers to every active station (default: this month).

    Exactly-once: a repeated or concurrent delivery of the task waits for the
    first and then issues nothing more.
    """
    if month:
        # A month named by whoever sent the task: this month or the next only.
        day = datetime.date.fromisoformat(f"{month}-01")
        actions.issue_month_check(month=day, actor=None)
    else:
        day = timezone.localdate()
    result = actions.month_issue(month=day, trigger=RunTrigger.SCHEDULE)
    return {
        "month": f"{result.month:%Y-%m}",
        "stations": len(result.runs),
        "grants_created": result.grants_created,
        "amount_created": str(result.amount_created),
    }


@shared_task(name="vouchers.expire")
def expire(today: str | None = None) -> int:
    """Expire what is left of vouchers past their validity; safe to repeat."""
    day = datetime.date.fromisoformat(today) if today else None
    return actions.vouchers_expire(day)


@shared_task(name="vouchers.reconcile")
def reconcile() -> dict:
    """The nightly reconciliation; a disagreement shows on the administrator's
    home page (``vouchers.queries.reconciliation_alert``)."""
    result, _run = reconcile_and_record()
    if result.disagreements:
        log.error(
            "voucher reconciliation: %d disagreements, first: %s",
            len(result.disagreements),
            result.disagreements[0],
        )
    return {
        "disagreements": len(result.disagreements),
        "checked": result.checked,
        "seconds": round(result.seconds, 1),
    }
