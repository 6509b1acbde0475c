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


def _sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("pw")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server.url}/")


def test_the_administrator_sees_the_jobs_and_what_disagrees(
    page, live_server, cast, screenshot_dir
):
    from django.utils import timezone

    from carecenter import jobs, tasks
    from carecenter.models import JobState, JobStatus
    from vouchers import tasks as voucher_tasks
    from vouchers.models import Grant
    from vouchers.tests.conftest import free_elder
    from vouchers.tests.test_reconcile import tamper

    free_elder(cast.a)
    tasks.catch_up.delay().get()  # issues this month, refreshes, reconciles
    grant = Grant.objects.get()
    tamper("UPDATE vouchers_grant SET remaining = 250 WHERE id = %s", [grant.pk])
    voucher_tasks.reconcile.delay().get()
    JobStatus.objects.create(
        task="vouchers.expire",
        state=JobState.FAILED,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        error="OperationalError: could not connect to server",
    )

    _sign_in(page, live_server, "admin")
    assert page.locator(".admin-alert").count() == 2
    assert page.locator(".home-jobs tr[data-task]").count() == len(jobs.jobs())
    page.screenshot(
        path=os.path.join(screenshot_dir, "home-admin-zh.png"), full_page=True
    )
    page.locator(".admin-alert a", has_text="对账").click()
    page.locator("table.disagreements").wait_for()
    assert f"grant {grant.pk} " in page.locator("table.disagreements").inner_text()
    page.screenshot(
        path=os.path.join(screenshot_dir, "reconciliation-zh.png"), full_page=True
    )
    page.goto(f"{live_server.url}/jobs/")
    assert page.locator("table.job-table tr[data-task]").count() == len(jobs.jobs())
    page.screenshot(path=os.path.join(screenshot_dir, "jobs-zh.png"), full_page=True)

    page.get_by_role("button", name="English").click()
    page.get_by_role("heading", name="Scheduled jobs").wait_for()
    page.screenshot(path=os.path.join(screenshot_dir, "jobs-en.png"), full_page=True)
    page.goto(f"{live_server.url}/vouchers/reconciliation/")
    page.screenshot(
        path=os.path.join(screenshot_dir, "reconciliation-en.png"), full_page=True
    )
    page.goto(f"{live_server.url}/")
    page.screenshot(
        path=os.path.join(screenshot_dir, "home-admin-en.png"), full_page=True
    )
    page.set_viewport_size({"width": 375, "height": 812})
    for path in ("/", "/jobs/", "/vouchers/reconciliation/"):
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} scrolls sideways: {width}px"
    page.screenshot(
        path=os.path.join(screenshot_dir, "reconciliation-phone-en.png"),
        full_page=True,
    )
