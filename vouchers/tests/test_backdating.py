"""No back-dated money: vouchers are issued for this month and the next only, from
the command, the page, the API and the task alike. An administrator may issue an
ended month with a reason, which the run keeps; a manager may not. A service is
paid only from grants valid on its delivery date."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from carecenter.months import add_months
from services import actions as service_actions
from services.tests.factories import service_type
from vouchers import actions, tasks
from vouchers.models import Cycle, Grant, IssuanceRun, RunTrigger
from vouchers.tests.conftest import free_elder

pytestmark = pytest.mark.django_db


def this_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def two_years_back() -> datetime.date:
    return add_months(this_month(), -24)


@pytest.fixture
def elders(cast):
    return [free_elder(cast.a), free_elder(cast.b)]


def ym(month: datetime.date) -> str:
    return f"{month:%Y-%m}"


# --- The rule ------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [0, 1])
def test_this_month_and_the_next_are_open_to_a_manager(cast, elders, offset):
    month = add_months(this_month(), offset)
    actions.cycle_issue(
        actor=cast.manager_a, station=cast.a, month=month, trigger=RunTrigger.WEB
    )
    assert Grant.objects.get().month == month


@pytest.mark.parametrize("offset", [-1, -24])
def test_an_ended_month_is_refused_to_a_manager_even_with_a_reason(
    cast, elders, offset
):
    with pytest.raises(ValidationError, match="has ended"):
        actions.cycle_issue(
            actor=cast.manager_a,
            station=cast.a,
            month=add_months(this_month(), offset),
            trigger=RunTrigger.WEB,
            reason="补发",
        )
    assert not Cycle.objects.exists()


def test_two_months_ahead_is_refused_to_everyone(cast, elders):
    with pytest.raises(ValidationError, match="too far ahead"):
        actions.cycle_issue(
            actor=cast.admin,
            station=cast.a,
            month=add_months(this_month(), 2),
            trigger=RunTrigger.WEB,
            reason="预发",
        )
    assert not Cycle.objects.exists()


def test_an_administrator_issues_an_ended_month_only_with_a_reason(cast, elders):
    with pytest.raises(ValidationError, match="Say why"):
        actions.cycle_issue(
            actor=cast.admin,
            station=cast.a,
            month=two_years_back(),
            trigger=RunTrigger.WEB,
            reason="   ",
        )
    assert not Cycle.objects.exists()
    actions.cycle_issue(
        actor=cast.admin,
        station=cast.a,
        month=two_years_back(),
        trigger=RunTrigger.WEB,
        reason="系统停机漏发，经区民政局批准补发",
    )
    run = IssuanceRun.objects.get()
    assert run.started_by == cast.admin
    assert run.reason == "系统停机漏发，经区民政局批准补发"
    assert Grant.objects.get().month == two_years_back()


# --- The three doors: command, page, API; and the task --------------------------------


def test_the_command_refuses_a_month_two_years_back(cast, elders):
    with pytest.raises(CommandError, match="has ended"):
        call_command("issue_vouchers", month=ym(two_years_back()))
    with pytest.raises(CommandError, match="has ended"):
        call_command(
            "issue_vouchers",
            month=ym(two_years_back()),
            actor="manager_a",
            reason="补发",
        )
    with pytest.raises(CommandError, match="Say why"):
        call_command("issue_vouchers", month=ym(two_years_back()), actor="admin")
    with pytest.raises(CommandError, match="No active user"):
        call_command(
            "issue_vouchers", month=ym(two_years_back()), actor="nobody", reason="x"
        )
    assert not Cycle.objects.exists()


def test_the_command_issues_an_ended_month_for_an_administrator(cast, elders, capsys):
    call_command(
        "issue_vouchers",
        month=ym(two_years_back()),
        station="A",
        actor="admin",
        reason="停电漏发",
    )
    assert "A " + ym(two_years_back()) + ": 1 new grants" in capsys.readouterr().out
    run = IssuanceRun.objects.get()
    assert (run.trigger, run.started_by, run.reason) == (
        RunTrigger.COMMAND,
        cast.admin,
        "停电漏发",
    )


def test_the_page_refuses_a_month_two_years_back(client, cast, elders):
    client.force_login(cast.manager_a)
    page = client.get(reverse("vouchers:cycles")).content.decode()
    assert 'name="reason"' not in page  # only administrators may give one
    response = client.post(
        reverse("vouchers:issue"),
        {"station": cast.a.pk, "month": ym(two_years_back()), "reason": "补发"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "has ended" in response.content.decode()
    assert not Cycle.objects.exists()


def test_the_page_lets_an_administrator_issue_an_ended_month_with_a_reason(
    client, cast, elders
):
    client.force_login(cast.admin)
    assert 'name="reason"' in client.get(reverse("vouchers:cycles")).content.decode()
    response = client.post(
        reverse("vouchers:issue"),
        {"station": cast.a.pk, "month": ym(two_years_back())},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Say why" in response.content.decode()
    assert not Cycle.objects.exists()
    response = client.post(
        reverse("vouchers:issue"),
        {"station": cast.a.pk, "month": ym(two_years_back()), "reason": "漏发补发"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert IssuanceRun.objects.get().reason == "漏发补发"
    assert "漏发补发" in response.content.decode()  # shown with the cycle's runs


@pytest.fixture
def api(cast):
    from rest_framework.test import APIClient

    def signed_in(username):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.force_authenticate(getattr(cast, username))
        return client

    return signed_in


ISSUE = "/api/v1/voucher-cycles/issue/"


def test_the_api_refuses_a_month_two_years_back(api, cast, elders):
    response = api("manager_a").post(
        ISSUE, {"station": "A", "month": ym(two_years_back())}, format="json"
    )
    assert response.status_code == 400
    assert "has ended" in str(response.json())
    assert not Cycle.objects.exists()


def test_the_api_issues_this_month_and_an_administrator_s_ended_month(
    api, cast, elders
):
    response = api("manager_a").post(
        ISSUE, {"station": "A", "month": ym(this_month())}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["station"], body["month"], body["grants_created"]) == (
        "A",
        ym(this_month()),
        1,
    )
    assert body["total_amount"] == "300.00"
    response = api("admin").post(
        ISSUE,
        {"station": "B", "month": ym(two_years_back()), "reason": "补发"},
        format="json",
    )
    assert response.status_code == 201
    assert IssuanceRun.objects.get(station=cast.b).reason == "补发"


@pytest.mark.parametrize(
    ("who", "station", "status"),
    [
        ("manager_a", "B", 400),  # another station: as if it did not exist
        ("manager_a", "NOPE", 400),
        ("staff_a", "A", 403),
        ("supervisor", "A", 403),
        ("volunteer_a", "A", 403),
    ],
)
def test_the_api_issues_only_the_manager_s_own_station(
    api, cast, elders, who, station, status
):
    response = api(who).post(
        ISSUE, {"station": station, "month": ym(this_month())}, format="json"
    )
    assert response.status_code == status
    assert not Cycle.objects.exists()


def test_the_api_lists_only_the_caller_s_cycles(api, cast, elders):
    actions.month_issue(month=this_month(), trigger=RunTrigger.SCHEDULE)
    rows = api("staff_a").get("/api/v1/voucher-cycles/").json()["results"]
    assert [r["station"] for r in rows] == ["A"]
    other = Cycle.objects.get(station=cast.b)
    assert api("staff_a").get(f"/api/v1/voucher-cycles/{other.pk}/").status_code == 404
    assert api("volunteer_a").get("/api/v1/voucher-cycles/").status_code == 403
    assert api("manager_a").get("/api/v1/voucher-cycles/?month=bad").status_code == 400


def test_the_task_refuses_a_month_named_two_years_back(cast, elders):
    with pytest.raises(ValidationError, match="has ended"):
        tasks.issue_monthly.delay(ym(two_years_back())).get()
    assert not Cycle.objects.exists()


# --- Paid only from grants valid on the delivery date --------------------------------


def test_a_service_dated_before_its_grants_validity_pays_nothing_from_them(
    cast, elders
):
    elder = elders[0]
    actions.cycle_issue(
        actor=cast.manager_a,
        station=cast.a,
        month=this_month(),
        trigger=RunTrigger.WEB,
    )
    last_month = add_months(this_month(), -1)
    record = service_actions.service_record_create(
        actor=cast.manager_a,
        elder=elder,
        service_type=service_type("errands"),
        delivered_at=timezone.make_aware(
            datetime.datetime.combine(last_month.replace(day=15), datetime.time(10))
        ),
        duration_minutes=30,
        price=Decimal("250.00"),
        staff=cast.staff_a,
    )
    assert (record.voucher_paid, record.self_paid) == (Decimal("0"), Decimal("250.00"))
    assert Grant.objects.get(elder=elder).remaining == Decimal("300.00")
