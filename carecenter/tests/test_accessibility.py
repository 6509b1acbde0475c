"""WCAG 2.1 AA: axe-core over every kind of page, for each role, in both languages.

The pages are those of the demo data (``seed_demo``), signed in as its users. To
check a new page, add one ``(user, path)`` line to ``PAGES``; a path names demo
objects as ``{elder}``, ``{volunteer}`` … (``DEMO_OBJECTS``: add a line there for a
new kind of object). ``FORMS`` lists forms that are sent empty, so their error
messages are checked too. Volunteers' pages are read at phone width (375 px) with
the menu open. Any serious or critical violation fails the test, listing them all.

axe-core is vendored under ``static/vendor/axe-core/`` and added by the test only,
from the same origin, so the pages' Content-Security-Policy stays as served.
"""

from __future__ import annotations

import os

import pytest
from django.core.management import call_command
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-a11y-1"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
LANGUAGES = ("zh-hans", "en")
# WCAG 2.0/2.1 A and AA, and axe's best practices (landmarks, headings, regions).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING_IMPACTS = {"serious", "critical"}


def _first(model_path: str, field: str = "pk", **filters):
    def pk() -> int | None:
        from django.apps import apps

        model = apps.get_model(model_path)
        return (
            model.objects.filter(**filters)
            .order_by("pk")
            .values_list(field, flat=True)
            .first()
        )

    return pk


# Placeholders of PAGES: the first demo object of station DEMO-A of each kind.
DEMO_OBJECTS = {
    "station": _first("carecenter.Station", code="DEMO-A"),
    "elder": _first("elders.Elder", station__code="DEMO-A"),
    "volunteer": _first("volunteers.Volunteer", station__code="DEMO-A"),
    "team": _first("volunteers.Team", station__code="DEMO-A"),
    "training": _first("volunteers.TrainingSession", station__code="DEMO-A"),
    "pairing": _first("volunteers.Pairing", station__code="DEMO-A"),
    "visit": _first("volunteers.Visit", station__code="DEMO-A"),
    "record": _first("services.ServiceRecord", station__code="DEMO-A"),
    "provider": _first("services.Provider", station__code="DEMO-A"),
    "agreement": _first("services.ServiceAgreement", station__code="DEMO-A"),
    "cycle": _first("vouchers.Cycle", station__code="DEMO-A"),
    "inspection": _first("inspections.Inspection", station__code="DEMO-A"),
    "activity": _first("activities.Activity", station__code="DEMO-A"),
    # The volunteer's own elder: one of volunteer_a's active pairings.
    "paired_elder": _first(
        "volunteers.Pairing",
        field="elder_id",
        volunteer__user__username="volunteer_a",
        active=True,
    ),
}

