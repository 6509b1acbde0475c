"""Shared helpers of the district-scale benchmarks (``bench/*.py``).

Importing the ``bench`` package sets up the environment and Django; a benchmark
script calls ``configure()`` first (the database and its migrations), then
``ensure_district()`` for the district-scale elder data, then times what it
measures with ``time_runs()`` / ``time_request()`` and prints the figures with
``print_table()``.

The data is built set-based: a handful of ``INSERT … SELECT … FROM
generate_series`` statements, never the ORM in a loop, so a million elders take
about a minute rather than hours. It lives in its own database (default
``carecenter_bench``) that is dropped and rebuilt when the requested size
changes, and kept otherwise so that ``--reuse`` starts measuring at once.
"""

from __future__ import annotations

import datetime
import logging
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pgtrigger
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.models import GeneratedField
from django.test.utils import CaptureQueriesContext

from bench import ROOT, database_url
from care.cadence import obligations_store_all
from carecenter.models import District as DistrictModel
from carecenter.models import Role, RoleAssignment, Station, User
from elders.eligibility import tiers_store_all
from elders.models import BARTHEL_ITEMS, BarthelAssessment, Elder

DISTRICT_CODE = "BENCH"
STAFF_USERNAME = "bench_staff"
SUPERVISOR_USERNAME = "bench_supervisor"


# --- The ledger's own guard ---------------------------------------------------------

LEDGER_TRUNCATE_GUARD = "ledger_append_only_truncate"


def truncate_with_the_ledger(cursor, tables: str) -> None:
    """``TRUNCATE tables`` where they include the voucher ledger.

    The ledger refuses TRUNCATE whatever a session sets (vouchers migration
    ``0003_ledger_kept_by_the_database``). A benchmark's own database is emptied
    as the table's owner may: the guard is off for this one transaction only.
    """
    with transaction.atomic():
        cursor.execute(
            f"ALTER TABLE vouchers_ledgerentry DISABLE TRIGGER {LEDGER_TRUNCATE_GUARD}"
        )
        cursor.execute(f"TRUNCATE {tables}")
        cursor.execute(
            "ALTER TABLE vouchers_ledgerentry "
            f"ENABLE ALWAYS TRIGGER {LEDGER_TRUNCATE_GUARD}"
        )


# --- Output -------------------------------------------------------------------------


def say(message: str = "") -> None:
    print(message, flush=True)


def heading(title: str) -> None:
    say()
    say(title)
    say("=" * len(title))


def print_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """A plain-text table; numbers right-aligned, everything else left-aligned."""
    rows = [[_cell(v) for v in row] for row in rows]
    widths = [
        max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h))
        for i, h in enumerate(headers)
    ]
    numeric = [
        bool(rows) and all(_looks_numeric(r[i]) for r in rows)
        for i in range(len(headers))
    ]

    def line(cells):
        return "  ".join(
            c.rjust(w) if num else c.ljust(w)
            for c, w, num in zip(cells, widths, numeric, strict=True)
        ).rstrip()

    say(line([str(h) for h in headers]))
    say(line(["-" * w for w in widths]))
    for row in rows:
        say(line(row))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _looks_numeric(text: str) -> bool:
    return text.replace(",", "").replace(".", "").replace("-", "").isdigit()


