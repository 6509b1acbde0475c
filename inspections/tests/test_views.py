"""Inspection pages: who sees what, who may do what, and what it costs."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecenter.tests.factories import StationFactory
from inspections import actions
from inspections.models import Finding, FindingStatus, Inspection
from inspections.tests.conftest import YEAR, confirm, decide, later, refresh

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def signed_in(client, user):
    client.force_login(user)
    return client


def detail(inspection):
    return reverse("inspections:detail", args=[inspection.pk])


def send(inspection, supervisor):
    return actions.finding_create(
        actor=supervisor, inspection=inspection, text="缺医务室", deadline=later(30)
    )


class TestList:
    def test_station_users_see_their_station_and_supervisors_their_district(
        self, client, cast, inspected
    ):
        page = signed_in(client, cast.staff_a).get(reverse("inspections:list"))
        assert [i.station.code for i in page.context["inspections"]] == ["A"]
        assert page.context["year"] == YEAR
        assert not page.context["may_refresh"]
        page = signed_in(client, cast.supervisor).get(reverse("inspections:list"))
        assert [i.station.code for i in page.context["inspections"]] == ["A", "B"]
        assert page.context["may_refresh"]

    def test_it_filters_by_year(self, client, cast, inspected):
        refresh(year=2024, stations=[cast.a])
        client = signed_in(client, cast.manager_a)
        page = client.get(reverse("inspections:list"), {"year": "2024"})
        assert [i.year for i in page.context["inspections"]] == [2024]
        page = client.get(reverse("inspections:list"), {"year": "1999"})
        assert [i.year for i in page.context["inspections"]] == [YEAR]

    def test_a_volunteer_is_refused(self, client, cast, inspected):
        response = signed_in(client, cast.volunteer_a).get(reverse("inspections:list"))
        assert response.status_code == 403

    def test_it_asks_strangers_to_sign_in(self, client, cast, inspected):
        response = client.get(reverse("inspections:list"))
        assert response.status_code == 302

    def test_the_supervisor_creates_or_refreshes_the_year(self, client, cast):
        response = signed_in(client, cast.supervisor).post(
            reverse("inspections:refresh"), {"year": str(YEAR)}
        )
        assert response.status_code == 302
        assert set(Inspection.objects.values_list("station__code", flat=True)) == {
            "A",
            "B",
        }

    def test_station_users_may_not_refresh(self, client, cast):
        response = signed_in(client, cast.manager_a).post(
            reverse("inspections:refresh"), {"year": str(YEAR)}
        )
        assert response.status_code == 403
        assert not Inspection.objects.exists()


class TestDetail:
    def test_the_supervisor_sees_the_figures_and_the_forms(
        self, client, cast, inspected
    ):
        page = signed_in(client, cast.supervisor).get(detail(inspected["A"]))
        assert page.status_code == 200
        assert page.context["checklist_form"] is not None
        assert page.context["decision_form"] is not None
        text = page.content.decode()
        assert 'data-indicator="area"' in text

    def test_station_users_read_it_without_the_supervisors_forms(
        self, client, cast, inspected
    ):
        page = signed_in(client, cast.staff_a).get(detail(inspected["A"]))
        assert page.status_code == 200
        assert "checklist_form" not in page.context
        assert "decision_form" not in page.context

    @pytest.mark.parametrize(
        "username, code", [("staff_a", "B"), ("manager_a", "C"), ("supervisor", "C")]
    )
    def test_another_stations_inspection_is_not_found(
        self, client, cast, inspected, username, code
    ):
        response = signed_in(client, getattr(cast, username)).get(
            detail(inspected[code])
        )
        assert response.status_code == 404

    def test_a_volunteer_is_refused(self, client, cast, inspected):
        response = signed_in(client, cast.volunteer_a).get(detail(inspected["A"]))
        assert response.status_code == 403

    def test_the_manager_sees_the_decision_on_the_page_and_the_home_page(
        self, client, cast, inspected
    ):
        inspection = confirm(inspected["A"], cast.supervisor)
        decide(inspection, cast.supervisor, "recover", "经费挪作他用", "3000")
        client = signed_in(client, cast.manager_a)
        page = client.get(detail(inspection), HTTP_ACCEPT_LANGUAGE="en").content
        assert "经费挪作他用" in page.decode()
        assert "¥3000.00" in page.decode()
        home = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Annual inspection 2025: Recover funds." in home
        assert "¥3000.00" in home
        assert detail(inspection) in home
        # Station B's staff are not told about A; the supervisor's overview has
        # the inspections page instead.
        other = signed_in(client, cast.staff_b).get(reverse("home")).content.decode()
        assert "经费挪作他用" not in other
        overview = signed_in(client, cast.supervisor).get(reverse("home"))
        assert "经费挪作他用" not in overview.content.decode()

    def test_the_home_page_counts_findings_to_rectify(self, client, cast, inspected):
        send(inspected["A"], cast.supervisor)
        page = signed_in(client, cast.staff_a).get(reverse("home"))
        [(_station, figures)] = page.context["rows"]
        assert figures["findings_to_rectify"] == 1


class TestSupervisorWrites:
    def test_the_supervisor_confirms_the_checklist(self, client, cast, inspected):
        data = {
            "building_area": "280.0",
            "public_welfare_posts": "4",
            "has_day_care_room": "on",
            "has_pantry": "on",
            "has_medical_room": "on",
            "has_entertainment_room": "on",
            "has_studio": "on",
            "has_catering_hygiene_certificate": "on",
            "has_outdoor_fitness": "on",
            "funds_used_properly": "true",
            "checklist_notes": "实测",
        }
        response = signed_in(client, cast.supervisor).post(
            reverse("inspections:checklist", args=[inspected["A"].pk]), data
        )
        assert response.status_code == 302
        inspection = Inspection.objects.get(pk=inspected["A"].pk)
        assert inspection.checklist_confirmed
        assert inspection.building_area == Decimal("280.0")

    def test_a_missing_answer_shows_the_form_again(self, client, cast, inspected):
        response = signed_in(client, cast.supervisor).post(
            reverse("inspections:checklist", args=[inspected["A"].pk]),
            {"building_area": "300", "public_welfare_posts": "3"},
        )
        assert response.status_code == 200
        assert response.context["checklist_form"].errors["funds_used_properly"]
        assert not Inspection.objects.get(pk=inspected["A"].pk).checklist_confirmed

    @pytest.mark.parametrize(
        "name, data",
        [
            ("inspections:checklist", {"funds_used_properly": "true"}),
            ("inspections:finding-create", {"text": "x", "deadline": "2099-01-01"}),
            ("inspections:decide", {"decision": "continue"}),
        ],
    )
    def test_station_users_are_refused_403_and_other_stations_404(
        self, client, cast, inspected, name, data
    ):
        client = signed_in(client, cast.manager_a)
        response = client.post(reverse(name, args=[inspected["A"].pk]), data)
        assert response.status_code == 403
        response = client.post(reverse(name, args=[inspected["B"].pk]), data)
        assert response.status_code == 404
        supervisor = signed_in(client, cast.supervisor)
        response = supervisor.post(reverse(name, args=[inspected["C"].pk]), data)
        assert response.status_code == 404
        assert not Finding.objects.exists()
        assert not Inspection.objects.exclude(decision="").exists()

    def test_the_supervisor_sends_a_finding(self, client, cast, inspected):
        response = signed_in(client, cast.supervisor).post(
            reverse("inspections:finding-create", args=[inspected["A"].pk]),
            {"indicator": "trainings", "text": "", "deadline": str(later(20))},
        )
        finding = Finding.objects.get()
        assert response.url == finding.get_absolute_url()
        assert finding.indicator == "trainings"

    def test_the_supervisor_decides_and_a_refusal_is_explained(
        self, client, cast, inspected
    ):
        client = signed_in(client, cast.supervisor)
        url = reverse("inspections:decide", args=[inspected["A"].pk])
        response = client.post(url, {"decision": "stop"}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert response.context["decision_form"].errors
        confirm(inspected["A"], cast.supervisor)
        response = client.post(url, {"decision": "stop", "reason": "未达标"})
        assert response.status_code == 302
        assert Inspection.objects.get(pk=inspected["A"].pk).decision == "stop"


class TestStationAnswers:
    def test_staff_answer_with_evidence_and_supervisors_read_it(
        self, client, cast, inspected
    ):
        finding = send(inspected["A"], cast.supervisor)
        prefix = f"answer-{finding.pk}"
        response = signed_in(client, cast.staff_a).post(
            reverse("inspections:finding-answer", args=[finding.pk]),
            {
                f"{prefix}-text": "已改建医务室",
                f"{prefix}-evidence": SimpleUploadedFile("room.png", PNG),
            },
        )
        assert response.status_code == 302
        answer = finding.answers.get()
        url = reverse("inspections:evidence", args=[answer.pk])
        for user in (cast.staff_a, cast.supervisor):
            response = signed_in(client, user).get(url)
            assert response.status_code == 200
            assert b"".join(response.streaming_content) == PNG
            assert response["Content-Type"] == "image/png"
            assert response["X-Content-Type-Options"] == "nosniff"
            assert "sandbox" in response["Content-Security-Policy"]
        assert signed_in(client, cast.staff_b).get(url).status_code == 404
        assert signed_in(client, cast.volunteer_a).get(url).status_code == 403

    def test_the_supervisor_may_not_answer_for_the_station(
        self, client, cast, inspected
    ):
        finding = send(inspected["A"], cast.supervisor)
        url = reverse("inspections:finding-answer", args=[finding.pk])
        data = {f"answer-{finding.pk}-text": "代答"}
        assert signed_in(client, cast.supervisor).post(url, data).status_code == 403
        assert signed_in(client, cast.staff_b).post(url, data).status_code == 404
        assert Finding.objects.get().status == FindingStatus.OPEN

    def test_a_bad_file_is_refused_on_the_form(self, client, cast, inspected):
        finding = send(inspected["A"], cast.supervisor)
        prefix = f"answer-{finding.pk}"
        response = signed_in(client, cast.staff_a).post(
            reverse("inspections:finding-answer", args=[finding.pk]),
            {
                f"{prefix}-text": "已整改",
                f"{prefix}-evidence": SimpleUploadedFile("x.png", b"GIF89a..."),
            },
        )
        assert response.status_code == 200
        assert response.context["answer_forms"][finding.pk].errors["evidence"]
        assert not finding.answers.exists()

    def test_the_recheck_is_the_supervisors(self, client, cast, inspected):
        finding = send(inspected["A"], cast.supervisor)
        answer = actions.finding_answer(actor=cast.staff_a, finding=finding, text="好")
        url = reverse("inspections:answer-recheck", args=[answer.pk])
        data = {f"recheck-{finding.pk}-result": "accepted"}
        assert signed_in(client, cast.manager_a).post(url, data).status_code == 403
        assert signed_in(client, cast.staff_b).post(url, data).status_code == 404
        assert signed_in(client, cast.supervisor).post(url, data).status_code == 302
        assert Finding.objects.get().status == FindingStatus.ACCEPTED


def assert_constant_queries(client, url, grow):
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    grow()
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert response.status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


class TestQueryCounts:
    def test_the_list(self, client, cast, inspected):
        signed_in(client, cast.supervisor)

        def grow():
            stations = [
                StationFactory(code=f"S{n}", district=cast.d1) for n in range(6)
            ]
            refresh(stations=stations)
            send(inspected["A"], cast.supervisor)
            send(inspected["B"], cast.supervisor)

        assert_constant_queries(client, reverse("inspections:list"), grow)

    def test_the_detail(self, client, cast, inspected):
        inspection = confirm(inspected["A"], cast.supervisor)
        first = send(inspection, cast.supervisor)
        actions.finding_answer(actor=cast.staff_a, finding=first, text="已整改")
        signed_in(client, cast.supervisor)

        def grow():
            for n in range(4):
                finding = send(inspection, cast.supervisor)
                answer = actions.finding_answer(
                    actor=cast.staff_a,
                    finding=finding,
                    text=f"第{n}次",
                    evidence=SimpleUploadedFile("p.png", PNG),
                )
                if n % 2:
                    actions.answer_recheck(
                        actor=cast.supervisor,
                        answer=answer,
                        accepted=False,
                        note="再改",
                    )

        assert_constant_queries(client, detail(inspection), grow)
