import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.utils import timezone

from carecenter.audit import history_of
from carecenter.catalogue import ServiceKind
from elders.tests.factories import ElderFactory
from services import actions
from services.models import Feedback, ServiceRecord, ServiceType
from services.payment import record_amount
from services.queries import mask_name
from services.scans import MAX_SCAN_BYTES
from services.tests.factories import (
    AgreementFactory,
    FeedbackFactory,
    ProviderFactory,
    ServiceRecordFactory,
    service_type,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def an_hour_ago():
    return timezone.now() - datetime.timedelta(hours=1)


def record(cast, **overrides):
    """Record a service by staff_a for an elder of station A (overrides win)."""
    kwargs = {
        "actor": cast.staff_a,
        "elder": overrides.pop("elder", None) or ElderFactory(station=cast.a),
        "service_type": service_type("errands"),
        "delivered_at": an_hour_ago(),
        "duration_minutes": 60,
        "staff": cast.staff_a,
    }
    kwargs.update(overrides)
    return actions.service_record_create(**kwargs)


def test_the_catalogue_holds_every_service_code():
    assert sorted(ServiceType.objects.values_list("code", flat=True)) == sorted(
        ServiceKind.values
    )
    meal = service_type("meal")
    assert meal.name_zh == "助餐" and meal.unit == "meal"
    assert meal.default_price == Decimal("12.00")


class TestServiceRecord:
    def test_staff_record_a_service_at_the_catalogue_price(self, cast):
        saved = record(cast, quantity=Decimal("1.5"))
        assert saved.station == cast.a
        assert saved.price == Decimal("20.00")
        assert (saved.voucher_paid, saved.self_paid) == (
            Decimal("0.00"),
            Decimal("30.00"),
        )
        entry = history_of(saved)[0]
        assert entry.user == cast.staff_a and entry.label == "insert"

    def test_a_providers_price_defaults_to_the_agreed_price(self, cast):
        agreement = AgreementFactory(
            provider=ProviderFactory(station=cast.a), prices={"cleaning": "33.00"}
        )
        saved = record(
            cast,
            service_type=service_type("cleaning"),
            staff=None,
            provider=agreement.provider,
            duration_minutes=120,  # per hour: the quantity follows
        )
        assert saved.quantity == Decimal("2.00")
        assert saved.price == Decimal("33.00")
        assert saved.agreement == agreement
        assert saved.self_paid == Decimal("66.00")

    def test_a_price_typed_in_is_kept(self, cast):
        assert record(cast, price=Decimal("5.00")).price == Decimal("5.00")

    def test_it_refuses_a_service_in_the_future(self, cast):
        with pytest.raises(ValidationError) as exc:
            record(cast, delivered_at=timezone.now() + datetime.timedelta(minutes=5))
        assert "delivered_at" in exc.value.message_dict
        assert not ServiceRecord.objects.exists()

    @pytest.mark.parametrize("status", ["moved", "institution", "deceased"])
    def test_it_refuses_an_elder_who_is_not_active(self, cast, status):
        with pytest.raises(ValidationError) as exc:
            record(cast, elder=ElderFactory(station=cast.a, status=status))
        assert "elder" in exc.value.message_dict

    def test_it_refuses_another_stations_elder(self, cast):
        with pytest.raises(Http404):
            record(cast, actor=cast.staff_b, staff=cast.staff_b)
        assert not ServiceRecord.objects.exists()

    def test_it_refuses_the_read_only_supervisor(self, cast):
        with pytest.raises(PermissionDenied):
            record(cast, actor=cast.supervisor)

    def test_it_needs_exactly_one_deliverer(self, cast):
        provider = ProviderFactory(station=cast.a)
        with pytest.raises(ValidationError) as exc:
            record(cast, staff=None)
        assert "__all__" in exc.value.message_dict
        with pytest.raises(ValidationError):
            record(cast, provider=provider)  # and staff_a

    def test_a_provider_needs_an_agreement_in_force_covering_the_service(self, cast):
        provider = ProviderFactory(station=cast.a)
        AgreementFactory(provider=provider, prices={"meal": "10.00"})
        with pytest.raises(ValidationError) as exc:
            record(cast, staff=None, provider=provider)  # errands are not covered
        assert "service_type" in exc.value.message_dict

    def test_an_expired_or_terminated_agreement_does_not_cover(self, cast):
        today = timezone.localdate()
        provider = ProviderFactory(station=cast.a)
        AgreementFactory(
            provider=provider,
            prices={"errands": "20.00"},
            starts_on=today - datetime.timedelta(days=90),
            ends_on=today - datetime.timedelta(days=10),
        )
        AgreementFactory(
            provider=provider, prices={"errands": "20.00"}, status="terminated"
        )
        with pytest.raises(ValidationError):
            record(cast, staff=None, provider=provider)
        # On a day inside the old agreement, the service was covered.
        old = record(
            cast,
            staff=None,
            provider=provider,
            delivered_at=timezone.now() - datetime.timedelta(days=30),
        )
        assert old.price == Decimal("20.00")

    def test_a_provider_of_another_station_is_refused(self, cast):
        provider = ProviderFactory(station=cast.b)
        AgreementFactory(provider=provider, prices={"errands": "20.00"})
        with pytest.raises(ValidationError) as exc:
            record(cast, staff=None, provider=provider)
        assert "provider" in exc.value.message_dict

    def test_staff_of_another_station_is_refused(self, cast):
        with pytest.raises(ValidationError) as exc:
            record(cast, staff=cast.staff_b)
        assert "staff" in exc.value.message_dict

    def test_a_volunteer_delivers_a_service(self, cast, make_volunteer):
        saved = record(cast, staff=None, volunteer=make_volunteer(cast.a))
        assert saved.delivered_by == "volunteer"

    def test_a_volunteer_of_another_station_is_refused(self, cast, make_volunteer):
        with pytest.raises(ValidationError) as exc:
            record(cast, staff=None, volunteer=make_volunteer(cast.b))
        assert "volunteer" in exc.value.message_dict

    def test_a_professional_service_needs_the_volunteers_certificate(
        self, cast, make_volunteer
    ):
        with pytest.raises(ValidationError) as exc:
            record(
                cast,
                staff=None,
                volunteer=make_volunteer(cast.a),
                service_type=service_type("bathing"),
            )
        assert "volunteer" in exc.value.message_dict

    def test_the_database_refuses_two_deliverers(self, cast):
        from django.db import IntegrityError

        saved = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
        saved.staff = cast.staff_a
        with pytest.raises(IntegrityError):
            saved.save()


class TestCancel:
    def test_a_cancelled_record_is_kept_with_its_reason(self, cast):
        saved = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
        actions.service_record_cancel(
            actor=cast.staff_a, record=saved, reason="重复录入"
        )
        saved.refresh_from_db()
        assert saved.cancelled_at and saved.cancelled_by == cast.staff_a
        assert saved.cancel_reason == "重复录入"
        assert history_of(saved)[0].reason == "service cancelled: 重复录入"

    def test_it_needs_a_reason_and_happens_once(self, cast):
        saved = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
        with pytest.raises(ValidationError):
            actions.service_record_cancel(actor=cast.staff_a, record=saved, reason=" ")
        actions.service_record_cancel(actor=cast.staff_a, record=saved, reason="错")
        with pytest.raises(ValidationError):
            actions.service_record_cancel(actor=cast.staff_a, record=saved, reason="错")

    def test_the_supervisor_cannot_cancel(self, cast):
        saved = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
        with pytest.raises(PermissionDenied):
            actions.service_record_cancel(
                actor=cast.supervisor, record=saved, reason="x"
            )


FEEDBACK = {
    "satisfaction": 5,
    "punctual": True,
    "attitude": 4,
    "quality": 5,
    "comment": "很好",
    "channel": "phone",
}


class TestFeedback:
    def test_one_feedback_per_record(self, cast):
        saved = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
        actions.feedback_record(actor=cast.staff_a, record=saved, data=FEEDBACK)
        saved.refresh_from_db()
        assert saved.has_feedback
        with pytest.raises(ValidationError):
            actions.feedback_record(actor=cast.staff_a, record=saved, data=FEEDBACK)
        assert Feedback.objects.count() == 1

    @pytest.mark.parametrize("field", ["satisfaction", "attitude", "quality"])
    @pytest.mark.parametrize("score", [0, 6])
    def test_scores_are_1_to_5(self, cast, field, score):
        saved = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
        with pytest.raises(ValidationError) as exc:
            actions.feedback_record(
                actor=cast.staff_a, record=saved, data={**FEEDBACK, field: score}
            )
        assert field in exc.value.message_dict
        assert not Feedback.objects.exists()

    def test_a_cancelled_service_takes_no_feedback(self, cast):
        saved = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
        actions.service_record_cancel(actor=cast.staff_a, record=saved, reason="错")
        with pytest.raises(ValidationError):
            actions.feedback_record(actor=cast.staff_a, record=saved, data=FEEDBACK)

    def test_another_station_cannot_give_feedback(self, cast):
        saved = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
        with pytest.raises(Http404):
            actions.feedback_record(actor=cast.staff_b, record=saved, data=FEEDBACK)


class TestReturnVisit:
    def test_staff_log_a_return_visit(self, cast):
        saved = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
        visit = actions.return_visit_record(
            actor=cast.staff_a,
            record=saved,
            visited_at=an_hour_ago(),
            channel="phone",
            outcome="satisfied",
        )
        assert visit.visited_by == cast.staff_a

    def test_it_is_not_before_the_service_nor_in_the_future(self, cast):
        saved = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
        for when in (
            saved.delivered_at - datetime.timedelta(hours=1),
            timezone.now() + datetime.timedelta(hours=1),
        ):
            with pytest.raises(ValidationError) as exc:
                actions.return_visit_record(
                    actor=cast.staff_a,
                    record=saved,
                    visited_at=when,
                    channel="phone",
                    outcome="issue",
                )
            assert "visited_at" in exc.value.message_dict

    def test_the_outcome_is_one_of_the_choices(self, cast):
        saved = ServiceRecordFactory(elder=ElderFactory(station=cast.a))
        with pytest.raises(ValidationError):
            actions.return_visit_record(
                actor=cast.staff_a,
                record=saved,
                visited_at=an_hour_ago(),
                channel="phone",
                outcome="great",
            )


def agreement_data(provider, **overrides):
    today = timezone.localdate()
    data = {
        "provider": provider,
        "number": "A-1",
        "starts_on": today,
        "ends_on": today + datetime.timedelta(days=365),
        "charging_method": "government",
        "status": "active",
    }
    data.update(overrides)
    return data


class TestAgreement:
    def save(self, cast, provider=None, scan=None, **overrides):
        provider = provider or ProviderFactory(station=cast.a)
        return actions.agreement_save(
            actor=cast.staff_a,
            station=cast.a,
            data=agreement_data(provider, **overrides),
            prices=overrides.pop("prices", {service_type("meal"): Decimal("11")}),
            scan=scan,
        )

    def test_it_records_the_services_and_prices(self, cast):
        agreement = self.save(cast)
        assert [(p.service_type.code, p.price) for p in agreement.prices.all()] == [
            ("meal", Decimal("11.00"))
        ]

    def test_the_period_is_in_order(self, cast):
        today = timezone.localdate()
        with pytest.raises(ValidationError):
            self.save(cast, ends_on=today - datetime.timedelta(days=1))

    def test_the_provider_is_of_the_station(self, cast):
        with pytest.raises(ValidationError) as exc:
            self.save(cast, provider=ProviderFactory(station=cast.b))
        assert "provider" in exc.value.message_dict

    def test_it_covers_at_least_one_service(self, cast):
        with pytest.raises(ValidationError):
            actions.agreement_save(
                actor=cast.staff_a,
                station=cast.a,
                data=agreement_data(ProviderFactory(station=cast.a)),
                prices={},
            )

    @pytest.mark.parametrize(
        "name, content",
        [("scan.pdf", PDF), ("scan.png", PNG), ("scan.JPG", JPEG), ("s.jpeg", JPEG)],
    )
    def test_it_keeps_a_pdf_or_image_scan_in_private_storage(self, cast, name, content):
        agreement = self.save(cast, scan=SimpleUploadedFile(name, content))
        path = Path(agreement.scan.path)
        assert path.read_bytes() == content
        private = Path(settings.MEDIA_ROOT) / "private"
        assert private in path.parents
        assert path.stem != name.split(".")[0]  # a random name
        assert len(path.stem) >= 16
        with pytest.raises(ValueError):
            agreement.scan.url  # noqa: B018  (no public URL)

    @pytest.mark.parametrize(
        "name, content",
        [
            ("scan.pdf", b"MZ\x90\x00 an executable"),
            ("scan.pdf", PNG),  # the extension does not match the content
            ("scan.png", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>"),
            ("scan.html", PDF),
            ("scan", PDF),
        ],
    )
    def test_it_refuses_other_files_by_their_content(self, cast, name, content):
        with pytest.raises(ValidationError) as exc:
            self.save(cast, scan=SimpleUploadedFile(name, content))
        assert "scan" in exc.value.message_dict

    def test_it_refuses_a_scan_over_10_mb(self, cast):
        big = SimpleUploadedFile("scan.pdf", PDF + b"0" * MAX_SCAN_BYTES)
        with pytest.raises(ValidationError) as exc:
            self.save(cast, scan=big)
        assert "10 MB" in exc.value.message_dict["scan"][0]

    def test_another_station_cannot_sign(self, cast):
        with pytest.raises(Http404):
            actions.agreement_save(
                actor=cast.staff_b,
                station=cast.a,
                data=agreement_data(ProviderFactory(station=cast.a)),
                prices={service_type("meal"): Decimal("1")},
            )


def test_a_record_amount_is_price_times_quantity_to_the_cent():
    class Record:
        price = Decimal("12.50")
        quantity = Decimal("1.5")

    assert record_amount(Record()) == Decimal("18.75")


@pytest.mark.parametrize(
    "name, masked",
    [
        ("王小明", "王*明"),
        ("王明", "王*"),
        ("欧阳小燕", "欧**燕"),
        ("王", "王"),
        ("", ""),
    ],
)
def test_names_are_masked_for_the_public_notice(name, masked):
    assert mask_name(name) == masked


def test_feedback_factory_marks_the_record(cast):
    feedback = FeedbackFactory(record__elder=ElderFactory(station=cast.a))
    assert ServiceRecord.objects.get(pk=feedback.record_id).has_feedback
