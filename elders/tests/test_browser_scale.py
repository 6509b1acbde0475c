"""In Debian's Chromium: a list longer than the count's cap says "N+", pages on
with Next and a "Go to page" field, in both languages and on a phone."""

import os

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_capped_list_pages_on_and_jumps_to_a_page(
    page, live_server, cast, sign_in, screenshot_dir, monkeypatch
):
    from carecenter import pagination
    from elders.models import Elder
    from elders.tests.factories import ElderFactory

    monkeypatch.setattr(pagination, "COUNT_CAP", 6)
    monkeypatch.setattr("elders.views.PAGE_SIZE", 3)
    for n in range(14):
        ElderFactory(station=cast.a, name=f"王{n:02d}")
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in("staff_a")
    page.goto(f"{live_server.url}/elders/")
    assert page.get_by_text("6+").first.is_visible()
    page.screenshot(
        path=os.path.join(screenshot_dir, "elders-capped-phone-zh.png"), full_page=True
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page scrolls sideways: {width}px"

    page.fill("#page-jump", "5")
    page.locator(".page-jump button").click()
    page.wait_for_url(lambda url: "page=5" in url)
    names = page.locator("tbody tr td:first-child a").all_inner_texts()
    assert names == ["王12", "王13"]
    assert Elder.objects.count() == 14

    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/elders/?page=2")
    assert page.get_by_text("Page 2", exact=True).is_visible()
    assert page.get_by_label("Go to page").is_visible()
    page.screenshot(
        path=os.path.join(screenshot_dir, "elders-capped-en.png"), full_page=True
    )
