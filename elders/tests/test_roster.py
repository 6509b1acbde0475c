"""The roster: import from Excel/CSV (all or nothing), template, export, command."""

from __future__ import annotations

import datetime
import io
import os
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook, load_workbook

from carecenter.tests.spreadsheets import HOSTILE, assert_no_formula, cells
from elders.id_numbers import make_id_number, mask
from elders.models import Elder
from elders.roster import (
    COLUMNS,
    EXAMPLE_MARK,
    RosterErrors,
    column_for,
    parse_roster,
    roster_import,
    template_workbook,
)
from elders.tests.factories import ElderFactory

pytestmark = pytest.mark.django_db

HEADER = {column.key: column.header for column in COLUMNS}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _english_and_a_private_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with translation.override("en"):
        yield


@pytest.fixture
def client_en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def a_row(n: int = 1, **changes) -> dict:
    """A valid roster row; ``n`` makes the ID number unique."""
    birth = datetime.date(1940 + n % 20, 1 + n % 12, 1 + n % 28)
    row = {
        "name": f"王{n}",
        "gender": "男",
        "birth_date": birth,
        "id_number": make_id_number("330102", birth, n, "M"),
        "phone": "13800000000",
        "address": "幸福路 8 号",
        "hukou_local": "是",
        "living_arrangement": "独居",
        "empty_nest": "是",
        "categories": "低保、残疾",
        "financial_difficulty": "否",
        "health_status": "一般",
        "status": "在册",
    }
    row.update(changes)
    return row


def xlsx(rows: list[dict | None], headers: list[str] | None = None) -> bytes:
    """A workbook whose first sheet holds ``rows`` (``None``: an empty row)."""
    keys = list(a_row())
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers or [HEADER[k] for k in keys])
    for row in rows:
        sheet.append([] if row is None else [row.get(k) for k in keys])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_text(rows: list[dict]) -> str:
    keys = list(a_row())
    lines = [",".join(HEADER[k] for k in keys)]
    for row in rows:
        values = [row[k] for k in keys]
        lines.append(
            ",".join(
                v.isoformat() if isinstance(v, datetime.date) else v for v in values
            )
        )
    return "\r\n".join(lines) + "\r\n"


def problems_of(excinfo) -> dict[int, str]:
    return {number: " | ".join(reasons) for number, reasons in excinfo.value.problems}


# --- Parsing and importing -----------------------------------------------------------


def test_it_imports_every_row_of_a_valid_file(cast):
    woman = a_row(3, gender="女")
    woman["id_number"] = make_id_number("330102", woman["birth_date"], 3, "F")
    rows = roster_import(
        actor=cast.staff_a,
        station=cast.a,
        file=xlsx([a_row(1), a_row(2), woman]),
        filename="roster.xlsx",
    )
    assert [number for number, _data in rows] == [2, 3, 4]
    elders = Elder.objects.filter(station=cast.a).order_by("name")
    assert elders.count() == 3
    first = elders[0]
    assert first.name == "王1"
    assert first.gender == "M"
    assert first.living_arrangement == "alone"
    assert first.empty_nest is True
    assert first.hukou_local is True
    assert first.financial_difficulty is False
    assert sorted(first.categories) == ["disabled", "low_income"]
    assert first.health_status == "fair"
    assert first.status == "active"
    assert first.district_id == cast.d1.pk
    assert elders[2].gender == "F"


def test_it_writes_nothing_when_one_row_is_bad(cast):
    bad_date = a_row(3, birth_date="1950-13-40")
    bad_checksum = a_row(4)
    bad_checksum["id_number"] = bad_checksum["id_number"][:-1] + (
        "0" if bad_checksum["id_number"][-1] != "0" else "1"
    )
    content = xlsx([a_row(1), a_row(2), bad_date, bad_checksum, a_row(5)])
    with pytest.raises(RosterErrors) as excinfo:
        roster_import(
            actor=cast.staff_a, station=cast.a, file=content, filename="r.xlsx"
        )
    found = problems_of(excinfo)
    assert set(found) == {4, 5}
    assert "出生日期 (birth_date)" in found[4]
    assert "1950-13-40" in found[4]
    assert "check character" in found[5]
    assert not Elder.objects.exists()


