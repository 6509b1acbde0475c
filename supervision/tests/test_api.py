"""``reports/figures/`` and ``reports/tables/{key}/``: the page's figures, scoped."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from supervision.actions import figures_refresh, this_month

pytestmark = pytest.mark.django_db

FIGURES = "/api/v1/reports/figures/"


@pytest.fixture
def api(cast):
    def signed_in(username: str) -> APIClient:
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.force_authenticate(getattr(cast, username))
        return client

    return signed_in


def test_a_supervisor_gets_their_district(api, figures):
    body = api("supervisor").get(FIGURES).json()
    assert [s["code"] for s in body["stations"]] == ["A", "B"]
    assert body["totals"]["elders"]["on_file"] == 30
    assert body["totals"]["services"]["delivered"] == 60
    assert body["totals"]["services"]["by_type"] == {"meal": 60}
    assert body["totals"]["vouchers"]["issued"] == "18000.00"
    assert body["to"] == f"{this_month():%Y-%m}"
    assert len(body["months"]) == 6
    assert body["as_of"] is not None


def test_a_month_range_and_a_station(api, figures):
    month = f"{this_month():%Y-%m}"
    body = (
        api("supervisor")
        .get(FIGURES, {"from": month, "to": month, "station": "B"})
        .json()
    )
    assert body["station"] == "B"
    assert [s["code"] for s in body["stations"]] == ["B"]
    totals = body["totals"]
    assert totals["services"]["delivered"] == 20
    assert totals["feedback"] == {
        "given": 10,
        "coverage_percent": 50,
        "satisfaction_mean": "4.0",
    }
    assert totals["vouchers"]["redeemed"] == "200.00"
    assert totals["vouchers"]["budget"] == "99000.00"
    assert totals["volunteers"] == {"minutes": 120, "visits": 0}
    assert body["months"] == [{"month": month, "figures": body["months"][0]["figures"]}]


def test_staff_get_their_station_only(api, figures):
    body = api("staff_a").get(FIGURES).json()
    assert [s["code"] for s in body["stations"]] == ["A"]
    assert api("staff_a").get(FIGURES, {"station": "B"}).status_code == 404
    assert api("supervisor").get(FIGURES, {"station": "C"}).status_code == 404
    assert api("supervisor").get(FIGURES, {"district": "D2"}).status_code == 404
    assert api("admin").get(FIGURES, {"district": "D2"}).json()["stations"][0][
        "code"
    ] == ("C")


def test_volunteers_are_refused(api, figures):
    assert api("volunteer_a").get(FIGURES).status_code == 403
    assert api("volunteer_a").get("/api/v1/reports/tables/elders/").status_code == 403


def test_a_bad_month_is_a_clear_400(api, figures):
    response = api("supervisor").get(FIGURES, {"from": "2026-13"})
    assert response.status_code == 400
    assert "from" in response.json()


def test_it_is_read_only(api, figures):
    assert api("admin").post(FIGURES, {}).status_code == 405


def test_a_table_as_the_page_shows_it(api, figures, client, cast):
    body = api("supervisor").get("/api/v1/reports/tables/alerts/").json()
    assert body["key"] == "alerts"
    assert [c["kind"] for c in body["columns"]] == ["text", "int", "int", "int"]
    assert body["rows"] == [["甲站", 1, 0, 0], ["乙站", 1, 0, 0]]
    assert body["footer"] == ["Total", 2, 0, 0]
    assert api("staff_a").get("/api/v1/reports/tables/stations/").status_code == 200
    assert (
        api("staff_a")
        .get("/api/v1/reports/tables/stations/", {"station": "A"})
        .status_code
        == 404
    )
    assert api("supervisor").get("/api/v1/reports/tables/nope/").status_code == 404


def test_the_api_and_the_page_agree_on_real_data(api, cast, district, client):
    figures_refresh(first=district.first, last=district.last)
    params = {"from": f"{district.first:%Y-%m}"}
    body = api("supervisor").get(FIGURES, params).json()
    client.force_login(cast.supervisor)
    dash = client.get("/dashboard/", params).context["dash"]
    assert body["totals"]["services"]["delivered"] == dash.totals.services
    assert body["totals"]["vouchers"]["redeemed"] == f"{dash.totals.redeemed:.2f}"
    assert body["totals"]["elders"]["on_file"] == dash.totals.elders
    assert sum(m["figures"]["services"]["delivered"] for m in body["months"]) == (
        dash.totals.services
    )
