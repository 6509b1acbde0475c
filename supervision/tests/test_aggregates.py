"""Every stored figure equals a direct count over the raw records, after a full
rebuild and after the incremental paths (a cancelled service, late feedback, a
visit logged afterwards)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from carecenter.models import Station
from elders.eligibility import annotate_tier
from elders.filters import age_band_range
from elders.models import Category, Elder, NeedsSurvey
from elders.tests.factories import ElderFactory
from services import actions as service_actions
from services.models import Feedback, ServiceRecord
from services.queries import agreements_expiring_counts, feedback_coverage
from supervision import actions
from supervision.models import Family, Metric, MonthlyFigure, RefreshRun, StaleMonth
from supervision.tests.conftest import local
from volunteers.models import HoursEntry
from volunteers.queries import expiring_certificate_counts, open_follow_up_counts
from vouchers.models import LedgerEntry, add_months
from vouchers.queries import monthly_report

pytestmark = pytest.mark.django_db


def stored(*metrics: str) -> dict[tuple, Decimal]:
    return {
        (f.station_id, f.month, f.metric, f.key): f.value
        for f in MonthlyFigure.objects.filter(metric__in=metrics)
    }


def without_zeros(figures: dict) -> dict:
    return {k: Decimal(v) for k, v in figures.items() if v}


# --- Direct counts, written independently of supervision.aggregates -----------------


def direct_services() -> dict:
    expected = {}
    rows = (
        ServiceRecord.objects.filter(cancelled_at__isnull=True)
        .annotate(month=TruncMonth("delivered_at"))
        .values("station_id", "month", "service_type__code")
        .annotate(
            n=Count("pk"),
            minutes=Sum("duration_minutes"),
            amount=Sum(F("voucher_paid") + F("self_paid")),
        )
    )
    for row in rows:
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        key = (row["station_id"], month)
        code = row["service_type__code"]
        expected[(*key, Metric.SERVICES, code)] = row["n"]
        expected[(*key, Metric.SERVICE_MINUTES, code)] = row["minutes"]
        expected[(*key, Metric.SERVICE_AMOUNT, code)] = row["amount"]
    feedback = defaultdict(lambda: [0, 0])
    for f in Feedback.objects.filter(record__cancelled_at__isnull=True).select_related(
        "record"
    ):
        month = timezone.localtime(f.record.delivered_at).date().replace(day=1)
        figures = feedback[(f.record.station_id, month)]
        figures[0] += 1
        figures[1] += f.satisfaction
    for (station, month), (n, total) in feedback.items():
        expected[(station, month, Metric.FEEDBACK, "")] = n
        expected[(station, month, Metric.SATISFACTION_SUM, "")] = total
    return without_zeros(expected)


def direct_vouchers() -> dict:
    expected = {}
    for row in LedgerEntry.objects.values("station_id", "month", "kind").annotate(
        total=Sum("amount"), n=Count("pk")
    ):
        key = (row["station_id"], row["month"])
        expected[(*key, Metric.VOUCHERS, row["kind"])] = row["total"]
        if row["kind"] == "grant":
            expected[(*key, Metric.VOUCHER_GRANTS, "")] = row["n"]
    from vouchers.models import StationBudget

    for budget in StationBudget.objects.all():
        jan = datetime.date(budget.year, 1, 1)
        expected[(budget.station_id, jan, Metric.VOUCHER_BUDGET, "")] = budget.amount
    return without_zeros(expected)


def direct_volunteers() -> dict:
    expected = {}
    for row in HoursEntry.objects.values("station_id", "month").annotate(
        minutes=Sum("minutes"), visits=Count("pk", filter=Q(kind="visit"))
    ):
        key = (row["station_id"], row["month"])
        expected[(*key, Metric.VOLUNTEER_MINUTES, "")] = row["minutes"]
        expected[(*key, Metric.VOLUNTEER_VISITS, "")] = row["visits"]
    return without_zeros(expected)


def direct_elders(month) -> dict:
    today = timezone.localdate()
    expected = {}
    for station in Station.objects.all():
        on_file = Elder.objects.filter(
            station=station, status__in=["active", "institution"]
        )
        expected[(station.pk, month, Metric.ELDERS, "")] = on_file.count()
        for band in ["under-60", "60-69", "70-79", "80-89", "90+"]:
            expected[(station.pk, month, Metric.ELDERS_AGE, band)] = on_file.filter(
                age_band_range(band, today)
            ).count()
        for category in Category.values:
            expected[(station.pk, month, Metric.ELDERS_CATEGORY, category)] = (
                on_file.filter(categories__contains=[category]).count()
            )
        for row in (
            annotate_tier(on_file, on=today)
            .order_by()
            .values("tier")
            .annotate(n=Count("pk"))
        ):
            expected[(station.pk, month, Metric.ELDERS_TIER, row["tier"])] = row["n"]
    return without_zeros(expected)


def direct_needs(month) -> dict:
    latest = {}
    for survey in NeedsSurvey.objects.filter(
        elder__status__in=["active", "institution"]
    ).order_by("elder_id", "surveyed_on", "id"):
        latest[survey.elder_id] = survey  # the last one wins
    expected = defaultdict(int)
    stations = dict(Elder.objects.values_list("pk", "station_id"))
    for elder_id, survey in latest.items():
        station = stations[elder_id]
        expected[(station, month, Metric.NEEDS_SURVEYED, "")] += 1
        for need in survey.needs:
            expected[(station, month, Metric.NEEDS, need)] += 1
    return without_zeros(expected)


def direct_alerts(month) -> dict:
    stations = Station.objects.all()
    expected = {}
    for metric, counts in [
        (Metric.FOLLOW_UPS_OPEN, open_follow_up_counts(stations)),
        (Metric.CERTIFICATES_EXPIRING, expiring_certificate_counts(stations)),
        (Metric.AGREEMENTS_EXPIRING, agreements_expiring_counts(stations)),
    ]:
        for station_id, n in counts.items():
            expected[(station_id, month, metric, "")] = n
    return without_zeros(expected)


FLOWS = {
    Family.SERVICES: (
        direct_services,
        [
            Metric.SERVICES,
            Metric.SERVICE_MINUTES,
            Metric.SERVICE_AMOUNT,
            Metric.FEEDBACK,
            Metric.SATISFACTION_SUM,
        ],
    ),
    Family.VOUCHERS: (
        direct_vouchers,
        [Metric.VOUCHERS, Metric.VOUCHER_GRANTS, Metric.VOUCHER_BUDGET],
    ),
    Family.VOLUNTEERS: (
        direct_volunteers,
        [Metric.VOLUNTEER_MINUTES, Metric.VOLUNTEER_VISITS],
    ),
}


def assert_flows_equal_direct_counts() -> None:
    for family, (direct, metrics) in FLOWS.items():
        assert stored(*metrics) == direct(), family


def assert_snapshot_equals_direct_counts() -> None:
    month = actions.this_month()
    assert stored(
        Metric.ELDERS, Metric.ELDERS_AGE, Metric.ELDERS_CATEGORY, Metric.ELDERS_TIER
    ) == direct_elders(month)
    assert stored(Metric.NEEDS_SURVEYED, Metric.NEEDS) == direct_needs(month)
    assert stored(
        Metric.FOLLOW_UPS_OPEN,
        Metric.CERTIFICATES_EXPIRING,
        Metric.AGREEMENTS_EXPIRING,
    ) == direct_alerts(month)


def rebuild(district) -> RefreshRun:
    return actions.figures_refresh(first=district.first, last=district.last)


# --- A full rebuild -----------------------------------------------------------------


def test_every_family_equals_a_direct_count(district):
    run = rebuild(district)
    assert run.snapshot and run.all_stations and run.figures_written > 0
    assert_flows_equal_direct_counts()
    assert_snapshot_equals_direct_counts()
    # The data has some of everything, so the comparisons above say something.
    assert stored(Metric.SERVICES) and stored(Metric.FEEDBACK)
    assert {k[3] for k in stored(Metric.VOUCHERS)} >= {"grant", "redemption"}
    assert stored(Metric.FOLLOW_UPS_OPEN) and stored(Metric.CERTIFICATES_EXPIRING)
    assert stored(Metric.AGREEMENTS_EXPIRING) and stored(Metric.NEEDS)


def test_the_figures_agree_with_the_apps_own_reports(district, cast):
    """The feedback coverage of the services pages and the vouchers' monthly report
    give the same numbers as the dashboard's figures."""
    from supervision.queries import Figures, dashboard

    rebuild(district)
    for month in district.months:
        dash = dashboard(user=cast.admin, first=month, last=month)
        for coverage in feedback_coverage(user=cast.admin, month=month):
            figures = dash.by_station.get(coverage.station.pk, Figures())
            assert figures.services == coverage.delivered
            assert figures.feedback == coverage.with_feedback
            if coverage.satisfaction is None:
                assert figures.satisfaction_mean is None
            else:  # the services page rounds a float mean, the dashboard a decimal
                assert abs(figures.satisfaction_mean - coverage.satisfaction) <= (
                    Decimal("0.1")
                )
        report = monthly_report(user=cast.admin, month=month)
        for row in report.rows:
            figures = dash.by_station.get(row.station.pk, Figures())
            assert figures.issued == row.granted
            assert figures.grants == row.grants
            assert figures.redeemed == row.net_redeemed
            assert figures.expired == row.expired
            assert figures.issued_year_to_date == row.year_to_date
            assert figures.budget == row.budget