def test_it_reports_two_rows_with_the_same_id_number_and_writes_none(cast):
    twin = a_row(1)
    content = xlsx([a_row(1), a_row(2), twin])
    with pytest.raises(RosterErrors) as excinfo:
        roster_import(
            actor=cast.staff_a, station=cast.a, file=content, filename="r.xlsx"
        )
    found = problems_of(excinfo)
    assert list(found) == [4]
    assert "row 2" in found[4]
    assert not Elder.objects.exists()


def test_it_reports_an_id_number_already_in_the_district(cast):
    row = a_row(1)
    ElderFactory(
        station=cast.b,
        birth_date=row["birth_date"],
        gender="M",
        id_number=row["id_number"],
    )
    with pytest.raises(RosterErrors) as excinfo:
        roster_import(
            actor=cast.staff_a, station=cast.a, file=xlsx([row]), filename="r.xlsx"
        )
    assert "already registered" in problems_of(excinfo)[2]
    assert Elder.objects.count() == 1


def test_it_checks_the_district_for_every_row_in_one_query(cast):
    def queries_for(count: int, start: int) -> int:
        rows = [a_row(n) for n in range(start, start + count)]
        with CaptureQueriesContext(connection) as captured:
            roster_import(
                actor=cast.staff_a, station=cast.a, file=xlsx(rows), filename="r.xlsx"
            )
        return len(captured.captured_queries)

    queries_for(1, 1)  # reads the staff member's roles once
    assert queries_for(2, 10) == queries_for(40, 20)
    assert Elder.objects.filter(station=cast.a).count() == 43


def test_it_asks_to_format_a_numeric_id_cell_as_text(cast):
    row = a_row(1)
    row["id_number"] = int(row["id_number"][:17] + "0")
    with pytest.raises(RosterErrors) as excinfo:
        roster_import(
            actor=cast.staff_a, station=cast.a, file=xlsx([row]), filename="r.xlsx"
        )
    message = problems_of(excinfo)[2]
    assert "身份证号 (id_number)" in message
    assert "as text" in message
    assert not Elder.objects.exists()


def test_it_recognises_an_id_number_that_csv_shows_in_scientific_notation(cast):
    row = a_row(1, id_number="3.30102E+17")
    content = csv_text([row]).encode("utf-8")
    rows, problems = parse_roster(content, "r.csv")
    assert rows == []
    assert "as text" in problems[0][1][0]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_it_reads_csv_in_utf8_with_or_without_bom_and_in_gb18030(cast, encoding):
    content = csv_text([a_row(1), a_row(2)]).encode(encoding)
    rows = roster_import(
        actor=cast.staff_a, station=cast.a, file=content, filename="r.CSV"
    )
    assert len(rows) == 2
    assert set(Elder.objects.values_list("name", flat=True)) == {"王1", "王2"}
    assert Elder.objects.get(name="王1").categories == ["low_income", "disabled"]


def test_it_lists_unknown_columns_once_and_reads_no_row(cast):
    headers = [HEADER[k] for k in a_row()]
    headers[4] = "备注"
    content = xlsx([a_row(1), a_row(2)], headers=headers)
    with pytest.raises(RosterErrors) as excinfo:
        parse_roster(content, "r.xlsx")
    assert excinfo.value.problems == [(1, ["unknown column 备注"])]


def test_it_refuses_a_file_without_a_required_column(cast):
    headers = [HEADER[k] for k in a_row()]
    headers[3] = ""  # the ID number column has no header
    headers[0] = "备注"
    with pytest.raises(RosterErrors) as excinfo:
        parse_roster(xlsx([a_row(1)], headers=headers), "r.xlsx")
    ((number, messages),) = excinfo.value.problems
    assert number == 1
    assert "unknown column 备注" in messages
    assert any(
        "missing required columns" in m
        and "姓名 (name)" in m
        and "身份证号 (id_number)" in m
        for m in messages
    )


@pytest.mark.parametrize(
    "header, key",
    [
        ("姓名 (name)", "name"),
        ("姓名（name）", "name"),
        ("姓名", "name"),
        ("name", "name"),
        ("*出生日期 (birth_date)", "birth_date"),
        ("Birth date", "birth_date"),
        ("身份证号码", "id_number"),
        ("出生日期 (YYYY-MM-DD)", "birth_date"),
        ("备注 (notes)", None),
    ],
)
def test_it_matches_headers_by_key_chinese_label_or_english_key(header, key):
    column = column_for(header)
    assert (column.key if column else None) == key


