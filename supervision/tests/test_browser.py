"""In Chromium: the supervisor opens the district dashboard, drills down to a
station, exports a table and prints the report."""

import io
import os
import re

import pytest
from openpyxl import load_workbook

from supervision.actions import figures_refresh
from supervision.tests.conftest import build_district

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


def test_the_supervisor_opens_the_dashboard_and_exports_a_table(
    page, live_server, cast, screenshot_dir, sign_in
):
    district = build_district(cast)
    figures_refresh(first=district.first, last=district.last)
    sign_in("supervisor")
    page.goto(f"{live_server.url}/")
    page.locator("nav a[href='/dashboard/']").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")
    page.locator("[data-freshness]").wait_for()
    # Chart.js drew every chart of a section with figures.
    page.locator("#section-services canvas").wait_for()
    assert page.locator("canvas[data-chart]").count() >= 7
    rows = page.locator("table[data-table=stations] tbody tr")
    assert rows.count() == 2  # stations A and B, not C of the other district
    assert "丙站" not in page.content()
    page.screenshot(
        path=os.path.join(screenshot_dir, "dashboard-district-zh.png"), full_page=True
    )

    with page.expect_download() as info:
        page.locator("a[data-export=services]").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(open(download.path(), "rb").read())).worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    total_row = values[-1]
    shown = page.locator("table[data-table=services] tfoot td").nth(
        len(district.months)
    )
    assert str(total_row[len(district.months) + 1]) == shown.inner_text().replace(
        ",", ""
    )

    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    with open(os.path.join(screenshot_dir, "dashboard-district-zh.pdf"), "wb") as out:
        out.write(pdf)
    assert 1 < pdf_pages(pdf) <= 8
    page.emulate_media(media="screen")

    page.locator("table[data-table=stations] tbody a").first.click()
    page.wait_for_url(re.compile(r"/dashboard/stations/\d+/"))
    assert page.locator("h1").inner_text() == cast.a.name
    page.set_viewport_size({"width": 375, "height": 800})
    page.screenshot(
        path=os.path.join(screenshot_dir, "dashboard-station-phone-zh.png"),
        full_page=True,
    )
