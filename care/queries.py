"""Reads of the care app, each starting from the caller's scope."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import CharField, F, Q, QuerySet, Value
from django.http import Http404
from django.utils import timezone

from care import cadence
from care import due_counts as due_counts_kept
from care.models import CareCall, Emergency, HealthReading, Obligation
from carecenter.home import StationCounts
from carecenter.scoping import get_visible_or_404, visible_to
from elders.models import Elder
from services.models import ReturnVisit, ReturnVisitOutcome
from volunteers.models import Visit


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- Care calls -----------------------------------------------------------------------


def call_list(*, user, elder: int | None = None, kind: str = "") -> QuerySet[CareCall]:
    queryset = visible_to(
        user, CareCall.objects.select_related("elder", "station", "called_by")
    )
    if elder is not None:
        queryset = queryset.filter(elder_id=elder)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset.order_by("-called_at", "-pk")


# --- Who is due -----------------------------------------------------------------------


@dataclass(frozen=True)
class DueRow:
    elder: Elder
    group: str
    group_label: str
    contact: str
    last_contact: datetime.datetime | None
    due_on: datetime.date
    overdue_days: int

    @property
    def overdue(self) -> bool:
        return self.overdue_days > 0


def due_obligations(
    *, user, today: datetime.date | None = None, contact: str | None = None
) -> QuerySet:
    """The (elder, group) rows due or overdue among the elders the user may see
    (``contact``: only the call rules, or only the visit rules), most overdue
    first: ``cadence.due``'s rows read from the kept ``Obligation`` rows, an
    index range of the station (or district) ending ``DUE_SOON_DAYS`` ahead."""
    today = today or timezone.localdate()
    queryset = visible_to(user, Obligation.objects.all()).filter(
        due_on__lte=today + datetime.timedelta(days=cadence.DUE_SOON_DAYS)
    )
    if contact is not None:
        queryset = queryset.filter(in_person=contact == cadence.VISIT)
    return queryset.order_by("due_on", "elder_id", "group").values(
        "station_id", "group", "last_contact", "due_on", pk=F("elder_id")
    )


def due_rows(rows, *, today: datetime.date | None = None) -> list[DueRow]:
    """Turn a page of ``due_obligations`` into rows with their elders (one query)."""
    today = today or timezone.localdate()
    rows = list(rows)
    elders = Elder.objects.select_related("station").in_bulk(
        {row["pk"] for row in rows}
    )
    return [
        DueRow(
            elder=elders[row["pk"]],
            group=row["group"],
            group_label=cadence.group_label(row["group"]),
            contact=cadence.GROUPS[row["group"]].contact,
            last_contact=row["last_contact"],
            due_on=row["due_on"],
            overdue_days=cadence.overdue_days(row["due_on"], today),
        )
        for row in rows
        if row["pk"] in elders
    ]


def due_counts(
    stations: QuerySet, *, today: datetime.date | None = None
) -> dict[int, tuple[int, int]]:
    """``{station_id: (due, overdue)}`` from the kept counts of the obligations'
    due days (``care.due_counts``: a few rows per station, whatever a district
    owes)."""
    return due_counts_kept.counts(
        stations,
        today=today or timezone.localdate(),
        soon_days=cadence.DUE_SOON_DAYS,
    )


# --- Emergencies ----------------------------------------------------------------------


def _emergencies(queryset) -> QuerySet[Emergency]:
    return queryset.select_related("elder", "station", "recorded_by", "closed_by")


def emergency_list(
    *, user, state: str = "", elder: int | None = None
) -> QuerySet[Emergency]:
    queryset = visible_to(user, _emergencies(Emergency.objects.all()))
    if state == "open":
        queryset = queryset.filter(closed_at__isnull=True)
    elif state == "closed":
        queryset = queryset.filter(closed_at__isnull=False)
    if elder is not None:
        queryset = queryset.filter(elder_id=elder)
    # Open ones first, newest first.
    return queryset.order_by(F("closed_at").desc(nulls_first=True), "-reported_at")


def emergency_detail(*, user, pk: int) -> Emergency:
    return get_visible_or_404(user, _emergencies(Emergency.objects.all()), pk=pk)


def open_emergencies(stations: QuerySet) -> list[Emergency]:
    return list(
        _emergencies(
            Emergency.objects.filter(
                station__in=stations.values("pk"), closed_at__isnull=True
            )
        ).order_by("reported_at")
    )


# --- Health readings ------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    measured_at: datetime.datetime
    systolic: int | None
    diastolic: int | None
    blood_sugar: object
    source: str  # "staff" or "visit"
    by: str


def readings(*, user, elder: Elder, limit: int | None = None) -> list[Reading]:
    """Staff readings and readings taken on volunteers' visits, newest first.

    One statement (``UNION ALL``) whatever the elder's history.
    """
    staff = (
        visible_to(user, HealthReading.objects.filter(elder=elder))
        .annotate(by=F("recorded_by__username"), src=_value("staff"))
        .values_list("measured_at", "systolic", "diastolic", "blood_sugar", "src", "by")
        .order_by()
    )
    visits = (
        visible_to(
            user,
            Visit.objects.filter(elder=elder).filter(
                Q(systolic__isnull=False) | Q(blood_sugar__isnull=False)
            ),
        )
        .annotate(by=F("volunteer__name"), src=_value("visit"), at=F("started_at"))
        .values_list("at", "systolic", "diastolic", "blood_sugar", "src", "by")
        .order_by()
    )
    combined = staff.union(visits, all=True).order_by("-measured_at")
    if limit is not None:
        combined = combined[:limit]
    return [Reading(*row) for row in combined]


def _value(text: str) -> Value:
    return Value(text, output_field=CharField())


def reading_list_for(*, user, elder_pk: int | None) -> tuple[Elder | None, list]:
    if elder_pk is None:
        return None, []
    elder = get_visible_or_404(
        user, Elder.objects.select_related("station"), pk=elder_pk
    )
    return elder, readings(user=user, elder=elder)


# --- Follow-ups of every source -------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    """An open follow-up: a volunteer's visit, a return visit that raised a
    problem, or a care call that asked for one."""

    kind: str  # "visit", "return_visit", "call"
    obj: object
    elder: Elder
    at: datetime.datetime
    reason: str
    by: str

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.obj.pk}"


def open_follow_ups(
    *, user, elder: int | None = None, limit: int | None = None
) -> list[FollowUp]:
    """Every open follow-up the user may see, oldest first (with ``limit``: the
    oldest ``limit``). Three queries (one per source, each on its partial
    index), whatever their number."""
    narrow = {} if elder is None else {"elder_id": elder}
    visits = visible_to(
        user,
        Visit.objects.filter(needs_follow_up=True, resolved_at__isnull=True, **narrow)
        .select_related("elder", "volunteer", "station")
        .order_by("started_at"),
    )
    returns = visible_to(
        user,
        ReturnVisit.objects.filter(
            outcome=ReturnVisitOutcome.ISSUE,
            resolved_at__isnull=True,
            **({} if elder is None else {"record__elder_id": elder}),
        )
        .select_related("record__elder", "record__station", "record__service_type")
        .select_related("visited_by")
        .order_by("visited_at"),
    )
    calls = visible_to(
        user,
        CareCall.objects.filter(
            needs_follow_up=True, resolved_at__isnull=True, **narrow
        )
        .select_related("elder", "station", "called_by")
        .order_by("called_at"),
    )
    if limit is not None:
        visits, returns, calls = visits[:limit], returns[:limit], calls[:limit]
    items = [
        *(
            FollowUp(
                "visit", v, v.elder, v.started_at, v.follow_up_reason, v.volunteer.name
            )
            for v in visits
        ),
        *(
            FollowUp(
                "return_visit",
                r,
                r.record.elder,
                r.visited_at,
                f"{r.record.service_type}: {r.notes}",
                str(r.visited_by),
            )
            for r in returns
        ),
        *(
            FollowUp("call", c, c.elder, c.called_at, c.notes, str(c.called_by))
            for c in calls
        ),
    ]
    items.sort(key=lambda item: item.at)
    return items if limit is None else items[:limit]


def follow_up_detail(*, user, kind: str, pk: int) -> FollowUp:
    """One open follow-up; another station's, a closed one or a missing one: 404."""
    if kind == "visit":
        v = get_visible_or_404(
            user,
            Visit.objects.filter(
                needs_follow_up=True, resolved_at__isnull=True
            ).select_related("elder", "volunteer", "station"),
            pk=pk,
        )
        return FollowUp(
            kind, v, v.elder, v.started_at, v.follow_up_reason, v.volunteer.name
        )
    if kind == "return_visit":
        r = get_visible_or_404(
            user,
            ReturnVisit.objects.filter(
                outcome=ReturnVisitOutcome.ISSUE, resolved_at__isnull=True
            ).select_related(
                "record__elder", "record__station", "record__service_type"
            ),
            pk=pk,
        )
        return FollowUp(
            kind,
            r,
            r.record.elder,
            r.visited_at,
            f"{r.record.service_type}: {r.notes}",
            "",
        )
    if kind == "call":
        c = get_visible_or_404(
            user,
            CareCall.objects.filter(
                needs_follow_up=True, resolved_at__isnull=True
            ).select_related("elder", "station"),
            pk=pk,
        )
        return FollowUp(kind, c, c.elder, c.called_at, c.notes, "")
    raise Http404


def open_follow_up_counts(stations: QuerySet) -> StationCounts:
    """``{station_id: open follow-ups of every source}`` from one statement
    (read with the home page's other counters)."""
    ids = stations.values("pk")
    parts = [
        Visit.objects.filter(
            station__in=ids, needs_follow_up=True, resolved_at__isnull=True
        ).values_list("station_id"),
        ReturnVisit.objects.filter(
            record__station__in=ids,
            outcome=ReturnVisitOutcome.ISSUE,
            resolved_at__isnull=True,
        ).values_list("record__station_id"),
        CareCall.objects.filter(
            station__in=ids, needs_follow_up=True, resolved_at__isnull=True
        ).values_list("station_id"),
    ]
    first, *rest = [p.order_by() for p in parts]
    sql, params = first.union(*rest, all=True).query.sql_with_params()
    return StationCounts(
        sql=f"SELECT s, count(*) FROM ({sql}) AS u(s) GROUP BY s", params=params
    )