def test_cancelled_services_do_not_count(district):
    rebuild(district)
    for record in district.cancelled:
        month = timezone.localtime(record.delivered_at).date().replace(day=1)
        live = ServiceRecord.objects.filter(
            station_id=record.station_id,
            service_type=record.service_type,
            cancelled_at__isnull=True,
            delivered_at__gte=local(month, 0),
            delivered_at__lt=local(add_months(month, 1), 0),
        ).count()
        key = (record.station_id, month, Metric.SERVICES, record.service_type.code)
        assert stored(Metric.SERVICES).get(key, 0) == live


def test_a_second_run_changes_nothing(district):
    rebuild(district)
    before = stored(*Metric.values)
    again = rebuild(district)
    assert (again.figures_written, again.figures_deleted) == (0, 0)
    assert stored(*Metric.values) == before


# --- Keeping current: the scheduled refresh and the marks of writes -----------------


def test_a_cancellation_in_a_closed_month_is_folded_in_by_the_schedule(district):
    rebuild(district)
    old = district.first  # three months back: outside current + previous
    record = next(
        r
        for r in district.records
        if r.cancelled_at is None
        and timezone.localtime(r.delivered_at).date().replace(day=1) == old
        and not r.is_cancelled
        and r not in district.cancelled
    )
    service_actions.service_record_cancel(
        actor=district.staff[record.station_id], record=record, reason="重复登记"
    )
    assert StaleMonth.objects.filter(
        station_id=record.station_id, family=Family.SERVICES, month=old
    ).exists()
    assert stored(Metric.SERVICES) != direct_services()
    run = actions.figures_refresh_recent()
    assert run.stale_months >= 1
    assert_flows_equal_direct_counts()
    assert not StaleMonth.objects.exists()


