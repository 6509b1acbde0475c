import datetime

import pytest
from rest_framework.test import APIClient

from inspections import actions

#: An ended year: only ended years are inspected.
YEAR = 2025


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploaded evidence lands in a throw-away MEDIA_ROOT."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def api(cast):
    def signed_in(username: str) -> APIClient:
        client = APIClient()
        client.force_login(getattr(cast, username))
        return client

    return signed_in


def refresh(year=YEAR, stations=None, actor=None):
    return actions.inspections_refresh(year=year, stations=stations, actor=actor)


def inspection_of(station, year=YEAR):
    from inspections.models import Inspection

    return Inspection.objects.get(station=station, year=year)


def confirm(inspection, supervisor, **data):
    checklist = {"funds_used_properly": True, **data}
    return actions.inspection_checklist_confirm(
        actor=supervisor, inspection=inspection, data=checklist
    )


def decide(inspection, supervisor, decision="continue", reason="", amount=None):
    return actions.inspection_decide(
        actor=supervisor,
        inspection=inspection,
        decision=decision,
        reason=reason,
        recover_amount=amount,
    )


def later(days: int) -> datetime.date:
    from django.utils import timezone

    return timezone.localdate() + datetime.timedelta(days=days)


@pytest.fixture
def inspected(cast):
    """The 2025 inspections of every station (A, B and C)."""
    refresh()
    return {code: inspection_of(getattr(cast, code.lower())) for code in "ABC"}
