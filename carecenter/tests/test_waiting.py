"""The manager's home page says what waits for them: pairings, cycles and late
services awaiting their approval, counted, each with a link."""

import datetime

import pytest
from django.utils import timezone

from elders.tests.factories import ElderFactory
from services import actions as service_actions
from services.tests.factories import service_type
from volunteers.tests.factories import PairingFactory, VolunteerFactory
from vouchers import actions as voucher_actions
from vouchers.models import RunTrigger, VoucherPolicy

pytestmark = pytest.mark.django_db


def waiting_at(station, cast):
    PairingFactory(volunteer=VolunteerFactory(station=station), approved_at=None)
    PairingFactory(volunteer=VolunteerFactory(station=station), approved_at=None)
    VoucherPolicy.objects.get_or_create(
        district=station.district,
        effective_from=datetime.date(2026, 1, 1),
        defaults={"approval_required": True},
    )
    elder = ElderFactory(station=station, categories=["three_no"])
    voucher_actions.month_issue(
        month=timezone.localdate().replace(day=1),
        stations=[station],
        trigger=RunTrigger.SCHEDULE,
    )
    station.district.late_record_days = 7
    station.district.save()
    staff = cast.staff_a if station == cast.a else cast.staff_b
    service_actions.service_record_create(
        actor=staff,
        elder=elder,
        service_type=service_type("errands"),
        delivered_at=timezone.now() - datetime.timedelta(days=20),
        duration_minutes=30,
        staff=staff,
    )


def test_the_manager_sees_what_waits_for_them_with_links(client, cast):
    waiting_at(cast.a, cast)
    waiting_at(cast.b, cast)  # another station's: never counted here
    client.force_login(cast.manager_a)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Waiting for you" in html
    panel = html[html.index("waiting-panel") :]
    panel = panel[: panel.index("</ul>")]
    for key, count, link in [
        ("pairings_to_approve", 2, "/volunteers/pairings/?state=claimed"),
        ("cycles_to_approve", 1, "/vouchers/"),
        ("records_to_confirm", 1, "/services/records/to-confirm/"),
    ]:
        item = panel[panel.index(f'data-waiting="{key}"') :]
        item = item[: item.index("</li>")]
        assert f'href="{link}"' in item and f">{count}</span>" in item, item


def test_nothing_waiting_is_said_and_staff_get_no_panel(client, cast):
    client.force_login(cast.manager_a)
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Nothing waits for your approval." in html
    client.force_login(cast.staff_a)
    assert "waiting-panel" not in client.get("/").content.decode()
