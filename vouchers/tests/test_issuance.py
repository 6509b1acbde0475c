"""Monthly issuance: who gets what, exactly once, with its cycle, run and changes."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from elders.eligibility import years_before
from elders.models import Elder
from elders.tests.factories import ElderFactory
from vouchers import actions, tasks
from vouchers.models import (
    Cycle,
    CycleStatus,
    EntryKind,
    Grant,
    IssuanceRun,
    LedgerEntry,
    RunTrigger,
    VoucherPolicy,
)
from vouchers.tests.conftest import (
    MONTH,
    free_elder,
    issue,
    low_cost_elder,
    paid_elder,
)

pytestmark = pytest.mark.django_db


def grants_of(month=MONTH):
    return {(g.elder_id, g.tier, g.amount) for g in Grant.objects.filter(month=month)}


def test_free_and_low_cost_service_objects_get_the_policy_amounts(cast):
    free = free_elder(cast.a)
    low = low_cost_elder(cast.a)
    paid_elder(cast.a)
    ElderFactory(station=cast.a, categories=["three_no"], status="deceased")
    result = issue(stations=[cast.a])
    assert grants_of() == {
        (free.pk, "free", Decimal("300.00")),
        (low.pk, "low_cost", Decimal("150.00")),
    }
    grant = Grant.objects.get(elder=free)
    assert grant.remaining == grant.amount
    assert grant.expires_on == datetime.date(2026, 9, 30)
    assert grant.reasons == ["service_object", "three_no"]
    assert Grant.objects.get(elder=low).reasons == [
        "service_object",
        "low_cost_criteria",
    ]
    run = result.runs[0]
    assert (run.grants_created, run.amount_created) == (2, Decimal("450.00"))
    assert (run.free_count, run.low_cost_count) == (1, 1)
    cycle = Cycle.objects.get(station=cast.a, month=MONTH)
    assert (cycle.grants_count, cycle.total_amount) == (2, Decimal("450.00"))
    assert cycle.status == CycleStatus.APPROVED
    entries = LedgerEntry.objects.filter(kind=EntryKind.GRANT)
    assert sorted(e.amount for e in entries) == [Decimal("150.00"), Decimal("300.00")]
    assert {e.run_id for e in entries} == {run.pk}


@pytest.mark.parametrize(
    "days, granted", [(0, True), (1, False)], ids=["60 on the 1st", "60 on the 2nd"]
)
def test_the_tier_is_taken_on_the_first_of_the_month(cast, days, granted):
    born = years_before(MONTH, 60) + datetime.timedelta(days=days)
    elder = free_elder(cast.a, birth_date=born)
    issue(stations=[cast.a])
    assert Grant.objects.filter(elder=elder).exists() is granted


def test_two_years_of_residence_on_the_first_count(cast):
    resident = free_elder(
        cast.a, hukou_local=False, residence_since=years_before(MONTH, 2)
    )
    newcomer = free_elder(
        cast.a,
        hukou_local=False,
        residence_since=years_before(MONTH, 2) + datetime.timedelta(days=1),
    )
    issue(stations=[cast.a])
    assert set(Grant.objects.values_list("elder", flat=True)) == {resident.pk}
    assert newcomer.pk


def test_a_manager_override_decides_the_tier(cast):
    elder = paid_elder(cast.a, tier_override="low_cost", tier_override_reason="核实")
    issue(stations=[cast.a])
    grant = Grant.objects.get(elder=elder)
    assert grant.tier == "low_cost"
    assert grant.reasons[-1] == "override"


def test_running_twice_issues_once(cast):
    free_elder(cast.a)
    free_elder(cast.b)
    first = issue()
    second = issue()
    assert first.grants_created == 2
    assert second.grants_created == 0
    assert Grant.objects.count() == 2
    assert LedgerEntry.objects.count() == 2
    assert Cycle.objects.count() == 3  # every active station has its cycle
    assert IssuanceRun.objects.count() == 6  # each run is on record


def test_a_rerun_grants_only_the_newly_eligible(cast):
    free_elder(cast.a)
    issue(stations=[cast.a])
    late = free_elder(cast.a)
    result = issue(stations=[cast.a])
    assert result.grants_created == 1
    assert Grant.objects.get(elder=late).month == MONTH
    assert Cycle.objects.get(station=cast.a).grants_count == 2


def test_changes_against_last_month(cast):
    stays = free_elder(cast.a)
    leaves = free_elder(cast.a)
    changes = low_cost_elder(cast.a)
    issue(month=datetime.date(2026, 8, 1), stations=[cast.a])
    Elder.objects.filter(pk=leaves.pk).update(status="moved")
    Elder.objects.filter(pk=changes.pk).update(categories=["three_no"])
    free_elder(cast.a)  # new
    issue(stations=[cast.a])
    cycle = Cycle.objects.get(station=cast.a, month=MONTH)
    assert (cycle.added_count, cycle.removed_count, cycle.changed_count) == (1, 1, 1)
    from vouchers.queries import cycle_changes

    kinds = {c.elder_id: c.kind for c in cycle_changes(cycle)}
    assert kinds[leaves.pk] == "removed"
    assert kinds[changes.pk] == "changed"
    assert stays.pk not in kinds


def test_the_policy_in_force_sets_amounts_and_validity(cast):
    VoucherPolicy.objects.create(
        district=cast.d1,
        effective_from=datetime.date(2026, 1, 1),
        amount_free=Decimal("200.00"),
        amount_low_cost=Decimal("80.00"),
    )
    VoucherPolicy.objects.create(
        district=cast.d1,
        effective_from=datetime.date(2026, 9, 1),
        amount_free=Decimal("320.00"),
        amount_low_cost=Decimal("160.00"),
        validity_months=3,
    )
    VoucherPolicy.objects.create(
        district=cast.d1,
        effective_from=datetime.date(2026, 10, 1),
        amount_free=Decimal("999.00"),
    )
    elder = free_elder(cast.a)
    issue(stations=[cast.a])
    grant = Grant.objects.get(elder=elder)
    assert grant.amount == Decimal("320.00")
    assert grant.expires_on == datetime.date(2026, 11, 30)


def test_a_zero_amount_grants_nothing(cast):
    VoucherPolicy.objects.create(
        district=cast.d1, effective_from=MONTH, amount_low_cost=Decimal("0")
    )
    low_cost_elder(cast.a)
    free = free_elder(cast.a)
    issue(stations=[cast.a])
    assert list(Grant.objects.values_list("elder", flat=True)) == [free.pk]


def test_a_policy_must_start_on_the_first(cast):
    policy = VoucherPolicy(district=cast.d1, effective_from=datetime.date(2026, 9, 2))
    with pytest.raises(ValidationError):
        policy.full_clean()


class TestApproval:
    @pytest.fixture
    def draft(self, cast):
        VoucherPolicy.objects.create(
            district=cast.d1, effective_from=MONTH, approval_required=True
        )
        free_elder(cast.a)
        return actions.cycle_issue(
            actor=cast.manager_a,
            station=cast.a,
            month=timezone.localdate().replace(day=1),
            trigger=RunTrigger.WEB,
        ).cycles[0]

    def test_with_approval_required_the_cycle_waits_in_draft(self, draft):
        assert draft.status == CycleStatus.DRAFT

    def test_whoever_ran_it_by_hand_cannot_approve_it(self, draft, cast):
        with pytest.raises(PermissionDenied):
            actions.cycle_approve(actor=cast.manager_a, cycle=draft)
        assert Cycle.objects.get(pk=draft.pk).status == CycleStatus.DRAFT

    def test_another_manager_approves_it(self, draft, cast):
        from carecenter.models import Role
        from carecenter.tests.factories import user_with_role

        checker = user_with_role("manager_a2", Role.MANAGER, station=cast.a)
        actions.cycle_approve(actor=checker, cycle=draft)
        cycle = Cycle.objects.get(pk=draft.pk)
        assert cycle.status == CycleStatus.APPROVED
        assert cycle.approved_by == checker

    def test_staff_cannot_approve(self, draft, cast):
        with pytest.raises(PermissionDenied):
            actions.cycle_approve(actor=cast.staff_a, cycle=draft)

    def test_a_scheduled_run_can_be_approved_by_any_manager(self, cast):
        VoucherPolicy.objects.create(
            district=cast.d1, effective_from=MONTH, approval_required=True
        )
        free_elder(cast.a)
        cycle = issue(stations=[cast.a], trigger=RunTrigger.SCHEDULE).cycles[0]
        actions.cycle_approve(actor=cast.manager_a, cycle=cycle)
        assert Cycle.objects.get(pk=cycle.pk).status == CycleStatus.APPROVED

    def test_an_approved_cycle_cannot_be_approved_again(self, cast):
        free_elder(cast.a)
        cycle = issue(stations=[cast.a]).cycles[0]
        with pytest.raises(ValidationError):
            actions.cycle_approve(actor=cast.manager_a, cycle=cycle)

    def test_a_rerun_keeps_the_draft_a_draft(self, draft, cast):
        issue(stations=[cast.a])
        assert Cycle.objects.get(pk=draft.pk).status == CycleStatus.DRAFT


def test_managers_issue_only_for_their_station(cast):
    with pytest.raises(PermissionDenied):
        actions.cycle_issue(
            actor=cast.staff_a, station=cast.a, month=MONTH, trigger=RunTrigger.WEB
        )
    from django.http import Http404

    with pytest.raises(Http404):
        actions.cycle_issue(
            actor=cast.manager_a, station=cast.b, month=MONTH, trigger=RunTrigger.WEB
        )
    assert not Grant.objects.exists()


def test_a_closed_station_gets_nothing(cast):
    free_elder(cast.c)
    cast.c.is_active = False
    cast.c.save()
    free_elder(cast.a)
    issue()
    assert set(Grant.objects.values_list("station__code", flat=True)) == {"A"}


def test_the_command_issues_and_says_what(cast, capsys):
    free_elder(cast.a)
    free_elder(cast.b)
    month = f"{timezone.localdate():%Y-%m}"
    call_command("issue_vouchers", month=month, station="A")
    out = capsys.readouterr().out
    assert f"A {month}: 1 new grants" in out
    assert Grant.objects.get().station == cast.a
    call_command("issue_vouchers", month=month, station="A")
    assert "0 new grants" in capsys.readouterr().out
    run = IssuanceRun.objects.first()
    assert run.trigger == RunTrigger.COMMAND


@pytest.mark.parametrize("args", [{"month": "2026-13"}, {"month": "sept"}])
def test_the_command_refuses_a_bad_month(cast, args):
    from django.core.management import CommandError

    with pytest.raises(CommandError):
        call_command("issue_vouchers", **args)


def test_the_command_refuses_an_unknown_station(cast):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No station"):
        call_command(
            "issue_vouchers", month=f"{timezone.localdate():%Y-%m}", station="NOPE"
        )


def test_the_monthly_task_issues_the_current_month(cast):
    free_elder(cast.a)
    summary = tasks.issue_monthly.delay().get()
    assert summary["grants_created"] == 1
    assert summary["month"] == f"{timezone.localdate():%Y-%m}"
    assert set(IssuanceRun.objects.values_list("trigger", flat=True)) == {
        RunTrigger.SCHEDULE
    }


def test_issuance_is_a_few_statements_however_many_elders(
    cast, django_assert_max_num_queries
):
    for _ in range(40):
        free_elder(cast.a)
        low_cost_elder(cast.b)
    with django_assert_max_num_queries(20):
        result = issue()
    assert result.grants_created == 80


def test_the_migration_puts_the_schedule_in_the_beat_tables():
    """What migration 0002 runs; run here again because a test that flushes the
    database (browser, concurrency) also empties the beat tables."""
    import importlib

    from django.apps import apps
    from django_celery_beat.models import PeriodicTask

    schedule = importlib.import_module("vouchers.migrations.0002_schedule")
    PeriodicTask.objects.filter(task__startswith="vouchers.").delete()
    schedule.add_schedule(apps, None)
    schedule.add_schedule(apps, None)  # the migration is safe to re-apply
    issue_task = PeriodicTask.objects.get(task="vouchers.issue_monthly")
    assert (issue_task.crontab.minute, issue_task.crontab.hour) == ("0", "1")
    assert issue_task.crontab.day_of_month == "1"
    assert str(issue_task.crontab.timezone) == "Asia/Shanghai"
    assert (
        PeriodicTask.objects.filter(task="vouchers.expire", enabled=True).count() == 1
    )
