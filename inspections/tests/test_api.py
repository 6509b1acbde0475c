"""``inspections/?year=YYYY`` (INTERFACES.md): shape, scoping, read-only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from carecenter.tests.factories import StationFactory
from inspections.tests.conftest import YEAR, confirm, decide, refresh

pytestmark = pytest.mark.django_db


def test_the_documented_shape(api, cast, inspected):
    inspection = confirm(inspected["A"], cast.supervisor)
    decide(inspection, cast.supervisor, "recover", "挪用经费", "1500")
    body = api("manager_a").get("/api/v1/inspections/", {"year": YEAR}).json()
    assert body["count"] == 1
    [row] = body["results"]
    assert (row["station"], row["year"]) == ("A", YEAR)
    assert row["services_per_month"] == [0] * 12
    assert row["services_total"] == 0
    assert row["feedback_coverage"] is None
    assert row["recommendation"] in {"continue", "rectify", "stop", "recover"}
    assert isinstance(row["score"], int)
    assert all(set(d) == {"indicator", "points", "value"} for d in row["deductions"])
    assert row["checklist"]["funds_used_properly"] is True
    assert row["checklist"]["building_area"] == "320.0"
    assert (row["decision"], row["recover_amount"]) == ("recover", "1500.00")
    assert row["decision_reason"] == "挪用经费"


def test_an_undecided_inspection_has_a_null_decision(api, cast, inspected):
    [row] = api("staff_a").get("/api/v1/inspections/").json()["results"]
    assert row["decision"] is None
    assert row["recover_amount"] is None


def test_station_users_see_only_their_station(api, cast, inspected):
    def codes(username):
        rows = api(username).get("/api/v1/inspections/").json()["results"]
        return [r["station"] for r in rows]

    assert codes("staff_a") == ["A"]
    assert codes("staff_b") == ["B"]
    assert codes("supervisor") == ["A", "B"]
    assert codes("admin") == ["A", "B", "C"]


def test_another_stations_inspection_is_not_found(api, cast, inspected):
    url = f"/api/v1/inspections/{inspected['B'].pk}/"
    assert api("staff_a").get(url).status_code == 404
    assert api("staff_b").get(url).status_code == 200
    url = f"/api/v1/inspections/{inspected['C'].pk}/"
    assert api("supervisor").get(url).status_code == 404


def test_a_volunteer_is_refused(api, cast, inspected):
    assert api("volunteer_a").get("/api/v1/inspections/").status_code == 403
    url = f"/api/v1/inspections/{inspected['A'].pk}/"
    assert api("volunteer_a").get(url).status_code == 403


def test_it_filters_by_year(api, cast, inspected):
    refresh(year=2024, stations=[cast.a])
    rows = api("staff_a").get("/api/v1/inspections/", {"year": 2024}).json()
    assert [r["year"] for r in rows["results"]] == [2024]
    assert api("staff_a").get("/api/v1/inspections/").json()["count"] == 2
    response = api("staff_a").get("/api/v1/inspections/", {"year": "20x5"})
    assert response.status_code == 400


def test_it_is_read_only(api, cast, inspected):
    url = f"/api/v1/inspections/{inspected['A'].pk}/"
    supervisor = api("supervisor")
    assert supervisor.post("/api/v1/inspections/", {}).status_code == 405
    assert supervisor.patch(url, {"decision": "stop"}).status_code == 405


def test_its_queries_do_not_grow_with_the_rows(api, cast, inspected):
    client = api("admin")
    client.get("/api/v1/inspections/")
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/inspections/")
    refresh(stations=[StationFactory(code=f"S{n}") for n in range(5)])
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/inspections/").json()["count"] == 8
    assert len(many) == len(few)


def test_the_endpoint_is_in_the_schema(api, cast):
    schema = api("staff_a").get("/api/schema/").content.decode()
    assert "/api/v1/inspections/" in schema
