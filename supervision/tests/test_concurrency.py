"""Refreshes with real threads and a real Celery worker on PostgreSQL."""

import datetime
import importlib
import threading
import time

import pytest
from django.apps import apps
from django.db import connection, connections, transaction
from django.utils import timezone

from services import actions as service_actions
from services.tests.factories import service_type
from supervision import actions
from supervision.models import Metric, MonthlyFigure, RefreshRun
from supervision.tests.conftest import build_district

pytestmark = pytest.mark.django_db(transaction=True)


def services_this_month() -> int:
    return int(
        sum(
            MonthlyFigure.objects.filter(
                metric=Metric.SERVICES, month=actions.this_month()
            ).values_list("value", flat=True)
        )
    )


def test_a_second_refresh_waits_and_counts_what_was_written_meanwhile(cast):
    district = build_district(cast)
    actions.figures_refresh(first=district.first, last=district.last)
    before = services_this_month()
    holding, release = threading.Event(), threading.Event()
    outcome = {}

    def first_refresh():
        # A refresh in progress: it holds the lock until its transaction ends.
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s)", [actions.REFRESH_LOCK]
                )
                holding.set()
                release.wait(10)
        finally:
            connections.close_all()

    def second_refresh():
        try:
            holding.wait(10)
            outcome["run"] = actions.figures_refresh_recent()
        finally:
            connections.close_all()

    first = threading.Thread(target=first_refresh)
    second = threading.Thread(target=second_refresh)
    first.start()
    second.start()
    holding.wait(10)
    time.sleep(0.5)
    assert "run" not in outcome  # waiting for the lock
    # A service recorded while the second refresh waits is in its figures.
    station = district.stations[0]
    service_actions.service_record_create(
        actor=district.staff[station.pk],
        elder=district.elders[station.pk][0],
        service_type=service_type("chat"),
        delivered_at=timezone.now() - datetime.timedelta(minutes=5),
        duration_minutes=30,
        staff=district.staff[station.pk],
    )
    release.set()
    first.join(10)
    second.join(30)
    assert outcome["run"].snapshot
    assert services_this_month() == before + 1
    assert RefreshRun.objects.count() == 2


def test_the_scheduled_entry_refreshes_on_a_worker(real_worker, cast):
    from django_celery_beat.models import PeriodicTask

    # A transactional test before this one may have truncated the beat tables.
    schedule = importlib.import_module("supervision.migrations.0003_schedule")
    schedule.add_schedule(apps, None)
    entry = PeriodicTask.objects.get(name=schedule.NAME)
    assert entry.crontab.minute == "*/15"
    build_district(cast)

    summary = real_worker.send_task(entry.task).get(timeout=60)
    assert summary["figures_written"] > 0
    # Delivered again (a broker redelivery): the same figures, nothing rewritten.
    again = real_worker.send_task(entry.task).get(timeout=60)
    assert (again["figures_written"], again["figures_deleted"]) == (0, 0)
    assert RefreshRun.objects.filter(trigger="schedule").count() == 2
