"""The dashboard refreshes on its schedule: a real beat (our scheduler, in a
thread) sends the refresh and a real worker runs it, through the broker."""

import importlib
import threading
import time

import pytest
from django.apps import apps
from django.db import connection

from carecenter import jobs
from carecenter.models import JobStatus


def _wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_beat_and_a_worker_refresh_the_dashboard_on_schedule(real_worker, cast):
    from celery.beat import Service
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from carecenter.beat import Scheduler

    for module in (
        "supervision.migrations.0003_schedule",
        "carecenter.migrations.0005_catch_up_schedule",
    ):
        importlib.import_module(module).add_schedule(apps, None)
    # The refresh's 15 minutes, shortened to 2 seconds for the test.
    every_2s, _ = IntervalSchedule.objects.get_or_create(
        every=2, period=IntervalSchedule.SECONDS
    )
    refresh = PeriodicTask.objects.get(task="supervision.refresh")
    refresh.crontab, refresh.interval = None, every_2s
    refresh.save()

    beat = Service(app=real_worker, max_interval=1, scheduler_cls=Scheduler)

    def run_beat():
        try:
            beat.start()
        finally:
            connection.close()

    thread = threading.Thread(target=run_beat, daemon=True)
    thread.start()
    try:
        ran_twice = _wait_for(
            lambda: JobStatus.objects.filter(
                task="supervision.refresh", runs__gte=2
            ).exists(),
            timeout=60,
        )
    finally:
        beat.stop()
        thread.join(timeout=10)

    assert ran_twice, list(JobStatus.objects.values("task", "runs", "state"))
    status = JobStatus.objects.get(task="supervision.refresh")
    assert status.state in {"succeeded", "running"}
    assert status.succeeded_at is not None
    assert jobs.beat_state().status == "ok"
    # Beat also sent the catch-up as it started.
    assert JobStatus.objects.filter(task="carecenter.catch_up").exists()


@pytest.mark.django_db
def test_the_scheduled_refresh_of_a_district_without_stations_does_nothing():
    from supervision import actions
    from supervision.models import MonthlyFigure

    run = actions.figures_refresh_recent()
    assert (run.figures_written, run.figures_deleted) == (0, 0)
    assert not MonthlyFigure.objects.exists()
