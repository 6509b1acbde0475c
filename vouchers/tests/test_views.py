"""Voucher pages and exports: what each role sees, what it may do, what it costs."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from carecenter.months import add_months
from carecenter.tests.spreadsheets import HOSTILE, assert_no_formula
from services import actions as service_actions
from services.tests.factories import AgreementFactory, ProviderFactory, service_type
from vouchers.models import Cycle, CycleStatus, Grant, VoucherPolicy
from vouchers.tests.conftest import MONTH, free_elder, issue, low_cost_elder

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def issued(cast):
    a = [free_elder(cast.a, name="甲老人"), low_cost_elder(cast.a)]
    b = [free_elder(cast.b, name="乙老人")]
    c = [free_elder(cast.c)]
    issue()
    return {"a": a, "b": b, "c": c}


def provider_service(cast, elder, station, amount="80.00", day=12):
    provider = ProviderFactory(station=station, name=f"{station.code}服务社")
    AgreementFactory(
        provider=provider,
        prices={"meal": amount},
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 12, 31),
    )
    actor = {"A": cast.staff_a, "B": cast.staff_b}[station.code]
    record = service_actions.service_record_create(
        actor=actor,
        elder=elder,
        service_type=service_type("meal"),
        delivered_at=timezone.make_aware(datetime.datetime(2026, 9, day, 11)),
        duration_minutes=30,
        provider=provider,
    )
    return provider, record


class TestCycles:
    def test_staff_see_their_station_and_supervisors_their_district(
        self, client, cast, issued
    ):
        page = signed_in(client, cast.staff_a).get(reverse("vouchers:cycles"))
        assert [c.station.code for c in page.context["cycles"]] == ["A"]
        assert page.context["issue_form"] is None
        page = signed_in(client, cast.supervisor).get(reverse("vouchers:cycles"))
        assert {c.station.code for c in page.context["cycles"]} == {"A", "B"}

    def test_another_stations_cycle_is_not_found(self, client, cast, issued):
        other = Cycle.objects.get(station=cast.b)
        response = signed_in(client, cast.staff_a).get(other.get_absolute_url())
        assert response.status_code == 404

    def test_a_volunteer_is_refused(self, client, cast, issued):
        response = signed_in(client, cast.volunteer_a).get(reverse("vouchers:cycles"))
        assert response.status_code == 403

    def test_the_cycle_page_lists_grants_with_their_grounds(self, client, cast, issued):
        cycle = Cycle.objects.get(station=cast.a)
        page = signed_in(client, cast.staff_a).get(cycle.get_absolute_url())
        assert page.status_code == 200
        assert len(page.context["grants"]) == 2
        text = page.content.decode()
        assert "甲老人" in text and "乙老人" not in text
        assert "Three-no" in text or "三无" in text

    def test_a_manager_issues_by_hand_and_another_approves(self, client, cast):
        from carecenter.models import Role
        from carecenter.tests.factories import user_with_role

        VoucherPolicy.objects.create(
            district=cast.d1, effective_from=MONTH, approval_required=True
        )
        free_elder(cast.a)
        this_month = timezone.localdate().replace(day=1)
        response = signed_in(client, cast.manager_a).post(
            reverse("vouchers:issue"),
            {"station": cast.a.pk, "month": f"{this_month:%Y-%m}"},
        )
        cycle = Cycle.objects.get(station=cast.a, month=this_month)
        assert response.url == cycle.get_absolute_url()
        assert cycle.status == CycleStatus.DRAFT
        client.post(reverse("vouchers:approve", args=[cycle.pk]))
        assert Cycle.objects.get(pk=cycle.pk).status == CycleStatus.DRAFT
        checker = user_with_role("manager_a2", Role.MANAGER, station=cast.a)
        signed_in(client, checker).post(reverse("vouchers:approve", args=[cycle.pk]))
        assert Cycle.objects.get(pk=cycle.pk).status == CycleStatus.APPROVED

    def test_issuing_for_another_station_or_the_future_is_refused(self, client, cast):
        free_elder(cast.b)
        client = signed_in(client, cast.manager_a)
        client.post(
            reverse("vouchers:issue"),
            {"station": cast.b.pk, "month": f"{timezone.localdate():%Y-%m}"},
        )
        future = add_months(timezone.localdate().replace(day=1), 2)
        response = client.post(
            reverse("vouchers:issue"),
            {"station": cast.a.pk, "month": f"{future:%Y-%m}"},
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert not Grant.objects.exists()
        assert "too far ahead" in response.content.decode()

    def test_staff_cannot_issue(self, client, cast):
        free_elder(cast.a)
        signed_in(client, cast.staff_a).post(
            reverse("vouchers:issue"), {"station": cast.a.pk, "month": "2026-09"}
        )
        assert not Grant.objects.exists()

    def test_supervisors_cannot_approve(self, client, cast):
        VoucherPolicy.objects.create(
            district=cast.d1, effective_from=MONTH, approval_required=True
        )
        free_elder(cast.a)
        cycle = issue(stations=[cast.a]).cycles[0]
        response = signed_in(client, cast.supervisor).post(
            reverse("vouchers:approve", args=[cycle.pk])
        )
        assert response.status_code == 403
        assert Cycle.objects.get(pk=cycle.pk).status == CycleStatus.DRAFT


class TestElderPage:
    def test_balance_and_history(self, client, cast, issued):
        elder = issued["a"][0]
        page = signed_in(client, cast.staff_a).get(
            reverse("vouchers:elder", args=[elder.pk])
        )
        assert page.context["balance"] == Decimal("300.00")
        assert len(page.context["entries"]) == 1

    def test_another_stations_elder_is_not_found(self, client, cast, issued):
        response = signed_in(client, cast.staff_a).get(
            reverse("vouchers:elder", args=[issued["b"][0].pk])
        )
        assert response.status_code == 404


class TestReport:
    def test_figures_against_the_budget(self, client, cast, issued):
        from vouchers.models import StationBudget

        StationBudget.objects.create(station=cast.a, year=2026, amount=Decimal("4500"))
        provider_service(cast, issued["a"][0], cast.a)
        page = signed_in(client, cast.staff_a).get(
            reverse("vouchers:report"), {"month": "2026-09"}
        )
        [row] = page.context["report"].rows
        assert row.station == cast.a
        assert (row.grants, row.granted) == (2, Decimal("450.00"))
        assert row.net_redeemed == Decimal("80.00")
        assert row.outstanding == Decimal("370.00")
        assert row.budget_used_percent == 10

    def test_a_supervisor_sees_every_station_of_the_district(
        self, client, cast, issued
    ):
        page = signed_in(client, cast.supervisor).get(
            reverse("vouchers:report"), {"month": "2026-09"}
        )
        assert [r.station.code for r in page.context["report"].rows] == ["A", "B"]


class TestStatements:
    def test_a_provider_statement_sums_voucher_paid_services(
        self, client, cast, issued
    ):
        provider, record = provider_service(cast, issued["a"][0], cast.a)
        provider_service(cast, issued["b"][0], cast.b)
        page = signed_in(client, cast.staff_a).get(
            reverse("vouchers:statements"), {"month": "2026-09"}
        )
        [line] = page.context["lines"]
        assert line.provider == provider
        assert (line.records, line.voucher_paid) == (1, Decimal("80.00"))
        detail = client.get(
            reverse("vouchers:statement", args=[provider.pk]), {"month": "2026-09"}
        )
        assert detail.context["statement"].records == [record]

    def test_a_cancelled_service_leaves_the_statement(self, client, cast, issued):
        _provider, record = provider_service(cast, issued["a"][0], cast.a)
        service_actions.service_record_cancel(
            actor=cast.staff_a, record=record, reason="未实际提供"
        )
        page = signed_in(client, cast.staff_a).get(
            reverse("vouchers:statements"), {"month": "2026-09"}
        )
        assert page.context["lines"] == []

    def test_another_stations_provider_is_not_found(self, client, cast, issued):
        provider, _record = provider_service(cast, issued["b"][0], cast.b)
        client = signed_in(client, cast.staff_a)
        for name in ["vouchers:statement", "vouchers:statement-export"]:
            response = client.get(
                reverse(name, args=[provider.pk]), {"month": "2026-09"}
            )
            assert response.status_code == 404

    def test_the_export_is_a_workbook_with_masked_names(self, client, cast, issued):
        provider, _record = provider_service(cast, issued["a"][0], cast.a)
        response = signed_in(client, cast.staff_a).get(
            reverse("vouchers:statement-export", args=[provider.pk]),
            {"month": "2026-09"},
        )
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        assert rows[3][1] == "甲*人"
        assert rows[3][6] == 80.0
        assert rows[-1][6] == 80.0
        assert "甲老人" not in str(rows)


def assert_constant_queries(client, url, grow, params=None):
    client.get(url, params or {})
    with CaptureQueriesContext(connection) as few:
        client.get(url, params or {})
    grow()
    with CaptureQueriesContext(connection) as many:
        response = client.get(url, params or {})
    assert response.status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


class TestQueryCounts:
    def test_cycle_list(self, client, cast):
        free_elder(cast.a)
        issue(stations=[cast.a, cast.b])
        signed_in(client, cast.supervisor)

        def grow():
            for month in range(1, 8):
                issue(month=datetime.date(2026, month, 1), stations=[cast.a, cast.b])

        assert_constant_queries(client, reverse("vouchers:cycles"), grow)

    def test_cycle_detail(self, client, cast):
        free_elder(cast.a)
        cycle = issue(stations=[cast.a]).cycles[0]
        signed_in(client, cast.staff_a)

        def grow():
            for _ in range(10):
                free_elder(cast.a)
            issue(stations=[cast.a])

        assert_constant_queries(client, cycle.get_absolute_url(), grow)

    def test_elder_page(self, client, cast):
        elder = free_elder(cast.a)
        issue(stations=[cast.a])
        signed_in(client, cast.staff_a)

        def grow():
            for month in range(1, 9):
                issue(month=datetime.date(2026, month, 1), stations=[cast.a])
            for day in range(1, 6):
                service_actions.service_record_create(
                    actor=cast.staff_a,
                    elder=elder,
                    service_type=service_type("chat"),
                    delivered_at=timezone.make_aware(
                        datetime.datetime(2026, 9, day, 9)
                    ),
                    duration_minutes=10,
                    price=Decimal("5"),
                    staff=cast.staff_a,
                )

        assert_constant_queries(
            client, reverse("vouchers:elder", args=[elder.pk]), grow
        )

    def test_report_and_statements(self, client, cast):
        from carecenter.tests.factories import StationFactory

        elder = free_elder(cast.a)
        issue(stations=[cast.a])
        provider_service(cast, elder, cast.a, day=3)
        signed_in(client, cast.supervisor)

        def grow():
            for n in range(5):
                station = StationFactory(district=cast.d1, code=f"S{n}")
                free_elder(station)
                issue(stations=[station])
            other = free_elder(cast.a)
            issue(stations=[cast.a])
            provider_service(cast, other, cast.a, day=4)

        params = {"month": "2026-09"}
        assert_constant_queries(client, reverse("vouchers:report"), grow, params)
        assert_constant_queries(client, reverse("vouchers:statements"), grow, params)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_statement_export_writes_hostile_names_as_text(
    client, cast, issued, hostile
):
    elder = issued["a"][0]
    elder.name = hostile[:50]
    elder.save()
    provider, _record = provider_service(cast, elder, cast.a)
    provider.name = hostile[:100]
    provider.save()
    content = (
        signed_in(client, cast.staff_a)
        .get(
            reverse("vouchers:statement-export", args=[provider.pk]),
            {"month": "2026-09"},
        )
        .content
    )
    assert_no_formula(content, expect=hostile[:100])


def test_statements_and_the_monthly_report_reconcile_on_the_page(client, cast, issued):
    """A voucher-paid service delivered by the station's own staff is on no
    provider's statement: the page shows it as a line and the totals agree."""
    provider_service(cast, issued["a"][0], cast.a, amount="80.00")
    service_actions.service_record_create(
        actor=cast.staff_a,
        elder=issued["a"][0],
        service_type=service_type("errands"),
        delivered_at=timezone.make_aware(datetime.datetime(2026, 9, 14, 10)),
        duration_minutes=30,
        staff=cast.staff_a,
        price=Decimal("25.00"),
    )
    provider_service(cast, issued["b"][0], cast.b)  # another station: left out
    page = signed_in(client, cast.staff_a).get(
        reverse("vouchers:statements"), {"month": "2026-09"}
    )
    totals = page.context["totals"]
    assert totals.providers == Decimal("80.00")
    assert (totals.station_records, totals.station_vouchers) == (1, Decimal("25.00"))
    assert totals.total == Decimal("105.00") == totals.report_redeemed
    assert totals.difference == 0
    html = page.content.decode()
    assert 'data-line="station"' in html and "¥105.00" in html
