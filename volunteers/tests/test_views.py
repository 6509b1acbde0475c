"""The volunteer pages: scoping, the phone pages, forms, query counts, the export."""

import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from carecenter.tests.spreadsheets import HOSTILE, assert_no_formula
from elders.tests.factories import ElderFactory
from volunteers import actions
from volunteers.models import HoursEntry, Pairing, Visit
from volunteers.tests.factories import (
    CertificateFactory,
    PairingFactory,
    TeamFactory,
    TrainingSessionFactory,
    VolunteerFactory,
    hours_ago,
)

pytestmark = pytest.mark.django_db


def flagged_visit(cast, crew, **overrides):
    data = {
        "started_at": hours_ago(2),
        "ended_at": hours_ago(1),
        "services": ["chat"],
        "needs_follow_up": True,
        "follow_up_reason": "头晕",
    }
    data.update(overrides)
    return actions.visit_log(
        actor=cast.volunteer_a, volunteer=crew.me, elder=crew.paired, **data
    )


def station_b_pages(crew, cast):
    """Every staff page of a station-B object (GET)."""
    team = TeamFactory(station=cast.b)
    session = TrainingSessionFactory(station=cast.b)
    visit = actions.visit_log(
        actor=cast.staff_b,
        volunteer=crew.volunteer_b,
        elder=crew.elder_b,
        started_at=hours_ago(2),
        ended_at=hours_ago(1),
        needs_follow_up=True,
        follow_up_reason="x",
    )
    v, p = crew.volunteer_b.pk, crew.pairing_b.pk
    return [
        reverse("volunteers:detail", args=[v]),
        reverse("volunteers:edit", args=[v]),
        reverse("volunteers:login", args=[v]),
        reverse("volunteers:certificate-add", args=[v]),
        reverse("volunteers:pairing-claim", args=[v]),
        reverse("volunteers:team-detail", args=[team.pk]),
        reverse("volunteers:team-edit", args=[team.pk]),
        reverse("volunteers:training-edit", args=[session.pk]),
        reverse("volunteers:pairing-detail", args=[p]),
        reverse("volunteers:pairing-letter", args=[p]),
        reverse("volunteers:pairing-end", args=[p]),
        reverse("volunteers:visit-detail", args=[visit.pk]),
        reverse("volunteers:follow-up-resolve", args=[visit.pk]),
    ]


LISTS = [
    "volunteers:list",
    "volunteers:teams",
    "volunteers:training",
    "volunteers:certificates",
    "volunteers:pairings",
    "volunteers:follow-ups",
    "volunteers:hours",
]


class TestScoping:
    def test_another_stations_objects_answer_404(self, client, cast, crew):
        pages = station_b_pages(crew, cast)
        client.force_login(cast.staff_a)
        for url in pages:
            assert client.get(url).status_code == 404, url
        for name in ("pairing-approve", "pairing-sign"):
            url = reverse(f"volunteers:{name}", args=[crew.pairing_b.pk])
            assert (
                client.post(url, {"letter_signed_on": "2026-01-01"}).status_code == 404
            )

    def test_their_own_station_staff_open_them(self, client, cast, crew):
        pages = station_b_pages(crew, cast)
        client.force_login(cast.staff_b)
        for url in pages:
            assert client.get(url).status_code == 200, url

    def test_the_supervisor_reads_but_cannot_write(self, client, cast, crew):
        client.force_login(cast.supervisor)
        for name in LISTS:
            assert client.get(reverse(name)).status_code == 200, name
        assert (
            client.get(reverse("volunteers:detail", args=[crew.me.pk])).status_code
            == 200
        )
        for url in [
            reverse("volunteers:create"),
            reverse("volunteers:team-create"),
            reverse("volunteers:training-create"),
            reverse("volunteers:edit", args=[crew.me.pk]),
            reverse("volunteers:pairing-claim", args=[crew.me.pk]),
            reverse("volunteers:pairing-end", args=[crew.pairing.pk]),
        ]:
            assert client.get(url).status_code == 403, url
        url = reverse("volunteers:pairing-approve", args=[crew.pairing.pk])
        assert client.post(url).status_code == 403

    def test_the_lists_show_only_their_station(self, client, cast, crew):
        client.force_login(cast.staff_a)
        response = client.get(reverse("volunteers:list"))
        assert {v.name for v in response.context["page_obj"]} == {"郑晓燕"}
        response = client.get(reverse("volunteers:pairings"))
        assert [p.pk for p in response.context["page_obj"]] == [crew.pairing.pk]

    def test_volunteers_do_not_open_staff_pages(self, client, cast, crew):
        client.force_login(cast.volunteer_a)
        for name in LISTS:
            assert client.get(reverse(name)).status_code == 403, name
        url = reverse("volunteers:detail", args=[crew.me.pk])
        assert client.get(url).status_code == 403

    def test_staff_do_not_open_the_volunteer_pages(self, client, cast, crew):
        client.force_login(cast.staff_a)
        assert client.get(reverse("volunteers:my-elders")).status_code == 403
        assert client.get(reverse("volunteers:my-hours")).status_code == 403

    def test_only_the_manager_approves(self, client, cast):
        pairing = actions.pairing_claim(
            actor=cast.staff_a,
            volunteer=VolunteerFactory(station=cast.a),
            elder=ElderFactory(station=cast.a),
        )
        url = reverse("volunteers:pairing-approve", args=[pairing.pk])
        client.force_login(cast.staff_a)
        assert client.post(url).status_code == 403
        client.force_login(cast.manager_a)
        assert client.post(url).status_code == 302
        assert Pairing.objects.get(pk=pairing.pk).in_force


