"""Exactly-once issuance and no overspending, with real threads and real locks on
PostgreSQL (each thread has its own connection and transaction)."""

import datetime
import threading
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from services import actions as service_actions
from services.models import ServiceRecord
from services.tests.factories import service_type
from vouchers import actions, ledger
from vouchers.models import Cycle, EntryKind, Grant, IssuanceRun, LedgerEntry
from vouchers.tests.conftest import MONTH, free_elder, issue, low_cost_elder

pytestmark = pytest.mark.django_db(transaction=True)


def in_threads(count, work):
    """Run ``work(i)`` in ``count`` threads released at once; return the outcomes."""
    start = threading.Barrier(count)
    outcomes = [None] * count

    def run(i):
        try:
            start.wait()
            outcomes[i] = work(i)
        except Exception as exc:  # the test inspects it
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def one_clean_run(cast):
    """The grants of the district, as (elder, tier, amount)."""
    return sorted(Grant.objects.values_list("elder_id", "tier", "amount"))


@pytest.fixture
def district(cast):
    elders = [free_elder(cast.a) for _ in range(15)]
    elders += [low_cost_elder(cast.b) for _ in range(10)]
    elders += [free_elder(cast.c) for _ in range(5)]
    return elders


def test_four_concurrent_runs_issue_exactly_once(cast, district):
    outcomes = in_threads(4, lambda i: issue().grants_created)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sorted(outcomes) == [0, 0, 0, 30]
    assert Grant.objects.count() == 30
    assert LedgerEntry.objects.filter(kind=EntryKind.GRANT).count() == 30
    assert Cycle.objects.count() == 3
    assert IssuanceRun.objects.count() == 12
    for cycle in Cycle.objects.all():
        assert cycle.grants_count == Grant.objects.filter(cycle=cycle).count()
    total = sum(Grant.objects.values_list("amount", flat=True), Decimal("0"))
    assert total == 20 * Decimal("300.00") + 10 * Decimal("150.00")


def test_concurrent_station_and_district_runs_never_deadlock(cast, district):
    def work(i):
        stations = [[cast.a], [cast.b, cast.a], None, [cast.c, cast.b]][i]
        return issue(stations=stations).grants_created

    outcomes = in_threads(4, work)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(outcomes) == 30
    assert Grant.objects.count() == 30


def test_a_run_that_dies_half_way_leaves_nothing_and_a_rerun_is_clean(cast, district):
    with mock.patch(
        "vouchers.actions._refresh_cycles", side_effect=RuntimeError("worker killed")
    ):
        with pytest.raises(RuntimeError):
            issue()
    assert not Grant.objects.exists()
    assert not LedgerEntry.objects.exists()
    assert not Cycle.objects.exists()
    assert not IssuanceRun.objects.exists()
    issue()
    after_crash = one_clean_run(cast)
    issue()
    assert one_clean_run(cast) == after_crash
    assert len(after_crash) == 30
    assert all(c.grants_count for c in Cycle.objects.all())


def test_a_connection_killed_mid_run_leaves_nothing(cast, district):
    """The database ends the run's session while it holds its locks."""
    started = threading.Event()
    release = threading.Event()
    real_insert = actions._insert_grants
    pids = []

    def slow_insert(*args, **kwargs):
        result = real_insert(*args, **kwargs)
        pids.append(connection.connection.info.backend_pid)
        started.set()
        release.wait(10)
        return result

    def doomed(_i):
        with mock.patch("vouchers.actions._insert_grants", side_effect=slow_insert):
            return issue()

    thread_outcome = []
    worker = threading.Thread(
        target=lambda: thread_outcome.append(in_threads(1, doomed)[0])
    )
    worker.start()
    assert started.wait(20)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pids[0]])
    release.set()
    worker.join(30)
    assert isinstance(thread_outcome[0], Exception)
    assert not Grant.objects.exists()
    assert issue().grants_created == 30


def test_twenty_threads_never_overspend_one_balance(cast):
    elder = free_elder(cast.a)
    issue(stations=[cast.a])

    def spend(i):
        return service_actions.service_record_create(
            actor=cast.staff_a,
            elder=elder,
            service_type=service_type("errands"),
            delivered_at=timezone.make_aware(datetime.datetime(2026, 9, 10, 8, i)),
            duration_minutes=10,
            price=Decimal("20.00"),
            staff=cast.staff_a,
        ).voucher_paid

    outcomes = in_threads(20, spend)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(outcomes) == Decimal("300.00")
    assert ServiceRecord.objects.count() == 20
    records = ServiceRecord.objects.all()
    assert all(r.voucher_paid + r.self_paid == Decimal("20.00") for r in records)
    assert sum(r.self_paid for r in records) == Decimal("100.00")
    assert ledger.balance(elder.pk) == 0
    assert Grant.objects.get().remaining == 0


def test_twenty_threads_redeeming_directly_against_one_balance(cast):
    """The ledger alone, without the service record around it."""
    from django.db import transaction

    elder = free_elder(cast.a)
    issue(stations=[cast.a])
    records = [
        ServiceRecord.objects.create(
            station=cast.a,
            elder=elder,
            service_type=service_type("errands"),
            staff=cast.staff_a,
            delivered_at=timezone.make_aware(datetime.datetime(2026, 9, 10, 9, i)),
            duration_minutes=10,
            price=Decimal("35.00"),
        )
        for i in range(20)
    ]

    def redeem(i):
        with transaction.atomic():
            return ledger.redeem(
                elder_id=elder.pk,
                amount=Decimal("35.00"),
                on=MONTH.replace(day=10),
                service_record_id=records[i].pk,
                actor_id=None,
            )

    outcomes = in_threads(20, redeem)
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(outcomes) == Decimal("300.00")
    # 8 × 35 + 20 = 300: eight paid in full, one in part, eleven found nothing left.
    expected = [Decimal("0")] * 11 + [Decimal("20.00")] + [Decimal("35.00")] * 8
    assert sorted(outcomes) == expected
    assert ledger.balance(elder.pk) == 0
