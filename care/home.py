"""The care app on the station's home page: open emergencies at the top until
closed, who is due a call or a visit, and counters. Also registers the elder
page's sections (``care.sections``)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from care import queries, sections  # noqa: F401  (registers the elder sections)
from care.models import Emergency
from carecenter.home import count_by_station, home_counter, home_panel

DUE_PANEL_ROWS = 5


def _due_counts(stations, today):
    """``queries.due_counts`` once per page: the panel and the counter receive
    the same stations queryset, which keeps the answer."""
    kept = getattr(stations, "_care_due_counts", None)
    if kept is None or kept[0] != today:
        kept = (today, queries.due_counts(stations, today=today))
        stations._care_due_counts = kept
    return kept[1]


@home_panel("care.emergencies", "care/_home_emergencies.html", order=10)
def emergencies_panel(stations, user) -> dict[int, dict]:
    result: dict[int, dict] = {}
    for emergency in queries.open_emergencies(stations):
        result.setdefault(emergency.station_id, {"emergencies": []})[
            "emergencies"
        ].append(emergency)
    return result


@home_panel("care.due", "care/_home_due.html", order=20)
def due_panel(stations, user) -> dict[int, dict]:
    """Per station: how many are due and overdue, and the most overdue few."""
    today = timezone.localdate()
    counts = _due_counts(stations, today)
    if not counts:
        return {}
    result = {}
    for station_id, (due, overdue) in counts.items():
        result[station_id] = {"due": due, "overdue": overdue, "rows": []}
    if len(counts) == 1:
        # A station's own page: the first few names, from one more statement.
        station_id = next(iter(counts))
        page = list(queries.due_obligations(user=user, today=today)[:DUE_PANEL_ROWS])
        result[station_id]["rows"] = queries.due_rows(page, today=today)
    return result


@home_counter(
    "care_overdue", _("Overdue care contacts"), url_name="care:due", warn=True
)
def overdue_counter(stations):
    return {
        station: overdue
        for station, (_due, overdue) in _due_counts(
            stations, timezone.localdate()
        ).items()
    }


@home_counter(
    "open_emergencies",
    _("Open emergencies"),
    url_name="care:emergency-list",
    warn=True,
)
def open_emergencies_counter(stations):
    return count_by_station(
        Emergency.objects.filter(
            station__in=stations.values("pk"), closed_at__isnull=True
        )
    )


@home_counter(
    "open_follow_ups",
    _("Open follow-ups"),
    url_name="care:follow-ups",
    warn=True,
    replaces="open_follow_ups",
)
def follow_ups_counter(stations):
    """Visits, return visits that raised a problem, and calls asking for one."""
    return queries.open_follow_up_counts(stations)
