"""The ledger: redemption (oldest expiry first), reversal, expiry, append-only rows,
and the money invariants under random sequences of operations (hypothesis)."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services import actions as service_actions
from services.tests.factories import service_type
from vouchers import actions, ledger
from vouchers.models import (
    CycleStatus,
    EntryKind,
    Grant,
    LedgerEntry,
    VoucherPolicy,
)
from vouchers.tests.conftest import MONTH, free_elder, issue, low_cost_elder

pytestmark = pytest.mark.django_db


def at(day, hour=10):
    return timezone.make_aware(datetime.datetime(2026, 9, day, hour))


def record(cast, elder, amount, day=10, hour=10):
    """A staff service of ``amount`` yuan (price × 1) on 2026-09-``day``."""
    return service_actions.service_record_create(
        actor=cast.staff_a,
        elder=elder,
        service_type=service_type("errands"),
        delivered_at=at(day, hour),
        duration_minutes=30,
        price=Decimal(amount),
        staff=cast.staff_a,
    )


def assert_books_balance(elder):
    """Sum of entries = sum of what grants have left; nothing negative."""
    entries = ledger.balance(elder.pk)
    remaining = sum(
        Grant.objects.filter(elder=elder).values_list("remaining", flat=True),
        Decimal("0"),
    )
    assert entries == remaining
    assert entries >= 0


def test_a_service_is_paid_by_vouchers_first_then_by_the_elder(cast):
    elder = free_elder(cast.a)
    issue(stations=[cast.a])
    first = record(cast, elder, "120.00")
    assert (first.voucher_paid, first.self_paid) == (Decimal("120.00"), Decimal("0"))
    second = record(cast, elder, "250.00", hour=11)
    assert (second.voucher_paid, second.self_paid) == (
        Decimal("180.00"),
        Decimal("70.00"),
    )
    assert ledger.balance(elder.pk) == 0
    assert_books_balance(elder)


def test_the_oldest_expiry_is_spent_first(cast):
    VoucherPolicy.objects.create(
        district=cast.d1, effective_from=datetime.date(2026, 8, 1), validity_months=2
    )
    elder = free_elder(cast.a)
    issue(month=datetime.date(2026, 8, 1), stations=[cast.a])
    issue(stations=[cast.a])
    record(cast, elder, "400.00")
    august, september = Grant.objects.filter(elder=elder).order_by("month")
    assert (august.remaining, september.remaining) == (Decimal("0"), Decimal("200"))
    entries = LedgerEntry.objects.filter(kind=EntryKind.REDEMPTION).order_by("pk")
    assert [(e.grant_id, e.amount) for e in entries] == [
        (august.pk, Decimal("-300.00")),
        (september.pk, Decimal("-100.00")),
    ]


def test_vouchers_are_not_spent_outside_their_month(cast):
    elder = free_elder(cast.a)
    issue(month=datetime.date(2026, 10, 1), stations=[cast.a])
    paid = record(cast, elder, "50.00")  # 2026-09-10: before October's vouchers
    assert paid.voucher_paid == 0
    assert paid.self_paid == Decimal("50.00")


def test_a_draft_cycle_cannot_be_spent_until_approved(cast):
    VoucherPolicy.objects.create(
        district=cast.d1, effective_from=MONTH, approval_required=True
    )
    elder = free_elder(cast.a)
    cycle = issue(stations=[cast.a]).cycles[0]
    assert cycle.status == CycleStatus.DRAFT
    assert record(cast, elder, "50.00").voucher_paid == 0
    actions.cycle_approve(actor=cast.manager_a, cycle=cycle)
    assert record(cast, elder, "50.00", hour=11).voucher_paid == Decimal("50.00")


def test_cancelling_a_record_reverses_its_redemption(cast):
    elder = free_elder(cast.a)
    issue(stations=[cast.a])
    paid = record(cast, elder, "100.00")
    service_actions.service_record_cancel(
        actor=cast.staff_a, record=paid, reason="录入错误"
    )
    assert ledger.balance(elder.pk) == Decimal("300.00")
    reversal = LedgerEntry.objects.get(kind=EntryKind.REVERSAL)
    assert reversal.amount == Decimal("100.00")
    assert reversal.reverses.service_record_id == paid.pk
    assert reversal.actor == cast.staff_a
    assert_books_balance(elder)
    with transaction.atomic():
        assert ledger.reverse(service_record_id=paid.pk, actor_id=None) == 0


def test_a_redemption_is_reversed_at_most_once_by_the_database(cast):
    elder = free_elder(cast.a)
    issue(stations=[cast.a])
    paid = record(cast, elder, "10.00")
    redemption = LedgerEntry.objects.get(kind=EntryKind.REDEMPTION)
    row = {
        "station": cast.a,
        "elder": elder,
        "grant": redemption.grant,
        "kind": EntryKind.REVERSAL,
        "amount": Decimal("10.00"),
        "month": MONTH,
        "service_record": paid,
        "reverses": redemption,
    }
    LedgerEntry.objects.create(**row)
    # The entry moves its grant too, or the commit would be refused.
    Grant.objects.filter(pk=redemption.grant_id).update(
        remaining=F("remaining") + Decimal("10.00")
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(**row)


def test_expiry_takes_what_is_left_and_a_rerun_changes_nothing(cast):
    elder = free_elder(cast.a)
    other = low_cost_elder(cast.a)
    issue(stations=[cast.a])
    record(cast, elder, "120.00")
    assert actions.vouchers_expire(datetime.date(2026, 9, 30)) == 0  # still valid
    assert actions.vouchers_expire(datetime.date(2026, 10, 1)) == 2
    assert actions.vouchers_expire(datetime.date(2026, 10, 1)) == 0
    assert actions.vouchers_expire(datetime.date(2026, 10, 2)) == 0
    expiries = LedgerEntry.objects.filter(kind=EntryKind.EXPIRY)
    assert sorted(e.amount for e in expiries) == [
        Decimal("-180.00"),
        Decimal("-150.00"),
    ]
    assert ledger.balance(elder.pk) == ledger.balance(other.pk) == 0


def test_a_reversal_after_expiry_expires_again_at_the_next_run(cast):
    elder = free_elder(cast.a)
    issue(stations=[cast.a])
    paid = record(cast, elder, "100.00")
    actions.vouchers_expire(datetime.date(2026, 10, 1))
    service_actions.service_record_cancel(actor=cast.staff_a, record=paid, reason="错")
    assert ledger.balance(elder.pk) == Decimal("100.00")
    assert ledger.spendable(elder.pk, datetime.date(2026, 10, 2)) == 0
    assert actions.vouchers_expire(datetime.date(2026, 10, 2)) == 1
    assert ledger.balance(elder.pk) == 0
    assert_books_balance(elder)


def test_a_month_is_granted_once_by_the_database(cast):
    elder = free_elder(cast.a)
    issue(stations=[cast.a])
    grant = Grant.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Grant.objects.create(
            station=cast.a,
            cycle=grant.cycle,
            run=grant.run,
            elder=elder,
            month=MONTH,
            tier="free",
            amount=Decimal("1.00"),
            remaining=Decimal("1.00"),
            expires_on=grant.expires_on,
        )


def test_a_grant_never_goes_below_zero_in_the_database(cast):
    free_elder(cast.a)
    issue(stations=[cast.a])
    with pytest.raises(IntegrityError), transaction.atomic():
        Grant.objects.update(remaining=Decimal("-1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Grant.objects.update(remaining=Decimal("301"))


# --- Invariants under random operations ---------------------------------------------

operation = st.one_of(
    st.tuples(st.just("grant"), st.integers(6, 9)),
    st.tuples(st.just("spend"), st.integers(1, 400), st.integers(6, 10)),
    st.tuples(st.just("cancel"), st.integers(0, 20)),
    st.tuples(st.just("expire"), st.integers(6, 11)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops=st.lists(operation, max_size=15), validity=st.integers(1, 3))
def test_money_is_neither_lost_nor_created(cast, ops, validity):
    """Whatever happens: issued = spent + expired + balance, for every elder, with
    spent net of reversals; every record's voucher share matches its entries."""
    savepoint = transaction.savepoint()  # each example starts from the same data
    try:
        _play(cast, ops, validity)
    finally:
        transaction.savepoint_rollback(savepoint)


