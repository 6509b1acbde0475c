"""Reads of the elder archives, always from the user's scope, with their joins."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecenter.catalogue import ServiceKind
from carecenter.home import count_by_station, home_counter
from carecenter.scoping import get_visible_or_404, report_stations, visible_to
from elders.eligibility import annotate_tier, years_before
from elders.filters import ElderFilter
from elders.models import (
    BarthelAssessment,
    Category,
    Elder,
    FamilyContact,
    LivingArrangement,
    NeedsSurvey,
    Status,
)


def elder_list(*, user, on: datetime.date | None = None) -> QuerySet[Elder]:
    """Every elder the user may see, with today's tier (one SQL statement)."""
    queryset = visible_to(user, Elder.objects.select_related("station"))
    return annotate_tier(queryset, on=on or timezone.localdate())


def elder_search(*, user, params, request=None) -> ElderFilter:
    """The list narrowed by the search, filters and sorting of ``params``."""
    return ElderFilter(params, queryset=elder_list(user=user), request=request)


def elder_pick(
    *, user, q: str, station_id: int | None = None, limit: int = 15
) -> list[Elder]:
    """Active elders matching ``q`` (name, phone, ID tail) for a form's elder picker:
    within the user's scope, best matches first, at most ``limit``."""
    if not "".join((q or "").split()):
        return []
    queryset = visible_to(user, Elder.objects.select_related("station")).filter(
        status=Status.ACTIVE
    )
    if station_id is not None:
        queryset = queryset.filter(station_id=station_id)
    found = ElderFilter({"q": q}, queryset=queryset).qs
    if not found.query.order_by:
        found = found.order_by("name", "pk")
    return list(found[:limit])


def elder_detail(*, user, pk: int) -> Elder:
    queryset = Elder.objects.select_related(
        "station", "station__district", "tier_override_by"
    ).prefetch_related(
        Prefetch(
            "family_contacts",
            queryset=FamilyContact.objects.order_by("-is_emergency", "name"),
        ),
        Prefetch(
            "assessments",
            queryset=BarthelAssessment.objects.select_related("assessed_by").order_by(
                "-assessed_on", "-id"
            ),
        ),
        Prefetch(
            "needs_surveys",
            queryset=NeedsSurvey.objects.select_related("surveyed_by").order_by(
                "-surveyed_on", "-id"
            ),
        ),
    )
    return get_visible_or_404(user, queryset, pk=pk)


def related_for_elder(*, user, model, **lookup):
    """A family contact, assessment or survey, within scope (404 outside)."""
    return get_visible_or_404(
        user, model.objects.select_related("elder__station"), **lookup
    )


# --- The needs-survey summary (PRODUCT.md "Needs survey") --------------------------

#: Groups of the summary: the four age bands, then the special groups. An elder
#: counts in one age band and in every special group they belong to.
SUMMARY_GROUPS = [
    ("60-69", _("Aged 60–69")),
    ("70-79", _("Aged 70–79")),
    ("80-89", _("Aged 80–89")),
    ("90+", _("Aged 90 and over")),
    ("empty_nest_alone", _("Empty-nest or living alone")),
    ("difficulty", _("In difficulty")),
    ("disabled", _("Disabled")),
    ("centenarian", _("Centenarians")),
]
DIFFICULTY_CATEGORIES = [
    Category.THREE_NO,
    Category.EXTREMELY_POOR,
    Category.LOW_INCOME,
]


@dataclass
class NeedsSummary:
    on: datetime.date
    groups: list[tuple[str, str]]
    needs: list[tuple[str, str]]
    surveyed: dict[str, int]  # group -> elders with a survey
    counts: dict[tuple[str, str], int]  # (group, need) -> elders needing it

    def surveyed_row(self) -> list[int]:
        return [self.surveyed.get(group, 0) for group, _label in self.groups]

    def rows(self):
        """``(need code, label, [count per group])`` for needs anyone has."""
        for code, label in self.needs:
            figures = [
                self.counts.get((group, code), 0) for group, _label in self.groups
            ]
            if any(figures):
                yield code, label, figures


_GROUPS_SQL = """
    CROSS JOIN LATERAL (VALUES
        (CASE WHEN e.birth_date <= %(c90)s THEN '90+'
              WHEN e.birth_date <= %(c80)s THEN '80-89'
              WHEN e.birth_date <= %(c70)s THEN '70-79'
              WHEN e.birth_date <= %(c60)s THEN '60-69' END),
        (CASE WHEN e.living_arrangement = %(alone)s OR e.empty_nest
              THEN 'empty_nest_alone' END),
        (CASE WHEN e.financial_difficulty OR e.categories && %(difficulty)s::varchar[]
              THEN 'difficulty' END),
        (CASE WHEN %(disabled)s = ANY(e.categories) THEN 'disabled' END),
        (CASE WHEN e.birth_date <= %(c100)s THEN 'centenarian' END)
    ) AS g(grp)
"""


def needs_summary(
    *, user, station=None, on: datetime.date | None = None
) -> NeedsSummary:
    """Each elder's latest survey, counted by age band and special group (2 queries).

    Scoped by the stations whose reports the user may read (``report_stations``).
    """
    on = on or timezone.localdate()
    stations = report_stations(user)
    if station is not None:
        stations = stations.filter(pk=station.pk)
    params = {
        "stations": list(stations.values_list("pk", flat=True)),
        "statuses": [Status.ACTIVE, Status.INSTITUTION],
        **{f"c{n}": years_before(on, n) for n in (60, 70, 80, 90, 100)},
        "alone": LivingArrangement.ALONE,
        "difficulty": [str(c) for c in DIFFICULTY_CATEGORIES],
        "disabled": Category.DISABLED,
    }
    latest = f"""
        WITH latest AS (
            SELECT DISTINCT ON (s.elder_id) s.elder_id, s.needs
            FROM {NeedsSurvey._meta.db_table} s
            JOIN {Elder._meta.db_table} se ON se.id = s.elder_id
            WHERE se.station_id = ANY(%(stations)s) AND se.status = ANY(%(statuses)s)
            ORDER BY s.elder_id, s.surveyed_on DESC, s.id DESC
        )
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"""{latest}
            SELECT g.grp, count(*)
            FROM latest l JOIN {Elder._meta.db_table} e ON e.id = l.elder_id
            {_GROUPS_SQL}
            WHERE g.grp IS NOT NULL
            GROUP BY g.grp""",
            params,
        )
        surveyed = dict(cursor.fetchall())
        cursor.execute(
            f"""{latest}
            SELECT g.grp, n.need, count(*)
            FROM latest l JOIN {Elder._meta.db_table} e ON e.id = l.elder_id
            CROSS JOIN LATERAL unnest(l.needs) AS n(need)
            {_GROUPS_SQL}
            WHERE g.grp IS NOT NULL
            GROUP BY g.grp, n.need""",
            params,
        )
        counts = {(grp, need): n for grp, need, n in cursor.fetchall()}
    return NeedsSummary(
        on=on,
        groups=SUMMARY_GROUPS,
        needs=list(ServiceKind.choices),
        surveyed=surveyed,
        counts=counts,
    )


# --- Home page counters ------------------------------------------------------------


@home_counter("elders", _("Elders on file"), url_name="elders:list")
def active_elder_counts(stations: QuerySet) -> dict[int, int]:
    return count_by_station(
        Elder.objects.filter(
            station__in=stations, status__in=[Status.ACTIVE, Status.INSTITUTION]
        )
    )
