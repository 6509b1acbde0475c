"""In Chromium: lunch for 60 taken on a tablet in one submit, written once; the
meal delivery's route list prints on A4; the pages fit a phone."""

import os
import re

import pytest
from django.utils import timezone

from daysheets.tests.conftest import enrol
from elders.tests.factories import ElderFactory
from services.models import ServiceRecord
from services.tests.factories import AgreementFactory, ProviderFactory
from vouchers.models import LedgerEntry
from vouchers.tests.conftest import free_elder, issue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = ["桂兰", "建国", "秀英", "志强", "玉珍", "德明"]
TABLET = {"width": 820, "height": 1180}


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


@pytest.fixture
def canteen(cast):
    provider = ProviderFactory(station=cast.a, name="阳光食堂")
    AgreementFactory(
        provider=provider, prices={"meal": "12.00", "meal_delivery": "15.00"}
    )
    return provider


def test_lunch_for_sixty_in_one_submit(
    page, live_server, cast, screenshot_dir, sign_in, canteen
):
    elders = [
        free_elder(
            cast.a, name=SURNAMES[n % 30] + GIVEN[n // 30 % 6] + str(n // 60 or "")
        )
        for n in range(60)
    ]
    for elder in elders:
        enrol(cast.staff_a, elder, weekdays=range(7))
    walk_in = ElderFactory(station=cast.a, name="欧阳临时")
    ElderFactory(station=cast.b, name="欧阳他站")  # another station: never offered
    issue(month=timezone.localdate().replace(day=1))

    page.set_viewport_size(TABLET)
    sign_in("staff_a")
    page.goto(f"{live_server.url}/day-sheets/")
    page.screenshot(
        path=os.path.join(screenshot_dir, "day-sheets-zh.png"), full_page=True
    )
    page.locator(".day-sheet-card").first.click()
    page.locator(".tick-row").first.wait_for()
    assert page.locator("input[name=present]:checked").count() == 60

    # A walk-in, found by name with the elder picker.
    page.fill("[data-picker-query]", "欧阳")
    page.locator("[data-pick-id]").first.wait_for()
    offered = page.locator("[data-pick-id]").all_inner_texts()
    assert len(offered) == 1 and "他站" not in offered[0]
    page.locator("[data-pick-id]").first.click()
    page.get_by_role("button", name="加入本表").click()
    page.get_by_text("欧阳临时").wait_for()
    assert page.locator(".tick-row").count() == 61

    # Two are absent today: untick them (big targets: the whole row).
    page.locator(f"label[for=present-{elders[3].pk}]").click()
    page.locator(f"label[for=present-{elders[17].pk}]").click()
    page.check(f"#present-{walk_in.pk}")
    assert page.locator("input[name=present]:checked").count() == 59
    page.select_option("#id_provider", str(canteen.pk))
    page.screenshot(
        path=os.path.join(screenshot_dir, "day-sheet-tablet-zh.png"), full_page=True
    )
    with page.expect_request(lambda r: r.method == "POST") as sent:
        page.get_by_role("button", name="记录已勾选的老人").click()
    page.locator(".alert-success").first.wait_for()
    assert ServiceRecord.objects.count() == 59
    assert page.locator(".tick-row.is-recorded").count() == 59
    page.screenshot(
        path=os.path.join(screenshot_dir, "day-sheet-taken-zh.png"), full_page=True
    )
    redeemed = LedgerEntry.objects.filter(kind="redemption").count()
    assert redeemed == 58  # the walk-in has no vouchers

    # The same submit again (a double tap, a resent form): nothing twice.
    again = page.request.post(
        sent.value.url,
        data=sent.value.post_data,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        max_redirects=0,
    )
    assert again.status == 302
    page.reload()
    assert "0 条" in page.locator(".alert-success").first.inner_text()
    assert ServiceRecord.objects.count() == 59
    assert LedgerEntry.objects.filter(kind="redemption").count() == redeemed

    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="Record the ticked elders").wait_for()
    page.screenshot(
        path=os.path.join(screenshot_dir, "day-sheet-taken-en.png"), full_page=True
    )


def test_the_route_list_prints_on_a4_grouped_by_address(
    page, live_server, cast, screenshot_dir, sign_in, canteen
):
    for n in range(24):
        enrol(
            cast.staff_a,
            ElderFactory(
                station=cast.a,
                name=SURNAMES[n] + GIVEN[n % 6],
                address=f"幸福路 {n // 2 + 1} 号",
                phone="139 0000 1234",
            ),
            code="meal_delivery",
            meals=["lunch", "dinner"],
            notes="少盐" if n % 5 == 0 else "",
        )
    sign_in("staff_a")
    day = timezone.localdate()
    page.goto(f"{live_server.url}/day-sheets/{cast.a.pk}/meal_delivery/{day}/")
    page.screenshot(
        path=os.path.join(screenshot_dir, "day-sheet-delivery-zh.png"), full_page=True
    )
    page.get_by_role("link", name="送餐路线单").click()
    page.locator(".route-table").wait_for()
    assert page.locator(".route-table tbody tr").count() == 24
    assert page.locator(".route-table td[rowspan='2']").count() == 24  # 12 doors
    page.emulate_media(media="print")
    page.screenshot(
        path=os.path.join(screenshot_dir, "route-list-print-zh.png"), full_page=True
    )
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    with open(os.path.join(screenshot_dir, "route-list-zh.pdf"), "wb") as out:
        out.write(pdf)
    assert pdf_pages(pdf) == 1


def test_the_day_sheet_pages_fit_a_phone(
    page, live_server, cast, screenshot_dir, sign_in, canteen
):
    for n in range(6):
        enrol(cast.staff_a, ElderFactory(station=cast.a, name=SURNAMES[n] + "桂兰"))
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in("staff_a")
    day = timezone.localdate()
    for path, name in [
        ("/day-sheets/", "day-sheets-phone-zh.png"),
        (f"/day-sheets/{cast.a.pk}/meal/{day}/", "day-sheet-phone-zh.png"),
        ("/day-sheets/enrolments/", "enrolments-phone-zh.png"),
        ("/day-sheets/enrolments/new/", "enrolment-form-phone-zh.png"),
    ]:
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        page.screenshot(path=os.path.join(screenshot_dir, name), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Enrol an elder").wait_for()
    page.screenshot(
        path=os.path.join(screenshot_dir, "enrolment-form-en.png"), full_page=True
    )
