"""The demo inspections of ``seed_demo``: last year's, safe to seed twice."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from inspections.models import Decision, Finding, FindingStatus, Inspection

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_last_years_inspections_once(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("seed_demo", password="demo-pw")
    call_command("seed_demo", password="demo-pw")
    year = timezone.localdate().year - 1
    inspections = {
        i.station.code: i for i in Inspection.objects.select_related("station")
    }
    assert set(inspections) == {"DEMO-A", "DEMO-B"}
    assert {i.year for i in inspections.values()} == {year}
    assert inspections["DEMO-A"].decision == "continue"
    assert Decision.objects.count() == 1
    statuses = sorted(
        Finding.objects.filter(inspection=inspections["DEMO-B"]).values_list(
            "status", flat=True
        )
    )
    assert statuses == [FindingStatus.ANSWERED, FindingStatus.OPEN]
