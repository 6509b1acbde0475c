"""Reads of the volunteers app, always from the user's scope, with their joins."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field

import django_filters
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecenter.catalogue import ServiceKind
from carecenter.home import count_by_station, home_counter
from carecenter.models import Station
from carecenter.scoping import get_visible_or_404, visible_to
from elders.eligibility import years_before
from elders.filters import ALL, StableOrderingFilter
from elders.models import Elder
from volunteers.models import (
    Certificate,
    HoursEntry,
    Pairing,
    Team,
    TrainingSession,
    Visit,
    Volunteer,
    VolunteerStatus,
)

#: Certificates expiring within this many days are flagged on the station home.
EXPIRY_WARNING_DAYS = 30

AGE_BANDS = [
    ("under-30", _("Under 30")),
    ("30-44", _("30–44")),
    ("45-59", _("45–59")),
    ("60-69", _("60–69")),
    ("70+", _("70 and over")),
]


def age_band_range(band: str, today: datetime.date) -> Q:
    """Birth dates of the volunteers in ``band`` on ``today`` (uses the index)."""
    if band == "under-30":
        return Q(birth_date__gt=years_before(today, 30))
    if band == "70+":
        return Q(birth_date__lte=years_before(today, 70))
    low, high = (int(x) for x in band.split("-"))
    return Q(birth_date__lte=years_before(today, low)) & Q(
        birth_date__gt=years_before(today, high + 1)
    )


def _stations(request):
    if request is None:
        return Station.objects.none()
    return visible_to(request.user, Station.objects.filter(is_active=True))


def _teams(request):
    if request is None:
        return Team.objects.none()
    return visible_to(request.user, Team.objects.all())


class VolunteerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    station = django_filters.ModelChoiceFilter(
        queryset=_stations,
        to_field_name="code",
        label=_("Station"),
        empty_label=ALL,
    )
    team = django_filters.ModelChoiceFilter(
        queryset=_teams, label=_("Team"), empty_label=ALL
    )
    specialty = django_filters.ChoiceFilter(
        choices=ServiceKind.choices,
        method="filter_specialty",
        label=_("Specialty"),
        empty_label=ALL,
    )
    age_band = django_filters.ChoiceFilter(
        choices=AGE_BANDS,
        method="filter_age_band",
        label=_("Age band"),
        empty_label=ALL,
    )
    status = django_filters.ChoiceFilter(
        choices=VolunteerStatus.choices, label=_("Status"), empty_label=ALL
    )
    ordering = StableOrderingFilter(
        fields=(("name", "name"), ("birth_date", "birth_date")),
        field_labels={"name": _("Name"), "birth_date": _("Birth date")},
        label=_("Sort by"),
        empty_label=_("Name"),
    )

    class Meta:
        model = Volunteer
        fields: list[str] = []

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(phone__contains=value)
            | Q(occupation__icontains=value)
        )

    def filter_specialty(self, queryset, name, value):
        return queryset.filter(specialties__contains=[value]) if value else queryset

    def filter_age_band(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(age_band_range(value, timezone.localdate()))


# --- Volunteers and teams -------------------------------------------------------------


def volunteer_list(*, user) -> QuerySet[Volunteer]:
    return visible_to(
        user, Volunteer.objects.select_related("station", "team", "user")
    ).order_by("name", "pk")


def volunteer_search(*, user, params, request=None) -> VolunteerFilter:
    return VolunteerFilter(params, queryset=volunteer_list(user=user), request=request)


def volunteer_detail(*, user, pk: int) -> Volunteer:
    return get_visible_or_404(
        user, Volunteer.objects.select_related("station", "team", "user"), pk=pk
    )


def volunteer_certificates(*, volunteer: Volunteer) -> QuerySet[Certificate]:
    return volunteer.certificates.order_by("-issued_on", "-pk")


def volunteer_pairings(*, volunteer: Volunteer) -> QuerySet[Pairing]:
    return volunteer.pairings.select_related("elder").order_by("-active", "-claimed_at")


def volunteer_recent_visits(*, volunteer: Volunteer, limit: int = 10) -> list[Visit]:
    return list(
        volunteer.visits.select_related("elder").order_by("-started_at")[:limit]
    )


def team_list(*, user) -> QuerySet[Team]:
    return (
        visible_to(user, Team.objects.select_related("station", "leader"))
        .annotate(
            member_count=Count(
                "members", filter=Q(members__status=VolunteerStatus.ACTIVE)
            )
        )
        .order_by("station__code", "name", "pk")
    )


def team_detail(*, user, pk: int) -> Team:
    return get_visible_or_404(
        user, Team.objects.select_related("station", "leader"), pk=pk
    )


def training_list(*, user) -> QuerySet[TrainingSession]:
    return (
        visible_to(user, TrainingSession.objects.select_related("station"))
        .annotate(attendee_count=Count("attendees"))
        .order_by("-held_on", "-pk")
    )


def training_detail(*, user, pk: int) -> TrainingSession:
    return get_visible_or_404(
        user,
        TrainingSession.objects.select_related("station").prefetch_related("attendees"),
        pk=pk,
    )


def certificate_list(*, user, expiring_only: bool = False) -> QuerySet[Certificate]:
    queryset = visible_to(
        user, Certificate.objects.select_related("volunteer", "volunteer__station")
    )
    if expiring_only:
        queryset = queryset.filter(expiring_soon())
    return queryset.order_by("expires_on", "volunteer__name", "pk")


def expiring_soon(today: datetime.date | None = None) -> Q:
    """Certificates valid today that expire within ``EXPIRY_WARNING_DAYS`` days."""
    today = today or timezone.localdate()
    return Q(
        expires_on__gte=today,
        expires_on__lte=today + datetime.timedelta(days=EXPIRY_WARNING_DAYS),
    )


# --- Pairings -------------------------------------------------------------------------


def pairing_list(
    *, user, state: str = "", elder: int | None = None
) -> QuerySet[Pairing]:
    queryset = visible_to(
        user,
        Pairing.objects.select_related("volunteer", "elder", "station", "approved_by"),
    )
    if elder is not None:
        queryset = queryset.filter(elder_id=elder)
    if state == "claimed":
        queryset = queryset.filter(active=True, approved_at__isnull=True)
    elif state == "approved":
        queryset = queryset.filter(active=True, approved_at__isnull=False)
    elif state == "ended":
        queryset = queryset.filter(active=False)
    return queryset.order_by("-active", "-claimed_at", "-pk")


def pairing_detail(*, user, pk: int) -> Pairing:
    return get_visible_or_404(
        user,
        Pairing.objects.select_related(
            "volunteer",
            "elder",
            "station",
            "station__district",
            "approved_by",
            "claimed_by",
        ),
        pk=pk,
    )


# --- A volunteer's own pages ----------------------------------------------------------


def volunteer_of(user) -> Volunteer | None:
    """The volunteer record linked to ``user``'s login, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Volunteer.objects.select_related("station").filter(user=user).first()


