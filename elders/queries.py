"""Reads of the elder archives, always from the user's scope, with their joins."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from carecenter import audit
from carecenter.catalogue import ServiceKind
from carecenter.home import home_counter
from carecenter.home_counts import KeptCount, declare, kept_counts
from carecenter.models import AccessAction, AccessLogEntry
from carecenter.scoping import (
    access_log_stations,
    get_visible_or_404,
    may_browse_access_log,
    may_read_archive,
    report_stations,
    scope_of,
    visible_to,
)
from elders import id_numbers
from elders.eligibility import annotate_tier, years_before
from elders.filters import ElderFilter
from elders.models import (
    BARTHEL_ITEMS,
    BarthelAssessment,
    Category,
    Elder,
    FamilyContact,
    LivingArrangement,
    NeedsSurvey,
    Status,
)


def elder_list(*, user, on: datetime.date | None = None) -> QuerySet[Elder]:
    """Every elder the user may see, with their ``tier``: today's as kept on the
    archive (an indexed column), or the rule evaluated on another day ``on``."""
    queryset = visible_to(user, Elder.objects.select_related("station"))
    if on is not None and on != timezone.localdate():
        return annotate_tier(queryset, on=on)
    return queryset.annotate(tier=F("current_tier"))


def elder_search(
    *, user, params, request=None, with_id_numbers: bool = False
) -> ElderFilter:
    """The list narrowed by the search, filters and sorting of ``params``;
    ``with_id_numbers``: the encrypted numbers joined (the export)."""
    queryset = elder_list(user=user)
    if with_id_numbers:
        queryset = queryset.select_related("id_number_record")
    return ElderFilter(params, queryset=queryset, request=request)


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
    if isinstance(found, QuerySet) and not found.query.order_by:
        found = found.order_by("name", "pk")
    return list(found[:limit])


#: Prefetches that higher apps add to the elder page's query for their sections
#: (registered from their ``ready()``), so the elders app never imports them.
ELDER_PAGE_PREFETCHES: list = []


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
        *[make() for make in ELDER_PAGE_PREFETCHES],
    )
    return get_visible_or_404(user, queryset, pk=pk)


def _fold_id_number(changes: list, before: dict, after: dict) -> list:
    """The ID number's two history fields read as one line: the masked tails,
    and a correction that kept the same last four characters says so."""
    changed_at = [c for c in changes if c.field == "id_number_changed_at"]
    changes = [c for c in changes if c.field != "id_number_changed_at"]
    if changed_at and not any(c.field == "id_number_last4" for c in changes):
        tail = id_numbers.mask(after.get("id_number_last4") or "")
        changes.append(
            audit.Change(
                "id_number_last4",
                str(Elder._meta.get_field("id_number_last4").verbose_name),
                tail,
                gettext("%(tail)s (corrected)") % {"tail": tail},
                tail,
                tail,
            )
        )
    return changes


def _describe_assessment(data: dict) -> str:
    day = data.get("assessed_on")
    total = sum(data.get(item) or 0 for item in BARTHEL_ITEMS)
    return f"{day:%Y-%m-%d} · {total}" if day else str(total)


def _history_mask(value):
    return id_numbers.mask(value or "") or None


ELDER_HISTORY = {
    "display": {"id_number_last4": _history_mask},
    # Denormalised from the station, and the override's own bookkeeping: the
    # override's tier and reason say it all.
    "quiet": {"district_id", "tier_override_at"},
    "related": (
        audit.Related(
            FamilyContact,
            "elder",
            lambda data: f"{data.get('name', '')} ({data.get('relation', '')})",
        ),
        audit.Related(
            BarthelAssessment,
            "elder",
            lambda data: (
                f"{data.get('assessed_on'):%Y-%m-%d}" if data.get("assessed_on") else ""
            ),
        ),
        audit.Related(
            NeedsSurvey,
            "elder",
            lambda data: (
                f"{data.get('surveyed_on'):%Y-%m-%d}" if data.get("surveyed_on") else ""
            ),
        ),
    ),
}


def elder_history(*, user, elder: Elder, limit: int = 50) -> list[audit.HistoryEntry]:
    """The archive's history with its contacts, assessments and surveys: readable
    labels, the actors' names, local time, ID numbers masked (for everyone: the
    history is no way around a reveal). For the archive's readers, not volunteers."""
    if not may_read_archive(user, elder):
        raise PermissionDenied(
            gettext("This page is for station staff and supervisors.")
        )
    return audit.history_of(
        elder,
        limit=limit,
        display=ELDER_HISTORY["display"],
        quiet=ELDER_HISTORY["quiet"],
        related=ELDER_HISTORY["related"],
        fold=_fold_id_number,
    )


def access_log(*, user, params=None) -> QuerySet[AccessLogEntry]:
    """The access log of the stations whose log ``user`` may read, newest first;
    ``params``: ``elder`` (an id), ``action``, ``user`` (a username)."""
    if not may_browse_access_log(user):
        raise PermissionDenied(
            gettext("The access log is for station managers and administrators.")
        )
    entries = AccessLogEntry.objects.select_related("station")
    if not scope_of(user).everything:  # administrators: stationless entries too
        entries = entries.filter(station__in=access_log_stations(user))
    params = params or {}
    elder = str(params.get("elder", "") or "")
    if elder:
        entries = entries.filter(elder_id=int(elder) if elder.isdigit() else -1)
    action = params.get("action", "")
    if action in AccessAction.values:
        entries = entries.filter(action=action)
    username = str(params.get("user", "") or "").strip()
    if username:
        entries = entries.filter(username=username)
    return entries.order_by("-at", "-id")


def with_elder_names(entries) -> list:
    """The entries with ``elder_name`` set (one query for the page)."""
    entries = list(entries)
    names = dict(
        Elder.objects.filter(
            pk__in={e.elder_id for e in entries if e.elder_id}
        ).values_list("pk", "name")
    )
    for entry in entries:
        entry.elder_name = names.get(entry.elder_id, "")
    return entries


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


#: Active or in an institution, kept by triggers (migration 0006, same values).
ELDERS_ON_FILE = declare(
    KeptCount(
        key="elders_on_file",
        table="elders_elder",
        station="station_id",
        condition="status IN ('active', 'institution')",
    )
)


@home_counter("elders", _("Elders on file"), url_name="elders:list")
def active_elder_counts(stations: QuerySet) -> dict[int, int]:
    """Read from the kept count, not counted over the district on every load."""
    return kept_counts(stations, ELDERS_ON_FILE.key)
