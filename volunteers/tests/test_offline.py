"""Visits logged without signal: one visit per client id, and what a phone keeps.

The phone side (service worker, queue, pages) is driven in Chromium by
``test_offline_browser.py``; these tests pin the server's half: the client id's
exactly-once rule under concurrency, the app's manifest, worker and state, and
which responses a phone may keep.
"""

import datetime
import json
import struct
import threading
import uuid

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from carecenter.models import Role
from carecenter.tests.factories import user_with_role
from elders.id_numbers import mask
from elders.tests.factories import ElderFactory
from volunteers import actions, offline
from volunteers.models import HoursEntry, Visit
from volunteers.tests.factories import PairingFactory, VolunteerFactory, hours_ago

pytestmark = pytest.mark.django_db

VISITS = "/api/v1/visits/"
OFFLINE_HEADER = "Volunteer-Offline-Key"


def visit_body(elder, **overrides):
    body = {
        "elder": elder.pk,
        "started_at": hours_ago(2).isoformat(),
        "ended_at": hours_ago(1).isoformat(),
        "services": ["chat"],
        "notes": "聊天",
        "needs_follow_up": True,
        "follow_up_reason": "血压偏高",
        "client_id": str(uuid.uuid4()),
    }
    body.update(overrides)
    return body


@pytest.fixture
def api(cast):
    def signed_in(user) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return signed_in


# --- One visit per client id ----------------------------------------------------------


class TestTheClientId:
    def test_a_visit_sent_again_is_returned_and_nothing_is_written(
        self, api, cast, crew
    ):
        client = api(cast.volunteer_a)
        body = visit_body(crew.paired)
        first = client.post(VISITS, body, format="json")
        assert first.status_code == 201, first.json()
        assert first.json()["client_id"] == body["client_id"]
        events = Visit.pgh_event_model.objects.count()
        again = client.post(VISITS, body, format="json")
        assert again.status_code == 200
        assert again.json() == first.json()
        assert Visit.objects.count() == 1 == HoursEntry.objects.count()
        assert Visit.pgh_event_model.objects.count() == events  # not even touched
        # The follow-up request is part of the visit: one on the station's list.
        assert Visit.objects.filter(needs_follow_up=True).count() == 1

    def test_a_repeat_with_other_fields_still_returns_the_first_visit(
        self, api, cast, crew
    ):
        client = api(cast.volunteer_a)
        body = visit_body(crew.paired)
        visit_id = client.post(VISITS, body, format="json").json()["id"]
        changed = {**body, "notes": "改过", "ended_at": hours_ago(0, 30).isoformat()}
        again = client.post(VISITS, changed, format="json")
        assert again.status_code == 200 and again.json()["id"] == visit_id
        assert Visit.objects.get().notes == "聊天"

    def test_a_repeat_is_answered_after_the_pairing_ended(self, api, cast, crew):
        """The answer was lost, the pairing ended meanwhile: still the same visit."""
        client = api(cast.volunteer_a)
        body = visit_body(crew.paired)
        visit_id = client.post(VISITS, body, format="json").json()["id"]
        actions.pairing_end(actor=cast.manager_a, pairing=crew.pairing, reason="搬家")
        again = client.post(VISITS, body, format="json")
        assert again.status_code == 200 and again.json()["id"] == visit_id
        # A new visit to that elder is refused, with a reason a volunteer reads.
        refused = client.post(
            VISITS,
            visit_body(
                crew.paired,
                started_at=hours_ago(4).isoformat(),
                ended_at=hours_ago(3).isoformat(),
            ),
            format="json",
            HTTP_ACCEPT_LANGUAGE="en",
        )
        assert refused.status_code == 400
        assert "pairing may have ended" in refused.json()["elder"][0]

    def test_another_volunteers_client_id_is_refused_and_not_shown(
        self, api, cast, crew
    ):
        other_user = user_with_role("volunteer_other", Role.VOLUNTEER, station=cast.a)
        other = VolunteerFactory(station=cast.a, name="韩梅", user=other_user)
        PairingFactory(volunteer=other, elder=crew.paired)
        taken = actions.visit_log(
            actor=other_user,
            volunteer=other,
            elder=crew.paired,
            started_at=hours_ago(6),
            ended_at=hours_ago(5),
            notes="别人的探访",
            client_id=uuid.uuid4(),
        )
        response = api(cast.volunteer_a).post(
            VISITS,
            visit_body(crew.paired, client_id=str(taken.client_id)),
            format="json",
        )
        assert response.status_code == 400
        assert "client_id" in response.json()
        assert "别人的探访" not in response.content.decode()
        assert Visit.objects.count() == 1

    def test_a_client_id_that_is_not_a_uuid_is_refused(self, api, cast, crew):
        response = api(cast.volunteer_a).post(
            VISITS, visit_body(crew.paired, client_id="1; drop table"), format="json"
        )
        assert response.status_code == 400 and "client_id" in response.json()
        assert not Visit.objects.exists()

    def test_without_a_client_id_the_api_works_as_before(self, api, cast, crew):
        body = visit_body(crew.paired)
        del body["client_id"]
        response = api(cast.volunteer_a).post(VISITS, body, format="json")
        assert response.status_code == 201 and response.json()["client_id"] is None

    def test_staff_repeat_a_visit_they_logged_for_a_volunteer(self, api, cast, crew):
        client = api(cast.staff_a)
        body = visit_body(crew.paired, volunteer=crew.me.pk)
        first = client.post(VISITS, body, format="json")
        assert first.status_code == 201
        assert client.post(VISITS, body, format="json").status_code == 200
        assert Visit.objects.count() == 1
        # Station B's staff cannot reach it through its id.
        response = api(cast.staff_b).post(
            VISITS,
            visit_body(
                crew.elder_b, volunteer=crew.volunteer_b.pk, client_id=body["client_id"]
            ),
            format="json",
        )
        assert response.status_code == 400 and "client_id" in response.json()
        assert Visit.objects.count() == 1

    def test_the_database_keeps_one_visit_per_client_id(self, cast, crew):
        visit = actions.visit_log(
            actor=cast.volunteer_a,
            volunteer=crew.me,
            elder=crew.paired,
            started_at=hours_ago(2),
            ended_at=hours_ago(1),
            client_id=uuid.uuid4(),
        )
        with pytest.raises(IntegrityError), transaction.atomic():
            Visit.objects.create(
                station=cast.a,
                volunteer=crew.me,
                elder=crew.paired,
                started_at=hours_ago(9),
                ended_at=hours_ago(8),
                client_id=visit.client_id,
            )

    def test_the_visit_form_logs_once_per_client_id(self, client, cast, crew):
        client.force_login(cast.volunteer_a)
        data = {
            "day": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
            "start": "09:00",
            "end": "10:00",
            "services": ["chat"],
            "client_id": str(uuid.uuid4()),
        }
        url = reverse("volunteers:visit-log", args=[crew.paired.pk])
        assert client.post(url, data).status_code == 302
        response = client.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="en")
        assert "This visit was saved already." in response.content.decode()
        assert Visit.objects.count() == 1 == HoursEntry.objects.count()
        assert str(Visit.objects.get().client_id) == data["client_id"]


