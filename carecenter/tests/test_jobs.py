"""The scheduled jobs: the hourly catch-up does what is due and not done, and
only that; every run is recorded; the administrator sees the last run of each
job; ``/healthz`` reports the beat."""

import datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from carecenter import jobs, tasks
from carecenter.models import JobState, JobStatus
from carecenter.months import add_months
from inspections.models import Inspection
from inspections.tests.conftest import confirm, decide
from supervision.models import RefreshRun
from vouchers.models import Cycle, Grant, IssuanceRun, ReconciliationRun, RunTrigger
from vouchers.tests.conftest import free_elder

pytestmark = pytest.mark.django_db


def local(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def this_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def first_of_this_month(hour: int, minute: int = 0) -> datetime.datetime:
    month = this_month()
    return local(month.year, month.month, 1, hour, minute)


@pytest.fixture
def elders(cast):
    return {key: free_elder(getattr(cast, key)) for key in "abc"}


def catch_up_of(task: str, now: datetime.datetime):
    [job] = [j for j in jobs.jobs() if j.task == task]
    return job.catch_up(now)


# --- Issuance -------------------------------------------------------------------------


def test_a_missing_issuance_is_caught_up_after_its_hour(cast, elders):
    assert catch_up_of("vouchers.issue_monthly", first_of_this_month(0, 30)) is None
    assert not Cycle.objects.exists()
    done = catch_up_of("vouchers.issue_monthly", first_of_this_month(1, 30))
    assert done["stations"] == ["A", "B", "C"]
    assert done["grants_created"] == 3
    assert set(IssuanceRun.objects.values_list("trigger", flat=True)) == {
        RunTrigger.CATCH_UP
    }
    assert catch_up_of("vouchers.issue_monthly", first_of_this_month(2, 30)) is None
    assert Grant.objects.count() == 3


def test_only_the_stations_still_without_their_cycle_are_issued(cast, elders):
    from vouchers import actions

    actions.month_issue(month=this_month(), stations=[cast.a, cast.b])
    done = catch_up_of("vouchers.issue_monthly", timezone.now())
    assert done["stations"] == ["C"]
    assert Grant.objects.filter(station=cast.c).count() == 1


def test_a_station_whose_funding_is_stopped_is_not_caught_up(cast, elders):
    from inspections import actions as inspection_actions

    inspection_actions.inspections_refresh(year=timezone.localdate().year - 1)
    inspection = Inspection.objects.get(station=cast.a)
    confirm(inspection, cast.supervisor)
    with mock.patch(
        "django.utils.timezone.now",
        return_value=first_of_this_month(0) - datetime.timedelta(days=3),
    ):
        decide(inspection, cast.supervisor, "stop", "挪用")
    done = catch_up_of("vouchers.issue_monthly", timezone.now())
    assert done["stations"] == ["B", "C"]
    assert not Cycle.objects.filter(station=cast.a).exists()


# --- Expiry, dashboard, inspection, reconciliation ------------------------------------


def test_grants_past_their_date_are_expired_by_the_catch_up(cast, elders):
    from vouchers import actions

    last_month = add_months(this_month(), -1)
    actions.month_issue(month=last_month, stations=[cast.a])
    done = catch_up_of("vouchers.expire", timezone.now())
    assert done == {"expired": 1}
    assert Grant.objects.get().remaining == Decimal("0")
    assert catch_up_of("vouchers.expire", timezone.now()) is None


def test_stale_dashboard_figures_are_refreshed(cast):
    now = timezone.now()
    assert catch_up_of("supervision.refresh", now) is not None
    assert RefreshRun.objects.count() == 1
    assert catch_up_of("supervision.refresh", now) is None
    later = now + datetime.timedelta(minutes=25)
    assert catch_up_of("supervision.refresh", later) is not None
    assert RefreshRun.objects.count() == 2


def test_a_missing_annual_inspection_is_created_after_5_january(cast):
    year = timezone.localdate().year
    assert catch_up_of("inspections.run_annual", local(year, 1, 5, 1, 59)) is None
    done = catch_up_of("inspections.run_annual", local(year, 1, 5, 2, 0))
    assert done == {"year": year - 1, "created": 3}
    assert catch_up_of("inspections.run_annual", local(year, 3, 1, 9)) is None


def test_a_skipped_reconciliation_is_run(cast):
    now = timezone.now()
    assert catch_up_of("vouchers.reconcile", now) == {"disagreements": 0}
    assert catch_up_of("vouchers.reconcile", now) is None
    assert ReconciliationRun.objects.count() == 1


def test_one_failing_catch_up_does_not_stop_the_others(cast, elders):
    with mock.patch(
        "supervision.actions.figures_refresh_recent", side_effect=RuntimeError("boom")
    ):
        done = jobs.run_catch_ups(first_of_this_month(3))
    assert done["supervision.refresh"] == {"error": "RuntimeError: boom"}
    assert done["vouchers.issue_monthly"]["grants_created"] == 3


def test_the_catch_up_task_says_what_it_did_and_a_rerun_does_nothing(cast, elders):
    first = tasks.catch_up.delay().get()
    assert first["vouchers.issue_monthly"]["grants_created"] == 3
    assert "supervision.refresh" in first
    second = tasks.catch_up.delay().get()
    assert "vouchers.issue_monthly" not in second
    assert Grant.objects.count() == 3


# --- The record of every run ----------------------------------------------------------


def test_every_task_run_is_recorded(cast):
    tasks.ping.delay().get()
    tasks.ping.delay().get()
    status = JobStatus.objects.get(task="carecenter.ping")
    assert (status.state, status.runs, status.summary) == (
        JobState.SUCCEEDED,
        2,
        "pong",
    )
    assert status.finished_at >= status.started_at


def test_a_failed_task_is_recorded_with_its_error(cast):
    # As a worker runs it: the failure is recorded, not raised into the caller.
    with mock.patch("carecenter.jobs.run_catch_ups", side_effect=RuntimeError("down")):
        assert tasks.catch_up.apply(throw=False).failed()
    status = JobStatus.objects.get(task="carecenter.catch_up")
    assert status.state == JobState.FAILED
    assert "RuntimeError: down" in status.error


# --- What the administrator sees ------------------------------------------------------


@pytest.fixture
def beat_schedule():
    """The beat entries of the data migrations (a flushing test may have emptied
    the tables)."""
    import importlib

    from django.apps import apps

    for module in (
        "carecenter.migrations.0005_catch_up_schedule",
        "vouchers.migrations.0002_schedule",
        "vouchers.migrations.0005_reconciliation_schedule",
        "supervision.migrations.0003_schedule",
        "inspections.migrations.0002_schedule",
    ):
        importlib.import_module(module).add_schedule(apps, None)


def test_the_administrator_sees_the_last_run_of_each_job(client, cast, beat_schedule):
    tasks.ping.delay().get()
    tasks.catch_up.delay().get()
    client.force_login(cast.admin)
    home = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for label in (
        "Hourly catch-up",
        "Monthly voucher issuance",
        "Nightly voucher expiry",
        "Nightly reconciliation",
        "Dashboard refresh",
        "Annual inspection",
    ):
        assert label in home
    assert 'data-task="carecenter.catch_up"' in home
    page = client.get(reverse("jobs"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Every hour at minute 30" in page
    assert "<code>30 * * * *</code>" in page  # the catch-up's beat entry
    assert "<code>0 1 1 * *</code>" in page  # the monthly issuance's


def test_a_failed_job_and_a_silent_beat_alert_the_administrator(client, cast):
    JobStatus.objects.create(
        task="vouchers.expire",
        state=JobState.FAILED,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        error="OperationalError: server closed the connection",
    )
    JobStatus.objects.create(
        task=jobs.BEAT,
        state=JobState.RUNNING,
        finished_at=timezone.now() - datetime.timedelta(minutes=30),
    )
    client.force_login(cast.admin)
    home = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The job “Nightly voucher expiry” failed at its last run" in home
    assert "The scheduler (beat) has not been heard from since" in home


@pytest.mark.parametrize("who", ["staff_a", "manager_a", "supervisor", "volunteer_a"])
def test_only_administrators_see_the_jobs(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(reverse("jobs")).status_code == 403
    home = client.get(reverse("home"), follow=True).content.decode()
    assert "job-table" not in home


def test_the_jobs_page_costs_the_same_however_many_runs(
    client, cast, django_assert_max_num_queries
):
    client.force_login(cast.admin)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("jobs"))
    for _ in range(3):
        tasks.ping.delay().get()
        tasks.catch_up.delay().get()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("jobs"))


# --- Health ---------------------------------------------------------------------------


def test_healthz_reports_the_last_beat(client):
    assert client.get("/healthz").json()["beat"] == "never"
    jobs.beat_heartbeat(started=True)
    body = client.get("/healthz").json()
    assert body["beat"] == "ok"
    assert body["last_beat"] is not None
    JobStatus.objects.filter(task=jobs.BEAT).update(
        finished_at=timezone.now() - datetime.timedelta(minutes=6)
    )
    response = client.get("/healthz")
    assert response.json()["beat"] == "late"
    assert response.status_code == 200  # the site still serves


@pytest.mark.django_db(transaction=True)
def test_beat_writes_its_heartbeat_and_sends_the_catch_up_as_it_starts():
    from carecenter.beat import Scheduler
    from carecenter.celery import app

    with mock.patch.object(app, "send_task") as send:
        scheduler = Scheduler(app=app, lazy=True)
        scheduler.setup_schedule()
    send.assert_called_once_with("carecenter.catch_up")
    assert jobs.beat_state().status == "ok"


def test_a_failing_catch_up_fails_the_task_after_the_others_ran(cast, elders):
    with mock.patch(
        "supervision.actions.figures_refresh_recent", side_effect=RuntimeError("boom")
    ):
        assert tasks.catch_up.apply(throw=False).failed()
    status = JobStatus.objects.get(task="carecenter.catch_up")
    assert status.state == JobState.FAILED
    assert "supervision.refresh: RuntimeError: boom" in status.error
    assert Grant.objects.count() == 3  # the issuance was caught up all the same
