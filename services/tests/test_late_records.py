"""A service recorded long after it was delivered waits for the station manager:
nothing is paid until they confirm it, and then only from the vouchers that were
valid on its delivery date. And an amount that cannot fit is refused, not a 500."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from elders.tests.factories import ElderFactory
from services import actions
from services.models import ServiceRecord
from services.tests.factories import service_type
from vouchers import actions as voucher_actions
from vouchers.models import Grant, LedgerEntry, RunTrigger

pytestmark = pytest.mark.django_db


def days_ago(days: int, hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def policy(cast):
    """The districts' default limit: a week."""
    for district in (cast.d1, cast.d2):
        district.late_record_days = 7
        district.save()
    return 7


@pytest.fixture
def elder(cast, policy):
    """A free elder of A with this month's and last month's vouchers (¥300 each)."""
    found = ElderFactory(station=cast.a, categories=["three_no"])
    for days in (0, 40):
        month = (timezone.localdate() - datetime.timedelta(days=days)).replace(day=1)
        voucher_actions.month_issue(
            month=month, stations=[cast.a], trigger=RunTrigger.SCHEDULE
        )
    return found


def record(cast, elder, *, days, actor=None, price="100.00", hour=10, **fields):
    return actions.service_record_create(
        actor=actor or cast.staff_a,
        elder=elder,
        service_type=service_type("errands"),
        delivered_at=days_ago(days, hour),
        duration_minutes=30,
        price=Decimal(price),
        staff=cast.staff_a,
        **fields,
    )


def test_a_service_within_the_limit_is_paid_at_once(cast, elder):
    paid = record(cast, elder, days=7)
    assert not paid.needs_confirmation
    assert paid.voucher_paid == Decimal("100.00")


def test_a_late_service_waits_and_pays_nothing(cast, elder):
    late = record(cast, elder, days=8)
    assert late.needs_confirmation and late.awaits_confirmation
    assert (late.voucher_paid, late.self_paid) == (Decimal("0"), Decimal("0"))
    assert late.amount == Decimal("100.00")  # what it will cost
    assert not LedgerEntry.objects.filter(service_record=late).exists()


def test_staff_cannot_confirm_it(cast, elder):
    late = record(cast, elder, days=8)
    with pytest.raises(PermissionDenied):
        actions.service_record_confirm(actor=cast.staff_a, record=late)
    with pytest.raises(Http404):
        actions.service_record_confirm(actor=cast.staff_b, record=late)
    assert ServiceRecord.objects.get(pk=late.pk).awaits_confirmation


def test_the_manager_confirms_it_and_it_is_paid_from_the_vouchers_of_its_day(
    cast, elder
):
    delivered = days_ago(35)
    late = record(cast, elder, days=35)
    confirmed = actions.service_record_confirm(actor=cast.manager_a, record=late)
    assert confirmed.confirmed_by == cast.manager_a
    assert not confirmed.awaits_confirmation
    assert (confirmed.voucher_paid, confirmed.self_paid) == (
        Decimal("100.00"),
        Decimal("0"),
    )
    [entry] = LedgerEntry.objects.filter(service_record=late)
    # Drawn from the grant of the month it was delivered in, not this month's.
    assert entry.month == timezone.localtime(delivered).date().replace(day=1)
    with pytest.raises(ValidationError, match="does not await"):
        actions.service_record_confirm(actor=cast.manager_a, record=late)
    assert LedgerEntry.objects.filter(service_record=late).count() == 1


def test_a_service_older_than_any_grant_pays_nothing_from_vouchers(cast, elder):
    late = record(cast, elder, days=120)
    confirmed = actions.service_record_confirm(actor=cast.manager_a, record=late)
    assert (confirmed.voucher_paid, confirmed.self_paid) == (
        Decimal("0"),
        Decimal("100.00"),
    )
    assert sum(g.remaining for g in Grant.objects.all()) == Decimal("600.00")


def test_a_manager_recording_a_late_service_confirms_it_by_doing_so(cast, elder):
    late = record(cast, elder, days=20, actor=cast.manager_a)
    assert late.needs_confirmation
    assert late.confirmed_by == cast.manager_a
    assert late.voucher_paid + late.self_paid == Decimal("100.00")


def test_a_cancelled_late_service_cannot_be_confirmed(cast, elder):
    late = record(cast, elder, days=9)
    actions.service_record_cancel(actor=cast.manager_a, record=late, reason="未发生")
    with pytest.raises(ValidationError, match="cancelled"):
        actions.service_record_confirm(actor=cast.manager_a, record=late)
    assert not LedgerEntry.objects.filter(service_record=late).exists()


# --- Pages ----------------------------------------------------------------------------


