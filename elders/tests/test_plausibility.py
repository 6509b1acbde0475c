"""Implausible data is refused with a clear message, the same way on every path:
the archive form, the API and the roster import (years before 1900, residence
before birth, ages over 120, control characters in names)."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from elders.id_numbers import make_id_number
from elders.models import Elder
from elders.roster import RosterErrors, roster_import

pytestmark = pytest.mark.django_db

BORN = datetime.date(1944, 5, 6)
today = timezone.localdate()
TOO_OLD = today.replace(year=today.year - 121)

CASES = {
    # name: (fields changed, field with the error, words of the message)
    "born before 1900": (
        {"birth_date": datetime.date(1899, 12, 31)},
        "birth_date",
        "1900",
    ),
    "older than 120": ({"birth_date": TOO_OLD}, "birth_date", "120"),
    "residence before birth": (
        {"hukou_local": False, "residence_since": datetime.date(1930, 1, 1)},
        "residence_since",
        "before they were born",
    ),
    "residence before 1900": (
        {"hukou_local": False, "residence_since": datetime.date(1899, 1, 1)},
        "residence_since",
        "1900",
    ),
    "control character in the name": (
        {"name": "王\u0007桂芳"},
        "name",
        "control or invisible",
    ),
    "invisible character in the name": (
        {"name": "王\u200b桂芳"},
        "name",
        "control or invisible",
    ),
    "newline in the address": ({"address": "幸福路\n1 号"}, "address", "control"),
}


def fields(**overrides):
    born = overrides.get("birth_date", BORN)
    data = {
        "name": "王桂芳",
        "gender": "F",
        "birth_date": born,
        "id_number": make_id_number("330102", born, 5, "F"),
        "living_arrangement": "alone",
        "hukou_local": True,
        "residence_since": None,
        "address": "",
    }
    return {**data, **overrides}


@pytest.mark.parametrize("case", CASES)
def test_the_form_refuses_it(client, cast, case):
    changes, field, words = CASES[case]
    data = fields(**changes)
    post = {
        k: (v.isoformat() if isinstance(v, datetime.date) else v)
        for k, v in data.items()
        if v not in (None, False)
    }
    post["status"] = "active"
    post["station"] = cast.a.pk
    client.force_login(cast.staff_a)
    response = client.post(reverse("elders:create"), post, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(words in message for message in errors.get(field, [])), errors
    assert not Elder.objects.exists()


@pytest.mark.parametrize("case", CASES)
def test_the_api_refuses_it(client, cast, case):
    changes, field, words = CASES[case]
    body = {
        k: (v.isoformat() if isinstance(v, datetime.date) else v)
        for k, v in fields(**changes).items()
    }
    body["station"] = "A"
    client.force_login(cast.staff_a)
    response = client.post(
        "/api/v1/elders/",
        body,
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert any(words in m for m in response.json().get(field, [])), response.json()
    assert not Elder.objects.exists()


@pytest.mark.parametrize("case", CASES)
def test_the_roster_import_refuses_it(cast, case):
    changes, _field, words = CASES[case]
    data = fields(**changes)
    # CSV: a workbook can hold neither a date before 1900 nor a control character.
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "姓名",
            "性别",
            "出生日期",
            "身份证号",
            "居住状况",
            "本地户籍",
            "居住起始日期",
            "住址",
        ]
    )
    writer.writerow(
        [
            data["name"],
            "女",
            data["birth_date"].isoformat(),
            data["id_number"],
            "独居",
            "是" if data["hukou_local"] else "否",
            data["residence_since"].isoformat() if data["residence_since"] else "",
            data["address"],
        ]
    )
    with pytest.raises(RosterErrors) as error:
        roster_import(
            actor=cast.staff_a,
            station=cast.a,
            file=out.getvalue().encode(),
            filename="r.csv",
        )
    messages = " ".join(m for _row, ms in error.value.problems for m in ms)
    assert words in messages
    assert not Elder.objects.exists()


def test_a_plausible_elder_passes_everywhere(client, cast):
    client.force_login(cast.staff_a)
    body = {
        k: (v.isoformat() if isinstance(v, datetime.date) else v)
        for k, v in fields(
            hukou_local=False, residence_since=datetime.date(2001, 3, 1)
        ).items()
    }
    body["station"] = "A"
    response = client.post("/api/v1/elders/", body, content_type="application/json")
    assert response.status_code == 201, response.json()
