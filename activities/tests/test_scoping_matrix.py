"""The station-isolation matrix (carecenter/tests/test_scoping.py) over group
activities and day sheets: each user of the cast reads exactly the stations of
``READS``; volunteers read none of these station records."""

import pytest
from django.urls import reverse
from django.utils import timezone

from activities.tests.conftest import plan
from carecenter.tests.test_scoping import READS
from daysheets.tests.conftest import enrol
from elders.tests.factories import ElderFactory
from services.tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db

#: Volunteers see the elders paired with them, never a station's activities.
STATION_RECORDS = {**READS, "volunteer_a": set()}


@pytest.fixture
def everywhere(cast):
    made = {}
    for station, code in ((cast.a, "A"), (cast.b, "B"), (cast.c, "C")):
        actor = cast.admin
        made[code] = (
            plan(
                actor,
                station,
                title=f"{code}站讲座",
                organiser_staff=None,
                organiser_provider=ProviderFactory(station=station),
            ),
            enrol(actor, ElderFactory(station=station, name=f"{code}站老人")),
        )
    return made


@pytest.mark.parametrize("username, expected", STATION_RECORDS.items())
def test_the_activity_api_and_pages_answer_by_station(
    client, cast, everywhere, username, expected
):
    client.force_login(getattr(cast, username))
    listed = client.get("/api/v1/activities/").json()["results"]
    assert {a["station"] for a in listed} == expected
    for code, (activity, _enrolment) in everywhere.items():
        api = client.get(f"/api/v1/activities/{activity.pk}/attendance/")
        assert api.status_code == (200 if code in expected else 404)
        page = client.get(reverse("activities:detail", args=[activity.pk]))
        if username == "volunteer_a":
            assert page.status_code == 403
        else:
            assert page.status_code == (200 if code in expected else 404)


@pytest.mark.parametrize("username, expected", STATION_RECORDS.items())
def test_the_day_sheets_answer_by_station(client, cast, everywhere, username, expected):
    client.force_login(getattr(cast, username))
    today = timezone.localdate()
    for code, (_activity, enrolment) in everywhere.items():
        url = reverse("daysheets:sheet", args=[enrolment.station_id, "meal", today])
        response = client.get(url)
        if username == "volunteer_a":
            assert response.status_code == 403
        elif code in expected:
            assert response.status_code == 200
            assert f"{code}站老人" in response.content.decode()
        else:
            assert response.status_code == 404