# --- Timing -------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    """The 95th percentile, nearest-rank (of 20 runs: the second slowest)."""
    ordered = sorted(values)
    rank = max(1, -(-95 * len(ordered) // 100))  # ceil(0.95 n)
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    return seconds * 1000


def time_runs(fn: Callable[[], object], *, runs: int, warmups: int = 0) -> list[float]:
    """Wall-clock seconds of ``runs`` calls of ``fn`` after ``warmups`` untimed ones."""
    for _ in range(warmups):
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


@dataclass
class RequestTiming:
    """Server time of one URL: the Django test client's request, end to end."""

    url: str
    status: int
    times: list[float]  # seconds per run
    queries: int  # SQL statements per request (of the last run)
    sql_times: list[float]  # seconds spent in SQL per run (as Django measures it)
    slowest_sql: str  # the slowest statement of the last run
    error: str = ""

    @property
    def median_ms(self) -> float:
        return ms(median(self.times)) if self.times else float("nan")

    @property
    def p95_ms(self) -> float:
        return ms(p95(self.times)) if self.times else float("nan")

    @property
    def sql_median_ms(self) -> float:
        return ms(median(self.sql_times)) if self.sql_times else float("nan")


def time_request(
    client, url: str, *, runs: int = 20, warmups: int = 2
) -> RequestTiming:
    """Request ``url`` ``warmups + runs`` times; time the request, count its SQL."""

    times, sql_times, status = [], [], 0
    for run in range(warmups + runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            try:
                response = client.get(url)
            except Exception as exc:  # a page mid-edit elsewhere: report, go on
                return RequestTiming(url, 0, [], 0, [], "", error=repr(exc)[:200])
            elapsed = time.perf_counter() - started
        status = response.status_code
        if status != 200:
            return RequestTiming(url, status, [], len(captured), [], "", error="")
        if run >= warmups:
            times.append(elapsed)
            sql_times.append(sum(float(q["time"]) for q in captured.captured_queries))
    slowest = max(captured.captured_queries, key=lambda q: float(q["time"]))
    return RequestTiming(
        url, status, times, len(captured), sql_times, slowest["sql"], error=""
    )


# --- Environment, database, Django --------------------------------------------------


def _database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")


def _maintenance_connection(url: str):
    """A psycopg2 connection to the server's ``postgres`` database, autocommit."""
    import psycopg2

    parts = urlparse(url)
    conn = psycopg2.connect(urlunparse(parts._replace(path="/postgres")))
    conn.autocommit = True
    return conn


def _check_bench_name(name: str) -> None:
    # The build drops and recreates the database: never let that touch a real one.
    if "bench" not in name:
        raise SystemExit(
            f"Refusing to use database {name!r}: a benchmark database's name must "
            "contain 'bench' (it is dropped and rebuilt)."
        )


def create_database(url: str, *, drop: bool = False) -> bool:
    """Create the benchmark database if missing (``drop``: start from scratch).

    Returns True when the database was created.
    """
    name = _database_name(url)
    _check_bench_name(name)
    conn = _maintenance_connection(url)
    try:
        with conn.cursor() as cur:
            if drop:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cur.fetchone():
                return False
            cur.execute(f'CREATE DATABASE "{name}"')
            return True
    finally:
        conn.close()


def configure() -> str:
    """The database of the run, created when missing, and migrated.

    The environment and Django itself are set up when the ``bench`` package is
    imported (``bench/__init__.py``). Returns the database URL.
    """
    url = database_url()
    os.chdir(ROOT)
    if create_database(url):
        say(f"Created database {_database_name(url)}.")
    # force_login() of the benchmark users is not news worth a log line.
    for name in ("axes", "carecenter.security"):
        logging.getLogger(name).setLevel(logging.WARNING)
    migrate()
    return url


def migrate() -> None:

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    say(f"migrate: {time.perf_counter() - started:.1f} s")


def rebuild_database(url: str) -> None:
    """Drop and recreate the benchmark database, then migrate it again."""

    connections.close_all()
    create_database(url, drop=True)
    migrate()


def machine_summary() -> list[tuple[str, str]]:
    """What the figures were measured on: CPU, memory, PostgreSQL and its settings."""

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    except OSError:
        pass
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        server = cur.fetchone()[0]
        settings = []
        for name in (
            "shared_buffers",
            "work_mem",
            "effective_cache_size",
            "max_parallel_workers_per_gather",
            "random_page_cost",
            "jit",
        ):
            cur.execute(f"SHOW {name}")
            settings.append(f"{name}={cur.fetchone()[0]}")
    return [
        ("CPU", f"{cpu}, {os.cpu_count()} cores"),
        ("memory", memory),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("PostgreSQL", server),
        ("settings", ", ".join(settings)),
    ]


def database_size() -> str:

    with connection.cursor() as cur:
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        return cur.fetchone()[0]


def first_of_next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)


def explain(queryset, *, lines: int = 30) -> list[str]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of a queryset: its top lines and the totals."""
    plan = queryset.explain(analyze=True, buffers=True).splitlines()
    tail = [
        ln for ln in plan[lines:] if ln.startswith(("Planning", "Execution", "JIT"))
    ]
    return plan[:lines] + (["  …"] if len(plan) > lines else []) + tail


# --- The district-scale data set ----------------------------------------------------


def insert_select(
    cursor,
    model,
    columns: dict[str, str],
    tail: str,
    params: dict | None = None,
    *,
    with_pk: bool = False,
) -> int:
    """``INSERT INTO <model> (…) SELECT <columns> <tail>``; returns the rows written.

    ``columns`` maps column names to SQL expressions over ``tail`` (a FROM clause
    and the rest). Every other column gets its field's default as a parameter,
    so a field another app adds later does not break the build; a required
    field without a default raises, naming it. ``with_pk``: the primary key is
    one of ``columns`` too.
    """

    params = dict(params or {})
    names, exprs = [], []
    for field in model._meta.concrete_fields:
        if (field.primary_key and not with_pk) or isinstance(field, GeneratedField):
            continue
        names.append(f'"{field.column}"')
        if field.column in columns:
            exprs.append(columns[field.column])
            continue
        default = field.get_default()
        if default is None and not field.null:
            raise RuntimeError(
                f"{model._meta.label}.{field.name} has no default: give it in columns"
            )
        key = f"_default_{field.column}"
        params[key] = field.get_db_prep_save(default, connection=cursor.db)
        exprs.append(f"%({key})s")
    unknown = set(columns) - {f.column for f in model._meta.concrete_fields}
    if unknown:
        raise RuntimeError(f"{model._meta.label} has no columns {sorted(unknown)}")
    cursor.execute(
        f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) "
        f"SELECT {', '.join(exprs)} {tail}",
        params,
    )
    return cursor.rowcount


#: Surnames in rough order of frequency; picked with a skew towards the first.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁"
    "谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = "秀英桂兰玉珍凤华淑芳建国明德福成志强文海金荣春梅云丽红俊杰永振忠宝山泉清林仁义"
STREETS = [
    "幸福路",
    "和平街",
    "建设路",
    "人民路",
    "解放街",
    "新华路",
    "东风路",
    "朝阳街",
]
#: Regions of elders registered elsewhere (户籍 outside the district).
OTHER_REGIONS = ["410102", "510104", "130102", "370102", "420102", "440104"]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

# Category frequencies (independent draws).
CATEGORY_SHARES = {
    "three_no": 0.01,
    "extremely_poor": 0.02,
    "low_income": 0.05,
    "disabled": 0.06,
    "model_worker": 0.005,
    "preferential": 0.02,
    "widowed_childless": 0.015,
}


def _check_character_sql(first17: str) -> str:
    """GB 11643: the check character of the 17-digit string ``first17``, in SQL."""
    terms = " + ".join(
        f"substr({first17}, {k}, 1)::int * {w}" for k, w in enumerate(ID_WEIGHTS, 1)
    )
    return f"substr('10X98765432', ({terms}) %% 11 + 1, 1)"


@dataclass
class District:
    id: int
    station_ids: list[int]
    elders: int
    built_in: float | None  # seconds, None when reused


def find_district(*, elders: int, stations: int) -> District | None:
    """The benchmark district when it holds exactly the requested data, else None."""

    district = DistrictModel.objects.filter(code=DISTRICT_CODE).first()
    if district is None:
        return None
    station_ids = list(
        Station.objects.filter(district=district)
        .order_by("code")
        .values_list("pk", flat=True)
    )
    if len(station_ids) != stations:
        return None
    count = Elder.objects.filter(district=district).count()
    if count != elders:
        return None
    return District(district.pk, station_ids, count, None)


def ensure_district(*, url: str, elders: int, stations: int, reuse: bool) -> District:
    """The benchmark district with ``elders`` elders over ``stations`` stations.

    ``reuse``: keep the data when it is already there at that size. Otherwise the
    database is dropped, recreated, migrated and filled again.
    """
    if reuse:
        found = find_district(elders=elders, stations=stations)
        if found is not None:
            say(f"Reusing {found.elders:,} elders in {stations} stations.")
            return found
        say("No data of that size to reuse: building it.")
    if _has_data():
        rebuild_database(url)
    return build_district(elders=elders, stations=stations)


def _has_data() -> bool:

    return DistrictModel.objects.exists()


def build_district(*, elders: int, stations: int) -> District:
    """Fill an empty, migrated database; prints the time of every step."""

    steps: list[tuple[str, float, int]] = []

    def step(label, fn):
        started = time.perf_counter()
        rows = fn()
        steps.append((label, time.perf_counter() - started, rows))
        say(f"  {label}: {rows:,} rows, {time.perf_counter() - started:.1f} s")
        return rows

    say(f"Building {elders:,} elders in {stations} stations …")
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        _quiet_audit_triggers(cur)
        cur.execute("SELECT setseed(0.2026)")  # the same data on every build
        district_id = _insert_district(cur)
        step("stations", lambda: _insert_stations(cur, district_id, stations))
        cur.execute(
            "SELECT id FROM carecenter_station WHERE district_id = %s ORDER BY code",
            [district_id],
        )
        station_ids = [r[0] for r in cur.fetchall()]
        step("elders", lambda: _insert_elders(cur, district_id, station_ids, elders))
        step("pinyin keys", lambda: fill_name_keys(cur))
        step("Barthel assessments", lambda: _insert_assessments(cur, district_id))
    # Raw inserts write no tier: today's, by the one rule, as the actions keep it.
    step("kept tiers", lambda: tiers_store_all().changed)
    # Nor who owes which contact (care_obligation), kept by the same means.
    step("kept contact obligations", lambda: obligations_store_all())
    step("users", lambda: _create_users(district_id, station_ids[0]))
    step("VACUUM ANALYZE", _vacuum_analyze)
    total = time.perf_counter() - started
    say(f"Built in {total:.1f} s; database size {database_size()}.")
    return District(district_id, station_ids, elders, total)


#: Audit triggers kept quiet during the build: a million audit rows saying
#: "inserted by the benchmark" would double the build and are never read by the
#: measurements. Constraints and foreign keys still apply.
QUIET_TRIGGERS = (
    "elders.Elder:insert_insert",
    "elders.Elder:update_update",
    "elders.BarthelAssessment:insert_insert",
)


def _quiet_audit_triggers(cur) -> None:
    """Ignore ``QUIET_TRIGGERS`` until the end of the current transaction.

    What ``pgtrigger.ignore`` does, set once: its own wrapper prefixes every
    statement with a positional parameter, which named parameters cannot mix with.
    """

    names = []
    try:
        for model, trigger in pgtrigger.registered(*QUIET_TRIGGERS):
            pgid = trigger.get_pgid(model)
            names += [f"{model._meta.db_table}:{pgid}", pgid]
    except Exception as exc:  # a trigger renamed: build with it, only slower
        say(f"  (audit triggers stay on: {exc})")
        return
    cur.execute(
        "SELECT set_config('pgtrigger.ignore', %s, true)", ["{" + ",".join(names) + "}"]
    )


def _insert_district(cur) -> int:

    insert_select(
        cur,
        DistrictModel,
        {"code": "%(code)s", "name": "%(name)s"},
        "",
        {"code": DISTRICT_CODE, "name": "基准区"},
    )
    cur.execute("SELECT id FROM carecenter_district WHERE code = %s", [DISTRICT_CODE])
    return cur.fetchone()[0]


def _insert_stations(cur, district_id: int, stations: int) -> int:

    return insert_select(
        cur,
        Station,
        {
            "district_id": "%(district)s",
            "code": "'BENCH-' || lpad(g::text, 3, '0')",
            "name": "'基准站' || g",
            "kind": "CASE WHEN g %% 3 = 0 THEN 'village' ELSE 'community' END",
            "address": "'基准区' || g || '号'",
            "service_phone": "'0571-8' || lpad(g::text, 7, '0')",
            "building_area": "250 + g * 7 %% 200",
            "has_day_care_room": "true",
            "has_pantry": "g %% 5 <> 0",
            "has_medical_room": "g %% 4 <> 0",
            "has_entertainment_room": "true",
            "has_studio": "g %% 7 <> 0",
            "has_outdoor_fitness": "g %% 6 <> 0",
            "has_catering_hygiene_certificate": "g %% 8 <> 0",
            "public_welfare_posts": "3 + g %% 3",
            "is_active": "true",
        },
        "FROM generate_series(1, %(n)s) AS g",
        {"district": district_id, "n": stations},
    )


def _insert_elders(cur, district_id: int, station_ids: list[int], elders: int) -> int:
    """Draws and a resident ID number unique by construction, set-based.

    The ID number is region + birth date + a 3-digit sequence whose last digit
    is odd for men, then the GB 11643 check character. The sequence is the
    elder's rank among those of the same region, birth date and gender, so two
    elders never share a number (up to 500 per region, day and gender; the
    largest group of the default data set holds fewer than 20).

    The draws go into a temporary table (one statement), the archives are
    inserted from it with their ids and the last four characters of the number
    (one statement), then the numbers are encrypted as the application stores
    them (``elders.id_numbers.seal``: AES-GCM and the blind index cannot be
    computed in SQL) and copied into ``elders_elderidnumber`` with ``COPY``, a
    chunk at a time.
    """

    categories = ", ".join(
        f"CASE WHEN random() < {share} THEN '{code}' END"
        for code, share in CATEGORY_SHARES.items()
    )
    people = f"""
    CREATE TEMP TABLE bench_people ON COMMIT DROP AS
    SELECT e.*, first17 || {_check_character_sql("first17")} AS id_number
    FROM (
        WITH draws AS (
            SELECT g AS i,
                   (g - 1) %% cardinality(%(stations)s::bigint[]) + 1 AS s,
                   random() AS r_age, random() AS u_age,
                   random() AS r_sex, random() AS r_hukou, random() AS r_living,
                   random() AS r_nest, random() AS r_status, random() AS r_money,
                   random() AS r_override
            FROM generate_series(1, %(n)s) AS g
        ), people AS (
            SELECT d.*,
                greatest(date '1920-01-01', least(date '1975-12-31',
                    current_date - (365.25 * CASE
                        -- 5%%: registered before 60; 85%%: 60–85, denser
                        -- towards 60; 10%%: 85 and over.
                        WHEN r_age < 0.05 THEN 51 + 9 * u_age
                        WHEN r_age < 0.90 THEN 60 + 25 * power(u_age, 1.4)
                        ELSE 85 + 22 * power(u_age, 1.5)
                    END)::int)) AS birth_date,
                CASE WHEN r_sex < 0.46 THEN 'M' ELSE 'F' END AS gender,
                r_hukou >= 0.08 AS hukou_local,
                CASE WHEN r_living < 0.15 THEN 'alone'
                     WHEN r_living < 0.60 THEN 'spouse'
                     WHEN r_living < 0.92 THEN 'children'
                     ELSE 'other' END AS living_arrangement,
                CASE WHEN r_living < 0.15 THEN r_nest < 0.60
                     WHEN r_living < 0.60 THEN r_nest < 0.25
                     WHEN r_living < 0.92 THEN false
                     ELSE r_nest < 0.05 END AS empty_nest,
                array_remove(ARRAY[{categories}], NULL) AS categories,
                CASE WHEN r_status < 0.94 THEN 'active'
                     WHEN r_status < 0.96 THEN 'institution'
                     WHEN r_status < 0.98 THEN 'moved'
                     ELSE 'deceased' END AS status
            FROM draws d
        ), regions AS (
            SELECT p.*,
                CASE WHEN hukou_local THEN '33' || lpad(s::text, 4, '0')
                     ELSE (%(other_regions)s::text[])[1 + (i %% %(n_other)s)]
                END AS region
            FROM people p
        ), ranked AS (
            SELECT r.*, row_number() OVER (
                PARTITION BY region, birth_date, gender ORDER BY i) AS seq
            FROM regions r
        )
        SELECT k.*,
            region || to_char(birth_date, 'YYYYMMDD')
                || lpad(((seq - 1) * 2 + (gender = 'M')::int)::text, 3, '0')
                AS first17
        FROM ranked k
    ) AS e
    """
    surnames, given = len(SURNAMES), len(GIVEN)
    name = (
        f"substr(%(surnames)s, 1 + floor({surnames} * power(random(), 1.5))::int, 1)"
        f" || substr(%(given)s, 1 + floor(random() * {given})::int, 1)"
        f" || CASE WHEN random() < 0.7"
        f" THEN substr(%(given)s, 1 + floor(random() * {given})::int, 1) ELSE '' END"
    )
    params = {
        "district": district_id,
        "stations": station_ids,
        "n": elders,
        "surnames": SURNAMES,
        "given": GIVEN,
        "streets": STREETS,
        "n_streets": len(STREETS),
        "other_regions": OTHER_REGIONS,
        "n_other": len(OTHER_REGIONS),
    }
    cur.execute(people, params)
    cur.execute("SELECT coalesce(max(id), 0) FROM elders_elder")
    params["base"] = cur.fetchone()[0]
    rows = insert_select(
        cur,
        Elder,
        {
            "id": "%(base)s + i",
            "station_id": "(%(stations)s::bigint[])[s]",
            "district_id": "%(district)s",
            "name": name,
            "gender": "gender",
            "birth_date": "birth_date",
            "id_number_last4": "right(id_number, 4)",
            "phone": "CASE WHEN random() < 0.05 THEN '' ELSE '1' || "
            "(ARRAY['3','5','8'])[1 + floor(random() * 3)::int] || "
            "lpad(floor(random() * 1e9)::bigint::text, 9, '0') END",
            "address": "(%(streets)s::text[])[1 + floor(random() * %(n_streets)s)::int]"
            " || (1 + floor(random() * 300))::int || '号'"
            " || (1 + floor(random() * 6))::int || '0'"
            " || (1 + floor(random() * 4))::int",
            "hukou_local": "hukou_local",
            "residence_since": "CASE WHEN hukou_local THEN NULL "
            "ELSE current_date - floor(random() * 365 * 25)::int END",
            "living_arrangement": "living_arrangement",
            "empty_nest": "empty_nest",
            "categories": "categories",
            "financial_difficulty": "categories && "
            "ARRAY['three_no', 'extremely_poor', 'low_income'] OR r_money < 0.04",
            "health_status": "CASE WHEN random() < 0.4 THEN 'good' "
            "WHEN random() < 0.67 THEN 'fair' ELSE 'poor' END",
            "chronic_conditions": "CASE WHEN random() < 0.45 THEN "
            "(ARRAY['高血压', '糖尿病', '冠心病', '慢阻肺', '高血压、糖尿病'])"
            "[1 + floor(random() * 5)::int] ELSE '' END",
            "status": "status",
            "tier_override": "CASE WHEN r_override < 0.001 THEN "
            "(ARRAY['free', 'low_cost', 'paid'])[1 + floor(random() * 3)::int]"
            " ELSE '' END",
            "tier_override_reason": "CASE WHEN r_override < 0.001 "
            "THEN '站长核定：家庭情况特殊' ELSE '' END",
            "tier_override_at": "CASE WHEN r_override < 0.001 THEN now() END",
            "created_at": "now() - random() * interval '1000 days'",
            "updated_at": "now()",
        },
        "FROM bench_people ORDER BY i",
        params,
        with_pk=True,
    )
    cur.execute(
        "SELECT setval(pg_get_serial_sequence('elders_elder', 'id'), "
        "(SELECT max(id) FROM elders_elder))"
    )
    _copy_id_numbers(cur, district_id, params["base"])
    return rows


def _copy_id_numbers(cur, district_id: int, base: int, chunk: int = 50_000) -> None:
    """Encrypt every drawn number and ``COPY`` it into ``elders_elderidnumber``."""
    import io

    from elders import id_numbers

    last = 0
    while True:
        cur.execute(
            "SELECT i, id_number FROM bench_people WHERE i > %s ORDER BY i LIMIT %s",
            [last, chunk],
        )
        found = cur.fetchall()
        if not found:
            return
        out = io.StringIO()
        for i, number in found:
            sealed = id_numbers.seal(number)
            out.write(
                f"{base + i}\t{district_id}\t"
                f"\\\\x{sealed.encrypted.hex()}\t\\\\x{sealed.index.hex()}\n"
            )
        out.seek(0)
        cur.cursor.copy_expert(
            "COPY elders_elderidnumber (elder_id, district_id, encrypted, index) "
            "FROM STDIN",
            out,
        )
        last = found[-1][0]


def fill_name_keys(cur) -> int:
    """Every archive's pinyin key (``elders.names.name_key``), which SQL cannot
    compute: the distinct names keyed in Python, copied into a temporary table,
    then one ``UPDATE … FROM``."""
    import io

    from elders.names import name_key

    cur.execute("SELECT DISTINCT name FROM elders_elder WHERE name_key = ''")
    names = [row[0] for row in cur.fetchall()]
    cur.execute(
        "CREATE TEMP TABLE bench_name_key (name text PRIMARY KEY, key text)"
        " ON COMMIT DROP"
    )
    out = io.StringIO("".join(f"{n}\t{name_key(n)}\n" for n in names))
    cur.cursor.copy_expert("COPY bench_name_key (name, key) FROM STDIN", out)
    cur.execute(
        "UPDATE elders_elder e SET name_key = k.key FROM bench_name_key k"
        " WHERE e.name = k.name AND e.name_key = ''"
    )
    return cur.rowcount


def _barthel_items_sql() -> dict[str, str]:
    """Each item at its full score, or (with probability ``d``) a lower one."""

    items = {}
    for key, (_label, scale) in BARTHEL_ITEMS.items():
        lower = ", ".join(str(s) for s in scale[:-1])
        items[key] = (
            f"CASE WHEN random() < d THEN (ARRAY[{lower}])"
            f"[1 + floor(random() * {len(scale) - 1})::int] ELSE {scale[-1]} END"
        )
    return items


def _insert_assessments(cur, district_id: int) -> int:
    """~30% of elders assessed, a third of them twice; dependency grows with age.

    ``d`` is the chance that an item is below its full score: 0 for the fully
    independent (60% of the under-75s, 45% of 75–84, 25% of 85+), else 0.1–0.8.
    """

    tail = """
    FROM (
        SELECT e.id, n,
            CASE WHEN random() < CASE
                    WHEN e.birth_date > current_date - interval '75 years' THEN 0.60
                    WHEN e.birth_date > current_date - interval '85 years' THEN 0.45
                    ELSE 0.25 END
                 THEN 0 ELSE 0.1 + 0.7 * random() END AS d
        FROM (
            SELECT id, birth_date, random() < 0.33 AS twice
            FROM elders_elder
            WHERE district_id = %(district)s AND random() < 0.30
        ) AS e
        CROSS JOIN LATERAL generate_series(1, CASE WHEN e.twice THEN 2 ELSE 1 END) AS n
    ) AS x
    """
    columns = {
        "elder_id": "id",
        "assessed_on": "current_date - (n - 1) * 365 - floor(random() * 360)::int",
        **_barthel_items_sql(),
        "notes": "''",
        "created_at": "now()",
    }
    return insert_select(
        cur, BarthelAssessment, columns, tail, {"district": district_id}
    )


def _create_users(district_id: int, station_id: int) -> int:
    """A staff member of the first station and a supervisor of the district."""

    staff, _ = User.objects.get_or_create(username=STAFF_USERNAME)
    supervisor, _ = User.objects.get_or_create(username=SUPERVISOR_USERNAME)
    RoleAssignment.objects.get_or_create(
        user=staff, role=Role.STAFF, station_id=station_id
    )
    RoleAssignment.objects.get_or_create(
        user=supervisor, role=Role.SUPERVISOR, district_id=district_id
    )
    return 2


def _vacuum_analyze() -> int:

    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    return 0


def bench_users():
    """``(staff of the first station, supervisor of the district)``."""

    return (
        User.objects.get(username=STAFF_USERNAME),
        User.objects.get(username=SUPERVISOR_USERNAME),
    )
