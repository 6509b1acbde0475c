import datetime

import pytest
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Uploaded scans land in a throw-away MEDIA_ROOT."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def api(cast):
    """``api("staff_a")``: a client signed in as one of the cast."""

    def signed_in(username: str) -> APIClient:
        client = APIClient()
        client.force_login(getattr(cast, username))
        return client

    return signed_in


@pytest.fixture
def make_volunteer():
    from volunteers.models import Volunteer

    def make(station, name="志愿者甲", **fields):
        return Volunteer.objects.create(
            station=station,
            name=name,
            gender="F",
            birth_date=datetime.date(1960, 5, 1),
            phone="139 0000 1234",
            **fields,
        )

    return make
