"""In Debian's Chromium: staff sign in, read home in Chinese, switch to English."""

import os

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_signs_in_and_switches_language(page, live_server, cast, screenshot_dir):
    page.goto(f"{live_server.url}/")
    page.get_by_label("用户名").fill("staff_a")
    page.get_by_label("密码").fill("pw")
    page.get_by_role("button", name="登录").click()

    page.wait_for_url(f"{live_server.url}/")
    assert page.get_by_role("heading", name="今日站点概况").is_visible()
    assert page.get_by_text("甲站").first.is_visible()
    page.screenshot(path=os.path.join(screenshot_dir, "home-zh.png"), full_page=True)

    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Today at the station").wait_for()
    assert page.get_by_role("link", name="Home", exact=True).is_visible()
    page.screenshot(path=os.path.join(screenshot_dir, "home-en.png"), full_page=True)


def test_the_home_page_fits_a_phone(page, live_server, cast, screenshot_dir):
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill("staff_a")
    page.get_by_label("密码").fill("pw")
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="今日站点概况").wait_for()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways: {width}px"
    page.screenshot(
        path=os.path.join(screenshot_dir, "home-phone-zh.png"), full_page=True
    )
