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


def _seed_catalogue() -> None:
    from services.demo import catalogue_ensure

    catalogue_ensure()


@pytest.fixture(scope="session", autouse=True)
def _service_catalogue_in_the_test_database(django_db_setup, django_db_blocker):
    """The catalogue rows of the data migration.

    A transactional test (the browser tests) truncates every table when it ends,
    data migrations' rows included, and ``--reuse-db`` keeps the database so
    truncated for the next run: seed the rows again (idempotent).
    """
    with django_db_blocker.unblock():
        _seed_catalogue()


@pytest.fixture(autouse=True)
def _service_catalogue(request):
    """The same after a transactional test has run earlier in this session."""
    if "transactional_db" in request.fixturenames or any(
        m.kwargs.get("transaction") for m in request.node.iter_markers("django_db")
    ):
        _seed_catalogue()
