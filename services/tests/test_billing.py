"""A service priced per hour bills its duration, and the record form shows the
bill before it is saved."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from elders.tests.factories import ElderFactory
from services import actions
from services.tests.factories import AgreementFactory, ProviderFactory, service_type

pytestmark = pytest.mark.django_db


def record(cast, code, *, minutes, quantity="1", **fields):
    return actions.service_record_create(
        actor=cast.staff_a,
        elder=ElderFactory(station=cast.a),
        service_type=service_type(code),
        delivered_at=timezone.now() - datetime.timedelta(hours=1),
        duration_minutes=minutes,
        quantity=Decimal(quantity),
        staff=cast.staff_a,
        **fields,
    )


def test_it_bills_a_per_hour_service_by_its_duration(cast):
    cleaning = service_type("cleaning")
    assert cleaning.unit == "hour"
    found = record(cast, "cleaning", minutes=120)
    assert found.quantity == Decimal("2.00")
    assert found.amount == 2 * cleaning.default_price


def test_it_bills_part_of_an_hour_to_the_cent_of_an_hour(cast):
    assert record(cast, "cleaning", minutes=50, quantity="3").quantity == Decimal(
        "0.83"
    )


def test_a_service_priced_per_visit_keeps_the_quantity_typed(cast):
    assert service_type("bathing").unit != "hour"
    assert record(cast, "bathing", minutes=120).quantity == Decimal("1")


def form_data(cast, code="cleaning", **fields):
    return {
        "elder": ElderFactory(station=cast.a).pk,
        "service_type": service_type(code).pk,
        "delivered_by": "staff",
        "staff": cast.staff_a.pk,
        "delivered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "120",
        "quantity": "1",
        **fields,
    }


def test_the_form_shows_the_bill_before_saving(client, cast):
    client.force_login(cast.staff_a)
    price = service_type("cleaning").default_price
    answer = client.get(reverse("services:record-bill"), form_data(cast))
    assert answer.status_code == 200
    assert answer.context["bill"].quantity == Decimal("2.00")
    assert answer.context["bill"].amount == 2 * price
    assert f"¥{2 * price:.2f}" in answer.content.decode()
    page = client.get(reverse("services:record-create"))
    assert reverse("services:record-bill") in page.content.decode()


def test_the_bill_uses_the_agreed_price_of_the_stations_own_provider(client, cast):
    own = ProviderFactory(station=cast.a)
    AgreementFactory(provider=own, prices={"cleaning": "33.00"})
    agreed = Decimal("33.00")
    client.force_login(cast.staff_a)
    answer = client.get(
        reverse("services:record-bill"),
        form_data(cast, delivered_by="provider", provider=own.pk),
    )
    assert answer.context["bill"].agreed
    assert answer.context["bill"].amount == 2 * agreed
    # Another station's provider, forged into the form: the catalogue's price.
    other = ProviderFactory(station=cast.b)
    AgreementFactory(provider=other, prices={"cleaning": "33.00"})
    answer = client.get(
        reverse("services:record-bill"),
        form_data(cast, delivered_by="provider", provider=other.pk),
    )
    assert not answer.context["bill"].agreed


@pytest.mark.parametrize("who", ["supervisor", "volunteer_a"])
def test_read_only_roles_get_no_bill(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(reverse("services:record-bill")).status_code == 403