class TestVolunteerPages:
    def test_my_elders_lists_only_active_approved_pairings(self, client, cast, crew):
        claimed = ElderFactory(station=cast.a, name="赵未批")
        Pairing.objects.create(
            station=cast.a, volunteer=crew.me, elder=claimed, services=[]
        )
        client.force_login(cast.volunteer_a)
        response = client.get(reverse("volunteers:my-elders"))
        assert [e.name for e in response.context["elders"]] == ["王桂芳"]
        assert "李德明" not in response.content.decode()

    def test_a_volunteer_cannot_open_an_unpaired_elder(self, client, cast, crew):
        client.force_login(cast.volunteer_a)
        for elder in (crew.unpaired, crew.elder_b):
            url = reverse("volunteers:visit-log", args=[elder.pk])
            assert client.get(url).status_code == 404
            assert client.post(url, {}).status_code == 404
        assert not Visit.objects.exists()

    def test_logging_a_visit_from_the_form(self, client, cast, crew):
        client.force_login(cast.volunteer_a)
        url = reverse("volunteers:visit-log", args=[crew.paired.pk])
        form = client.get(url).context["form"]
        start, end = hours_ago(2), hours_ago(1)
        local_start, local_end = timezone.localtime(start), timezone.localtime(end)
        if local_start.date() != local_end.date():
            pytest.skip("the last hours span midnight")
        assert form.fields["day"].initial == timezone.localdate()
        response = client.post(
            url,
            {
                "day": local_start.date().isoformat(),
                "start": local_start.strftime("%H:%M"),
                "end": local_end.strftime("%H:%M"),
                "services": ["chat", "health_check"],
                "notes": "聊天",
                "systolic": "130",
                "diastolic": "85",
                "needs_follow_up": "on",
                "follow_up_reason": "血压偏高",
            },
        )
        assert response.status_code == 302, response.context["form"].errors
        visit = Visit.objects.get()
        assert visit.services == ["health_check", "chat"] and visit.follow_up_open
        assert HoursEntry.objects.get().minutes == 60

    def test_errors_come_back_on_the_form(self, client, cast, crew):
        client.force_login(cast.volunteer_a)
        url = reverse("volunteers:visit-log", args=[crew.paired.pk])
        response = client.post(
            url,
            {
                "day": timezone.localdate().isoformat(),
                "start": "10:00",
                "end": "10:00",
                "needs_follow_up": "on",
            },
        )
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert "follow_up_reason" in errors and "end" in errors
        assert not Visit.objects.exists()

    def test_my_hours_shows_the_ledger(self, client, cast, crew):
        flagged_visit(cast, crew, needs_follow_up=False, follow_up_reason="")
        client.force_login(cast.volunteer_a)
        response = client.get(reverse("volunteers:my-hours"))
        assert response.context["total_minutes"] == 60
        assert [v.elder for v in response.context["visits"]] == [crew.paired]

    def test_a_volunteer_reads_their_own_visit_and_pairing_only(
        self, client, cast, crew
    ):
        mine = flagged_visit(cast, crew)
        other = actions.visit_log(
            actor=cast.staff_b,
            volunteer=crew.volunteer_b,
            elder=crew.elder_b,
            started_at=hours_ago(2),
            ended_at=hours_ago(1),
        )
        client.force_login(cast.volunteer_a)
        assert client.get(mine.get_absolute_url()).status_code == 200
        assert client.get(other.get_absolute_url()).status_code == 404
        assert client.get(crew.pairing.get_absolute_url()).status_code == 200
        assert client.get(crew.pairing_b.get_absolute_url()).status_code == 404

    def test_the_navigation_shows_volunteers_only_their_links(self, client, cast, crew):
        client.force_login(cast.volunteer_a)
        html = client.get(reverse("volunteers:my-elders")).content.decode()
        assert reverse("volunteers:my-hours") in html
        assert f'href="{reverse("volunteers:list")}"' not in html
        assert f'href="{reverse("elders:list")}"' not in html
        client.force_login(cast.staff_a)
        html = client.get(reverse("volunteers:list")).content.decode()
        assert f'href="{reverse("volunteers:my-elders")}"' not in html


