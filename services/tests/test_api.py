import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from elders.tests.factories import ElderFactory
from services.models import Feedback, ServiceAgreement, ServiceRecord
from services.tests.factories import (
    AgreementFactory,
    FeedbackFactory,
    ProviderFactory,
    ServiceRecordFactory,
)
from services.tests.test_actions import PDF

pytestmark = pytest.mark.django_db

TYPES = "/api/v1/service-types/"
PROVIDERS = "/api/v1/providers/"
AGREEMENTS = "/api/v1/agreements/"
RECORDS = "/api/v1/service-records/"

FEEDBACK = {
    "satisfaction": 5,
    "punctual": True,
    "attitude": 4,
    "quality": 5,
    "comment": "",
    "channel": "home_visit",
}


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def an_hour_ago() -> str:
    return (timezone.now() - datetime.timedelta(hours=1)).isoformat()


def test_the_catalogue_lists_every_service_with_its_price(api):
    page = api("staff_a").get(TYPES).json()
    assert page["count"] == 17 and len(page["results"]) == 17
    meal = api("staff_a").get(f"{TYPES}meal/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert api("staff_a").get(f"{TYPES}meal/").json()["name"] == "助餐"
    assert meal == {
        "code": "meal",
        "name": "Meal help",
        "name_zh": "助餐",
        "name_en": "Meal help",
        "unit": "meal",
        "price": "12.00",
        "active": True,
    }


class TestRecords:
    def test_staff_record_a_service_and_read_the_amounts(self, api, cast):
        elder = ElderFactory(station=cast.a)
        agreement = AgreementFactory(
            provider=ProviderFactory(station=cast.a), prices={"meal": "10.00"}
        )
        response = api("staff_a").post(
            RECORDS,
            {
                "elder": elder.pk,
                "service_type": "meal",
                "provider": agreement.provider_id,
                "delivered_at": an_hour_ago(),
                "duration_minutes": 20,
                "quantity": "2",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        row = response.json()
        assert row["station"] == "A" and row["service_type"] == "meal"
        assert row["price"] == "10.00"
        assert (row["voucher_paid"], row["self_paid"]) == ("0.00", "20.00")

    def test_a_write_is_refused_for_another_stations_elder(self, api, cast):
        elder = ElderFactory(station=cast.b)
        response = api("staff_a").post(
            RECORDS,
            {
                "elder": elder.pk,
                "service_type": "chat",
                "staff": cast.staff_a.pk,
                "delivered_at": an_hour_ago(),
                "duration_minutes": 20,
            },
            format="json",
        )
        assert response.status_code == 400
        assert "elder" in response.json()
        assert not ServiceRecord.objects.exists()

    def test_the_supervisor_gets_403_on_writes(self, api, cast):
        elder = ElderFactory(station=cast.a)
        response = api("supervisor").post(
            RECORDS,
            {
                "elder": elder.pk,
                "service_type": "chat",
                "staff": cast.staff_a.pk,
                "delivered_at": an_hour_ago(),
                "duration_minutes": 20,
            },
            format="json",
        )
        assert response.status_code == 403
        record = ServiceRecordFactory(elder=elder)
        assert (
            api("supervisor")
            .post(f"{RECORDS}{record.pk}/feedback/", FEEDBACK, format="json")
            .status_code
            == 403
        )
        assert (
            api("supervisor")
            .post(f"{RECORDS}{record.pk}/cancel/", {"reason": "x"}, format="json")
            .status_code
            == 403
        )

    def test_a_future_service_answers_400(self, api, cast):
        response = api("staff_a").post(
            RECORDS,
            {
                "elder": ElderFactory(station=cast.a).pk,
                "service_type": "chat",
                "staff": cast.staff_a.pk,
                "delivered_at": (
                    timezone.now() + datetime.timedelta(hours=1)
                ).isoformat(),
                "duration_minutes": 20,
            },
            format="json",
        )
        assert response.status_code == 400
        assert "delivered_at" in response.json()

    def test_lists_and_details_are_scoped(self, api, cast):
        mine = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
        theirs = ServiceRecordFactory(elder=ElderFactory(station=cast.b))
        client = api("staff_b")
        assert ids(client.get(RECORDS)) == {theirs.pk}
        assert client.get(f"{RECORDS}{mine.pk}/").status_code == 404
        assert client.get(f"{RECORDS}{mine.pk}/feedback/").status_code == 404
        response = client.post(f"{RECORDS}{mine.pk}/feedback/", FEEDBACK, format="json")
        assert response.status_code == 404
        assert ids(api("supervisor").get(RECORDS)) == {mine.pk, theirs.pk}
        assert api("volunteer_a").get(RECORDS).json()["count"] == 0

    def test_it_filters_by_month_and_service(self, api, cast):
        elder = ElderFactory(station=cast.a)
        now = timezone.now()
        recent = ServiceRecordFactory(elder=elder, delivered_at=now)
        ServiceRecordFactory(elder=elder, delivered_at=now - datetime.timedelta(70))
        month = timezone.localtime(now).strftime("%Y-%m")
        assert ids(api("staff_a").get(RECORDS, {"month": month})) == {recent.pk}
        assert ids(api("staff_a").get(RECORDS, {"service_type": "chat"})) == set()
        assert api("staff_a").get(RECORDS, {"month": "2026-13"}).status_code == 400

    def test_cancel_keeps_the_record(self, api, cast):
        record = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
        response = api("staff_a").post(
            f"{RECORDS}{record.pk}/cancel/", {"reason": "重复"}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["cancel_reason"] == "重复"
        assert ServiceRecord.objects.filter(pk=record.pk).exists()

    def test_the_list_costs_the_same_for_few_or_many(self, api, cast):
        client = api("supervisor")
        ServiceRecordFactory(elder=ElderFactory(station=cast.a))
        client.get(RECORDS)
        with CaptureQueriesContext(connection) as few:
            client.get(RECORDS)
        for _n in range(15):
            ServiceRecordFactory(elder=ElderFactory(station=cast.b))
        with CaptureQueriesContext(connection) as many:
            assert client.get(RECORDS).json()["count"] == 16
        assert len(many) == len(few)


class TestFeedback:
    def test_one_feedback_a_second_answers_400(self, api, cast):
        record = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
        url = f"{RECORDS}{record.pk}/feedback/"
        client = api("staff_a")
        assert client.get(url).status_code == 404
        first = client.post(url, FEEDBACK, format="json")
        assert first.status_code == 201, first.json()
        assert first.json()["satisfaction"] == 5
        second = client.post(url, FEEDBACK, format="json")
        assert second.status_code == 400
        assert client.get(url).json()["channel"] == "home_visit"
        assert client.get(f"{RECORDS}{record.pk}/").json()["has_feedback"] is True

    @pytest.mark.parametrize("field", ["satisfaction", "attitude", "quality"])
    @pytest.mark.parametrize("score", [0, 6, "x"])
    def test_an_out_of_range_score_answers_400(self, api, cast, field, score):
        record = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
        response = api("staff_a").post(
            f"{RECORDS}{record.pk}/feedback/",
            {**FEEDBACK, field: score},
            format="json",
        )
        assert response.status_code == 400
        assert field in response.json()
        assert not Feedback.objects.exists()

    def test_a_bad_channel_answers_400(self, api, cast):
        record = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
        response = api("staff_a").post(
            f"{RECORDS}{record.pk}/feedback/",
            {**FEEDBACK, "channel": "email"},
            format="json",
        )
        assert response.status_code == 400


class TestProvidersAndAgreements:
    def test_providers_are_scoped_and_created_at_a_writable_station(self, api, cast):
        mine = ProviderFactory(station=cast.a)
        ProviderFactory(station=cast.b)
        assert ids(api("staff_a").get(PROVIDERS)) == {mine.pk}
        response = api("staff_a").post(
            PROVIDERS,
            {"station": "A", "name": "新服务商", "kind": "individual"},
            format="json",
        )
        assert response.status_code == 201
        refused = api("staff_a").post(
            PROVIDERS, {"station": "B", "name": "x", "kind": "company"}, format="json"
        )
        assert refused.status_code == 400
        assert api("staff_b").get(f"{PROVIDERS}{mine.pk}/").status_code == 404
        assert (
            api("supervisor")
            .patch(f"{PROVIDERS}{mine.pk}/", {"name": "改"}, format="json")
            .status_code
            == 403
        )

    def test_an_agreement_with_prices(self, api, cast):
        provider = ProviderFactory(station=cast.a)
        today = timezone.localdate()
        body = {
            "station": "A",
            "provider": provider.pk,
            "starts_on": today.isoformat(),
            "ends_on": (today + datetime.timedelta(days=30)).isoformat(),
            "charging_method": "low_cost",
            "status": "active",
            "prices": [
                {"service_type": "meal", "price": "8.00"},
                {"service_type": "bathing", "price": "50.00"},
            ],
        }
        response = api("staff_a").post(AGREEMENTS, body, format="json")
        assert response.status_code == 201, response.json()
        row = response.json()
        assert {p["service_type"]: p["price"] for p in row["prices"]} == {
            "meal": "8.00",
            "bathing": "50.00",
        }
        assert row["has_scan"] is False
        other = ProviderFactory(station=cast.b)
        refused = api("staff_a").post(
            AGREEMENTS, {**body, "provider": other.pk}, format="json"
        )
        assert refused.status_code == 400
        assert ServiceAgreement.objects.count() == 1

    def test_the_scan_upload_checks_the_content(self, api, cast):
        agreement = AgreementFactory(provider=ProviderFactory(station=cast.a))
        url = f"{AGREEMENTS}{agreement.pk}/scan/"
        bad = api("staff_a").post(
            url, {"scan": SimpleUploadedFile("x.pdf", b"GIF89a...")}, format="multipart"
        )
        assert bad.status_code == 400
        good = api("staff_a").post(
            url, {"scan": SimpleUploadedFile("x.pdf", PDF)}, format="multipart"
        )
        assert good.status_code == 200, good.json()
        assert good.status_code == 200 and good.json()["has_scan"] is True
        assert (
            api("staff_b")
            .post(url, {"scan": SimpleUploadedFile("x.pdf", PDF)}, format="multipart")
            .status_code
            == 404
        )
        assert (
            api("supervisor")
            .post(url, {"scan": SimpleUploadedFile("x.pdf", PDF)}, format="multipart")
            .status_code
            == 403
        )

    def test_the_feedback_factory_is_visible_in_the_api(self, api, cast):
        feedback = FeedbackFactory(record__elder=ElderFactory(station=cast.a))
        row = api("staff_a").get(f"{RECORDS}{feedback.record_id}/feedback/").json()
        assert row["satisfaction"] == 5


def test_agreements_are_scoped_and_read_only_for_the_supervisor(api, cast):
    mine = AgreementFactory(provider=ProviderFactory(station=cast.a))
    theirs = AgreementFactory(provider=ProviderFactory(station=cast.b))
    assert ids(api("staff_a").get(AGREEMENTS)) == {mine.pk}
    assert api("staff_a").get(f"{AGREEMENTS}{theirs.pk}/").status_code == 404
    assert (
        api("staff_a")
        .patch(f"{AGREEMENTS}{theirs.pk}/", {"number": "x"}, format="json")
        .status_code
        == 404
    )
    assert ids(api("supervisor").get(AGREEMENTS)) == {mine.pk, theirs.pk}
    response = api("supervisor").patch(
        f"{AGREEMENTS}{mine.pk}/", {"number": "x"}, format="json"
    )
    assert response.status_code == 403
    changed = api("staff_a").patch(
        f"{AGREEMENTS}{mine.pk}/", {"number": "N-7"}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["number"] == "N-7"
    assert [p["service_type"] for p in changed.json()["prices"]] == ["meal"]
    assert api("volunteer_a").get(AGREEMENTS).json()["count"] == 0
