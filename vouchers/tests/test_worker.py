"""A scheduled issuance end to end on a real Celery worker (Redis in CI), not eager."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from vouchers.models import Grant, IssuanceRun, RunTrigger
from vouchers.tests.conftest import free_elder, low_cost_elder

pytestmark = pytest.mark.django_db(transaction=True)


def test_beat_s_monthly_entry_issues_on_a_worker(real_worker, cast):
    from django_celery_beat.models import PeriodicTask

    # A transactional test before this one may have truncated the beat tables.
    schedule = importlib.import_module("vouchers.migrations.0002_schedule")
    schedule.add_schedule(apps, None)
    entry = PeriodicTask.objects.get(name="vouchers: monthly issuance")
    free_elder(cast.a)
    low_cost_elder(cast.b)

    # What beat sends when the entry is due: the task by name, with its arguments.
    month = timezone.localdate().replace(day=1)
    result = real_worker.send_task(entry.task, args=[f"{month:%Y-%m}"])
    summary = result.get(timeout=60)

    assert summary == {
        "month": f"{month:%Y-%m}",
        "stations": 3,
        "grants_created": 2,
        "amount_created": "450.00",
    }
    assert Grant.objects.filter(month=month).count() == 2
    assert set(IssuanceRun.objects.values_list("trigger", flat=True)) == {
        RunTrigger.SCHEDULE
    }
    # Delivered again (a broker redelivery): nothing more is issued.
    again = real_worker.send_task(entry.task, args=[f"{month:%Y-%m}"]).get(timeout=60)
    assert again["grants_created"] == 0
    assert Grant.objects.count() == 2


def test_a_lost_issuance_is_caught_up_within_one_beat_interval(
    broker_app, worker_for, cast
):
    """Beat sends the monthly issuance on the 1st at 01:00 and the message is lost
    (purged before any worker took it, as when Redis loses it or a worker dies
    with it). The hourly catch-up, when beat next sends it, issues the month."""
    from django_celery_beat.models import PeriodicTask

    for module in (
        "vouchers.migrations.0002_schedule",
        "carecenter.migrations.0005_catch_up_schedule",
    ):
        importlib.import_module(module).add_schedule(apps, None)
    free_elder(cast.a)
    low_cost_elder(cast.b)
    month = timezone.localdate().replace(day=1)
    issuance = PeriodicTask.objects.get(name="vouchers: monthly issuance")
    catch_up = PeriodicTask.objects.get(name="carecenter: hourly catch-up")

    # The test's clock: 01:00 on the 1st, when beat sends the issuance.
    sent_at = timezone.localtime().replace(
        day=1, hour=1, minute=0, second=0, microsecond=0
    )
    clock = [sent_at]
    schedule = catch_up.schedule
    schedule.nowfun = lambda: clock[0]
    issuance_schedule = issuance.schedule
    issuance_schedule.nowfun = lambda: clock[0]
    assert issuance_schedule.is_due(sent_at - datetime.timedelta(days=1)).is_due

    broker_app.control.purge()
    broker_app.send_task(issuance.task)
    assert broker_app.control.purge() == 1  # lost before any worker took it

    with worker_for(broker_app):
        # Beat ticks on; the catch-up last ran at 00:30.
        last_catch_up = sent_at - datetime.timedelta(minutes=30)
        while not schedule.is_due(last_catch_up).is_due:
            clock[0] += datetime.timedelta(minutes=1)
            assert clock[0] - sent_at <= datetime.timedelta(hours=1)
        assert not Grant.objects.exists()  # nothing ran the lost message

        summary = broker_app.send_task(catch_up.task).get(timeout=60)

    assert clock[0] - sent_at <= datetime.timedelta(hours=1)
    assert summary["vouchers.issue_monthly"]["grants_created"] == 2
    assert Grant.objects.filter(month=month).count() == 2
    assert set(IssuanceRun.objects.values_list("trigger", flat=True)) == {
        RunTrigger.CATCH_UP
    }
