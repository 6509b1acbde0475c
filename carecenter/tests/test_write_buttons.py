"""Read-only users see no write buttons anywhere: the supervisor walks every page
they can reach from their home page and finds no link to a page that changes
data and no form that posts (other than signing out and the language), and the
station's staff see the same buttons through the one template guard."""

import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from django.template import Context, Template
from django.urls import Resolver404, resolve
from django.utils import timezone

from elders.tests.factories import BarthelAssessmentFactory, ElderFactory
from services.tests.factories import (
    AgreementFactory,
    ProviderFactory,
    ServiceRecordFactory,
)
from volunteers.models import Visit
from volunteers.tests.factories import PairingFactory, VolunteerFactory, hours_ago

pytestmark = pytest.mark.django_db

#: URL names of the pages that change data (their GET shows a form).
WRITES = re.compile(
    r":([\w-]+-)?(create|edit|add|remove|delete|resolve|approve|sign|end|cancel"
    r"|confirm|claim|import|import-confirm|override|reveal-id|issue|refresh|answer"
    r"|recheck|decide|checklist|login|scan)$"
)
HREF = re.compile(r'href="([^"#]+)"')
POST_FORM = re.compile(r'(<form[^>]*method="post"[^>]*>)(.*?)</form>', re.I | re.S)
ALLOWED_FORMS = ("data-signout", "language-switcher")
SKIP = re.compile(r"(\.xlsx|/admin/|/api/|/i18n/|/accounts/|/static/|/media/|sw\.js)")


def station_data(cast):
    elder = ElderFactory(station=cast.a, name="王桂芳")
    BarthelAssessmentFactory(elder=elder)
    volunteer = VolunteerFactory(station=cast.a, name="郑晓燕")
    pairing = PairingFactory(volunteer=volunteer, elder=elder)
    PairingFactory(volunteer=volunteer, approved_at=None)
    Visit.objects.create(
        station=cast.a,
        volunteer=volunteer,
        elder=elder,
        started_at=hours_ago(3),
        ended_at=hours_ago(2),
        services=["chat"],
        needs_follow_up=True,
        follow_up_reason="头晕",
    )
    provider = ProviderFactory(station=cast.a)
    AgreementFactory(provider=provider)
    ServiceRecordFactory(elder=elder, provider=provider)
    return pairing


def crawl(client, start="/", limit=120):
    seen, queue, pages = set(), deque([start]), {}
    while queue and len(pages) < limit:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        answer = client.get(url)
        if answer.status_code != 200 or "html" not in answer.get("Content-Type", ""):
            continue
        html = answer.content.decode()
        pages[url] = html
        for href in HREF.findall(html):
            parts = urlsplit(href)
            if (
                parts.netloc
                or SKIP.search(parts.path)
                or not parts.path.startswith("/")
            ):
                continue
            # One page of each list is enough: keep the query only for filters.
            target = parts.path
            if target not in seen:
                queue.append(target)
    return pages


def write_links(html):
    found = []
    for href in HREF.findall(html):
        path = urlsplit(href).path
        if not path.startswith("/") or SKIP.search(path):
            continue
        try:
            name = resolve(path).view_name or ""
        except Resolver404:
            continue
        if WRITES.search(name) and name != "services:records-to-confirm":
            found.append(href)
    return found


def post_forms(html):
    """Forms that post and offer a button to do it (a read-only sheet may show
    its ticks in a form, without the button)."""
    return [
        form
        for form, inside in POST_FORM.findall(html)
        if not any(mark in form for mark in ALLOWED_FORMS)
        and re.search(r"<button(?![^>]*disabled)[^>]*>", inside)
    ]


def test_the_supervisor_sees_no_write_button_on_any_station_page(client, cast):
    station_data(cast)
    client.force_login(cast.supervisor)
    pages = crawl(client)
    # The station pages were reached, not just the home page.
    for path in ("/elders/", "/volunteers/follow-ups/", "/services/", "/vouchers/"):
        assert path in pages, sorted(pages)
    assert len(pages) > 20
    offending = {
        url: write_links(html) + post_forms(html)
        for url, html in pages.items()
        # The inspections are the supervisor's to write.
        if not url.startswith("/inspections/")
    }
    assert {url: found for url, found in offending.items() if found} == {}


def test_staff_still_see_their_buttons(client, cast):
    station_data(cast)
    client.force_login(cast.staff_a)
    page = client.get("/volunteers/follow-ups/").content.decode()
    assert write_links(page)


@pytest.mark.parametrize(
    ("who", "station", "writes", "manages"),
    [
        ("staff_a", "a", True, False),
        ("manager_a", "a", True, True),
        ("staff_b", "a", False, False),
        ("supervisor", "a", False, False),
        ("volunteer_a", "a", False, False),
        ("admin", "c", True, True),
    ],
)
def test_the_one_template_guard(cast, who, station, writes, manages):
    template = Template(
        "{% load carecenter_tags %}"
        "{% if user|may_write:obj %}W{% endif %}"
        "{% if user|may_manage:obj %}M{% endif %}"
    )
    station = getattr(cast, station)
    record = ServiceRecordFactory(elder=ElderFactory(station=station))
    for obj in (station, record):
        shown = template.render(Context({"user": getattr(cast, who), "obj": obj}))
        assert shown == ("W" if writes else "") + ("M" if manages else "")


def test_every_template_with_a_write_button_uses_the_guard():
    """No template decides by a view's own flag any more."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "templates"
    flags = re.compile(r"{%\s*if\s+(not\s+)?(can_write|can_add|may_approve)\b")
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.html")
        if flags.search(path.read_text())
    ]
    assert offenders == []
    assert timezone.now()