def test_late_feedback_and_a_late_visit_are_folded_in_by_the_changed_path(
    district, cast
):
    rebuild(district)
    old = district.first
    record = next(
        r
        for r in ServiceRecord.objects.filter(
            has_feedback=False,
            cancelled_at__isnull=True,
            delivered_at__lt=local(add_months(old, 1), 0),
        )
    )
    service_actions.feedback_record(
        actor=district.staff[record.station_id],
        record=record,
        data={
            "satisfaction": 2,
            "punctual": False,
            "attitude": 3,
            "quality": 2,
            "channel": "home_visit",
        },
    )
    HoursEntry.objects.create(
        station=cast.b,
        volunteer=HoursEntry.objects.filter(station=cast.b).first().volunteer,
        month=old,
        minutes=45,
        kind="adjustment",
        note="补登",
    )
    run = actions.figures_refresh_changed()
    assert not run.snapshot and not run.all_stations
    assert run.stale_months >= 2
    assert_flows_equal_direct_counts()


def test_a_type_whose_records_are_all_cancelled_loses_its_figure(district):
    rebuild(district)
    month = district.months[-2]
    record = service_actions.service_record_create(
        actor=district.staff[district.stations[1].pk],
        elder=district.elders[district.stations[1].pk][0],
        service_type=__import__(
            "services.tests.factories", fromlist=["service_type"]
        ).service_type("legal_aid"),
        delivered_at=local(month.replace(day=3)),
        duration_minutes=60,
        staff=district.staff[district.stations[1].pk],
    )
    actions.figures_refresh_recent()
    key = (record.station_id, month, Metric.SERVICES, "legal_aid")
    assert stored(Metric.SERVICES)[key] == 1
    service_actions.service_record_cancel(
        actor=district.staff[record.station_id], record=record, reason="未上门"
    )
    run = actions.figures_refresh_recent()
    assert run.figures_deleted >= 1
    assert key not in stored(Metric.SERVICES)
    assert_flows_equal_direct_counts()


