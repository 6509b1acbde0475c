"""District-scale benchmarks (see README.md).

Importing the package prepares Django: the environment a benchmark runs in (its
own database, ``DEBUG``, hosts for the test client) and the app registry, so
that the scripts and ``bench.common`` import the project's modules at their top
like any other module. ``common.configure()`` then creates the database when
missing and migrates it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/carecenter_bench"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


os.environ["DATABASE_URL"] = database_url()
os.environ["DEBUG"] = "1"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecenter.settings")
os.environ["ALLOWED_HOSTS"] = ",".join(
    dict.fromkeys(
        [
            *(h for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h),
            "testserver",
            "127.0.0.1",
            "localhost",
        ]
    )
)
django.setup()
