"""``voucher-grants/?month=`` and ``elders/{id}/voucher-balance/`` (INTERFACES.md)."""

import pytest

from vouchers.tests.conftest import free_elder, issue, low_cost_elder

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(cast):
    elders = {"a": free_elder(cast.a), "a2": low_cost_elder(cast.a)}
    elders["b"] = free_elder(cast.b)
    elders["c"] = free_elder(cast.c)
    issue()
    return elders


def test_grants_of_a_month_in_the_documented_shape(api, cast, issued):
    body = api("staff_a").get("/api/v1/voucher-grants/", {"month": "2026-09"}).json()
    assert body["count"] == 2
    row = next(r for r in body["results"] if r["elder"] == issued["a"].pk)
    assert row["month"] == "2026-09"
    assert (row["tier"], row["amount"], row["expires_on"]) == (
        "free",
        "300.00",
        "2026-09-30",
    )
    assert (
        api("staff_a")
        .get("/api/v1/voucher-grants/", {"month": "2026-10"})
        .json()["count"]
        == 0
    )


def test_grants_stay_within_the_callers_scope(api, cast, issued):
    rows = api("supervisor").get("/api/v1/voucher-grants/").json()["results"]
    assert {r["elder"] for r in rows} == {
        issued["a"].pk,
        issued["a2"].pk,
        issued["b"].pk,
    }
    assert api("volunteer_a").get("/api/v1/voucher-grants/").json()["count"] == 0
    other = api("staff_b").get("/api/v1/voucher-grants/").json()["results"]
    assert [r["elder"] for r in other] == [issued["b"].pk]


def test_a_bad_month_is_answered_400(api, cast, issued):
    response = api("staff_a").get("/api/v1/voucher-grants/", {"month": "2026-9x"})
    assert response.status_code == 400
    assert "month" in response.json()


def test_grants_are_read_only(api, cast, issued):
    response = api("manager_a").post("/api/v1/voucher-grants/", {}, format="json")
    assert response.status_code == 405


def test_the_balance_of_an_elder(api, cast, issued):
    response = api("staff_a").get(f"/api/v1/elders/{issued['a'].pk}/voucher-balance/")
    assert response.status_code == 200
    # September's vouchers: in the ledger until the expiry, no longer spendable.
    assert response.json() == {"balance": "300.00", "spendable": "0.00"}


def test_the_balance_of_another_stations_elder_is_not_found(api, cast, issued):
    response = api("staff_a").get(f"/api/v1/elders/{issued['b'].pk}/voucher-balance/")
    assert response.status_code == 404
    response = api("supervisor").get(
        f"/api/v1/elders/{issued['c'].pk}/voucher-balance/"
    )
    assert response.status_code == 404


def test_a_volunteer_reads_no_balance(api, cast, issued):
    response = api("volunteer_a").get(
        f"/api/v1/elders/{issued['a'].pk}/voucher-balance/"
    )
    assert response.status_code == 403


def test_the_endpoints_are_in_the_schema(api, cast):
    schema = api("staff_a").get("/api/schema/").content.decode()
    assert "/api/v1/voucher-grants/" in schema
    assert "/api/v1/elders/{id}/voucher-balance/" in schema
