"""The cadence rule (care.cadence) at its boundaries, and set-based."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from care import cadence
from care.models import CareCall, LastContact
from care.tests.factories import CareCallFactory, VisitFactory, days_ago
from elders.eligibility import years_before
from elders.models import Elder
from elders.tests.factories import BarthelAssessmentFactory, ElderFactory
from services.tests.factories import ServiceRecordFactory

pytestmark = pytest.mark.django_db


def _opened(elder, days):
    Elder.objects.filter(pk=elder.pk).update(created_at=days_ago(days))


def alone_80(station, **kwargs):
    today = timezone.localdate()
    elder = ElderFactory(
        station=station,
        living_arrangement="alone",
        birth_date=years_before(today, 85),
        **kwargs,
    )
    _opened(elder, 60)
    return elder


def rows(station=None):
    queryset = Elder.objects.all()
    if station is not None:
        queryset = queryset.filter(station=station)
    return {(r["pk"], r["group"]): r for r in cadence.due(queryset)}


def test_it_lists_an_elder_living_alone_at_80_never_contacted(cast):
    elder = alone_80(cast.a)
    row = rows()[(elder.pk, "alone_80")]
    assert row["last_contact"] is None
    assert cadence.overdue_days(row["due_on"], timezone.localdate()) >= 50


def test_a_call_this_week_is_enough_and_eight_days_is_overdue(cast):
    recent, late = alone_80(cast.a), alone_80(cast.a)
    CareCallFactory(elder=recent, called_at=days_ago(3))
    CareCallFactory(elder=late, called_at=days_ago(8))
    found = rows()
    assert (recent.pk, "alone_80") not in found
    row = found[(late.pk, "alone_80")]
    assert cadence.overdue_days(row["due_on"], timezone.localdate()) in (1, 2)


def test_an_unanswered_call_is_not_contact(cast):
    elder = alone_80(cast.a)
    CareCallFactory(elder=elder, called_at=days_ago(1), outcome="no_answer")
    assert rows()[(elder.pk, "alone_80")]["last_contact"] is None


def test_visits_and_services_count_as_contact(cast):
    visited, served, cancelled = alone_80(cast.a), alone_80(cast.a), alone_80(cast.a)
    VisitFactory(elder=visited, started_at=days_ago(2))
    ServiceRecordFactory(elder=served, delivered_at=days_ago(2))
    ServiceRecordFactory(
        elder=cancelled,
        delivered_at=days_ago(2),
        cancelled_at=timezone.now(),
        cancelled_by=cast.staff_a,
        cancel_reason="typing mistake",
    )
    found = rows()
    assert (visited.pk, "alone_80") not in found
    assert (served.pk, "alone_80") not in found
    assert (cancelled.pk, "alone_80") in found


def test_a_call_does_not_replace_a_visit_under_barthel_60(cast):
    elder = ElderFactory(station=cast.a)
    _opened(elder, 60)
    BarthelAssessmentFactory(elder=elder, feeding=0, bathing=0, transfers=0, mobility=0)
    total = elder.assessments.get().total
    assert total < 60
    CareCallFactory(elder=elder, called_at=days_ago(1))
    assert (elder.pk, "barthel_below_60") in rows()
    VisitFactory(elder=elder, started_at=days_ago(13))
    assert (elder.pk, "barthel_below_60") in rows()  # due tomorrow: listed as due
    due_on = rows()[(elder.pk, "barthel_below_60")]["due_on"]
    assert due_on >= timezone.localdate()


def test_barthel_of_60_is_not_in_the_group(cast):
    elder = ElderFactory(station=cast.a)
    _opened(elder, 60)
    BarthelAssessmentFactory(elder=elder, feeding=0, bathing=0, transfers=0, stairs=0)
    assert elder.assessments.get().total == 60
    assert (elder.pk, "barthel_below_60") not in rows()


def test_the_age_boundary_is_the_eightieth_birthday(cast):
    today = timezone.localdate()
    eighty = ElderFactory(
        station=cast.a, empty_nest=True, birth_date=years_before(today, 80)
    )
    almost = ElderFactory(
        station=cast.a,
        empty_nest=True,
        birth_date=years_before(today, 80) + datetime.timedelta(days=1),
    )
    for elder in (eighty, almost):
        _opened(elder, 60)
    found = rows()
    assert (eighty.pk, "alone_80") in found
    assert (almost.pk, "alone_80") not in found


def test_special_difficulty_groups_are_visited_monthly(cast):
    left_behind = ElderFactory(station=cast.a, categories=["left_behind"])
    plain = ElderFactory(station=cast.a, categories=["model_worker"])
    for elder in (left_behind, plain):
        _opened(elder, 40)
    found = rows()
    assert (left_behind.pk, "special_difficulty") in found
    assert all(pk != plain.pk for pk, _group in found)
    ServiceRecordFactory(elder=left_behind, delivered_at=days_ago(20))
    assert (left_behind.pk, "special_difficulty") not in rows()


def test_elders_who_left_are_not_due(cast):
    elder = alone_80(cast.a, status="moved")
    assert all(pk != elder.pk for pk, _group in rows())


@pytest.mark.parametrize("n", [3, 30])
def test_it_is_one_statement_whatever_the_number_of_elders(cast, n):
    for i in range(n):
        elder = alone_80(cast.a)
        CareCallFactory(elder=elder, called_at=days_ago(i % 12))
        VisitFactory(elder=elder, started_at=days_ago(i % 20 + 0.5))
    with CaptureQueriesContext(connection) as queries:
        found = list(cadence.due(Elder.objects.all()))
    assert len(queries.captured_queries) == 1
    assert len(found) == len({(r["pk"], r["group"]) for r in found})


def test_the_latest_contact_follows_bulk_writes_and_deletes(cast):
    elder = alone_80(cast.a)
    when = days_ago(2)
    CareCall.objects.bulk_create(
        [
            CareCall(
                station=cast.a,
                elder=elder,
                called_at=when,
                outcome="well",
                called_by=cast.admin,
            ),
            CareCall(
                station=cast.a,
                elder=elder,
                called_at=days_ago(1),
                outcome="no_answer",
                called_by=cast.admin,
            ),
        ]
    )
    assert LastContact.objects.get(elder=elder).call == when
    CareCall.objects.filter(elder=elder).delete()
    assert LastContact.objects.get(elder=elder).call is None
    visit = VisitFactory(elder=elder, started_at=when)
    assert LastContact.objects.get(elder=elder).visit == visit.started_at
