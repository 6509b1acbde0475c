"""The REST API of the volunteers app: scoping, the volunteer's token, the rules."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from volunteers import actions
from volunteers.models import HoursEntry, Pairing, Team, Visit, Volunteer
from volunteers.tests.factories import (
    PairingFactory,
    TeamFactory,
    VolunteerFactory,
    hours_ago,
)

pytestmark = pytest.mark.django_db

VOLUNTEERS = "/api/v1/volunteers/"
TEAMS = "/api/v1/teams/"
PAIRINGS = "/api/v1/pairings/"
VISITS = "/api/v1/visits/"
ELDERS = "/api/v1/elders/"


@pytest.fixture
def api(cast):
    def signed_in(username: str) -> APIClient:
        client = APIClient()
        client.force_login(getattr(cast, username))
        return client

    return signed_in


@pytest.fixture
def token_client(cast):
    """volunteer_a through a token, as the phone app would."""
    token = Token.objects.create(user=cast.volunteer_a)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def visit_body(elder, **overrides):
    body = {
        "elder": elder.pk,
        "started_at": hours_ago(2).isoformat(),
        "ended_at": hours_ago(1).isoformat(),
        "services": ["chat", "health_check"],
        "notes": "聊天",
        "systolic": 132,
        "diastolic": 84,
        "needs_follow_up": True,
        "follow_up_reason": "血压偏高",
    }
    body.update(overrides)
    return body


class TestTheVolunteersToken:
    def test_it_sees_only_paired_elders(self, token_client, crew):
        names = [e["name"] for e in token_client.get(ELDERS).json()["results"]]
        assert names == ["王桂芳"]
        assert token_client.get(f"{ELDERS}{crew.unpaired.pk}/").status_code == 404
        assert token_client.get(f"{ELDERS}{crew.elder_b.pk}/").status_code == 404

    def test_it_logs_a_visit_to_a_paired_elder(self, token_client, crew):
        response = token_client.post(VISITS, visit_body(crew.paired), format="json")
        assert response.status_code == 201, response.json()
        data = response.json()
        assert data["volunteer"] == crew.me.pk and data["minutes"] == 60
        assert data["needs_follow_up"] is True
        assert HoursEntry.objects.get().minutes == 60

    def test_it_cannot_log_a_visit_to_an_unpaired_elder(self, token_client, crew):
        for elder in (crew.unpaired, crew.elder_b):
            response = token_client.post(VISITS, visit_body(elder), format="json")
            assert response.status_code == 400
            assert "elder" in response.json()
        assert not Visit.objects.exists()

    def test_it_cannot_log_for_another_volunteer(self, token_client, cast, crew):
        other = VolunteerFactory(station=cast.a)
        PairingFactory(volunteer=other, elder=crew.paired)
        response = token_client.post(
            VISITS, visit_body(crew.paired, volunteer=other.pk), format="json"
        )
        assert response.status_code == 400
        assert not Visit.objects.exists()

    def test_the_rules_answer_400_and_write_nothing(self, token_client, crew):
        cases = [
            {"ended_at": hours_ago(3).isoformat()},
            {"ended_at": (timezone.now() + timezone.timedelta(hours=1)).isoformat()},
            {"follow_up_reason": ""},
            {"services": ["medical"]},
            {"systolic": 80, "diastolic": 120},
        ]
        for overrides in cases:
            response = token_client.post(
                VISITS, visit_body(crew.paired, **overrides), format="json"
            )
            assert response.status_code == 400, overrides
        token_client.post(VISITS, visit_body(crew.paired), format="json")
        response = token_client.post(VISITS, visit_body(crew.paired), format="json")
        assert response.status_code == 400 and "started_at" in response.json()
        assert Visit.objects.count() == 1 == HoursEntry.objects.count()

    def test_it_sees_only_its_own_visits_pairings_and_record(
        self, token_client, cast, crew
    ):
        token_client.post(VISITS, visit_body(crew.paired), format="json")
        actions.visit_log(
            actor=cast.staff_b,
            volunteer=crew.volunteer_b,
            elder=crew.elder_b,
            started_at=hours_ago(2),
            ended_at=hours_ago(1),
        )
        assert token_client.get(VISITS).json()["count"] == 1
        assert [p["id"] for p in token_client.get(PAIRINGS).json()["results"]] == [
            crew.pairing.pk
        ]
        volunteers = token_client.get(VOLUNTEERS).json()["results"]
        assert [v["username"] for v in volunteers] == ["volunteer_a"]

    def test_it_cannot_write_station_records(self, token_client, cast, crew):
        response = token_client.post(
            PAIRINGS, {"volunteer": crew.me.pk, "elder": crew.paired.pk}
        )
        assert response.status_code == 403
        assert token_client.post(TEAMS, {"station": "A"}).status_code == 403
        visit = Visit.objects.create(
            station=cast.a,
            volunteer=crew.me,
            elder=crew.paired,
            started_at=hours_ago(5),
            ended_at=hours_ago(4),
            needs_follow_up=True,
            follow_up_reason="x",
        )
        response = token_client.post(f"{VISITS}{visit.pk}/resolve/", {"note": "x"})
        assert response.status_code == 403


class TestStaff:
    def test_other_stations_objects_answer_404(self, api, cast, crew):
        client = api("staff_a")
        team = TeamFactory(station=cast.b)
        visit = actions.visit_log(
            actor=cast.staff_b,
            volunteer=crew.volunteer_b,
            elder=crew.elder_b,
            started_at=hours_ago(2),
            ended_at=hours_ago(1),
            needs_follow_up=True,
            follow_up_reason="x",
        )
        for url in [
            f"{VOLUNTEERS}{crew.volunteer_b.pk}/",
            f"{TEAMS}{team.pk}/",
            f"{PAIRINGS}{crew.pairing_b.pk}/",
            f"{VISITS}{visit.pk}/",
        ]:
            assert client.get(url).status_code == 404, url
        for url, body in [
            (f"{PAIRINGS}{crew.pairing_b.pk}/approve/", {}),
            (f"{PAIRINGS}{crew.pairing_b.pk}/end/", {"reason": "x"}),
            (f"{VISITS}{visit.pk}/resolve/", {"note": "x"}),
        ]:
            assert client.post(url, body).status_code == 404, url
        assert (
            client.patch(
                f"{VOLUNTEERS}{crew.volunteer_b.pk}/", {"name": "x"}
            ).status_code
            == 404
        )

    def test_a_reference_to_another_station_is_refused(self, api, cast, crew):
        response = api("staff_a").post(
            PAIRINGS,
            {"volunteer": crew.me.pk, "elder": crew.elder_b.pk},
            format="json",
        )
        assert response.status_code == 400
        assert Pairing.objects.count() == 2

    def test_register_a_volunteer_and_read_the_username(self, api, cast):
        team = TeamFactory(station=cast.a)
        response = api("staff_a").post(
            VOLUNTEERS,
            {
                "station": "A",
                "team": team.pk,
                "name": "林志明",
                "gender": "M",
                "birth_date": "2002-03-04",
                "phone": "138",
                "specialties": ["culture"],
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert response.json()["username"] is None
        assert Volunteer.objects.get().station == cast.a
        response = api("staff_a").post(
            VOLUNTEERS,
            {"station": "B", "name": "x", "gender": "M", "birth_date": "2000-01-01"},
            format="json",
        )
        assert response.status_code == 400

    def test_claim_approve_sign_end(self, api, cast, crew):
        body = {
            "volunteer": crew.me.pk,
            "elder": crew.unpaired.pk,
            "services": ["chat"],
        }
        response = api("staff_a").post(PAIRINGS, body, format="json")
        assert response.status_code == 201 and response.json()["state"] == "claimed"
        pk = response.json()["id"]
        assert api("staff_a").post(f"{PAIRINGS}{pk}/approve/").status_code == 403
        response = api("manager_a").post(f"{PAIRINGS}{pk}/approve/")
        assert response.status_code == 200 and response.json()["state"] == "approved"
        today = timezone.localdate().isoformat()
        response = api("staff_a").post(
            f"{PAIRINGS}{pk}/sign/", {"letter_signed_on": today}
        )
        assert response.json()["letter_signed_on"] == today
        response = api("staff_a").post(f"{PAIRINGS}{pk}/end/", {"reason": ""})
        assert response.status_code == 400
        response = api("staff_a").post(f"{PAIRINGS}{pk}/end/", {"reason": "搬家"})
        assert response.json()["active"] is False
        assert api("staff_a").post(PAIRINGS, body, format="json").status_code == 201

    def test_staff_log_for_a_volunteer_and_resolve_the_follow_up(self, api, cast, crew):
        client = api("staff_a")
        response = client.post(VISITS, visit_body(crew.paired), format="json")
        assert response.status_code == 400 and "volunteer" in response.json()
        response = client.post(
            VISITS, visit_body(crew.paired, volunteer=crew.me.pk), format="json"
        )
        assert response.status_code == 201
        pk = response.json()["id"]
        assert client.get(f"{VISITS}?open_follow_up=true").json()["count"] == 1
        response = client.post(f"{VISITS}{pk}/resolve/", {"note": "已处理"})
        assert response.status_code == 200 and response.json()["resolved_at"]
        assert client.get(f"{VISITS}?open_follow_up=true").json()["count"] == 0

    def test_the_supervisor_reads_but_cannot_write(self, api, cast, crew):
        client = api("supervisor")
        assert client.get(VOLUNTEERS).json()["count"] == 2
        response = client.post(
            PAIRINGS,
            {"volunteer": crew.me.pk, "elder": crew.unpaired.pk},
            format="json",
        )
        assert response.status_code == 403
        response = client.post(TEAMS, {"station": "A", "name": "x", "kind": "youth"})
        assert response.status_code == 403
        assert not Team.objects.exists()

    @pytest.mark.parametrize("url", [VOLUNTEERS, TEAMS, PAIRINGS, VISITS])
    def test_lists_cost_the_same_for_few_and_many(self, api, cast, crew, url):
        client = api("supervisor")

        def grow(n):
            for _i in range(n):
                volunteer = VolunteerFactory(
                    station=cast.a, team=TeamFactory(station=cast.a)
                )
                pairing = PairingFactory(volunteer=volunteer)
                actions.visit_log(
                    actor=cast.staff_a,
                    volunteer=volunteer,
                    elder=pairing.elder,
                    started_at=hours_ago(2),
                    ended_at=hours_ago(1),
                )

        grow(1)
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        grow(8)
        with CaptureQueriesContext(connection) as many:
            client.get(url)
        assert len(many) == len(few)