# (user, path): every kind of page, each for the roles that use it.
PAGES = [
    # Staff of a station: the archive, volunteers, services, vouchers.
    ("staff_a", "/"),
    ("staff_a", "/stations/"),
    ("staff_a", "/stations/{station}/"),
    ("staff_a", "/elders/"),
    ("staff_a", "/elders/?q=%E5%BC%A0"),
    ("staff_a", "/elders/new/"),
    ("staff_a", "/elders/needs/"),
    ("staff_a", "/elders/{elder}/"),
    ("staff_a", "/elders/{elder}/edit/"),
    ("staff_a", "/elders/{elder}/contacts/new/"),
    ("staff_a", "/elders/{elder}/assessments/new/"),
    ("staff_a", "/elders/{elder}/surveys/new/"),
    ("staff_a", "/elders/import/"),
    ("staff_a", "/volunteers/"),
    ("staff_a", "/volunteers/new/"),
    ("staff_a", "/volunteers/{volunteer}/"),
    ("staff_a", "/volunteers/{volunteer}/edit/"),
    ("staff_a", "/volunteers/teams/"),
    ("staff_a", "/volunteers/teams/{team}/"),
    ("staff_a", "/volunteers/training/"),
    ("staff_a", "/volunteers/training/new/"),
    ("staff_a", "/volunteers/certificates/"),
    ("staff_a", "/volunteers/pairings/"),
    ("staff_a", "/volunteers/pairings/{pairing}/"),
    ("staff_a", "/volunteers/follow-ups/"),
    ("staff_a", "/volunteers/visits/{visit}/"),
    ("staff_a", "/volunteers/hours/"),
    ("staff_a", "/services/"),
    ("staff_a", "/services/records/new/"),
    ("staff_a", "/services/records/{record}/"),
    ("staff_a", "/services/records/{record}/feedback/"),
    ("staff_a", "/services/feedback/"),
    ("staff_a", "/services/providers/"),
    ("staff_a", "/services/providers/{provider}/"),
    ("staff_a", "/services/providers/new/"),
    ("staff_a", "/services/agreements/"),
    ("staff_a", "/services/agreements/{agreement}/"),
    ("staff_a", "/services/notice/"),
    ("staff_a", "/services/notice/{station}/"),
    ("staff_a", "/day-sheets/"),
    ("staff_a", "/day-sheets/enrolments/"),
    ("staff_a", "/day-sheets/enrolments/new/"),
    ("staff_a", "/activities/"),
    ("staff_a", "/activities/new/"),
    ("staff_a", "/activities/{activity}/"),
    ("staff_a", "/care/"),
    ("staff_a", "/care/calls/"),
    ("staff_a", "/care/calls/new/{elder}/"),
    ("staff_a", "/care/emergencies/"),
    ("staff_a", "/care/emergencies/new/"),
    ("staff_a", "/care/follow-ups/"),
    ("staff_a", "/care/readings/"),
    ("staff_a", "/care/readings/new/{elder}/"),
    ("staff_a", "/vouchers/"),
    ("staff_a", "/vouchers/cycles/{cycle}/"),
    ("staff_a", "/vouchers/elders/{elder}/"),
    ("staff_a", "/vouchers/report/"),
    ("staff_a", "/vouchers/statements/"),
    ("staff_a", "/vouchers/statements/{provider}/"),
    ("staff_a", "/inspections/"),
    ("staff_a", "/inspections/{inspection}/"),
    ("staff_a", "/accounts/password/"),
    # The station's manager: approvals, overrides, the access log.
    ("manager_a", "/"),
    ("manager_a", "/elders/{elder}/"),
    ("manager_a", "/elders/{elder}/tier/"),
    ("manager_a", "/elders/access-log/"),
    ("manager_a", "/services/records/to-confirm/"),
    ("manager_a", "/vouchers/cycles/{cycle}/"),
    ("manager_a", "/volunteers/pairings/{pairing}/"),
    # A volunteer on a phone.
    ("volunteer_a", "/volunteers/me/"),
    ("volunteer_a", "/volunteers/me/elders/{paired_elder}/visit/"),
    ("volunteer_a", "/volunteers/me/hours/"),
    ("volunteer_a", "/volunteers/me/offline/"),
    ("volunteer_a", "/accounts/password/"),
    # The district's supervisor (read-only): dashboards, inspections.
    ("supervisor", "/"),
    ("supervisor", "/dashboard/"),
    ("supervisor", "/dashboard/stations/{station}/"),
    ("supervisor", "/stations/"),
    ("supervisor", "/inspections/"),
    ("supervisor", "/inspections/{inspection}/"),
    ("supervisor", "/elders/"),
    ("supervisor", "/volunteers/follow-ups/"),
    ("supervisor", "/vouchers/report/"),
    # The administrator: jobs, reconciliation. (``/api/docs/`` is Swagger UI's own
    # page for integrators, not checked here.)
    ("admin", "/"),
    ("admin", "/jobs/"),
    ("admin", "/vouchers/reconciliation/"),
]

# (user, path): forms sent empty, to check the page with its error messages.
FORMS = [
    ("staff_a", "/elders/new/"),
    ("staff_a", "/elders/{elder}/contacts/new/"),
    ("staff_a", "/volunteers/new/"),
    ("staff_a", "/services/records/new/"),
    ("volunteer_a", "/volunteers/me/elders/{paired_elder}/visit/"),
]

# Signed out.
PUBLIC_PAGES = ["/accounts/login/"]


def page_kinds() -> set[str]:
    """Distinct pages checked, by their path pattern."""
    return {path.split("?")[0] for _user, path in PAGES} | set(PUBLIC_PAGES)


def _fill(path: str, objects: dict) -> str:
    return path.format(**objects)