def test_bulk_and_raw_writes_mark_their_months_too(district):
    """The marks come from triggers, not from the actions: a queryset update (or
    raw SQL) is caught like any other write."""
    rebuild(district)
    # The rebuild took the marks of its months (budgets mark 1 January, outside).
    assert not StaleMonth.objects.filter(month__gte=district.first).exists()
    StaleMonth.objects.all().delete()
    old = district.first
    ServiceRecord.objects.filter(
        delivered_at__gte=local(old, 0), delivered_at__lt=local(add_months(old, 1), 0)
    ).update(duration_minutes=F("duration_minutes") + 5)
    marked = set(StaleMonth.objects.values_list("family", "month"))
    assert (Family.SERVICES, old) in marked
    with connection.cursor() as cursor:
        cursor.execute("UPDATE vouchers_stationbudget SET amount = amount + 1000")
    assert StaleMonth.objects.filter(
        family=Family.VOUCHERS, month=old.replace(month=1)
    ).exists()
    actions.figures_refresh_changed()
    assert_flows_equal_direct_counts()


def test_a_refresh_that_fails_half_way_changes_nothing(district, monkeypatch):
    rebuild(district)
    record = district.records[0]
    if record in district.cancelled:
        record = district.records[1]
    service_actions.service_record_cancel(
        actor=district.staff[record.station_id], record=record, reason="测试"
    )
    before, marks = stored(*Metric.values), StaleMonth.objects.count()
    runs = RefreshRun.objects.count()
    import supervision.actions as module

    calls = []

    def failing(cursor, family, *args):
        calls.append(family)
        # The cancelled record's month, after the snapshot was rewritten.
        if family == Family.SERVICES:
            raise RuntimeError("worker lost")
        return real(cursor, family, *args)

    real = module.replace_family
    monkeypatch.setattr(module, "replace_family", failing)
    with pytest.raises(RuntimeError):
        actions.figures_refresh_recent()
    assert calls[-1] == Family.SERVICES and len(calls) > 1
    assert stored(*Metric.values) == before
    assert StaleMonth.objects.count() == marks
    assert RefreshRun.objects.count() == runs
    monkeypatch.setattr(module, "replace_family", real)
    actions.figures_refresh_recent()
    assert_flows_equal_direct_counts()
    assert_snapshot_equals_direct_counts()


def test_the_snapshot_is_kept_under_the_month_of_the_refresh(district):
    rebuild(district)
    months = set(
        MonthlyFigure.objects.filter(metric=Metric.ELDERS).values_list(
            "month", flat=True
        )
    )
    assert months == {actions.this_month()}
    # A rebuild of closed months only leaves the snapshot alone.
    run = actions.figures_refresh(first=district.first, last=district.months[1])
    assert not run.snapshot
    assert_snapshot_equals_direct_counts()


def test_the_range_never_goes_past_the_current_month(district):
    run = actions.figures_refresh(
        first=district.last, last=add_months(district.last, 3)
    )
    assert run.last_month == actions.this_month()
    with pytest.raises(ValueError):
        actions.figures_refresh(first=add_months(district.last, 2), last=district.last)


def test_the_scheduled_task_refreshes_and_says_how_long_it_took(district):
    from supervision import tasks

    result = tasks.refresh.delay().get()
    assert result["figures_written"] > 0
    run = RefreshRun.objects.get()
    assert run.trigger == "schedule" and run.snapshot and run.all_stations
    assert run.first_month == add_months(actions.this_month(), -1)
    assert run.finished_at >= run.started_at


def test_the_scheduled_refresh_recounts_only_what_writes_marked(district, monkeypatch):
    rebuild(district)
    import supervision.actions as module

    real, calls = module.replace_family, []

    def recording(cursor, family, station_ids, *args):
        calls.append((family, tuple(station_ids)))
        return real(cursor, family, station_ids, *args)

    monkeypatch.setattr(module, "replace_family", recording)
    actions.figures_refresh_recent()  # what the rebuild's range left marked
    calls.clear()
    run = actions.figures_refresh_recent()
    # The rebuild took the whole snapshot today: only the expiries, whose
    # conditions move with the date, are recounted without a write.
    assert [family for family, _s in calls] == [Family.ALERTS]
    assert run.stale_months == 0 and run.snapshot_on is None

    calls.clear()
    station = district.stations[0]
    ElderFactory(station=station, name="新来的")
    run = actions.figures_refresh_recent()
    assert (Family.ELDERS, (station.pk,)) in calls
    assert not any(f in (Family.SERVICES, Family.VOUCHERS) for f, _s in calls)
    assert_snapshot_equals_direct_counts()
    assert_flows_equal_direct_counts()


def test_the_first_refresh_of_a_day_recounts_every_station(district):
    rebuild(district)
    RefreshRun.objects.update(snapshot_on=None)  # yesterday's, as far as it knows
    run = actions.figures_refresh_recent()
    assert run.snapshot_on == timezone.localdate()
    assert_snapshot_equals_direct_counts()
