"""The dashboard pages and exports: who sees what, what it costs, what it says."""

from __future__ import annotations

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
from carecenter.tests.factories import StationFactory
from carecenter.tests.spreadsheets import HOSTILE, assert_no_formula
from supervision.actions import figures_refresh, this_month
from supervision.models import Metric, RefreshRun
from supervision.tests.conftest import figure

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


class TestScope:
    def test_a_supervisor_sees_every_station_of_their_district(
        self, client, cast, figures
    ):
        page = signed_in(client, cast.supervisor).get(reverse("supervision:district"))
        assert page.status_code == 200
        dash = page.context["dash"]
        assert [s.code for s in dash.stations] == ["A", "B"]
        assert dash.totals.elders == 30  # not station C's 40
        assert dash.totals.services == 60
        text = page.content.decode()
        assert "丙站" not in text
        assert reverse("supervision:station", args=[cast.a.pk]) in text

    def test_an_administrator_sees_every_district(self, client, cast, figures):
        page = signed_in(client, cast.admin).get(reverse("supervision:district"))
        assert [s.code for s in page.context["dash"].stations] == ["A", "B", "C"]
        assert page.context["dash"].totals.elders == 70
        # A district filter appears when there is more than one.
        page = client.get(reverse("supervision:district"), {"district": "D2"})
        assert [s.code for s in page.context["dash"].stations] == ["C"]

    def test_a_station_user_goes_to_their_station(self, client, cast, figures):
        response = signed_in(client, cast.staff_a).get(
            reverse("supervision:district"), {"from": "2026-01"}
        )
        assert response.status_code == 302
        assert response["Location"].startswith(
            reverse("supervision:station", args=[cast.a.pk])
        )
        assert "from=2026-01" in response["Location"]
        page = client.get(response["Location"])
        assert page.context["dash"].totals.elders == 10

    def test_a_supervisor_drills_down_to_a_station_of_their_district(
        self, client, cast, figures
    ):
        page = signed_in(client, cast.supervisor).get(
            reverse("supervision:station", args=[cast.b.pk])
        )
        assert page.status_code == 200
        assert page.context["dash"].station == cast.b
        assert page.context["dash"].totals.elders == 20
        assert "stations" not in [s.key for s, _b, _w in page.context["sections"]]

    @pytest.mark.parametrize(
        ("user", "station"),
        [("staff_a", "b"), ("manager_a", "c"), ("supervisor", "c"), ("staff_b", "a")],
    )
    def test_another_station_is_not_found(self, client, cast, figures, user, station):
        client = signed_in(client, getattr(cast, user))
        pk = getattr(cast, station).pk
        assert client.get(reverse("supervision:station", args=[pk])).status_code == 404
        export = reverse("supervision:station-export", args=[pk, "elders"])
        assert client.get(export).status_code == 404

    def test_a_volunteer_is_refused(self, client, cast, figures):
        client = signed_in(client, cast.volunteer_a)
        assert client.get(reverse("supervision:district")).status_code == 403
        url = reverse("supervision:station", args=[cast.a.pk])
        assert client.get(url).status_code == 403
        assert client.get(reverse("supervision:export", args=["all"])).status_code == (
            403
        )

    def test_signing_in_is_required(self, client, cast):
        response = client.get(reverse("supervision:district"))
        assert response.status_code == 302
        assert reverse("login") in response["Location"]

    def test_the_nav_links_to_the_dashboard_for_readers_only(self, client, cast):
        url = reverse("supervision:district")
        for user in ("supervisor", "manager_a", "staff_a", "admin"):
            page = signed_in(client, getattr(cast, user)).get(reverse("home"))
            assert f'href="{url}"' in page.content.decode(), user
        page = signed_in(client, cast.volunteer_a).get(reverse("home"))
        assert f'href="{url}"' not in page.content.decode()


