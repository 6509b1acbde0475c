"""How many obligations are due and overdue per station, kept by the database.

``Obligation`` keeps who owes a contact and from which day (``due_on``); the
station's home page shows how many are due within ``DUE_SOON_DAYS`` and how many
are overdue. Counting the due rows on each load costs what the district owes:
67 ms for the 364,494 due rows of a district of a million elders. Instead:

* ``TRIGGERS_SQL``: statement-level triggers with transition tables
  (``carecenter.home_counts.change_triggers_sql``) on
  ``care_obligation`` append one ``DueCount`` row per (station, due day) whose
  number a statement changed (stores, the nightly run, the contact trigger);
* ``counts(stations, today)``: ``{station_id: (due, overdue)}`` from one grouped
  read of a few rows per station;
* ``fold(today)``: sums the rows into one per (station, day), and every day
  already past into one row dated yesterday, so a station has a row for the
  past and one per day of the next month at most. The scheduled refresh folds
  (``carecenter.home_counts.fold`` calls the registered folds).

A past day stays past: an obligation due before today is overdue on every later
day until a contact moves it, which writes its change here. So collapsing the
past days changes no count.
"""

from __future__ import annotations

import datetime

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from care.models import DueCount, Obligation
from carecenter import home_counts

TABLE = DueCount._meta.db_table
OBLIGATIONS = Obligation._meta.db_table

#: The kept count's triggers (``carecenter.home_counts``' one mechanism): per
#: station and due day, the change of how many obligations fall due on it.
TRIGGERS_SQL = home_counts.change_triggers_sql(
    name="care_due_count",
    table=OBLIGATIONS,
    into=TABLE,
    columns={"station_id": "station_id", "due_on": "due_on"},
)
DROP_SQL = home_counts.drop_change_triggers_sql(
    name="care_due_count", table=OBLIGATIONS
)


def recount() -> None:
    """The counts again from the obligations (a first fill, or after a bulk
    load with the triggers off)."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE}")
        cursor.execute(
            f"INSERT INTO {TABLE} (station_id, due_on, n) "
            f"SELECT station_id, due_on, count(*) FROM {OBLIGATIONS} GROUP BY 1, 2"
        )
    fold()


def counts(
    stations: QuerySet, *, today: datetime.date, soon_days: int
) -> dict[int, tuple[int, int]]:
    """``{station_id: (due within soon_days or overdue, overdue)}`` (one query)."""
    scope, scope_params = stations.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT station_id, sum(n), sum(n) FILTER (WHERE due_on < %s)
            FROM {TABLE}
            WHERE station_id IN ({scope}) AND due_on <= %s
            GROUP BY station_id
            """,
            [today, *scope_params, today + datetime.timedelta(days=soon_days)],
        )
        return {
            station: (int(due), int(late or 0))
            for station, due, late in cursor.fetchall()
            if due
        }


def fold(today: datetime.date | None = None) -> int:
    """Sum the rows per (station, day), the days before ``today`` into one dated
    the day before; returns the number of rows folded away."""
    yesterday = (today or timezone.localdate()) - datetime.timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH taken AS (DELETE FROM {TABLE} RETURNING station_id, due_on, n),
            summed AS (
                INSERT INTO {TABLE} (station_id, due_on, n)
                SELECT station_id, GREATEST(due_on, %s), sum(n) FROM taken
                GROUP BY 1, 2 HAVING sum(n) <> 0
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM taken) - (SELECT count(*) FROM summed)
            """,
            [yesterday],
        )
        return cursor.fetchone()[0]
