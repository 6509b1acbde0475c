"""Celery tasks of the elders app; beat runs ``tiers_nightly`` every night at
00:05 (migration 0005_tiers_schedule)."""

from __future__ import annotations

from celery import shared_task

from elders import eligibility


@shared_task(name="elders.tiers_nightly")
def tiers_nightly() -> dict:
    """Today's kept tier for the elders whose birthday or residence anniversary
    crossed a threshold since the last run. Safe to repeat: a second run on the
    same day finds nothing to do."""
    run = eligibility.tiers_nightly()
    if run is None:
        return {"done": False}
    return {
        "on": run.on.isoformat(),
        "looked_at": run.looked_at,
        "changed": run.changed,
    }
