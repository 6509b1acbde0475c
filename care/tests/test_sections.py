"""The elder's page shows the whole of their care at a cost that does not grow
with their history."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from care.tests.factories import (
    CareCallFactory,
    EmergencyFactory,
    HealthReadingFactory,
    VisitFactory,
    days_ago,
)
from elders.tests.factories import ElderFactory
from services.tests.factories import FeedbackFactory, ServiceRecordFactory
from volunteers.tests.factories import PairingFactory, VolunteerFactory

pytestmark = pytest.mark.django_db

SECTIONS = ["services", "contacts", "readings", "pairings", "vouchers", "follow_ups"]


def history(elder, n: int, admin) -> None:
    volunteer = VolunteerFactory(station=elder.station)
    PairingFactory(volunteer=volunteer, elder=elder, station=elder.station)
    for i in range(n):
        record = ServiceRecordFactory(elder=elder, delivered_at=days_ago(i + 1))
        if i % 2:
            FeedbackFactory(record=record)
        VisitFactory(
            elder=elder,
            volunteer=volunteer,
            started_at=days_ago(i + 1.5),
            systolic=130 + i % 10,
            diastolic=80,
            needs_follow_up=i % 3 == 0,
            follow_up_reason="看看" if i % 3 == 0 else "",
        )
        CareCallFactory(elder=elder, called_at=days_ago(i + 0.2), called_by=admin)
        HealthReadingFactory(
            elder=elder, measured_at=days_ago(i + 0.3), recorded_by=admin
        )
        EmergencyFactory(elder=elder, reported_at=days_ago(i + 0.4), recorded_by=admin)


def _get(client, elder):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("elders:detail", args=[elder.pk]))
    assert response.status_code == 200
    return response, len(queries.captured_queries)


def test_every_section_is_there_with_its_latest_ten_and_a_link(client, cast):
    elder = ElderFactory(station=cast.a)
    history(elder, 14, cast.admin)
    client.force_login(cast.staff_a)
    response, _n = _get(client, elder)
    sections = {s.key: s.context for s in response.context["sections"]}
    assert list(sections) == SECTIONS
    assert len(sections["services"]["records"]) == 10
    assert len(sections["contacts"]["visits"]) == 10
    assert len(sections["contacts"]["calls"]) == 10
    assert len(sections["readings"]["readings"]) == 10
    # Readings from the staff and from the volunteers' visits, newest first.
    assert {r.source for r in sections["readings"]["readings"]} == {"staff", "visit"}
    times = [r.measured_at for r in sections["readings"]["readings"]]
    assert times == sorted(times, reverse=True)
    assert len(sections["readings"]["chart"]["labels"]) == 28
    html = response.content.decode()
    assert f"/services/?elder={elder.pk}" in html
    assert f"/volunteers/visits/?elder={elder.pk}" in html
    assert f"/care/calls/?elder={elder.pk}" in html
    assert 'data-readings-chart="' in html


@pytest.mark.parametrize("username", ["staff_a", "supervisor"])
def test_the_page_costs_the_same_for_2_or_40_records_of_each_kind(
    client, cast, username
):
    small, large = ElderFactory(station=cast.a), ElderFactory(station=cast.a)
    history(small, 2, cast.admin)
    history(large, 40, cast.admin)
    client.force_login(getattr(cast, username))
    _get(client, small)  # warm the session and the user's scope
    _r, few = _get(client, small)
    _r, many = _get(client, large)
    assert many == few


def test_the_all_links_open_lists_of_this_elder_only(client, cast):
    elder, other = ElderFactory(station=cast.a), ElderFactory(station=cast.a)
    history(elder, 3, cast.admin)
    history(other, 2, cast.admin)
    client.force_login(cast.staff_a)
    for url, key in [
        (reverse("services:records"), "records"),
        (reverse("volunteers:visits"), "page_obj"),
        (reverse("care:call-list"), "page_obj"),
        (reverse("care:emergency-list"), "page_obj"),
        (reverse("volunteers:pairings"), "page_obj"),
    ]:
        response = client.get(f"{url}?elder={elder.pk}")
        rows = list(response.context[key])
        assert rows and {row.elder_id for row in rows} == {elder.pk}, url


def test_another_stations_elder_id_in_a_list_shows_nothing(client, cast):
    elder_b = ElderFactory(station=cast.b)
    history(elder_b, 2, cast.admin)
    client.force_login(cast.staff_a)
    response = client.get(reverse("care:call-list") + f"?elder={elder_b.pk}")
    assert response.status_code == 200 and not list(response.context["page_obj"])
    response = client.get(reverse("care:reading-list") + f"?elder={elder_b.pk}")
    assert response.status_code == 404
