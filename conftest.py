"""The fixed cast of every scoping test (STYLE.md §11) and the browser set-up.

District D1 holds stations A and B; district D2 holds station C. ``staff_a`` and
``manager_a`` work at A, ``staff_b`` at B, ``supervisor`` supervises D1, and
``volunteer_a`` volunteers at A.
"""

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
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "viewport": {"width": 1280, "height": 900},
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
        page.wait_for_url(f"{live_server.url}/")

    return sign_in