@pytest.mark.django_db(transaction=True)
def test_four_phones_sending_the_same_visit_at_once_log_one_visit(cast):
    """The same visit (one client id) sent by 4 requests at the same moment, as a
    phone retrying on a flapping network might: one visit, one ledger entry, and
    every request answered with it (201 once, 200 for the others)."""
    me = VolunteerFactory(station=cast.a, user=cast.volunteer_a)
    elder = ElderFactory(station=cast.a)
    PairingFactory(volunteer=me, elder=elder)
    for _round in range(3):
        body = visit_body(elder)
        barrier = threading.Barrier(4)
        answers: list = []

        def send(body=body, barrier=barrier, answers=answers):
            client = APIClient()
            client.force_login(cast.volunteer_a)
            try:
                barrier.wait(timeout=10)
                response = client.post(VISITS, body, format="json")
                answers.append((response.status_code, response.json().get("id")))
            except Exception as exc:  # shown by the assertion below
                answers.append((repr(exc), None))
            finally:
                connection.close()

        threads = [threading.Thread(target=send) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(status for status, _id in answers) == [200, 200, 200, 201]
        visit = Visit.objects.get(client_id=body["client_id"])
        assert {visit_id for _status, visit_id in answers} == {visit.pk}
        assert HoursEntry.objects.filter(visit=visit).count() == 1
        Visit.objects.filter(pk=visit.pk).update(
            started_at=visit.started_at - datetime.timedelta(days=1 + _round),
            ended_at=visit.ended_at - datetime.timedelta(days=1 + _round),
        )  # out of the way of the next round's times
    assert Visit.objects.count() == 3 == HoursEntry.objects.count()


@pytest.mark.django_db(transaction=True)
def test_the_unique_constraint_decides_when_no_lock_is_shared(cast, monkeypatch):
    """Two volunteers (two locks) given the same client id at the same moment:
    both pass every check, both insert; the constraint keeps one visit and the
    other is refused as a taken id, not with a database error."""
    people = []
    for n in range(2):
        user = user_with_role(f"volunteer_{n}", Role.VOLUNTEER, station=cast.a)
        volunteer = VolunteerFactory(station=cast.a, user=user)
        elder = ElderFactory(station=cast.a)
        PairingFactory(volunteer=volunteer, elder=elder)
        people.append((user, volunteer, elder))
    client_id = uuid.uuid4()
    both_checked = threading.Barrier(2)
    real_save = Visit.save

    def save_after_both_checked(self, *args, **kwargs):
        both_checked.wait(timeout=10)  # both transactions are past the look-up
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Visit, "save", save_after_both_checked)
    outcomes: list[str] = []

    def log(user, volunteer, elder):
        try:
            _visit, created = actions.visit_log_once(
                actor=user,
                volunteer=volunteer,
                elder=elder,
                started_at=hours_ago(2),
                ended_at=hours_ago(1),
                client_id=client_id,
            )
            outcomes.append("created" if created else "repeat")
        except ValidationError as exc:
            outcomes.append("refused" if "client_id" in exc.message_dict else str(exc))
        except Exception as exc:  # shown by the assertion below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=log, args=person) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["created", "refused"]
    assert Visit.objects.filter(client_id=client_id).count() == 1
    assert HoursEntry.objects.count() == 1


