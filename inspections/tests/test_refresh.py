"""The yearly job: every station's figures at once, idempotent, decided ones frozen."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pghistory.models import Events

from care.tests.factories import VisitFactory
from carecenter.tests.factories import StationFactory
from elders.tests.factories import ElderFactory
from inspections import tasks
from inspections.models import Inspection
from inspections.rules import Recommendation
from inspections.tests.conftest import YEAR, confirm, decide, inspection_of, refresh
from services import actions as service_actions
from services.tests.factories import (
    FeedbackFactory,
    ServiceRecordFactory,
    service_type,
)
from volunteers.tests.factories import (
    CertificateFactory,
    TeamFactory,
    TrainingSessionFactory,
    VolunteerFactory,
)
from vouchers.models import StationBudget
from vouchers.tests.conftest import free_elder, issue

pytestmark = pytest.mark.django_db


def local(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


class TestFigures:
    def test_services_per_month_in_local_time_without_cancelled_ones(self, cast):
        elder = free_elder(cast.a)
        for when in [
            local(2024, 12, 31, 23, 30),  # last year
            local(2025, 1, 1, 0, 10),  # January, though still 2024 in UTC
            local(2025, 1, 31, 23, 50),  # January's last minutes
            local(2025, 2, 1, 0, 30),  # February, though still January in UTC
            local(2025, 12, 31, 23, 59),
            local(2026, 1, 1, 0, 0),  # next year
        ]:
            ServiceRecordFactory(elder=elder, delivered_at=when)
        cancelled = ServiceRecordFactory(elder=elder, delivered_at=local(2025, 3, 3, 9))
        service_actions.service_record_cancel(
            actor=cast.staff_a, record=cancelled, reason="未上门"
        )
        refresh()
        inspection = inspection_of(cast.a)
        assert inspection.services_per_month == [2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
        assert inspection.services_total == 4
        assert inspection_of(cast.b).services_per_month == [0] * 12

    def test_volunteer_visits_per_month_on_their_own_line(self, cast):
        elder = ElderFactory(station=cast.a)
        for when in (
            local(2025, 1, 1, 0, 30),
            local(2025, 6, 30, 23),
            local(2026, 1, 1),
        ):
            VisitFactory(elder=elder, started_at=when)
        VisitFactory(elder=ElderFactory(station=cast.b), started_at=local(2025, 6, 1))
        refresh()
        inspection = inspection_of(cast.a)
        assert inspection.visits_per_month == [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
        assert inspection.visits_total == 2
        assert inspection.services_per_month == [0] * 12
        assert inspection_of(cast.b).visits_total == 1

    def test_feedback_coverage_and_mean_satisfaction(self, cast):
        elder = free_elder(cast.a)
        for month, score in [(1, 5), (2, 4), (2, 3)]:
            FeedbackFactory(
                record=ServiceRecordFactory(
                    elder=elder, delivered_at=local(2025, month, 10, 9)
                ),
                satisfaction=score,
            )
        ServiceRecordFactory(elder=elder, delivered_at=local(2025, 4, 10, 9))
        refresh()
        inspection = inspection_of(cast.a)
        assert inspection.services_with_feedback == 3
        assert inspection.feedback_coverage == Decimal(75)
        assert inspection.satisfaction == Decimal("4.00")

    def test_vouchers_redeemed_net_of_reversals_against_the_budget(self, cast):
        elder = free_elder(cast.a)
        StationBudget.objects.create(station=cast.a, year=YEAR, amount=Decimal("500"))
        StationBudget.objects.create(station=cast.a, year=2026, amount=Decimal("9"))
        issue(month=datetime.date(2025, 3, 1), stations=[cast.a])
        records = [
            service_actions.service_record_create(
                actor=cast.staff_a,
                elder=elder,
                service_type=service_type("chat"),
                delivered_at=local(2025, 3, day, 9),
                duration_minutes=30,
                price=Decimal("40.00"),
                staff=cast.staff_a,
            )
            for day in (3, 4, 5)
        ]
        service_actions.service_record_cancel(
            actor=cast.staff_a, record=records[0], reason="重复登记"
        )
        refresh()
        inspection = inspection_of(cast.a)
        assert inspection.voucher_issued == Decimal("300.00")
        assert inspection.voucher_used == Decimal("80.00")
        assert inspection.voucher_budget == Decimal("500.00")
        assert inspection.voucher_use == Decimal(16)
        assert inspection_of(cast.b).voucher_budget is None

    def test_staff_and_volunteers_certified_on_the_last_day_of_the_year(self, cast):
        staff_team = TeamFactory(station=cast.a, kind="assistance")
        certified_on = {
            "valid": (datetime.date(2025, 1, 1), None),
            "ends on new year's eve": (
                datetime.date(2024, 1, 1),
                datetime.date(2025, 12, 31),
            ),
            "ended the day before": (
                datetime.date(2024, 1, 1),
                datetime.date(2025, 12, 30),
            ),
            "issued in the new year": (datetime.date(2026, 1, 1), None),
        }
        for name, (issued, expires) in certified_on.items():
            volunteer = VolunteerFactory(station=cast.a, name=name)
            CertificateFactory(
                volunteer=volunteer, issued_on=issued, expires_on=expires
            )
        VolunteerFactory(station=cast.a, name="no certificate")
        gone = VolunteerFactory(station=cast.a, name="left", status="left")
        CertificateFactory(volunteer=gone)
        staff = VolunteerFactory(station=cast.a, team=staff_team)
        CertificateFactory(volunteer=staff)
        VolunteerFactory(station=cast.a, team=staff_team)
        refresh()
        inspection = inspection_of(cast.a)
        assert (inspection.staff_total, inspection.staff_certified) == (2, 1)
        assert (inspection.volunteers_total, inspection.volunteers_certified) == (5, 2)

    def test_training_sessions_of_the_year(self, cast):
        for day in [
            datetime.date(2024, 12, 31),
            datetime.date(2025, 1, 1),
            datetime.date(2025, 12, 31),
            datetime.date(2026, 1, 1),
        ]:
            TrainingSessionFactory(station=cast.a, held_on=day)
        refresh()
        assert inspection_of(cast.a).trainings_held == 2

    def test_the_checklist_is_prefilled_from_the_station(self, cast):
        cast.b.building_area = Decimal("299.9")
        cast.b.has_medical_room = False
        cast.b.public_welfare_posts = 6
        cast.b.save()
        refresh()
        inspection = inspection_of(cast.b)
        assert inspection.building_area == Decimal("299.9")
        assert inspection.has_medical_room is False
        assert inspection.funds_used_properly is None
        codes = [d["indicator"] for d in inspection.deductions]
        assert {"area", "medical_room", "posts"} <= set(codes)


class TestRefresh:
    def test_it_creates_one_inspection_per_active_station(self, cast):
        StationFactory(code="CLOSED", district=cast.d1, is_active=False)
        result = refresh()
        assert len(result.created) == 3
        assert set(Inspection.objects.values_list("station__code", flat=True)) == {
            "A",
            "B",
            "C",
        }

    def test_running_it_again_changes_nothing_and_records_no_history(self, cast):
        free_elder(cast.a)
        refresh()
        before = list(Inspection.objects.order_by("pk").values())
        events = Events.objects.count()
        again = refresh()
        assert (len(again.created), len(again.refreshed)) == (0, 3)
        after = list(Inspection.objects.order_by("pk").values())
        for row in before + after:
            row.pop("refreshed_at")
        assert after == before
        assert Events.objects.count() == events

    def test_it_refreshes_the_figures_of_an_open_inspection(self, cast):
        refresh()
        ServiceRecordFactory(
            elder=free_elder(cast.a), delivered_at=local(2025, 5, 5, 9)
        )
        refresh()
        assert inspection_of(cast.a).services_total == 1

    def test_a_decided_inspection_is_frozen(self, cast):
        refresh()
        inspection = inspection_of(cast.a)
        confirm(inspection, cast.supervisor)
        decide(inspection, cast.supervisor, "continue")
        frozen = Inspection.objects.get(pk=inspection.pk)
        ServiceRecordFactory(
            elder=free_elder(cast.a), delivered_at=local(2025, 5, 5, 9)
        )
        cast.a.building_area = Decimal("100")
        cast.a.save()
        result = refresh()
        assert [i.pk for i in result.frozen] == [inspection.pk]
        again = Inspection.objects.get(pk=inspection.pk)
        assert again.services_total == 0
        assert again.building_area == frozen.building_area
        assert (again.score, again.decision) == (frozen.score, "continue")
        assert again.refreshed_at == frozen.refreshed_at

    def test_a_confirmed_checklist_is_kept_while_the_figures_refresh(self, cast):
        refresh()
        inspection = inspection_of(cast.a)
        confirm(inspection, cast.supervisor, has_pantry=False)
        cast.a.has_pantry = True
        cast.a.save()
        ServiceRecordFactory(
            elder=free_elder(cast.a), delivered_at=local(2025, 5, 5, 9)
        )
        refresh()
        again = inspection_of(cast.a)
        assert again.has_pantry is False
        assert again.funds_used_properly is True
        assert again.services_total == 1
        assert "pantry" in [d["indicator"] for d in again.deductions]

    def test_a_year_that_has_not_ended_is_refused(self, cast):
        with pytest.raises(ValidationError):
            refresh(year=timezone.localdate().year)
        assert not Inspection.objects.exists()

    def test_a_supervisor_refreshes_only_stations_they_supervise(self, cast):
        refresh(stations=[cast.a, cast.b], actor=cast.supervisor)
        assert Inspection.objects.count() == 2
        with pytest.raises(PermissionDenied):
            refresh(stations=[cast.a], actor=cast.manager_a)

    def test_its_queries_do_not_grow_with_the_stations(self, cast):
        def queries() -> int:
            with CaptureQueriesContext(connection) as captured:
                refresh()
            return len(captured)

        refresh()  # then each run refreshes rows that exist (a run creating some
        # and refreshing others writes them with two statements)
        few = queries()
        for n in range(6):
            station = StationFactory(code=f"S{n}", district=cast.d1)
            ServiceRecordFactory(
                elder=free_elder(station), delivered_at=local(2025, 6, 1, 9)
            )
            TrainingSessionFactory(station=station, held_on=datetime.date(2025, 6, 1))
            VolunteerFactory(station=station)
        refresh()
        many = queries()
        assert many == few
        assert few <= 13  # one of them counts the group activities


class TestJob:
    def test_the_task_inspects_last_year_by_default(self, cast):
        summary = tasks.run_annual.delay().get()
        assert summary == {
            "year": timezone.localdate().year - 1,
            "created": 3,
            "refreshed": 0,
            "frozen": 0,
        }

    def test_beat_runs_it_on_5_january_at_2_in_shanghai(self, db):
        from django_celery_beat.models import PeriodicTask

        # A transactional test before this one may have truncated the beat tables.
        schedule = importlib.import_module("inspections.migrations.0002_schedule")
        schedule.add_schedule(apps, None)
        entry = PeriodicTask.objects.get(task="inspections.run_annual")
        crontab = entry.crontab
        assert (crontab.minute, crontab.hour) == ("0", "2")
        assert (crontab.day_of_month, crontab.month_of_year) == ("5", "1")
        assert str(crontab.timezone) == "Asia/Shanghai"

    def test_the_command_is_safe_to_repeat(self, cast, capsys):
        call_command("run_annual_inspection", year=YEAR)
        first = capsys.readouterr().out
        assert "3 created" in first
        inspection = inspection_of(cast.a)
        confirm(inspection, cast.supervisor)
        decide(inspection, cast.supervisor)
        call_command("run_annual_inspection", year=YEAR)
        second = capsys.readouterr().out
        assert "0 created, 2 refreshed, 1 decided" in second
        assert "A 2025: score" in second and "kept as decided" in second
        assert Inspection.objects.count() == 3

    def test_the_command_refuses_the_current_year(self, cast):
        from django.core.management.base import CommandError

        with pytest.raises(CommandError):
            call_command("run_annual_inspection", year=timezone.localdate().year)


def test_a_station_meeting_nothing_is_recommended_to_stop(cast):
    cast.c.building_area = Decimal("0")
    cast.c.save()
    refresh()
    inspection = inspection_of(cast.c)
    assert inspection.score < 60
    assert inspection.recommendation == Recommendation.STOP
