"""In Chromium: staff open an archive, assess the elder, and watch the tier change."""

import datetime
import os

import pytest

from elders.id_numbers import make_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_create_an_elder_and_an_assessment_changes_the_tier(
    page, live_server, cast, screenshot_dir, sign_in
):
    born = datetime.date(1942, 4, 18)
    sign_in("staff_a")
    page.goto(f"{live_server.url}/elders/new/")
    page.fill("#id_name", "周桂芳")
    page.select_option("#id_gender", "F")
    page.fill("#id_birth_date", born.isoformat())
    page.fill("#id_id_number", make_id_number("330102", born, 5, "F"))
    page.fill("#id_phone", "138 6666 1234")
    page.select_option("#id_living_arrangement", "alone")
    page.check("#id_financial_difficulty")
    page.screenshot(
        path=os.path.join(screenshot_dir, "elder-form-zh.png"), full_page=True
    )
    page.locator("form.elder-form button[type=submit]").click()

    page.get_by_role("heading", name="周桂芳").wait_for()
    tier = page.locator(".card .tier-badge").first
    assert tier.inner_text() == "有偿"
    assert page.locator("[data-reason=no_assessment]").is_visible()
    page.screenshot(
        path=os.path.join(screenshot_dir, "elder-detail-paid-zh.png"), full_page=True
    )

    page.get_by_role("link", name="新建评估").click()
    for item, score in {
        "feeding": 10,
        "bathing": 0,
        "grooming": 5,
        "dressing": 5,
        "bowels": 10,
        "bladder": 10,
        "toilet": 5,
        "transfers": 10,
        "mobility": 10,
        "stairs": 0,
    }.items():
        page.check(f"input[name={item}][value='{score}']")
    page.screenshot(
        path=os.path.join(screenshot_dir, "barthel-form-zh.png"), full_page=True
    )
    page.locator("main form button[type=submit]").first.click()

    page.get_by_role("heading", name="周桂芳").wait_for()
    assert page.locator(".card .tier-badge").first.inner_text() == "低偿"
    assert page.get_by_text("65").first.is_visible()
    page.screenshot(
        path=os.path.join(screenshot_dir, "elder-detail-low-cost-zh.png"),
        full_page=True,
    )


def test_the_elder_form_fits_a_phone(page, live_server, cast, screenshot_dir, sign_in):
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in("staff_a")
    page.goto(f"{live_server.url}/elders/new/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.screenshot(
        path=os.path.join(screenshot_dir, "elder-form-phone-zh.png"), full_page=True
    )
