"""The care endpoints: fields, writes through the actions, errors by field."""

import datetime

import pytest
from django.utils import timezone

from care.models import CareCall, Emergency
from care.tests.factories import days_ago
from elders.eligibility import years_before
from elders.models import Elder
from elders.tests.factories import ElderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client, cast):
    client.force_login(cast.staff_a)
    return client


def post(api, path, data):
    return api.post(path, data, content_type="application/json")


def test_care_due_returns_the_interfaces_fields(api, cast):
    elder = ElderFactory(
        station=cast.a,
        living_arrangement="alone",
        birth_date=years_before(timezone.localdate(), 90),
    )
    Elder.objects.filter(pk=elder.pk).update(created_at=days_ago(29))
    body = api.get("/api/v1/care-due/?contact=call").json()
    assert body["count"] == 1
    row = body["results"][0]
    assert {"elder", "group", "last_contact", "due_on", "overdue_days"} <= set(row)
    assert (row["elder"], row["group"], row["last_contact"]) == (
        elder.pk,
        "alone_80",
        None,
    )
    assert row["overdue_days"] in (21, 22, 23)
    visits = api.get("/api/v1/care-due/?contact=visit").json()["results"]
    assert {r["group"] for r in visits} == {"special_difficulty"}
    assert visits[0]["overdue_days"] == 0


def test_a_call_is_logged_and_refused_with_errors_by_field(api, cast):
    elder = ElderFactory(station=cast.a)
    response = post(api, "/api/v1/care-calls/", {"elder": elder.pk, "outcome": "well"})
    assert response.status_code == 201
    assert response.json()["called_by"] == "staff_a"
    bad = post(
        api,
        "/api/v1/care-calls/",
        {
            "elder": elder.pk,
            "outcome": "concern",
            "needs_follow_up": True,
            "called_at": (timezone.now() + datetime.timedelta(hours=3)).isoformat(),
        },
    )
    assert bad.status_code == 400
    assert {"notes", "called_at"} <= set(bad.json())
    assert CareCall.objects.count() == 1


def test_an_emergency_over_the_api(api, cast):
    elder = ElderFactory(station=cast.a)
    reported = timezone.now() - datetime.timedelta(minutes=30)
    created = post(
        api,
        "/api/v1/emergencies/",
        {
            "elder": elder.pk,
            "reported_at": reported.isoformat(),
            "caller_name": "女儿",
            "caller_relation": "family",
            "what_happened": "联系不上老人",
        },
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    early = post(api, f"/api/v1/emergencies/{pk}/close/", {"outcome": "ok"})
    assert early.status_code == 400 and "responded_at" in early.json()
    responded = post(
        api,
        f"/api/v1/emergencies/{pk}/respond/",
        {
            "responder": "站点工作人员",
            "responded_at": (reported + datetime.timedelta(minutes=25)).isoformat(),
            "contact_informed": True,
        },
    )
    assert responded.status_code == 200
    assert responded.json()["response_minutes"] == 25
    closed = post(api, f"/api/v1/emergencies/{pk}/close/", {"outcome": "手机没电"})
    assert closed.status_code == 200 and closed.json()["is_open"] is False
    assert api.get("/api/v1/emergencies/?open=true").json()["count"] == 0
    assert not Emergency.objects.get().is_open
