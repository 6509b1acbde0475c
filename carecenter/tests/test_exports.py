"""The one export helper (carecenter.exports): text as text, no formula, logged."""

import datetime
from decimal import Decimal

import pytest
from django.test import RequestFactory

from carecenter.exports import Workbook, neutralise, xlsx_response
from carecenter.models import AccessLogEntry
from carecenter.tests.spreadsheets import HOSTILE, assert_no_formula, cells


@pytest.mark.parametrize("text", [*HOSTILE, "\r=1"])
def test_it_neutralises_every_leading_trigger(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["王桂芳", "138 0000 0000", "", "a=b", "1-2"])
def test_it_leaves_ordinary_text_alone(text):
    assert neutralise(text) == text


def test_values_keep_their_types_and_texts_stay_texts():
    book = Workbook()
    sheet = book.sheet("表")
    sheet.header(["名", "数"])
    sheet.row([HOSTILE[0], 3, Decimal("2.50"), datetime.date(2026, 1, 2), True, None])
    sheet.row(["=1+1"])
    found = {c.coordinate: c for c in cells(book.to_bytes())}
    assert found["A2"].value == "'" + HOSTILE[0] and found["A2"].data_type == "s"
    assert found["B2"].value == 3
    assert found["C2"].value == 2.5
    assert found["D2"].value.date() == datetime.date(2026, 1, 2)
    assert found["E2"].value is True
    assert book.rows == 2
    assert_no_formula(book.to_bytes(), expect="=1+1")


@pytest.mark.django_db
def test_the_response_is_a_download_and_is_logged(cast):
    request = RequestFactory().get("/x/", {"q": "王", "station": "A"})
    request.user = cast.staff_a
    book = Workbook()
    sheet = book.sheet("表")
    for n in range(3):
        sheet.row([n])
    response = xlsx_response(request, book, filename="x.xlsx", what="test:x")
    assert response["Content-Disposition"] == 'attachment; filename="x.xlsx"'
    assert response["Cache-Control"] == "no-store"
    entry = AccessLogEntry.objects.get()
    assert (entry.username, entry.action, entry.rows, entry.what) == (
        "staff_a",
        "export",
        3,
        "test:x",
    )
    assert entry.filters == {"q": "王", "station": "A"}
