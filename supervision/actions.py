"""The writes of the supervision app: recomputing the dashboard's figures.

Every refresh runs in one transaction under one transaction-level advisory lock,
so two refreshes (the schedule and a command, or two workers given the same
task) run one after the other, each on fresh data, and a refresh that dies
half-way leaves the figures as they were: running it again gives the result of
one clean run.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from carecenter import home_counts
from carecenter.models import Station
from carecenter.months import add_months
from supervision.aggregates import replace_family
from supervision.models import (
    FLOW_FAMILIES,
    SNAPSHOT_FAMILIES,
    Family,
    MonthlyFigure,
    RefreshRun,
    RefreshTrigger,
    StaleMonth,
)

#: pg_advisory_xact_lock key of the refresh ("supervisi" in ASCII, arbitrary).
REFRESH_LOCK = 0x7375706572766973


def this_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def _lock(cursor) -> None:
    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK])
    # The statements are costly enough for the JIT compiler to kick in, which
    # spends seconds compiling what runs in less (measured in bench/dashboard.py).
    cursor.execute("SET LOCAL jit = off")


#: After a refresh that changed more figures than this, the table's statistics are
#: renewed at once: the next refresh's anti-join of stored against fresh figures
#: must be planned as a hash join, not a nested loop over thousands of rows.
ANALYZE_AFTER = 1000


def _analyze_if_many(cursor, changed: int) -> None:
    if changed > ANALYZE_AFTER:
        cursor.execute(f"ANALYZE {MonthlyFigure._meta.db_table}")


def _take_marks(
    cursor, *, station_ids=None, first=None, last=None, families=None
) -> list[tuple]:
    """Delete the stale marks in scope and return them ``(station, family, month)``.

    Taken before the figures are recounted: a write committed before this point
    is seen by the recount; one committed later keeps its mark for next time.
    """
    conditions, params = [], []
    if station_ids is not None:
        conditions.append("station_id = ANY(%s::bigint[])")
        params.append(list(station_ids))
    if first is not None:
        conditions.append("month BETWEEN %s AND %s")
        params += [first, last]
    if families is not None:
        conditions.append("family = ANY(%s::varchar[])")
        params.append([str(f) for f in families])
    where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
    cursor.execute(
        f"DELETE FROM {StaleMonth._meta.db_table} {where} "
        "RETURNING station_id, family, month",
        params,
    )
    return cursor.fetchall()


def _fold_in(cursor, marks: Iterable[tuple], *, skip: tuple | None = None):
    """Recount each marked (family, month) for its stations; months within
    ``skip`` (first, last) were recounted whole already."""
    by_month: dict[tuple[str, datetime.date], set[int]] = defaultdict(set)
    for station_id, family, month in marks:
        if family not in FLOW_FAMILIES:
            continue
        if skip is not None and skip[0] <= month <= skip[1]:
            continue
        by_month[(family, month)].add(station_id)
    written = deleted = 0
    for (family, month), stations in sorted(by_month.items()):
        w, d = replace_family(cursor, family, sorted(stations), month, month)
        written, deleted = written + w, deleted + d
    return len(by_month), written, deleted


def _all_station_ids() -> list[int]:
    return list(Station.objects.order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def figures_refresh(
    *,
    first: datetime.date,
    last: datetime.date,
    stations: Iterable[Station] | None = None,
    trigger: str = RefreshTrigger.COMMAND,
) -> RefreshRun:
    """Recount every flow family for the months ``first``–``last`` and, when the
    range reaches the current month, take the snapshot (PRODUCT.md
    "Supervision"). Months after the current one are left out."""
    first, last = first.replace(day=1), min(last.replace(day=1), this_month())
    snapshot_on = None
    if first > last:
        raise ValueError("The first month comes after the last.")
    all_stations = stations is None
    station_ids = _all_station_ids() if all_stations else sorted(s.pk for s in stations)
    with connection.cursor() as cursor:
        _lock(cursor)
        started = timezone.now()
        _take_marks(
            cursor,
            station_ids=None if all_stations else station_ids,
            first=first,
            last=last,
        )
        written = deleted = 0
        for family in FLOW_FAMILIES:
            w, d = replace_family(cursor, family, station_ids, first, last)
            written, deleted = written + w, deleted + d
        current = this_month()
        snapshot = first <= current <= last
        if snapshot and all_stations:
            snapshot_on = timezone.localdate()
        if snapshot:
            for family in SNAPSHOT_FAMILIES:
                w, d = replace_family(cursor, family, station_ids, current, current)
                written, deleted = written + w, deleted + d
        _analyze_if_many(cursor, written + deleted)
    return RefreshRun.objects.create(
        trigger=trigger,
        started_at=started,
        finished_at=timezone.now(),
        first_month=first,
        last_month=last,
        all_stations=all_stations,
        snapshot=snapshot,
        snapshot_on=snapshot_on,
        figures_written=written,
        figures_deleted=deleted,
    )


def _snapshot_taken_whole_today() -> bool:
    return RefreshRun.objects.filter(snapshot_on=timezone.localdate()).exists()


@transaction.atomic
def figures_refresh_recent(*, trigger: str = RefreshTrigger.SCHEDULE) -> RefreshRun:
    """The scheduled refresh, proportional to what changed: the station-months
    that writes have marked (any month), the follow-ups and expiries, and the
    elders and needs of the stations whose elders or surveys changed — of every
    station once a day (ages move with the date) and at the first refresh of a
    month. Also folds the home page's kept counts (``carecenter.home_counts``)."""
    last = this_month()
    first = add_months(last, -1)
    with connection.cursor() as cursor:
        _lock(cursor)
        started = timezone.now()
        marks = _take_marks(cursor)
        station_ids = _all_station_ids()
        written = deleted = 0
        whole = not _snapshot_taken_whole_today()
        snapshot_stations = {
            family: station_ids
            if whole
            else sorted(
                {s for s, f, _m in marks if f == family and s in set(station_ids)}
            )
            for family in (Family.ELDERS, Family.NEEDS)
        }
        snapshot_stations[Family.ALERTS] = station_ids
        for family in SNAPSHOT_FAMILIES:
            stations = snapshot_stations[family]
            if stations:
                w, d = replace_family(cursor, family, stations, last, last)
                written, deleted = written + w, deleted + d
        folded, w, d = _fold_in(cursor, marks)
        _analyze_if_many(cursor, written + deleted + w + d)
    home_counts.fold()
    return RefreshRun.objects.create(
        trigger=trigger,
        started_at=started,
        finished_at=timezone.now(),
        first_month=first,
        last_month=last,
        all_stations=True,
        snapshot=True,
        snapshot_on=timezone.localdate() if whole else None,
        stale_months=folded,
        figures_written=written + w,
        figures_deleted=deleted + d,
    )


@transaction.atomic
def figures_refresh_changed(*, trigger: str = RefreshTrigger.COMMAND) -> RefreshRun:
    """Only the station-months that writes have touched since the last refresh:
    the incremental path, cheap whatever the size of the district."""
    with connection.cursor() as cursor:
        _lock(cursor)
        started = timezone.now()
        # The snapshot's marks stay for the scheduled refresh, which recounts them.
        marks = _take_marks(cursor, families=FLOW_FAMILIES)
        folded, written, deleted = _fold_in(cursor, marks)
        _analyze_if_many(cursor, written + deleted)
    months = [m for _s, _f, m in marks] or [this_month()]
    return RefreshRun.objects.create(
        trigger=trigger,
        started_at=started,
        finished_at=timezone.now(),
        first_month=min(months),
        last_month=max(months),
        all_stations=False,
        snapshot=False,
        stale_months=folded,
        figures_written=written,
        figures_deleted=deleted,
    )
