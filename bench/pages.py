"""The pages everyone opens, at district scale (PRODUCT.md: "Fast at district scale").

On the data of ``bench/dashboard.py`` (1,000,000 elders in 50 stations and
10,000,000 service records) it measures, as a station's staff member (1/50 of
the elders) and as the district's supervisor (all of them):

1. **the elder list** at every filter, search and sorting it offers, through
   Django's test client: median and p95 of 20 requests after 2 warm-ups, SQL
   statements per request, time in SQL;
2. **the home page** the same way;
3. **the home page over HTTP** against gunicorn on loopback (3 workers): 50
   requests in sequence, then 8 and 32 concurrent clients (median and p95 of
   every request, requests per second);
4. **the scheduled refresh** (``supervision.actions.figures_refresh_recent``)
   after no writes and after 1,000 new service records (removed afterwards).

Run (see bench/README.md)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/carecenter_bench_dash \\
        .venv/bin/python bench/pages.py [--skip-http] [--port 8105]

It needs the data of ``bench/dashboard.py`` (it builds nothing). Not a test: it
prints figures and fails only when a page answers with an error.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from django.conf import settings
from django.db import reset_queries
from django.test import Client
from django.urls import reverse

from bench import ROOT, common, dashboard
from bench.common import heading, ms, say
from carecenter.models import Station
from elders.models import Elder
from supervision import actions as supervision_actions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmups", type=int, default=2)
    parser.add_argument("--port", type=int, default=8105)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--requests", type=int, default=10, help="requests per concurrent client"
    )
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument(
        "--only-http", action="store_true", help="the HTTP load run alone"
    )
    parser.add_argument(
        "--debug-server",
        action="store_true",
        help="serve with DEBUG on (the default is a deployment's settings)",
    )
    parser.add_argument("--skip-refresh", action="store_true")
    args = parser.parse_args(argv)

    url = common.configure()
    district = common.find_district(elders=1_000_000, stations=50) or _any_district()
    heading("Machine")
    for label, value in common.machine_summary():
        say(f"{label:>11}: {value}")
    say(f"{'load':>11}: {os.getloadavg()}")

    staff, supervisor = common.bench_users()
    problems: list[str] = []

    if args.only_http:
        args.skip_http = args.skip_refresh = False
    heading("1. Elder list: server time per request (Django test client)")
    rows = []
    for role, user in (("staff", staff), ("supervisor", supervisor)):
        client = Client()
        client.force_login(user)
        for label, page in [] if args.only_http else list_urls(district):
            reset_queries()  # DEBUG keeps the last 9,000 statements only
            timing = common.time_request(
                client, page, runs=args.runs, warmups=args.warmups
            )
            rows.append(_row(role, label, timing, problems))
    common.print_table(
        ["user", "view", "median ms", "p95 ms", "queries", "SQL ms", "status"], rows
    )

    heading("2. Home page: server time per request (Django test client)")
    rows = []
    for role, user in (("staff", staff), ("supervisor", supervisor)):
        client = Client()
        client.force_login(user)
        reset_queries()
        timing = common.time_request(
            client, reverse("home"), runs=args.runs, warmups=args.warmups
        )
        rows.append(_row(role, "home page", timing, problems))
    common.print_table(
        ["user", "view", "median ms", "p95 ms", "queries", "SQL ms", "status"], rows
    )

    if not args.skip_http:
        heading(
            f"3. Home page over HTTP: gunicorn, {args.workers} workers, "
            f"127.0.0.1:{args.port}, DEBUG {'on' if args.debug_server else 'off'}"
        )
        problems += measure_http(
            url, staff, supervisor, port=args.port, workers=args.workers,
            per_client=args.requests, debug=args.debug_server,
        )  # fmt: skip

    if not args.skip_refresh and not args.only_http:
        heading("4. The scheduled refresh (figures_refresh_recent)")
        measure_refresh(district)

    heading("Summary")
    say(f"load average at the end: {os.getloadavg()}")
    for problem in problems:
        say(f"PROBLEM: {problem}")
    return 1 if problems else 0


def _any_district():
    station = Station.objects.order_by("pk").first()
    ids = list(
        Station.objects.filter(district_id=station.district_id)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return common.District(
        id=station.district_id, station_ids=ids, elders=0, built_in=None
    )


def _row(role, label, timing, problems):
    if timing.error or timing.status != 200:
        problems.append(f"{role} {label}: {timing.status} {timing.error}")
        return (role, label, float("nan"), float("nan"), 0, 0.0, timing.status)
    say(f"  {role:<10} {label:<34} median {timing.median_ms:7.1f} ms")
    return (
        role,
        label,
        timing.median_ms,
        timing.p95_ms,
        timing.queries,
        timing.sql_median_ms,
        timing.status,
    )


def list_urls(district) -> list[tuple[str, str]]:
    """Every filter, search and sorting of the elder list."""
    base = reverse("elders:list")
    full_name = (
        Elder.objects.filter(station_id=district.station_ids[0])
        .order_by("pk")
        .values_list("name", flat=True)[100]
    )
    station = Station.objects.get(pk=district.station_ids[1]).code

    def url(**params):
        return f"{base}?{urlencode(params)}" if params else base

    return [
        ("first page", url()),
        ("page 200", url(page=200)),
        ("age 80–89", url(age_band="80-89")),
        ("age 90+", url(age_band="90+")),
        ("tier free", url(tier="free")),
        ("tier low-cost", url(tier="low_cost")),
        ("tier paid, page 50", url(tier="paid", page=50)),
        ("category three-no", url(category="three_no")),
        ("disabled, youngest first", url(category="disabled", ordering="-birth_date")),
        ("status in an institution", url(status="institution")),
        ("status deceased", url(status="deceased")),
        ("living alone", url(living_arrangement="alone")),
        ("one station (filter)", url(station=station)),
        ("newest registered first", url(ordering="-created")),
        ("oldest first", url(ordering="birth_date")),
        ("q=王 (surname)", url(q="王")),
        ("q=王, page 20", url(q="王", page=20)),
        (f"q={full_name} (full name)", url(q=full_name)),
        ("q=王, tier paid, 80–89", url(q="王", tier="paid", age_band="80-89")),
        ("q=1234 (ID tail)", url(q="1234")),
    ]


# --- 3. HTTP --------------------------------------------------------------------------


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _get(port: int, path: str, cookie: str) -> float:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Cookie": f"sessionid={cookie}"}
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status}")
    return time.perf_counter() - started


def _server_env(url: str, *, debug: bool) -> dict[str, str]:
    """The server's environment: production settings (``DEBUG`` off, static
    files collected, as a deployment runs) unless ``debug``; plain HTTP on
    loopback, so no redirect to HTTPS."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "1" if debug else "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    if not debug:
        # The sessions are made by this process: the server signs with its key.
        env["SECRET_KEY"] = settings.SECRET_KEY
        env["SECURE_SSL_REDIRECT"] = "0"
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
    return env


