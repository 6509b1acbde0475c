"""The elder-archive benchmark at district scale (PRODUCT.md: "Fast at district scale").

With 1,000,000 elders across 50 stations on PostgreSQL it measures

1. the elder list page (``elders:list``): server time of a real request through
   Django's test client, for a station's staff member (1/50 of the elders) and
   for the district's supervisor (all of them), over representative filtered and
   paginated URLs: median and p95 of 20 runs after 2 warm-ups, SQL statements
   per request, and the time spent in SQL;
2. the set form of the tier rules, ``elders.eligibility.annotate_tier`` over every
   elder in one statement: a ``GROUP BY tier`` count and the materialisation of
   all ``(id, tier)`` pairs (median of 5 after a warm-up), the tier counts, and
   the top of the statement's ``EXPLAIN (ANALYZE, BUFFERS)``.

Run (see bench/README.md)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/carecenter_bench \\
        .venv/bin/python bench/elders.py [--elders 1000000] [--stations 50] [--reuse]

Not a test: it prints figures and fails only when the data or the page is broken.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench import common
from bench.common import heading, ms, say
from carecenter.scoping import visible_to
from elders.eligibility import Thresholds, annotate_tier, evaluate
from elders.id_numbers import unseal, validate_id_number
from elders.models import Elder

#: A list page slower than this (median, ms) gets its slowest statement explained.
SLOW_LIST_MS = 300
#: A tier statement slower than this (median, s) is worth investigating.
SLOW_TIER_S = 20
SURNAME = "王"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--elders", type=int, default=1_000_000)
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data when it is already there"
    )
    parser.add_argument("--runs", type=int, default=20, help="timed runs per URL")
    parser.add_argument("--warmups", type=int, default=2, help="untimed runs per URL")
    parser.add_argument(
        "--tier-runs", type=int, default=5, help="timed runs of the tier statements"
    )
    args = parser.parse_args(argv)

    url = common.configure()
    district = common.ensure_district(
        url=url, elders=args.elders, stations=args.stations, reuse=args.reuse
    )

    heading("Machine")
    for label, value in common.machine_summary():
        say(f"{label:>11}: {value}")

    heading("Data")
    problems = describe_data(district)

    heading("1. Elder list page: server time per request")
    list_rows = measure_list(district, runs=args.runs, warmups=args.warmups)

    heading("2. Tier of every elder, set form (annotate_tier, one statement)")
    problems += measure_tiers(runs=args.tier_runs)

    heading("Summary")
    if district.built_in is not None:
        say(f"build: {district.built_in:.1f} s")
    say(f"database size: {common.database_size()}")
    slow = [r for r in list_rows if r[3] > SLOW_LIST_MS]
    for row in slow:
        say(f"over {SLOW_LIST_MS} ms: {row[0]} {row[2]} (median {row[3]:.0f} ms)")
    for problem in problems:
        say(f"PROBLEM: {problem}")
    return 1 if problems else 0


# --- The data ------------------------------------------------------------------------


def describe_data(district: common.District) -> list[str]:
    """The mix of the data set, and a check of 1,000 resident ID numbers."""

    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT count(*),
                count(*) FILTER (WHERE age(current_date, birth_date) < '60 years'),
                count(*) FILTER (WHERE age(current_date, birth_date)
                                       BETWEEN '60 years' AND '85 years'),
                count(*) FILTER (WHERE age(current_date, birth_date) >= '90 years'),
                count(*) FILTER (WHERE NOT hukou_local),
                count(*) FILTER (WHERE empty_nest),
                count(*) FILTER (WHERE living_arrangement = 'alone'),
                count(*) FILTER (WHERE financial_difficulty),
                count(*) FILTER (WHERE status = 'active'),
                count(*) FILTER (WHERE status = 'institution'),
                count(*) FILTER (WHERE status = 'moved'),
                count(*) FILTER (WHERE status = 'deceased'),
                count(*) FILTER (WHERE tier_override <> ''),
                min(birth_date), max(birth_date)
            FROM elders_elder WHERE district_id = %s
            """,
            [district.id],
        )
        (total, under60, core, over90, nonlocal_, empty_nest, alone, money,
         active, institution, moved, deceased, overrides, born_min, born_max) = (
            cur.fetchone()
        )  # fmt: skip
        cur.execute(
            """
            SELECT c, count(*) FROM elders_elder, unnest(categories) AS c
            WHERE district_id = %s GROUP BY c ORDER BY count(*) DESC
            """,
            [district.id],
        )
        categories = cur.fetchall()
        cur.execute(
            """
            SELECT count(*), count(DISTINCT a.elder_id),
                   count(*) FILTER (WHERE a.total < 100)
            FROM elders_barthelassessment a
            JOIN elders_elder e ON e.id = a.elder_id
            WHERE e.district_id = %s
            """,
            [district.id],
        )
        assessments, assessed, below100 = cur.fetchone()
        cur.execute(
            """
            SELECT n.encrypted, e.birth_date, e.gender, e.id_number_last4
            FROM elders_elder e JOIN elders_elderidnumber n ON n.elder_id = e.id
            WHERE e.district_id = %s ORDER BY random() LIMIT 1000
            """,
            [district.id],
        )
        sample = cur.fetchall()

    def share(n):
        return f"{n:,} ({100 * n / total:.1f}%)"

    rows = [
        ("elders", f"{total:,} in {len(district.station_ids)} stations"),
        ("birth dates", f"{born_min} … {born_max}"),
        ("aged under 60", share(under60)),
        ("aged 60–85", share(core)),
        ("aged 90+", share(over90)),
        ("registered elsewhere", share(nonlocal_)),
        ("living alone", share(alone)),
        ("empty-nest", share(empty_nest)),
        ("financial difficulty", share(money)),
        ("active / institution", f"{share(active)} / {share(institution)}"),
        ("moved / deceased", f"{share(moved)} / {share(deceased)}"),
        ("tier overrides", share(overrides)),
        *((f"category {code}", share(n)) for code, n in categories),
        ("Barthel assessments", f"{assessments:,} of {share(assessed)} elders"),
        ("  scored below 100", f"{below100:,}"),
    ]
    for label, value in rows:
        say(f"{label:>26}: {value}")

    bad = 0
    for token, born, gender, last4 in sample:
        try:  # decrypted as the application reads them
            number = unseal(token)
            validate_id_number(number, birth_date=born, gender=gender)
            if number[-4:] != last4:
                raise ValidationError("last four")
        except ValidationError:
            bad += 1
    say(
        f"{'ID numbers checked':>26}: {len(sample):,} sampled and decrypted, "
        f"{bad} invalid"
    )
    return [f"{bad} of {len(sample)} sampled ID numbers are invalid"] if bad else []


