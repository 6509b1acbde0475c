"""Two calls to one elder logged at the same moment (real threads on PostgreSQL):
the latest contact kept by the triggers is the later call, whichever commits last.
And a first call logged while the elder's kept obligations are stored again."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from care import actions, cadence
from care.models import LastContact, Obligation
from care.tests.factories import days_ago
from elders import actions as elder_actions
from elders.eligibility import years_before
from elders.models import Elder
from elders.tests.factories import FULL_BARTHEL, ElderFactory

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


@pytest.mark.parametrize("contact_commits_first", [True, False])
def test_a_first_contact_while_the_obligations_are_stored(cast, contact_commits_first):
    """A Barthel assessment re-stores the elder's obligations while the first
    call ever to that elder is logged: whichever holds its transaction open,
    the kept rows end equal to the rule's definition (the call counts)."""
    old = years_before(timezone.localdate(), 85)
    elder = ElderFactory(station=cast.a, living_arrangement="alone", birth_date=old)
    low = {**FULL_BARTHEL, "feeding": 0, "bathing": 0, "transfers": 0, "mobility": 0}

    def call(pause):
        try:
            with transaction.atomic():
                actions.care_call_log(
                    actor=cast.staff_a,
                    elder=elder,
                    called_at=days_ago(1),
                    outcome="well",
                )
                time.sleep(pause)
        finally:
            connection.close()

    def assess(pause):
        try:
            with transaction.atomic():
                elder_actions.assessment_record(
                    actor=cast.staff_a,
                    elder=elder,
                    assessed_on=timezone.localdate(),
                    scores=low,
                )
                time.sleep(pause)
        finally:
            connection.close()

    first, second = (call, assess) if contact_commits_first else (assess, call)
    threads = [
        threading.Thread(target=first, args=(0.5,)),
        threading.Thread(target=second, args=(0,)),
    ]
    threads[0].start()
    time.sleep(0.2)
    threads[1].start()
    for thread in threads:
        thread.join(timeout=20)
    kept = set(
        Obligation.objects.values_list("elder_id", "group", "last_contact", "due_on")
    )
    defined = {
        (r["pk"], r["group"], r["last_contact"], r["due_on"])
        for r in cadence.obligations(Elder.objects.all())
    }
    assert {group for _e, group, _l, _d in kept} == {
        "alone_80",
        "barthel_below_60",
        "special_difficulty",
    }
    assert kept == defined
    assert Obligation.objects.get(group="alone_80").last_contact is not None
