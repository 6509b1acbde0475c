"""Hostile and oversized rosters are refused within seconds, with a message, before
their rows are believed: a zip bomb, entity expansion (billion laughs), external
entities (XXE), 100,000 rows, a sheet formatted down to its last row; the upload
page answers them with the message, never a 500."""

from __future__ import annotations

import io
import time
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from elders.models import Elder
from elders.roster import RosterErrors, parse_roster
from elders.tests.test_roster import HEADER, a_row, xlsx

pytestmark = pytest.mark.django_db

#: "Within seconds" on a shared, busy machine.
SECONDS = 10


@pytest.fixture(autouse=True)
def _english_and_a_private_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    with translation.override("en"):
        yield


def with_entry(workbook: bytes, name: str, content: bytes) -> bytes:
    """``workbook`` with its entry ``name`` replaced by ``content``."""
    source = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            data = content if item.filename == name else source.read(item.filename)
            target.writestr(item.filename, data)
        if name not in source.namelist():
            target.writestr(name, content)
    return out.getvalue()


def sheet_xml(rows: int, *, prefix: bytes = b"", padding: int = 0) -> bytes:
    """A worksheet with the roster's header and ``rows`` rows of inline strings."""
    head = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{HEADER[key]}</t></is></c>'
        for i, key in enumerate(a_row())
    )
    body = "".join(
        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>王{n}</t></is></c>'
        f'<c r="B{n}" t="inlineStr"><is><t>男</t></is></c></row>'
        for n in range(2, rows + 2)
    )
    return (
        prefix
        + b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b" " * padding
        + f'<sheetData><row r="1">{head}</row>{body}</sheetData></worksheet>'.encode()
    )


def refused(content: bytes, filename: str = "roster.xlsx") -> str:
    started = time.monotonic()
    with pytest.raises(RosterErrors) as caught:
        parse_roster(content, filename)
    elapsed = time.monotonic() - started
    assert elapsed < SECONDS, f"took {elapsed:.1f} s"
    [(row, messages)] = caught.value.problems
    assert row == 0
    return " ".join(messages)


SHEET = "xl/worksheets/sheet1.xml"


def test_a_zip_bomb_is_refused_before_it_is_inflated(settings):
    # 120 MB of blanks inside the sheet, about 120 KB once compressed.
    bomb = with_entry(xlsx([a_row(1)]), SHEET, sheet_xml(1, padding=120 * 2**20))
    assert len(bomb) < 2**20
    message = refused(bomb)
    assert "unpacks to 120.0 MB, more than the 50.0 MB" in message