# --- 1. The list page ----------------------------------------------------------------


def list_urls(district: common.District) -> list[tuple[str, str]]:

    base = reverse("elders:list")
    # A real name of the first station, as staff type it into the search box.
    full_name = (
        Elder.objects.filter(station_id=district.station_ids[0])
        .order_by("pk")
        .values_list("name", flat=True)[100]
    )
    return [
        ("first page", base),
        ("age 80–89", f"{base}?{urlencode({'age_band': '80-89'})}"),
        ("tier free", f"{base}?{urlencode({'tier': 'free'})}"),
        (f"q={SURNAME} (surname)", f"{base}?{urlencode({'q': SURNAME})}"),
        (
            "disabled, youngest first",
            f"{base}?{urlencode({'category': 'disabled', 'ordering': '-birth_date'})}",
        ),
        ("page 200", f"{base}?{urlencode({'page': 200})}"),
        (f"q={full_name} (full name)", f"{base}?{urlencode({'q': full_name})}"),
    ]


def measure_list(district: common.District, *, runs: int, warmups: int) -> list:

    staff, supervisor = common.bench_users()
    urls = list_urls(district)
    rows, slow = [], []
    for role, user in (("staff", staff), ("supervisor", supervisor)):
        in_scope = visible_to(user, Elder.objects.all()).count()
        client = Client()
        client.force_login(user)
        for label, url in urls:
            started = time.perf_counter()
            timing = common.time_request(client, url, runs=runs, warmups=warmups)
            if timing.error or timing.status != 200:
                say(f"  {role} {label}: FAILED {timing.status} {timing.error}")
                rows.append((role, in_scope, label, float("nan"), 0.0, 0, 0.0, "FAIL"))
                continue
            rows.append(
                (
                    role,
                    in_scope,
                    label,
                    timing.median_ms,
                    timing.p95_ms,
                    timing.queries,
                    timing.sql_median_ms,
                    timing.status,
                )
            )
            say(
                f"  {role:<10} {label:<28} median {timing.median_ms:7.1f} ms "
                f"({time.perf_counter() - started:.0f} s for {warmups + runs} runs)"
            )
            if timing.median_ms > SLOW_LIST_MS:
                slow.append((role, label, timing.slowest_sql))
    say()
    say(f"median and p95 of {runs} requests after {warmups} warm-ups")
    common.print_table(
        [
            "user",
            "elders in scope",
            "view",
            "median ms",
            "p95 ms",
            "queries",
            "SQL ms",
            "status",
        ],
        rows,
    )
    for role, label, sql in slow:
        say()
        say(f"Slowest statement of {role} / {label} (over {SLOW_LIST_MS} ms):")
        say("  " + (sql if len(sql) < 1500 else sql[:1500] + " …"))
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql.replace("%", "%%"))
            plan = [r[0] for r in cur.fetchall()]
        for line in plan[:25] + [ln for ln in plan[25:] if "Time" in ln[:20]]:
            say("  | " + (line if len(line) <= 160 else line[:157] + "…"))
    return rows


