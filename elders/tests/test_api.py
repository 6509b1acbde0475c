import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from elders import actions
from elders.eligibility import evaluate, years_before
from elders.id_numbers import make_id_number, mask
from elders.models import BarthelAssessment, Elder, FamilyContact, NeedsSurvey
from elders.tests.factories import (
    FULL_BARTHEL,
    BarthelAssessmentFactory,
    ElderFactory,
    FamilyContactFactory,
    NeedsSurveyFactory,
)

pytestmark = pytest.mark.django_db

ELDERS = "/api/v1/elders/"
ASSESSMENTS = "/api/v1/assessments/"
SURVEYS = "/api/v1/needs-surveys/"
CONTACTS = "/api/v1/family-contacts/"


@pytest.fixture
def api(cast):
    """``api("staff_a")``: a client signed in as one of the cast."""

    def signed_in(username: str) -> APIClient:
        client = APIClient()
        client.force_login(getattr(cast, username))
        return client

    return signed_in


def new_elder(**overrides) -> dict:
    born = datetime.date(1944, 3, 8)
    data = {
        "station": "A",
        "name": "王秀兰",
        "gender": "F",
        "birth_date": born.isoformat(),
        "id_number": make_id_number("330102", born, 7, "F"),
        "phone": "138 1111 2222",
        "address": "幸福路 1 号",
        "hukou_local": True,
        "residence_since": None,
        "living_arrangement": "alone",
        "empty_nest": True,
        "categories": ["low_income"],
        "financial_difficulty": True,
        "status": "active",
    }
    data.update(overrides)
    return data


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


# --- Elders: reading and scoping -----------------------------------------------------


@pytest.mark.parametrize(
    "username, whole",
    [("staff_a", False), ("manager_a", True), ("supervisor", False), ("admin", True)],
)
def test_it_masks_id_numbers_unless_the_caller_may_see_them(api, cast, username, whole):
    elder = ElderFactory(station=cast.a)
    expected = elder.id_number if whole else mask(elder.id_number)

    listed = api(username).get(ELDERS).json()["results"]
    detail = api(username).get(f"{ELDERS}{elder.pk}/").json()

    assert [row["id_number"] for row in listed] == [expected]
    assert detail["id_number"] == expected


def test_it_renders_the_fields_of_the_interface(api, cast):
    elder = ElderFactory(station=cast.a, categories=["low_income"])
    row = api("manager_a").get(f"{ELDERS}{elder.pk}/").json()
    assert set(row) >= {
        "id",
        "station",
        "name",
        "gender",
        "birth_date",
        "id_number",
        "phone",
        "address",
        "hukou_local",
        "residence_since",
        "living_arrangement",
        "empty_nest",
        "categories",
        "financial_difficulty",
        "status",
        "tier",
    }
    assert row["station"] == "A"
    assert row["birth_date"] == "1945-06-15"
    assert row["categories"] == ["low_income"]
    assert row["tier"] == "free"


def test_it_hides_another_stations_elders(api, cast):
    elder_a = ElderFactory(station=cast.a)
    elder_b = ElderFactory(station=cast.b)
    client = api("staff_b")

    assert ids(client.get(ELDERS)) == {elder_b.pk}
    assert client.get(f"{ELDERS}{elder_a.pk}/").status_code == 404
    assert client.get(f"{ELDERS}{elder_a.pk}/eligibility/").status_code == 404


def test_the_supervisor_sees_the_districts_elders(api, cast):
    elder_a = ElderFactory(station=cast.a)
    elder_b = ElderFactory(station=cast.b)
    ElderFactory(station=cast.c)
    client = api("supervisor")

    assert ids(client.get(ELDERS)) == {elder_a.pk, elder_b.pk}
    assert client.get(f"{ELDERS}{elder_a.pk}/").status_code == 200
    assert ids(client.get(ELDERS, {"station": "B"})) == {elder_b.pk}


def test_a_volunteer_without_pairings_sees_no_elder(api, cast):
    ElderFactory(station=cast.a)
    assert api("volunteer_a").get(ELDERS).json()["count"] == 0


def test_it_filters_by_tier(api, cast):
    free = ElderFactory(station=cast.a, categories=["low_income"])
    paid = ElderFactory(station=cast.a)
    young = ElderFactory(station=cast.a, birth_date=datetime.date(1980, 1, 1))
    client = api("staff_a")

    assert ids(client.get(ELDERS, {"tier": "free"})) == {free.pk}
    assert ids(client.get(ELDERS, {"tier": "paid"})) == {paid.pk}
    assert ids(client.get(ELDERS, {"tier": "ineligible"})) == {young.pk}
    assert client.get(ELDERS, {"tier": "gold"}).status_code == 400


