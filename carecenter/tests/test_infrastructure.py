"""Health, production settings, Celery, demo data, the API skeleton, query counts."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecenter.tests.factories import StationFactory

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"] == ("ok" if settings.CELERY_BROKER_URL else "eager")


def test_healthz_answers_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")


def test_production_settings_pass_the_deploy_check():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "0",
        "SECRET_KEY": "k" * 20 + "-production-like-secret-key-with-enough-entropy-9f3a",
        "ALLOWED_HOSTS": "care.example.org",
        "DJANGO_SETTINGS_MODULE": "carecenter.settings",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"DEBUG": "0", "DJANGO_SETTINGS_MODULE": "carecenter.settings"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_a_real_worker_runs_a_task(real_worker):
    """Against CELERY_BROKER_URL (Redis in CI) when set, else an in-memory broker."""
    from carecenter.tasks import ping

    assert ping.delay().get(timeout=20) == "pong"


def test_seed_demo_is_safe_to_run_twice(client):
    call_command("seed_demo", password="demo-pw-1")
    call_command("seed_demo", password="demo-pw-1")
    from carecenter.models import RoleAssignment, Station, User

    assert set(Station.objects.values_list("code", flat=True)) == {"DEMO-A", "DEMO-B"}
    assert RoleAssignment.objects.count() == 6
    for username in [
        "admin",
        "manager_a",
        "staff_a",
        "staff_b",
        "supervisor",
        "volunteer_a",
    ]:
        assert User.objects.get(username=username).check_password("demo-pw-1")
    staff_b = User.objects.get(username="staff_b")
    assert staff_b.roles.get().station.code == "DEMO-B"


def test_every_demo_user_can_sign_in(client):
    call_command("seed_demo", password="demo-pw-2")
    for username in [
        "admin",
        "manager_a",
        "staff_a",
        "staff_b",
        "supervisor",
        "volunteer_a",
    ]:
        client.post(reverse("logout"))
        response = client.post(
            reverse("login"), {"username": username, "password": "demo-pw-2"}
        )
        assert response.status_code == 302, username
        assert client.get(reverse("home"), follow=True).status_code == 200


def test_the_token_endpoint_returns_a_token_that_authenticates(client, cast):
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "staff_a", "password": "pw"},
        content_type="application/json",
    )
    assert response.status_code == 200
    token = response.json()["token"]
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    listing = api.get("/api/v1/stations/").json()
    assert set(listing) >= {"count", "next", "previous", "results"}
    assert [row["code"] for row in listing["results"]] == ["A"]


def test_the_token_endpoint_refuses_a_wrong_password(client, cast):
    response = client.post(
        "/api/v1/auth/token/",
        {"username": "staff_a", "password": "nope"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "token" not in response.json()


def test_the_api_needs_authentication(client, cast):
    assert client.get("/api/v1/stations/").status_code in (401, 403)


def test_the_schema_and_docs_are_served(client, cast):
    client.force_login(cast.staff_a)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/stations/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()


def test_the_station_list_costs_a_constant_number_of_queries(client, cast):
    client.force_login(cast.supervisor)
    url = reverse("station-list")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(20):
        StationFactory(district=cast.d1, code=f"X{n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["stations"]) == 22
    assert len(many) == len(few)


def test_the_home_page_costs_a_constant_number_of_queries(client, cast):
    client.force_login(cast.supervisor)
    client.get(reverse("home"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("home"))
    for n in range(20):
        StationFactory(district=cast.d1, code=f"Y{n}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("home"))
    assert len(many) == len(few)
