"""The care app's scheduled job and its catch-up (``carecenter.jobs``)."""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from care import cadence
from care.models import ObligationRun
from carecenter.jobs import register_job


def obligations_catch_up(now: datetime.datetime) -> dict | None:
    """Run the nightly obligations when none has made them true for today yet
    (a lost message, a machine off at midnight)."""
    today = timezone.localtime(now).date()
    if ObligationRun.objects.filter(on__gte=today).exists():
        return None
    run = cadence.obligations_nightly(today=today)
    return {"on": run.on.isoformat(), "written": run.written}


def register() -> None:
    register_job(
        "care.obligations_nightly",
        _("Nightly contact obligations"),
        _(
            "Every night at 00:01 who owes which call or visit is stored again "
            "for every elder (an 80th birthday starts a weekly call), which also "
            "heals any drift. Caught up when today's run has not happened yet."
        ),
        catch_up=obligations_catch_up,
        order=6,
    )