def _play(cast, ops, validity):
    from services.models import ServiceRecord

    VoucherPolicy.objects.update_or_create(
        district=cast.d1,
        effective_from=datetime.date(2026, 1, 1),
        defaults={"validity_months": validity},
    )
    elder = free_elder(cast.a)
    records = []
    for op in ops:
        if op[0] == "grant":
            issue(month=datetime.date(2026, op[1], 1), stations=[cast.a])
        elif op[0] == "spend":
            _kind, amount, month = op
            delivered = timezone.make_aware(datetime.datetime(2026, month, 15, 9))
            delivered += datetime.timedelta(minutes=len(records))
            records.append(
                service_actions.service_record_create(
                    actor=cast.staff_a,
                    elder=elder,
                    service_type=service_type("errands"),
                    delivered_at=delivered,
                    duration_minutes=10,
                    price=Decimal(amount),
                    staff=cast.staff_a,
                )
            )
        elif op[0] == "cancel" and records:
            target = records[op[1] % len(records)]
            target.refresh_from_db()
            if target.cancelled_at is None:
                service_actions.service_record_cancel(
                    actor=cast.staff_a, record=target, reason="测试"
                )
        elif op[0] == "expire":
            actions.vouchers_expire(datetime.date(2026, op[1], 1))

    def total(kind):
        return sum(
            LedgerEntry.objects.filter(elder=elder, kind=kind).values_list(
                "amount", flat=True
            ),
            Decimal("0"),
        )

    issued = sum(
        Grant.objects.filter(elder=elder).values_list("amount", flat=True),
        Decimal("0"),
    )
    assert total(EntryKind.GRANT) == issued
    spent = -total(EntryKind.REDEMPTION) - total(EntryKind.REVERSAL)
    expired = -total(EntryKind.EXPIRY)
    assert issued == spent + expired + ledger.balance(elder.pk)
    assert_books_balance(elder)
    kept = ServiceRecord.objects.filter(elder=elder, cancelled_at__isnull=True)
    assert sum(kept.values_list("voucher_paid", flat=True), Decimal("0")) == spent
    for each in ServiceRecord.objects.filter(elder=elder):
        assert each.voucher_paid + each.self_paid == each.price
        assert 0 <= each.voucher_paid <= each.price
    for grant in Grant.objects.filter(elder=elder):
        assert 0 <= grant.remaining <= grant.amount