class TestStaffPages:
    def test_the_follow_up_list_and_resolving(self, client, cast, crew):
        visit = flagged_visit(cast, crew)
        client.force_login(cast.staff_a)
        response = client.get(reverse("volunteers:follow-ups"))
        assert list(response.context["page_obj"]) == [visit]
        url = reverse("volunteers:follow-up-resolve", args=[visit.pk])
        assert client.post(url, {"resolution_note": ""}).status_code == 200
        assert client.post(url, {"resolution_note": "已陪同就医"}).status_code == 302
        response = client.get(reverse("volunteers:follow-ups"))
        assert list(response.context["page_obj"]) == []
        assert response.context["resolved"] == [visit]

    def test_the_home_page_counts_follow_ups_and_expiring_certificates(
        self, client, cast, crew
    ):
        flagged_visit(cast, crew)
        today = timezone.localdate()
        CertificateFactory(volunteer=crew.me, expires_on=today + datetime.timedelta(10))
        CertificateFactory(volunteer=crew.me, expires_on=today + datetime.timedelta(60))
        CertificateFactory(volunteer=crew.me, expires_on=today - datetime.timedelta(1))
        CertificateFactory(
            volunteer=crew.volunteer_b, expires_on=today + datetime.timedelta(5)
        )
        client.force_login(cast.staff_a)
        response = client.get(reverse("home"))
        figures = dict(response.context["rows"])[cast.a]
        assert figures["open_follow_ups"] == 1
        assert figures["certificates_expiring"] == 1
        response = client.get(reverse("volunteers:certificates"))
        assert len(response.context["page_obj"]) == 1

    def test_register_a_volunteer_and_filter_the_list(self, client, cast):
        team = TeamFactory(station=cast.a, name="青春志愿服务队", kind="youth")
        client.force_login(cast.staff_a)
        response = client.post(
            reverse("volunteers:create"),
            {
                "station": cast.a.pk,
                "name": "林志明",
                "gender": "M",
                "birth_date": "2002-03-04",
                "phone": "138 0000 1111",
                "occupation": "大学生",
                "team": team.pk,
                "specialties": ["culture", "errands"],
                "status": "active",
            },
        )
        assert response.status_code == 302
        VolunteerFactory(
            station=cast.a, name="宋国强", birth_date=datetime.date(1958, 1, 1)
        )
        url = reverse("volunteers:list")

        def names(query):
            return {v.name for v in client.get(url + query).context["page_obj"]}

        assert names(f"?team={team.pk}") == {"林志明"}
        assert names("?specialty=culture") == {"林志明"}
        assert names("?age_band=under-30") == {"林志明"}
        assert names("?age_band=60-69") == {"宋国强"}
        assert names("?q=宋") == {"宋国强"}

    def test_claiming_through_the_form_refuses_an_unqualified_service(
        self, client, cast, crew
    ):
        client.force_login(cast.staff_a)
        url = reverse("volunteers:pairing-claim", args=[crew.me.pk])
        response = client.post(
            url, {"elder": crew.unpaired.pk, "services": ["medical"]}
        )
        assert response.status_code == 200
        assert "services" in response.context["form"].errors
        response = client.post(url, {"elder": crew.unpaired.pk, "services": ["chat"]})
        assert response.status_code == 302
        assert Pairing.objects.filter(elder=crew.unpaired, active=True).exists()

    def test_an_elder_of_another_station_is_not_a_choice(self, client, cast, crew):
        client.force_login(cast.staff_a)
        url = reverse("volunteers:pairing-claim", args=[crew.me.pk])
        response = client.post(url, {"elder": crew.elder_b.pk})
        assert "elder" in response.context["form"].errors

    def test_signing_and_ending_a_pairing(self, client, cast, crew):
        client.force_login(cast.staff_a)
        sign = reverse("volunteers:pairing-sign", args=[crew.pairing.pk])
        today = timezone.localdate().isoformat()
        assert client.post(sign, {"letter_signed_on": today}).status_code == 302
        end = reverse("volunteers:pairing-end", args=[crew.pairing.pk])
        response = client.post(end, {"ended_on": today, "end_reason": "搬家"})
        assert response.status_code == 302
        pairing = Pairing.objects.get(pk=crew.pairing.pk)
        assert pairing.letter_signed_on and not pairing.active
        assert pairing.end_reason == "搬家"

    def test_the_letter_is_a_print_page(self, client, cast, crew):
        client.force_login(cast.staff_a)
        html = client.get(
            reverse("volunteers:pairing-letter", args=[crew.pairing.pk])
        ).content.decode()
        assert "服务承诺书" in html and "王桂芳" in html and "letter.css" in html

    def test_the_hours_page_and_its_export(self, client, cast, crew):
        flagged_visit(cast, crew, started_at=hours_ago(3), ended_at=hours_ago(1, 30))
        client.force_login(cast.staff_a)
        response = client.get(reverse("volunteers:hours"))
        report = response.context["report"]
        assert report.total == 90 and report.volunteers[0].name == "郑晓燕"
        response = client.get(reverse("volunteers:hours-export"))
        assert response["Content-Type"].startswith("application/vnd.openxmlformats")
        book = load_workbook(io.BytesIO(response.content))
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        assert rows[1][1] == "郑晓燕" and rows[1][-1] == 1.5
        assert len(book.worksheets) == 2

    def test_the_export_holds_only_the_callers_stations(self, client, cast, crew):
        actions.visit_log(
            actor=cast.staff_b,
            volunteer=crew.volunteer_b,
            elder=crew.elder_b,
            started_at=hours_ago(2),
            ended_at=hours_ago(1),
        )
        client.force_login(cast.staff_a)
        book = load_workbook(
            io.BytesIO(client.get(reverse("volunteers:hours-export")).content)
        )
        names = [r[1] for r in book.worksheets[0].iter_rows(values_only=True)]
        assert "韩德福" not in names


