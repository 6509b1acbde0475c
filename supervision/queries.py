"""Reads of the dashboard, its exports and its API (PRODUCT.md "Supervision").

They read only ``MonthlyFigure`` (and the stations, through
``carecenter.scoping.report_stations``), never the raw records: a page costs
the same handful of grouped queries whatever the size of the district.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db.models import Q, QuerySet, Subquery, Sum
from django.utils import timezone

from carecenter.models import District, Station
from carecenter.scoping import get_visible_or_404, report_stations
from elders.models import Tier
from supervision.models import (
    FLOW_METRICS,
    SNAPSHOT_METRICS,
    Metric,
    MonthlyFigure,
    RefreshRun,
)
from vouchers.models import EntryKind

ZERO = Decimal("0")

#: Shown beside "figures as of": a refresh older than this is flagged.
STALE_AFTER = datetime.timedelta(hours=1)

#: Pseudo-metric of the year-to-date issuance (grants from 1 January).
ISSUED_YEAR_TO_DATE = "issued_year_to_date"


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months, month = [], first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


@dataclass
class Figures:
    """Sums of stored figures by metric and key, with the dashboard's derived
    numbers."""

    values: dict[str, dict[str, Decimal]] = field(default_factory=dict)

    def add(self, metric: str, key: str, value: Decimal) -> None:
        keys = self.values.setdefault(metric, {})
        keys[key] = keys.get(key, ZERO) + value

    def merge(self, other: Figures) -> None:
        for metric, keys in other.values.items():
            for key, value in keys.items():
                self.add(metric, key, value)

    def get(self, metric: str, key: str = "") -> Decimal:
        return self.values.get(metric, {}).get(key, ZERO)

    def count(self, metric: str, key: str = "") -> int:
        return int(self.get(metric, key))

    def by_key(self, metric: str) -> dict[str, Decimal]:
        return dict(self.values.get(metric, {}))

    def total(self, metric: str) -> Decimal:
        return sum(self.values.get(metric, {}).values(), ZERO)

    # --- Elders, needs and alerts (the snapshot) ---

    @property
    def elders(self) -> int:
        return self.count(Metric.ELDERS)

    @property
    def service_objects(self) -> int:
        """Elders of the free, low-cost or paid tier today."""
        return sum(
            self.count(Metric.ELDERS_TIER, t)
            for t in (Tier.FREE, Tier.LOW_COST, Tier.PAID)
        )

    @property
    def voucher_eligible(self) -> int:
        return self.count(Metric.ELDERS_TIER, Tier.FREE) + self.count(
            Metric.ELDERS_TIER, Tier.LOW_COST
        )

    @property
    def surveyed(self) -> int:
        return self.count(Metric.NEEDS_SURVEYED)

    @property
    def follow_ups(self) -> int:
        return int(self.total(Metric.FOLLOW_UPS_OPEN))

    @property
    def certificates_expiring(self) -> int:
        return self.count(Metric.CERTIFICATES_EXPIRING)

    @property
    def agreements_expiring(self) -> int:
        return self.count(Metric.AGREEMENTS_EXPIRING)

    # --- Services and feedback ---

    @property
    def services(self) -> int:
        return int(self.total(Metric.SERVICES))

    @property
    def service_hours(self) -> Decimal:
        return (self.total(Metric.SERVICE_MINUTES) / 60).quantize(Decimal("0.1"))

    @property
    def service_amount(self) -> Decimal:
        return self.total(Metric.SERVICE_AMOUNT)

    @property
    def feedback(self) -> int:
        return self.count(Metric.FEEDBACK)

    @property
    def coverage_percent(self) -> int | None:
        if not self.services:
            return None
        return round(100 * self.feedback / self.services)

    @property
    def satisfaction_mean(self) -> Decimal | None:
        if not self.feedback:
            return None
        return (self.get(Metric.SATISFACTION_SUM) / self.feedback).quantize(
            Decimal("0.1")
        )

    # --- Vouchers (the ledger's signed sums) ---

    @property
    def grants(self) -> int:
        return self.count(Metric.VOUCHER_GRANTS)

    @property
    def issued(self) -> Decimal:
        return self.get(Metric.VOUCHERS, EntryKind.GRANT)

    @property
    def redeemed(self) -> Decimal:
        """Redeemed net of the reversals of cancelled services."""
        return -(
            self.get(Metric.VOUCHERS, EntryKind.REDEMPTION)
            + self.get(Metric.VOUCHERS, EntryKind.REVERSAL)
        )

    @property
    def expired(self) -> Decimal:
        return -self.get(Metric.VOUCHERS, EntryKind.EXPIRY)

    @property
    def issued_year_to_date(self) -> Decimal:
        return self.get(ISSUED_YEAR_TO_DATE)

    @property
    def budget(self) -> Decimal | None:
        return self.values.get(Metric.VOUCHER_BUDGET, {}).get("")

    @property
    def budget_used_percent(self) -> int | None:
        if not self.budget:
            return None
        return round(self.issued_year_to_date * 100 / self.budget)

    # --- Volunteers ---

    @property
    def volunteer_hours(self) -> Decimal:
        return (self.get(Metric.VOLUNTEER_MINUTES) / 60).quantize(Decimal("0.1"))

    @property
    def volunteer_visits(self) -> int:
        return self.count(Metric.VOLUNTEER_VISITS)

    # --- Care calls and emergencies ---

    @property
    def care_calls(self) -> int:
        return self.count(Metric.CARE_CALLS)

    @property
    def care_calls_reached(self) -> int:
        return self.count(Metric.CARE_CALLS_REACHED)

    @property
    def cadence_due(self) -> int:
        return int(self.total(Metric.CADENCE_DUE))

    @property
    def cadence_met(self) -> int:
        return int(self.total(Metric.CADENCE_MET))

    @property
    def cadence_percent(self) -> int | None:
        if not self.cadence_due:
            return None
        return round(100 * self.cadence_met / self.cadence_due)

    @property
    def emergencies(self) -> int:
        return self.count(Metric.EMERGENCIES)

    @property
    def emergencies_open(self) -> int:
        return self.count(Metric.EMERGENCIES_OPEN)

    @property
    def response_mean_minutes(self) -> int | None:
        answered = self.count(Metric.EMERGENCIES_ANSWERED)
        if not answered:
            return None
        return round(self.get(Metric.RESPONSE_MINUTES) / answered)

    # --- Group activities ---

    @property
    def activities(self) -> int:
        return int(self.total(Metric.ACTIVITIES))

    @property
    def activity_attendances(self) -> int:
        return int(self.total(Metric.ACTIVITY_ATTENDANCES))


@dataclass
class Dashboard:
    first: datetime.date
    last: datetime.date
    stations: list[Station]
    station: Station | None  # the station view; None: the district view
    district: District | None
    as_of: RefreshRun | None
    snapshot_month: datetime.date | None
    by_station: dict[int, Figures]
    by_month: dict[datetime.date, Figures]
    totals: Figures

    @property
    def months(self) -> list[datetime.date]:
        return months_between(self.first, self.last)

    @property
    def budget_year(self) -> int:
        return self.last.year

    @cached_property
    def districts(self) -> list[District]:
        seen: dict[int, District] = {}
        for station in self.stations:
            seen.setdefault(station.district_id, station.district)
        return list(seen.values())

    def rows(self) -> list[tuple[Station, Figures]]:
        return [(s, self.by_station.get(s.pk, Figures())) for s in self.stations]

    def month_rows(self) -> list[tuple[datetime.date, Figures]]:
        return [(m, self.by_month.get(m, Figures())) for m in self.months]

    @property
    def is_stale(self) -> bool:
        return (
            self.as_of is None or timezone.now() - self.as_of.started_at > STALE_AFTER
        )


def dashboard_stations(*, user, district: District | None = None) -> QuerySet[Station]:
    """The active stations whose figures ``user`` may read."""
    stations = report_stations(user).filter(is_active=True)
    if district is not None:
        stations = stations.filter(district=district)
    return stations.select_related("district").order_by("district__code", "code")


def dashboard_districts(*, user) -> QuerySet[District]:
    ids = report_stations(user).filter(is_active=True).values("district_id")
    return District.objects.filter(pk__in=ids).order_by("code")


def dashboard_station(*, user, pk: int) -> Station:
    """One station of the user's reports; another station answers 404."""
    return get_visible_or_404(user, dashboard_stations(user=user), pk=pk)


