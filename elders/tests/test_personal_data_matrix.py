"""Roles × every page, API endpoint and export that shows an elder: what of the
resident ID number and the birth date each role gets (PRODUCT.md, "Personal data").

Whoever is not the station's manager or an administrator sees at most the last
four characters of an ID number; volunteers see neither the number nor the birth
date. The characters beyond the last four that staff may know anyway are the
birth date (characters 7–14, shown as a date); what the mask must keep from them
is the region (characters 1–6), so the elders here have a region that appears
nowhere else, and every response is searched for it, for the whole number and for
the number's first 17 characters.
"""

import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import formats, timezone, translation
from openpyxl import load_workbook

from elders.id_numbers import make_id_number, mask
from elders.models import Elder
from elders.tests.factories import (
    BarthelAssessmentFactory,
    ElderFactory,
    FamilyContactFactory,
    NeedsSurveyFactory,
)
from services.tests.factories import FeedbackFactory, ServiceRecordFactory
from volunteers import actions as volunteer_actions
from volunteers.tests.factories import PairingFactory, VolunteerFactory
from vouchers.tests.conftest import MONTH, issue

pytestmark = pytest.mark.django_db

REGION = "561735"
BORN = datetime.date(1939, 8, 27)
ROLES = ["staff_a", "manager_a", "supervisor", "volunteer_a", "staff_b", "admin"]
#: Roles that may read whole numbers (the API, the export): the station's
#: manager and administrators.
WHOLE = {"manager_a", "admin"}


@pytest.fixture
def world(cast):
    a = ElderFactory(
        station=cast.a,
        name="矩阵甲",
        birth_date=BORN,
        gender="F",
        id_number=make_id_number(REGION, BORN, 21, "F"),
        categories=["three_no"],
        address="幸福路 9 号",
    )
    b = ElderFactory(
        station=cast.b,
        name="矩阵乙",
        birth_date=BORN,
        gender="M",
        id_number=make_id_number(REGION, BORN, 22, "M"),
        categories=["three_no"],
    )
    FamilyContactFactory(elder=a)
    BarthelAssessmentFactory(elder=a)
    NeedsSurveyFactory(elder=a)
    volunteer = VolunteerFactory(station=cast.a, user=cast.volunteer_a, name="志愿者甲")
    pairing = PairingFactory(volunteer=volunteer, elder=a)
    now = timezone.now().replace(second=0, microsecond=0)
    visit = volunteer_actions.visit_log(
        actor=cast.volunteer_a,
        volunteer=volunteer,
        elder=a,
        started_at=now - datetime.timedelta(hours=3),
        ended_at=now - datetime.timedelta(hours=2),
        services=["chat"],
        needs_follow_up=True,
        follow_up_reason="血压偏高",
    )
    record = ServiceRecordFactory(elder=a)
    FeedbackFactory(record=record)
    issue(month=MONTH)
    return {
        "a": a,
        "b": b,
        "volunteer": volunteer,
        "pairing": pairing,
        "visit": visit,
        "record": record,
    }


def page_urls(world, cast) -> list[str]:
    a, b = world["a"].pk, world["b"].pk
    from vouchers.models import Cycle

    cycle = Cycle.objects.filter(station=cast.a).first()
    return [
        reverse("elders:list"),
        reverse("elders:list") + "?q=" + world["a"].id_number,
        reverse("elders:detail", args=[a]),
        reverse("elders:detail", args=[b]),
        reverse("elders:edit", args=[a]),
        reverse("elders:reveal-id", args=[a]),
        reverse("elders:tier-override", args=[a]),
        reverse("elders:assessment-add", args=[a]),
        reverse("elders:pick") + "?q=矩阵",
        reverse("elders:access-log"),
        reverse("elders:needs-summary"),
        reverse("services:records"),
        reverse("services:record-detail", args=[world["record"].pk]),
        reverse("services:feedback-pending"),
        reverse("services:notice", args=[cast.a.pk]),
        reverse("volunteers:pairings"),
        reverse("volunteers:pairing-detail", args=[world["pairing"].pk]),
        reverse("volunteers:pairing-letter", args=[world["pairing"].pk]),
        reverse("volunteers:follow-ups"),
        reverse("volunteers:visit-detail", args=[world["visit"].pk]),
        reverse("volunteers:detail", args=[world["volunteer"].pk]),
        reverse("volunteers:my-elders"),
        reverse("volunteers:visit-log", args=[a]),
        reverse("vouchers:elder", args=[a]),
        reverse("vouchers:cycle", args=[cycle.pk]),
        reverse("supervision:district"),
        "/",
    ]


def api_urls(world) -> list[str]:
    a, b = world["a"].pk, world["b"].pk
    return [
        "/api/v1/elders/",
        f"/api/v1/elders/?q={world['a'].id_number}",
        f"/api/v1/elders/{a}/",
        f"/api/v1/elders/{b}/",
        f"/api/v1/elders/{a}/eligibility/",
        f"/api/v1/elders/{a}/history/",
        f"/api/v1/elders/{a}/voucher-balance/",
        "/api/v1/assessments/",
        "/api/v1/needs-surveys/",
        "/api/v1/family-contacts/",
        "/api/v1/pairings/",
        "/api/v1/visits/",
        "/api/v1/service-records/",
        f"/api/v1/voucher-grants/?month={MONTH:%Y-%m}",
        f"/api/v1/access-log/?elder={a}",
    ]


