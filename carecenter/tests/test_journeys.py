"""The four journeys of the product, walked end to end in Chromium.

Each journey counts the pages it loads (navigations of the main frame: links,
form posts and redirects; downloads and partial refreshes are not page loads)
and must not take more than the number recorded in ``MOST_PAGE_LOADS``: a
change that makes a journey longer fails here. Screenshots of every step land
in ``test-results/screenshots/journey-*``.
"""

import datetime
import os
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from elders.id_numbers import make_id_number
from elders.tests.factories import ElderFactory
from services.models import ServiceRecord
from services.tests.factories import service_type
from volunteers.models import Pairing, Visit
from volunteers.tests.factories import (
    CertificateFactory,
    PairingFactory,
    VolunteerFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: The page loads each journey takes at most. First walked: staff 14, manager
#: 13, volunteer 4 (and one refused save, both times typed again), supervisor 9;
#: the staff now go from the archive straight to the service form.
MOST_PAGE_LOADS = {
    "staff": 13,
    "manager": 13,
    "volunteer": 4,
    "supervisor": 9,
}

PHONE = {"width": 375, "height": 812}


class Journey:
    """Counts the main frame's page loads and names each step's screenshot."""

    def __init__(self, page, name: str, screenshot_dir: str):
        self.page, self.name, self.dir = page, name, screenshot_dir
        self.loads: list[str] = []
        self.steps = 0
        page.on("request", self._seen)

    def _seen(self, request) -> None:
        if request.is_navigation_request() and request.frame == self.page.main_frame:
            self.loads.append(f"{request.method} {request.url}")

    def start(self) -> None:
        """Signing in is not part of the journey."""
        self.loads.clear()

    def shot(self, what: str) -> None:
        self.steps += 1
        self.page.screenshot(
            path=os.path.join(
                self.dir, f"journey-{self.name}-{self.steps:02d}-{what}.png"
            ),
            full_page=True,
        )

    def finish(self) -> None:
        count = len(self.loads)
        print(f"journey {self.name}: {count} page loads")
        for load in self.loads:
            print("   ", load)
        assert count <= MOST_PAGE_LOADS[self.name], self.loads


def test_staff_new_elder_assessment_tier_service_feedback(
    page, live_server, cast, screenshot_dir, sign_in
):
    born = datetime.date(1942, 4, 18)
    journey = Journey(page, "staff", screenshot_dir)
    sign_in("staff_a")
    journey.start()

    page.locator("nav a[href='/elders/']").first.click()
    page.wait_for_url("**/elders/")
    page.locator("main a[href='/elders/new/']").first.click()
    page.wait_for_url("**/elders/new/")
    page.fill("#id_name", "周桂芳")
    page.select_option("#id_gender", "F")
    page.fill("#id_birth_date", born.isoformat())
    page.fill("#id_id_number", make_id_number("330102", born, 5, "F"))
    page.fill("#id_phone", "138 6666 1234")
    page.select_option("#id_living_arrangement", "alone")
    page.check("#id_financial_difficulty")
    journey.shot("elder-form")
    page.locator("form.elder-form button[type=submit]").click()
    page.get_by_role("heading", name="周桂芳").wait_for()
    assert page.locator(".card .tier-badge").first.inner_text() == "有偿"
    journey.shot("elder-paid")

    page.locator("main a[href$='/assessments/new/']").click()
    page.wait_for_url("**/assessments/new/")
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
    journey.shot("assessment")
    page.locator("main form button[type=submit]").first.click()
    page.get_by_role("heading", name="周桂芳").wait_for()
    assert page.locator(".card .tier-badge").first.inner_text() == "低偿"
    journey.shot("elder-low-cost")

    # A cleaning of two hours (priced per hour) by the staff member.
    # Straight from the archive to the service form, the elder chosen.
    page.locator("main a[data-record-service]").click()
    page.wait_for_url("**/services/records/new/?elder=*")
    assert page.locator("[data-picker-label]").inner_text() == "周桂芳"
    page.select_option("#id_service_type", str(service_type("cleaning").pk))
    page.check("input[name=delivered_by][value=staff]")
    page.fill("#id_duration_minutes", "120")
    page.locator("#id_duration_minutes").blur()
    journey.shot("service-form")
    page.locator("form.service-record-form button[type=submit]").click()
    page.locator(".feedback-card").wait_for()
    journey.shot("service-recorded")

    page.locator(".feedback-card a.btn").click()
    page.check("input[name=satisfaction][value='5']")
    page.check("input[name=attitude][value='5']")
    page.check("input[name=quality][value='4']")
    page.check("#id_punctual")
    page.check("input[name=channel][value=in_person]")
    journey.shot("feedback-form")
    page.locator("form.subform button[type=submit]").click()
    page.locator("[data-score=satisfaction]").wait_for()
    journey.shot("feedback-kept")
    journey.finish()
    record = ServiceRecord.objects.get()
    assert record.quantity == Decimal("2")  # the bill follows the two hours


def test_manager_approves_what_waits(page, live_server, cast, screenshot_dir, sign_in):
    from services import actions as service_actions
    from vouchers import actions as voucher_actions
    from vouchers.models import Cycle, CycleStatus, RunTrigger, VoucherPolicy

    # A claimed pairing, a cycle that waits for approval, a late service.
    volunteer = VolunteerFactory(station=cast.a, name="郑晓燕")
    claimed = PairingFactory(
        volunteer=volunteer, elder__name="王桂芳", approved_at=None
    )
    VoucherPolicy.objects.create(
        district=cast.d1,
        effective_from=datetime.date(2026, 1, 1),
        approval_required=True,
    )
    elder = ElderFactory(station=cast.a, name="李秀英", categories=["three_no"])
    voucher_actions.month_issue(
        month=timezone.localdate().replace(day=1),
        stations=[cast.a],
        trigger=RunTrigger.SCHEDULE,
    )
    cast.d1.late_record_days = 7
    cast.d1.save()
    late = service_actions.service_record_create(
        actor=cast.staff_a,
        elder=elder,
        service_type=service_type("chat"),
        delivered_at=timezone.now() - datetime.timedelta(days=20),
        duration_minutes=30,
        staff=cast.staff_a,
    )
    assert late.awaits_confirmation

    journey = Journey(page, "manager", screenshot_dir)
    sign_in("manager_a")
    journey.start()
    journey.shot("home")

    # Everything from the home page's "Waiting for you" panel.
    panel = page.locator(".waiting-panel")
    assert panel.locator("[data-waiting]").count() == 3

    panel.locator("[data-waiting=pairings_to_approve] a").click()
    page.wait_for_url("**/volunteers/pairings/?state=claimed")
    page.locator(f"main a[href='/volunteers/pairings/{claimed.pk}/']").first.click()
    page.wait_for_url(f"**/volunteers/pairings/{claimed.pk}/")
    journey.shot("pairing")
    with page.expect_navigation():
        page.locator(f"form[action$='/pairings/{claimed.pk}/approve/'] button").click()
    claimed.refresh_from_db()
    assert claimed.approved_at is not None

    cycle = Cycle.objects.get(station=cast.a)
    page.locator("nav a[href='/']").first.click()
    page.wait_for_url(f"{live_server.url}/")
    journey.shot("home-two-left")
    page.locator(".waiting-panel [data-waiting=cycles_to_approve] a").click()
    page.wait_for_url("**/vouchers/")
    page.locator(f"main a[href='/vouchers/cycles/{cycle.pk}/']").first.click()
    page.wait_for_url(f"**/vouchers/cycles/{cycle.pk}/")
    journey.shot("cycle")
    with page.expect_navigation():
        page.locator(f"form[action$='/cycles/{cycle.pk}/approve/'] button").click()
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.APPROVED

    page.locator("nav a[href='/']").first.click()
    page.wait_for_url(f"{live_server.url}/")
    page.locator(".waiting-panel [data-waiting=records_to_confirm] a").click()
    page.wait_for_url("**/services/records/to-confirm/")
    journey.shot("late-services")
    with page.expect_navigation():
        page.locator(f"form[action$='/records/{late.pk}/confirm/'] button").click()
    late.refresh_from_db()
    assert late.confirmed_at is not None
    journey.shot("done")
    journey.finish()


def test_volunteer_logs_two_visits_in_a_row_on_a_phone(
    page, live_server, cast, screenshot_dir, sign_in
):
    now = timezone.localtime()
    if now.hour < 3:
        pytest.skip("two visits before now would start yesterday")
    me = VolunteerFactory(
        station=cast.a, name="郑晓燕", user=cast.volunteer_a, specialties=["chat"]
    )
    CertificateFactory(volunteer=me)
    first = PairingFactory(volunteer=me, elder__name="王桂芳", services=["chat"])
    second = PairingFactory(volunteer=me, elder__name="李德明", services=["chat"])

    journey = Journey(page, "volunteer", screenshot_dir)
    page.set_viewport_size(PHONE)
    sign_in("volunteer_a")
    journey.start()
    journey.shot("my-elders")

    refused = 0
    for pairing in (first, second):
        page.locator(
            f".elder-card a[href$='/me/elders/{pairing.elder_id}/visit/']"
        ).click()
        page.wait_for_url(f"**/me/elders/{pairing.elder_id}/visit/")
        box = page.locator("input[name=services][value=chat]")
        if not box.is_checked():
            page.click(f"label[for={box.get_attribute('id')}]")
        journey.shot(f"visit-{pairing.elder_id}")
        page.locator("form.visit-form button[type=submit]").click()
        page.locator(".is-invalid, .elder-card").first.wait_for()
        if "/visit/" in page.url:  # refused: the times overlap the first visit
            refused += 1
            journey.shot("visit-refused")
            started = (now - datetime.timedelta(hours=2)).strftime("%H:%M")
            ended = (now - datetime.timedelta(hours=1, minutes=5)).strftime("%H:%M")
            page.fill("#id_start", started)
            page.fill("#id_end", ended)
            page.locator("form.visit-form button[type=submit]").click()
        page.wait_for_url(f"{live_server.url}/volunteers/me/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert Visit.objects.count() == 2
    assert set(Visit.objects.values_list("elder_id", flat=True)) == {
        first.elder_id,
        second.elder_id,
    }
    assert Pairing.objects.count() == 2
    journey.shot("both-logged")
    journey.finish()
    # The second visit's times came filled in after the first: nothing to fix.
    assert refused == 0


def test_supervisor_dashboard_drill_down_export_and_decision(
    page, live_server, cast, screenshot_dir, sign_in
):
    from inspections.models import Inspection
    from inspections.tests.conftest import refresh
    from supervision.actions import figures_refresh
    from supervision.tests.conftest import build_district

    district = build_district(cast)
    figures_refresh(first=district.first, last=district.last)
    refresh(year=timezone.localdate().year - 1, stations=[cast.a, cast.b])

    journey = Journey(page, "supervisor", screenshot_dir)
    sign_in("supervisor")
    journey.start()
    page.locator("nav a[href='/dashboard/']").first.click()
    page.wait_for_url("**/dashboard/")
    page.locator("[data-freshness]").wait_for()
    journey.shot("dashboard")
    page.locator("table[data-table=stations] tbody a").first.click()
    page.wait_for_url(re.compile(r"/dashboard/stations/\d+/"))
    journey.shot("station")
    with page.expect_download() as info:
        page.locator("a[data-export=services]").first.click()
    assert info.value.suggested_filename.endswith(".xlsx")

    page.locator("nav a[href='/inspections/']").first.click()
    page.wait_for_url("**/inspections/")
    page.locator("table.inspection-list a", has_text=cast.a.name).click()
    page.wait_for_url(re.compile(r"/inspections/\d+/"))
    journey.shot("inspection")
    page.check("input[name=funds_used_properly][value=true]")
    page.locator("form.checklist-form button[type=submit]").click()
    page.locator(".checklist .bi-clipboard-check").first.wait_for()
    page.check("input[name=decision][value=continue]")
    page.fill("#id_reason", "运营规范，继续拨款")
    page.locator("form.decision-form button[type=submit]").click()
    page.locator(".current-decision").wait_for()
    journey.shot("decided")
    assert Inspection.objects.get(station=cast.a).decision == "continue"
    journey.finish()
