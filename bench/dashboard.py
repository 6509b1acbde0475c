"""The district dashboard at district scale (issue: "Supervision", Measure).

With 1,000,000 elders in 50 stations and 10,000,000 service records over 24 months
on PostgreSQL it measures, in one run:

1. the **build** of the activity data (service records, feedback, volunteers and
   their visits and hours, needs surveys, certificates, agreements, budgets and
   two months of voucher issuance), set-based;
2. a **full rebuild** of the dashboard's figures (``supervision.actions.
   figures_refresh`` over every month) and the **scheduled refresh**
   (``figures_refresh_recent``: current and previous month and the snapshot);
3. the **dashboard's server time** through Django's test client as the district's
   supervisor: median and p95 of 20 loads after 2 warm-ups, SQL statements per
   load (target: median under 200 ms for the district page);
4. the cost of **keeping the figures current when 1,000 service records are
   added**: the insert (with its mark triggers), then the incremental refresh of
   the marked station-months (``figures_refresh_changed``), checked against a
   direct count; the 1,000 records are removed afterwards.

Run (see bench/README.md)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/carecenter_bench_dash \\
        .venv/bin/python bench/dashboard.py [--reuse] [--records 10000000]

Not a test: it prints figures and fails only when the figures are wrong.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pgtrigger
from django.conf import settings
from django.db import connection, transaction
from django.test import Client

from bench import common
from bench.common import heading, say
from carecenter import home_counts
from carecenter.models import Role, RoleAssignment, Station, User
from carecenter.months import add_months
from elders.models import NeedsSurvey
from services.models import Feedback, Provider, ServiceAgreement, ServiceRecord
from services.queries import month_bounds
from supervision import actions
from supervision.actions import this_month
from supervision.aggregates import replace_family, services_select
from supervision.models import (
    FLOW_FAMILIES,
    SNAPSHOT_FAMILIES,
    MonthlyFigure,
    StaleMonth,
)
from volunteers.models import Certificate, HoursEntry, Visit, Volunteer
from vouchers import actions as voucher_actions
from vouchers.models import RunTrigger, StationBudget

#: Marks the 1,000 records of step 4, so that a rerun can remove leftovers.
INCREMENT_NOTE = "bench-increment"
WORKER_PREFIX = "bench_worker_"
VOLUNTEERS_PER_STATION = 20
VISITS_PER_VOLUNTEER = 200

#: Audit triggers kept quiet while the activity data is built (see common.py).
QUIET = (
    "services.Provider:insert_insert",
    "services.ServiceAgreement:insert_insert",
    "services.ServiceRecord:insert_insert",
    "services.Feedback:insert_insert",
    "volunteers.Volunteer:insert_insert",
    "volunteers.Certificate:insert_insert",
    "volunteers.Visit:insert_insert",
    "volunteers.HoursEntry:insert_insert",
    "elders.NeedsSurvey:insert_insert",
)
#: The dashboard's own mark triggers, off during the build (a full rebuild of the
#: figures follows): a 10-million-row transition table is not worth keeping.
MARKED_TABLES = (
    "services_servicerecord",
    "services_feedback",
    "volunteers_hoursentry",
    "vouchers_stationbudget",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--elders", type=int, default=1_000_000)
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--records", type=int, default=10_000_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--added", type=int, default=1_000)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument(
        "--fresh-activity",
        action="store_true",
        help="rebuild the activity data even when it is there at this size",
    )
    args = parser.parse_args(argv)

    url = common.configure()
    district = common.ensure_district(
        url=url, elders=args.elders, stations=args.stations, reuse=args.reuse
    )
    heading("Machine")
    for label, value in common.machine_summary():
        say(f"{label:>11}: {value}")

    problems: list[str] = []
    summary: list[list] = []

    heading(
        f"1. Activity data: {args.records:,} service records over {args.months} months"
    )
    built = ensure_activity(
        district,
        records=args.records,
        months=args.months,
        fresh=args.fresh_activity,
    )
    if built is not None:
        summary.append(["build of the activity data", f"{built:.1f} s", ""])
    say(f"database size: {common.database_size()}")

    last = actions.this_month()
    first = add_months(last, -(args.months - 1))

    heading(f"2. Full rebuild of the figures, {first:%Y-%m} to {last:%Y-%m}")
    started = time.perf_counter()
    run = actions.figures_refresh(first=first, last=last)
    full = time.perf_counter() - started
    say(
        f"{full:.1f} s: {run.figures_written:,} figures written, "
        f"{run.figures_deleted:,} deleted"
    )
    figures = figure_count()
    say(f"figures stored: {figures:,}")
    summary.append(["full rebuild (every month)", f"{full:.1f} s", f"{figures:,} rows"])
    family_times = time_families(first, last)
    for family, seconds in family_times:
        say(f"  {family:<11} {seconds:.2f} s")
    started = time.perf_counter()
    run = actions.figures_refresh_recent()
    recent = time.perf_counter() - started
    say(f"scheduled refresh (current + previous month + snapshot): {recent:.2f} s")
    summary.append(["scheduled refresh (every 15 min)", f"{recent:.2f} s", ""])

    heading("3. The dashboard's server time, as the district's supervisor")
    timings = time_pages(district, first, last, runs=args.runs)
    common.print_table(
        ["page", "median ms", "p95 ms", "queries", "SQL ms (median)"],
        [
            [
                label,
                f"{t.median_ms:.1f}",
                f"{t.p95_ms:.1f}",
                t.queries,
                f"{t.sql_median_ms:.1f}",
            ]
            for label, t in timings
        ],
    )
    for label, t in timings:
        if t.error or t.status != 200:
            problems.append(f"{label}: status {t.status} {t.error}")
        summary.append(
            [
                f"page: {label}",
                f"median {t.median_ms:.1f} ms, p95 {t.p95_ms:.1f} ms",
                f"{t.queries} queries",
            ]
        )
    district_page = timings[0][1]
    say(
        f"district dashboard median {district_page.median_ms:.1f} ms "
        f"(target < 200 ms): {'met' if district_page.median_ms < 200 else 'MISSED'}"
    )

    heading(f"4. Keeping the figures current when {args.added:,} records are added")
    insert_s, marks = add_records(district, args.added)
    say(
        f"insert of {args.added:,} records (audit and mark triggers on): "
        f"{insert_s * 1000:.0f} ms"
    )
    say(f"station-months marked: {marks}")
    started = time.perf_counter()
    run = actions.figures_refresh_changed()
    changed = time.perf_counter() - started
    say(
        f"incremental refresh of the marked months: {changed * 1000:.0f} ms "
        f"({run.stale_months} family-months, {run.figures_written} figures written)"
    )
    problems += check_current_month(district)
    summary.append(
        [f"insert of {args.added:,} records", f"{insert_s * 1000:.0f} ms", ""]
    )
    summary.append(
        [
            "incremental refresh after them",
            f"{changed * 1000:.0f} ms",
            f"{run.stale_months} family-months",
        ]
    )
    started = time.perf_counter()
    actions.figures_refresh_recent()
    summary.append(
        [
            "scheduled refresh after them",
            f"{time.perf_counter() - started:.2f} s",
            "",
        ]
    )
    remove_added()
    actions.figures_refresh_changed()

    heading("Summary")
    common.print_table(["measure", "figure", "note"], summary)
    for problem in problems:
        say(f"PROBLEM: {problem}")
    return 1 if problems else 0


# --- Building the activity data -----------------------------------------------------


def _quiet(cur) -> None:
    """Audit triggers off until the end of the transaction (pgtrigger.ignore)."""

    names = []
    for model, trigger in pgtrigger.registered(*QUIET):
        pgid = trigger.get_pgid(model)
        names += [f"{model._meta.db_table}:{pgid}", pgid]
    cur.execute(
        "SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + ",".join(names) + "}"]
    )


@contextmanager
def building():
    """One transaction with audit triggers quiet and the mark triggers off."""

    with transaction.atomic(), connection.cursor() as cur:
        _quiet(cur)
        for table in MARKED_TABLES:
            cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield cur
        # Foreign keys are deferred: check them now, then the triggers come back.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in MARKED_TABLES:
            cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def _count(cur, table: str) -> int:
    cur.execute(f"SELECT count(*) FROM {table}")
    return cur.fetchone()[0]


def ensure_activity(
    district, *, records: int, months: int, fresh: bool = False
) -> float | None:
    """The activity data, built unless already there at this size; build seconds."""

    remove_added()
    with connection.cursor() as cur:
        if not fresh and _count(cur, "services_servicerecord") == records:
            say(f"Reusing {records:,} service records.")
            return None
        say("Building (audit triggers quiet, mark triggers off) …")
        common.truncate_with_the_ledger(
            cur,
            "services_feedback, services_returnvisit, services_servicerecord,"
            " services_agreementprice, services_serviceagreement, services_provider,"
            " volunteers_hoursentry, volunteers_visit, volunteers_pairing,"
            " volunteers_certificate, volunteers_trainingsession_attendees,"
            " volunteers_volunteer, elders_needssurvey, vouchers_ledgerentry,"
            " vouchers_grant, vouchers_issuancerun, vouchers_cycle,"
            " vouchers_stationbudget, supervision_monthlyfigure,"
            " supervision_stalemonth, supervision_refreshrun CASCADE",
        )
    started = time.perf_counter()

    def step(label, fn):
        began = time.perf_counter()
        rows = fn()
        say(f"  {label}: {rows:,} rows, {time.perf_counter() - began:.1f} s")

    step("station workers", lambda: _workers(district))
    with building() as cur:
        step("providers", lambda: _providers(cur))
        step("agreements", lambda: _agreements(cur))
    with connection.cursor() as cur:
        _temp_tables(cur, district)
    chunk = 1_000_000  # one transaction each: the queue of FK checks stays small
    done = 0
    while done < records:
        n = min(chunk, records - done)
        with building() as cur:
            step(
                f"service records {done + 1:,}–{done + n:,}",
                lambda lo=done + 1, hi=done + n: _records(cur, lo, hi, records, months),
            )
        done += n
    with connection.cursor() as cur:
        cur.execute("SELECT min(id), max(id) FROM services_servicerecord")
        low, high = cur.fetchone()
    for start in range(low, high + 1, chunk):
        with building() as cur:
            step(
                f"feedback of records {start:,}–{min(high, start + chunk - 1):,}",
                lambda a=start, b=start + chunk - 1: _feedback(cur, a, b),
            )
    with building() as cur:
        step("volunteers", lambda: _volunteers(cur))
        step("certificates", lambda: _certificates(cur))
        step("visits", lambda: _visits(cur))
        step("hours entries", lambda: _hours(cur))
        step("needs surveys", lambda: _needs(cur, district))
        step("budgets", lambda: _budgets(cur, district))
    step("voucher issuance, two months", _issue)
    # The build ran with the tables' triggers off: the home page's kept counts
    # start again from the rows.
    step("home page's kept counts", lambda: home_counts.recount() or 0)
    step("VACUUM ANALYZE", common._vacuum_analyze)
    return time.perf_counter() - started


def _workers(district) -> int:
    """One staff member per station: the deliverer and recorder of its services."""

    stations = Station.objects.filter(district_id=district.id).order_by("code")
    for station in stations:
        user, _ = User.objects.get_or_create(username=f"{WORKER_PREFIX}{station.code}")
        RoleAssignment.objects.get_or_create(
            user=user, role=Role.STAFF, station=station
        )
    return stations.count()


def _temp_tables(cur, district) -> None:
    """For the generator: active elders numbered within their station, the
    service types, and per station its providers and worker. Session-level temp
    tables, made again whenever needed."""
    cur.execute("DROP TABLE IF EXISTS bench_people, bench_types, bench_station")
    cur.execute(
        "CREATE TEMP TABLE bench_people AS "
        "SELECT id, station_id, row_number() OVER (PARTITION BY station_id"
        " ORDER BY id) AS srn FROM elders_elder"
        " WHERE district_id = %s AND status = 'active'",
        [district.id],
    )
    cur.execute("CREATE INDEX ON bench_people (station_id, srn)")
    cur.execute("ANALYZE bench_people")
    cur.execute(
        "CREATE TEMP TABLE bench_types AS "
        "SELECT id, code, default_price, row_number() OVER (ORDER BY id) AS idx"
        " FROM services_servicetype"
    )
    cur.execute(
        "CREATE TEMP TABLE bench_station AS "
        "SELECT s.id AS station_id, row_number() OVER (ORDER BY s.code) AS idx,"
        " (SELECT count(*) FROM bench_people p WHERE p.station_id = s.id) AS n,"
        " (SELECT array_agg(id ORDER BY id) FROM services_provider v"
        "  WHERE v.station_id = s.id) AS providers,"
        " (SELECT r.user_id FROM carecenter_roleassignment r JOIN carecenter_user"
        "  u ON u.id = r.user_id WHERE r.station_id = s.id AND u.username LIKE"
        "  'bench_worker_%%' LIMIT 1) AS staff_id"
        " FROM carecenter_station s WHERE s.district_id = %s",
        [district.id],
    )
    cur.execute("ANALYZE bench_station")


def _providers(cur) -> int:

    return common.insert_select(
        cur,
        Provider,
        {
            "station_id": "s.id",
            "name": "s.name || (ARRAY['助老服务社', '家政公司'])[g]",
            "kind": "(ARRAY['social_organisation', 'company'])[g]",
            "contact_phone": "'0571-8000 0000'",
            "active": "true",
            "created_at": "now()",
        },
        "FROM carecenter_station s CROSS JOIN generate_series(1, 2) AS g "
        "WHERE s.code LIKE 'BENCH-%%'",
    )


def _agreements(cur) -> int:
    """Two agreements per station; some end within the next 30 days."""

    return common.insert_select(
        cur,
        ServiceAgreement,
        {
            "station_id": "p.station_id",
            "provider_id": "p.id",
            "number": "'BA-' || p.id",
            "starts_on": "current_date - 700",
            "ends_on": "current_date + (p.id %% 120)::int",
            "charging_method": "'government'",
            "status": "'active'",
            "created_at": "now()",
        },
        "FROM services_provider p",
    )


def _records(cur, lo: int, hi: int, total: int, months: int) -> int:
    """Records ``lo``–``hi`` of ``total``: a random active elder of the station, a
    type (meals and cleaning more often), delivered by a provider (60 %) or the
    station's staff, over the last ``months`` months; 1 % cancelled, 85 % with
    feedback. Numbered and written in the order of delivery, as a station records
    its services day after day (the table's physical order follows time)."""

    span_days = int(months * 30.4)
    tail = f"""
    FROM (
        SELECT g, 1 + g %% (SELECT count(*) FROM bench_station) AS idx,
               random() AS r_elder, random() AS r_type, random() AS r_by,
               random() AS r_when, random() AS r_cancel, random() AS r_fb,
               random() AS r_len
        FROM generate_series(%(lo)s, %(hi)s) AS g
    ) AS d
    JOIN bench_station s ON s.idx = d.idx
    JOIN bench_people p
      ON p.station_id = s.station_id
     AND p.srn = 1 + floor(d.r_elder * s.n)::int
    JOIN bench_types t
      ON t.idx = 1 + floor(power(d.r_type, 1.6) * (SELECT count(*) FROM bench_types))
    CROSS JOIN LATERAL (SELECT
        now() - interval '2 hours'
        - (%(total)s - d.g + 1 - d.r_when) / %(total)s * interval '{span_days} days'
        AS at
    ) AS w
    ORDER BY d.g
    """
    return common.insert_select(
        cur,
        ServiceRecord,
        {
            "station_id": "s.station_id",
            "elder_id": "p.id",
            "service_type_id": "t.id",
            "provider_id": "CASE WHEN d.r_by < 0.6"
            " THEN s.providers[(1 + g %% 2)::int] END",
            "volunteer_id": "NULL",
            "staff_id": "CASE WHEN d.r_by >= 0.6 THEN s.staff_id END",
            "agreement_id": "NULL",
            "delivered_at": "w.at",
            "duration_minutes": "(20 + floor(d.r_len * 100))::int",
            "quantity": "1",
            "price": "t.default_price",
            "voucher_paid": "0",
            "self_paid": "t.default_price",
            "notes": "''",
            "has_feedback": "d.r_cancel >= 0.01 AND d.r_fb < 0.85",
            "recorded_by_id": "s.staff_id",
            "created_at": "w.at",
            "cancelled_at": "CASE WHEN d.r_cancel < 0.01 THEN w.at END",
            "cancelled_by_id": "CASE WHEN d.r_cancel < 0.01 THEN s.staff_id END",
            "cancel_reason": "CASE WHEN d.r_cancel < 0.01 THEN '登记错误' ELSE '' END",
        },
        tail,
        {"lo": lo, "hi": hi, "total": total},
    )


def _feedback(cur, low: int, high: int) -> int:

    return common.insert_select(
        cur,
        Feedback,
        {
            "record_id": "r.id",
            "satisfaction": "(ARRAY[5, 5, 5, 4, 4, 4, 3, 2, 1])[1 + (r.id %% 9)::int]",
            "punctual": "r.id %% 10 <> 0",
            "attitude": "4 + (r.id %% 2)::int",
            "quality": "3 + (r.id %% 3)::int",
            "comment": "''",
            "channel": "(ARRAY['in_person', 'phone', 'home_visit'])"
            "[1 + (r.id %% 3)::int]",
            "recorded_by_id": "r.recorded_by_id",
            "recorded_at": "r.delivered_at + interval '1 day'",
        },
        "FROM services_servicerecord r"
        " WHERE r.has_feedback AND r.id BETWEEN %(low)s AND %(high)s",
        {"low": low, "high": high},
    )


def _volunteers(cur) -> int:

    return common.insert_select(
        cur,
        Volunteer,
        {
            "station_id": "s.station_id",
            "name": "'志愿者' || s.idx || '-' || g",
            "gender": "CASE WHEN g %% 2 = 0 THEN 'M' ELSE 'F' END",
            "birth_date": "date '1960-01-01' + (g * 97 %% 9000)",
            "phone": "'139' || lpad((s.idx * 1000 + g)::text, 8, '0')",
            "specialties": "ARRAY['chat']",
            "status": "'active'",
            "created_at": "now()",
            "updated_at": "now()",
        },
        "FROM bench_station s"
        f" CROSS JOIN generate_series(1, {VOLUNTEERS_PER_STATION}) g",
    )


def _certificates(cur) -> int:

    return common.insert_select(
        cur,
        Certificate,
        {
            "volunteer_id": "v.id",
            "kind": "'first_aid'",
            "number": "'FA-' || v.id",
            "issued_on": "current_date - 800",
            "expires_on": "current_date - 60 + (v.id * 37 %% 500)::int",
            "issuer": "'红十字会'",
            "created_at": "now()",
        },
        "FROM volunteers_volunteer v",
    )


def _visits(cur) -> int:
    """Visits spaced 3.5 days apart per volunteer (never overlapping), to a random
    active elder of the station; 3 % ask for a follow-up, most resolved since."""

    tail = f"""
    FROM (
        SELECT v.id AS volunteer_id, v.station_id, n, random() AS r_elder,
               random() AS r_follow,
               now() - interval '3 hours' - n * interval '84 hours' AS at,
               (30 + (v.id + n) %% 4 * 15) AS minutes
        FROM volunteers_volunteer v
        CROSS JOIN generate_series(0, {VISITS_PER_VOLUNTEER - 1}) AS n
    ) AS x
    JOIN bench_station s ON s.station_id = x.station_id
    JOIN bench_people p ON p.station_id = x.station_id
     AND p.srn = 1 + floor(x.r_elder * s.n)::int
    """
    return common.insert_select(
        cur,
        Visit,
        {
            "station_id": "x.station_id",
            "volunteer_id": "x.volunteer_id",
            "elder_id": "p.id",
            "started_at": "x.at",
            "ended_at": "x.at + x.minutes * interval '1 minute'",
            "services": "ARRAY['chat']",
            "notes": "''",
            "needs_follow_up": "x.r_follow < 0.03",
            "follow_up_reason": "CASE WHEN x.r_follow < 0.03"
            " THEN '血压偏高' ELSE '' END",
            "resolved_at": "CASE WHEN x.r_follow < 0.02"
            " THEN x.at + interval '2 days' END",
            "resolved_by_id": "CASE WHEN x.r_follow < 0.02 THEN s.staff_id END",
            "resolution_note": "CASE WHEN x.r_follow < 0.02"
            " THEN '已电话回访' ELSE '' END",
            "logged_by_id": "s.staff_id",
            "created_at": "x.at",
        },
        tail,
    )


def _hours(cur) -> int:

    return common.insert_select(
        cur,
        HoursEntry,
        {
            "station_id": "v.station_id",
            "volunteer_id": "v.volunteer_id",
            "month": "date_trunc('month', v.started_at AT TIME ZONE %(tz)s)::date",
            "minutes": "(extract(epoch FROM v.ended_at - v.started_at) / 60)::int",
            "kind": "'visit'",
            "visit_id": "v.id",
            "note": "''",
            "created_by_id": "v.logged_by_id",
            "created_at": "v.created_at",
        },
        "FROM volunteers_visit v",
        {"tz": settings.TIME_ZONE},
    )


def _needs(cur, district) -> int:

    needs = {
        "meal": 0.35,
        "cleaning": 0.3,
        "medical": 0.25,
        "health_check": 0.2,
        "chat": 0.15,
        "bathing": 0.1,
        "day_care": 0.08,
        "emergency": 0.05,
    }
    codes = ", ".join(
        f"CASE WHEN random() < {p} THEN '{c}' END" for c, p in needs.items()
    )
    return common.insert_select(
        cur,
        NeedsSurvey,
        {
            "elder_id": "e.id",
            "surveyed_on": "current_date - (e.id %% 700)::int",
            "needs": f"array_remove(ARRAY[{codes}]::varchar[], NULL)",
            "notes": "''",
            "created_at": "now()",
        },
        "FROM elders_elder e WHERE e.district_id = %(district)s AND random() < 0.3",
        {"district": district.id},
    )


def _budgets(cur, district) -> int:

    return common.insert_select(
        cur,
        StationBudget,
        {"station_id": "s.id", "year": "y", "amount": "1800000"},
        "FROM carecenter_station s CROSS JOIN generate_series("
        "extract(year FROM current_date)::int - 1,"
        " extract(year FROM current_date)::int) AS y WHERE s.district_id = %(d)s",
        {"d": district.id},
    )


def _issue() -> int:
    """The real monthly issuance for the previous and the current month."""

    current = this_month()
    grants = 0
    for month in (add_months(current, -1), current):
        grants += voucher_actions.month_issue(
            month=month, trigger=RunTrigger.COMMAND
        ).grants_created
    return grants


# --- Measuring ---------------------------------------------------------------------


def figure_count() -> int:

    return MonthlyFigure.objects.count()


def time_families(first, last) -> list[tuple[str, float]]:
    """Each family's statement on its own, every station, every month (rolled back)."""

    ids = list(Station.objects.values_list("pk", flat=True))
    times = []

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic(), connection.cursor() as cur:
            for family in FLOW_FAMILIES:
                started = time.perf_counter()
                replace_family(cur, family, ids, first, last)
                times.append((str(family), time.perf_counter() - started))
            for family in SNAPSHOT_FAMILIES:
                started = time.perf_counter()
                replace_family(cur, family, ids, this_month(), this_month())
                times.append((str(family), time.perf_counter() - started))
            raise Rollback
    except Rollback:
        pass
    return times


def time_pages(district, first, last, *, runs: int):

    client = Client()
    _staff, supervisor = common.bench_users()
    client.force_login(supervisor)
    pages = [
        ("district, last 6 months", "/dashboard/"),
        (
            f"district, {first:%Y-%m} to {last:%Y-%m}",
            f"/dashboard/?from={first:%Y-%m}&to={last:%Y-%m}",
        ),
        (
            "one station, last 6 months",
            f"/dashboard/stations/{district.station_ids[0]}/",
        ),
        ("API reports/figures/", "/api/v1/reports/figures/"),
        ("export of every table (.xlsx)", "/dashboard/export/all.xlsx"),
    ]
    return [
        (label, common.time_request(client, url, runs=runs, warmups=2))
        for label, url in pages
    ]


def add_records(district, n: int) -> tuple[float, int]:
    """``n`` records in the current month at random stations, in one statement,
    with every trigger on (audit and marks), as a busy afternoon would add them."""

    with connection.cursor() as cur:
        _temp_tables(cur, district)
    with transaction.atomic(), connection.cursor() as cur:
        started = time.perf_counter()
        common.insert_select(
            cur,
            ServiceRecord,
            {
                "station_id": "s.station_id",
                "elder_id": "p.id",
                "service_type_id": "t.id",
                "staff_id": "s.staff_id",
                "delivered_at": "date_trunc('month', now()) + d.r_when"
                " * (now() - date_trunc('month', now()))",
                "duration_minutes": "45",
                "quantity": "1",
                "price": "t.default_price",
                "voucher_paid": "0",
                "self_paid": "t.default_price",
                "notes": f"'{INCREMENT_NOTE}'",
                "recorded_by_id": "s.staff_id",
                "created_at": "now()",
            },
            """
            FROM (SELECT g, 1 + g %% (SELECT count(*) FROM bench_station) AS idx,
                         random() AS r_elder, random() AS r_when
                  FROM generate_series(1, %(n)s) AS g) AS d
            JOIN bench_station s ON s.idx = d.idx
            JOIN bench_people p ON p.station_id = s.station_id
             AND p.srn = 1 + floor(d.r_elder * s.n)::int
            JOIN bench_types t ON t.idx = 1 + g %% (SELECT count(*) FROM bench_types)
            """,
            {"n": n},
        )
        seconds = time.perf_counter() - started
    marks = (
        StaleMonth.objects.values("station_id", "family", "month").distinct().count()
    )
    return seconds, marks


def check_current_month(district) -> list[str]:
    """The figures of this month equal a direct count over the raw records."""

    month = this_month()
    with connection.cursor() as cur:
        cur.execute(
            "SELECT station_id, key, value FROM supervision_monthlyfigure"
            " WHERE month = %s AND metric = 'services'",
            [month],
        )
        stored = {(s, k): int(v) for s, k, v in cur.fetchall()}
        fresh = services_select(district.station_ids, month, month)
        cur.execute(
            f"SELECT station_id, key, value FROM ({fresh.sql}) f(station_id, month,"
            " metric, key, value) WHERE metric = 'services'",
            fresh.params,
        )
        direct = {(s, k): int(v) for s, k, v in cur.fetchall()}
        cur.execute(
            "SELECT count(*) FROM services_servicerecord"
            " WHERE delivered_at >= %s AND cancelled_at IS NULL",
            [common_month_start(month)],
        )
        total = cur.fetchone()[0]
    problems = []
    if stored != direct:
        problems.append("this month's service figures differ from a direct count")
    if sum(stored.values()) != total:
        problems.append(
            f"this month's services: figures {sum(stored.values()):,}, "
            f"records {total:,}"
        )
    say(
        f"check: this month's {total:,} services equal the figures "
        f"({'ok' if not problems else 'DIFFERENT'})"
    )
    return problems


def common_month_start(month: datetime.date) -> datetime.datetime:

    return month_bounds(month)[0]


def remove_added() -> None:
    """Take away the records of step 4 (also what an interrupted run left)."""

    with connection.cursor() as cur:
        cur.execute(
            "DELETE FROM services_servicerecord WHERE notes = %s", [INCREMENT_NOTE]
        )


if __name__ == "__main__":
    raise SystemExit(main())
