"""Feedback on a volunteer's visit: the list of what lacks feedback includes the
recent visits; one form per visit, scoped."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from care.tests.factories import VisitFactory, days_ago
from elders.tests.factories import ElderFactory
from services import actions
from services.models import VisitFeedback
from services.queries import VISIT_FEEDBACK_DAYS, visits_lacking_feedback

pytestmark = pytest.mark.django_db

FORM = {
    "satisfaction": "5",
    "attitude": "5",
    "quality": "4",
    "punctual": "on",
    "channel": "phone",
    "comment": "志愿者很耐心",
}


def test_recent_visits_without_feedback_are_listed_oldest_first(cast):
    elder = ElderFactory(station=cast.a)
    newer = VisitFactory(elder=elder, started_at=days_ago(2))
    older = VisitFactory(elder=elder, started_at=days_ago(20))
    VisitFactory(elder=elder, started_at=days_ago(VISIT_FEEDBACK_DAYS + 1))
    VisitFactory(elder=ElderFactory(station=cast.b), started_at=days_ago(3))
    assert list(visits_lacking_feedback(user=cast.staff_a)) == [older, newer]


def test_the_form_saves_once_and_the_visit_leaves_the_list(client, cast):
    visit = VisitFactory(elder=ElderFactory(station=cast.a), started_at=days_ago(2))
    client.force_login(cast.staff_a)
    page = client.get(reverse("services:feedback-pending"))
    assert [v.pk for v in page.context["visits"]] == [visit.pk]
    url = reverse("services:visit-feedback-add", args=[visit.pk])
    bad = client.post(url, {**FORM, "satisfaction": "9"})
    assert "satisfaction" in bad.context["form"].errors
    assert client.post(url, FORM).status_code == 302
    assert VisitFeedback.objects.get().satisfaction == 5
    assert client.get(reverse("services:feedback-pending")).context["visits"] == []
    with pytest.raises(ValidationError):
        actions.visit_feedback_record(
            actor=cast.staff_a, visit=visit, data={**FORM, "punctual": True}
        )


def test_another_station_gets_404_and_a_supervisor_403(client, cast):
    visit = VisitFactory(elder=ElderFactory(station=cast.a), started_at=days_ago(2))
    url = reverse("services:visit-feedback-add", args=[visit.pk])
    client.force_login(cast.staff_b)
    assert client.post(url, FORM).status_code == 404
    client.force_login(cast.supervisor)
    assert client.post(url, FORM).status_code == 403
    assert not VisitFeedback.objects.exists()


def test_the_page_costs_the_same_for_more_visits(client, cast):
    client.force_login(cast.staff_a)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("services:feedback-pending")).status_code == 200
        return len(queries.captured_queries)

    elder = ElderFactory(station=cast.a)
    VisitFactory(elder=elder, started_at=timezone.now() - datetime.timedelta(days=1))
    few = count()
    for i in range(15):
        VisitFactory(elder=elder, started_at=days_ago(i + 2))
    assert count() == few
