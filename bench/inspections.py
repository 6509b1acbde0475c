"""The annual inspection's refresh at district scale (issue: "Annual inspection").

On the benchmark district (1,000,000 elders in 50 stations) it adds a year of
service records (default 10,000,000, about 90 % with feedback and 2 % cancelled),
volunteers with certificates and training sessions, optionally the year's
voucher issuance (``--vouchers``: twelve months of grants in the ledger), and
measures:

1. ``inspections.figures.figures_for``: the figures of every station, with the
   time of each of its grouped statements and the plan of the services one;
2. ``inspections.actions.inspections_refresh``: the whole job (lock, figures,
   scoring, upsert), first creating the inspections, then refreshing them.

Run (see bench/README.md)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/carecenter_bench \\
        .venv/bin/python bench/inspections.py [--records 10000000] [--reuse]

Not a test: it prints figures and fails only when the results are wrong.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pgtrigger
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bench import common
from bench.common import bench_users, heading, say
from inspections import actions
from inspections.figures import Figures, _services, figures_for, year_bounds
from inspections.models import Inspection
from services.models import ServiceRecord
from volunteers.models import Certificate, TrainingSession, Volunteer
from vouchers import actions as voucher_actions
from vouchers.models import Grant, RunTrigger

YEAR = 2025

#: Audit triggers kept quiet while the records are generated (see common).
QUIET_TRIGGERS = (
    "services.ServiceRecord:insert_insert",
    "services.Feedback:insert_insert",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--elders", type=int, default=1_000_000)
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--vouchers", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each")
    args = parser.parse_args(argv)

    url = common.configure()
    district = common.ensure_district(
        url=url, elders=args.elders, stations=args.stations, reuse=args.reuse
    )
    ensure_year(district, records=args.records, vouchers=args.vouchers)
    heading("Machine")
    for label, value in common.machine_summary():
        say(f"{label:>11}: {value}")
    say(f"{'database':>11}: {common.database_size()}")

    problems: list[str] = []
    heading(f"1. figures_for({YEAR}) for {len(district.station_ids)} stations")
    times, statements = [], []
    for run in range(args.runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            figures = figures_for(YEAR, district.station_ids)
            times.append(time.perf_counter() - started)
        statements = captured.captured_queries
        say(f"run {run + 1}: {times[-1]:.2f} s, {len(statements)} statements")
    say(f"median: {common.median(times):.2f} s")
    common.print_table(
        ["statement", "seconds"],
        [(q["sql"][:70], float(q["time"])) for q in statements],
    )
    total = sum(sum(f.services_per_month) for f in figures.values())
    expected = services_expected()
    say(f"services counted: {total:,} (records not cancelled: {expected:,})")
    if total != expected:
        problems.append(f"counted {total} services, the table holds {expected}")
    say()
    say("Plan of the services statement:")
    for line in explain_services(district.station_ids):
        say(f"  {line}")

    heading(f"2. inspections_refresh(year={YEAR}): the whole job")
    Inspection.objects.filter(year=YEAR).delete()
    for run in range(args.runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            result = actions.inspections_refresh(year=YEAR)
            seconds = time.perf_counter() - started
        say(
            f"run {run + 1}: {seconds:.2f} s, {len(captured)} statements, "
            f"{len(result.created)} created, {len(result.refreshed)} refreshed"
        )
    if Inspection.objects.filter(year=YEAR).count() != len(district.station_ids):
        problems.append("not one inspection per station")

    if problems:
        heading("PROBLEMS")
        for problem in problems:
            say(f"- {problem}")
        return 1
    return 0


def ensure_year(district, *, records: int, vouchers: bool) -> None:
    """The year's service records, feedback, volunteers and trainings, once."""

    start, end = _year_bounds()
    found = ServiceRecord.objects.filter(
        station__in=district.station_ids, delivered_at__gte=start, delivered_at__lt=end
    ).count()
    if found == records:
        say(f"Reusing {found:,} service records of {YEAR}.")
    else:
        say(f"Building {records:,} service records of {YEAR} …")
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            _quiet(cur)
            cur.execute(
                "DELETE FROM services_feedback WHERE record_id IN (SELECT id FROM "
                "services_servicerecord WHERE station_id = ANY(%s))",
                [district.station_ids],
            )
            cur.execute(
                "DELETE FROM services_servicerecord WHERE station_id = ANY(%s)",
                [district.station_ids],
            )
            _insert_records(cur, district, records)
            say(f"  records: {time.perf_counter() - started:.1f} s")
            _insert_feedback(cur, district)
            say(f"  feedback: {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE services_servicerecord")
            cur.execute("VACUUM ANALYZE services_feedback")
        say(f"Built in {time.perf_counter() - started:.1f} s.")
    if not TrainingSession.objects.filter(station__in=district.station_ids).exists():
        _volunteers(district)
    if vouchers:
        _issue_year(district)


