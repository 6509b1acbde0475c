import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from daysheets import actions
from services.tests.factories import AgreementFactory, ProviderFactory, service_type


def sheet_time() -> datetime.time:
    """A time today that is already past (a sheet cannot be in the future)."""
    now = timezone.localtime()
    return max(
        now - datetime.timedelta(minutes=5), now.replace(hour=0, minute=0)
    ).time()


@pytest.fixture
def caterer(cast):
    """A canteen provider of station A with an agreement for meals at ¥200."""
    provider = ProviderFactory(station=cast.a, name="阳光食堂")
    AgreementFactory(
        provider=provider, prices={"meal": "200.00", "meal_delivery": "200.00"}
    )
    return provider


def enrol(actor, elder, code="meal", meals=("lunch",), weekdays=range(7), **data):
    return actions.enrolment_save(
        actor=actor,
        elder=elder,
        data={
            "service_type": service_type(code),
            "weekdays": list(weekdays),
            "meals": list(meals),
            "starts_on": timezone.localdate() - datetime.timedelta(days=30),
            **data,
        },
    )


@pytest.fixture
def api(cast):
    def signed_in(username: str) -> APIClient:
        client = APIClient()
        client.force_login(getattr(cast, username))
        return client

    return signed_in