def test_it_skips_empty_rows_and_keeps_the_spreadsheet_row_numbers(cast):
    content = xlsx([a_row(1), None, a_row(2, name=""), None])
    rows, problems = parse_roster(content, "r.xlsx")
    assert problems == []
    assert [number for number, _data in rows] == [2, 4]
    with pytest.raises(RosterErrors) as excinfo:
        roster_import(
            actor=cast.staff_a, station=cast.a, file=content, filename="r.xlsx"
        )
    assert list(problems_of(excinfo)) == [4]
    assert "name" in problems_of(excinfo)[4]


@pytest.mark.parametrize(
    "value, expected",
    [
        (datetime.datetime(1950, 3, 4), datetime.date(1950, 3, 4)),
        ("1950-03-04", datetime.date(1950, 3, 4)),
        ("1950/3/4", datetime.date(1950, 3, 4)),
        ("19500304", datetime.date(1950, 3, 4)),
        (19500304, datetime.date(1950, 3, 4)),
        ("1950年3月4日", datetime.date(1950, 3, 4)),
    ],
)
def test_it_reads_dates_in_the_usual_spellings(value, expected):
    row = a_row(1, residence_since=value)
    keys = [*a_row(), "residence_since"]
    workbook = Workbook()
    workbook.active.append([HEADER[k] for k in keys])
    workbook.active.append([row[k] for k in keys])
    out = io.BytesIO()
    workbook.save(out)
    ((_number, data),) = parse_roster(out.getvalue(), "r.xlsx").rows
    assert data["residence_since"] == expected


@pytest.mark.parametrize(
    "column, value",
    [
        ("gender", "未知"),
        ("hukou_local", "也许"),
        ("living_arrangement", "养老院"),
        ("categories", "低保、富豪"),
        ("health_status", "很好很好"),
        ("status", "失踪"),
    ],
)
def test_it_names_the_column_of_a_value_it_cannot_read(column, value):
    rows, problems = parse_roster(xlsx([a_row(1, **{column: value})]), "r.xlsx")
    assert rows == []
    ((number, (message,)),) = problems
    assert number == 2
    assert message.startswith(HEADER[column])
    assert value.split("、")[-1] in message


@pytest.mark.parametrize(
    "content, filename",
    [(b"not a zip at all", "r.xlsx"), (b"\xff\xff\xff", "r.csv"), (b"x", "r.xls")],
)
def test_it_refuses_a_file_it_cannot_read(content, filename):
    with pytest.raises(RosterErrors) as excinfo:
        parse_roster(content, filename)
    assert excinfo.value.problems[0][0] == 0


# --- The upload, preview and confirmation pages ---------------------------------------


def upload(client, content: bytes, name: str = "roster.xlsx", **data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("elders:import"),
        {"file": SimpleUploadedFile(name, content), **data},
    )


def test_it_shows_the_upload_form_with_the_station_hidden_for_one_station(
    client_en, cast
):
    client_en.force_login(cast.staff_a)
    response = client_en.get(reverse("elders:import"))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'type="hidden" name="station" value="{cast.a.pk}"' in html
    assert reverse("elders:import-template") in html


def test_it_takes_the_only_station_when_none_is_posted(client_en, cast):
    client_en.force_login(cast.staff_a)
    response = upload(client_en, xlsx([a_row(1)]))
    assert response.context["station"] == cast.a
    assert response.context["total"] == 1


def test_it_previews_a_valid_file_and_writes_nothing(client_en, cast):
    client_en.force_login(cast.staff_a)
    row = a_row(1)
    response = upload(client_en, xlsx([row, a_row(2)]), station=cast.a.pk)
    assert response.status_code == 200
    html = response.content.decode()
    assert "All 2 rows are valid" in html
    assert mask(row["id_number"]) in html
    assert row["id_number"] not in html
    assert response.context["token"]
    assert not Elder.objects.exists()


def test_it_lists_every_bad_row_and_stores_nothing(client_en, cast, settings):
    client_en.force_login(cast.staff_a)
    content = xlsx([a_row(1), a_row(2, gender="X"), a_row(3, living_arrangement="")])
    response = upload(client_en, content, station=cast.a.pk)
    assert response.status_code == 200
    assert [n for n, _r in response.context["problems"]] == [3, 4]
    assert "token" not in response.context
    assert not Elder.objects.exists()
    imports = os.path.join(settings.MEDIA_ROOT, "imports")
    assert not os.path.isdir(imports) or os.listdir(imports) == []


