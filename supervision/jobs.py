"""The dashboard's scheduled refresh and its catch-up (``carecenter.jobs``)."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _

from carecenter.jobs import register_job
from supervision import actions
from supervision.models import RefreshRun

#: Beat refreshes every 15 minutes; figures older than this are refreshed by the
#: catch-up (the page flags figures older than an hour).
STALE_AFTER = datetime.timedelta(minutes=20)


def refresh_catch_up(now: datetime.datetime) -> dict | None:
    """Refresh the recent figures when no refresh finished for a while."""
    latest = RefreshRun.objects.values_list("finished_at", flat=True).first()
    if latest is not None and now - latest < STALE_AFTER:
        return None
    run = actions.figures_refresh_recent()
    return {"figures_written": run.figures_written, "stale_months": run.stale_months}


def register() -> None:
    register_job(
        "supervision.refresh",
        _("Dashboard refresh"),
        _(
            "Every 15 minutes the dashboard's figures of every station-month a "
            "write has touched are recounted, with the follow-ups and expiries and "
            "the elders and needs of the stations whose archives changed (of every "
            "station once a day). Caught up when no refresh finished for 20 minutes."
        ),
        catch_up=refresh_catch_up,
        order=40,
    )
