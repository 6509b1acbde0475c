"""The year's figures of every station at once, for the annual inspection.

Six grouped queries, however many stations (PRODUCT.md: 50 stations, tens of
millions of service records):

1. services per month, services with feedback and the feedback's satisfaction,
   from ``services.ServiceRecord`` (cancelled records excluded; months in local
   time, one ``FILTER`` each) left-joined to ``services.Feedback``;
2. vouchers issued and redeemed net of reversals in the year's voucher months,
   from ``vouchers.LedgerEntry``;
3. the year's budget, from ``vouchers.StationBudget``;
4. assistance staff and volunteers, and how many hold a certificate valid on
   31 December, from ``volunteers.Volunteer`` and ``volunteers.Certificate``.
   Staff are the members of an assistance-staff team (助老服务队伍); everyone
   else registered is a volunteer. Those who have left are not counted: the
   roster is read as it is when the job runs, early in January;
5. training sessions held in the year, from ``volunteers.TrainingSession``;
6. volunteers' visits per local month, from ``volunteers.Visit`` (services
   too, counted on their own line);
7. group activities held in the year and their attendance
   (``activities.queries.month_counts``, one grouped query).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from activities.queries import month_counts as activity_counts
from inspections.models import MONTHS, no_services
from services.models import ServiceRecord
from services.queries import month_bounds
from volunteers.models import (
    Certificate,
    TeamKind,
    TrainingSession,
    Visit,
    Volunteer,
    VolunteerStatus,
)
from volunteers.qualifications import valid_on
from vouchers.models import ZERO, EntryKind, LedgerEntry, StationBudget


@dataclass
class Figures:
    """One station's figures of one year (the attributes of ``Inspection``)."""

    services_per_month: list[int] = field(default_factory=no_services)
    visits_per_month: list[int] = field(default_factory=no_services)
    services_with_feedback: int = 0
    satisfaction: Decimal | None = None
    voucher_budget: Decimal | None = None
    voucher_issued: Decimal = ZERO
    voucher_used: Decimal = ZERO
    staff_total: int = 0
    staff_certified: int = 0
    volunteers_total: int = 0
    volunteers_certified: int = 0
    trainings_held: int = 0
    activities_held: int = 0
    activity_attendances: int = 0

    FIELDS = (
        "services_per_month",
        "visits_per_month",
        "services_with_feedback",
        "satisfaction",
        "voucher_budget",
        "voucher_issued",
        "voucher_used",
        "staff_total",
        "staff_certified",
        "volunteers_total",
        "volunteers_certified",
        "trainings_held",
        "activities_held",
        "activity_attendances",
    )


def year_bounds(year: int) -> tuple[datetime.datetime, datetime.datetime]:
    """The aware start of ``year`` and of the next, in local time."""
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime(year, 1, 1, tzinfo=tz),
        datetime.datetime(year + 1, 1, 1, tzinfo=tz),
    )


def figures_for(year: int, station_ids) -> dict[int, Figures]:
    """``{station_id: Figures}`` of ``year`` for every station in ``station_ids``."""
    station_ids = list(station_ids)
    figures = {pk: Figures() for pk in station_ids}
    if not station_ids:
        return figures
    _services(year, station_ids, figures)
    _visits(year, station_ids, figures)
    _vouchers(year, station_ids, figures)
    _staff(year, station_ids, figures)
    for station_id, held in (
        TrainingSession.objects.filter(station__in=station_ids, held_on__year=year)
        .order_by()
        .values("station_id")
        .annotate(n=Count("pk"))
        .values_list("station_id", "n")
    ):
        figures[station_id].trainings_held = held
    start, end = year_bounds(year)
    for station_id, counts in activity_counts(station_ids, start, end).items():
        figures[station_id].activities_held = counts["activities"]
        figures[station_id].activity_attendances = counts["attendances"]
    return figures


