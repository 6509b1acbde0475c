"""The annual inspection's schedule and its catch-up (``carecenter.jobs``)."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecenter.jobs import register_job
from carecenter.models import Station
from inspections import actions
from inspections.models import Inspection

#: Beat creates the year's inspections on 5 January at 02:00 (0002_schedule).
DUE = (1, 5, 2)  # month, day, hour


def annual_catch_up(now: datetime.datetime) -> dict | None:
    """Create last year's inspection of every active station that lacks one."""
    local = timezone.localtime(now)
    month, day, hour = DUE
    if (local.month, local.day, local.hour) < (month, day, hour):
        return None
    year = local.year - 1
    missing = list(
        Station.objects.filter(is_active=True)
        .exclude(pk__in=Inspection.objects.filter(year=year).values("station_id"))
        .order_by("pk")
    )
    if not missing:
        return None
    result = actions.inspections_refresh(year=year, stations=missing)
    return {"year": year, "created": len(result.created)}


def register() -> None:
    register_job(
        "inspections.run_annual",
        _("Annual inspection"),
        _(
            "On 5 January at 02:00, every station's inspection of the year just "
            "ended is created with its figures. Caught up for any station still "
            "without one."
        ),
        catch_up=annual_catch_up,
        order=50,
    )