class TestQueryCounts:
    """Every list page costs the same for a few rows or many."""

    def grow(self, cast, n):
        for _i in range(n):
            team = TeamFactory(station=cast.a)
            volunteer = VolunteerFactory(station=cast.a, team=team)
            elder = ElderFactory(station=cast.a)
            pairing = PairingFactory(volunteer=volunteer, elder=elder)
            CertificateFactory(
                volunteer=volunteer,
                expires_on=timezone.localdate() + datetime.timedelta(days=5),
            )
            session = TrainingSessionFactory(station=cast.a)
            session.attendees.add(volunteer)
            actions.visit_log(
                actor=cast.staff_a,
                volunteer=volunteer,
                elder=pairing.elder,
                started_at=hours_ago(2),
                ended_at=hours_ago(1),
                needs_follow_up=True,
                follow_up_reason="x",
            )

    @pytest.mark.parametrize("name", LISTS)
    def test_the_list_costs_the_same(self, client, cast, name):
        client.force_login(cast.staff_a)
        url = reverse(name)
        self.grow(cast, 2)
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        self.grow(cast, 12)
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
        assert response.status_code == 200
        assert len(many) == len(few), name

    def test_my_elders_costs_the_same(self, client, cast, crew):
        client.force_login(cast.volunteer_a)
        url = reverse("volunteers:my-elders")
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for _i in range(8):
            PairingFactory(volunteer=crew.me, elder=ElderFactory(station=cast.a))
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
        assert len(response.context["elders"]) == 9
        assert len(many) == len(few)


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_hours_export_writes_hostile_names_as_text(client, cast, crew, hostile):
    crew.me.name = hostile[:50]
    crew.me.save()
    team = TeamFactory(station=cast.a, name=hostile[:50])
    crew.me.team = team
    crew.me.save()
    flagged_visit(cast, crew, started_at=hours_ago(3), ended_at=hours_ago(2))
    client.force_login(cast.staff_a)
    content = client.get(reverse("volunteers:hours-export")).content
    assert_no_formula(content, expect=hostile[:50])
