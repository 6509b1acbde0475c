"""The database keeps the voucher money honest whatever a session sets.

Ledger rows refuse UPDATE, DELETE and TRUNCATE with every trigger-bypassing
session setting we know of (pgtrigger's ``ignore``, ``session_replication_role``),
and a grant's balance cannot be changed without its ledger entry: the commit is
refused. Only a schema change by the table's owner (``ALTER TABLE … DISABLE
TRIGGER``) gets past them, and the reconciliation then names the grant.
"""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from vouchers.models import EntryKind, Grant, LedgerEntry
from vouchers.tests.conftest import MONTH, free_elder, issue

#: Every name under which a trigger of the ledger could be asked to stand aside.
IGNORE_ALL = (
    "{pgtrigger_ledger_append_only_00000,ledger_append_only,"
    "ledger_append_only_rows,ledger_append_only_truncate,"
    "grant_agrees_with_ledger_insert,grant_agrees_with_ledger_update,"
    "ledger_entry_moves_its_grant,vouchers.LedgerEntry:ledger_append_only}"
)

SESSION_SETTINGS = {
    "none": [],
    "pgtrigger.ignore": ["SELECT set_config('pgtrigger.ignore', %s, true)"],
    "session_replication_role": ["SET LOCAL session_replication_role = replica"],
    "both": [
        "SELECT set_config('pgtrigger.ignore', %s, true)",
        "SET LOCAL session_replication_role = replica",
    ],
}

TAMPERING = {
    "update": "UPDATE vouchers_ledgerentry SET amount = 1000",
    "delete": "DELETE FROM vouchers_ledgerentry",
    "truncate": "TRUNCATE vouchers_ledgerentry CASCADE",
}


def _apply(cursor, statements):
    for sql in statements:
        cursor.execute(sql, [IGNORE_ALL] if "%s" in sql else None)


@pytest.mark.django_db
@pytest.mark.parametrize("setting", SESSION_SETTINGS)
@pytest.mark.parametrize("statement", TAMPERING)
def test_ledger_rows_refuse_change_under_any_session_setting(cast, setting, statement):
    free_elder(cast.a)
    issue(stations=[cast.a])
    with connection.cursor() as cursor:
        # Run the issuance's deferred checks now: TRUNCATE waits for no event.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(IntegrityError, match="never changed or removed"):
        with transaction.atomic(), connection.cursor() as cursor:
            _apply(cursor, SESSION_SETTINGS[setting])
            cursor.execute(TAMPERING[statement])
    entry = LedgerEntry.objects.get()
    assert (entry.kind, entry.amount) == (EntryKind.GRANT, Decimal("300.00"))


@pytest.mark.django_db
def test_the_orm_cannot_change_or_delete_a_ledger_row(cast):
    free_elder(cast.a)
    issue(stations=[cast.a])
    entry = LedgerEntry.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal("1000.00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        entry.delete()
    assert LedgerEntry.objects.get().amount == Decimal("300.00")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("setting", SESSION_SETTINGS)
@pytest.mark.parametrize(
    "change",
    [
        "UPDATE vouchers_grant SET remaining = remaining - 50",
        "UPDATE vouchers_grant SET amount = 1000, remaining = 1000",
    ],
)
def test_a_bare_update_of_a_grant_s_balance_is_refused_at_commit(cast, setting, change):
    free_elder(cast.a)
    issue(stations=[cast.a])
    with pytest.raises(IntegrityError, match="disagrees with its ledger"):
        with transaction.atomic(), connection.cursor() as cursor:
            _apply(cursor, SESSION_SETTINGS[setting])
            cursor.execute(change)
    grant = Grant.objects.get()
    assert (grant.amount, grant.remaining) == (Decimal("300.00"), Decimal("300.00"))


@pytest.mark.django_db(transaction=True)
def test_a_ledger_entry_without_its_grant_s_move_is_refused_at_commit(cast):
    elder = free_elder(cast.a)
    issue(stations=[cast.a])
    grant = Grant.objects.get()
    with pytest.raises(IntegrityError, match="disagrees with its ledger"):
        LedgerEntry.objects.create(
            station=cast.a,
            elder=elder,
            grant=grant,
            kind=EntryKind.EXPIRY,
            amount=Decimal("-300.00"),
            month=MONTH,
        )
    assert LedgerEntry.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_grant_without_its_grant_entry_is_refused_at_commit(cast):
    elder = free_elder(cast.a)
    issue(stations=[cast.a])
    grant = Grant.objects.get()
    with pytest.raises(IntegrityError, match="disagrees with its ledger"):
        Grant.objects.create(
            station=cast.a,
            cycle=grant.cycle,
            run=grant.run,
            elder=elder,
            month=MONTH.replace(month=10),
            tier="free",
            amount=Decimal("300.00"),
            remaining=Decimal("300.00"),
            expires_on=grant.expires_on.replace(month=10, day=31),
        )
    assert Grant.objects.count() == 1
