"""POST /api/v1/service-records/batch/: all or nothing, idempotent by client id,
scoped."""

import datetime
import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from elders.tests.factories import ElderFactory
from services.models import ServiceRecord
from services.tests.factories import AgreementFactory, ProviderFactory
from vouchers.models import LedgerEntry
from vouchers.tests.conftest import free_elder, issue

URL = "/api/v1/service-records/batch/"


def at() -> str:
    return (timezone.now() - datetime.timedelta(minutes=5)).isoformat()


def sheet(elders, provider, code="meal"):
    return {
        "records": [
            {
                "elder": e.pk,
                "service_type": code,
                "provider": provider.pk,
                "delivered_at": at(),
                "duration_minutes": 30,
                "quantity": "1",
                "client_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sheet/{e.pk}")),
            }
            for e in elders
        ]
    }


@pytest.fixture
def caterer(cast):
    provider = ProviderFactory(station=cast.a, name="食堂")
    AgreementFactory(provider=provider, prices={"meal": "12.00", "chat": "30.00"})
    return provider


@pytest.mark.django_db
class TestBatch:
    def test_it_creates_every_record_and_returns_them(self, cast, api, caterer):
        elders = [free_elder(cast.a) for _ in range(3)]
        issue(month=timezone.localdate().replace(day=1))
        response = api("staff_a").post(URL, sheet(elders, caterer), format="json")
        assert response.status_code == 201, response.json()
        body = response.json()
        assert (body["created"], body["existing"]) == (3, 0)
        assert [r["elder"] for r in body["records"]] == [e.pk for e in elders]
        assert {r["voucher_paid"] for r in body["records"]} == {"12.00"}
        assert ServiceRecord.objects.count() == 3

    def test_a_seen_client_id_returns_the_record_and_writes_nothing(
        self, cast, api, caterer
    ):
        elders = [free_elder(cast.a) for _ in range(3)]
        issue(month=timezone.localdate().replace(day=1))
        client = api("staff_a")
        first = client.post(URL, sheet(elders[:2], caterer), format="json").json()
        ledger = LedgerEntry.objects.count()
        again = client.post(URL, sheet(elders, caterer), format="json")
        assert again.status_code == 201
        body = again.json()
        assert (body["created"], body["existing"]) == (1, 2)
        assert [r["id"] for r in body["records"][:2]] == [
            r["id"] for r in first["records"]
        ]
        assert ServiceRecord.objects.count() == 3
        assert LedgerEntry.objects.count() == ledger + 1  # the new one's redemption

    def test_any_invalid_record_writes_nothing_and_lists_errors_by_index(
        self, cast, api, caterer
    ):
        elders = [free_elder(cast.a) for _ in range(4)]
        payload = sheet(elders, caterer)
        payload["records"][1]["duration_minutes"] = 0
        payload["records"][3]["delivered_at"] = (
            timezone.now() + datetime.timedelta(days=1)
        ).isoformat()
        response = api("staff_a").post(URL, payload, format="json")
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert sorted(errors) == ["1", "3"]
        assert "delivered_at" in errors["3"]
        assert not ServiceRecord.objects.exists()
        assert not LedgerEntry.objects.filter(kind="redemption").exists()

    def test_an_action_refusal_also_writes_nothing(self, cast, api, caterer):
        elders = [free_elder(cast.a) for _ in range(3)]
        moved = ElderFactory(station=cast.a, status="moved")
        payload = sheet([*elders, moved], caterer)
        response = api("staff_a").post(URL, payload, format="json")
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["3"]
        assert not ServiceRecord.objects.exists()

    def test_a_missing_or_repeated_client_id_is_refused(self, cast, api, caterer):
        elders = [free_elder(cast.a) for _ in range(3)]
        payload = sheet(elders, caterer)
        del payload["records"][0]["client_id"]
        payload["records"][2]["client_id"] = payload["records"][1]["client_id"]
        response = api("staff_a").post(URL, payload, format="json")
        assert response.status_code == 400
        errors = response.json()["errors"]
        assert "client_id" in errors["0"]
        assert not ServiceRecord.objects.exists()

    def test_two_records_of_one_elder_and_day_are_refused(self, cast, api, caterer):
        elder = free_elder(cast.a)
        payload = sheet([elder], caterer)
        twin = dict(payload["records"][0], client_id=str(uuid.uuid4()))
        payload["records"].append(twin)
        response = api("staff_a").post(URL, payload, format="json")
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["1"]
        assert not ServiceRecord.objects.exists()

    def test_a_non_daily_service_may_come_twice_a_day(self, cast, api, caterer):
        elder = free_elder(cast.a)
        payload = sheet([elder], caterer, code="chat")
        twin = dict(payload["records"][0], client_id=str(uuid.uuid4()))
        payload["records"].append(twin)
        response = api("staff_a").post(URL, payload, format="json")
        assert response.status_code == 201, response.json()
        assert ServiceRecord.objects.count() == 2

    def test_an_empty_batch_is_refused(self, cast, api):
        response = api("staff_a").post(URL, {"records": []}, format="json")
        assert response.status_code == 400