def export_urls(world) -> list[str]:
    from services.models import Provider

    provider = Provider.objects.get(pk=world["record"].provider_id)
    return [
        reverse("elders:export"),
        reverse("vouchers:statement-export", args=[provider.pk])
        + f"?month={timezone.localdate():%Y-%m}",
        reverse("volunteers:hours-export"),
        reverse("supervision:export", args=["all"]),
    ]


def birth_date_forms() -> list[str]:
    out = {BORN.isoformat(), f"{BORN:%Y%m%d}", f"{BORN:%Y/%m/%d}"}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            for style in ("DATE_FORMAT", "SHORT_DATE_FORMAT"):
                out.add(formats.date_format(BORN, style))
    return sorted(out)


def leaks(text: str, elder: Elder, *, volunteer: bool) -> list[str]:
    number = elder.id_number
    found = [
        what
        for what, needle in [
            ("whole number", number),
            ("first 17", number[:17]),
            ("region", REGION),
        ]
        if needle in text
    ]
    if volunteer:
        found += [f"birth date {d}" for d in birth_date_forms() if d in text]
        if mask(number) in text:
            found.append("masked number")
    return found


def exported_text(content: bytes) -> str:
    book = load_workbook(io.BytesIO(content))
    values = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows(values_only=True):
            values += [str(v) for v in row if v is not None]
    return "\n".join(values)


def test_no_role_reads_more_than_it_may(client, cast, world):
    checked = {role: 0 for role in ROLES}
    whole_seen = set()
    for role in ROLES:
        user = getattr(cast, role)
        client.force_login(user)
        volunteer = role == "volunteer_a"
        for kind, urls in [
            ("page", page_urls(world, cast)),
            ("api", api_urls(world)),
            ("export", export_urls(world)),
        ]:
            for url in urls:
                response = client.get(url, follow=True)
                if response.status_code != 200:
                    assert response.status_code in (403, 404), (role, url)
                    continue
                checked[role] += 1
                if kind == "export":
                    text = exported_text(response.content)
                else:
                    text = response.content.decode()
                    # A search by the whole number shows what its user typed back
                    # in the search box and in the links that keep the search.
                    typed = world["a"].id_number
                    text = text.replace(f'value="{typed}"', "")
                    text = text.replace(f"q={typed}", "")
                for elder in (world["a"], world["b"]):
                    found = leaks(text, elder, volunteer=volunteer)
                    if role in WHOLE and kind in ("api", "export"):
                        # the whole number is theirs to read (region included)
                        whole_seen.update(
                            (role, url) for f in found if f == "whole number"
                        )
                        continue
                    assert not found, (role, url, found)
                if kind == "api" and volunteer:
                    assert not re.search(r'"(id_number|birth_date)"\s*:', text), url
    # Every role was actually shown something, and the whole number reached only
    # the manager and administrators, through the API and the export.
    assert all(n >= 3 for n in checked.values()), checked
    assert {role for role, _url in whole_seen} == WHOLE


def test_the_volunteer_reads_the_age_instead(client, cast, world):
    client.force_login(cast.volunteer_a)
    body = client.get(f"/api/v1/elders/{world['a'].pk}/").json()
    assert "id_number" not in body and "birth_date" not in body
    assert body["age"] == world["a"].age
    listed = client.get("/api/v1/elders/").json()["results"]
    assert [e["id"] for e in listed] == [world["a"].pk]
    assert "id_number" not in listed[0] and "birth_date" not in listed[0]


def test_staff_and_supervisors_read_the_last_four_in_the_api(client, cast, world):
    for role in ("staff_a", "supervisor"):
        client.force_login(getattr(cast, role))
        body = client.get(f"/api/v1/elders/{world['a'].pk}/").json()
        assert body["id_number"] == "**************" + world["a"].id_number[-4:]
        assert body["birth_date"] == BORN.isoformat()
    client.force_login(cast.manager_a)
    body = client.get(f"/api/v1/elders/{world['a'].pk}/").json()
    assert body["id_number"] == world["a"].id_number


def test_the_masked_number_sent_back_leaves_it_unchanged(client, cast, world):
    elder = world["a"]
    client.force_login(cast.staff_a)
    response = client.patch(
        f"/api/v1/elders/{elder.pk}/",
        {"id_number": mask(elder.id_number), "phone": "138 0000 1111"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert Elder.objects.get(pk=elder.pk).id_number == elder.id_number


def test_a_volunteer_cannot_probe_the_number_by_searching(client, cast, world):
    elder = world["a"]
    client.force_login(cast.volunteer_a)
    for query in (elder.id_number, elder.id_number[-4:]):
        body = client.get("/api/v1/elders/", {"q": query}).json()
        assert body["count"] == 0, query
    client.force_login(cast.staff_a)
    body = client.get("/api/v1/elders/", {"q": elder.id_number[-4:]}).json()
    assert [e["id"] for e in body["results"]] == [elder.pk]
