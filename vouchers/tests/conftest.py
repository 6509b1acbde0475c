import datetime

import pytest
from rest_framework.test import APIClient

from elders.tests.factories import BarthelAssessmentFactory, ElderFactory
from vouchers import actions
from vouchers.models import RunTrigger

#: A month well in the past, so that every service date in it is allowed.
MONTH = datetime.date(2026, 9, 1)


def free_elder(station, **fields):
    """Three-no and living at home: free on any date (aged 81 in 2026)."""
    return ElderFactory(station=station, categories=["three_no"], **fields)


def low_cost_elder(station, **fields):
    """Senior, alone, in difficulty, not fully self-caring since January 2026."""
    elder = ElderFactory(
        station=station,
        living_arrangement="alone",
        financial_difficulty=True,
        **fields,
    )
    BarthelAssessmentFactory(
        elder=elder, assessed_on=datetime.date(2026, 1, 5), stairs=0
    )
    return elder


def paid_elder(station, **fields):
    return ElderFactory(station=station, **fields)


def issue(month=MONTH, stations=None, actor=None, trigger=RunTrigger.COMMAND):
    return actions.month_issue(
        month=month, stations=stations, actor=actor, trigger=trigger
    )


@pytest.fixture
def api(cast):
    def signed_in(username: str) -> APIClient:
        client = APIClient()
        client.force_login(getattr(cast, username))
        return client

    return signed_in
