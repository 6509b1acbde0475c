"""The fixed cast of every scoping test (STYLE.md §11) and the browser set-up.

District D1 holds stations A and B; district D2 holds station C. ``staff_a`` and
``manager_a`` work at A, ``staff_b`` at B, ``supervisor`` supervises D1, and
``volunteer_a`` volunteers at A.
"""

import contextlib
import os
from types import SimpleNamespace

import pytest

# pytest-playwright drives the browser from an event loop; Django's ORM refuses to
# run in one unless told that this test process knows what it is doing.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def cast(db):
    from carecenter.models import Role
    from carecenter.tests.factories import (
        DistrictFactory,
        StationFactory,
        user_with_role,
    )

    d1 = DistrictFactory(code="D1", name="一区")
    d2 = DistrictFactory(code="D2", name="二区")
    a = StationFactory(code="A", name="甲站", district=d1)
    b = StationFactory(code="B", name="乙站", district=d1)
    c = StationFactory(code="C", name="丙站", district=d2)
    return SimpleNamespace(
        d1=d1,
        d2=d2,
        a=a,
        b=b,
        c=c,
        staff_a=user_with_role("staff_a", Role.STAFF, station=a),
        manager_a=user_with_role("manager_a", Role.MANAGER, station=a),
        staff_b=user_with_role("staff_b", Role.STAFF, station=b),
        supervisor=user_with_role("supervisor", Role.SUPERVISOR, district=d1),
        volunteer_a=user_with_role("volunteer_a", Role.VOLUNTEER, station=a),
        admin=user_with_role("admin", Role.ADMINISTRATOR),
    )


@pytest.fixture(autouse=True)
def _fresh_home_statements():
    """Each test builds the home page's counter statement afresh (a test may
    change what a counter counts)."""
    from carecenter import home

    home.forget_statements()
    yield


@pytest.fixture(autouse=True)
def _english_messages():
    """Code outside a request speaks English in tests; requests choose their own."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    """Tasks run in the test's own process unless a test starts a real worker."""
    from carecenter.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = True


def _forget_connections(app) -> None:
    """Drop the app's cached broker pools and result backend after a change of URL."""
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


@contextlib.contextmanager
def real_broker():
    """Tasks go through a broker, not eagerly: ``CELERY_BROKER_URL`` (Redis in CI)
    when set, else an in-memory one. Yields the app."""
    from django.conf import settings

    from carecenter.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "result_backend")}
    app.conf.task_always_eager = False
    if not settings.CELERY_BROKER_URL:
        app.conf.broker_url = "memory://"
        app.conf.result_backend = "cache+memory://"
        _forget_connections(app)
    try:
        yield app
    finally:
        app.conf.update(saved)
        app.conf.task_always_eager = True
        _forget_connections(app)


def running_worker(app):
    """A real Celery worker in a thread (a context manager)."""
    from celery.contrib.testing.worker import start_worker

    return start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10)


@pytest.fixture
def broker_app(transactional_db):
    """The app on a real broker with no worker yet: start one with
    ``running_worker(app)`` (the ``worker_for`` fixture) when the test wants it."""
    with real_broker() as app:
        yield app


@pytest.fixture
def worker_for():
    return running_worker


@pytest.fixture
def real_worker(transactional_db):
    """A real Celery worker in a thread, not eager: against ``CELERY_BROKER_URL``
    (Redis in CI) when set, else an in-memory broker. Yields the app."""
    with real_broker() as app, running_worker(app):
        yield app


# --- The service catalogue (rows of a data migration)


def _seed_catalogue() -> None:
    from services.demo import catalogue_ensure

    catalogue_ensure()


@pytest.fixture(scope="session", autouse=True)
def _service_catalogue_in_the_test_database(django_db_setup, django_db_blocker):
    """The catalogue rows of the data migration.

    A transactional test (the browser tests) truncates every table when it ends,
    data migrations' rows included, and ``--reuse-db`` keeps the database so
    truncated for the next run: seed the rows again (idempotent).
    """
    with django_db_blocker.unblock():
        _seed_catalogue()


@pytest.fixture(autouse=True)
def _service_catalogue(request):
    """The same after a transactional test has run earlier in this session."""
    if "transactional_db" in request.fixturenames or any(
        m.kwargs.get("transaction") for m in request.node.iter_markers("django_db")
    ):
        _seed_catalogue()


# --- Browser tests (pytest-playwright on Debian's Chromium; never a downloaded browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    from django.conf import settings

    return {
        **browser_context_args,
        "locale": "zh-CN",
        "viewport": {"width": 1280, "height": 900},
        # A browser at the station, on its clock: times typed in a page are read
        # in the zone the server shows them in.
        "timezone_id": settings.TIME_ZONE,
    }


@pytest.fixture
def screenshot_dir():
    path = os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "test-results", "screenshots"
    )
    os.makedirs(path, exist_ok=True)
    return path


@pytest.fixture
def sign_in(page, live_server):
    """Sign ``username`` (password ``pw``, as the cast has) in through the form."""

    def sign_in(username: str) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "pw")
        page.locator("main form button[type=submit]").click()
        # The home page, or a volunteer's own start page.
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return sign_in
