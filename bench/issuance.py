"""The monthly voucher issuance at district scale (issue: "Vouchers", Measure).

With 1,000,000 elders across 50 stations on PostgreSQL (about a third of them free
or low-cost) it measures, in one run:

1. the **baseline**: a hand-written ``INSERT … SELECT`` of the same grants into
   ``vouchers_grant``, each with its ledger entry (tiers from the same set-form
   SQL; constraints, foreign keys and the grant-agrees-with-its-ledger trigger
   checked immediately, as the issuance's commit checks them), inside a
   transaction that is rolled back;
2. the **issuance**: ``vouchers.actions.month_issue`` for every station, from empty
   voucher tables: advisory locks, cycles, runs, grants, ledger entries, counts and
   changes against last month, committed;
3. a **repeated run** of the same month, which must find nothing to do;
4. the **reconciliation** (``vouchers.reconcile``, what ``reconcile_vouchers`` and
   the nightly job run) over the district's grants, cycles and records.

It prints the wall time of each run, the median, and the ratio issuance / baseline
(target: within 2×), and checks that the issuance wrote exactly the baseline's
grants with a ledger entry each.

Run (see bench/README.md)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/carecenter_bench \\
        .venv/bin/python bench/issuance.py [--elders 1000000] [--stations 50] [--reuse]

Not a test: it prints figures and fails only when the results are wrong.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.db import connection, connections, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from bench import common
from bench.common import heading, say
from carecenter.models import Station
from elders.eligibility import annotate_tier
from elders.models import Elder
from vouchers.actions import month_issue, policies_for
from vouchers.models import (
    Cycle,
    EntryKind,
    Grant,
    IssuanceRun,
    LedgerEntry,
    RunTrigger,
)
from vouchers.reconcile import reconcile

MONTH = datetime.date(2026, 11, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--elders", type=int, default=1_000_000)
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each")
    args = parser.parse_args(argv)

    url = common.configure()
    common.ensure_district(
        url=url, elders=args.elders, stations=args.stations, reuse=args.reuse
    )
    heading("Machine")
    for label, value in common.machine_summary():
        say(f"{label:>11}: {value}")

    heading("Data")
    ensure_voucher_mix()

    stations = list(
        Station.objects.filter(district__code=common.DISTRICT_CODE, is_active=True)
    )
    problems: list[str] = []

    heading(f"1. Baseline: INSERT … SELECT of the grants of {MONTH:%Y-%m}, rolled back")
    empty_voucher_tables()
    baseline_times, baseline_count = [], 0
    for run in range(args.runs):
        seconds, baseline_count = baseline(stations)
        baseline_times.append(seconds)
        say(f"run {run + 1}: {seconds:.2f} s, {baseline_count:,} grants")

    heading("2. Issuance: vouchers.actions.month_issue, every station, committed")
    issue_times = []
    for run in range(args.runs):
        empty_voucher_tables()
        seconds, result = issuance(stations)
        issue_times.append(seconds)
        say(
            f"run {run + 1}: {seconds:.2f} s, {result.grants_created:,} grants, "
            f"¥{result.amount_created:,}"
        )
    problems += check(baseline_count)

    heading("3. Repeated run of the same month (nothing to do)")
    repeat_times = []
    for run in range(args.runs):
        seconds, result = issuance(stations)
        repeat_times.append(seconds)
        say(f"run {run + 1}: {seconds:.2f} s, {result.grants_created} new grants")
        if result.grants_created:
            problems.append(f"repeated run {run + 1} issued {result.grants_created}")

    heading("4. Reconciliation: vouchers.reconcile over every station")
    reconcile_times = []
    for run in range(args.runs):
        result = reconcile()
        reconcile_times.append(result.seconds)
        checked = ", ".join(f"{n:,} {what}" for what, n in result.checked.items())
        say(
            f"run {run + 1}: {result.seconds:.2f} s, checked {checked}, "
            f"{len(result.disagreements)} disagreements"
        )
        if result.disagreements:
            problems.append(f"reconciliation found {result.disagreements[0]}")

    heading("Summary")
    base, full, again, rec = (
        common.median(baseline_times),
        common.median(issue_times),
        common.median(repeat_times),
        common.median(reconcile_times),
    )
    common.print_table(
        ["measure", "median s", "runs (s)"],
        [
            ["baseline INSERT … SELECT", f"{base:.2f}", _runs(baseline_times)],
            ["issuance (month_issue)", f"{full:.2f}", _runs(issue_times)],
            ["repeated run (no-op)", f"{again:.2f}", _runs(repeat_times)],
            ["reconciliation", f"{rec:.2f}", _runs(reconcile_times)],
        ],
    )
    say(f"issuance / baseline: {full / base:.2f}× (target ≤ 2×)")
    say(f"database size: {common.database_size()}")
    for problem in problems:
        say(f"PROBLEM: {problem}")
    return 1 if problems else 0


#: The issue asks for a district in which about a third of the elders are free or
#: low-cost; the elder data set has fewer (its mix follows a real district).
TARGET_SHARE = 0.30


def ensure_voucher_mix() -> None:
    """Make about a third of the elders free (three-no) once; kept for ``--reuse``."""

    def share() -> tuple[int, int]:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*), count(*) FILTER (WHERE 'three_no' = ANY(categories))"
                " FROM elders_elder"
            )
            return cur.fetchone()

    total, three_no = share()
    if three_no / total < TARGET_SHARE:
        started = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute(
                """
                UPDATE elders_elder
                SET categories = array_append(categories, 'three_no')
                WHERE id % 3 = 0 AND status = 'active'
                  AND NOT ('three_no' = ANY(categories))
                """
            )
            cur.execute("VACUUM ANALYZE elders_elder")
        total, three_no = share()
        say(f"marked elders three-no in {time.perf_counter() - started:.1f} s")
    say(f"{total:,} elders, {three_no:,} three-no ({three_no / total:.0%})")


def _runs(times) -> str:
    return " / ".join(f"{t:.2f}" for t in times)


def empty_voucher_tables() -> None:
    """TRUNCATE every voucher table (the ledger refuses DELETE and TRUNCATE; see
    ``common.truncate_with_the_ledger``)."""

    with connection.cursor() as cur:
        common.truncate_with_the_ledger(
            cur,
            "vouchers_ledgerentry, vouchers_grant, vouchers_issuancerun, "
            "vouchers_cycle, vouchers_reconciliationrun",
        )
        cur.execute("VACUUM ANALYZE vouchers_grant")


def baseline(stations) -> tuple[float, int]:
    """The same grants by one hand-written statement; rolled back afterwards."""

    policies = policies_for({s.district_id for s in stations}, MONTH)
    policy = policies[stations[0].district_id]
    tiers = (
        annotate_tier(
            Elder.objects.filter(station__in=[s.pk for s in stations]),
            on=MONTH,
            reasons=True,
        )
        .filter(tier__in=["free", "low_cost"])
        .order_by()
        .values("id", "station_id", "tier", "tier_reasons")
    )
    tiers_sql, tiers_params = tiers.query.sql_with_params()

    class Rollback(Exception):
        pass

    count = 0
    try:
        with transaction.atomic():
            # The rows a grant points to; a few dozen, not part of the timing.
            now = timezone.now()
            cycles = Cycle.objects.bulk_create(
                [Cycle(station=s, month=MONTH) for s in stations]
            )
            runs = IssuanceRun.objects.bulk_create(
                [
                    IssuanceRun(
                        station=s, cycle=c, trigger=RunTrigger.COMMAND, started_at=now
                    )
                    for s, c in zip(stations, cycles, strict=True)
                ]
            )
            # Check foreign keys row by row as the issuance's commit does, not at
            # a commit that the rollback below never reaches.
            with connection.cursor() as cur:
                cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            link = ", ".join(
                f"({s.pk}, {c.pk}, {r.pk})"
                for s, c, r in zip(stations, cycles, runs, strict=True)
            )
            started = time.perf_counter()
            # Each grant with its ledger entry: the database checks that every
            # grant agrees with its entries (here at once, as at a commit).
            with connection.cursor() as cur:
                cur.execute(
                    f"""
                    WITH inserted AS (
                        INSERT INTO vouchers_grant
                            (station_id, cycle_id, run_id, elder_id, month, tier,
                             reasons, amount, remaining, expires_on, created_at)
                        SELECT t.station_id, l.cycle_id, l.run_id, t.id, %s, t.tier,
                               t.tier_reasons,
                               CASE t.tier WHEN 'free' THEN %s ELSE %s END,
                               CASE t.tier WHEN 'free' THEN %s ELSE %s END,
                               %s, now()
                        FROM ({tiers_sql}) t
                        JOIN (VALUES {link}) l (station_id, cycle_id, run_id)
                          ON l.station_id = t.station_id
                        RETURNING id, station_id, elder_id, amount, run_id
                    )
                    INSERT INTO vouchers_ledgerentry
                        (station_id, elder_id, grant_id, kind, amount, month, run_id,
                         created_at)
                    SELECT station_id, elder_id, id, 'grant', amount, %s, run_id,
                           now()
                    FROM inserted
                    """,
                    [
                        MONTH,
                        policy.amount_free,
                        policy.amount_low_cost,
                        policy.amount_free,
                        policy.amount_low_cost,
                        policy.expires_on(MONTH),
                        *tiers_params,
                        MONTH,
                    ],
                )
                count = cur.rowcount
            seconds = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return seconds, count


def issuance(stations):

    started = time.perf_counter()
    result = month_issue(month=MONTH, stations=stations, trigger=RunTrigger.COMMAND)
    seconds = time.perf_counter() - started
    connections.close_all()
    return seconds, result


def check(expected: int) -> list[str]:
    """The issuance wrote exactly the baseline's grants, each with its entry."""

    problems = []
    grants = Grant.objects.filter(month=MONTH).aggregate(n=Count("pk"), s=Sum("amount"))
    entries = LedgerEntry.objects.filter(kind=EntryKind.GRANT, month=MONTH).aggregate(
        n=Count("pk"), s=Sum("amount")
    )
    say(
        f"grants: {grants['n']:,} (¥{grants['s']:,}); "
        f"ledger grant entries: {entries['n']:,} (¥{entries['s']:,})"
    )
    by_tier = dict(
        Grant.objects.filter(month=MONTH)
        .values("tier")
        .annotate(n=Count("pk"))
        .values_list("tier", "n")
    )
    say(f"by tier: {by_tier}")
    cycles = Cycle.objects.filter(month=MONTH).aggregate(n=Sum("grants_count"))
    if grants["n"] != expected:
        problems.append(f"{grants['n']} grants, the baseline has {expected}")
    if (entries["n"], entries["s"]) != (grants["n"], grants["s"]):
        problems.append("ledger entries differ from the grants")
    if cycles["n"] != grants["n"]:
        problems.append("cycle counts differ from the grants")
    return problems


if __name__ == "__main__":
    sys.exit(main())
