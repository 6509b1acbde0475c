"""In Chromium: a lecture planned, then 30 elders ticked present in one submit;
the list and the elder's page show it; the pages fit a phone."""

import datetime
import os

import pytest
from django.utils import timezone

from activities import actions
from activities.models import Participation
from activities.tests.conftest import plan
from elders.tests.factories import ElderFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"


def test_a_lecture_for_thirty(page, live_server, cast, screenshot_dir, sign_in):
    regulars = [
        ElderFactory(station=cast.a, name=SURNAMES[n] + "秀英") for n in range(30)
    ]
    earlier = plan(cast.staff_a, cast.a, title="上月的太极拳", kind="sports", days=-20)
    actions.activity_attendance_mark(
        actor=cast.staff_a, activity=earlier, elder_ids=[e.pk for e in regulars[:29]]
    )
    newcomer = ElderFactory(station=cast.a, name="欧阳新来")

    sign_in("staff_a")
    page.goto(f"{live_server.url}/activities/new/")
    page.fill("#id_title", "高血压防治健康讲座")
    page.select_option("#id_kind", "lecture")
    starts = timezone.localtime() - datetime.timedelta(minutes=30)
    page.fill("#id_starts_at", starts.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_place", "活动室")
    page.screenshot(
        path=os.path.join(screenshot_dir, "activity-form-zh.png"), full_page=True
    )
    page.get_by_role("button", name="保存").click()
    page.locator(".tick-list").wait_for()
    assert page.locator(".tick-row").count() == 29  # the regulars, unticked
    assert page.locator("input[name=elders]:checked").count() == 0

    page.fill("[data-picker-query]", "欧阳")
    page.locator("[data-pick-id]").first.wait_for()
    page.locator("[data-pick-id]").first.click()
    page.get_by_role("button", name="加入本表").click()
    page.get_by_text("欧阳新来").wait_for()
    for label in page.locator(".tick-label").all():
        label.click()
    assert page.locator("input[name=elders]:checked").count() == 30
    page.screenshot(
        path=os.path.join(screenshot_dir, "activity-attendance-zh.png"), full_page=True
    )
    page.get_by_role("button", name="保存出勤").click()
    page.get_by_text("30 位老人到场").wait_for()
    assert Participation.objects.filter(attended=True).count() == 29 + 30
    assert Participation.objects.filter(elder=newcomer, attended=True).count() == 1

    page.goto(f"{live_server.url}/activities/")
    assert page.locator("tbody tr").count() == 2
    page.screenshot(
        path=os.path.join(screenshot_dir, "activities-zh.png"), full_page=True
    )
    page.goto(f"{live_server.url}/elders/{regulars[0].pk}/")
    page.get_by_text("高血压防治健康讲座").wait_for()
    page.screenshot(
        path=os.path.join(screenshot_dir, "elder-activities-zh.png"), full_page=True
    )
    page.get_by_role("button", name="English").click()
    page.get_by_text("Activities attended").wait_for()
    page.goto(f"{live_server.url}/activities/")
    page.screenshot(
        path=os.path.join(screenshot_dir, "activities-en.png"), full_page=True
    )

    page.set_viewport_size({"width": 375, "height": 812})
    lecture = earlier.__class__.objects.get(title="高血压防治健康讲座")
    for path, name in [
        ("/activities/", "activities-phone-en.png"),
        (f"/activities/{lecture.pk}/", "activity-attendance-phone-en.png"),
        ("/activities/new/", "activity-form-phone-en.png"),
    ]:
        page.goto(f"{live_server.url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        page.screenshot(path=os.path.join(screenshot_dir, name), full_page=True)