def _axe(page) -> list[dict]:
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    return page.evaluate(
        """async (tags) => {
          const only = {runOnly: {type: 'tag', values: tags}};
          const result = await axe.run(document, only);
          return result.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' ')),
          }));
        }""",
        AXE_TAGS,
    )


def _open_menu(page) -> None:
    toggler = page.locator("nav .navbar-toggler")
    if toggler.count() and toggler.is_visible():
        toggler.click()
        page.locator("#main-nav.show").wait_for()


class Findings:
    def __init__(self):
        self.lines: list[str] = []

    def check(self, page, label: str) -> None:
        for v in _axe(page):
            if v["impact"] in FAILING_IMPACTS:
                nodes = ", ".join(v["nodes"][:5])
                self.lines.append(
                    f"{label}: {v['impact']} {v['id']} ({v['help']}) at {nodes}"
                )


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_every_kind_of_page_meets_wcag_aa(browser, live_server, screenshot_dir):
    assert len(page_kinds()) >= 20
    call_command("seed_demo", password=PASSWORD, stdout=open(os.devnull, "w"))
    objects = {name: pk() for name, pk in DEMO_OBJECTS.items()}
    missing = [name for name, pk in objects.items() if pk is None]
    assert not missing, f"the demo data has no {missing}"

    findings = Findings()
    base = live_server.url
    by_user: dict[str, list[str]] = {}
    for user, path in PAGES:
        by_user.setdefault(user, []).append(_fill(path, objects))
    forms: dict[str, list[str]] = {}
    for user, path in FORMS:
        forms.setdefault(user, []).append(_fill(path, objects))

    for language in LANGUAGES:
        context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
        context.add_cookies(
            [{"name": "django_language", "value": language, "url": base}]
        )
        page = context.new_page()
        for path in PUBLIC_PAGES:
            page.goto(f"{base}{path}")
            findings.check(page, f"anonymous {language} {path}")
        context.close()

        for user, paths in by_user.items():
            phone = user.startswith("volunteer")
            context = browser.new_context(
                viewport=PHONE if phone else DESKTOP, locale="zh-CN"
            )
            context.add_cookies(
                [{"name": "django_language", "value": language, "url": base}]
            )
            page = context.new_page()
            _sign_in(page, base, user)
            for path in paths:
                response = page.goto(f"{base}{path}")
                label = f"{user} {language} {path}"
                if response.status != 200:
                    findings.lines.append(f"{label}: HTTP {response.status}")
                    continue
                if phone:
                    _open_menu(page)
                findings.check(page, label)
            for path in forms.get(user, []):
                page.goto(f"{base}{path}")
                form = page.locator("main form[method=post]").filter(
                    has=page.locator("[type=submit]")
                )
                try:
                    with page.expect_navigation(timeout=5000):
                        form.first.evaluate(
                            "f => { f.noValidate = true; f.requestSubmit(); }"
                        )
                except PlaywrightTimeout:
                    pass  # a form the page's script answers (the phone's visit form)
                findings.check(page, f"{user} {language} {path} (sent empty)")
            if language == "en" and user == "volunteer_a":
                page.screenshot(
                    path=os.path.join(screenshot_dir, "a11y-volunteer-menu-en.png"),
                    full_page=True,
                )
            context.close()

    assert not findings.lines, "axe: serious or critical violations\n" + "\n".join(
        findings.lines
    )


def test_the_keyboard_reaches_the_content_tables_and_chart_figures(
    page, live_server, cast, sign_in
):
    sign_in("supervisor")
    page.goto(f"{live_server.url}/dashboard/")
    # The first Tab stop skips the navigation; following it focuses the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "content"
    # Every wide table scrolls from the keyboard, and each region has a name.
    regions = page.locator(".dashboard-table .table-responsive")
    assert regions.count() > 0
    for i in range(regions.count()):
        region = regions.nth(i)
        assert region.get_attribute("tabindex") == "0"
        title = page.locator(f"#{region.get_attribute('aria-labelledby')}")
        assert title.inner_text()
    # Every chart links to the table holding its figures.
    captions = page.locator("figure.chart-box figcaption a")
    assert captions.count() == page.locator("figure.chart-box").count() > 0
    for i in range(captions.count()):
        target = captions.nth(i).get_attribute("href")
        assert page.locator(f"{target} table").count() == 1, target