def latest_refresh() -> RefreshRun | None:
    """The latest refresh of every station and the snapshot: the page's "as of"."""
    return (
        RefreshRun.objects.filter(all_stations=True, snapshot=True)
        .order_by("-started_at", "-pk")
        .first()
    )


def _figures(rows, key_field: str) -> dict:
    result: dict = defaultdict(Figures)
    for row in rows:
        result[row[key_field]].add(row["metric"], row["key"], row["v"])
    return dict(result)


def dashboard(
    *,
    user,
    first: datetime.date,
    last: datetime.date,
    station: Station | None = None,
    district: District | None = None,
) -> Dashboard:
    """The dashboard of the user's stations (or of one station) for ``first``–``last``.

    Six queries however many stations, months and records: the stations, the
    latest refresh, the flows per station and per month over the range, the
    latest snapshot within the range, and the year's issuance and budget.
    """
    if station is not None:
        stations = [station]
    else:
        stations = list(dashboard_stations(user=user, district=district))
    ids = [s.pk for s in stations]
    figures = MonthlyFigure.objects.filter(station_id__in=ids).order_by()
    flows = figures.filter(
        month__gte=first, month__lte=last, metric__in=FLOW_METRICS
    ).exclude(metric=Metric.VOUCHER_BUDGET)
    by_station = _figures(
        flows.values("station_id", "metric", "key").annotate(v=Sum("value")),
        "station_id",
    )
    by_month = _figures(
        flows.values("month", "metric", "key").annotate(v=Sum("value")), "month"
    )
    # The snapshot: the one taken by the latest refresh whose month lies within
    # the range (a closed month keeps the snapshot of its last refresh).
    snapshot_month_sq = (
        RefreshRun.objects.filter(snapshot=True, last_month__lte=last)
        .order_by("-last_month")
        .values("last_month")[:1]
    )
    snapshot_rows = list(
        figures.filter(
            metric__in=SNAPSHOT_METRICS, month=Subquery(snapshot_month_sq)
        ).values_list("station_id", "month", "metric", "key", "value")
    )
    snapshot_month = None
    for station_id, month, metric, key, value in snapshot_rows:
        by_station.setdefault(station_id, Figures()).add(metric, key, value)
        snapshot_month = month
    year_start = last.replace(month=1, day=1)
    for station_id, metric, value in (
        figures.filter(
            Q(
                metric=Metric.VOUCHERS,
                key=EntryKind.GRANT,
                month__gte=year_start,
                month__lte=last,
            )
            | Q(metric=Metric.VOUCHER_BUDGET, month=year_start)
        )
        .values("station_id", "metric")
        .annotate(v=Sum("value"))
        .values_list("station_id", "metric", "v")
    ):
        name = ISSUED_YEAR_TO_DATE if metric == Metric.VOUCHERS else metric
        by_station.setdefault(station_id, Figures()).add(name, "", value)
    totals = Figures()
    for station_id in ids:
        if station_id in by_station:
            totals.merge(by_station[station_id])
    return Dashboard(
        first=first,
        last=last,
        stations=stations,
        station=station,
        district=district,
        as_of=latest_refresh(),
        snapshot_month=snapshot_month,
        by_station=by_station,
        by_month=by_month,
        totals=totals,
    )
