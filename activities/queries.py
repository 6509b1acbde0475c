"""Reads of group activities, from the user's scope, with their joins."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activities.models import Activity, Participation
from carecenter.home import count_by_station, home_counter
from carecenter.scoping import get_visible_or_404, visible_to
from elders.models import Elder, Status
from services.queries import month_bounds

#: Elders who attended an activity of the station within this many days are
#: listed (unticked) on an attendance sheet, so regulars need no search.
REGULARS_DAYS = 90
REGULARS_MAX = 200


def activity_list(
    *, user, kind: str = "", when: str = "", elder: Elder | None = None
) -> QuerySet[Activity]:
    """Activities with their sign-up and attendance counts (one query a page)."""
    queryset = visible_to(
        user,
        Activity.objects.select_related(
            "station", "organiser_staff", "organiser_team", "organiser_provider"
        ),
    ).annotate(
        signed_up_count=Count(
            "participations", filter=Q(participations__signed_up=True)
        ),
        attended_count=Count("participations", filter=Q(participations__attended=True)),
    )
    if kind:
        queryset = queryset.filter(kind=kind)
    if elder is not None:
        queryset = queryset.filter(
            pk__in=Participation.objects.filter(elder=elder, attended=True).values(
                "activity_id"
            )
        )
    now = timezone.now()
    if when == "upcoming":
        return queryset.filter(starts_at__gte=now).order_by("starts_at", "pk")
    if when == "past":
        queryset = queryset.filter(starts_at__lt=now)
    return queryset.order_by("-starts_at", "-pk")


def activity_detail(*, user, pk: int) -> Activity:
    return get_visible_or_404(
        user,
        Activity.objects.select_related(
            "station", "organiser_staff", "organiser_team", "organiser_provider"
        ),
        pk=pk,
    )


def attendees(*, user, activity: Activity) -> QuerySet[Participation]:
    return (
        visible_to(user, Participation.objects.select_related("elder"))
        .filter(activity=activity, attended=True)
        .order_by("elder__name", "elder_id")
    )


@dataclass
class SheetRow:
    elder: Elder
    signed_up: bool
    attended: bool
    regular: bool = False


def attendance_sheet(*, user, activity: Activity, extra=()) -> list[SheetRow]:
    """Who may be ticked: the elders signed up or marked already, the elders
    being added by search, then the station's regulars (elders who attended an
    activity in the last 90 days). Three queries whatever the number of rows."""
    rows = {
        p.elder_id: SheetRow(p.elder, p.signed_up, p.attended)
        for p in visible_to(user, Participation.objects.select_related("elder"))
        .filter(activity=activity)
        .order_by("elder__name", "elder_id")
    }
    wanted = [int(pk) for pk in extra if str(pk).isdigit() and int(pk) not in rows]
    added = (
        visible_to(user, Elder.objects.all())
        .filter(pk__in=wanted, station_id=activity.station_id, status=Status.ACTIVE)
        .order_by("name", "pk")
    )
    for elder in added:
        rows[elder.pk] = SheetRow(elder, False, False)
    since = timezone.now() - datetime.timedelta(days=REGULARS_DAYS)
    regulars = (
        visible_to(user, Elder.objects.all())
        .filter(
            station_id=activity.station_id,
            status=Status.ACTIVE,
            pk__in=Participation.objects.filter(
                station_id=activity.station_id,
                attended=True,
                activity__starts_at__gte=since,
            ).values("elder_id"),
        )
        .exclude(pk__in=list(rows))
        .order_by("name", "pk")[:REGULARS_MAX]
    )
    listed = list(rows.values())
    listed += [SheetRow(e, False, False, regular=True) for e in regulars]
    return listed


def attended_by_elder(*, user, elder: Elder, limit: int = 10):
    """The elder's latest attended activities (the elder page's section)."""
    return (
        visible_to(user, Participation.objects.select_related("activity"))
        .filter(elder=elder, attended=True)
        .order_by("-activity__starts_at", "-activity_id")[:limit]
    )


def attended_prefetch(limit: int = 10) -> Prefetch:
    """For the elder page's query: the latest attended activities of each elder,
    one query whatever the elder's history (a window over the elder)."""
    return Prefetch(
        "activity_participations",
        queryset=Participation.objects.filter(attended=True)
        .select_related("activity")
        .order_by("-activity__starts_at", "-activity_id")[:limit],
        to_attr="activities_attended",
    )


def month_counts(stations, start, end) -> dict[int, dict[str, int]]:
    """Per station, the activities held between two times and the elders who
    attended them (one grouped query): the inspection's figures."""
    rows = (
        Activity.objects.filter(
            station__in=stations, starts_at__gte=start, starts_at__lt=end
        )
        .order_by()
        .values("station_id")
        .annotate(
            held=Count("pk", distinct=True),
            came=Count("participations", filter=Q(participations__attended=True)),
        )
        .values_list("station_id", "held", "came")
    )
    return {pk: {"activities": held, "attendances": came} for pk, held, came in rows}


def _this_month():
    return month_bounds(timezone.localdate())


@home_counter(
    "activities_this_month",
    _("Group activities this month"),
    url_name="activities:list",
)
def activities_this_month(stations: QuerySet) -> dict[int, int]:
    start, end = _this_month()
    return count_by_station(
        Activity.objects.filter(
            station__in=stations, starts_at__gte=start, starts_at__lt=end
        )
    )


@home_counter(
    "attendances_this_month",
    _("Attendances at activities this month"),
    url_name="activities:list",
)
def attendances_this_month(stations: QuerySet) -> dict[int, int]:
    start, end = _this_month()
    return count_by_station(
        Participation.objects.filter(
            station__in=stations,
            attended=True,
            activity__starts_at__gte=start,
            activity__starts_at__lt=end,
        )
    )