def test_it_refuses_other_file_types_and_large_files(client_en, cast, monkeypatch):
    client_en.force_login(cast.staff_a)
    response = upload(client_en, b"hello", name="roster.txt", station=cast.a.pk)
    assert response.status_code == 200
    assert ".xlsx" in str(response.context["form"].errors["file"])
    monkeypatch.setattr("elders.roster_views.MAX_UPLOAD_BYTES", 10)
    response = upload(client_en, xlsx([a_row(1)]), station=cast.a.pk)
    assert "5 MB" in str(response.context["form"].errors["file"])


def test_it_imports_on_confirmation_and_deletes_the_file(client_en, cast, settings):
    client_en.force_login(cast.staff_a)
    token = upload(client_en, xlsx([a_row(1), a_row(2)]), station=cast.a.pk).context[
        "token"
    ]
    imports = os.path.join(settings.MEDIA_ROOT, "imports")
    assert len(os.listdir(imports)) == 1
    response = client_en.post(reverse("elders:import-confirm"), {"token": token})
    assert response.status_code == 302
    assert response["Location"] == reverse("elders:list")
    assert Elder.objects.filter(station=cast.a).count() == 2
    assert os.listdir(imports) == []
    followed = client_en.get(response["Location"])
    assert "2 archives imported" in followed.content.decode()
    # The token is spent.
    again = client_en.post(reverse("elders:import-confirm"), {"token": token})
    assert again.status_code == 404
    assert Elder.objects.count() == 2


def test_it_answers_404_to_a_confirmation_with_someone_elses_token(cast, client):
    from django.test import Client

    owner = Client(HTTP_ACCEPT_LANGUAGE="en")
    owner.force_login(cast.manager_a)
    token = upload(owner, xlsx([a_row(1)]), station=cast.a.pk).context["token"]
    client.force_login(cast.staff_a)
    response = client.post(reverse("elders:import-confirm"), {"token": token})
    assert response.status_code == 404
    assert not Elder.objects.exists()


def test_it_refuses_an_expired_token(client_en, cast, settings):
    client_en.force_login(cast.staff_a)
    token = upload(client_en, xlsx([a_row(1)]), station=cast.a.pk).context["token"]
    session = client_en.session
    session["roster_imports"][token]["created"] -= 61 * 60
    session.save()
    response = client_en.post(reverse("elders:import-confirm"), {"token": token})
    assert response.status_code == 302
    assert response["Location"] == reverse("elders:import")
    assert not Elder.objects.exists()
    assert os.listdir(os.path.join(settings.MEDIA_ROOT, "imports")) == []


def test_it_sweeps_abandoned_files_older_than_an_hour(client_en, cast, settings):
    client_en.force_login(cast.staff_a)
    upload(client_en, xlsx([a_row(1)]), station=cast.a.pk)
    imports = os.path.join(settings.MEDIA_ROOT, "imports")
    (old,) = os.listdir(imports)
    an_hour_ago = time.time() - 61 * 60
    os.utime(os.path.join(imports, old), (an_hour_ago, an_hour_ago))
    upload(client_en, xlsx([a_row(2)]), station=cast.a.pk)
    assert old not in os.listdir(imports)
    assert len(os.listdir(imports)) == 1


def test_it_reports_rows_taken_between_preview_and_confirmation(client_en, cast):
    client_en.force_login(cast.staff_a)
    row = a_row(1)
    token = upload(client_en, xlsx([row]), station=cast.a.pk).context["token"]
    ElderFactory(
        station=cast.a,
        birth_date=row["birth_date"],
        gender="M",
        id_number=row["id_number"],
    )
    response = client_en.post(reverse("elders:import-confirm"), {"token": token})
    assert response.status_code == 200
    assert [n for n, _r in response.context["problems"]] == [2]
    assert Elder.objects.count() == 1


def test_it_lets_an_administrator_choose_the_station(client_en, cast):
    client_en.force_login(cast.admin)
    html = client_en.get(reverse("elders:import")).content.decode()
    assert '<select name="station"' in html
    token = upload(client_en, xlsx([a_row(1)]), station=cast.c.pk).context["token"]
    client_en.post(reverse("elders:import-confirm"), {"token": token})
    assert Elder.objects.get().station == cast.c


def test_it_answers_404_when_staff_b_imports_into_station_a(client_en, cast):
    client_en.force_login(cast.staff_b)
    response = upload(client_en, xlsx([a_row(1)]), station=cast.a.pk)
    assert response.status_code == 404
    assert not Elder.objects.exists()