class TestPage:
    def test_it_says_how_fresh_the_figures_are(self, client, cast, figures):
        run = RefreshRun.objects.get()
        run.started_at = timezone.now() - datetime.timedelta(minutes=7)
        run.save()
        page = signed_in(client, cast.supervisor).get(reverse("supervision:district"))
        local = timezone.localtime(run.started_at)
        assert f"{local:%H:%M}" in page.content.decode()
        assert page.context["dash"].as_of == run
        assert not page.context["dash"].is_stale

    def test_it_flags_old_or_missing_figures(self, client, cast, figures):
        RefreshRun.objects.update(
            started_at=timezone.now() - datetime.timedelta(hours=3)
        )
        page = signed_in(client, cast.supervisor).get(reverse("supervision:district"))
        assert page.context["dash"].is_stale
        assert "text-danger" in page.content.decode()
        RefreshRun.objects.all().delete()
        page = client.get(reverse("supervision:district"))
        assert page.context["dash"].as_of is None

    def test_the_default_range_is_the_last_six_months(self, client, cast, figures):
        page = signed_in(client, cast.supervisor).get(reverse("supervision:district"))
        dash = page.context["dash"]
        assert dash.last == this_month()
        assert len(dash.months) == 6

    def test_the_month_range_narrows_the_flows(self, client, cast, figures):
        month = f"{this_month():%Y-%m}"
        page = signed_in(client, cast.supervisor).get(
            reverse("supervision:district"), {"from": month, "to": month}
        )
        dash = page.context["dash"]
        assert dash.months == [this_month()]
        assert dash.totals.services == 30
        assert dash.totals.issued == Decimal("9000")
        assert dash.totals.redeemed == Decimal("300")
        assert dash.totals.issued_year_to_date == Decimal("18000")
        assert dash.totals.budget == Decimal("198000")
        assert dash.totals.coverage_percent == 50
        assert dash.totals.satisfaction_mean == Decimal("4.0")

    def test_a_range_before_the_snapshot_shows_no_elders(self, client, cast, figures):
        previous = add_months(this_month(), -1)
        page = signed_in(client, cast.supervisor).get(
            reverse("supervision:district"),
            {"from": f"{previous:%Y-%m}", "to": f"{previous:%Y-%m}"},
        )
        dash = page.context["dash"]
        assert dash.totals.services == 30
        assert dash.totals.elders == 0 and dash.snapshot_month is None

    @pytest.mark.parametrize(
        "params",
        [
            {"from": "2026-13"},
            {"from": "2026-10", "to": "2026-01"},
            {"from": "2020-01"},
        ],
    )
    def test_a_bad_range_falls_back_to_the_default_with_a_message(
        self, client, cast, figures, params
    ):
        page = signed_in(client, cast.supervisor).get(
            reverse("supervision:district"), params
        )
        assert page.status_code == 200
        assert len(page.context["dash"].months) == 6
        assert not page.context["form"].is_valid()

    def test_charts_travel_as_json_for_the_static_script(self, client, cast, figures):
        page = signed_in(client, cast.supervisor).get(reverse("supervision:district"))
        text = page.content.decode()
        assert 'id="dashboard-charts"' in text
        assert "supervision/dashboard.js" in text
        assert "vendor/chartjs/chart.umd.min.js" in text
        assert "<script>" not in text  # no inline script
        assert page.context["charts"]["services"]["datasets"][0]["data"][-2:] == [
            30,
            30,
        ]

    def test_the_query_count_does_not_grow_with_the_district(
        self, client, cast, figures
    ):
        client = signed_in(client, cast.supervisor)
        url = reverse("supervision:district")
        client.get(url)
        with CaptureQueriesContext(connection) as small:
            client.get(url)
        for n in range(8):
            station = StationFactory(district=cast.d1, code=f"X{n}")
            for back in range(12):
                month = add_months(this_month(), -back)
                figure(station, month, Metric.SERVICES, "chat", 3)
                figure(station, month, Metric.VOLUNTEER_MINUTES, value=60)
            figure(station, this_month(), Metric.ELDERS, value=5)
        with CaptureQueriesContext(connection) as large:
            page = client.get(url, {"from": f"{add_months(this_month(), -11):%Y-%m}"})
        assert len(page.context["dash"].stations) == 10
        assert len(large) == len(small)
        figure_reads = [q for q in large if "supervision_monthlyfigure" in q["sql"]]
        assert len(figure_reads) == 4
        assert not [q for q in large if "services_servicerecord" in q["sql"]]


class TestExport:
    def test_a_table_exports_what_the_page_shows(self, client, cast, figures):
        client = signed_in(client, cast.supervisor)
        response = client.get(reverse("supervision:export", args=["stations"]))
        assert response.status_code == 200
        assert "spreadsheetml" in response["Content-Type"]
        assert ".xlsx" in response["Content-Disposition"]
        sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert [r[0] for r in rows[4:]] == ["甲站", "乙站", "Total"]
        assert "丙站" not in str(rows)
        header = rows[3]
        assert rows[4][header.index("Services delivered")] == 20

    def test_all_tables_export_as_one_workbook(self, client, cast, figures):
        client = signed_in(client, cast.staff_a)
        response = client.get(
            reverse("supervision:station-export", args=[cast.a.pk, "all"])
        )
        workbook = load_workbook(io.BytesIO(response.content))
        assert len(workbook.worksheets) == 10  # every table but the district's
        services = next(
            s for s in workbook.worksheets if s["A1"].value.startswith("Services")
        )
        assert "甲站" in services["A2"].value

    def test_an_unknown_table_is_not_found(self, client, cast, figures):
        client = signed_in(client, cast.supervisor)
        assert (
            client.get(reverse("supervision:export", args=["nope"])).status_code == 404
        )
        # The district table has no station version.
        url = reverse("supervision:station-export", args=[cast.a.pk, "stations"])
        assert client.get(url).status_code == 404

    def test_the_export_follows_the_range(self, client, cast, figures):
        month = f"{this_month():%Y-%m}"
        response = signed_in(client, cast.supervisor).get(
            reverse("supervision:export", args=["feedback"]),
            {"from": month, "to": month},
        )
        sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert rows[4][:4] == [month, 30, 15, 50]


def test_a_real_rebuild_renders(client, cast, district):
    figures_refresh(first=district.first, last=district.last)
    page = signed_in(client, cast.supervisor).get(
        reverse("supervision:district"), {"from": f"{district.first:%Y-%m}"}
    )
    assert page.status_code == 200
    assert page.context["dash"].totals.services > 0


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_dashboard_export_writes_hostile_names_as_text(
    client, cast, figures, hostile
):
    cast.a.name = hostile[:100]
    cast.a.save()
    client = signed_in(client, cast.supervisor)
    content = client.get(reverse("supervision:export", args=["all"])).content
    assert_no_formula(content, expect=hostile[:100])
