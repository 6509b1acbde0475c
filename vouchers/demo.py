"""Demo vouchers for ``seed_demo``: budgets, three months of issuance (before the demo
services, so that they are paid with vouchers) and the expiry of past months."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from vouchers import actions
from vouchers.models import RunTrigger, StationBudget, add_months


def seed_voucher_issuance(command, stations, users) -> None:
    today = timezone.localdate()
    for station in stations.values():
        StationBudget.objects.get_or_create(
            station=station, year=today.year, defaults={"amount": Decimal("60000.00")}
        )
    this_month = today.replace(day=1)
    created = 0
    for back in (2, 1, 0):
        result = actions.month_issue(
            month=add_months(this_month, -back),
            stations=list(stations.values()),
            trigger=RunTrigger.DEMO,
        )
        created += result.grants_created
    command.stdout.write(f"vouchers: {created} new grants")


def seed_voucher_expiry(command, stations, users) -> None:
    expired = actions.vouchers_expire(timezone.localdate())
    command.stdout.write(f"vouchers: {expired} grants expired")
