"""In Chromium on a 375 px phone: the volunteer's pages without signal.

Each test runs a phone of its own: a persistent Chromium profile (as on a real
phone, not an incognito window, so the browser's installability check applies),
375×812, touch, the server's time zone.

How "no signal" is made: ``context.set_offline(True)``. Playwright applies it to
the pages and, since service-worker networking became its default, to the
service worker's own requests too (DevTools network emulation on the worker's
target), so the worker's fetches fail exactly as on a phone without signal, and
Chromium keeps a Background Sync registered meanwhile until the emulated network
returns. The tests do not take that on trust: they record every request that
reaches the live server (``server_hits``) and check that none arrived while the
phone was offline, and how many visit posts arrived afterwards.
"""

import datetime
import os
import struct
import threading

import pytest
from django.conf import settings
from django.core.signals import request_started
from django.utils import timezone
from playwright.sync_api import Error as PlaywrightError

from carecenter.models import Role
from carecenter.tests.factories import user_with_role
from elders.tests.factories import ElderFactory
from volunteers import actions
from volunteers.models import HoursEntry, Visit
from volunteers.tests.factories import PairingFactory, VolunteerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
HOME = "/volunteers/me/"
VISITS = "/api/v1/visits/"


@pytest.fixture
def phone(browser_type, browser_type_launch_args, tmp_path):
    """``phone(locale)`` opens a new phone (its own profile) and returns its page."""
    contexts = []

    def open_phone(locale: str = "zh-CN"):
        context = browser_type.launch_persistent_context(
            tmp_path / f"phone-{len(contexts)}",
            **browser_type_launch_args,
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            locale=locale,
            timezone_id=settings.TIME_ZONE,
        )
        contexts.append(context)
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(20_000)
        return page

    yield open_phone
    for context in contexts:
        context.close()


@pytest.fixture
def server_hits():
    """Every request that reaches the live server, as (method, path)."""
    hits: list[tuple[str, str]] = []
    lock = threading.Lock()

    def record(sender, environ, **kwargs):
        with lock:
            hits.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))

    request_started.connect(record, weak=False, dispatch_uid="offline-browser-hits")
    yield hits
    request_started.disconnect(dispatch_uid="offline-browser-hits")


def visit_posts(hits) -> int:
    return sum(1 for method, path in hits if (method, path) == ("POST", VISITS))


def eventually(page, check, timeout: float = 20) -> None:
    """Wait (letting the browser run) until ``check()`` is true.

    "My elders" loads itself again once it has sent visits (to show them): a
    check that reads the page meanwhile is simply tried again.
    """
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=timeout)
    while True:
        try:
            if check():
                return
        except PlaywrightError as exc:
            if "context was destroyed" not in str(exc):
                raise
        assert datetime.datetime.now() < deadline, "timed out"
        page.wait_for_timeout(200)


def wait_for(page, expression: str) -> None:
    """``page.wait_for_function`` evaluates its predicate with ``eval``, which the
    pages' Content-Security-Policy forbids: poll the expression instead."""
    eventually(page, lambda: page.evaluate(expression))


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}{HOME}")


def sign_out(page) -> None:
    page.locator(".navbar-toggler").click()
    page.locator(".navbar .dropdown-toggle").click()
    page.locator("form[data-signout] button").click()


def kept_for_offline(page) -> None:
    """The service worker controls the page and has kept what the phone needs."""
    wait_for(page, "document.documentElement.dataset.offlineReady === '1'")
    wait_for(page, "navigator.serviceWorker.controller !== null")


def started(page) -> None:
    """The page's script has run, including its first attempt to send."""
    wait_for(page, "document.documentElement.dataset.offlineStarted === '1'")


def phone_queue(page) -> list[dict] | None:
    """The signed-in volunteer's visits on the phone (None while a page loads)."""
    return page.evaluate(
        """async () => {
            const app = document.getElementById('offline-app');
            if (!app || !window.CarecenterOffline) return null;
            const user = app.dataset.user;
            const records = await CarecenterOffline.queue.list(user);
            return records.map((r) => ({client_id: r.client_id, status: r.status,
                                        reasons: r.reasons || [],
                                        elder: r.display.elder}));
        }"""
    )


