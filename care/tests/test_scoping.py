"""The scoping matrix (carecenter/tests/test_scoping.py) over the care pages and
API: care calls, who is due, emergencies, readings."""

import pytest
from django.urls import reverse
from django.utils import timezone

from care.models import CareCall, Emergency
from care.tests.factories import (
    CareCallFactory,
    EmergencyFactory,
    HealthReadingFactory,
    days_ago,
)
from carecenter.tests.test_scoping import READS
from elders.eligibility import years_before
from elders.models import Elder
from elders.tests.factories import ElderFactory

pytestmark = pytest.mark.django_db

# Volunteers read nothing here: care records are the station's (403).
STATION_READERS = {
    user: codes for user, codes in READS.items() if user != "volunteer_a"
}


@pytest.fixture
def world(cast):
    """In each station: an elder living alone at 85, never contacted (due),
    a care call, an open emergency and a reading."""
    rows = {}
    for station in (cast.a, cast.b, cast.c):
        elder = ElderFactory(
            station=station,
            living_arrangement="alone",
            birth_date=years_before(timezone.localdate(), 85),
            name=f"{station.code}老人",
        )
        Elder.objects.filter(pk=elder.pk).update(created_at=days_ago(30))
        rows[station.code] = {
            "elder": elder,
            "call": CareCallFactory(
                elder=elder, outcome="no_answer", called_by=cast.admin
            ),
            "emergency": EmergencyFactory(elder=elder, recorded_by=cast.admin),
            "reading": HealthReadingFactory(elder=elder, recorded_by=cast.admin),
        }
    return rows


def _codes(results, world, key):
    ids = {r["id"] if key != "elder" else r["elder"] for r in results}
    return {
        code
        for code, row in world.items()
        if (row[key].pk if key != "elder" else row["elder"].pk) in ids
    }


@pytest.mark.parametrize("username, expected", STATION_READERS.items())
@pytest.mark.parametrize(
    "path, key",
    [
        ("/api/v1/care-calls/", "call"),
        ("/api/v1/emergencies/", "emergency"),
        ("/api/v1/care-due/", "elder"),
    ],
)
def test_the_api_lists_only_what_is_in_scope(
    client, cast, world, username, expected, path, key
):
    client.force_login(getattr(cast, username))
    response = client.get(path)
    assert response.status_code == 200
    assert _codes(response.json()["results"], world, key) == expected


@pytest.mark.parametrize("username, expected", STATION_READERS.items())
def test_api_details_answer_404_outside_scope(client, cast, world, username, expected):
    client.force_login(getattr(cast, username))
    for code, row in world.items():
        for path in (
            f"/api/v1/care-calls/{row['call'].pk}/",
            f"/api/v1/emergencies/{row['emergency'].pk}/",
        ):
            status = client.get(path).status_code
            assert status == (200 if code in expected else 404), (path, username)


@pytest.mark.parametrize(
    "path", ["/api/v1/care-calls/", "/api/v1/emergencies/", "/api/v1/care-due/"]
)
def test_a_volunteer_gets_403(client, cast, world, path):
    client.force_login(cast.volunteer_a)
    assert client.get(path).status_code == 403


def test_a_call_to_another_stations_elder_is_refused_and_nothing_written(
    client, cast, world
):
    client.force_login(cast.staff_a)
    before = CareCall.objects.count()
    response = client.post(
        "/api/v1/care-calls/",
        {"elder": world["B"]["elder"].pk, "outcome": "well"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "elder" in response.json()
    assert CareCall.objects.count() == before


def test_an_emergency_of_another_station_cannot_be_closed(client, cast, world):
    client.force_login(cast.staff_a)
    emergency = world["B"]["emergency"]
    response = client.post(
        f"/api/v1/emergencies/{emergency.pk}/close/",
        {"outcome": "done"},
        content_type="application/json",
    )
    assert response.status_code == 404
    emergency.refresh_from_db()
    assert emergency.is_open


def test_a_supervisor_reads_but_cannot_write(client, cast, world):
    client.force_login(cast.supervisor)
    response = client.post(
        "/api/v1/care-calls/",
        {"elder": world["A"]["elder"].pk, "outcome": "well"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not CareCall.objects.filter(called_by=cast.supervisor).exists()


@pytest.mark.parametrize("username, expected", READS.items())
def test_pages_show_only_what_is_in_scope(client, cast, world, username, expected):
    client.force_login(getattr(cast, username))
    for name in ("care:due", "care:call-list", "care:emergency-list"):
        response = client.get(reverse(name))
        if username == "volunteer_a":
            assert response.status_code == 403
            continue
        html = response.content.decode()
        shown = {code for code in world if f"{code}老人" in html}
        assert shown == expected, (name, username)


@pytest.mark.parametrize("username, expected", STATION_READERS.items())
def test_detail_pages_answer_404_outside_scope(client, cast, world, username, expected):
    client.force_login(getattr(cast, username))
    for code, row in world.items():
        for url in (
            reverse("care:emergency-detail", args=[row["emergency"].pk]),
            reverse("care:reading-list") + f"?elder={row['elder'].pk}",
        ):
            status = client.get(url).status_code
            assert status == (200 if code in expected else 404), (url, username)


def test_a_forged_elder_id_on_the_quick_call_is_404(client, cast, world):
    client.force_login(cast.staff_a)
    response = client.post(
        reverse("care:call-quick"),
        {"elder": world["B"]["elder"].pk, "outcome": "well"},
    )
    assert response.status_code == 404
    assert not CareCall.objects.filter(called_by=cast.staff_a).exists()


def test_the_emergency_form_refuses_another_stations_elder(client, cast, world):
    client.force_login(cast.staff_a)
    response = client.post(
        reverse("care:emergency-create"),
        {
            "elder": world["B"]["elder"].pk,
            "reported_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "caller_name": '=HYPERLINK("x")',
            "caller_relation": "neighbour",
            "what_happened": "x",
        },
    )
    assert response.status_code == 200
    assert "elder" in response.context["form"].errors
    assert Emergency.objects.count() == 3
