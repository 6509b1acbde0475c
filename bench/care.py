"""Who is due a call at district scale: the kept obligations and the pages.

On the benchmark district (``bench/common.py``: 1,000,000 elders in 50 stations by
default) it adds care calls for a third of the elders living alone or empty-nest
(one to four each over the last 40 days; the triggers move their kept
obligations) and measures:

1. the definition, ``care.cadence.due`` for one station (what every page load
   computed before the rows were kept), for comparison;
2. the kept reads (``care.models.Obligation``): ``care.queries.due_obligations``'s
   first page for one station's staff, ``due_counts`` for one station and for the
   whole district, each checked against the definition;
3. the server time of ``/care/`` (the due page) and ``/`` (the station's home with
   its panels and counters) as the first station's staff member, and of ``/care/``
   as the district's supervisor: median and p95 of 20 loads after 2 warm-ups;
4. the nightly store of every elder (``cadence.obligations_store_all``) from an
   empty table and again with nothing to change (which must write nothing: the
   triggers kept the rows equal to the definition);
5. the dashboard snapshot's cadence statement over every station
   (``supervision.aggregates.cadence_select``).

Run (see bench/README.md)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/carecenter_bench \\
        .venv/bin/python bench/care.py [--reuse] [--elders 1000000 --stations 50]

Not a test: it prints figures and fails only when the figures are wrong.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.db import connection
from django.db.models import Count
from django.test import Client
from django.utils import timezone

from bench import common
from bench.common import heading, say
from care import cadence, queries
from care.models import CareCall, Obligation
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

    heading("1. The definition (computed over the station's elders)")
    problems = []
    today = timezone.localdate()
    computed = timed(
        "cadence.due, one station, first 25 rows",
        lambda: list(cadence.due(in_station, today=today)[:25]),
    )

    heading("2. The kept rows (care_obligation)")
    one = Station.objects.filter(pk=station.pk)
    first_page = timed(
        "due_obligations, one station, first 25 rows",
        lambda: list(queries.due_obligations(user=staff, today=today)[:25]),
    )
    one_counts = timed(
        "due_counts, one station (home panel and counter)",
        lambda: queries.due_counts(one, today=today),
    )
    district = timed(
        "due_counts, every station of the district",
        lambda: queries.due_counts(Station.objects.all(), today=today),
    )
    for line in common.explain(
        Obligation.objects.filter(
            station__in=one.values("pk"),
            due_on__lte=today + datetime.timedelta(days=cadence.DUE_SOON_DAYS),
        )
        .values("station_id")
        .annotate(n=Count("elder_id"))
        .order_by(),
        lines=8,
    ):
        say(f"    {line}")
    kept_page = list(queries.due_obligations(user=staff, today=today)[:25])
    if kept_page != list(cadence.due(in_station, today=today)[:25]):
        problems.append("the kept first page differs from the definition's")
    counted = queries.due_counts(Station.objects.all(), today=today)
    for s in Station.objects.order_by("pk")[:3]:
        rows = cadence.due(Elder.objects.filter(station=s), today=today)
        expected = (rows.count(), len([r for r in rows if r["due_on"] < today]))
        if counted.get(s.pk, (0, 0)) != expected:
            problems.append(f"{s.code}: kept counts {counted.get(s.pk)} != {expected}")

    heading("3. Pages (server time through the test client)")
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

    heading("4. The nightly store of every elder")
    with connection.cursor() as cur:
        # TRUNCATE fires no row trigger: the kept due counts go with it, and
        # the store's inserts count them again.
        cur.execute("TRUNCATE care_obligation, care_duecount")
    started = time.perf_counter()
    written = cadence.obligations_store_all(today=today)
    spent = common.ms(time.perf_counter() - started)
    say(f"{'from an empty table':<58} {spent:8.1f} ms, {written:,} rows")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE care_obligation")
    started = time.perf_counter()
    rewritten = cadence.obligations_store_all(today=today)
    spent = common.ms(time.perf_counter() - started)
    say(f"{'again, nothing changed':<58} {spent:8.1f} ms, {rewritten:,} rows")
    if rewritten:
        problems.append(f"a second store wrote {rewritten} rows")

    heading("5. Dashboard snapshot: cadence of every station")
    ids = list(Station.objects.values_list("pk", flat=True))
    month = today.replace(day=1)
    select = cadence_select(ids, month, today)

    def snapshot():
        with connection.cursor() as cur:
            cur.execute(select.sql, select.params)
            return cur.fetchall()

    timed("cadence_select over every station", snapshot, runs=3)

    heading("Summary")
    say(f"computed due page statement (one station): {common.ms(computed):.0f} ms")
    say(f"kept due page first rows (one station): {common.ms(first_page):.1f} ms")
    say(f"kept due counts (one station): {common.ms(one_counts):.1f} ms")
    say(f"kept due counts (district): {common.ms(district):.1f} ms")
    for problem in problems:
        say(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
