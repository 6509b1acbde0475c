"""Who is due a call at district scale: the cadence statement and the pages.

On the benchmark district (``bench/common.py``: 1,000,000 elders in 50 stations by
default) it adds care calls for a third of the elders living alone or empty-nest
(one to four each over the last 40 days) and measures:

1. ``care.cadence.due`` for one station (the due page's first page, 25 rows) and
   ``care.queries.due_counts`` for one station and for the whole district;
2. the server time of ``/care/`` (the due page) and ``/`` (the station's home with
   its panels and counters) as the first station's staff member, and of ``/care/``
   as the district's supervisor: median and p95 of 20 loads after 2 warm-ups;
3. the dashboard snapshot's cadence statement over every station
   (``supervision.aggregates.cadence_select``).

Run (see bench/README.md)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/carecenter_bench \\
        .venv/bin/python bench/care.py [--reuse] [--elders 1000000 --stations 50]

Not a test: it prints figures and fails only when the figures are wrong.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.db import connection
from django.test import Client
from django.utils import timezone

from bench import common
from bench.common import heading, say
from care import cadence, queries
from care.models import CareCall
from carecenter.models import Station
from elders.models import Elder
from supervision.aggregates import cadence_select


def add_calls(user_id: int) -> int:
    with connection.cursor() as cur:
        cur.execute("TRUNCATE care_carecall")
        cur.execute(
            """
            INSERT INTO care_carecall (station_id, elder_id, called_at, kind, outcome,
                notes, needs_follow_up, resolution_note, called_by_id, created_at)
            SELECT e.station_id, e.id,
                   now() - (((e.id * 7 + g) %% 40) || ' days')::interval,
                   'greeting',
                   CASE WHEN (e.id + g) %% 5 = 0 THEN 'no_answer' ELSE 'well' END,
                   '', false, '', %s, now()
            FROM elders_elder e
            CROSS JOIN generate_series(1, 1 + e.id %% 4) AS g
            WHERE (e.living_arrangement = 'alone' OR e.empty_nest) AND e.id %% 3 = 0
            """,
            [user_id],
        )
        cur.execute("ANALYZE care_carecall")
    return CareCall.objects.count()


def timed(label: str, fn, runs: int = 5) -> float:
    times = common.time_runs(fn, runs=runs, warmups=1)
    say(f"{label:<58} median {common.ms(common.median(times)):8.1f} ms")
    return common.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--elders", type=int, default=1_000_000)
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)

    url = common.configure()
    common.ensure_district(
        url=url, elders=args.elders, stations=args.stations, reuse=args.reuse
    )
    staff, supervisor = common.bench_users()
    heading("Machine")
    for label, value in common.machine_summary():
        say(f"{label:>11}: {value}")

    heading("Data")
    started = time.perf_counter()
    calls = add_calls(staff.pk)
    say(f"{calls:,} care calls inserted in {time.perf_counter() - started:.1f} s")
    station = Station.objects.order_by("pk").first()
    in_station = Elder.objects.filter(station=station)
    say(f"first station: {in_station.count():,} elders")

    heading("1. The cadence statement")
    problems = []
    today = timezone.localdate()
    first_page = timed(
        "due, one station, first 25 rows",
        lambda: list(cadence.due(in_station, today=today)[:25]),
    )
    timed(
        "due_counts, one station (home panel and counter)",
        lambda: queries.due_counts(Station.objects.filter(pk=station.pk), today=today),
    )
    district = timed(
        "due_counts, every station of the district",
        lambda: queries.due_counts(Station.objects.all(), today=today),
        runs=3,
    )
    counted = queries.due_counts(Station.objects.filter(pk=station.pk), today=today)
    listed = cadence.due(in_station, today=today).count()
    if counted.get(station.pk, (0, 0))[0] != listed:
        problems.append(f"due_counts {counted} disagrees with the list ({listed})")

    heading("2. Pages (server time through the test client)")
    rows = []
    for user, path in ((staff, "/care/"), (staff, "/"), (supervisor, "/care/")):
        client = Client()
        client.force_login(user)
        timing = common.time_request(client, path, runs=args.runs)
        if timing.status != 200:
            problems.append(f"{path} as {user}: {timing.status} {timing.error}")
            continue
        rows.append(
            (user.username, path, timing.median_ms, timing.p95_ms, timing.queries)
        )
    common.print_table(["user", "page", "median ms", "p95 ms", "SQL"], rows)

    heading("3. Dashboard snapshot: cadence of every station")
    ids = list(Station.objects.values_list("pk", flat=True))
    month = today.replace(day=1)
    select = cadence_select(ids, month, today)

    def snapshot():
        with connection.cursor() as cur:
            cur.execute(select.sql, select.params)
            return cur.fetchall()

    timed("cadence_select over every station", snapshot, runs=3)

    heading("Summary")
    say(f"due page statement (one station): {common.ms(first_page):.0f} ms")
    say(f"district due counts: {common.ms(district):.0f} ms")
    for problem in problems:
        say(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