def test_it_filters_by_age_band(api, cast):
    today = timezone.localdate()
    ninety = ElderFactory(station=cast.a, birth_date=years_before(today, 90))
    eighty_nine = ElderFactory(
        station=cast.a, birth_date=years_before(today, 90) + datetime.timedelta(days=1)
    )
    seventy = ElderFactory(station=cast.a, birth_date=years_before(today, 75))
    client = api("staff_a")

    assert ids(client.get(ELDERS, {"age_band": "90+"})) == {ninety.pk}
    assert ids(client.get(ELDERS, {"age_band": "80-89"})) == {eighty_nine.pk}
    assert ids(client.get(ELDERS, {"age_band": "70-79"})) == {seventy.pk}


def test_it_filters_by_category_and_searches(api, cast):
    disabled = ElderFactory(station=cast.a, categories=["disabled"], name="李桂英")
    ElderFactory(station=cast.a, name="张建国")
    client = api("staff_a")

    assert ids(client.get(ELDERS, {"category": "disabled"})) == {disabled.pk}
    assert ids(client.get(ELDERS, {"q": "桂英"})) == {disabled.pk}


def test_the_elder_list_costs_the_same_queries_however_long(api, cast):
    client = api("manager_a")
    client.get(ELDERS)  # the session's first request does its own bookkeeping
    for _n in range(2):
        ElderFactory(station=cast.a, categories=["low_income"])
    with CaptureQueriesContext(connection) as few:
        assert client.get(ELDERS).status_code == 200
    for _n in range(8):
        elder = ElderFactory(station=cast.a, financial_difficulty=True)
        BarthelAssessmentFactory(elder=elder, feeding=5)
    with CaptureQueriesContext(connection) as many:
        response = client.get(ELDERS)
    assert response.json()["count"] == 10
    assert len(many) == len(few)


# --- Elders: writing ---------------------------------------------------------------


def test_staff_open_an_archive(api, cast):
    response = api("staff_a").post(ELDERS, new_elder(), format="json")

    assert response.status_code == 201, response.json()
    elder = Elder.objects.get()
    body = response.json()
    assert body["id"] == elder.pk
    assert body["station"] == "A"
    assert body["id_number"] == mask(elder.id_number)
    assert body["tier"] == "free"
    assert elder.station == cast.a and elder.district == cast.d1


def test_the_manager_reads_back_the_whole_id_number(api, cast):
    data = new_elder()
    response = api("manager_a").post(ELDERS, data, format="json")
    assert response.status_code == 201
    assert response.json()["id_number"] == data["id_number"]


@pytest.mark.parametrize("username", ["supervisor", "volunteer_a"])
def test_read_only_roles_cannot_open_an_archive(api, cast, username):
    response = api(username).post(ELDERS, new_elder(), format="json")
    assert response.status_code == 403
    assert not Elder.objects.exists()


def test_it_refuses_a_bad_id_checksum_and_writes_nothing(api, cast):
    good = new_elder()["id_number"]
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = api("staff_a").post(ELDERS, new_elder(id_number=bad), format="json")

    assert response.status_code == 400
    assert "id_number" in response.json()
    assert not Elder.objects.exists()


def test_it_refuses_a_duplicate_id_number_in_the_district(api, cast):
    assert api("staff_a").post(ELDERS, new_elder(), format="json").status_code == 201
    response = api("staff_b").post(ELDERS, new_elder(station="B"), format="json")
    assert response.status_code == 400
    assert "id_number" in response.json()
    assert Elder.objects.count() == 1


def test_it_reports_the_rules_of_the_model_on_their_fields(api, cast):
    response = api("staff_a").post(
        ELDERS, new_elder(hukou_local=False, residence_since=None), format="json"
    )
    assert response.status_code == 400
    assert "residence_since" in response.json()
    assert not Elder.objects.exists()


@pytest.mark.parametrize("code", ["B", "C", "NOPE"])
def test_it_refuses_a_station_the_caller_may_not_write(api, cast, code):
    response = api("staff_a").post(ELDERS, new_elder(station=code), format="json")
    assert response.status_code in (400, 404)
    assert not Elder.objects.exists()


