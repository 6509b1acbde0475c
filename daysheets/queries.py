"""Reads of the day sheets, from the user's scope, with their joins."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecenter.catalogue import DAY_SHEET_KINDS
from carecenter.home import count_by_station, home_counter
from carecenter.scoping import visible_to
from daysheets.models import Enrolment
from elders.models import Elder, Status
from services.models import ServiceRecord, ServiceType


def day_sheet_services() -> list[ServiceType]:
    return list(ServiceType.objects.filter(code__in=DAY_SHEET_KINDS, active=True))


def enrolled_on(day: datetime.date) -> Q:
    """Enrolments that serve ``day`` (in force and on its weekday)."""
    return Q(starts_on__lte=day, weekdays__contains=[day.weekday()]) & (
        Q(ends_on__isnull=True) | Q(ends_on__gte=day)
    )


def enrolment_list(*, user, station=None, service_type=None, current_on=None):
    queryset = visible_to(
        user, Enrolment.objects.select_related("elder", "service_type", "station")
    ).order_by("service_type_id", "elder__name", "pk")
    if station is not None:
        queryset = queryset.filter(station=station)
    if service_type is not None:
        queryset = queryset.filter(service_type=service_type)
    if current_on is not None:
        queryset = queryset.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=current_on))
    return queryset


@dataclass
class SheetRow:
    elder: Elder
    enrolment: Enrolment | None
    quantity: int
    record: ServiceRecord | None = None

    @property
    def walk_in(self) -> bool:
        return self.enrolment is None


@dataclass
class DaySheet:
    station: object
    service_type: ServiceType
    day: datetime.date
    rows: list[SheetRow] = field(default_factory=list)

    @property
    def recorded(self) -> int:
        return sum(1 for r in self.rows if r.record is not None)

    @property
    def to_take(self) -> list[SheetRow]:
        return [r for r in self.rows if r.record is None]


def day_sheet(
    *, user, station, service_type: ServiceType, day: datetime.date, walk_ins=()
) -> DaySheet:
    """The sheet of a station, service and day: the enrolled elders of that
    weekday, the walk-ins being added, and every elder already recorded that day
    (three queries whatever the number of rows)."""
    enrolments = list(
        visible_to(user, Enrolment.objects.select_related("elder"))
        .filter(
            enrolled_on(day),
            station=station,
            service_type=service_type,
            elder__status=Status.ACTIVE,
        )
        .order_by("elder__name", "elder_id")
    )
    records = {
        r.elder_id: r
        for r in visible_to(user, ServiceRecord.objects.select_related("elder"))
        .filter(
            station=station,
            service_type=service_type,
            service_day=day,
            cancelled_at__isnull=True,
        )
        .order_by("pk")
    }
    rows = [
        SheetRow(e.elder, e, max(len(e.meals), 1), records.get(e.elder_id))
        for e in enrolments
    ]
    listed = {r.elder.pk for r in rows}
    wanted = [int(pk) for pk in walk_ins if str(pk).isdigit() and int(pk) not in listed]
    extra = list(
        visible_to(user, Elder.objects.all())
        .filter(pk__in=wanted, station=station, status=Status.ACTIVE)
        .order_by("name", "pk")
    )
    rows += [SheetRow(e, None, 1, records.get(e.pk)) for e in extra]
    listed |= {e.pk for e in extra}
    rows += [
        SheetRow(r.elder, None, int(r.quantity), r)
        for r in records.values()
        if r.elder_id not in listed
    ]
    return DaySheet(station=station, service_type=service_type, day=day, rows=rows)


@dataclass
class RouteStop:
    address: str
    rows: list[SheetRow]


def route_list(sheet: DaySheet) -> list[RouteStop]:
    """A meal delivery's stops: the sheet's rows grouped by address, in address
    order, so the driver's A4 list reads door by door."""
    rows = sorted(sheet.rows, key=lambda r: (r.elder.address or "", r.elder.name))
    return [
        RouteStop(address, list(group))
        for address, group in groupby(rows, key=lambda r: r.elder.address or "")
    ]


def day_sheet_counts(*, user, stations, day: datetime.date) -> dict[int, list[dict]]:
    """Each station's sheets of a day: enrolled and recorded per service (two
    grouped queries whatever the number of stations)."""
    services = day_sheet_services()
    enrolled = {
        (station_id, service_id): n
        for station_id, service_id, n in visible_to(user, Enrolment.objects.all())
        .filter(enrolled_on(day), station__in=stations, elder__status=Status.ACTIVE)
        .order_by()
        .values_list("station_id", "service_type_id")
        .annotate(n=Count("pk"))
    }
    recorded = {
        (station_id, service_id): n
        for station_id, service_id, n in visible_to(user, ServiceRecord.objects.all())
        .filter(station__in=stations, service_day=day, cancelled_at__isnull=True)
        .order_by()
        .values_list("station_id", "service_type_id")
        .annotate(n=Count("pk"))
    }
    return {
        station.pk: [
            {
                "service_type": s,
                "enrolled": enrolled.get((station.pk, s.pk), 0),
                "recorded": recorded.get((station.pk, s.pk), 0),
            }
            for s in services
        ]
        for station in stations
    }


@home_counter(
    "day_sheet_meals_today",
    _("Meals and day care recorded today"),
    url_name="daysheets:index",
)
def recorded_today_counts(stations: QuerySet) -> dict[int, int]:
    return count_by_station(
        ServiceRecord.objects.filter(
            station__in=stations,
            service_day=timezone.localdate(),
            cancelled_at__isnull=True,
        )
    )