def _start_gunicorn(
    url: str, port: int, workers: int, *, debug: bool = False
) -> subprocess.Popen:
    env = _server_env(url, debug=debug)
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "carecenter.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
            return process
        except Exception:
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def _load(port, path, cookie, *, clients: int, per_client: int):
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client():
        for _ in range(per_client):
            try:
                elapsed = _get(port, path, cookie)
            except Exception as exc:
                with lock:
                    errors.append(repr(exc)[:120])
                continue
            with lock:
                times.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times, errors, time.perf_counter() - started


def measure_http(
    url, staff, supervisor, *, port, workers, per_client, debug=False
) -> list[str]:
    process = _start_gunicorn(url, port, workers, debug=debug)
    problems, rows = [], []
    try:
        for role, user in (("staff", staff), ("supervisor", supervisor)):
            cookie = _session_cookie(user)
            for _ in range(3 * workers):  # every worker warm
                _get(port, "/", cookie)
            runs = [("50 in sequence", 1, 50)] + [
                (f"{n} concurrent clients", n, per_client) for n in (8, 32)
            ]
            for label, clients, each in runs:
                times, errors, wall = _load(
                    port, "/", cookie, clients=clients, per_client=each
                )
                if errors:
                    problems.append(f"HTTP {role} {label}: {errors[:3]}")
                rows.append(
                    (
                        role,
                        label,
                        len(times),
                        ms(common.median(times)) if times else float("nan"),
                        ms(common.p95(times)) if times else float("nan"),
                        f"{len(times) / wall:.1f}",
                        len(errors),
                    )
                )
                say(f"  {role:<10} {label:<22} median {rows[-1][3]:7.1f} ms")
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    common.print_table(
        ["user", "load", "requests", "median ms", "p95 ms", "req/s", "errors"], rows
    )
    return problems


# --- 4. The scheduled refresh ---------------------------------------------------------


def measure_refresh(district, runs: int = 3) -> None:
    dashboard.remove_added()
    started = time.perf_counter()
    supervision_actions.figures_refresh_recent()
    first = time.perf_counter() - started
    say(f"first refresh (settles what was pending): {first:.2f} s")
    after_none = common.time_runs(supervision_actions.figures_refresh_recent, runs=runs)
    insert_s, marks = dashboard.add_records(district, 1_000)
    started = time.perf_counter()
    run = supervision_actions.figures_refresh_recent()
    after_added = time.perf_counter() - started
    dashboard.remove_added()
    supervision_actions.figures_refresh_recent()
    common.print_table(
        ["refresh", "seconds", "station-months marked", "figures written"],
        [
            ("after no writes (median of 3)", f"{common.median(after_none):.3f}", 0, 0),
            (
                "after 1,000 new records",
                f"{after_added:.3f}",
                marks,
                run.figures_written,
            ),
        ],
    )
    say(f"the 1,000 records took {insert_s:.2f} s to insert (every trigger on)")


if __name__ == "__main__":
    sys.exit(main())
