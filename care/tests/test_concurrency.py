"""Two calls to one elder logged at the same moment (real threads on PostgreSQL):
the latest contact kept by the triggers is the later call, whichever commits last."""

import threading
import time

import pytest
from django.db import connection, transaction

from care import actions
from care.models import LastContact
from care.tests.factories import days_ago
from elders.tests.factories import ElderFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("later_commits_first", [True, False])
def test_two_calls_at_once_keep_the_later_one(cast, later_commits_first):
    elder = ElderFactory(station=cast.a)
    earlier, later = days_ago(3), days_ago(1)

    def log(when, pause):
        try:
            with transaction.atomic():
                actions.care_call_log(
                    actor=cast.staff_a, elder=elder, called_at=when, outcome="well"
                )
                time.sleep(pause)  # still uncommitted while the other one logs
        finally:
            connection.close()

    # The first thread holds its transaction open while the second one logs.
    first, second = (later, earlier) if later_commits_first else (earlier, later)
    threads = [
        threading.Thread(target=log, args=(first, 0.5)),
        threading.Thread(target=log, args=(second, 0)),
    ]
    threads[0].start()
    time.sleep(0.2)
    threads[1].start()
    for thread in threads:
        thread.join(timeout=20)
    assert LastContact.objects.get(elder=elder).call == later
