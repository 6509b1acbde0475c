"""Two staff fill the same record's feedback form at the same moment (real threads on
PostgreSQL): exactly one feedback is kept, the other is told it exists."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from elders.tests.factories import ElderFactory
from services import actions
from services.models import Feedback, ServiceRecord
from services.tests.factories import ServiceRecordFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_simultaneous_feedback_forms_keep_one(cast):
    record = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
    data = {
        "satisfaction": 5,
        "punctual": True,
        "attitude": 5,
        "quality": 5,
        "comment": "",
        "channel": "phone",
    }
    start = threading.Barrier(2)
    outcomes = []

    def fill(actor):
        try:
            start.wait()
            actions.feedback_record(actor=actor, record=record, data=data)
            outcomes.append("saved")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=fill, args=(user,))
        for user in (cast.staff_a, cast.manager_a)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "saved"]
    assert Feedback.objects.filter(record=record).count() == 1
    assert ServiceRecord.objects.get(pk=record.pk).has_feedback