def test_the_size_limit_is_a_setting(settings):
    settings.IMPORT_MAX_BYTES = 2**20
    message = refused(with_entry(xlsx([]), SHEET, sheet_xml(1, padding=2 * 2**20)))
    assert "more than the 1.0 MB" in message


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
"""


def _entity_sheet(prolog: bytes, reference: bytes) -> bytes:
    return (
        prolog
        + b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>'
        + reference
        + b"</t></is></c></row></sheetData></worksheet>"
    )


@pytest.mark.parametrize(
    ("entry", "content"),
    [
        (SHEET, _entity_sheet(BILLION_LAUGHS, b"&lol9;")),
        (SHEET, _entity_sheet(XXE, b"&xxe;")),
        (
            "xl/sharedStrings.xml",
            XXE
            + b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
            b' count="1" uniqueCount="1"><si><t>&xxe;</t></si></sst>',
        ),
        (
            "xl/sharedStrings.xml",
            BILLION_LAUGHS
            + b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
            b' count="1" uniqueCount="1"><si><t>&lol9;</t></si></sst>',
        ),
    ],
    ids=["laughs-in-sheet", "xxe-in-sheet", "xxe-in-strings", "laughs-in-strings"],
)
def test_entity_expansion_and_external_entities_are_refused(entry, content):
    message = refused(with_entry(xlsx([a_row(1)]), entry, content))
    assert "XML entity declarations or external references" in message


def test_a_100k_row_workbook_is_refused_within_seconds():
    big = with_entry(xlsx([]), SHEET, sheet_xml(100_000))
    message = refused(big)
    assert "more than 5,000 rows" in message


def test_a_100k_row_csv_is_refused_within_seconds():
    keys = list(a_row())
    lines = [",".join(HEADER[k] for k in keys)]
    row = a_row(1)
    lines += [",".join(str(row[k]) for k in keys)] * 100_000
    message = refused("\n".join(lines).encode(), "roster.csv")
    assert "more than 5,000 rows" in message


def test_a_sheet_formatted_down_to_its_last_row_is_refused():
    empty = "".join(f'<row r="{n}" s="1" customFormat="1"/>' for n in range(3, 200_003))
    sheet = sheet_xml(1).replace(b"</sheetData>", empty.encode() + b"</sheetData>")
    message = refused(with_entry(xlsx([]), SHEET, sheet))
    assert "delete the empty rows below the roster" in message


def test_the_row_limit_is_a_setting(settings):
    settings.IMPORT_MAX_ROWS = 3
    assert "more than 3 rows" in refused(xlsx([a_row(n) for n in range(1, 5)]))
    rows, problems = parse_roster(xlsx([a_row(n) for n in range(1, 4)]), "r.xlsx")
    assert (len(rows), problems) == (3, [])


def test_a_csv_larger_than_the_limit_is_refused(settings):
    settings.IMPORT_MAX_BYTES = 1000
    assert "a roster may hold" in refused(b"x" * 2000, "roster.csv")


@pytest.mark.parametrize(
    "content",
    [
        b"PK\x03\x04 not really a zip",
        with_entry(xlsx([a_row(1)]), SHEET, b"<worksheet><sheetData><row"),
        with_entry(xlsx([a_row(1)]), "xl/workbook.xml", b"\x00\x01garbage"),
        with_entry(xlsx([a_row(1)]), SHEET, b'<?xml version="1.0"?><a>\xff\xfe</a>'),
    ],
    ids=["not-a-zip", "truncated-sheet", "garbage-workbook", "bad-encoding"],
)
def test_a_damaged_workbook_is_a_message(content):
    assert "cannot be read as an Excel workbook" in refused(content)


# --- The page and the command answer with the message, never a 500 -------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "bomb.xlsx",
            lambda: with_entry(xlsx([]), SHEET, sheet_xml(1, padding=60 * 2**20)),
            "unpacks to 60.0 MB",
        ),
        (
            "laughs.xlsx",
            lambda: with_entry(
                xlsx([]), SHEET, _entity_sheet(BILLION_LAUGHS, b"&lol9;")
            ),
            "XML entity declarations",
        ),
        (
            "big.xlsx",
            lambda: with_entry(xlsx([]), SHEET, sheet_xml(100_000)),
            "more than 5,000 rows",
        ),
    ],
)
def test_the_upload_page_answers_with_the_message(
    client, cast, name, content, expected
):
    client.force_login(cast.staff_a)
    started = time.monotonic()
    response = client.post(
        reverse("elders:import"),
        {"file": SimpleUploadedFile(name, content())},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert time.monotonic() - started < SECONDS
    assert response.status_code == 200
    assert expected in response.content.decode()
    assert not Elder.objects.exists()


def test_the_command_answers_with_the_message(cast, tmp_path, capsys):
    path = tmp_path / "laughs.xlsx"
    path.write_bytes(
        with_entry(xlsx([]), SHEET, _entity_sheet(BILLION_LAUGHS, b"&lol9;"))
    )
    with pytest.raises(CommandError):
        call_command("import_elders", str(path), station="A")
    assert "XML entity declarations" in capsys.readouterr().err
    assert not Elder.objects.exists()


def test_the_command_refuses_a_file_too_large_before_reading_it(
    cast, tmp_path, settings, capsys
):
    settings.IMPORT_MAX_BYTES = 1000
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 5000)
    with pytest.raises(CommandError):
        call_command("import_elders", str(path), station="A")
    assert "more than the" in capsys.readouterr().err