@pytest.mark.parametrize("username", ["supervisor", "volunteer_a"])
def test_it_answers_403_to_read_only_roles(client_en, cast, username):
    client_en.force_login(getattr(cast, username))
    assert client_en.get(reverse("elders:import")).status_code == 403
    response = upload(client_en, xlsx([a_row(1)]), station=cast.a.pk)
    assert response.status_code == 403
    assert not Elder.objects.exists()


def test_it_sends_anonymous_users_to_sign_in(client_en, cast):
    response = client_en.get(reverse("elders:import"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


# --- The template ---------------------------------------------------------------------


def test_it_serves_a_template_whose_example_row_never_imports(client_en, cast):
    client_en.force_login(cast.staff_a)
    response = client_en.get(reverse("elders:import-template"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    roster, notes = workbook.worksheets
    assert [c.value for c in roster[1]] == [column.header for column in COLUMNS]
    assert roster["A2"].value.startswith(EXAMPLE_MARK)  # marked as an example
    assert roster["D3"].number_format == "@"
    assert notes.max_row > len(COLUMNS)
    # Uploaded unchanged: nothing to import, no fictional elder.
    with pytest.raises(RosterErrors) as refused:
        roster_import(
            actor=cast.staff_a,
            station=cast.a,
            file=response.content,
            filename="t.xlsx",
        )
    assert "only a header" in str(refused.value.problems)
    assert not Elder.objects.exists()


def test_the_example_row_is_a_valid_row_once_its_mark_is_removed(cast):
    workbook = load_workbook(io.BytesIO(template_workbook()))
    roster = workbook.worksheets[0]
    roster["A2"] = roster["A2"].value.removeprefix(EXAMPLE_MARK)
    out = io.BytesIO()
    workbook.save(out)
    rows = roster_import(
        actor=cast.staff_a, station=cast.a, file=out.getvalue(), filename="t.xlsx"
    )
    assert len(rows) == 1
    assert Elder.objects.get().name == "张秀英"


def test_it_parses_its_own_template_to_no_rows():
    with pytest.raises(RosterErrors) as refused:
        parse_roster(template_workbook(), "template.xlsx")
    assert "only a header" in str(refused.value.problems)


def test_example_rows_are_skipped_among_real_ones():
    header = ",".join(column.header for column in COLUMNS)
    example = EXAMPLE_MARK + "张秀英" + "," * (len(COLUMNS) - 1)
    content = f"{header}\r\n{example}\r\n".encode()
    with pytest.raises(RosterErrors) as refused:
        parse_roster(content, "roster.csv")
    assert "only a header" in str(refused.value.problems)


# --- The export -----------------------------------------------------------------------


def exported(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


@pytest.fixture
def elders(cast):
    return {
        "a1": ElderFactory(station=cast.a, name="甲一", categories=["low_income"]),
        "a2": ElderFactory(station=cast.a, name="甲二", phone="13912345678"),
        "b1": ElderFactory(station=cast.b, name="乙一"),
        "c1": ElderFactory(station=cast.c, name="丙一"),
    }


def test_it_exports_only_the_callers_station_with_masked_ids(client_en, cast, elders):
    client_en.force_login(cast.staff_a)
    response = client_en.get(reverse("elders:export"))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "no-store" in response["Cache-Control"]
    today = timezone.localdate().strftime("%Y%m%d")
    assert f'filename="elders-{today}.xlsx"' in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold
    assert sheet.column_dimensions["F"].width == 22
    header, *rows = exported(response)
    assert header[:2] == ["Station", "Name"]
    assert {row[1] for row in rows} == {"甲一", "甲二"}
    ids = {row[1]: row[5] for row in rows}
    assert ids["甲一"] == mask(elders["a1"].id_number)
    first = next(row for row in rows if row[1] == "甲一")
    assert first[0] == "A"
    assert first[3].date() == elders["a1"].birth_date
    assert first[10] == "Urban low-income (低保)"
    assert first[13] in {"Free", "Low-cost", "Paid", "Ineligible"}


def test_it_exports_whole_ids_to_the_manager(client_en, cast, elders):
    client_en.force_login(cast.manager_a)
    rows = exported(client_en.get(reverse("elders:export")))[1:]
    assert {row[5] for row in rows} == {elders["a1"].id_number, elders["a2"].id_number}


def test_it_exports_the_supervisors_district_masked(client_en, cast, elders):
    client_en.force_login(cast.supervisor)
    rows = exported(client_en.get(reverse("elders:export")))[1:]
    assert {row[1] for row in rows} == {"甲一", "甲二", "乙一"}
    assert all("*" in row[5] for row in rows)


def test_it_honours_the_list_filters(client_en, cast, elders):
    client_en.force_login(cast.staff_a)
    rows = exported(client_en.get(reverse("elders:export"), {"q": "1391234"}))[1:]
    assert [row[1] for row in rows] == ["甲二"]
    rows = exported(client_en.get(reverse("elders:export"), {"tier": "free"}))[1:]
    assert all(row[13] == "Free" for row in rows)


def test_it_refuses_the_export_to_volunteers(client_en, cast, elders):
    client_en.force_login(cast.volunteer_a)
    assert client_en.get(reverse("elders:export")).status_code == 403


def test_the_export_costs_the_same_queries_for_more_elders(client_en, cast, elders):
    client_en.force_login(cast.staff_a)
    client_en.get(reverse("elders:export"))
    with CaptureQueriesContext(connection) as few:
        client_en.get(reverse("elders:export"))
    ElderFactory.create_batch(15, station=cast.a)
    with CaptureQueriesContext(connection) as many:
        response = client_en.get(reverse("elders:export"))
    assert len(exported(response)) == 18
    assert len(many.captured_queries) == len(few.captured_queries)


# --- The command ----------------------------------------------------------------------


@pytest.fixture
def roster_file(tmp_path):
    def write(rows, name="roster.xlsx"):
        path = tmp_path / name
        path.write_bytes(xlsx(rows))
        return str(path)

    return write


def test_the_command_imports_a_valid_roster(cast, roster_file):
    out = io.StringIO()
    call_command(
        "import_elders", roster_file([a_row(1), a_row(2)]), station="A", stdout=out
    )
    assert "imported 2 elders" in out.getvalue()
    assert Elder.objects.filter(station=cast.a).count() == 2


def test_the_command_checks_without_writing_on_a_dry_run(cast, roster_file):
    out = io.StringIO()
    call_command(
        "import_elders", roster_file([a_row(1)]), station="A", dry_run=True, stdout=out
    )
    assert "1 rows valid, nothing written (dry run)" in out.getvalue()
    assert not Elder.objects.exists()


def test_the_command_lists_bad_rows_and_writes_nothing(cast, roster_file):
    err = io.StringIO()
    path = roster_file([a_row(1), a_row(2, birth_date="someday")])
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_elders", path, station="A", stderr=err)
    assert err.getvalue().startswith("row 3: 出生日期 (birth_date): ")
    assert not Elder.objects.exists()


def test_the_command_exits_with_status_1_on_bad_rows(
    cast, roster_file, capsys, monkeypatch
):
    from django.db import connections

    # run_from_argv closes the connections the test still needs.
    monkeypatch.setattr(connections, "close_all", lambda: None)
    path = roster_file([a_row(1, gender="?")])
    with pytest.raises(SystemExit) as exited:
        from django.core.management import execute_from_command_line

        execute_from_command_line(
            ["manage.py", "import_elders", path, "--station", "A"]
        )
    assert exited.value.code == 1
    assert "row 2: 性别 (gender)" in capsys.readouterr().err
    assert not Elder.objects.exists()


def test_the_command_refuses_an_actor_of_another_station(cast, roster_file):
    with pytest.raises(CommandError, match="may not change"):
        call_command(
            "import_elders", roster_file([a_row(1)]), station="A", actor="staff_b"
        )
    assert not Elder.objects.exists()


def test_the_command_refuses_an_unknown_station(cast, roster_file):
    with pytest.raises(CommandError, match="No station"):
        call_command("import_elders", roster_file([a_row(1)]), station="ZZ")


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_export_writes_hostile_texts_as_text(client, cast, hostile):
    ElderFactory(
        station=cast.a,
        name=hostile[:50],
        address=hostile,
        phone="+86 138 0000 0000",
    )
    client.force_login(cast.staff_a)
    content = client.get(reverse("elders:export")).content
    assert_no_formula(content, expect=hostile[:50])
    assert_no_formula(content, expect="+86 138 0000 0000")


def test_the_template_holds_no_formula():
    found = cells(template_workbook())
    assert [c.coordinate for c in found if c.data_type == "f"] == []