# --- The app: manifest, service worker, what the phone keeps ------------------------


def png_size(static_url: str) -> tuple[int, int]:
    path = finders.find(static_url.removeprefix("/static/"))
    with open(path, "rb") as image:
        head = image.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", static_url
    return struct.unpack(">II", head[16:24])


class TestTheManifest:
    @pytest.mark.parametrize(
        ("language", "name", "lang"),
        [("zh-hans", "养老服务志愿者", "zh-Hans"), ("en", "Home-care volunteer", "en")],
    )
    def test_it_names_the_app_in_each_language(self, client, language, name, lang):
        response = client.get(reverse("volunteers:manifest", args=[language]))
        assert response.status_code == 200  # public: browsers fetch it without cookies
        assert response["Content-Type"] == "application/manifest+json"
        manifest = json.loads(response.content)
        assert manifest["name"] == name and manifest["short_name"]
        assert manifest["lang"] == lang
        assert manifest["start_url"] == manifest["scope"] == "/volunteers/me/"
        assert manifest["display"] == "standalone"
        sizes = {(i["sizes"], i["purpose"]) for i in manifest["icons"]}
        assert {
            ("192x192", "any"),
            ("512x512", "any"),
            ("512x512", "maskable"),
        } <= sizes
        for icon in manifest["icons"]:
            width, height = png_size(icon["src"])
            assert f"{width}x{height}" == icon["sizes"] and icon["type"] == "image/png"

    def test_an_unknown_language_is_not_found(self, client):
        response = client.get(reverse("volunteers:manifest", args=["fr"]))
        assert response.status_code == 404

    def test_the_volunteer_pages_link_the_manifest_of_their_language(
        self, client, cast, crew
    ):
        client.force_login(cast.volunteer_a)
        page = client.get(reverse("volunteers:my-elders"), HTTP_ACCEPT_LANGUAGE="en")
        assert 'href="/volunteers/me/manifest-en.webmanifest"' in page.content.decode()


class TestTheServiceWorker:
    def test_it_is_served_from_the_volunteer_pages_to_control_only_them(self, client):
        response = client.get(reverse("volunteers:service-worker"))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/javascript")
        assert response["Service-Worker-Allowed"] == "/volunteers/me/"
        assert reverse("volunteers:service-worker") == "/volunteers/me/sw.js"
        source = response.content.decode()
        # The queue's code first, then the worker's.
        assert source.index("self.CarecenterOffline") < source.index("addEventListener")
        assert "caches" in source and "sync" in source