def test_staff_update_an_archive_and_the_station_stays(api, cast):
    elder = ElderFactory(station=cast.a, phone="1")
    response = api("staff_a").patch(
        f"{ELDERS}{elder.pk}/",
        {"phone": "139 2222 3333", "station": "B"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    elder.refresh_from_db()
    assert elder.phone == "139 2222 3333"
    assert elder.station == cast.a
    assert response.json()["station"] == "A"
    assert "tier" in response.json()


def test_a_put_of_what_was_read_keeps_the_masked_id_number(api, cast):
    elder = ElderFactory(station=cast.a)
    client = api("staff_a")
    data = client.get(f"{ELDERS}{elder.pk}/").json()
    assert data["id_number"] == mask(elder.id_number)
    data["address"] = "和平路 2 号"

    response = client.put(f"{ELDERS}{elder.pk}/", data, format="json")

    assert response.status_code == 200, response.json()
    refreshed = Elder.objects.get(pk=elder.pk)
    assert refreshed.address == "和平路 2 号"
    assert refreshed.id_number == elder.id_number


def test_an_update_refuses_a_bad_value_and_writes_nothing(api, cast):
    elder = ElderFactory(station=cast.a)
    response = api("staff_a").patch(
        f"{ELDERS}{elder.pk}/", {"id_number": "123"}, format="json"
    )
    assert response.status_code == 400
    assert "id_number" in response.json()
    assert Elder.objects.get(pk=elder.pk).id_number == elder.id_number


def test_another_station_cannot_update_and_the_supervisor_only_reads(api, cast):
    elder = ElderFactory(station=cast.a, phone="1")
    url = f"{ELDERS}{elder.pk}/"

    assert api("staff_b").patch(url, {"phone": "2"}, format="json").status_code == 404
    assert (
        api("supervisor").patch(url, {"phone": "3"}, format="json").status_code == 403
    )
    assert Elder.objects.get(pk=elder.pk).phone == "1"


# --- Eligibility -------------------------------------------------------------------


def test_the_eligibility_matches_evaluate(api, cast):
    elder = ElderFactory(station=cast.a, categories=["low_income"])
    expected = evaluate(elder, on=timezone.localdate())

    response = api("staff_a").get(f"{ELDERS}{elder.pk}/eligibility/")

    assert response.status_code == 200
    assert response.json() == {
        "eligible": expected.eligible,
        "tier": expected.tier,
        "computed_tier": expected.computed_tier,
        "reasons": expected.reasons,
        "override": None,
    }


def test_the_eligibility_honours_the_date(api, cast):
    # Turns 75 on 1 March 2026: paid before, free (senior and low-income) after.
    elder = ElderFactory(
        station=cast.a, birth_date=datetime.date(1951, 3, 1), categories=["low_income"]
    )
    client = api("staff_a")
    url = f"{ELDERS}{elder.pk}/eligibility/"

    before = client.get(url, {"on": "2026-02-28"}).json()
    after = client.get(url, {"on": "2026-03-01"}).json()
    too_young = client.get(url, {"on": "2010-01-01"}).json()

    assert before["tier"] == "paid"
    assert after["tier"] == "free" and "senior_low_income" in after["reasons"]
    assert too_young == {
        "eligible": False,
        "tier": "ineligible",
        "computed_tier": "ineligible",
        "reasons": ["under_service_age"],
        "override": None,
    }
    on = datetime.date(2026, 2, 28)
    assert before["reasons"] == evaluate(elder, on=on).reasons


@pytest.mark.parametrize("on", ["2026-13-01", "yesterday", "01/03/2026", "20260301"])
def test_the_eligibility_refuses_a_bad_date(api, cast, on):
    elder = ElderFactory(station=cast.a)
    response = api("staff_a").get(f"{ELDERS}{elder.pk}/eligibility/", {"on": on})
    assert response.status_code == 400
    assert "on" in response.json()


def test_the_eligibility_shows_the_override(api, cast):
    elder = ElderFactory(station=cast.a)
    actions.tier_override_set(
        actor=cast.manager_a, elder=elder, tier="free", reason="民政局特批"
    )

    body = api("staff_a").get(f"{ELDERS}{elder.pk}/eligibility/").json()

    assert body["tier"] == "free" and body["computed_tier"] == "paid"
    assert body["reasons"][-1] == "override"
    assert body["override"]["tier"] == "free"
    assert body["override"]["reason"] == "民政局特批"
    assert body["override"]["by"] == "manager_a"
    assert body["override"]["at"]


# --- Assessments -------------------------------------------------------------------


def assessment(elder, **scores) -> dict:
    return {"elder": elder.pk, "assessed_on": "2026-01-10", **FULL_BARTHEL, **scores}


def test_an_assessment_computes_its_total_and_level(api, cast):
    elder = ElderFactory(station=cast.a)
    response = api("staff_a").post(
        ASSESSMENTS,
        assessment(elder, feeding=5, transfers=5, mobility=0, stairs=0),
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["total"] == 60 and body["level"] == "moderate"
    saved = BarthelAssessment.objects.get()
    assert saved.total == 60 and saved.assessed_by == cast.staff_a


def test_an_assessment_refuses_a_score_off_the_scale(api, cast):
    elder = ElderFactory(station=cast.a)
    response = api("staff_a").post(
        ASSESSMENTS, assessment(elder, feeding=7), format="json"
    )
    assert response.status_code == 400
    assert "feeding" in response.json()
    assert not BarthelAssessment.objects.exists()


def test_an_assessment_refuses_a_future_date(api, cast):
    elder = ElderFactory(station=cast.a)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    data = {**assessment(elder), "assessed_on": tomorrow.isoformat()}
    response = api("staff_a").post(ASSESSMENTS, data, format="json")
    assert response.status_code == 400
    assert "assessed_on" in response.json()
    assert not BarthelAssessment.objects.exists()


def test_an_assessment_refuses_another_stations_elder(api, cast):
    elder = ElderFactory(station=cast.a)
    response = api("staff_b").post(ASSESSMENTS, assessment(elder), format="json")
    assert response.status_code == 400
    assert "elder" in response.json()
    assert not BarthelAssessment.objects.exists()


def test_the_supervisor_cannot_record_an_assessment(api, cast):
    elder = ElderFactory(station=cast.a)
    response = api("supervisor").post(ASSESSMENTS, assessment(elder), format="json")
    assert response.status_code == 403
    assert not BarthelAssessment.objects.exists()


def test_assessments_stay_within_scope_and_filter_by_elder(api, cast):
    mine = BarthelAssessmentFactory(elder=ElderFactory(station=cast.a))
    other = BarthelAssessmentFactory(elder=ElderFactory(station=cast.a))
    theirs = BarthelAssessmentFactory(elder=ElderFactory(station=cast.b))
    client = api("staff_a")

    assert ids(client.get(ASSESSMENTS)) == {mine.pk, other.pk}
    assert ids(client.get(ASSESSMENTS, {"elder": mine.elder_id})) == {mine.pk}
    assert ids(client.get(ASSESSMENTS, {"elder": theirs.elder_id})) == set()
    assert client.get(f"{ASSESSMENTS}{mine.pk}/").json()["level"] == "independent"
    assert client.get(f"{ASSESSMENTS}{theirs.pk}/").status_code == 404


# --- Needs surveys -----------------------------------------------------------------


def test_a_needs_survey_is_recorded(api, cast):
    elder = ElderFactory(station=cast.a)
    response = api("staff_a").post(
        SURVEYS,
        {"elder": elder.pk, "surveyed_on": "2026-03-01", "needs": ["meal", "bathing"]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["needs"] == ["meal", "bathing"]
    assert NeedsSurvey.objects.get().surveyed_by == cast.staff_a


def test_a_needs_survey_refuses_an_unknown_service(api, cast):
    elder = ElderFactory(station=cast.a)
    response = api("staff_a").post(
        SURVEYS,
        {"elder": elder.pk, "surveyed_on": "2026-03-01", "needs": ["meal", "karaoke"]},
        format="json",
    )
    assert response.status_code == 400
    assert "needs" in response.json()
    assert not NeedsSurvey.objects.exists()


def test_needs_surveys_stay_within_scope(api, cast):
    mine = NeedsSurveyFactory(elder=ElderFactory(station=cast.a))
    theirs = NeedsSurveyFactory(elder=ElderFactory(station=cast.b))
    client = api("staff_a")

    assert ids(client.get(SURVEYS)) == {mine.pk}
    assert client.get(f"{SURVEYS}{theirs.pk}/").status_code == 404
    response = client.post(
        SURVEYS,
        {"elder": theirs.elder_id, "surveyed_on": "2026-03-01", "needs": ["meal"]},
        format="json",
    )
    assert response.status_code == 400
    assert NeedsSurvey.objects.count() == 2


# --- Family contacts ---------------------------------------------------------------


def test_family_contacts_are_created_changed_and_removed(api, cast):
    elder = ElderFactory(station=cast.a)
    client = api("staff_a")

    created = client.post(
        CONTACTS,
        {
            "elder": elder.pk,
            "name": "王芳",
            "relation": "女儿",
            "phone": "139 0000 1111",
            "is_emergency": True,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    url = f"{CONTACTS}{created.json()['id']}/"

    changed = client.patch(url, {"phone": "139 0000 2222"}, format="json")
    assert changed.status_code == 200
    assert changed.json()["phone"] == "139 0000 2222"
    assert changed.json()["elder"] == elder.pk

    assert client.delete(url).status_code == 204
    assert not FamilyContact.objects.exists()


def test_a_new_emergency_contact_replaces_the_old(api, cast):
    old = FamilyContactFactory(elder=ElderFactory(station=cast.a), is_emergency=True)
    response = api("staff_a").post(
        CONTACTS,
        {
            "elder": old.elder_id,
            "name": "王强",
            "relation": "儿子",
            "phone": "139 0000 3333",
            "is_emergency": True,
        },
        format="json",
    )
    assert response.status_code == 201
    old.refresh_from_db()
    assert not old.is_emergency


def test_a_family_contact_refuses_missing_fields_and_writes_nothing(api, cast):
    elder = ElderFactory(station=cast.a)
    response = api("staff_a").post(
        CONTACTS, {"elder": elder.pk, "name": "王芳"}, format="json"
    )
    assert response.status_code == 400
    assert {"relation", "phone"} <= set(response.json())
    assert not FamilyContact.objects.exists()


def test_family_contacts_stay_within_scope(api, cast):
    theirs = FamilyContactFactory(elder=ElderFactory(station=cast.a), phone="1")
    mine = FamilyContactFactory(elder=ElderFactory(station=cast.b))
    client = api("staff_b")
    url = f"{CONTACTS}{theirs.pk}/"

    assert ids(client.get(CONTACTS)) == {mine.pk}
    assert client.get(url).status_code == 404
    assert client.patch(url, {"phone": "2"}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    response = client.post(
        CONTACTS,
        {"elder": theirs.elder_id, "name": "某", "relation": "侄子", "phone": "3"},
        format="json",
    )
    assert response.status_code == 400 and "elder" in response.json()
    assert FamilyContact.objects.count() == 2
    assert FamilyContact.objects.get(pk=theirs.pk).phone == "1"


def test_the_supervisor_reads_family_contacts_but_cannot_change_them(api, cast):
    contact = FamilyContactFactory(elder=ElderFactory(station=cast.a), phone="1")
    client = api("supervisor")
    url = f"{CONTACTS}{contact.pk}/"

    assert client.get(url).status_code == 200
    assert client.patch(url, {"phone": "2"}, format="json").status_code == 403
    assert client.delete(url).status_code == 403
    assert FamilyContact.objects.get(pk=contact.pk).phone == "1"


def test_family_contacts_filter_by_elder(api, cast):
    one = FamilyContactFactory(elder=ElderFactory(station=cast.a))
    FamilyContactFactory(elder=ElderFactory(station=cast.a))
    assert ids(api("staff_a").get(CONTACTS, {"elder": one.elder_id})) == {one.pk}


@pytest.mark.parametrize(
    "url, factory",
    [
        (ASSESSMENTS, BarthelAssessmentFactory),
        (SURVEYS, NeedsSurveyFactory),
        (CONTACTS, FamilyContactFactory),
    ],
)
def test_the_record_lists_cost_the_same_queries_however_long(api, cast, url, factory):
    client = api("staff_a")
    client.get(url)  # the session's first request does its own bookkeeping
    factory(elder=ElderFactory(station=cast.a))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _n in range(6):
        factory(elder=ElderFactory(station=cast.a))
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).json()["count"] == 7
    assert len(many) == len(few)


# --- Authentication and schema -------------------------------------------------------


def test_a_token_opens_the_api(cast):
    ElderFactory(station=cast.a)
    client = APIClient()
    assert client.get(ELDERS).status_code in (401, 403)

    response = client.post(
        "/api/v1/auth/token/", {"username": "staff_a", "password": "pw"}, format="json"
    )
    assert response.status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")

    assert client.get(ELDERS).json()["count"] == 1


def test_the_schema_describes_the_elder_endpoints(api, cast):
    response = api("staff_a").get("/api/schema/")
    assert response.status_code == 200
    schema = response.content.decode()
    for path in [
        "/api/v1/elders/",
        "/api/v1/elders/{id}/",
        "/api/v1/elders/{id}/eligibility/",
        "/api/v1/assessments/",
        "/api/v1/needs-surveys/",
        "/api/v1/family-contacts/{id}/",
    ]:
        assert f"{path}:" in schema