def all_queued(page) -> int:
    """Every record on the phone, whoever saved it (read on any page)."""
    return page.evaluate(
        """() => new Promise((resolve) => {
            const request = indexedDB.open('carecenter-offline');
            request.onsuccess = () => {
                const db = request.result;
                if (!db.objectStoreNames.contains('visits')) return resolve(0);
                const count = db.transaction('visits').objectStore('visits').count();
                count.onsuccess = () => resolve(count.result);
            };
        })"""
    )


def form_ready(page) -> None:
    """The visit form's script is ready (a new client id, or the visit to correct)."""
    wait_for(
        page,
        "!!document.querySelector('form[data-offline-visit]').dataset.offlineReady",
    )


def log_visit(page, elder_name, day, start, end, services=("chat",), follow_up=""):
    """On "My elders": open the elder's visit form, fill it in, save."""
    page.locator(".elder-card", has_text=elder_name).locator("a.btn-primary").click()
    page.wait_for_url("**/visit/**")
    form_ready(page)
    page.fill("#id_day", day.isoformat())
    page.fill("#id_start", start)
    page.fill("#id_end", end)
    for code in services:
        box = page.locator(f"input[name=services][value={code}]")
        if not box.is_checked():
            page.click(f"label[for={box.get_attribute('id')}]")
    if follow_up:
        page.click("label[for=id_needs_follow_up]")
        page.fill("#id_follow_up_reason", follow_up)
    page.locator("form.visit-form button[type=submit]").click()
    page.wait_for_url(f"**{HOME}")
    started(page)


def png_size(body: bytes) -> str:
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", body[16:24])
    return f"{width}x{height}"


def check_installable(page, live_server) -> None:
    """What Lighthouse's PWA audit looked at, checked in the browser itself."""
    href = page.locator("link[rel=manifest]").get_attribute("href")
    # As a browser fetches it: without cookies.
    manifest = page.evaluate(
        "async (url) => (await fetch(url, {credentials: 'omit'})).json()", href
    )
    assert manifest["name"] == "养老服务志愿者" and manifest["short_name"] == "志愿者"
    assert manifest["start_url"] == HOME == manifest["scope"]
    assert manifest["display"] == "standalone"
    sizes = set()
    for icon in manifest["icons"]:
        response = page.request.get(f"{live_server.url}{icon['src']}")
        assert response.ok and response.headers["content-type"] == "image/png"
        assert png_size(response.body()) == icon["sizes"]
        sizes.add((icon["sizes"], icon["purpose"]))
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    cdp = page.context.new_cdp_session(page)
    parsed = cdp.send("Page.getAppManifest")
    assert parsed["errors"] == [] and parsed["url"].endswith(href)
    assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    cdp.detach()
    worker = page.evaluate("navigator.serviceWorker.controller.scriptURL")
    assert worker.startswith(f"{live_server.url}{HOME}sw.js?")
    scope = page.evaluate(
        "navigator.serviceWorker.getRegistration().then(r => r.scope)"
    )
    assert scope == f"{live_server.url}{HOME}"


def yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)


