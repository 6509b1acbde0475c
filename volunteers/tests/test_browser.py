"""In Chromium at 375×812: volunteer_a logs a visit with a follow-up flag on a
phone, and staff_a finds it on the station's follow-up list and resolves it."""

import datetime
import os

import pytest
from django.utils import timezone

from elders.tests.factories import ElderFactory
from volunteers.models import HoursEntry, Visit
from volunteers.tests.factories import PairingFactory, VolunteerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def smallest_height(page, selector: str) -> float:
    return page.evaluate(
        """(selector) => Math.min(...[...document.querySelectorAll(selector)]
            .map(e => e.getBoundingClientRect().height))""",
        selector,
    )


def test_a_volunteer_logs_a_visit_and_staff_follow_it_up(
    page, live_server, cast, screenshot_dir, sign_in
):
    now = timezone.localtime().replace(second=0, microsecond=0)
    start, end = now - datetime.timedelta(hours=2), now - datetime.timedelta(hours=1)
    if start.date() != end.date():
        pytest.skip("the last two hours span midnight")
    me = VolunteerFactory(station=cast.a, name="郑晓燕", user=cast.volunteer_a)
    elder = ElderFactory(station=cast.a, name="王桂芳", address="幸福路 18 号 3 幢")
    PairingFactory(volunteer=me, elder=elder, schedule="每周二、周五 9:00–11:00")
    ElderFactory(station=cast.a, name="李德明")  # not paired: never shown

    page.set_viewport_size(PHONE)
    sign_in("volunteer_a")
    assert page.url == f"{live_server.url}/volunteers/me/"  # their start page
    assert page.locator(".elder-card").count() == 1
    assert "李德明" not in page.content()
    assert fits_the_phone(page)
    assert smallest_height(page, ".elder-card .btn") >= 44
    page.screenshot(
        path=os.path.join(screenshot_dir, "volunteer-my-elders-phone.png"),
        full_page=True,
    )

    page.locator(".elder-card a.btn-primary").click()
    page.wait_for_url("**/visit/")
    page.fill("#id_day", start.date().isoformat())
    page.fill("#id_start", start.strftime("%H:%M"))
    page.fill("#id_end", end.strftime("%H:%M"))
    for code in ("chat", "health_check"):
        box = page.locator(f"input[name=services][value={code}]")
        page.click(f"label[for={box.get_attribute('id')}]")
        assert box.is_checked()
    page.fill("#id_systolic", "150")
    page.fill("#id_diastolic", "95")
    page.click("label[for=id_needs_follow_up]")
    page.fill("#id_follow_up_reason", "血压偏高，头晕两天")
    assert fits_the_phone(page)
    assert smallest_height(page, ".service-choices .form-check-label") >= 44
    page.screenshot(
        path=os.path.join(screenshot_dir, "volunteer-visit-form-phone.png"),
        full_page=True,
    )
    page.locator("form.visit-form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/volunteers/me/")
    page.locator(".alert-success").wait_for()  # shown by page.js once it is sent
    page.screenshot(
        path=os.path.join(screenshot_dir, "volunteer-visit-saved-phone.png"),
        full_page=True,
    )
    visit = Visit.objects.get()
    assert visit.follow_up_open and visit.services == ["health_check", "chat"]
    assert HoursEntry.objects.get().minutes == 60

    page.goto(f"{live_server.url}/volunteers/me/hours/")
    assert fits_the_phone(page)
    page.screenshot(
        path=os.path.join(screenshot_dir, "volunteer-my-hours-phone.png"),
        full_page=True,
    )

    page.context.clear_cookies()
    sign_in("staff_a")
    page.goto(f"{live_server.url}/volunteers/follow-ups/")
    row = page.locator(".follow-up-list tbody tr").first
    assert "王桂芳" in row.inner_text() and "血压偏高" in row.inner_text()
    assert fits_the_phone(page)
    page.screenshot(
        path=os.path.join(screenshot_dir, "staff-follow-ups-phone.png"),
        full_page=True,
    )
    row.locator("a.btn").click()
    page.fill("#id_resolution_note", "已电话联系家属，陪同就医")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/volunteers/follow-ups/")
    assert page.locator(".follow-up-list tbody tr").count() == 1  # the empty row
    visit.refresh_from_db()
    assert visit.resolved_by == cast.staff_a
    page.screenshot(
        path=os.path.join(screenshot_dir, "staff-follow-up-resolved-phone.png"),
        full_page=True,
    )


def test_the_staff_pages_and_the_letter(
    page, live_server, cast, screenshot_dir, sign_in
):
    me = VolunteerFactory(
        station=cast.a, name="郑晓燕", specialties=["chat", "culture"]
    )
    pairing = PairingFactory(
        volunteer=me,
        elder=ElderFactory(station=cast.a, name="王桂芳", address="幸福路 18 号"),
        services=["chat", "health_check"],
        schedule="每周二 9:00–11:00",
    )
    sign_in("manager_a")
    page.set_viewport_size(PHONE)
    for name, path in [
        ("staff-volunteers-phone", "/volunteers/"),
        ("staff-volunteer-detail-phone", f"/volunteers/{me.pk}/"),
        ("staff-pairing-phone", f"/volunteers/pairings/{pairing.pk}/"),
        ("staff-hours-phone", "/volunteers/hours/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        assert fits_the_phone(page), path
        page.screenshot(
            path=os.path.join(screenshot_dir, f"{name}.png"), full_page=True
        )
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/volunteers/")
    page.screenshot(
        path=os.path.join(screenshot_dir, "staff-volunteers-desktop.png"),
        full_page=True,
    )
    page.goto(f"{live_server.url}/volunteers/pairings/{pairing.pk}/letter/")
    page.emulate_media(media="print")
    page.screenshot(
        path=os.path.join(screenshot_dir, "service-letter-print.png"), full_page=True
    )
    pdf = page.pdf(format="A4", print_background=True)
    # One A4 page: count the page objects of the PDF (not the page tree).
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1
