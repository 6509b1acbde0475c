"""The elders app's scheduled job and its catch-up (``carecenter.jobs``)."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecenter.jobs import register_job
from elders import eligibility
from elders.models import TierRun


def tiers_catch_up(now: datetime.datetime) -> dict | None:
    """Run the nightly tiers when no run has made them true for today yet (a
    lost message, a machine off at midnight)."""
    today = timezone.localtime(now).date()
    if TierRun.objects.filter(on__gte=today).exists():
        return None
    run = eligibility.tiers_nightly(on=today)
    return None if run is None else {"looked_at": run.looked_at, "changed": run.changed}


def register() -> None:
    register_job(
        "elders.tiers_nightly",
        _("Nightly tiers"),
        _(
            "Every night at 00:05 the kept tier of the elders whose birthday or "
            "residence anniversary crossed a threshold is recomputed. Caught up "
            "when today's tiers have not been made yet."
        ),
        catch_up=tiers_catch_up,
        order=5,
    )