def test_two_visits_logged_without_signal_reach_the_station_exactly_once(
    phone, live_server, cast, server_hits, screenshot_dir
):
    me = VolunteerFactory(station=cast.a, name="郑晓燕", user=cast.volunteer_a)
    wang = ElderFactory(station=cast.a, name="王桂芳", address="幸福路 18 号 3 幢")
    li = ElderFactory(station=cast.a, name="李德明", address="幸福路 20 号 1 幢")
    for elder in (wang, li):
        PairingFactory(volunteer=me, elder=elder, schedule="每周二 9:00–11:00")
    page = phone()

    # With a signal: "My elders" once. The phone keeps what it needs.
    sign_in(page, live_server, "volunteer_a")
    kept_for_offline(page)
    check_installable(page, live_server)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # No signal: the pages open from the phone, visits stay on it.
    page.context.set_offline(True)
    hits_before = len(server_hits)
    page.reload()
    started(page)
    assert page.locator(".offline-banner").is_visible()
    assert page.locator(".elder-card").count() == 2
    day = yesterday()
    log_visit(page, "王桂芳", day, "09:00", "10:00", services=("chat", "health_check"))
    log_visit(page, "李德明", day, "10:30", "11:15", follow_up="腿疼，行走不便")
    cards = page.locator(".queued-visit")
    assert cards.count() == 2
    for n in range(2):
        card = cards.nth(n)
        assert card.get_attribute("data-status") == "waiting"
        assert "等待发送" in card.inner_text()
        assert "保存在本机" in card.inner_text()  # with the time it was saved
    assert (
        "王桂芳" in cards.nth(0).inner_text()
        and "09:00–10:00" in cards.nth(0).inner_text()
    )
    assert page.locator("[data-send-now]").is_hidden()  # nothing to tap without signal
    page.screenshot(
        path=os.path.join(screenshot_dir, "offline-two-visits-waiting-phone.png"),
        full_page=True,
    )
    queued = {record["client_id"] for record in phone_queue(page)}
    assert len(queued) == 2
    # My hours was kept too; a page that was not says so, with the way back.
    page.locator(".me-nav a").nth(1).click()
    page.wait_for_url(f"**{HOME}hours/")
    started(page)
    assert "保存在本机的探访：2 条" in page.locator(".queue-link").inner_text()
    page.screenshot(
        path=os.path.join(screenshot_dir, "offline-my-hours-phone.png"),
        full_page=True,
    )
    page.goto(f"{live_server.url}{HOME}elders/{wang.pk + li.pk}/visit/")
    assert "这一页没有保存在本机上" in page.locator("main").inner_text()
    page.screenshot(
        path=os.path.join(screenshot_dir, "offline-page-not-kept-phone.png"),
        full_page=True,
    )
    page.locator("main a.btn-primary").click()
    page.wait_for_url(f"**{HOME}")
    assert len(server_hits) == hits_before  # nothing reached the server
    assert not Visit.objects.exists()

    # The signal is back: exactly those two visits, sent once.
    page.context.set_offline(False)
    eventually(page, lambda: Visit.objects.count() == 2)
    eventually(page, lambda: phone_queue(page) == [])
    assert {str(v.client_id) for v in Visit.objects.all()} == queued
    assert visit_posts(server_hits) == 2
    assert HoursEntry.objects.count() == 2
    flagged = Visit.objects.get(elder=li)
    assert flagged.follow_up_open and flagged.follow_up_reason == "腿疼，行走不便"
    assert Visit.objects.get(elder=wang).services == ["health_check", "chat"]
    # "My elders" shows itself again, fresh from the server, and says so.
    page.wait_for_selector(".offline-flash")
    assert "已发送给站点的探访：2 条" in page.locator(".offline-flash").inner_text()
    started(page)
    assert page.locator(".queued-visit").count() == 0
    assert page.locator(".offline-banner").count() == 0
    page.screenshot(
        path=os.path.join(screenshot_dir, "offline-visits-sent-phone.png"),
        full_page=True,
    )

    # One more reload sends nothing again.
    page.reload()
    started(page)
    assert visit_posts(server_hits) == 2 and Visit.objects.count() == 2

    # The worker controls only the volunteer's pages.
    page.goto(f"{live_server.url}/accounts/password/")
    assert page.evaluate("navigator.serviceWorker.controller") is None


def test_background_sync_sends_the_visits_with_no_page_open(
    phone, live_server, cast, server_hits
):
    me = VolunteerFactory(station=cast.a, name="郑晓燕", user=cast.volunteer_a)
    PairingFactory(volunteer=me, elder=ElderFactory(station=cast.a, name="王桂芳"))
    page = phone()
    sign_in(page, live_server, "volunteer_a")
    kept_for_offline(page)
    page.context.set_offline(True)
    page.reload()
    started(page)
    log_visit(page, "王桂芳", yesterday(), "14:00", "15:00")
    assert len(phone_queue(page)) == 1
    # Leave the app: no page of it is open to send on "online" or on a load.
    page.goto("about:blank")
    page.context.set_offline(False)
    eventually(page, lambda: Visit.objects.count() == 1)
    assert visit_posts(server_hits) == 1
    page.goto(f"{live_server.url}{HOME}")
    started(page)
    assert phone_queue(page) == [] and visit_posts(server_hits) == 1


