"""Day sheets: enrolments, one submit for the whole sheet, paid as single records."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from daysheets import actions, queries
from daysheets.models import Enrolment
from daysheets.tests.conftest import enrol, sheet_time
from elders.tests.factories import ElderFactory
from services import actions as service_actions
from services.actions import BatchErrors
from services.models import ServiceRecord
from services.tests.factories import service_type
from vouchers.models import LedgerEntry
from vouchers.tests.conftest import free_elder, issue, low_cost_elder, paid_elder

pytestmark = pytest.mark.django_db


def take(cast, elders, *, provider, day=None, at=None, code="meal", quantity=1):
    return actions.day_sheet_take(
        actor=cast.staff_a,
        station=cast.a,
        service_type=service_type(code),
        day=day or timezone.localdate(),
        at=at or sheet_time(),
        lines=[actions.SheetLine(e, quantity) for e in elders],
        provider=provider,
    )


def mixed_elders(station, n, prefix):
    """Free (¥300), low-cost (¥150) and paid (no vouchers) elders in turn."""
    makers = [free_elder, low_cost_elder, paid_elder]
    return [makers[i % 3](station, name=f"{prefix}{i:02d}") for i in range(n)]


class TestTakingASheet:
    def test_it_pays_vouchers_exactly_as_sixty_single_records(self, cast, caterer):
        on_sheet = mixed_elders(cast.a, 60, "甲")
        one_by_one = mixed_elders(cast.a, 60, "乙")
        issue(month=timezone.localdate().replace(day=1))
        for elder in on_sheet:
            enrol(cast.staff_a, elder, meals=["lunch", "dinner"])
        at = sheet_time()
        delivered_at = timezone.make_aware(
            datetime.datetime.combine(timezone.localdate(), at)
        )
        sheet = queries.day_sheet(
            user=cast.staff_a,
            station=cast.a,
            service_type=service_type("meal"),
            day=timezone.localdate(),
        )
        assert [r.quantity for r in sheet.rows] == [2] * 60
        result = actions.day_sheet_take(
            actor=cast.staff_a,
            station=cast.a,
            service_type=service_type("meal"),
            day=timezone.localdate(),
            at=at,
            lines=[actions.SheetLine(r.elder, r.quantity) for r in sheet.rows],
            provider=caterer,
        )
        assert (result.created, result.existing) == (60, 0)
        for elder in one_by_one:
            service_actions.service_record_create(
                actor=cast.staff_a,
                elder=elder,
                service_type=service_type("meal"),
                delivered_at=delivered_at,
                duration_minutes=30,
                quantity=Decimal(2),
                provider=caterer,
            )

        def paid(elders):
            records = {
                r.elder_id: r for r in ServiceRecord.objects.filter(elder__in=elders)
            }
            entries = {}
            for entry in LedgerEntry.objects.filter(elder__in=elders).order_by("pk"):
                entries.setdefault(entry.elder_id, []).append(
                    (entry.kind, entry.amount)
                )
            return [
                (
                    records[e.pk].price,
                    records[e.pk].quantity,
                    records[e.pk].voucher_paid,
                    records[e.pk].self_paid,
                    entries.get(e.pk, []),
                )
                for e in elders
            ]

        sheet_paid, single_paid = paid(on_sheet), paid(one_by_one)
        assert sheet_paid == single_paid
        # And the payment did happen: ¥400 each; free ¥300 + 100, low-cost ¥150 + 250.
        assert sheet_paid[0][2:4] == (Decimal("300.00"), Decimal("100.00"))
        assert sheet_paid[1][2:4] == (Decimal("150.00"), Decimal("250.00"))
        assert sheet_paid[2][2:4] == (Decimal("0.00"), Decimal("400.00"))

    def test_a_second_submit_creates_nothing(self, cast, caterer):
        elders = [free_elder(cast.a) for _ in range(5)]
        issue(month=timezone.localdate().replace(day=1))
        first = take(cast, elders, provider=caterer)
        ledger = LedgerEntry.objects.count()
        second = take(cast, elders, provider=caterer)
        assert (first.created, first.existing) == (5, 0)
        assert (second.created, second.existing) == (0, 5)
        assert [r.pk for r in second.records] == [r.pk for r in first.records]
        assert ServiceRecord.objects.count() == 5
        assert LedgerEntry.objects.count() == ledger

    def test_its_statements_grow_by_a_bounded_number_per_line(self, cast, caterer):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        elders = [free_elder(cast.a) for _ in range(20)]
        issue(month=timezone.localdate().replace(day=1))
        with CaptureQueriesContext(connection) as captured:
            take(cast, elders, provider=caterer)
        # The single-record action per line, its savepoint and its payment.
        assert len(captured) <= 20 * 16
        with CaptureQueriesContext(connection) as captured:
            take(cast, elders, provider=caterer)
        assert len(captured) <= 8  # a sheet sent again: a few statements in all

    def test_one_invalid_line_writes_nothing(self, cast, caterer):
        elders = [free_elder(cast.a) for _ in range(3)]
        moved = ElderFactory(station=cast.a, status="moved")
        issue(month=timezone.localdate().replace(day=1))
        with pytest.raises(BatchErrors) as refused:
            take(cast, [*elders, moved], provider=caterer)
        assert list(refused.value.by_index) == [3]
        assert ServiceRecord.objects.count() == 0
        assert LedgerEntry.objects.filter(kind="redemption").count() == 0

    def test_the_database_keeps_one_record_per_elder_service_and_day(
        self, cast, caterer
    ):
        elder = free_elder(cast.a)
        take(cast, [elder], provider=caterer)
        record = ServiceRecord.objects.get()
        record.pk = None
        record.client_id = None
        with pytest.raises(IntegrityError), transaction.atomic():
            record.save()

    def test_a_single_record_of_that_day_is_refused_with_a_message(self, cast, caterer):
        elder = free_elder(cast.a)
        take(cast, [elder], provider=caterer)
        with pytest.raises(ValidationError) as refused:
            service_actions.service_record_create(
                actor=cast.staff_a,
                elder=elder,
                service_type=service_type("meal"),
                delivered_at=timezone.now() - datetime.timedelta(minutes=1),
                duration_minutes=30,
                provider=caterer,
            )
        assert "already recorded" in str(refused.value)

    def test_a_cancelled_record_frees_the_day(self, cast, caterer):
        elder = free_elder(cast.a)
        take(cast, [elder], provider=caterer)
        service_actions.service_record_cancel(
            actor=cast.staff_a, record=ServiceRecord.objects.get(), reason="录错了"
        )
        service_actions.service_record_create(
            actor=cast.staff_a,
            elder=elder,
            service_type=service_type("meal"),
            delivered_at=timezone.now() - datetime.timedelta(minutes=1),
            duration_minutes=30,
            provider=caterer,
        )
        assert ServiceRecord.objects.filter(cancelled_at__isnull=True).count() == 1

    def test_a_late_sheet_awaits_the_managers_confirmation(self, cast, caterer):
        cast.d1.late_record_days = 7
        cast.d1.save()
        elder = free_elder(cast.a)
        issue(month=timezone.localdate().replace(day=1))
        day = timezone.localdate() - datetime.timedelta(days=10)
        result = take(cast, [elder], provider=caterer, day=day, at=datetime.time(12))
        record = result.records[0]
        assert record.awaits_confirmation
        assert (record.voucher_paid, record.self_paid) == (0, 0)
        # The manager taking it confirms it by doing so, as for one record.
        other = free_elder(cast.a)
        confirmed = actions.day_sheet_take(
            actor=cast.manager_a,
            station=cast.a,
            service_type=service_type("meal"),
            day=day,
            at=datetime.time(12),
            lines=[actions.SheetLine(other, 1)],
            provider=caterer,
        )
        assert not confirmed.records[0].awaits_confirmation

    def test_a_sheet_in_the_future_is_refused(self, cast, caterer):
        elder = free_elder(cast.a)
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        with pytest.raises(BatchErrors):
            take(cast, [elder], provider=caterer, day=tomorrow, at=datetime.time(12))
        assert not ServiceRecord.objects.exists()


class TestScoping:
    def test_another_stations_elder_refuses_the_sheet(self, cast, caterer):
        ours = free_elder(cast.a)
        theirs = free_elder(cast.b)
        with pytest.raises((BatchErrors, Http404, PermissionDenied)):
            take(cast, [ours, theirs], provider=caterer)
        assert not ServiceRecord.objects.exists()

    def test_staff_of_another_station_cannot_take_it(self, cast, caterer):
        elder = free_elder(cast.a)
        with pytest.raises(Http404):
            actions.day_sheet_take(
                actor=cast.staff_b,
                station=cast.a,
                service_type=service_type("meal"),
                day=timezone.localdate(),
                at=sheet_time(),
                lines=[actions.SheetLine(elder, 1)],
                provider=caterer,
            )
        assert not ServiceRecord.objects.exists()

    def test_the_supervisor_reads_but_cannot_take_it(self, cast, caterer):
        elder = free_elder(cast.a)
        with pytest.raises(PermissionDenied):
            actions.day_sheet_take(
                actor=cast.supervisor,
                station=cast.a,
                service_type=service_type("meal"),
                day=timezone.localdate(),
                at=sheet_time(),
                lines=[actions.SheetLine(elder, 1)],
                provider=caterer,
            )

    def test_the_sheet_lists_only_the_stations_enrolments(self, cast):
        ours = enrol(cast.staff_a, ElderFactory(station=cast.a, name="本站"))
        enrol(cast.staff_b, ElderFactory(station=cast.b, name="他站"))
        sheet = queries.day_sheet(
            user=cast.staff_a,
            station=cast.a,
            service_type=service_type("meal"),
            day=timezone.localdate(),
            walk_ins=[Enrolment.objects.exclude(pk=ours.pk).get().elder_id],
        )
        assert [r.elder.name for r in sheet.rows] == ["本站"]


class TestEnrolments:
    def test_weekdays_and_period_decide_who_is_on_the_sheet(self, cast):
        today = timezone.localdate()
        mon_wed = enrol(
            cast.staff_a, ElderFactory(station=cast.a, name="周一三"), weekdays=[0, 2]
        )
        ended = enrol(cast.staff_a, ElderFactory(station=cast.a, name="已结束"))
        actions.enrolment_end(
            actor=cast.staff_a, enrolment=ended, on=today - datetime.timedelta(days=1)
        )
        enrol(cast.staff_a, ElderFactory(station=cast.a, name="每天"))
        for back in range(7):
            day = today - datetime.timedelta(days=back)
            names = [
                r.elder.name
                for r in queries.day_sheet(
                    user=cast.staff_a,
                    station=cast.a,
                    service_type=service_type("meal"),
                    day=day,
                ).rows
            ]
            assert ("周一三" in names) == (day.weekday() in mon_wed.weekdays)
            assert ("已结束" in names) == (back >= 1)
            assert "每天" in names

    def test_overlapping_enrolments_are_refused_by_the_database_too(self, cast):
        elder = ElderFactory(station=cast.a)
        enrol(cast.staff_a, elder)
        with pytest.raises(ValidationError):
            enrol(cast.staff_a, elder)
        first = Enrolment.objects.get()
        first.pk = None
        with pytest.raises(IntegrityError), transaction.atomic():
            first.save()

    def test_only_daily_services_and_a_meal_for_meals(self, cast):
        elder = ElderFactory(station=cast.a)
        with pytest.raises(ValidationError) as refused:
            enrol(cast.staff_a, elder, code="cleaning")
        assert "service_type" in refused.value.message_dict
        with pytest.raises(ValidationError) as refused:
            enrol(cast.staff_a, elder, meals=[])
        assert "meals" in refused.value.message_dict
        with pytest.raises(ValidationError) as refused:
            enrol(cast.staff_a, elder, weekdays=[])
        assert "weekdays" in refused.value.message_dict
        enrol(cast.staff_a, elder, code="day_care", meals=[])

    def test_another_stations_elder_cannot_be_enrolled(self, cast):
        with pytest.raises(Http404):
            enrol(cast.staff_a, ElderFactory(station=cast.b))
        assert not Enrolment.objects.exists()


def test_the_route_list_groups_by_address(cast):
    for name, address in [
        ("甲", "幸福路1号"),
        ("乙", "幸福路1号"),
        ("丙", "和平路2号"),
    ]:
        enrol(
            cast.staff_a,
            ElderFactory(station=cast.a, name=name, address=address),
            code="meal_delivery",
        )
    sheet = queries.day_sheet(
        user=cast.staff_a,
        station=cast.a,
        service_type=service_type("meal_delivery"),
        day=timezone.localdate(),
    )
    stops = queries.route_list(sheet)
    assert [(s.address, [r.elder.name for r in s.rows]) for s in stops] == [
        ("和平路2号", ["丙"]),
        ("幸福路1号", sorted(["甲", "乙"])),
    ]
