"""Follow-ups of every source: a volunteer's visit, a return visit that found a
problem, a care call that asked for one; resolved by staff, counted at home."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from care.queries import open_follow_ups
from care.tests.factories import CareCallFactory, VisitFactory, days_ago
from elders.tests.factories import ElderFactory
from services import actions as service_actions
from services.models import ReturnVisit
from services.tests.factories import ServiceRecordFactory
from supervision.actions import figures_refresh_recent
from supervision.queries import dashboard

pytestmark = pytest.mark.django_db


def open_three(cast, station, elder=None):
    elder = elder or ElderFactory(station=station)
    VisitFactory(
        elder=elder,
        started_at=days_ago(3),
        needs_follow_up=True,
        follow_up_reason="药快吃完了",
    )
    record = ServiceRecordFactory(elder=elder, delivered_at=days_ago(2))
    returned = ReturnVisit.objects.create(
        record=record,
        visited_at=days_ago(1),
        channel="phone",
        outcome="issue",
        notes="送餐太咸",
        visited_by=cast.admin,
    )
    CareCallFactory(
        elder=elder,
        called_at=days_ago(0.5),
        needs_follow_up=True,
        notes="说头晕",
        called_by=cast.admin,
    )
    return elder, returned


def test_a_return_visit_that_found_a_problem_opens_a_follow_up(cast):
    record = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
    with pytest.raises(ValidationError) as caught:
        service_actions.return_visit_record(
            actor=cast.staff_a,
            record=record,
            visited_at=timezone.now(),
            channel="phone",
            outcome="issue",
            notes="",
        )
    assert "notes" in caught.value.message_dict
    service_actions.return_visit_record(
        actor=cast.staff_a,
        record=record,
        visited_at=timezone.now(),
        channel="phone",
        outcome="issue",
        notes="阿姨说饭菜凉了",
    )
    items = open_follow_ups(user=cast.staff_a)
    assert [(i.kind, i.elder) for i in items] == [("return_visit", record.elder)]
    assert "阿姨说饭菜凉了" in items[0].reason


def test_all_three_sources_are_listed_oldest_first_and_scoped(cast):
    open_three(cast, cast.a)
    open_three(cast, cast.b)
    kinds = [i.kind for i in open_follow_ups(user=cast.staff_a)]
    assert kinds == ["visit", "return_visit", "call"]
    assert len(open_follow_ups(user=cast.supervisor)) == 6
    assert open_follow_ups(user=cast.staff_b)[0].elder.station == cast.b


@pytest.mark.parametrize("kind", ["visit", "return_visit", "call"])
def test_staff_resolve_each_kind_from_the_page(client, cast, kind):
    open_three(cast, cast.a)
    item = next(i for i in open_follow_ups(user=cast.staff_a) if i.kind == kind)
    client.force_login(cast.staff_a)
    url = reverse("care:follow-up-resolve", args=[kind, item.obj.pk])
    assert (
        "resolution_note"
        in client.post(url, {"resolution_note": ""}).context["form"].errors
    )
    response = client.post(url, {"resolution_note": "已处理"})
    assert response.status_code == 302
    assert kind not in [i.kind for i in open_follow_ups(user=cast.staff_a)]
    assert client.get(url).status_code == 404  # closed now


def test_another_station_cannot_resolve_and_a_supervisor_only_reads(client, cast):
    _elder, returned = open_three(cast, cast.a)
    url = reverse("care:follow-up-resolve", args=["return_visit", returned.pk])
    client.force_login(cast.staff_b)
    assert client.post(url, {"resolution_note": "x"}).status_code == 404
    client.force_login(cast.supervisor)
    assert client.post(url, {"resolution_note": "x"}).status_code == 403
    returned.refresh_from_db()
    assert returned.resolved_at is None


def test_the_home_counter_counts_every_source(client, cast):
    open_three(cast, cast.a)
    open_three(cast, cast.a)
    open_three(cast, cast.b)
    client.force_login(cast.staff_a)
    response = client.get(reverse("home"))
    figures = dict(response.context["rows"])[cast.a]
    # The counter of every source took the place of the visits' own.
    assert figures["open_follow_ups"] == len(open_follow_ups(user=cast.staff_a)) == 6
    counter = next(
        c for c in response.context["counters"] if c.key == "open_follow_ups"
    )
    assert counter.url_name == "care:follow-ups"


def test_the_page_costs_the_same_whatever_the_number(client, cast):
    client.force_login(cast.staff_a)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("care:follow-ups"))
        return len(response.context["page_obj"]), len(queries.captured_queries)

    open_three(cast, cast.a)
    few_rows, few = count()
    for _ in range(6):
        open_three(cast, cast.a)
    many_rows, many = count()
    assert (few_rows, many_rows) == (3, 21)
    assert many == few


def test_the_dashboard_counts_follow_ups_of_every_source(cast):
    open_three(cast, cast.a)
    figures_refresh_recent()
    month = timezone.localdate().replace(day=1)
    dash = dashboard(user=cast.staff_a, first=month, last=month, station=cast.a)
    assert dash.by_station[cast.a.pk].follow_ups == 3
