"""A scheduled issuance end to end on a real Celery worker (Redis in CI), not eager."""

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
