"""Celery task of the annual inspection; beat runs it each January (migration
0002_schedule)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from inspections import actions


@shared_task(name="inspections.run_annual")
def run_annual(year: int | None = None) -> dict:
    """Create or refresh every active station's inspection of ``year`` (default:
    last year). Safe to repeat: decided inspections stay as they were decided."""
    year = int(year) if year else timezone.localdate().year - 1
    result = actions.inspections_refresh(year=year)
    return {
        "year": year,
        "created": len(result.created),
        "refreshed": len(result.refreshed),
        "frozen": len(result.frozen),
    }