def my_elders(*, user, volunteer: Volunteer) -> QuerySet[Elder]:
    """The elders of the volunteer's active, approved pairings, with the last visit."""
    last_visit = (
        Visit.objects.filter(volunteer=volunteer, elder=OuterRef("pk"))
        .order_by("-started_at")
        .values("started_at")[:1]
    )
    pairing = Pairing.objects.filter(
        volunteer=volunteer,
        elder=OuterRef("pk"),
        active=True,
        approved_at__isnull=False,
    )
    return (
        visible_to(user, Elder.objects.all())
        .filter(pk__in=pairing.values("elder_id"))
        .annotate(
            last_visit=Subquery(last_visit),
            pairing_id=Subquery(pairing.values("pk")[:1]),
            pairing_schedule=Subquery(pairing.values("schedule")[:1]),
        )
        .order_by("name", "pk")
    )


def paired_elder(*, user, volunteer: Volunteer, pk: int) -> Elder:
    """One elder of the volunteer's pairings; any other answers 404."""
    return get_visible_or_404(
        user,
        Elder.objects.filter(
            pairings__volunteer=volunteer,
            pairings__active=True,
            pairings__approved_at__isnull=False,
        ).distinct(),
        pk=pk,
    )


def visit_detail(*, user, pk: int) -> Visit:
    return get_visible_or_404(
        user,
        Visit.objects.select_related(
            "volunteer", "elder", "station", "resolved_by", "logged_by"
        ),
        pk=pk,
    )


def visit_sent_before(*, user, client_id) -> Visit | None:
    """The visit ``user`` may see that was logged under ``client_id``, if any.

    ``client_id`` comes as the phone sent it: anything but a UUID finds nothing
    (the form or serializer then says what is wrong with it).
    """
    try:
        client_id = uuid.UUID(str(client_id))
    except ValueError:
        return None
    return (
        visit_list(user=user)
        .select_related("resolved_by", "logged_by")
        .filter(client_id=client_id)
        .first()
    )


# --- Follow-ups -----------------------------------------------------------------------


def open_follow_ups(*, user, elder: int | None = None) -> QuerySet[Visit]:
    """Visits flagged "needs follow-up" that staff have not resolved, oldest first."""
    queryset = Visit.objects.filter(needs_follow_up=True, resolved_at__isnull=True)
    if elder is not None:
        queryset = queryset.filter(elder_id=elder)
    return visible_to(
        user,
        queryset.select_related("volunteer", "elder", "station").order_by(
            "started_at", "pk"
        ),
    )


