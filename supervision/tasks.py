"""Celery tasks of the supervision app; beat runs ``refresh`` every 15 minutes
(migration 0003_schedule)."""

from __future__ import annotations

from celery import shared_task

from supervision import actions
from supervision.models import RefreshTrigger


@shared_task(name="supervision.refresh")
def refresh() -> dict:
    """Recount what writes have touched since the last refresh (see
    ``actions.figures_refresh_recent``). Safe to repeat at any time."""
    run = actions.figures_refresh_recent()
    return {
        "started_at": run.started_at.isoformat(),
        "seconds": round(run.duration_seconds, 3),
        "stale_months": run.stale_months,
        "figures_written": run.figures_written,
        "figures_deleted": run.figures_deleted,
    }


@shared_task(name="supervision.snapshot_backfill")
def snapshot_backfill() -> dict:
    """Give every ended month without a snapshot the one its end would have had
    (from the history kept). Nothing to do when every month kept its own."""
    runs = actions.snapshots_backfill(trigger=RefreshTrigger.SCHEDULE)
    return {"months": [f"{run.last_month:%Y-%m}" for run in runs]}
