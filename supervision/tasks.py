"""Celery tasks of the supervision app; beat runs ``refresh`` every 15 minutes
(migration 0003_schedule)."""

from __future__ import annotations

from celery import shared_task

from supervision import actions


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
