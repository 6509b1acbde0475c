from decimal import Decimal

import pytest
from django.urls import reverse

from elders.tests.factories import ElderFactory
from services.models import ServiceType
from services.tests.factories import FeedbackFactory, service_type

pytestmark = pytest.mark.django_db


def test_the_administrator_edits_the_catalogue_price(client, cast):
    client.force_login(cast.admin)
    meal = service_type("meal")
    url = reverse("admin:services_servicetype_change", args=[meal.pk])
    response = client.post(
        url,
        {
            "name_zh": "助餐",
            "name_en": "Meal help",
            "unit": "meal",
            "default_price": "13.50",
            "active": "on",
        },
    )
    assert response.status_code == 302
    assert ServiceType.objects.get(pk=meal.pk).default_price == Decimal("13.50")


def test_the_admin_pages_open(client, cast):
    FeedbackFactory(record__elder=ElderFactory(station=cast.a))
    client.force_login(cast.admin)
    for model in [
        "servicetype",
        "provider",
        "serviceagreement",
        "servicerecord",
        "feedback",
        "returnvisit",
    ]:
        url = reverse(f"admin:services_{model}_changelist")
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("admin:services_servicetype_add")).status_code == 403


def test_station_staff_do_not_edit_the_catalogue(client, cast):
    client.force_login(cast.staff_a)
    response = client.get(reverse("admin:services_servicetype_changelist"))
    assert response.status_code == 302


def test_an_agreement_with_its_scan_opens_read_only(client, cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from services.tests.factories import AgreementFactory, ProviderFactory
    from services.tests.test_actions import PDF

    agreement = AgreementFactory(provider=ProviderFactory(station=cast.a))
    agreement.scan.save("s.pdf", SimpleUploadedFile("s.pdf", PDF))
    client.force_login(cast.admin)
    url = reverse("admin:services_serviceagreement_change", args=[agreement.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert agreement.scan.name not in response.content.decode()
