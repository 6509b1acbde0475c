"""Home-page counts kept by the database instead of counted on every load.

A home page of a district of a million elders and millions of service records
cannot count them on each request. A *kept count* is declared once — the table,
its station column and the condition of the rows counted — and becomes:

* ``triggers_sql(...)``: statement-level triggers with transition tables that
  append, for every statement, one ``StationCount`` row per station whose count
  it changed (inserts, updates in and out of the condition, deletes; bulk and
  raw writes too), used in the app's migration with ``fill_sql`` to start from
  an exact count;
* ``kept_counts(stations, key)``: ``{station_id: n}`` from one grouped read of
  ``StationCount`` (a few rows per station), which a ``@home_counter`` returns.

``fold()`` sums each count's rows into one (the dashboard's scheduled refresh
calls it), so the read stays a few rows whatever the write traffic. Rows appended
meanwhile are not in the fold's snapshot and stay for the next.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet, Sum

from carecenter.home import StationCounts
from carecenter.models import StationCount

TABLE = StationCount._meta.db_table


@dataclass(frozen=True)
class KeptCount:
    """What a kept count counts: rows of ``table`` where ``condition`` holds,
    per ``station`` (SQL over one row of the table)."""

    key: str
    table: str
    station: str
    condition: str


_kept: dict[str, KeptCount] = {}


def declare(count: KeptCount) -> KeptCount:
    """Register a kept count (its migration installs the triggers), so that
    ``recount`` can start it again from the rows (after a bulk load with the
    triggers off)."""
    _kept[count.key] = count
    return count


def recount() -> None:
    """Every declared count again from an exact count of its rows, then the
    other apps' kept counts (``register_fold``'s ``recount``)."""
    with connection.cursor() as cursor:
        for count in _kept.values():
            cursor.execute(f"DELETE FROM {TABLE} WHERE key = %s", [count.key])
            cursor.execute(
                f"INSERT INTO {TABLE} (station_id, key, n) "
                f"SELECT {count.station}, %s, count(*) FROM {count.table} "
                f"WHERE {count.condition} GROUP BY 1",
                [count.key],
            )
    for again in _recounts:
        again()


def change_triggers_sql(
    *,
    name: str,
    table: str,
    into: str,
    columns: dict[str, str],
    condition: str = "TRUE",
) -> str:
    """A trigger function ``name()`` and its three statement-level triggers on
    ``table`` that append to ``into`` (``columns``…, ``n``) the change of the
    number of rows where ``condition`` holds, per group of ``columns`` (each an
    SQL expression over one row of ``table``): inserts, updates in and out of
    the condition or from one group to another, and deletes, bulk and raw writes
    alike. The one mechanism of every count kept this way."""
    names = ", ".join(columns)
    exprs = ", ".join(f"{expr} AS {column}" for column, expr in columns.items())

    def delta(rows: str, sign: int) -> str:
        return f"SELECT {exprs}, {sign} AS d FROM {rows} WHERE {condition}"

    insert = f"""
        INSERT INTO {into} ({names}, n)
        SELECT {names}, sum(d) FROM ({{rows}}) AS t
        GROUP BY {names} HAVING sum(d) <> 0;
    """
    both = delta("new_rows", 1) + " UNION ALL " + delta("old_rows", -1)
    return f"""
        CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {insert.format(rows=delta("new_rows", 1))}
            ELSIF TG_OP = 'DELETE' THEN
                {insert.format(rows=delta("old_rows", -1))}
            ELSE
                {insert.format(rows=both)}
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER {name}_insert AFTER INSERT ON {table}
            REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {name}();
        CREATE TRIGGER {name}_update AFTER UPDATE ON {table}
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {name}();
        CREATE TRIGGER {name}_delete AFTER DELETE ON {table}
            REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {name}();
    """


def drop_change_triggers_sql(*, name: str, table: str) -> str:
    """Undo ``change_triggers_sql``."""
    return f"""
        DROP TRIGGER IF EXISTS {name}_insert ON {table};
        DROP TRIGGER IF EXISTS {name}_update ON {table};
        DROP TRIGGER IF EXISTS {name}_delete ON {table};
        DROP FUNCTION IF EXISTS {name}();
    """


def triggers_sql(*, key: str, table: str, station: str, condition: str) -> str:
    """The trigger function and triggers that keep ``key`` for ``table``, and
    the count's start from an exact count."""
    triggers = change_triggers_sql(
        name=f"home_count_{key}",
        table=table,
        into=TABLE,
        columns={"station_id": station, "key": f"'{key}'"},
        condition=condition,
    )
    return f"""
        {triggers}
        DELETE FROM {TABLE} WHERE key = '{key}';
        INSERT INTO {TABLE} (station_id, key, n)
        SELECT {station}, '{key}', count(*) FROM {table} WHERE {condition}
        GROUP BY 1;
    """


def drop_sql(*, key: str, table: str) -> str:
    drop = drop_change_triggers_sql(name=f"home_count_{key}", table=table)
    return f"""
        {drop}
        DELETE FROM {TABLE} WHERE key = '{key}';
    """


def kept_counts(stations: QuerySet, key: str) -> StationCounts:
    """``{station_id: n}`` of a kept count for ``stations`` (one grouped read,
    with the home page's other counters)."""
    return StationCounts(
        StationCount.objects.filter(key=key, station_id__in=stations.values("pk"))
        .values("station_id")
        .annotate(total=Sum("n"))
        .values_list("station_id", "total")
    )


#: Other apps' kept counts folded and recounted with these (``register_fold``).
_folds: list[Callable[[], int]] = []
_recounts: list[Callable[[], None]] = []


def register_fold(
    func: Callable[[], int], *, recount: Callable[[], None] | None = None
) -> Callable[[], int]:
    """Fold another kept count whenever these are folded (an app's ``ready()``);
    ``func`` returns the number of rows it folded away. ``recount`` starts it
    again from its rows when these are recounted (after a bulk load with the
    triggers off)."""
    if func not in _folds:
        _folds.append(func)
    if recount is not None and recount not in _recounts:
        _recounts.append(recount)
    return func


def fold() -> int:
    """Sum the rows of every kept count into one per station and key (one
    statement), then the registered folds; returns the number of rows folded
    away."""
    return _fold_station_counts() + sum(func() for func in _folds)


def _fold_station_counts() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH taken AS (DELETE FROM {TABLE} RETURNING station_id, key, n),
            summed AS (
                INSERT INTO {TABLE} (station_id, key, n)
                SELECT station_id, key, sum(n) FROM taken
                GROUP BY station_id, key HAVING sum(n) <> 0
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM taken) - (SELECT count(*) FROM summed)
            """
        )
        return cursor.fetchone()[0]
