"""Celery tasks of the care app; beat runs ``obligations_nightly`` every night at
00:01 local time (migration ``0005_obligations_kept``)."""

from __future__ import annotations

from celery import shared_task

from care import cadence


@shared_task(name="care.obligations_nightly")
def obligations_nightly() -> dict:
    """Every elder's kept contact obligations for today. Safe to repeat."""
    run = cadence.obligations_nightly()
    return {"on": run.on.isoformat(), "written": run.written}