# --- 2. The set form of the tier ----------------------------------------------------


def measure_tiers(*, runs: int) -> list[str]:

    on = common.first_of_next_month(timezone.localdate())
    thresholds = Thresholds.current()
    tiered = annotate_tier(Elder.objects.all(), on=on, thresholds=thresholds)
    counts_qs = tiered.values("tier").annotate(n=Count("pk")).order_by("tier")
    pairs_qs = tiered.order_by().values_list("pk", "tier")
    say(f"evaluation date: {on} (the 1st of next month); thresholds {thresholds}")

    with CaptureQueriesContext(connection) as captured:
        counts = {row["tier"]: row["n"] for row in counts_qs}
    statements = len(captured)
    # .all(): a fresh clone each run, never the cached result of the first.
    count_times = common.time_runs(lambda: list(counts_qs.all()), runs=runs)
    pairs = []

    def materialise():
        pairs[:] = list(pairs_qs.all())

    pair_times = common.time_runs(materialise, runs=runs, warmups=1)
    total = sum(counts.values())

    say()
    common.print_table(
        ["statement", "SQL statements", "median s", "min s", "max s", "rows"],
        [
            (
                "GROUP BY tier count",
                statements,
                f"{common.median(count_times):.2f}",
                f"{min(count_times):.2f}",
                f"{max(count_times):.2f}",
                len(counts),
            ),
            (
                "all (id, tier) pairs",
                1,
                f"{common.median(pair_times):.2f}",
                f"{min(pair_times):.2f}",
                f"{max(pair_times):.2f}",
                len(pairs),
            ),
        ],
    )
    say(f"median of {runs}; the pairs after one warm-up")
    say()
    common.print_table(
        ["tier", "elders", "share"],
        [(tier, n, f"{100 * n / total:.1f}%") for tier, n in counts.items()],
    )

    problems = []
    if statements != 1:
        problems.append(f"the tier count took {statements} SQL statements, not 1")
    if len(pairs) != total:
        problems.append(f"{len(pairs)} (id, tier) pairs for {total} elders")
    problems += _agrees_with_evaluate(tiered, on=on, thresholds=thresholds)

    say()
    say("EXPLAIN (ANALYZE, BUFFERS) of the GROUP BY tier statement:")
    for line in common.explain(counts_qs, lines=30):
        say("  | " + (line if len(line) <= 160 else line[:157] + "…"))
    if common.median(count_times) > SLOW_TIER_S:
        say(f"The tier statement is over {SLOW_TIER_S} s: see the plan above.")
    del pairs[:]
    return problems


def _agrees_with_evaluate(tiered, *, on, thresholds) -> list[str]:
    """The set form and ``evaluate()`` give the same tier on 1,000 sampled elders."""

    ids = list(Elder.objects.order_by("?").values_list("pk", flat=True)[:1000])
    sample = list(tiered.filter(pk__in=ids))
    started = time.perf_counter()
    differ = [e.pk for e in sample if evaluate(e, on=on, thresholds=thresholds).tier
              != e.tier]  # fmt: skip
    say(
        f"set form vs evaluate() on {len(sample):,} sampled elders: "
        f"{len(sample) - len(differ):,} agree, {len(differ)} differ "
        f"({ms(time.perf_counter() - started) / max(1, len(sample)):.2f} ms per "
        "evaluate())"
    )
    return (
        [f"set form and evaluate() differ for elders {differ[:10]}"] if differ else []
    )


if __name__ == "__main__":
    sys.exit(main())