def _services(year, station_ids, figures) -> None:
    # One row per station, a FILTER per local month: PostgreSQL aggregates 50
    # groups in a hash instead of sorting every record by (station, month).
    months = [month_bounds(datetime.date(year, m, 1)) for m in range(1, MONTHS + 1)]
    per_month = {
        f"m{n}": Count("pk", filter=Q(delivered_at__gte=start, delivered_at__lt=end))
        for n, (start, end) in enumerate(months, start=1)
    }
    rows = (
        ServiceRecord.objects.filter(
            station__in=station_ids,
            delivered_at__gte=months[0][0],
            delivered_at__lt=months[-1][1],
            cancelled_at__isnull=True,
        )
        .order_by()
        .values("station_id")
        .annotate(
            **per_month,
            with_feedback=Count("pk", filter=Q(has_feedback=True)),
            rated=Count("feedback"),
            satisfaction_sum=Sum("feedback__satisfaction"),
        )
    )
    for row in rows:
        item = figures[row["station_id"]]
        item.services_per_month = [row[f"m{n}"] for n in range(1, MONTHS + 1)]
        item.services_with_feedback = row["with_feedback"]
        if row["rated"]:
            item.satisfaction = (
                Decimal(row["satisfaction_sum"]) / row["rated"]
            ).quantize(Decimal("0.01"))


def _visits(year, station_ids, figures) -> None:
    """Volunteers' visits per local month (one grouped query, as for services)."""
    months = [month_bounds(datetime.date(year, m, 1)) for m in range(1, MONTHS + 1)]
    per_month = {
        f"m{n}": Count("pk", filter=Q(started_at__gte=start, started_at__lt=end))
        for n, (start, end) in enumerate(months, start=1)
    }
    rows = (
        Visit.objects.filter(
            station__in=station_ids,
            started_at__gte=months[0][0],
            started_at__lt=months[-1][1],
        )
        .order_by()
        .values("station_id")
        .annotate(**per_month)
    )
    for row in rows:
        figures[row["station_id"]].visits_per_month = [
            row[f"m{n}"] for n in range(1, MONTHS + 1)
        ]


def _vouchers(year, station_ids, figures) -> None:
    rows = (
        LedgerEntry.objects.filter(
            station__in=station_ids,
            month__gte=datetime.date(year, 1, 1),
            month__lte=datetime.date(year, 12, 1),
            kind__in=[EntryKind.GRANT, EntryKind.REDEMPTION, EntryKind.REVERSAL],
        )
        .order_by()
        .values("station_id")
        .annotate(
            issued=Sum("amount", filter=Q(kind=EntryKind.GRANT)),
            # Redemptions are negative, reversals positive: their sum is minus
            # what was spent on services that were not cancelled.
            net=Sum("amount", filter=~Q(kind=EntryKind.GRANT)),
        )
    )
    for row in rows:
        item = figures[row["station_id"]]
        item.voucher_issued = row["issued"] or ZERO
        item.voucher_used = -(row["net"] or ZERO) + ZERO
    for station_id, amount in StationBudget.objects.filter(
        station__in=station_ids, year=year
    ).values_list("station_id", "amount"):
        figures[station_id].voucher_budget = amount


def _staff(year, station_ids, figures) -> None:
    certified = Exists(
        Certificate.objects.filter(
            valid_on(datetime.date(year, 12, 31)), volunteer=OuterRef("pk")
        )
    )
    staff = Q(team__kind=TeamKind.ASSISTANCE)
    rows = (
        Volunteer.objects.filter(station__in=station_ids)
        .exclude(status=VolunteerStatus.LEFT)
        .annotate(certified=certified)
        .order_by()
        .values("station_id")
        .annotate(
            everyone=Count("pk"),
            staff=Count("pk", filter=staff),
            certified_all=Count("pk", filter=Q(certified=True)),
            certified_staff=Count("pk", filter=staff & Q(certified=True)),
        )
    )
    for row in rows:
        item = figures[row["station_id"]]
        item.staff_total = row["staff"]
        item.staff_certified = row["certified_staff"]
        item.volunteers_total = row["everyone"] - row["staff"]
        item.volunteers_certified = row["certified_all"] - row["certified_staff"]


__all__ = ["MONTHS", "Figures", "figures_for", "year_bounds"]
