"""Reads of stations and districts, always starting from the user's scope."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_celery_beat.models import PeriodicTask

from carecenter import jobs
from carecenter.home import Alert, count_by_station, home_alert, home_counter
from carecenter.models import (
    JobState,
    JobStatus,
    LeadingGroupMember,
    Role,
    RoleAssignment,
    Station,
)
from carecenter.scoping import get_visible_or_404, visible_to


def station_list(*, user) -> QuerySet[Station]:
    return visible_to(user, Station.objects.filter(is_active=True)).select_related(
        "district"
    )


def station_detail(*, user, pk: int) -> Station:
    return get_visible_or_404(user, Station.objects.select_related("district"), pk=pk)


def leading_group(*, user, station: Station) -> QuerySet[LeadingGroupMember]:
    return visible_to(user, LeadingGroupMember.objects.filter(station=station))


@home_counter("staff", _("Staff on the roster"))
def staff_counts(stations: QuerySet) -> dict[int, int]:
    return count_by_station(
        RoleAssignment.objects.filter(
            station__in=stations,
            role__in=[Role.MANAGER, Role.STAFF],
            user__is_active=True,
        ),
        distinct="user",
    )


@home_counter("volunteer_logins", _("Volunteer accounts"))
def volunteer_login_counts(stations: QuerySet) -> dict[int, int]:
    return count_by_station(
        RoleAssignment.objects.filter(
            station__in=stations, role=Role.VOLUNTEER, user__is_active=True
        )
    )


# --- Scheduled jobs (administrators) -------------------------------------------------


@dataclass
class JobRow:
    job: jobs.Job
    schedules: list[PeriodicTask]
    status: JobStatus | None

    @property
    def failed(self) -> bool:
        return self.status is not None and self.status.state == JobState.FAILED


def job_rows() -> list[JobRow]:
    """Every registered job with its beat entries and its last run (two queries)."""
    registered = jobs.jobs()
    names = [job.task for job in registered]
    schedules: dict[str, list[PeriodicTask]] = {}
    for entry in PeriodicTask.objects.filter(task__in=names).select_related(
        "crontab", "interval"
    ):
        schedules.setdefault(entry.task, []).append(entry)
    statuses = JobStatus.objects.in_bulk(names, field_name="task")
    return [
        JobRow(job, schedules.get(job.task, []), statuses.get(job.task))
        for job in registered
    ]


@home_alert
def job_alerts() -> list[Alert]:
    """A job whose last run failed, or a beat that stopped beating."""
    found = []
    labels = {job.task: job.label for job in jobs.jobs()}
    for status in JobStatus.objects.filter(state=JobState.FAILED).order_by("task"):
        found.append(
            Alert(
                gettext("The job “%(task)s” failed at its last run (%(at)s).")
                % {
                    "task": labels.get(status.task, status.task),
                    "at": timezone.localtime(status.finished_at).strftime(
                        "%Y-%m-%d %H:%M"
                    ),
                },
                reverse("jobs"),
            )
        )
    beat = jobs.beat_state()
    if beat.status == "late":
        found.append(
            Alert(
                gettext(
                    "The scheduler (beat) has not been heard from since %(at)s: no "
                    "scheduled job runs without it."
                )
                % {"at": timezone.localtime(beat.last).strftime("%Y-%m-%d %H:%M")},
                reverse("jobs"),
                "warning",
            )
        )
    return found
