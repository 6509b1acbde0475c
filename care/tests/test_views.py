"""The care pages: the morning's calls, emergencies, readings; query counts."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from care import cadence
from care.models import CareCall, Emergency, HealthReading
from care.tests.factories import (
    CareCallFactory,
    EmergencyFactory,
    HealthReadingFactory,
    VisitFactory,
    days_ago,
)
from elders.eligibility import years_before
from elders.models import Elder
from elders.tests.factories import ElderFactory

pytestmark = pytest.mark.django_db


def due_elder(station, **kwargs):
    elder = ElderFactory(
        station=station,
        living_arrangement="alone",
        birth_date=years_before(timezone.localdate(), 84),
        **kwargs,
    )
    Elder.objects.filter(pk=elder.pk).update(created_at=days_ago(30))
    return elder


def test_one_click_logs_a_call_and_the_elder_leaves_the_list(client, cast):
    elder = due_elder(cast.a)
    client.force_login(cast.staff_a)
    page = client.get(reverse("care:due"))
    assert [row.elder for row in page.context["rows"]] == [elder]
    response = client.post(
        reverse("care:call-quick"),
        {"elder": elder.pk, "outcome": "well", "next": reverse("care:due")},
    )
    assert response.status_code == 302 and response.url == reverse("care:due")
    call = CareCall.objects.get()
    assert call.elder == elder and call.called_by == cast.staff_a
    assert client.get(reverse("care:due")).context["rows"] == []


def test_an_unanswered_call_keeps_the_elder_due(client, cast):
    elder = due_elder(cast.a)
    client.force_login(cast.staff_a)
    client.post(reverse("care:call-quick"), {"elder": elder.pk, "outcome": "no_answer"})
    assert [r.elder for r in client.get(reverse("care:due")).context["rows"]] == [elder]


def test_the_quick_call_does_not_redirect_off_site(client, cast):
    elder = due_elder(cast.a)
    client.force_login(cast.staff_a)
    response = client.post(
        reverse("care:call-quick"),
        {"elder": elder.pk, "outcome": "well", "next": "https://evil.example/"},
    )
    assert response.url == reverse("care:due")


def test_a_supervisor_sees_the_list_without_call_buttons(client, cast):
    due_elder(cast.a)
    client.force_login(cast.supervisor)
    response = client.get(reverse("care:due"))
    assert response.status_code == 200 and not response.context["can_call"]
    assert client.post(
        reverse("care:call-quick"), {"elder": 1, "outcome": "well"}
    ).status_code in (403, 404)


def test_the_call_form_logs_a_call_with_a_follow_up(client, cast):
    elder = due_elder(cast.a)
    client.force_login(cast.staff_a)
    url = reverse("care:call-log", args=[elder.pk])
    when = timezone.localtime() - datetime.timedelta(minutes=5)
    response = client.post(
        url,
        {
            "called_at": when.strftime("%Y-%m-%dT%H:%M"),
            "kind": "greeting",
            "outcome": "concern",
            "needs_follow_up": "on",
            "notes": "",
        },
    )
    assert response.status_code == 200
    assert "notes" in response.context["form"].errors
    assert not CareCall.objects.exists()
    response = client.post(
        url,
        {
            "called_at": when.strftime("%Y-%m-%dT%H:%M"),
            "kind": "greeting",
            "outcome": "concern",
            "needs_follow_up": "on",
            "notes": "膝盖疼",
        },
    )
    assert response.status_code == 302
    assert CareCall.objects.get().needs_follow_up


def test_an_emergency_goes_from_the_form_to_closed(client, cast):
    elder = ElderFactory(station=cast.a)
    client.force_login(cast.staff_a)
    now = timezone.localtime()
    response = client.post(
        reverse("care:emergency-create"),
        {
            "elder": elder.pk,
            "reported_at": (now - datetime.timedelta(minutes=30)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "caller_name": "邻居",
            "caller_relation": "neighbour",
            "what_happened": "摔倒",
        },
    )
    emergency = Emergency.objects.get()
    assert response.url == emergency.get_absolute_url()
    home = client.get(reverse("home")).content.decode()
    assert "home-emergencies" in home and emergency.get_absolute_url() in home
    client.post(
        emergency.get_absolute_url(),
        {
            "step": "respond",
            "responder": "站点工作人员",
            "responded_at": (now - datetime.timedelta(minutes=10)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "contact_informed": "on",
        },
    )
    emergency.refresh_from_db()
    assert emergency.response_minutes == 20 and emergency.contact_informed
    client.post(emergency.get_absolute_url(), {"step": "close", "outcome": "无大碍"})
    emergency.refresh_from_db()
    assert not emergency.is_open
    assert "home-emergencies" not in client.get(reverse("home")).content.decode()


def test_a_reading_from_the_form(client, cast):
    elder = ElderFactory(station=cast.a)
    client.force_login(cast.staff_a)
    url = reverse("care:reading-add", args=[elder.pk])
    when = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    bad = client.post(url, {"measured_at": when, "systolic": 70, "diastolic": 90})
    assert "systolic" in bad.context["form"].errors
    client.post(url, {"measured_at": when, "systolic": 140, "diastolic": 90})
    assert HealthReading.objects.get().systolic == 140


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize(
    "name", ["care:due", "care:call-list", "care:emergency-list", "volunteers:visits"]
)
def test_list_pages_cost_the_same_for_3_or_25_rows(client, cast, name):
    client.force_login(cast.staff_a)

    def add(n):
        for _ in range(n):
            elder = due_elder(cast.a)
            CareCallFactory(elder=elder, called_at=days_ago(9), called_by=cast.admin)
            EmergencyFactory(elder=elder, recorded_by=cast.admin)
            VisitFactory(elder=elder, started_at=days_ago(8))

    add(3)
    few = _count(client, reverse(name))
    add(22)
    assert _count(client, reverse(name)) == few


def test_the_home_counters_match_direct_counts(client, cast):
    late = [due_elder(cast.a) for _ in range(3)]
    soon = due_elder(cast.a)
    CareCallFactory(elder=soon, called_at=days_ago(6), called_by=cast.admin)
    fine = due_elder(cast.a)
    CareCallFactory(elder=fine, called_at=days_ago(1), called_by=cast.admin)
    EmergencyFactory(elder=late[0], recorded_by=cast.admin)
    EmergencyFactory(
        elder=late[1],
        recorded_by=cast.admin,
        responded_at=days_ago(0.9),
        responder="x",
        outcome="ok",
        closed_at=timezone.now(),
    )
    due_elder(cast.b)
    client.force_login(cast.staff_a)
    response = client.get(reverse("home"))
    figures = dict(response.context["rows"])[cast.a]
    today = timezone.localdate()
    rows = list(cadence.due(Elder.objects.filter(station=cast.a), today=today))
    overdue = [r for r in rows if r["due_on"] < today]
    assert figures["care_overdue"] == len(overdue) == 3
    open_count = Emergency.objects.filter(station=cast.a, closed_at=None).count()
    assert figures["open_emergencies"] == open_count == 1
    panel = response.context["panels"][cast.a.pk]
    due_panel = next(p for p in panel if p.template == "care/_home_due.html")
    # Each of the six is also due its monthly visit today (living alone).
    assert due_panel.context["due"] == len(rows) == 4 + 5
    assert due_panel.context["overdue"] == 3


def test_the_readings_list_costs_the_same_for_more_readings(client, cast):
    elder = ElderFactory(station=cast.a)
    client.force_login(cast.staff_a)
    url = reverse("care:reading-list") + f"?elder={elder.pk}"
    HealthReadingFactory(elder=elder, recorded_by=cast.admin)
    VisitFactory(elder=elder, systolic=120, diastolic=80)
    few = _count(client, url)
    for i in range(20):
        HealthReadingFactory(
            elder=elder, measured_at=days_ago(i + 2), recorded_by=cast.admin
        )
        VisitFactory(
            elder=elder, started_at=days_ago(i + 2.5), systolic=130, diastolic=85
        )
    assert _count(client, url) == few


def test_the_home_page_counts_who_is_due_once(client, cast):
    for _ in range(3):
        due_elder(cast.a)
    client.force_login(cast.staff_a)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"))
    sql = [q["sql"] for q in queries.captured_queries]
    # The counts (panel and counter share them), from the kept due counts, and
    # the panel's first names, from the obligations.
    assert len([s for s in sql if "care_duecount" in s]) == 1
    assert len([s for s in sql if "care_obligation" in s]) == 1
    assert "home-due" in response.content.decode()