@pytest.mark.django_db
class TestBatchScoping:
    def test_another_stations_elder_refuses_the_batch(self, cast, api, caterer):
        ours = free_elder(cast.a)
        theirs = free_elder(cast.b)
        payload = sheet([ours, theirs], caterer)
        response = api("staff_a").post(URL, payload, format="json")
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["1"]
        assert "elder" in response.json()["errors"]["1"]
        assert not ServiceRecord.objects.exists()

    def test_another_stations_provider_is_refused(self, cast, api):
        theirs = ProviderFactory(station=cast.b)
        AgreementFactory(provider=theirs)
        response = api("staff_a").post(
            URL, sheet([free_elder(cast.a)], theirs), format="json"
        )
        assert response.status_code == 400
        assert "provider" in response.json()["errors"]["0"]

    def test_another_stations_client_id_does_not_show_its_record(
        self, cast, api, caterer
    ):
        theirs_provider = ProviderFactory(station=cast.b)
        AgreementFactory(provider=theirs_provider)
        theirs = free_elder(cast.b)
        taken = api("staff_b").post(
            URL, sheet([theirs], theirs_provider), format="json"
        )
        assert taken.status_code == 201
        payload = sheet([free_elder(cast.a)], caterer)
        payload["records"][0]["client_id"] = taken.json()["records"][0]["client_id"]
        response = api("staff_a").post(URL, payload, format="json")
        assert response.status_code == 400
        assert theirs.name not in response.content.decode()
        assert ServiceRecord.objects.count() == 1

    @pytest.mark.parametrize("username", ["supervisor", "volunteer_a"])
    def test_read_only_roles_get_403(self, cast, api, caterer, username):
        response = api(username).post(
            URL, sheet([free_elder(cast.a)], caterer), format="json"
        )
        assert response.status_code == 403
        assert not ServiceRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_four_concurrent_posts_of_one_sheet_write_it_once(cast, api, caterer):
    elders = [free_elder(cast.a) for _ in range(20)]
    issue(month=timezone.localdate().replace(day=1))
    payload = sheet(elders, caterer)
    barrier = threading.Barrier(4)
    answers = []

    def post():
        client = api("staff_a")
        try:
            barrier.wait()
            answers.append(client.post(URL, payload, format="json"))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201] * 4
    bodies = [a.json() for a in answers]
    assert sorted(b["created"] for b in bodies) == [0, 0, 0, 20]
    assert all(b["created"] + b["existing"] == 20 for b in bodies)
    ids = {tuple(r["id"] for r in b["records"]) for b in bodies}
    assert len(ids) == 1
    assert ServiceRecord.objects.count() == 20
    assert LedgerEntry.objects.filter(kind="redemption").count() == 20
