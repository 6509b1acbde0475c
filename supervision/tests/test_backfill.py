"""Months without a snapshot get the one their end would have had, from the
history kept; the monthly job keeps doing it; a month with a snapshot keeps it."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from carecenter import jobs
from carecenter.months import add_months
from elders.tests.factories import ElderFactory
from supervision import actions
from supervision.models import Metric, MonthlyFigure, RefreshRun
from volunteers.models import Visit
from volunteers.tests.factories import PairingFactory

pytestmark = pytest.mark.django_db


def at(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))


def as_of(elder, day, label="insert"):
    """Date the archive and its history event ``label`` back to ``day``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE elders_elderevent SET pgh_created_at = %s"
            " WHERE pgh_obj_id = %s AND pgh_label = %s",
            [at(day), elder.pk, label],
        )
    if label == "insert":
        type(elder).objects.filter(pk=elder.pk).update(created_at=at(day))


@pytest.fixture
def months():
    this = actions.this_month()
    return add_months(this, -3), add_months(this, -2), add_months(this, -1)


def elders_in(station, month):
    return (
        MonthlyFigure.objects.filter(station=station, month=month, metric=Metric.ELDERS)
        .values_list("value", flat=True)
        .first()
    )


def test_past_months_get_their_elders_and_follow_ups_from_the_history(cast, months):
    m1, m2, m3 = months
    staying = [ElderFactory(station=cast.a) for _ in range(2)]
    leaving = ElderFactory(station=cast.a)
    later = ElderFactory(station=cast.a)
    for elder in (*staying, leaving):
        as_of(elder, m1 + datetime.timedelta(days=3))
    as_of(later, m3 + datetime.timedelta(days=3))
    leaving.status = "deceased"
    leaving.save()
    as_of(leaving, m2 + datetime.timedelta(days=10), label="update")
    pairing = PairingFactory(volunteer__station=cast.a, elder=staying[0])
    Visit.objects.create(
        station=cast.a,
        volunteer=pairing.volunteer,
        elder=staying[0],
        started_at=at(m2),
        ended_at=at(m2) + datetime.timedelta(hours=1),
        services=["chat"],
        needs_follow_up=True,
        follow_up_reason="头晕",
        resolved_at=at(m3 + datetime.timedelta(days=1)),
        resolution_note="已陪同就医",
    )

    runs = actions.snapshots_backfill()
    assert [run.last_month for run in runs] == [m1, m2, m3]
    assert [elders_in(cast.a, m) for m in (m1, m2, m3)] == [3, 2, 3]
    follow_ups = MonthlyFigure.objects.filter(
        station=cast.a, metric=Metric.FOLLOW_UPS_OPEN
    )
    assert sorted(follow_ups.values_list("month", flat=True)) == [m2]
    # Safe to repeat: every month has its snapshot now.
    assert actions.snapshots_backfill() == []
    assert all(not run.all_stations for run in runs)  # "as of" stays the real one


def test_a_month_that_kept_its_snapshot_is_left_alone(cast, months):
    m1, _m2, m3 = months
    ElderFactory(station=cast.a)
    now = timezone.now()
    RefreshRun.objects.create(
        trigger="schedule",
        started_at=now,
        finished_at=now,
        first_month=m1,
        last_month=m1,
        snapshot=True,
    )
    runs = actions.snapshots_backfill(first=m1, last=m3)
    assert [run.last_month for run in runs] == [add_months(m1, 1), m3]


def test_the_dashboard_shows_a_back_filled_month(client, cast, months):
    m1, _m2, _m3 = months
    elder = ElderFactory(station=cast.a)
    as_of(elder, m1)
    call_command("refresh_dashboard", backfill_snapshots=True, language="en")
    client.force_login(cast.supervisor)
    page = client.get(
        reverse("supervision:district"),
        {"from": f"{m1:%Y-%m}", "to": f"{m1:%Y-%m}"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.context["dash"].snapshot_month == m1
    assert page.context["dash"].totals.elders == 1
    assert "data-no-snapshot" not in page.content.decode()


def test_the_monthly_job_is_scheduled_and_caught_up(cast, months):
    m1, _m2, _m3 = months
    # The schedule's data migration (a transactional test may have emptied the
    # table it wrote: write it again, it is idempotent).
    import importlib

    from django.apps import apps

    importlib.import_module(
        "supervision.migrations.0010_snapshot_schedule"
    ).add_schedule(apps, None)
    scheduled = PeriodicTask.objects.get(task="supervision.snapshot_backfill")
    assert (scheduled.crontab.day_of_month, scheduled.crontab.hour) == ("1", "0")
    assert "supervision.snapshot_backfill" in {job.task for job in jobs.jobs()}
    elder = ElderFactory(station=cast.a)
    as_of(elder, m1)
    done = jobs.run_catch_ups(timezone.now())
    assert done["supervision.snapshot_backfill"]["months"][0] == f"{m1:%Y-%m}"
    again = jobs.run_catch_ups(timezone.now())
    assert again["supervision.snapshot_backfill"] is None
