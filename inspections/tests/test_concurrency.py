"""The yearly refresh and the decision at the same time, with real threads on
PostgreSQL (each thread its own connection and transaction)."""

import datetime
import threading

import pytest
from django.db import connection

from inspections.models import Decision, Inspection
from inspections.tests.conftest import confirm, decide, inspection_of, refresh
from volunteers.tests.factories import TrainingSessionFactory

pytestmark = pytest.mark.django_db(transaction=True)


def in_threads(count, work):
    """Run ``work(i)`` in ``count`` threads released at once; return the outcomes."""
    start = threading.Barrier(count)
    outcomes = [None] * count

    def run(i):
        try:
            start.wait()
            outcomes[i] = work(i)
        except Exception as exc:  # the test inspects it
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_four_concurrent_refreshes_leave_one_inspection_per_station(cast):
    outcomes = in_threads(4, lambda i: len(refresh().created))
    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    # The advisory lock makes the runs wait in turn: the first creates, the
    # others refresh the same rows.
    assert sorted(outcomes) == [0, 0, 0, 3]
    assert Inspection.objects.count() == 3


def test_a_refresh_during_the_decision_never_undoes_it(cast):
    refresh()
    inspection = confirm(inspection_of(cast.a), cast.supervisor)
    # Figures a refresh would add: two trainings (the score changes by 5).
    for day in (datetime.date(2025, 3, 1), datetime.date(2025, 9, 1)):
        TrainingSessionFactory(station=cast.a, held_on=day)

    def work(i):
        if i == 0:
            return decide(inspection, cast.supervisor, "stop", "未达标").decision
        return len(refresh().frozen)

    for _ in range(3):
        outcomes = in_threads(3, work)
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        decided = Inspection.objects.get(pk=inspection.pk)
        assert decided.decision == "stop"
        # Whichever came first, the inspection keeps the figures it was decided on.
        first = Decision.objects.earliest("decided_at")
        assert decided.score == first.score
    assert Decision.objects.count() == 3