def test_staff_are_told_and_the_manager_sees_what_to_confirm(client, cast, elder):
    client.force_login(cast.staff_a)
    form = {
        "elder": elder.pk,
        "service_type": service_type("errands").pk,
        "delivered_by": "staff",
        "staff": cast.staff_a.pk,
        "delivered_at": timezone.localtime(days_ago(10)).strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": 30,
        "quantity": "1",
        "price": "60.00",
    }
    response = client.post(
        reverse("services:record-create"), form, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    page = response.content.decode()
    assert "the station manager must confirm it" in page
    assert "Recorded late: not paid yet." in page
    late = ServiceRecord.objects.get()
    assert "Confirm and pay" not in page  # staff cannot

    home = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Late services to confirm" in home
    listing = client.get(reverse("services:records-to-confirm")).content.decode()
    assert late.get_absolute_url() in listing
    assert "Confirm and pay" not in listing
    assert (
        client.post(reverse("services:record-confirm", args=[late.pk])).status_code
        == 403
    )

    client.force_login(cast.manager_a)
    listing = client.get(
        reverse("services:records-to-confirm"), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Confirm and pay" in listing
    response = client.post(
        reverse("services:record-confirm", args=[late.pk]),
        {"next": "list"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Confirmed: ¥60.00 paid by vouchers" in response.content.decode()
    assert ServiceRecord.objects.get().voucher_paid == Decimal("60.00")


@pytest.mark.parametrize("who", ["staff_b", "supervisor"])
def test_other_roles_cannot_confirm(client, cast, elder, who):
    late = record(cast, elder, days=10)
    client.force_login(getattr(cast, who))
    response = client.post(reverse("services:record-confirm", args=[late.pk]))
    assert response.status_code == (404 if who == "staff_b" else 403)
    listing = client.get(reverse("services:records-to-confirm")).content.decode()
    assert (late.get_absolute_url() in listing) == (who == "supervisor")
    assert ServiceRecord.objects.get().awaits_confirmation


def test_the_list_to_confirm_costs_the_same_for_few_or_many(
    client, cast, elder, django_assert_max_num_queries
):
    client.force_login(cast.manager_a)
    record(cast, elder, days=10)
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("services:records-to-confirm"))
    for days in range(11, 23):
        record(cast, elder, days=days)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("services:records-to-confirm"))


# --- API ------------------------------------------------------------------------------


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_the_api_says_a_record_waits_and_the_manager_confirms_it(cast, elder):
    body = {
        "elder": elder.pk,
        "service_type": "errands",
        "staff": cast.staff_a.pk,
        "delivered_at": days_ago(10).isoformat(),
        "duration_minutes": 30,
        "price": "80.00",
    }
    created = api(cast.staff_a).post("/api/v1/service-records/", body, format="json")
    assert created.status_code == 201
    assert created.json()["awaiting_confirmation"] is True
    assert created.json()["voucher_paid"] == "0.00"
    url = f"/api/v1/service-records/{created.json()['id']}/confirm/"
    assert api(cast.staff_a).post(url).status_code == 403
    assert api(cast.staff_b).post(url).status_code == 404
    confirmed = api(cast.manager_a).post(url)
    assert confirmed.status_code == 200
    assert confirmed.json()["awaiting_confirmation"] is False
    assert confirmed.json()["voucher_paid"] == "80.00"
    assert api(cast.manager_a).post(url).status_code == 400


# --- Amounts that cannot overflow -----------------------------------------------------


def test_an_amount_too_large_for_a_record_is_refused_by_the_action(cast, elder):
    with pytest.raises(ValidationError) as caught:
        record(cast, elder, days=1, price="999999.99", quantity=Decimal("9999.99"))
    assert "more than one service record can hold" in str(caught.value)
    assert not ServiceRecord.objects.exists()


def test_an_amount_too_large_is_a_form_error(client, cast, elder):
    client.force_login(cast.staff_a)
    response = client.post(
        reverse("services:record-create"),
        {
            "elder": elder.pk,
            "service_type": service_type("errands").pk,
            "delivered_by": "staff",
            "staff": cast.staff_a.pk,
            "delivered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": 30,
            "quantity": "9999.99",
            "price": "999999.99",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "more than one service record can hold" in response.content.decode()
    assert not ServiceRecord.objects.exists()


@pytest.mark.parametrize(
    ("price", "quantity", "status"),
    [
        ("999999.99", "9999.99", 400),
        ("99999.99", "1001.00", 400),
        ("99999.99", "1000.00", 201),  # ¥99,999,990.00 still fits
    ],
)
def test_the_api_answers_400_for_an_amount_too_large(
    cast, elder, price, quantity, status
):
    response = api(cast.staff_a).post(
        "/api/v1/service-records/",
        {
            "elder": elder.pk,
            "service_type": "errands",
            "staff": cast.staff_a.pk,
            "delivered_at": timezone.now().isoformat(),
            "duration_minutes": 30,
            "price": price,
            "quantity": quantity,
        },
        format="json",
    )
    assert response.status_code == status, response.content
    if status == 400:
        assert "more than one service record can hold" in str(response.json())
        assert not ServiceRecord.objects.exists()
