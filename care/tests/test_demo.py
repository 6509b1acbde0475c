"""The demo care data of ``seed_demo``: calls, emergencies, readings, a follow-up;
safe to seed twice."""

import pytest
from django.core.management import call_command

from care.models import CareCall, Emergency, HealthReading
from care.queries import open_follow_ups
from carecenter.models import User
from services.models import ReturnVisit

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_the_care_data_once(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    call_command("seed_demo", password="demo-pw")
    counts = (
        CareCall.objects.count(),
        Emergency.objects.count(),
        HealthReading.objects.count(),
        ReturnVisit.objects.count(),
    )
    call_command("seed_demo", password="demo-pw")
    assert counts == (
        CareCall.objects.count(),
        Emergency.objects.count(),
        HealthReading.objects.count(),
        ReturnVisit.objects.count(),
    )
    assert all(counts)
    assert Emergency.objects.filter(closed_at__isnull=True).count() == 1
    staff_a = User.objects.get(username="staff_a")
    kinds = {item.kind for item in open_follow_ups(user=staff_a)}
    assert {"return_visit", "call"} <= kinds
