"""The counts on a station's home page ("today at the station").

Each app registers counters with ``@home_counter``. A counter takes the stations
being shown (an already scoped queryset) and returns ``{station_id: number}``
from one grouped query, so a district of 50 stations costs one query a counter.

Apps register *alerts* for administrators with ``@home_alert`` (a
reconciliation that disagrees, a job that failed).

Apps register *panels* with ``@home_panel``: a function that takes the
stations and the user and returns ``{station_id: context}`` for the panel's own
template (for example the open emergencies and who is due a call), shown at the
top of the station's section from a fixed number of queries.

Apps also register *notices* with ``@home_notice``: a function that takes the
stations and returns ``Notice`` rows (for example the annual inspection's
funding decision), shown above the station's counters to its own users, from
one query per source.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, QuerySet
from django.utils import timezone


@dataclass(frozen=True)
class Counter:
    key: str
    label: str
    func: Callable[[QuerySet], dict[int, int]]
    url_name: str = ""
    warn: bool = False  # a non-zero figure needs attention
    #: Waits for the station manager's decision: listed in the manager's
    #: "Waiting for you" panel.
    waiting: bool = False
    query: str = ""  # appended to the link (a filter of the list it opens)


_counters: list[Counter] = []


def home_counter(
    key: str,
    label,
    *,
    url_name: str = "",
    warn: bool = False,
    waiting: bool = False,
    query: str = "",
    replaces: str = "",
):
    """Register a counter; ``replaces`` takes the place of a lower app's counter
    that this one includes (the follow-ups of every source replace the visits').
    ``waiting``: it waits for the manager (their "Waiting for you" panel)."""

    def register(func):
        counter = Counter(key, label, func, url_name, warn, waiting, query)
        places = [i for i, c in enumerate(_counters) if replaces and c.key == replaces]
        if places:
            _counters[places[0]] = counter
        elif not any(c.key == key for c in _counters):
            _counters.append(counter)
        return func

    return register


@dataclass(frozen=True)
class Notice:
    station_id: int
    text: str
    url: str = ""
    level: str = "info"  # a Bootstrap alert colour: info, success, warning, danger


_notice_sources: list[Callable[[QuerySet], list[Notice]]] = []


def home_notice(func):
    if func not in _notice_sources:
        _notice_sources.append(func)
    return func


@dataclass(frozen=True)
class Alert:
    """Something the administrator must look at (not tied to one station)."""

    text: str
    url: str = ""
    level: str = "danger"


_alert_sources: list[Callable[[], list[Alert]]] = []


def home_alert(func):
    """Register a source of administrator alerts (e.g. the reconciliation's)."""
    if func not in _alert_sources:
        _alert_sources.append(func)
    return func


def alerts() -> list[Alert]:
    """Every registered source's alerts, for the administrator's home page."""
    return [alert for source in _alert_sources for alert in source()]


def notices_for(stations: QuerySet) -> dict[int, list[Notice]]:
    """``{station_id: [Notice, ...]}`` from every registered source."""
    result: dict[int, list[Notice]] = {}
    for source in _notice_sources:
        for notice in source(stations):
            result.setdefault(notice.station_id, []).append(notice)
    return result


def counters() -> list[Counter]:
    return list(_counters)


def _chosen(stations: QuerySet) -> QuerySet:
    """The stations of a page as a plain ``pk IN (ids)``, read once per page:
    the counters and panels filter on these ids instead of on the scope's own
    query (a subquery with its joins, built and compiled again by each). The
    same object for the counters and the panels of one page (``ids``: the ids
    in the scope's order)."""
    chosen = getattr(stations, "_home_chosen", None)
    if chosen is None:
        ids = list(stations.values_list("pk", flat=True))
        chosen = stations.model.objects.filter(pk__in=ids)
        chosen.ids = ids
        stations._home_chosen = chosen
    return chosen


#: The counters' one statement per (stations, local day, counters), built and
#: compiled once per process (``counts_for``). A counter's statement depends
#: only on the stations and the local day (a counter that reads anything else
#: into its statement must not return ``StationCounts``).
_statements: dict[tuple, tuple[list[str], list[str], str, list]] = {}
_STATEMENTS_KEPT = 512


def forget_statements() -> None:
    """Drop the kept statements (tests that change a counter's rule)."""
    _statements.clear()


def counts_for(stations: QuerySet) -> dict[int, dict[str, int]]:
    """``{station_id: {counter key: number}}`` for every registered counter.

    The counters' grouped counts (``count_by_station``) are read together, in
    one statement: a home page's dozen counters cost one round trip, not one
    each. That statement is built once per stations and day: the next page of
    the same stations runs it without building and compiling a dozen querysets
    again."""
    chosen = _chosen(stations)
    result: dict[int, dict[str, int]] = {s: {} for s in chosen.ids}
    key = (
        tuple(chosen.ids),
        timezone.localdate(),
        tuple(counter.key for counter in _counters),
    )
    kept = _statements.get(key)
    if kept is None:
        figures = {counter.key: counter.func(chosen) for counter in _counters}
        sql, params, part_keys, empty_keys = StationCounts.union(
            {k: f for k, f in figures.items() if isinstance(f, StationCounts)}
        )
        if len(_statements) >= _STATEMENTS_KEPT:
            _statements.clear()
        _statements[key] = (part_keys, empty_keys, sql, params)
    else:
        part_keys, empty_keys, sql, params = kept
        skip = {*part_keys, *empty_keys}
        figures = {
            counter.key: {} if counter.key in skip else counter.func(chosen)
            for counter in _counters
        }
    read = StationCounts.run(sql, params, len(part_keys))
    for part, counter_key in enumerate(part_keys):
        figures[counter_key] = read[part]
    for counter in _counters:
        counted = figures[counter.key]
        for station_id in result:
            result[station_id][counter.key] = counted.get(station_id, 0)
    return result


class StationCounts(Mapping):
    """``{station_id: n}`` of a grouped count, read when first looked at, or
    with the other counters in one statement (``counts_for``: ``union`` and
    ``run``)."""

    def __init__(self, rows: QuerySet | None = None, *, sql: str = "", params=()):
        """``rows``: a ``values_list(station, n)``; or a statement ``sql`` with
        its ``params`` selecting (station, n)."""
        self.rows = rows
        self.raw = (sql, list(params))
        self._data: dict[int, int] | None = None

    def _statement(self) -> tuple[str, list]:
        if self.rows is not None:
            return self.rows.query.sql_with_params()
        return self.raw

    def _loaded(self) -> dict[int, int]:
        if self._data is None:
            if self.rows is not None:
                self._data = dict(self.rows)
            else:
                with connection.cursor() as cursor:
                    cursor.execute(*self.raw)
                    self._data = dict(cursor.fetchall())
        return self._data

    def __getitem__(self, station_id):
        return self._loaded()[station_id]

    def __iter__(self):
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())

    def __repr__(self) -> str:
        return f"StationCounts({self._loaded()!r})"

    @staticmethod
    def union(counts: dict[str, StationCounts]):
        """One ``UNION ALL`` of the counts not read yet, by their keys: ``(sql,
        params, the keys it reads in order, the keys that need no reading)``."""
        parts, params, part_keys, empty_keys = [], [], [], []
        for key, counted in counts.items():
            if counted._data is not None:
                continue
            try:
                sql, part_params = counted._statement()
            except EmptyResultSet:  # e.g. station__in=[]: nothing to count
                counted._data = {}
                empty_keys.append(key)
                continue
            parts.append(f"SELECT {len(part_keys)}, s, n FROM ({sql}) AS t (s, n)")
            params += part_params
            part_keys.append(key)
        return " UNION ALL ".join(parts), params, part_keys, empty_keys

    @staticmethod
    def run(sql: str, params: list, parts: int) -> list[dict[int, int]]:
        """``[{station_id: n}, ...]`` for each part of a ``union``."""
        read: list[dict[int, int]] = [{} for _ in range(parts)]
        if parts:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                for part, station_id, n in cursor.fetchall():
                    read[part][station_id] = n
        return read


def count_by_station(
    queryset: QuerySet, station_field: str = "station", *, distinct: str = "pk"
) -> StationCounts:
    """One ``GROUP BY station`` over ``queryset``, counting distinct ``distinct``
    (read when looked at, or with the home page's other counters)."""
    rows = (
        queryset.order_by()
        .values(station_field)
        .annotate(n=Count(distinct, distinct=distinct != "pk"))
        .values_list(station_field, "n")
    )
    return StationCounts(rows)


@dataclass(frozen=True)
class Panel:
    key: str
    template: str
    func: Callable[..., dict[int, dict]]
    order: int = 100


@dataclass(frozen=True)
class PanelContent:
    template: str
    context: dict


_panels: list[Panel] = []


def home_panel(key: str, template: str, *, order: int = 100):
    """Register a panel of the station's home page (lower ``order`` first)."""

    def register(func):
        if not any(p.key == key for p in _panels):
            _panels.append(Panel(key, template, func, order))
            _panels.sort(key=lambda p: p.order)
        return func

    return register


def panels_for(stations: QuerySet, user) -> dict[int, list[PanelContent]]:
    """``{station_id: [PanelContent, ...]}``; a panel with nothing to show is left
    out."""
    result: dict[int, list[PanelContent]] = {}
    chosen = _chosen(stations)
    for panel in _panels:
        for station_id, context in panel.func(chosen, user).items():
            if context:
                result.setdefault(station_id, []).append(
                    PanelContent(panel.template, context)
                )
    return result
