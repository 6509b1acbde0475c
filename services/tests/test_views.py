"""The services pages: scoping, read-only roles, forms, uploads, query counts."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from elders.tests.factories import ElderFactory
from services import actions
from services.models import Feedback, ServiceAgreement, ServiceRecord
from services.tests.factories import (
    AgreementFactory,
    FeedbackFactory,
    ProviderFactory,
    ServiceRecordFactory,
    service_type,
)
from services.tests.test_actions import PDF, PNG
from volunteers.tests.factories import VolunteerFactory

pytestmark = pytest.mark.django_db

READS = {
    "staff_a": {"a"},
    "manager_a": {"a"},
    "staff_b": {"b"},
    "supervisor": {"a", "b"},
    "admin": {"a", "b", "c"},
}
WRITES = {"staff_a": {"a"}, "manager_a": {"a"}, "staff_b": {"b"}, "admin": {"a", "b"}}


@pytest.fixture
def objects(cast):
    """A record (with an agreement and its scan) at each of the stations A, B, C."""
    result = {}
    for key in ("a", "b", "c"):
        station = getattr(cast, key)
        provider = ProviderFactory(station=station)
        agreement = AgreementFactory(provider=provider)
        agreement.scan.save("scan.pdf", SimpleUploadedFile("scan.pdf", PDF))
        agreement.scan_content_type = "application/pdf"
        agreement.save()
        record = ServiceRecordFactory(
            elder=ElderFactory(station=station), provider=provider
        )
        result[key] = {"provider": provider, "agreement": agreement, "record": record}
    return result


def pages(obj):
    record, provider, agreement = obj["record"], obj["provider"], obj["agreement"]
    return [
        reverse("services:record-detail", args=[record.pk]),
        reverse("services:feedback-add", args=[record.pk]),
        reverse("services:return-visit-add", args=[record.pk]),
        reverse("services:provider-detail", args=[provider.pk]),
        reverse("services:provider-edit", args=[provider.pk]),
        reverse("services:agreement-detail", args=[agreement.pk]),
        reverse("services:agreement-edit", args=[agreement.pk]),
        reverse("services:agreement-scan", args=[agreement.pk]),
        reverse("services:notice", args=[record.station_id]),
    ]


@pytest.mark.parametrize("username, expected", READS.items())
def test_every_page_answers_404_outside_scope(
    client, cast, objects, username, expected
):
    client.force_login(getattr(cast, username))
    for key, obj in objects.items():
        for url in pages(obj):
            response = client.get(url)
            if key not in expected:
                assert response.status_code == 404, url
            else:
                assert response.status_code in (200, 302, 403), url


@pytest.mark.parametrize("username, expected", READS.items())
def test_the_lists_show_only_what_is_in_scope(
    client, cast, objects, username, expected
):
    client.force_login(getattr(cast, username))
    wanted = {objects[k]["record"].pk for k in expected}
    listed = client.get(reverse("services:records")).context["records"]
    assert {r.pk for r in listed} == wanted
    pending = client.get(reverse("services:feedback-pending")).context["records"]
    assert {r.pk for r in pending} == wanted
    providers = client.get(reverse("services:providers")).context["providers"]
    assert {p.pk for p in providers} == {objects[k]["provider"].pk for k in expected}
    agreements = client.get(reverse("services:agreements")).context["agreements"]
    assert {a.pk for a in agreements} == {objects[k]["agreement"].pk for k in expected}


def test_the_supervisor_reads_but_every_write_answers_403(client, cast, objects):
    client.force_login(cast.supervisor)
    obj = objects["a"]
    record = obj["record"]
    assert client.get(record.get_absolute_url()).status_code == 200
    posts = [
        (reverse("services:record-create"), {}),
        (reverse("services:feedback-add", args=[record.pk]), {"satisfaction": 5}),
        (reverse("services:return-visit-add", args=[record.pk]), {}),
        (reverse("services:record-cancel", args=[record.pk]), {"reason": "x"}),
        (reverse("services:provider-create"), {}),
        (reverse("services:provider-edit", args=[obj["provider"].pk]), {}),
        (reverse("services:agreement-create"), {}),
        (reverse("services:agreement-edit", args=[obj["agreement"].pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    record.refresh_from_db()
    assert record.cancelled_at is None and not Feedback.objects.exists()
    html = client.get(record.get_absolute_url()).content.decode()
    assert reverse("services:feedback-add", args=[record.pk]) not in html


def test_volunteers_do_not_open_the_services_pages(client, cast, objects):
    client.force_login(cast.volunteer_a)
    for url in [reverse("services:records"), *pages(objects["a"])]:
        assert client.get(url).status_code == 403, url


def test_the_scan_is_served_to_the_station_and_its_supervisor_only(
    client, cast, objects
):
    url = reverse("services:agreement-scan", args=[objects["a"]["agreement"].pk])
    for username, status in [
        ("staff_a", 200),
        ("supervisor", 200),
        ("staff_b", 404),
        ("volunteer_a", 403),
    ]:
        client.force_login(getattr(cast, username))
        response = client.get(url)
        assert response.status_code == status, username
        if status == 200:
            assert b"".join(response.streaming_content) == PDF
            assert response["Content-Type"] == "application/pdf"
            assert response["X-Content-Type-Options"] == "nosniff"
    client.logout()
    assert client.get(url).status_code == 302  # to the sign-in page


class TestRecordForm:
    def post(self, client, cast, **overrides):
        data = {
            "elder": ElderFactory(station=cast.a).pk,
            "service_type": service_type("chat").pk,
            "delivered_by": "staff",
            "staff": cast.staff_a.pk,
            "delivered_at": (
                timezone.localtime() - datetime.timedelta(hours=2)
            ).strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": 45,
            "quantity": "1",
            "price": "",
        }
        data.update(overrides)
        return client.post(reverse("services:record-create"), data)

    def test_staff_record_a_service(self, client, cast):
        client.force_login(cast.staff_a)
        response = self.post(client, cast)
        saved = ServiceRecord.objects.get()
        assert response.status_code == 302
        assert response.url == saved.get_absolute_url()
        assert saved.staff == cast.staff_a and saved.price == Decimal("25.00")

    def test_the_chosen_deliverer_is_required(self, client, cast):
        client.force_login(cast.staff_a)
        response = self.post(client, cast, delivered_by="provider")
        assert "provider" in response.context["form"].errors
        assert not ServiceRecord.objects.exists()

    def test_a_future_time_is_answered_on_the_field(self, client, cast):
        client.force_login(cast.staff_a)
        later = timezone.localtime() + datetime.timedelta(hours=2)
        response = self.post(
            client, cast, delivered_at=later.strftime("%Y-%m-%dT%H:%M")
        )
        assert "delivered_at" in response.context["form"].errors
        assert not ServiceRecord.objects.exists()

    def test_another_stations_elder_is_not_a_choice(self, client, cast):
        client.force_login(cast.staff_a)
        response = self.post(client, cast, elder=ElderFactory(station=cast.b).pk)
        assert "elder" in response.context["form"].errors

    def test_a_provider_without_agreement_is_refused(self, client, cast):
        client.force_login(cast.staff_a)
        provider = ProviderFactory(station=cast.a)
        response = self.post(
            client, cast, delivered_by="provider", provider=provider.pk, staff=""
        )
        assert "service_type" in response.context["form"].errors


def test_feedback_then_no_second_form(client, cast):
    record = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
    client.force_login(cast.staff_a)
    url = reverse("services:feedback-add", args=[record.pk])
    data = {
        "satisfaction": 4,
        "attitude": 5,
        "quality": 4,
        "punctual": "on",
        "channel": "in_person",
        "comment": "",
    }
    assert client.post(url, {**data, "quality": 9}).status_code == 200
    assert not Feedback.objects.exists()
    assert client.post(url, data).status_code == 302
    assert Feedback.objects.get().punctual
    assert client.get(url).status_code == 302  # back to the record: it has one


def test_a_return_visit_through_the_form(client, cast):
    record = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
    client.force_login(cast.staff_a)
    response = client.post(
        reverse("services:return-visit-add", args=[record.pk]),
        {
            "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "channel": "phone",
            "outcome": "issue",
            "notes": "送餐偏凉",
        },
    )
    assert response.status_code == 302
    html = client.get(record.get_absolute_url()).content.decode()
    assert "送餐偏凉" in html


def test_cancel_through_the_page(client, cast):
    record = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
    client.force_login(cast.staff_a)
    url = reverse("services:record-cancel", args=[record.pk])
    client.post(url, {"reason": ""})
    record.refresh_from_db()
    assert record.cancelled_at is None
    client.post(url, {"reason": "老人不在家"})
    record.refresh_from_db()
    assert record.cancel_reason == "老人不在家"


class TestAgreementForm:
    def data(self, provider, **overrides):
        today = timezone.localdate()
        data = {
            "station": provider.station_id,
            "provider": provider.pk,
            "number": "X-1",
            "starts_on": today.isoformat(),
            "ends_on": (today + datetime.timedelta(days=90)).isoformat(),
            "charging_method": "government",
            "status": "active",
            "price_meal": "9.50",
            "price_cleaning": "",
        }
        data.update(overrides)
        return data

    def test_staff_sign_an_agreement_with_its_scan(self, client, cast):
        provider = ProviderFactory(station=cast.a)
        client.force_login(cast.staff_a)
        response = client.post(
            reverse("services:agreement-create"),
            self.data(provider, scan=SimpleUploadedFile("signed.png", PNG)),
        )
        agreement = ServiceAgreement.objects.get()
        assert response.status_code == 302
        assert [p.service_type.code for p in agreement.prices.all()] == ["meal"]
        assert agreement.scan_content_type == "image/png"

    def test_a_disguised_file_is_refused_and_nothing_written(self, client, cast):
        provider = ProviderFactory(station=cast.a)
        client.force_login(cast.staff_a)
        response = client.post(
            reverse("services:agreement-create"),
            self.data(provider, scan=SimpleUploadedFile("signed.pdf", b"MZ\x90")),
        )
        assert response.status_code == 200
        assert "scan" in response.context["form"].errors
        assert not ServiceAgreement.objects.exists()

    def test_another_stations_provider_is_not_a_choice(self, client, cast):
        client.force_login(cast.staff_a)
        response = client.post(
            reverse("services:agreement-create"),
            self.data(ProviderFactory(station=cast.b), station=cast.a.pk),
        )
        assert "provider" in response.context["form"].errors


def test_the_coverage_of_the_month(client, cast):
    month = timezone.localdate()
    at = timezone.now() - datetime.timedelta(minutes=5)
    if timezone.localtime(at).month != month.month:  # just after midnight on the 1st
        at = timezone.now()
    done = [ServiceRecordFactory(elder=ElderFactory(station=cast.a), delivered_at=at)]
    FeedbackFactory(record=done[0], satisfaction=4)
    second = ServiceRecordFactory(elder=ElderFactory(station=cast.a), delivered_at=at)
    FeedbackFactory(record=second, satisfaction=5)
    ServiceRecordFactory(elder=ElderFactory(station=cast.a), delivered_at=at)
    cancelled = ServiceRecordFactory(
        elder=ElderFactory(station=cast.a), delivered_at=at
    )
    actions.service_record_cancel(actor=cast.staff_a, record=cancelled, reason="错")
    client.force_login(cast.staff_a)
    coverage = client.get(reverse("services:feedback-pending")).context["coverage"]
    [row] = coverage
    assert (row.delivered, row.with_feedback, row.percent) == (3, 2, 67)
    assert row.satisfaction == Decimal("4.5")


def test_records_lacking_feedback_are_listed_oldest_first(client, cast):
    now = timezone.now()
    elder = ElderFactory(station=cast.a)
    newer = ServiceRecordFactory(elder=elder, delivered_at=now - datetime.timedelta(1))
    older = ServiceRecordFactory(elder=elder, delivered_at=now - datetime.timedelta(9))
    FeedbackFactory(record=ServiceRecordFactory(elder=elder))
    client.force_login(cast.staff_a)
    records = client.get(reverse("services:feedback-pending")).context["records"]
    assert [r.pk for r in records] == [older.pk, newer.pk]


class TestQueryCounts:
    def count(self, client, url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    def fill(self, cast, n):
        for _i in range(n):
            for station in (cast.a, cast.b):
                provider = ProviderFactory(station=station)
                AgreementFactory(provider=provider, prices={"meal": "1", "chat": "2"})
                record = ServiceRecordFactory(
                    elder=ElderFactory(station=station), provider=provider
                )
                FeedbackFactory(record=ServiceRecordFactory(elder=record.elder))

    @pytest.mark.parametrize(
        "name",
        [
            "services:records",
            "services:feedback-pending",
            "services:providers",
            "services:agreements",
        ],
    )
    def test_a_list_costs_the_same_for_few_or_many_rows(self, client, cast, name):
        client.force_login(cast.supervisor)
        self.fill(cast, 2)
        url = reverse(name)
        client.get(url)
        few = self.count(client, url)
        self.fill(cast, 12)
        many = self.count(client, url)
        assert many == few

    def test_the_notice_costs_the_same_for_few_or_many_pairings(
        self, client, cast, make_volunteer
    ):
        from volunteers.models import Pairing

        def pair(n):
            for _i in range(n):
                Pairing.objects.create(
                    station=cast.a,
                    volunteer=make_volunteer(cast.a),
                    elder=ElderFactory(station=cast.a),
                    services=["chat"],
                    approved_at=timezone.now(),
                )

        client.force_login(cast.staff_a)
        url = reverse("services:notice", args=[cast.a.pk])
        pair(2)
        client.get(url)
        few = self.count(client, url)
        pair(10)
        many = self.count(client, url)
        assert many == few


def test_the_notice_lists_paired_elders_with_masked_names(client, cast, make_volunteer):
    from volunteers.models import Pairing

    paired = ElderFactory(station=cast.a, name="王小明", categories=["three_no"])
    claimed_only = ElderFactory(station=cast.a, name="李大华")
    volunteer = make_volunteer(cast.a, name="张志愿")
    Pairing.objects.create(
        station=cast.a,
        volunteer=volunteer,
        elder=paired,
        services=["chat", "cleaning"],
        schedule="每周二 9:00–11:00",
        approved_at=timezone.now(),
    )
    Pairing.objects.create(station=cast.a, volunteer=volunteer, elder=claimed_only)
    Pairing.objects.create(
        station=cast.a,
        volunteer=volunteer,
        elder=ElderFactory(station=cast.a, name="赵已故", status="deceased"),
        approved_at=timezone.now(),
    )
    client.force_login(cast.staff_a)
    response = client.get(
        reverse("services:notice", args=[cast.a.pk]), HTTP_ACCEPT_LANGUAGE="zh-CN"
    )
    html = response.content.decode()
    assert "王*明" in html and "王小明" not in html
    assert "李*华" not in html and "赵*故" not in html  # claimed only; deceased
    assert "每周二 9:00–11:00" in html
    assert "精神慰藉与陪聊" in html
    assert cast.a.service_phone in html
    [row] = response.context["notice"].rows
    assert row.tier == "free"


def test_the_notice_index_goes_to_the_only_station(client, cast):
    client.force_login(cast.staff_a)
    response = client.get(reverse("services:notice-index"))
    assert response.url == reverse("services:notice", args=[cast.a.pk])
    client.force_login(cast.supervisor)
    stations = client.get(reverse("services:notice-index")).context["stations"]
    assert [s.code for s in stations] == ["A", "B"]


def test_the_home_page_flags_agreements_expiring_within_30_days(client, cast):
    today = timezone.localdate()
    for days in (0, 30, 31):
        AgreementFactory(
            provider=ProviderFactory(station=cast.a),
            ends_on=today + datetime.timedelta(days=days),
        )
    AgreementFactory(
        provider=ProviderFactory(station=cast.a),
        ends_on=today + datetime.timedelta(days=3),
        status="terminated",
    )
    AgreementFactory(
        provider=ProviderFactory(station=cast.b),
        ends_on=today + datetime.timedelta(days=3),
    )
    ServiceRecordFactory(elder=ElderFactory(station=cast.a))
    client.force_login(cast.staff_a)
    [(_station, figures)] = client.get(reverse("home")).context["rows"]
    assert figures["agreements_expiring"] == 2
    assert figures["records_lacking_feedback"] == 1


def test_services_delivered_by_volunteers_and_staff_lack_feedback_too(client, cast):
    """What the list applies to: every delivered record, whoever delivered it
    (provider, staff member or volunteer), cancelled ones never."""
    elder = ElderFactory(station=cast.a)
    by_volunteer = ServiceRecordFactory(
        elder=elder, provider=None, volunteer=VolunteerFactory(station=cast.a)
    )
    by_staff = ServiceRecordFactory(elder=elder, provider=None, staff=cast.staff_a)
    by_provider = ServiceRecordFactory(elder=elder)
    ServiceRecordFactory(
        elder=elder,
        cancelled_at=timezone.now(),
        cancelled_by=cast.staff_a,
        cancel_reason="未上门",
    )
    client.force_login(cast.staff_a)
    records = client.get(reverse("services:feedback-pending")).context["records"]
    assert {r.pk for r in records} == {by_volunteer.pk, by_staff.pk, by_provider.pk}