def resolved_follow_ups(
    *, user, limit: int = 20, elder: int | None = None
) -> list[Visit]:
    queryset = Visit.objects.filter(needs_follow_up=True, resolved_at__isnull=False)
    if elder is not None:
        queryset = queryset.filter(elder_id=elder)
    return list(
        visible_to(
            user,
            queryset.select_related("volunteer", "elder", "resolved_by").order_by(
                "-resolved_at", "-pk"
            ),
        )[:limit]
    )


def visit_list(*, user, elder: int | None = None) -> QuerySet[Visit]:
    """Visits the user may see, newest first (one elder's from their page)."""
    queryset = Visit.objects.all()
    if elder is not None:
        queryset = queryset.filter(elder_id=elder)
    return visible_to(
        user,
        queryset.select_related("volunteer", "elder", "station").order_by(
            "-started_at", "-pk"
        ),
    )


# --- Hours (the time-bank ledger) -----------------------------------------------------


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    months = []
    month = first.replace(day=1)
    while month <= last:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


@dataclass
class HoursRow:
    key: int | None
    name: str
    team: str = ""
    station: str = ""
    minutes: dict[datetime.date, int] = field(default_factory=dict)

    def by_month(self, months: list[datetime.date]) -> list[int]:
        return [self.minutes.get(m, 0) for m in months]

    @property
    def total(self) -> int:
        return sum(self.minutes.values())


@dataclass
class HoursReport:
    months: list[datetime.date]
    volunteers: list[HoursRow]
    teams: list[HoursRow]

    @property
    def month_totals(self) -> list[int]:
        return [sum(r.minutes.get(m, 0) for r in self.volunteers) for m in self.months]

    @property
    def total(self) -> int:
        return sum(r.total for r in self.volunteers)


def hours_report(
    *,
    user,
    first: datetime.date,
    last: datetime.date,
    volunteer: Volunteer | None = None,
) -> HoursReport:
    """Minutes per volunteer and per team for each month from ``first`` to ``last``.

    One grouped query over the ledger (volunteer, team, month); the team rows are
    sums of their volunteers' rows.
    """
    months = months_between(first, last)
    entries = visible_to(user, HoursEntry.objects.all()).filter(
        month__gte=months[0], month__lte=months[-1]
    )
    if volunteer is not None:
        entries = entries.filter(volunteer=volunteer)
    rows = (
        entries.order_by()
        .values(
            "volunteer_id",
            "volunteer__name",
            "volunteer__team_id",
            "volunteer__team__name",
            "station__code",
            "month",
        )
        .annotate(minutes=Sum("minutes"))
    )
    volunteers: dict[int, HoursRow] = {}
    teams: dict[int | None, HoursRow] = {}
    for row in rows:
        person = volunteers.setdefault(
            row["volunteer_id"],
            HoursRow(
                row["volunteer_id"],
                row["volunteer__name"],
                row["volunteer__team__name"] or "",
                row["station__code"],
            ),
        )
        person.minutes[row["month"]] = row["minutes"]
        team = teams.setdefault(
            row["volunteer__team_id"],
            HoursRow(
                row["volunteer__team_id"],
                row["volunteer__team__name"] or str(_("No team")),
                station=row["station__code"],
            ),
        )
        team.minutes[row["month"]] = team.minutes.get(row["month"], 0) + row["minutes"]
    return HoursReport(
        months=months,
        volunteers=sorted(volunteers.values(), key=lambda r: (r.station, r.name)),
        teams=sorted(teams.values(), key=lambda r: (r.station, r.name)),
    )


def volunteer_total_minutes(*, volunteer: Volunteer) -> int:
    return volunteer.hours_entries.aggregate(n=Sum("minutes"))["n"] or 0


def last_visit_at(*, volunteer: Volunteer):
    return volunteer.visits.aggregate(at=Max("started_at"))["at"]


# --- Home page counters ---------------------------------------------------------------


@home_counter(
    "open_follow_ups",
    _("Open follow-ups"),
    url_name="volunteers:follow-ups",
    warn=True,
)
def open_follow_up_counts(stations: QuerySet) -> dict[int, int]:
    return count_by_station(
        Visit.objects.filter(
            station__in=stations, needs_follow_up=True, resolved_at__isnull=True
        )
    )


@home_counter(
    "certificates_expiring",
    _("Certificates expiring within 30 days"),
    url_name="volunteers:certificates",
    warn=True,
)
def expiring_certificate_counts(stations: QuerySet) -> dict[int, int]:
    return count_by_station(
        Certificate.objects.filter(
            expiring_soon(),
            volunteer__station__in=stations,
            volunteer__status=VolunteerStatus.ACTIVE,
        ),
        "volunteer__station",
    )
