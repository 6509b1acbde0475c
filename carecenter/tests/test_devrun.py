"""``make run``'s supervisor (``carecenter.devrun``): without a broker it starts an
embedded Redis, a worker and beat beside the web server; ``/healthz`` then reports
the broker and beat up; a TERM to the process group leaves nothing running."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _health(port: int) -> dict:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return json.load(r)
    except OSError:
        return {}


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.django_db(transaction=True)
def test_make_run_starts_redis_a_worker_and_beat_and_stops_them_all(tmp_path):
    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{host}:{db['PORT'] or 5432}/"
        f"{db['NAME']}",
        "DEBUG": "1",
        "CARECENTER_RUN_ADDRESS": f"127.0.0.1:{port}",
        "CARECENTER_REDIS_DIR": str(tmp_path / "redis"),
    }
    for name in (
        "CELERY_BROKER_URL",
        "CELERY_RESULT_BACKEND",
        "DJANGO_SETTINGS_MODULE",
    ):
        env.pop(name, None)
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "carecenter.devrun"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        health = {}
        while time.monotonic() < deadline and process.poll() is None:
            health = _health(port)
            if health.get("broker") == "ok" and health.get("beat") == "ok":
                break
            time.sleep(1)
        assert health.get("broker") == "ok", (tmp_path / "run.log").read_text()[-3000:]
        assert health["beat"] == "ok"
        assert health["database"] == "ok"
        assert (tmp_path / "redis" / "redis.sock").exists()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
        log.close()
    deadline = time.monotonic() + 10
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _group_alive(process.pid), "a process of make run outlived it"
    assert not (tmp_path / "redis" / "redis.sock").exists()
    # The worker ran the catch-up that beat sent as it started.
    assert "carecenter.catch_up" in (tmp_path / "run.log").read_text()
