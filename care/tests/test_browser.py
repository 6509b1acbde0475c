"""In Chromium: the morning's calls on a phone, an emergency from the call to
its close, and the elder's page with every section and the readings chart."""

import datetime
import os

import pytest
from django.utils import timezone

from care.models import CareCall, Emergency
from care.tests.factories import (
    CareCallFactory,
    HealthReadingFactory,
    VisitFactory,
    days_ago,
)
from elders.eligibility import years_before
from elders.models import Elder
from elders.tests.factories import ElderFactory
from services.models import ReturnVisit
from services.tests.factories import FeedbackFactory, ServiceRecordFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


def fits_the_phone(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def shot(page, screenshot_dir, name):
    page.screenshot(path=os.path.join(screenshot_dir, f"{name}.png"), full_page=True)


def english(page, live_server):
    page.context.add_cookies(
        [{"name": "django_language", "value": "en", "url": live_server.url}]
    )


def alone(station, name):
    elder = ElderFactory(
        station=station,
        name=name,
        living_arrangement="alone",
        phone="138 0000 0001",
        birth_date=years_before(timezone.localdate(), 86),
    )
    Elder.objects.filter(pk=elder.pk).update(created_at=days_ago(40))
    return elder


def test_the_mornings_calls_on_a_phone(
    page, live_server, cast, screenshot_dir, sign_in
):
    names = ["王桂芳", "李德明", "张秀英", "刘建华"]
    for name in names:
        alone(cast.a, name)
    alone(cast.b, "赵乙站")  # another station: never shown
    page.set_viewport_size(PHONE)
    sign_in("staff_a")
    assert page.locator(".home-due").count() == 1
    assert fits_the_phone(page)
    shot(page, screenshot_dir, "care-home-phone-zh")
    page.locator(".home-due a.btn-primary").click()
    page.wait_for_url("**/care/")
    assert page.locator(".due-list [data-elder]").count() == 4
    assert "赵乙站" not in page.content()
    assert fits_the_phone(page)
    buttons = page.locator(".due-list button").evaluate_all(
        "bs => Math.min(...bs.map(b => b.getBoundingClientRect().height))"
    )
    assert buttons >= 38  # big enough for a thumb
    shot(page, screenshot_dir, "care-due-phone-zh")
    for n in range(3):
        page.locator(".due-list [data-elder]").first.locator(
            "button[value=well]"
        ).click()
        page.wait_for_load_state()
        assert page.locator(".due-list [data-elder]").count() == 3 - n
    assert CareCall.objects.filter(called_by=cast.staff_a).count() == 3
    english(page, live_server)
    page.goto(f"{live_server.url}/care/")
    assert "Calls due" in page.content()
    shot(page, screenshot_dir, "care-due-phone-en")
    page.goto(f"{live_server.url}/care/calls/")
    assert page.locator(".call-list tbody tr").count() == 3
    assert fits_the_phone(page)
    shot(page, screenshot_dir, "care-calls-phone-en")


def test_an_emergency_from_the_call_to_its_close(
    page, live_server, cast, screenshot_dir, sign_in
):
    ElderFactory(station=cast.a, name="周桂芳")
    sign_in("staff_a")
    page.goto(f"{live_server.url}/care/emergencies/new/")
    page.fill("[data-picker-query]", "桂芳")
    page.locator("[data-pick-label=周桂芳]").click()
    when = timezone.localtime() - datetime.timedelta(minutes=40)
    page.fill("#id_reported_at", when.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_caller_name", "邻居王阿姨")
    page.select_option("#id_caller_relation", "neighbour")
    page.fill("#id_what_happened", "老人在家中摔倒，起不来")
    shot(page, screenshot_dir, "care-emergency-form-zh")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/care/emergencies/*/")
    page.goto(f"{live_server.url}/")
    assert page.locator(".home-emergencies").count() == 1
    shot(page, screenshot_dir, "care-home-emergency-zh")
    page.locator(".home-emergencies a").first.click()
    page.wait_for_url("**/care/emergencies/*/")
    page.fill("#id_responder", "站点工作人员、社区医生")
    page.fill(
        "#id_responded_at",
        (when + datetime.timedelta(minutes=12)).strftime("%Y-%m-%dT%H:%M"),
    )
    page.check("form.emergency-respond #id_contact_informed")
    page.locator("form.emergency-respond button[type=submit]").click()
    page.wait_for_load_state()
    shot(page, screenshot_dir, "care-emergency-detail-zh")
    page.fill("#id_outcome", "送医检查，无骨折")
    page.locator("form.emergency-close button[type=submit]").click()
    page.wait_for_load_state()
    emergency = Emergency.objects.get()
    assert not emergency.is_open and emergency.response_minutes == 12
    english(page, live_server)
    page.goto(f"{live_server.url}/care/emergencies/")
    shot(page, screenshot_dir, "care-emergencies-en")
    page.goto(f"{live_server.url}/")
    assert page.locator(".home-emergencies").count() == 0


def test_the_elder_page_shows_the_whole_of_the_care(
    page, live_server, cast, screenshot_dir, sign_in
):
    elder = alone(cast.a, "王桂芳")
    for i in range(12):
        record = ServiceRecordFactory(elder=elder, delivered_at=days_ago(i * 3 + 1))
        if i % 2:
            FeedbackFactory(record=record, satisfaction=4 + i % 2)
        VisitFactory(
            elder=elder,
            started_at=days_ago(i * 4 + 2),
            systolic=135 + i % 4 * 5,
            diastolic=85,
            needs_follow_up=i == 0,
            follow_up_reason="药快吃完了" if i == 0 else "",
        )
        CareCallFactory(
            elder=elder, called_at=days_ago(i * 2 + 0.5), called_by=cast.admin
        )
        HealthReadingFactory(
            elder=elder, measured_at=days_ago(i * 4 + 1), recorded_by=cast.admin
        )
    ReturnVisit.objects.create(
        record=record,
        visited_at=days_ago(0.2),
        channel="phone",
        outcome="issue",
        notes="送餐太咸",
        visited_by=cast.admin,
    )
    sign_in("staff_a")
    page.goto(f"{live_server.url}/elders/{elder.pk}/")
    for key in ("services", "contacts", "readings", "pairings", "vouchers"):
        assert page.locator(f"#section-{key}").count() == 1
    page.locator("canvas[data-drawn='1']").wait_for()
    shot(page, screenshot_dir, "care-elder-page-zh")
    english(page, live_server)
    page.goto(f"{live_server.url}/elders/{elder.pk}/")
    page.locator("canvas[data-drawn='1']").wait_for()
    shot(page, screenshot_dir, "care-elder-page-en")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/elders/{elder.pk}/#section-readings")
    assert fits_the_phone(page)
    shot(page, screenshot_dir, "care-elder-page-phone-en")
    page.goto(f"{live_server.url}/care/follow-ups/")
    assert page.locator(".all-follow-ups tbody tr[data-follow-up]").count() == 2
    assert fits_the_phone(page)
    shot(page, screenshot_dir, "care-follow-ups-phone-en")
    page.goto(f"{live_server.url}/volunteers/visits/?elder={elder.pk}")
    assert page.locator(".visit-list tbody tr").count() == 12
    shot(page, screenshot_dir, "care-visits-phone-en")
    page.goto(f"{live_server.url}/services/feedback/")
    assert page.locator(".visits-lacking-feedback tbody a.btn").count() == 12
    page.locator(".visits-lacking-feedback tbody a.btn").first.click()
    page.wait_for_url("**/feedback/")
    page.check("input[name=satisfaction][value='5']")
    page.check("input[name=attitude][value='5']")
    page.check("input[name=quality][value='4']")
    page.check("input[name=channel][value=phone]")
    assert fits_the_phone(page)
    shot(page, screenshot_dir, "care-visit-feedback-phone-en")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/services/feedback/")
    assert page.locator(".visits-lacking-feedback tbody a.btn").count() == 11
    page.goto(f"{live_server.url}/care/readings/new/{elder.pk}/")
    page.fill("#id_systolic", "90")
    page.fill("#id_diastolic", "120")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".invalid-feedback, .errorlist, .text-danger").count() >= 1
    shot(page, screenshot_dir, "care-reading-form-phone-en")