def test_visits_refused_on_sync_stay_on_the_phone_with_their_reason(
    phone, live_server, cast, server_hits, screenshot_dir
):
    me = VolunteerFactory(station=cast.a, name="Zheng Xiaoyan", user=cast.volunteer_a)
    wang = ElderFactory(station=cast.a, name="Wang Guifang")
    li = ElderFactory(station=cast.a, name="Li Deming")
    ended = PairingFactory(volunteer=me, elder=wang)
    PairingFactory(volunteer=me, elder=li)
    page = phone(locale="en-US")
    sign_in(page, live_server, "volunteer_a")
    kept_for_offline(page)
    page.context.set_offline(True)
    page.reload()
    started(page)
    day = yesterday()
    log_visit(page, "Wang Guifang", day, "09:00", "10:00")
    log_visit(page, "Li Deming", day, "15:00", "16:00", follow_up="Fell last week")
    page.screenshot(
        path=os.path.join(screenshot_dir, "offline-waiting-phone-en.png"),
        full_page=True,
    )

    # Meanwhile at the station: the pairing with Wang ends, and staff log a visit
    # of this volunteer at 15:30 (on the paper sheet she handed in).
    actions.pairing_end(actor=cast.manager_a, pairing=ended, reason="Moved away")
    zone = timezone.get_current_timezone()
    actions.visit_log(
        actor=cast.staff_a,
        volunteer=me,
        elder=li,
        started_at=datetime.datetime.combine(day, datetime.time(15, 30), tzinfo=zone),
        ended_at=datetime.datetime.combine(day, datetime.time(16, 30), tzinfo=zone),
    )

    page.context.set_offline(False)
    eventually(
        page,
        lambda: (
            [r["status"] for r in phone_queue(page) or []] == ["refused", "refused"]
        ),
    )
    assert visit_posts(server_hits) == 2 and Visit.objects.count() == 1
    page.reload()  # kept across loads, never silently dropped
    started(page)
    records = {r["elder"]: r for r in phone_queue(page)}
    assert "pairing may have ended" in " ".join(records["Wang Guifang"]["reasons"])
    assert "overlaps" in " ".join(records["Li Deming"]["reasons"])
    assert visit_posts(server_hits) == 2  # refused visits are not sent again
    wang_card = page.locator(".queued-visit", has_text="Wang Guifang")
    li_card = page.locator(".queued-visit", has_text="Li Deming")
    assert "Not accepted" in wang_card.inner_text()
    assert "pairing may have ended" in wang_card.inner_text()
    assert "Tell the station" in wang_card.inner_text()
    assert wang_card.locator("[data-action=fix]").is_hidden()  # nothing to correct
    assert "overlaps your visit to" in li_card.inner_text()
    page.screenshot(
        path=os.path.join(screenshot_dir, "offline-refused-phone-en.png"),
        full_page=True,
    )

    # Correct the overlapping one: the same visit (same client id), new times.
    li_id = records["Li Deming"]["client_id"]
    li_card.locator("[data-action=fix]").click()
    page.wait_for_url("**/visit/?fix=*")
    form_ready(page)
    assert page.locator("#visit-fixing").is_visible()
    assert "overlaps" in page.locator("#visit-fixing").inner_text()
    assert page.input_value("#id_start") == "15:00"
    assert page.input_value("#id_follow_up_reason") == "Fell last week"
    page.screenshot(
        path=os.path.join(screenshot_dir, "offline-correcting-phone-en.png"),
        full_page=True,
    )
    page.fill("#id_start", "17:00")
    page.fill("#id_end", "17:45")
    page.locator("form.visit-form button[type=submit]").click()
    page.wait_for_url(f"**{HOME}")
    started(page)
    corrected = Visit.objects.get(client_id=li_id)
    assert timezone.localtime(corrected.started_at).time() == datetime.time(17, 0)
    assert corrected.follow_up_reason == "Fell last week"
    assert [r["elder"] for r in phone_queue(page)] == ["Wang Guifang"]

    # Discard the one that cannot be sent: asked first, then gone.
    page.once("dialog", lambda dialog: dialog.dismiss())
    wang_card.locator("[data-action=discard]").click()
    assert len(phone_queue(page)) == 1
    page.once("dialog", lambda dialog: dialog.accept())
    wang_card.locator("[data-action=discard]").click()
    eventually(page, lambda: phone_queue(page) == [])
    # The card goes when the page draws the queue again, just after the removal.
    eventually(page, lambda: page.locator(".queued-visit").count() == 0)
    assert not Visit.objects.filter(elder=wang).exists()