class TestWhatAPhoneKeeps:
    def pages(self, crew):
        return [
            reverse("volunteers:my-elders"),
            reverse("volunteers:my-hours"),
            reverse("volunteers:offline-page"),
            reverse("volunteers:visit-log", args=[crew.paired.pk]),
        ]

    def test_the_state_lists_the_volunteers_own_pages(self, client, cast, crew):
        ended = ElderFactory(station=cast.a, name="周大爷")
        pairing = PairingFactory(volunteer=crew.me, elder=ended)
        actions.pairing_end(actor=cast.manager_a, pairing=pairing, reason="入住机构")
        PairingFactory(
            volunteer=crew.me, elder=ElderFactory(station=cast.a), approved_at=None
        )  # claimed, not approved
        client.force_login(cast.volunteer_a)
        response = client.get(reverse("volunteers:offline-state"))
        assert response.status_code == 200
        state = response.json()
        assert state["user"] == offline.user_key(cast.volunteer_a)
        assert state["pages"] == self.pages(crew)
        assert state["visits_url"] == VISITS and state["csrf"]
        assert state["max_age_seconds"] == 7 * 24 * 3600
        assert all(url.startswith("/static/") for url in state["assets"])
        assert OFFLINE_HEADER not in response  # the state itself is never kept

    def test_the_state_is_for_volunteers_only(self, client, cast, crew):
        url = reverse("volunteers:offline-state")
        assert client.get(url).status_code == 302  # to the sign-in page
        for user in (cast.staff_a, cast.manager_a, cast.supervisor, cast.admin):
            client.force_login(user)
            assert client.get(url).status_code == 403

    def test_each_user_has_their_own_key(self, cast):
        keys = {offline.user_key(u) for u in (cast.volunteer_a, cast.staff_a)}
        assert len(keys) == 2
        assert str(cast.volunteer_a.pk) not in offline.user_key(cast.volunteer_a)

    def test_only_the_volunteers_own_pages_may_be_kept(self, client, cast, crew):
        client.force_login(cast.volunteer_a)
        key = offline.user_key(cast.volunteer_a)
        for url in self.pages(crew):
            response = client.get(url)
            assert response.status_code == 200, url
            assert response[OFFLINE_HEADER] == key, url
        never = [
            reverse("volunteers:visit-log", args=[crew.unpaired.pk]),  # 404
            reverse("volunteers:list"),  # 403: a staff page
            VISITS,
            "/api/v1/elders/",
            reverse("volunteers:offline-state"),
        ]
        for url in never:
            assert OFFLINE_HEADER not in client.get(url), url
        # A form answered with errors is not a page to keep.
        response = client.post(
            reverse("volunteers:visit-log", args=[crew.paired.pk]), {"day": ""}
        )
        assert response.status_code == 200 and OFFLINE_HEADER not in response
        # Staff pages are never marked, whoever asks.
        client.force_login(cast.staff_a)
        for url in (reverse("volunteers:list"), reverse("home"), "/elders/"):
            assert OFFLINE_HEADER not in client.get(url), url

    def test_the_kept_pages_hold_no_id_number_and_no_birth_date(
        self, client, cast, crew
    ):
        elder = crew.paired
        elder.phone = "138 1234 5678"
        elder.save()
        client.force_login(cast.volunteer_a)
        secrets = [
            elder.id_number,
            elder.id_number[-4:],
            elder.id_number[6:14],  # the birth date inside the number
            mask(elder.id_number),
            elder.birth_date.isoformat(),
            f"{elder.birth_date.year}年{elder.birth_date.month}月",
            elder.birth_date.strftime("%Y/%m/%d"),
        ]
        for url in self.pages(crew):
            for language in ("zh-hans", "en"):
                html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
                for secret in secrets:
                    assert secret not in html, (url, secret)
        home = client.get(self.pages(crew)[0]).content.decode()
        assert elder.name in home and elder.address in home
        assert "tel:138 1234 5678" in home and f"{elder.age} 岁" in home

    def test_every_static_file_it_lists_exists(self):
        for name in offline.APP_ASSETS + offline.WORKER_SOURCES:
            assert finders.find(name), name

    def test_a_hostile_name_stays_text_in_the_page_and_its_data(
        self, client, cast, crew
    ):
        crew.paired.name = '"><img src=x onerror=alert(1)>'
        crew.paired.save()
        client.force_login(cast.volunteer_a)
        for url in self.pages(crew):
            html = client.get(url).content.decode()
            assert "<img src=x" not in html, url

    def test_the_state_costs_the_same_for_few_and_many_elders(self, client, cast, crew):
        client.force_login(cast.volunteer_a)
        url = reverse("volunteers:offline-state")
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for _ in range(8):
            PairingFactory(volunteer=crew.me, elder=ElderFactory(station=cast.a))
        with CaptureQueriesContext(connection) as many:
            response = client.get(url)
        assert len(response.json()["pages"]) == 3 + 9
        assert len(many) == len(few)
