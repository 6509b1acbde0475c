"""The API answers as its schema says (``/api/schema/``): clients are generated from it.

The unit tests pin each rule down; ``test_schemathesis_finds_nothing`` runs
schemathesis over every operation of the served schema, as staff and as a manager,
with every check but ``positive_data_acceptance`` (business rules rightly refuse
some well-formed data) and ``ignored_auth`` (it sends a valid token beside a bogus
cookie).
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from elders.tests.factories import ElderFactory
from services.tests.factories import ProviderFactory, ServiceRecordFactory
from volunteers.models import Team
from volunteers.tests.factories import VolunteerFactory

pytestmark = pytest.mark.django_db

WRITES = {"post", "put", "patch"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


# --- Status codes -------------------------------------------------------------------


def test_a_request_without_credentials_is_answered_401_with_a_challenge(cast):
    response = APIClient().get("/api/v1/elders/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()


def test_a_bad_token_is_answered_401_with_a_challenge(cast):
    response = APIClient().get(
        "/api/v1/elders/", HTTP_AUTHORIZATION="Token not-a-token"
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_every_operation_declares_its_error_answers(schema):
    missing = []
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        parameters = operation.get("parameters", [])
        expected = set()
        if path != "/api/v1/auth/token/":
            expected |= {"401", "403"}
        if method in WRITES or any(p["in"] == "query" for p in parameters):
            expected.add("400")
        if any(p["in"] == "path" for p in parameters) or any(
            p["name"] == "page" for p in parameters
        ):
            expected.add("404")
        if expected - codes:
            missing.append(f"{method.upper()} {path}: {sorted(expected - codes)}")
    assert not missing, "\n".join(missing)


def test_the_401_declares_its_challenge_header(schema):
    response = schema["paths"]["/api/v1/elders/"]["get"]["responses"]["401"]
    assert response["headers"]["WWW-Authenticate"]["required"] is True


def test_the_token_endpoint_declares_the_200_it_answers(schema, cast):
    responses = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert "200" in responses and "201" not in responses
    answer = APIClient().post(
        "/api/v1/auth/token/", {"username": "staff_a", "password": "pw"}
    )
    assert answer.status_code == 200


# --- Fields as declared -------------------------------------------------------------


def test_a_grant_month_is_declared_as_the_yyyy_mm_it_returns(schema):
    for name in ("Grant", "Cycle"):
        month = schema["components"]["schemas"][name]["properties"]["month"]
        assert month["type"] == "string" and "format" not in month
        assert month["pattern"] == "^[0-9]{4}-(0[1-9]|1[0-2])$"


def test_a_checklist_confirmation_time_is_declared_nullable(schema):
    checklist = schema["components"]["schemas"]["Checklist"]["properties"]
    assert checklist["confirmed_at"]["nullable"] is True


def test_a_patch_answers_with_the_volunteers_username(cast):
    volunteer = VolunteerFactory(station=cast.a)
    response = signed_in(cast.staff_a).patch(
        f"/api/v1/volunteers/{volunteer.pk}/", {"phone": "139 0000 0001"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["username"] is None

    volunteer.user = cast.volunteer_a
    volunteer.save()
    response = signed_in(cast.staff_a).patch(
        f"/api/v1/volunteers/{volunteer.pk}/", {"phone": "139 0000 0002"}, format="json"
    )
    assert response.json()["username"] == "volunteer_a"


def test_the_history_is_declared_as_the_plain_list_it_returns(schema):
    response = schema["paths"]["/api/v1/elders/{id}/history/"]["get"]["responses"]
    body = response["200"]["content"]["application/json"]["schema"]
    assert body["type"] == "array"


def test_the_service_catalogue_is_paginated_like_every_list(cast):
    body = signed_in(cast.staff_a).get("/api/v1/service-types/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == len(body["results"]) > 0


def test_a_date_before_the_year_1000_comes_back_iso(cast):
    provider = ProviderFactory(
        station=cast.a, licence_expires_on=datetime.date(926, 6, 1)
    )
    body = signed_in(cast.staff_a).get(f"/api/v1/providers/{provider.pk}/").json()
    assert body["licence_expires_on"] == "0926-06-01"


def test_a_volunteer_born_in_926_is_refused(cast):
    response = signed_in(cast.staff_a).post(
        "/api/v1/volunteers/",
        {
            "station": "A",
            "name": "王五",
            "gender": "F",
            "birth_date": "0926-06-01",
            "phone": "139 0000 0003",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "birth_date" in response.json()


# --- Requests as strict as the schema ------------------------------------------------


def test_a_path_the_api_does_not_know_answers_json(cast):
    response = signed_in(cast.staff_a).get("/api/v1/elders/x/voucher-balance/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()
    # Pages keep their page.
    assert "text/html" in signed_in(cast.staff_a).get("/nowhere/")["Content-Type"]


@pytest.mark.parametrize("value", ["null", "1", ""])
def test_a_yes_no_filter_takes_only_true_or_false(cast, value):
    response = signed_in(cast.staff_a).get(f"/api/v1/providers/?active={value}")
    assert response.status_code == 400
    assert "active" in response.json()
    assert (
        signed_in(cast.staff_a).get("/api/v1/providers/?active=true").status_code == 200
    )


def test_a_choice_filter_refuses_an_empty_value(cast):
    response = signed_in(cast.staff_a).get("/api/v1/providers/?kind=")
    assert response.status_code == 400 and "kind" in response.json()


def test_an_empty_evaluation_date_is_refused(cast):
    elder = ElderFactory(station=cast.a)
    response = signed_in(cast.staff_a).get(
        f"/api/v1/elders/{elder.pk}/eligibility/?on="
    )
    assert response.status_code == 400 and "on" in response.json()


@pytest.mark.parametrize(
    "field, value", [("name", 0), ("notes", False), ("name", ["甲队"])]
)
def test_a_json_body_takes_text_only_as_text(cast, field, value):
    body = {"station": "A", "name": "甲队", "kind": "assistance", field: value}
    response = signed_in(cast.staff_a).post("/api/v1/teams/", body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Team.objects.exists()


def test_a_json_body_takes_yes_no_only_as_true_or_false(cast):
    provider = ProviderFactory(station=cast.a, active=True)
    client = signed_in(cast.staff_a)
    url = f"/api/v1/providers/{provider.pk}/"
    response = client.patch(url, {"active": 0}, format="json")
    assert response.status_code == 400 and "active" in response.json()
    assert client.patch(url, {"active": False}, format="json").json()["active"] is False


def test_a_cancellation_reason_is_text(cast):
    record = ServiceRecordFactory(station=cast.a)
    response = signed_in(cast.staff_a).post(
        f"/api/v1/service-records/{record.pk}/cancel/", {"reason": 0}, format="json"
    )
    assert response.status_code == 400 and "reason" in response.json()
    record.refresh_from_db()
    assert record.cancelled_at is None


def test_an_activity_in_the_year_279_is_refused(cast):
    body = {
        "station": "A",
        "title": "合唱",
        "kind": "culture",
        "starts_at": "0279-08-21T15:17:33+08:00",
        "place": "活动室",
    }
    response = signed_in(cast.staff_a).post("/api/v1/activities/", body, format="json")
    assert response.status_code == 400 and "starts_at" in response.json()


def test_a_visit_sent_as_a_list_is_refused_not_a_server_error(cast):
    response = signed_in(cast.staff_a).post(
        "/api/v1/visits/", [None, None], format="json"
    )
    assert response.status_code == 400


def test_request_bodies_are_declared_as_json(schema):
    for path, method, operation in operations(schema):
        body = operation.get("requestBody")
        if body and not path.endswith("/scan/"):
            assert list(body["content"]) == ["application/json"], (method, path)


# --- Schemathesis over every operation ---------------------------------------------

PASSWORD = "demo-schema-1"
EXAMPLES_PER_OPERATION = 5
CHECKS_LEFT_OUT = "positive_data_acceptance,ignored_auth"


def _token(username: str) -> str:
    from django.contrib.auth import get_user_model

    from carecenter.tokens import token_for

    return token_for(get_user_model().objects.get(username=username)).key


def _st_run(base_url: str, token: str, phases: str, cwd) -> str | None:
    """``st run`` over the served schema; the report when something failed."""
    command = [
        os.path.join(os.path.dirname(sys.executable), "st"),
        "run",
        f"{base_url}/api/schema/",
        "--header",
        f"Authorization: Token {token}",
        "--checks",
        "all",
        "--exclude-checks",
        CHECKS_LEFT_OUT,
        "--phases",
        phases,
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--workers",
        "2",
        "--seed",
        "20261125",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--no-color",
    ]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env={**os.environ, "SCHEMATHESIS_TELEMETRY": "false"},
    )
    if result.returncode == 0:
        return None
    return result.stdout[-20000:] + result.stderr[-2000:]


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_nothing(live_server, tmp_path):
    """Every operation, from the schema: a new endpoint is covered by being there.

    As staff, every phase, the coverage phase's boundary and negative cases
    included; as a manager (the same schema, other permissions) the fuzzing and
    stateful phases, which bound the run to a few minutes.
    """
    call_command("seed_demo", password=PASSWORD, stdout=open(os.devnull, "w"))
    failures = [
        report
        for username, phases in [
            ("staff_a", "examples,coverage,fuzzing,stateful"),
            ("manager_a", "examples,fuzzing,stateful"),
        ]
        if (report := _st_run(live_server.url, _token(username), phases, tmp_path))
    ]
    assert not failures, "\n".join(failures)
