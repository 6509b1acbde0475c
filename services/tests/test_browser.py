"""In Chromium: staff record a service and fill its feedback; the public notice
prints on one A4 page."""

import os
import re

import pytest
from django.utils import timezone

from elders.tests.factories import ElderFactory
from services.tests.factories import service_type

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"


def pdf_pages(data: bytes) -> int:
    """Page objects in a PDF (Chromium writes them uncompressed)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


def test_staff_record_a_service_and_fill_its_feedback(
    page, live_server, cast, screenshot_dir, sign_in
):
    ElderFactory(station=cast.a, name="周桂芳")
    ElderFactory(station=cast.a, name="周建国")
    ElderFactory(station=cast.b, name="周桂兰")  # another station: never offered
    sign_in("staff_a")
    page.goto(f"{live_server.url}/services/records/new/")
    page.fill("[data-picker-query]", "周")
    page.locator("[data-pick-id]").nth(1).wait_for()
    offered = page.locator("[data-pick-id]").all_inner_texts()
    assert len(offered) == 2 and "周桂兰" not in " ".join(offered)
    page.fill("[data-picker-query]", "桂芳")
    page.locator("[data-pick-label=周桂芳]").click()
    assert page.locator("[data-picker-label]").inner_text() == "周桂芳"
    page.select_option("#id_service_type", str(service_type("chat").pk))
    page.check("input[name=delivered_by][value=staff]")
    page.fill("#id_duration_minutes", "50")
    page.fill("#id_notes", "陪老人聊天，读报")
    page.screenshot(
        path=os.path.join(screenshot_dir, "service-record-form-zh.png"), full_page=True
    )
    page.locator("form.service-record-form button[type=submit]").click()

    page.locator(".feedback-card").wait_for()
    assert "周桂芳" in page.locator("h1").inner_text()
    page.locator(".feedback-card a.btn").click()
    page.check("input[name=satisfaction][value='4']")
    page.check("input[name=attitude][value='5']")
    page.check("input[name=quality][value='4']")
    page.check("#id_punctual")
    page.check("input[name=channel][value=in_person]")
    page.fill("#id_comment", "聊得很开心")
    page.screenshot(
        path=os.path.join(screenshot_dir, "service-feedback-form-zh.png"),
        full_page=True,
    )
    page.locator("form.subform button[type=submit]").click()

    page.locator("[data-score=satisfaction]").wait_for()
    assert page.locator("[data-score=satisfaction]").inner_text() == "4/5"
    page.screenshot(
        path=os.path.join(screenshot_dir, "service-record-detail-zh.png"),
        full_page=True,
    )

    page.goto(f"{live_server.url}/services/")
    assert page.locator("table.service-records tbody tr").count() == 1
    page.screenshot(
        path=os.path.join(screenshot_dir, "service-records-zh.png"), full_page=True
    )


@pytest.mark.parametrize("rows", [30, 55])
def test_the_public_notice_prints_on_one_a4_page(
    page, live_server, cast, screenshot_dir, sign_in, rows
):
    from volunteers.models import Pairing, Volunteer

    cast.a.address = "示范区幸福路 18 号"
    cast.a.save()
    volunteers = [
        Volunteer.objects.create(
            station=cast.a,
            name=f"志愿者{n}",
            gender="F",
            birth_date="1962-03-01",
            phone="139",
        )
        for n in range(6)
    ]
    # A station's paired service objects: regular type, then the dense layout.
    for n in range(rows):
        elder = ElderFactory(
            station=cast.a,
            name=SURNAMES[n % len(SURNAMES)]
            + ("桂兰" if n % 3 else "建国华"[: 1 + n % 3]),
            categories=["three_no"] if n % 4 == 0 else [],
        )
        Pairing.objects.create(
            station=cast.a,
            volunteer=volunteers[n % 6],
            elder=elder,
            services=["chat", "cleaning", "meal_delivery"][: 1 + n % 3],
            schedule="每周二、周五 9:00–11:00",
            approved_at=timezone.now(),
        )
    sign_in("staff_a")
    page.goto(f"{live_server.url}/services/notice/{cast.a.pk}/")
    assert page.locator(".notice-table tbody tr").count() == rows
    assert page.get_by_text("李*兰").count() >= 1
    assert page.get_by_text("李桂兰").count() == 0
    page.screenshot(
        path=os.path.join(screenshot_dir, f"public-notice-{rows}-zh.png"),
        full_page=True,
    )
    page.emulate_media(media="print")
    page.screenshot(
        path=os.path.join(screenshot_dir, f"public-notice-{rows}-print-zh.png"),
        full_page=True,
    )
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    with open(
        os.path.join(screenshot_dir, f"public-notice-{rows}-zh.pdf"), "wb"
    ) as out:
        out.write(pdf)
    assert pdf_pages(pdf) == 1


def test_the_service_pages_fit_a_phone(
    page, live_server, cast, screenshot_dir, sign_in
):
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in("staff_a")
    for path, name in [
        ("/services/records/new/", "service-record-form-phone-zh.png"),
        ("/services/", "service-records-phone-zh.png"),
        ("/services/feedback/", "service-feedback-pending-phone-zh.png"),
        (f"/services/notice/{cast.a.pk}/", "public-notice-phone-zh.png"),
        ("/services/agreements/new/", "service-agreement-form-phone-zh.png"),
        ("/services/providers/new/", "service-provider-form-phone-zh.png"),
    ]:
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        page.screenshot(path=os.path.join(screenshot_dir, name), full_page=True)


def test_a_late_service_waits_for_the_manager_who_confirms_it(
    page, live_server, cast, screenshot_dir, sign_in
):
    import datetime

    from vouchers import actions as voucher_actions
    from vouchers.models import RunTrigger

    for district in (cast.d1, cast.d2):
        district.late_record_days = 7
        district.save()
    ElderFactory(station=cast.a, name="陈秀英", categories=["three_no"])
    delivered = timezone.localtime() - datetime.timedelta(days=10)
    voucher_actions.month_issue(
        month=delivered.date().replace(day=1),
        stations=[cast.a],
        trigger=RunTrigger.SCHEDULE,
    )

    sign_in("staff_a")
    page.goto(f"{live_server.url}/services/records/new/")
    page.fill("[data-picker-query]", "秀英")
    page.locator("[data-pick-label=陈秀英]").click()
    page.select_option("#id_service_type", str(service_type("chat").pk))
    page.check("input[name=delivered_by][value=staff]")
    page.fill("#id_delivered_at", delivered.strftime("%Y-%m-%dT10:00"))
    page.fill("#id_duration_minutes", "60")
    page.fill("#id_price", "45")
    page.locator("form.service-record-form button[type=submit]").click()
    page.locator(".late-record").wait_for()
    assert "尚未结算" in page.locator(".late-record").inner_text()
    assert page.locator(".late-record button").count() == 0  # staff cannot confirm
    page.screenshot(
        path=os.path.join(screenshot_dir, "service-late-record-staff-zh.png"),
        full_page=True,
    )
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{live_server.url}/services/records/to-confirm/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(
        path=os.path.join(screenshot_dir, "services-to-confirm-phone-zh.png"),
        full_page=True,
    )

    page.set_viewport_size({"width": 1280, "height": 900})
    page.context.clear_cookies()  # signed out
    sign_in("manager_a")
    page.goto(f"{live_server.url}/services/records/to-confirm/")
    assert page.locator("table.records-to-confirm tbody tr").count() == 1
    page.screenshot(
        path=os.path.join(screenshot_dir, "services-to-confirm-manager-zh.png"),
        full_page=True,
    )
    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Late services to confirm").wait_for()
    page.screenshot(
        path=os.path.join(screenshot_dir, "services-to-confirm-manager-en.png"),
        full_page=True,
    )
    page.locator("table.records-to-confirm a").first.click()
    page.locator(".late-record").wait_for()
    page.screenshot(
        path=os.path.join(screenshot_dir, "service-late-record-manager-en.png"),
        full_page=True,
    )
    page.get_by_role("button", name="Confirm and pay").click()
    page.locator(".alert-success").wait_for()
    assert "¥45.00 paid by vouchers" in page.locator(".alert-success").inner_text()
    assert page.locator(".late-record").count() == 0
    page.screenshot(
        path=os.path.join(screenshot_dir, "service-late-record-confirmed-en.png"),
        full_page=True,
    )