def test_a_shared_phone_keeps_volunteers_apart_and_signing_out_clears_it(
    phone, live_server, cast, server_hits
):
    me = VolunteerFactory(station=cast.a, name="郑晓燕", user=cast.volunteer_a)
    PairingFactory(volunteer=me, elder=ElderFactory(station=cast.a, name="王桂芳"))
    partner_user = user_with_role("volunteer_2", Role.VOLUNTEER, station=cast.a)
    partner = VolunteerFactory(station=cast.a, name="张建国", user=partner_user)
    PairingFactory(volunteer=partner, elder=ElderFactory(station=cast.a, name="赵淑英"))
    page = phone()

    # 郑晓燕 logs a visit without signal; her session ends before the signal is
    # back (30 minutes idle), so it cannot be sent yet.
    sign_in(page, live_server, "volunteer_a")
    kept_for_offline(page)
    page.context.set_offline(True)
    page.reload()
    started(page)
    log_visit(page, "王桂芳", yesterday(), "09:00", "10:00")
    page.context.clear_cookies()
    page.context.set_offline(False)
    page.wait_for_selector(".signed-out-banner")
    assert len(phone_queue(page)) == 1 and not Visit.objects.exists()

    # Her husband signs in on the same phone: none of her elders, none of her
    # visits, and her visit is not sent under his name.
    sign_in(page, live_server, "volunteer_2")
    kept_for_offline(page)
    assert "赵淑英" in page.content() and "王桂芳" not in page.content()
    assert page.locator(".queued-visit").count() == 0
    assert not Visit.objects.exists()
    caches = page.evaluate("caches.keys()")
    assert [name for name in caches if name.startswith("cc-pages-")] == [
        f"cc-pages-{page.locator('#offline-app').get_attribute('data-user')}"
    ]
    page.context.set_offline(True)
    page.reload()
    assert "王桂芳" not in page.content()
    page.context.set_offline(False)
    page.reload()
    started(page)
    sign_out(page)  # nothing of his waits: no question asked
    page.wait_for_url("**/accounts/login/")
    assert page.evaluate("caches.keys()") == []
    assert all_queued(page) == 1  # hers, kept for her

    # She signs in again: her visit goes, once, as hers.
    sign_in(page, live_server, "volunteer_a")
    eventually(page, lambda: Visit.objects.count() == 1)
    assert Visit.objects.get().logged_by == cast.volunteer_a
    assert visit_posts(server_hits) == 1

    # Signing out with a visit not sent: asked first; then the phone is cleared.
    kept_for_offline(page)
    page.context.route("**/api/v1/visits/", lambda route: route.abort("failed"))
    page.context.set_offline(True)
    page.reload()
    started(page)
    log_visit(page, "王桂芳", yesterday(), "11:00", "12:00")
    page.context.set_offline(False)  # but the station's server is unreachable
    page.wait_for_selector("[data-send-now]", state="visible")
    assert [r["status"] for r in phone_queue(page)] == ["waiting"]
    questions = []
    page.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    sign_out(page)
    eventually(page, lambda: questions)
    assert "1" in questions[0] and "退出" in questions[0]
    assert page.url.endswith(HOME) and len(phone_queue(page)) == 1  # still there
    page.reload()
    started(page)
    page.once("dialog", lambda d: d.accept())
    sign_out(page)
    page.wait_for_url("**/accounts/login/")
    assert page.evaluate("caches.keys()") == [] and all_queued(page) == 0
    assert Visit.objects.count() == 1
    # Nothing of hers opens without signal any more.
    page.context.unroute("**/api/v1/visits/")
    page.context.set_offline(True)
    with pytest.raises(PlaywrightError):
        page.goto(f"{live_server.url}{HOME}")
