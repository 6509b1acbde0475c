"""In Chromium: the manager reveals one ID number with a reason and finds it in the
access log; the history reads as people write; no page breaks the
Content-Security-Policy."""

import datetime
import os

import pytest

from elders import actions
from elders.id_numbers import make_id_number
from elders.tests.factories import ElderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BORN = datetime.date(1938, 4, 10)


@pytest.fixture
def archive(cast):
    cast.staff_a.first_name, cast.staff_a.last_name = "晓梅", "孙"
    cast.staff_a.save()
    elder = ElderFactory(
        station=cast.a,
        name="王桂芳",
        birth_date=BORN,
        id_number=make_id_number("330102", BORN, 41, "F"),
        living_arrangement="spouse",
    )
    actions.elder_update(
        actor=cast.staff_a,
        elder=elder,
        data={"living_arrangement": "alone", "phone": "138 0000 7777"},
    )
    return elder


def violations(page) -> list[str]:
    found = []
    page.on(
        "console",
        lambda message: (
            found.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return found


def test_the_manager_reveals_a_number_and_the_log_shows_it(
    page, live_server, cast, archive, screenshot_dir, sign_in
):
    csp = violations(page)
    sign_in("manager_a")
    page.goto(f"{live_server.url}/elders/{archive.pk}/")
    assert archive.id_number not in page.content()
    assert page.get_by_text("**************" + archive.id_number[-4:]).is_visible()
    history = page.locator(".history-panel")
    assert "居住情况" in history.inner_text() and "与配偶同住" in history.inner_text()
    assert "孙晓梅" in history.inner_text()
    page.screenshot(
        path=os.path.join(screenshot_dir, "elder-detail-masked-zh.png"), full_page=True
    )

    page.get_by_role("link", name="查看完整号码").click()
    page.fill("#id_reason", "到民政办申请高龄补贴")
    page.screenshot(path=os.path.join(screenshot_dir, "reveal-form-zh.png"))
    page.locator("main form button[type=submit]").click()
    page.locator(".id-number-whole").wait_for()
    assert page.locator(".id-number-whole").inner_text() == archive.id_number
    page.screenshot(path=os.path.join(screenshot_dir, "reveal-shown-zh.png"))

    page.get_by_role("link", name="返回档案").click()
    page.get_by_role("link", name="谁打开过这份档案").click()
    rows = page.locator("main table tbody tr")
    revealed = rows.filter(has_text="查看完整身份证号")
    assert "到民政办申请高龄补贴" in revealed.inner_text()
    assert "查看档案" in rows.first.inner_text()  # back on the archive: newest
    page.screenshot(
        path=os.path.join(screenshot_dir, "access-log-zh.png"), full_page=True
    )
    assert csp == []


def test_the_pages_read_in_english_and_fit_a_phone(
    page, live_server, cast, archive, screenshot_dir, sign_in
):
    csp = violations(page)
    sign_in("manager_a")
    page.goto(f"{live_server.url}/elders/{archive.pk}/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    history = page.locator(".history-panel").inner_text()
    assert "living arrangement" in history and "With spouse" in history
    assert "archive updated" in history
    page.screenshot(
        path=os.path.join(screenshot_dir, "elder-detail-masked-en.png"), full_page=True
    )
    page.set_viewport_size({"width": 375, "height": 812})
    for path, name in [
        (f"/elders/{archive.pk}/", "elder-detail-phone-en.png"),
        (f"/elders/{archive.pk}/reveal-id/", "reveal-form-phone-en.png"),
        ("/elders/access-log/", "access-log-phone-en.png"),
    ]:
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        page.screenshot(path=os.path.join(screenshot_dir, name), full_page=True)
    assert csp == []


def test_no_page_breaks_the_content_security_policy(
    page, live_server, cast, archive, sign_in
):
    """The pages with scripts (menus, the elder picker, charts, print buttons)
    run without one policy violation."""
    csp = violations(page)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in("supervisor")
    for path in ["/", "/elders/", "/dashboard/", "/inspections/", "/vouchers/report/"]:
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    sign_in("staff_a")
    page.goto(f"{live_server.url}/services/records/new/")
    page.fill("input[name=q]", "王")
    page.locator("[data-pick-id]").first.wait_for()
    page.locator("[data-pick-id]").first.click()
    assert page.locator("[data-picker-label]").inner_text() == "王桂芳"
    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".swagger-ui").first.wait_for()
    assert csp == [] and errors == []
