"""Day sheet pages: scoped, read-only for supervisors, constant cost."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from daysheets.models import Enrolment
from daysheets.tests.conftest import enrol, sheet_time
from elders.tests.factories import ElderFactory
from services.models import ServiceRecord

pytestmark = pytest.mark.django_db


def sheet_url(station, code="meal", day=None):
    return reverse(
        "daysheets:sheet", args=[station.pk, code, day or timezone.localdate()]
    )


def test_the_sheet_takes_the_ticked_elders_once(client, cast, caterer):
    elders = [ElderFactory(station=cast.a, name=f"甲{n}") for n in range(4)]
    for elder in elders:
        enrol(cast.staff_a, elder)
    client.force_login(cast.staff_a)
    page = client.get(sheet_url(cast.a))
    assert [r.elder.name for r in page.context["sheet"].rows] == [
        e.name for e in elders
    ]
    form = {
        "present": [e.pk for e in elders[:3]],
        "provider": caterer.pk,
        "at": sheet_time().strftime("%H:%M"),
    }
    response = client.post(sheet_url(cast.a), form)
    assert response.status_code == 302
    assert ServiceRecord.objects.count() == 3
    # The same form again (a double tap, a reload): nothing more.
    client.post(sheet_url(cast.a), form)
    assert ServiceRecord.objects.count() == 3
    assert page.context["sheet"].day == timezone.localdate()


def test_a_walk_in_is_added_by_search(client, cast, caterer):
    walk_in = ElderFactory(station=cast.a, name="临时来")
    client.force_login(cast.staff_a)
    page = client.get(sheet_url(cast.a), {"walkin": [walk_in.pk]})
    assert [r.elder.name for r in page.context["sheet"].rows] == ["临时来"]
    client.post(
        sheet_url(cast.a),
        {
            "walkin": [walk_in.pk],
            "present": [walk_in.pk],
            "provider": caterer.pk,
            "at": sheet_time().strftime("%H:%M"),
        },
    )
    assert ServiceRecord.objects.get().elder == walk_in


def test_a_forged_elder_of_another_station_is_not_taken(client, cast, caterer):
    theirs = ElderFactory(station=cast.b, name="乙站老人")
    client.force_login(cast.staff_a)
    page = client.get(sheet_url(cast.a), {"walkin": [theirs.pk]})
    assert "乙站老人" not in page.content.decode()
    client.post(
        sheet_url(cast.a),
        {
            "walkin": [theirs.pk],
            "present": [theirs.pk],
            "provider": caterer.pk,
            "at": sheet_time().strftime("%H:%M"),
        },
    )
    assert not ServiceRecord.objects.exists()


def test_another_stations_sheet_and_route_answer_404(client, cast):
    enrol(cast.staff_b, ElderFactory(station=cast.b))
    client.force_login(cast.staff_a)
    assert client.get(sheet_url(cast.b)).status_code == 404
    url = reverse(
        "daysheets:route", args=[cast.b.pk, "meal_delivery", timezone.localdate()]
    )
    assert client.get(url).status_code == 404
    assert client.post(sheet_url(cast.b), {}).status_code == 404
    other = Enrolment.objects.get()
    url = reverse("daysheets:enrolment-edit", args=[other.pk])
    assert client.get(url).status_code == 404


def test_the_supervisor_reads_the_sheet_but_cannot_submit(client, cast, caterer):
    elder = ElderFactory(station=cast.a)
    enrol(cast.staff_a, elder)
    client.force_login(cast.supervisor)
    assert client.get(sheet_url(cast.a)).status_code == 200
    response = client.post(
        sheet_url(cast.a),
        {"present": [elder.pk], "at": sheet_time().strftime("%H:%M")},
    )
    assert response.status_code == 403
    assert not ServiceRecord.objects.exists()


def test_volunteers_get_403(client, cast):
    client.force_login(cast.volunteer_a)
    assert client.get(reverse("daysheets:index")).status_code == 403
    assert client.get(sheet_url(cast.a)).status_code == 403


def test_an_unknown_service_or_date_is_not_found(client, cast):
    client.force_login(cast.staff_a)
    assert client.get(sheet_url(cast.a, code="cleaning")).status_code == 404
    assert client.get(f"/day-sheets/{cast.a.pk}/meal/2026-13-45/").status_code == 404


def test_the_enrolment_list_lists_the_station_at_constant_cost(client, cast):
    enrol(cast.staff_b, ElderFactory(station=cast.b, name="乙站老人"))
    client.force_login(cast.staff_a)

    def count():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("daysheets:enrolments"))
        return len(captured), response.content.decode()

    enrol(cast.staff_a, ElderFactory(station=cast.a))
    count()
    few, html = count()
    assert "乙站老人" not in html
    for _ in range(12):
        enrol(cast.staff_a, ElderFactory(station=cast.a), code="day_care", meals=[])
    assert count()[0] == few


def test_the_sheet_costs_the_same_queries_whatever_its_length(client, cast):
    client.force_login(cast.staff_a)
    enrol(cast.staff_a, ElderFactory(station=cast.a))
    client.get(sheet_url(cast.a))

    def count():
        with CaptureQueriesContext(connection) as captured:
            client.get(sheet_url(cast.a))
        return len(captured)

    few = count()
    for _ in range(20):
        enrol(cast.staff_a, ElderFactory(station=cast.a))
    assert count() == few


def test_an_enrolment_is_made_on_its_page(client, cast):
    elder = ElderFactory(station=cast.a)
    client.force_login(cast.staff_a)
    from services.tests.factories import service_type

    response = client.post(
        reverse("daysheets:enrolment-create"),
        {
            "elder": elder.pk,
            "service_type": service_type("meal").pk,
            "weekdays": [0, 2, 4],
            "meals": ["lunch"],
            "starts_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    assert Enrolment.objects.get().weekdays == [0, 2, 4]


def test_the_index_costs_the_same_queries_for_a_district(client, cast):
    from carecenter.tests.factories import StationFactory

    client.force_login(cast.supervisor)

    def count():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("daysheets:index"))
        return len(captured), response.content.decode()

    count()
    few, html = count()
    assert "甲站" in html and "乙站" in html and "丙站" not in html
    for n in range(5):
        station = StationFactory(code=f"S{n}", district=cast.d1)
        enrol(cast.admin, ElderFactory(station=station))
    assert count()[0] == few
