"""In Chromium: the supervisor completes an inspection — sends a finding, re-checks
the station's answer, confirms the checklist and decides; the manager sees it."""

import os
import re

import pytest

from inspections import actions
from inspections.tests.conftest import YEAR, inspection_of, refresh

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


def test_the_supervisor_completes_an_inspection(
    page, live_server, cast, screenshot_dir, sign_in, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    cast.b.has_medical_room = False
    cast.b.save()
    refresh(stations=[cast.a, cast.b])
    inspection = inspection_of(cast.b)
    sign_in("supervisor")
    page.goto(f"{live_server.url}/inspections/?year={YEAR}")
    assert page.locator("table.inspection-list tbody tr").count() == 2
    page.screenshot(
        path=os.path.join(screenshot_dir, "inspection-list-zh.png"), full_page=True
    )
    page.locator("table.inspection-list a", has_text=cast.b.name).click()

    # A finding about the missing medical room, sent back to the station.
    page.select_option("#id_indicator", "medical_room")
    page.locator("form.finding-form button[type=submit]").click()
    page.locator(".finding").first.wait_for()
    finding = inspection.findings.get()
    assert "Medical room" in finding.text or "医疗室" in finding.text

    # The station answers (as its staff would, on their own page) ...
    actions.finding_answer(
        actor=cast.staff_b, finding=finding, text="已腾出东侧房间改建为医务室"
    )
    page.reload()
    # ... and the supervisor accepts it.
    page.check(f"input[name=recheck-{finding.pk}-result][value=accepted]")
    page.locator("form.recheck-form button[type=submit]").click()
    page.locator(".finding .badge.text-bg-success").first.wait_for()

    # The checklist confirmed on site: the medical room is there now.
    page.check("#id_has_medical_room")
    page.check("input[name=funds_used_properly][value=true]")
    page.fill("#id_checklist_notes", "现场核查：医务室已启用")
    page.screenshot(
        path=os.path.join(screenshot_dir, "inspection-checklist-zh.png"),
        full_page=True,
    )
    page.locator("form.checklist-form button[type=submit]").click()
    page.locator(".checklist .bi-clipboard-check").first.wait_for()
    inspection.refresh_from_db()
    assert inspection.checklist_confirmed
    assert inspection.has_medical_room

    page.check("input[name=decision][value=continue]")
    page.fill("#id_reason", "整改到位，继续拨款")
    page.locator("form.decision-form button[type=submit]").click()
    page.locator(".current-decision").wait_for()
    inspection.refresh_from_db()
    assert inspection.decision == "continue"
    assert "整改到位" in page.locator(".current-decision").inner_text()
    page.screenshot(
        path=os.path.join(screenshot_dir, "inspection-decided-zh.png"), full_page=True
    )
    page.emulate_media(media="print")
    page.screenshot(
        path=os.path.join(screenshot_dir, "inspection-print-zh.png"), full_page=True
    )
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    with open(os.path.join(screenshot_dir, "inspection-zh.pdf"), "wb") as out:
        out.write(pdf)
    # Forms are left out of the print: figures, indicators, findings, decision.
    assert pdf_pages(pdf) <= 2
