"""The voucher ledger: the only code that moves voucher money.

Every movement is a ``LedgerEntry`` and, in the same transaction, a change of the
grant's ``remaining``; so for every elder at every moment

    sum(entries.amount) == sum(grants.remaining)

and both are never negative (the database checks ``0 <= remaining <= amount``).
The write functions must run inside the caller's transaction (``atomic``): the
service-record action that pays, the cancel that reverses, the expiry task.

Concurrency: a redemption locks the elder's spendable grant rows (``FOR UPDATE``,
in one order), so two service records for one elder never spend the same money;
the second waits and sees what the first left.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce

from vouchers.models import (
    ZERO,
    CycleStatus,
    EntryKind,
    Grant,
    LedgerEntry,
)


def _in_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Voucher ledger writes must run inside a transaction.")


def spendable_grants(elder_id: int, on: datetime.date):
    """The grants that can pay for a service on ``on``: approved, in their validity,
    with money left, oldest expiry first."""
    return Grant.objects.filter(
        elder_id=elder_id,
        remaining__gt=0,
        month__lte=on,
        expires_on__gte=on,
        cycle__status=CycleStatus.APPROVED,
    ).order_by("expires_on", "id")


def redeem(
    *,
    elder_id: int,
    amount: Decimal,
    on: datetime.date,
    service_record_id: int,
    actor_id: int | None,
) -> Decimal:
    """Spend up to ``amount`` of the elder's vouchers valid on ``on``; return how much.

    One redemption entry per grant drawn from (oldest expiry first), booked to the
    station that issued the grant.
    """
    _in_transaction()
    if amount <= 0:
        return ZERO
    grants = list(
        spendable_grants(elder_id, on).select_for_update(of=("self",), no_key=True)
    )
    left = amount
    entries = []
    for grant in grants:
        if left <= 0:
            break
        take = min(left, grant.remaining)
        grant.remaining -= take
        left -= take
        entries.append(
            LedgerEntry(
                station_id=grant.station_id,
                elder_id=elder_id,
                grant=grant,
                kind=EntryKind.REDEMPTION,
                amount=-take,
                month=grant.month,
                service_record_id=service_record_id,
                actor_id=actor_id,
            )
        )
    if entries:
        Grant.objects.bulk_update([e.grant for e in entries], ["remaining"])
        LedgerEntry.objects.bulk_create(entries)
    return amount - left


def reverse(*, service_record_id: int, actor_id: int | None) -> Decimal:
    """Give back what a service record spent; return how much. Safe to repeat.

    The money returns to the grant it came from. If that grant has expired
    meanwhile, the next expiry run expires it again.
    """
    _in_transaction()
    redemptions = list(
        LedgerEntry.objects.filter(
            service_record_id=service_record_id, kind=EntryKind.REDEMPTION
        )
        .filter(reversals__isnull=True)
        .order_by("pk")
    )
    if not redemptions:
        return ZERO
    grants = {
        g.pk: g
        for g in Grant.objects.select_for_update(no_key=True)
        .filter(pk__in={e.grant_id for e in redemptions})
        .order_by("pk")
    }
    reversals = []
    for entry in redemptions:
        grant = grants[entry.grant_id]
        grant.remaining -= entry.amount  # the redemption's amount is negative
        reversals.append(
            LedgerEntry(
                station_id=entry.station_id,
                elder_id=entry.elder_id,
                grant_id=entry.grant_id,
                kind=EntryKind.REVERSAL,
                amount=-entry.amount,
                month=entry.month,
                service_record_id=service_record_id,
                reverses=entry,
                actor_id=actor_id,
            )
        )
    Grant.objects.bulk_update(list(grants.values()), ["remaining"])
    LedgerEntry.objects.bulk_create(reversals)
    return sum((r.amount for r in reversals), ZERO)


_EXPIRE_SQL = """
WITH due AS (
    SELECT id, station_id, elder_id, month, remaining
    FROM vouchers_grant
    WHERE remaining > 0 AND expires_on < %(today)s
    ORDER BY id
    FOR NO KEY UPDATE
), emptied AS (
    UPDATE vouchers_grant AS g SET remaining = 0 FROM due WHERE g.id = due.id
)
INSERT INTO vouchers_ledgerentry
    (station_id, elder_id, grant_id, kind, amount, month, created_at)
SELECT station_id, elder_id, id, 'expiry', -remaining, month, now() FROM due
"""


def expire(today: datetime.date) -> int:
    """Expire what is left of every grant whose validity ended before ``today``.

    One statement; re-running it finds nothing left and writes nothing.
    """
    _in_transaction()
    with connection.cursor() as cursor:
        cursor.execute(_EXPIRE_SQL, {"today": today})
        return cursor.rowcount


def balance(elder_id: int) -> Decimal:
    """The sum of the elder's ledger entries."""
    return LedgerEntry.objects.filter(elder_id=elder_id).aggregate(
        total=Coalesce(Sum("amount"), ZERO)
    )["total"]


def spendable(elder_id: int, on: datetime.date) -> Decimal:
    """What the elder can spend on ``on`` (approved, valid, not yet expired)."""
    return spendable_grants(elder_id, on).aggregate(
        total=Coalesce(Sum("remaining"), ZERO)
    )["total"]
