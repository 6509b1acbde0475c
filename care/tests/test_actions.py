"""The care actions: validated, scoped, audited, nothing half-written."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from care import actions
from care.models import CareCall, Emergency, HealthReading
from care.tests.factories import EmergencyFactory, days_ago
from carecenter.audit import history_of
from elders.tests.factories import ElderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def elder(cast):
    return ElderFactory(station=cast.a)


def test_it_logs_a_call_with_the_elders_station(cast, elder):
    call = actions.care_call_log(actor=cast.staff_a, elder=elder, outcome="well")
    assert call.station == cast.a and call.called_by == cast.staff_a
    assert abs(call.called_at - timezone.now()) < datetime.timedelta(minutes=1)


def test_the_call_is_audited_with_its_reason(cast, elder):
    call = actions.care_call_log(actor=cast.staff_a, elder=elder, outcome="well")
    entries = history_of(call)
    assert entries[0].user == cast.staff_a
    assert entries[0].reason_code == "care.call_logged"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "well", "kind": "chat"}, "kind"),
        (
            {
                "outcome": "well",
                "called_at": timezone.now() + datetime.timedelta(hours=1),
            },
            "called_at",
        ),
        ({"outcome": "concern", "needs_follow_up": True}, "notes"),
    ],
)
def test_it_refuses_a_bad_call_and_writes_nothing(cast, elder, data, field):
    with pytest.raises(ValidationError) as caught:
        actions.care_call_log(actor=cast.staff_a, elder=elder, **data)
    assert field in caught.value.message_dict
    assert not CareCall.objects.exists()


def test_a_greeting_keeps_no_response_fields(cast, elder):
    call = actions.care_call_log(
        actor=cast.staff_a,
        elder=elder,
        outcome="well",
        responded_at=timezone.now(),
        contact_informed=True,
    )
    assert call.responded_at is None and call.contact_informed is None


def test_an_elder_who_moved_is_not_called(cast):
    moved = ElderFactory(station=cast.a, status="moved")
    with pytest.raises(ValidationError):
        actions.care_call_log(actor=cast.staff_a, elder=moved, outcome="well")


def test_another_stations_elder_answers_404_and_a_supervisor_403(cast, elder):
    with pytest.raises(Http404):
        actions.care_call_log(actor=cast.staff_b, elder=elder, outcome="well")
    with pytest.raises(PermissionDenied):
        actions.care_call_log(actor=cast.supervisor, elder=elder, outcome="well")
    with pytest.raises((PermissionDenied, Http404)):
        actions.care_call_log(actor=cast.volunteer_a, elder=elder, outcome="well")
    assert not CareCall.objects.exists()


def _emergency(cast, elder, **extra):
    data = {
        "caller_name": "王阿姨",
        "caller_relation": "neighbour",
        "what_happened": "摔倒了",
        "reported_at": days_ago(0.05),
        **extra,
    }
    return actions.emergency_record(actor=cast.staff_a, elder=elder, **data)


def test_an_emergency_is_opened_responded_to_and_closed(cast, elder):
    emergency = _emergency(cast, elder)
    assert emergency.is_open and emergency.response_minutes is None
    with pytest.raises(ValidationError) as caught:
        actions.emergency_close(actor=cast.staff_a, emergency=emergency, outcome="ok")
    assert "responded_at" in caught.value.message_dict
    emergency = actions.emergency_respond(
        actor=cast.staff_a,
        emergency=emergency,
        responder="站点工作人员",
        responded_at=emergency.reported_at + datetime.timedelta(minutes=9),
        contact_informed=True,
    )
    assert emergency.response_minutes == 9
    emergency = actions.emergency_close(
        actor=cast.manager_a, emergency=emergency, outcome="送医，已无大碍"
    )
    assert not emergency.is_open and emergency.closed_by == cast.manager_a
    with pytest.raises(ValidationError):
        actions.emergency_close(actor=cast.staff_a, emergency=emergency, outcome="x")


@pytest.mark.parametrize(
    "extra, field",
    [
        ({"caller_name": " "}, "caller_name"),
        ({"what_happened": ""}, "what_happened"),
        ({"caller_relation": "robot"}, "caller_relation"),
        ({"responded_at": days_ago(1)}, "responded_at"),  # before the call
        ({"reported_at": timezone.now() + datetime.timedelta(hours=2)}, "reported_at"),
    ],
)
def test_it_refuses_a_bad_emergency(cast, elder, extra, field):
    with pytest.raises(ValidationError) as caught:
        _emergency(cast, elder, **extra)
    assert field in caught.value.message_dict
    assert not Emergency.objects.exists()


def test_closing_needs_an_outcome(cast, elder):
    emergency = EmergencyFactory(
        elder=elder, responded_at=timezone.now(), responder="x"
    )
    with pytest.raises(ValidationError) as caught:
        actions.emergency_close(actor=cast.staff_a, emergency=emergency, outcome=" ")
    assert "outcome" in caught.value.message_dict


def test_another_station_cannot_close_an_emergency(cast, elder):
    emergency = EmergencyFactory(
        elder=elder, responded_at=timezone.now(), responder="x"
    )
    with pytest.raises(Http404):
        actions.emergency_close(actor=cast.staff_b, emergency=emergency, outcome="x")
    emergency.refresh_from_db()
    assert emergency.is_open


def test_a_reading_is_recorded(cast, elder):
    reading = actions.reading_record(
        actor=cast.staff_a, elder=elder, systolic=135, diastolic=85
    )
    assert reading.station == cast.a and reading.blood_sugar is None


@pytest.mark.parametrize(
    "values, field",
    [
        ({"systolic": 135}, "systolic"),
        ({"systolic": 80, "diastolic": 90}, "systolic"),
        ({"systolic": 400, "diastolic": 90}, "systolic"),
        ({"blood_sugar": Decimal("55")}, "blood_sugar"),
        ({"blood_sugar": Decimal("0.5")}, "blood_sugar"),
        ({}, "systolic"),
    ],
)
def test_an_implausible_reading_is_refused(cast, elder, values, field):
    with pytest.raises(ValidationError) as caught:
        actions.reading_record(actor=cast.staff_a, elder=elder, **values)
    assert field in caught.value.message_dict
    assert not HealthReading.objects.exists()