def _year_bounds():

    return year_bounds(YEAR)


def _quiet(cur) -> None:

    names = []
    for model, trigger in pgtrigger.registered(*QUIET_TRIGGERS):
        pgid = trigger.get_pgid(model)
        names += [f"{model._meta.db_table}:{pgid}", pgid]
    cur.execute(
        "SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + ",".join(names) + "}"]
    )


_RECORDS_SQL = """
WITH e AS (
    SELECT id, station_id, row_number() OVER (ORDER BY id) AS n
    FROM elders_elder WHERE station_id = ANY(%(stations)s)
), t AS (SELECT array_agg(id ORDER BY id) AS ids FROM services_servicetype)
INSERT INTO services_servicerecord
    (station_id, elder_id, service_type_id, staff_id, recorded_by_id, delivered_at,
     duration_minutes, quantity, price, voucher_paid, self_paid, notes, has_feedback,
     created_at, cancelled_at, cancel_reason)
SELECT e.station_id, e.id, t.ids[1 + g %% array_length(t.ids, 1)], %(staff)s,
       %(staff)s,
       %(start)s::timestamptz + ((g::bigint * 7919) %% %(seconds)s) * interval '1 s',
       30, 1, 20.00, 0, 20.00, '', g %% 10 <> 0, now(),
       CASE WHEN g %% 50 = 0 THEN now() END,
       CASE WHEN g %% 50 = 0 THEN 'bench' ELSE '' END
FROM generate_series(1, %(records)s) AS g
JOIN e ON e.n = 1 + (g::bigint * 104729) %% %(elders)s
CROSS JOIN t
"""


def _insert_records(cur, district, records: int) -> None:

    staff, _supervisor = bench_users()
    start, end = _year_bounds()
    cur.execute(
        _RECORDS_SQL,
        {
            "stations": district.station_ids,
            "staff": staff.pk,
            "start": start,
            "seconds": int((end - start).total_seconds()),
            "records": records,
            "elders": district.elders,
        },
    )


def _insert_feedback(cur, district) -> None:
    cur.execute(
        """
        INSERT INTO services_feedback
            (record_id, satisfaction, punctual, attitude, quality, comment, channel,
             recorded_at)
        SELECT id, 3 + id %% 3, true, 4, 4, '', 'phone', now()
        FROM services_servicerecord
        WHERE station_id = ANY(%s) AND has_feedback
        """,
        [district.station_ids],
    )


def _volunteers(district) -> None:

    volunteers = Volunteer.objects.bulk_create(
        [
            Volunteer(
                station_id=station_id,
                name=f"志愿者{n}",
                gender="F",
                birth_date=datetime.date(1960, 1, 1),
                phone="139",
            )
            for station_id in district.station_ids
            for n in range(40)
        ]
    )
    Certificate.objects.bulk_create(
        [
            Certificate(
                volunteer=v, kind="pre_job", issued_on=datetime.date(2024, 1, 1)
            )
            for n, v in enumerate(volunteers)
            if n % 5
        ]
    )
    TrainingSession.objects.bulk_create(
        [
            TrainingSession(
                station_id=station_id,
                held_on=datetime.date(YEAR, month, 10),
                topic="岗前培训",
                trainer="陈老师",
            )
            for station_id in district.station_ids
            for month in (3, 6, 9)
        ]
    )


def _issue_year(district) -> None:

    if Grant.objects.filter(month__year=YEAR).exists():
        say(f"Reusing the vouchers of {YEAR}.")
        return
    for month in range(1, 13):
        started = time.perf_counter()
        result = voucher_actions.month_issue(
            month=datetime.date(YEAR, month, 1), trigger=RunTrigger.COMMAND
        )
        say(
            f"  vouchers {YEAR}-{month:02d}: {result.grants_created:,} grants, "
            f"{time.perf_counter() - started:.1f} s"
        )


def services_expected() -> int:

    start, end = _year_bounds()
    return ServiceRecord.objects.filter(
        delivered_at__gte=start, delivered_at__lt=end, cancelled_at__isnull=True
    ).count()


def explain_services(station_ids) -> list[str]:

    with CaptureQueriesContext(connection) as captured:
        _services(YEAR, station_ids, {pk: Figures() for pk in station_ids})
    sql = captured.captured_queries[0]["sql"]
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in cur.fetchall()][:40]


if __name__ == "__main__":
    sys.exit(main())
