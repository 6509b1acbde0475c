"""The volunteer's pages as an installable web app that works without signal.

A volunteer logs visits in elders' homes, where the signal often drops. The
phone keeps (PRODUCT.md, personal data; what a volunteer may see, no more):

- the volunteer's own pages under ``/volunteers/me/`` — "My elders" (name, age,
  address, phone of the paired elders; the pairing's service hours; the last
  visit), the visit form of each paired elder, "My hours", and a page saying
  that a page was not kept — as the volunteer last loaded them, in a cache of
  their own (``cc-pages-<key>``), for ``VOLUNTEER_OFFLINE_MAX_AGE`` (7 days by
  default) after they were last loaded with a signal;
- the static files those pages use (not personal);
- the visits saved without signal, until they are sent, corrected or
  discarded (IndexedDB, one record per visit under the phone's client id).

The service worker (``static/volunteers/offline/sw.js``) caches only responses
that carry ``OFFLINE_HEADER``; only these pages send it, with the key of the
signed-in user, so other pages, the API and another user's pages are never
kept. Signing out deletes the caches and the volunteer's queue.
"""

from __future__ import annotations

import datetime
import functools
import hashlib

from django.conf import settings
from django.contrib.staticfiles import finders
from django.middleware.csrf import get_token
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from volunteers import queries
from volunteers.models import Volunteer

#: Responses a phone may keep for offline use carry this header, with the key of
#: the user they were made for.
OFFLINE_HEADER = "Volunteer-Offline-Key"

#: The static files of the volunteer's pages (``base.html`` and theirs). The
#: pages also tell the service worker every file they actually loaded, so a file
#: added to ``base.html`` is kept even if it is missing here.
APP_ASSETS = [
    "vendor/bootstrap/css/bootstrap.min.css",
    "vendor/bootstrap-icons/bootstrap-icons.min.css",
    "vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
    "css/carecenter.css",
    "volunteers/volunteers.css",
    "vendor/bootstrap/js/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "js/elder-picker.js",
    "volunteers/offline/store.js",
    "volunteers/offline/page.js",
    "volunteers/icons/icon-192.png",
]

#: The service worker is these static files, in this order, served from
#: ``/volunteers/me/sw.js`` so that its scope is the volunteer's pages only.
WORKER_SOURCES = ["volunteers/offline/store.js", "volunteers/offline/sw.js"]

ICONS = [
    ("volunteers/icons/icon-192.png", "192x192", "any"),
    ("volunteers/icons/icon-512.png", "512x512", "any"),
    ("volunteers/icons/maskable-192.png", "192x192", "maskable"),
    ("volunteers/icons/maskable-512.png", "512x512", "maskable"),
]
THEME_COLOR = "#0f766e"


def user_key(user) -> str:
    """An opaque key per user: names the user's cache and queue on the phone."""
    return salted_hmac("volunteers.offline.user", str(user.pk)).hexdigest()[:24]


def max_age() -> datetime.timedelta:
    return settings.VOLUNTEER_OFFLINE_MAX_AGE


def mark_for_offline(response, user) -> None:
    """Let the phone keep this page for ``user`` (a 200 HTML page of theirs)."""
    content_type = response.get("Content-Type", "")
    if response.status_code == 200 and content_type.startswith("text/html"):
        response[OFFLINE_HEADER] = user_key(user)


def offline_pages(*, user, volunteer: Volunteer) -> list[str]:
    """The pages a volunteer's phone keeps: theirs, and one visit form per elder."""
    elder_ids = (
        queries.my_elders(user=user, volunteer=volunteer)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [
        reverse("volunteers:my-elders"),
        reverse("volunteers:my-hours"),
        reverse("volunteers:offline-page"),
        *(reverse("volunteers:visit-log", args=[pk]) for pk in elder_ids),
    ]


def offline_state(request, volunteer: Volunteer) -> dict:
    """What the service worker needs to keep the pages and send the queue.

    Asked for with a signal before every sending: it also says who is signed in
    (the queue sends only that user's visits) and gives a fresh CSRF token (a
    sign-in since the page was kept has changed it).
    """
    assets = [static(name) for name in APP_ASSETS]
    return {
        "user": user_key(request.user),
        "csrf": get_token(request),
        "visits_url": reverse("api:visit-list"),
        "pages": offline_pages(user=request.user, volunteer=volunteer),
        "assets": assets,
        "assets_version": hashlib.sha256("\n".join(assets).encode()).hexdigest()[:12],
        "max_age_seconds": int(max_age().total_seconds()),
    }


def page_context(request, volunteer: Volunteer) -> dict:
    """The context every volunteer page needs for its offline script."""
    return {
        "offline": {
            "user": user_key(request.user),
            "rendered_at": int(timezone.now().timestamp() * 1000),
            "strings": script_strings(),
        }
    }


def script_strings() -> dict[str, str]:
    """What the page's script says, in the page's language (``json_script``)."""
    return {
        "offline": _(
            "No signal. Visits you save stay on this phone and are sent when "
            "the signal is back."
        ),
        "kept_at": _("This page was saved on the phone at %(time)s."),
        "signed_out": _("Sign in again to send the visits waiting on this phone."),
        "sign_in": _("Sign in"),
        "sent": _("Visit to %(name)s saved. Thank you!"),
        "sent_many": _("Visits sent to the station: %(n)s."),
        "queued": _(
            "No signal: the visit to %(name)s is kept on this phone and will be "
            "sent by itself."
        ),
        "saved_at": _("Saved on this phone at %(time)s"),
        "kept_count": _("Visits kept on this phone: %(n)s"),
        "refused_elder": _("Tell the station about this visit, then discard it here."),
        "discard_confirm": _(
            "Discard this visit to %(name)s? It will not be sent to the station."
        ),
        "fixing": _("You are correcting a visit that was not accepted:"),
        "error_times": _("The visit must end after it starts."),
        "error_future": _("The visit cannot end in the future."),
        "error_required": _("This field is required."),
        "error_follow_up": _("Say why the elder needs a follow-up."),
        "error_server": _(
            "The station's system did not accept this visit (error %(status)s)."
        ),
        "check_form": _("Please correct the errors below."),
    }


@functools.cache
def _cached_worker_source() -> str:
    return _read_worker_source()


def _read_worker_source() -> str:
    parts = []
    for name in WORKER_SOURCES:
        path = finders.find(name)
        if path is None:  # a broken deployment: say so loudly
            raise FileNotFoundError(name)
        with open(path, encoding="utf-8") as source:
            parts.append(f"// {name}\n{source.read()}")
    return "\n".join(parts)


def service_worker_source() -> str:
    """The worker's code (read again on every request while ``DEBUG`` is on)."""
    return _read_worker_source() if settings.DEBUG else _cached_worker_source()


def manifest(language: str) -> dict:
    """The web app manifest of the volunteer's pages, in ``language``."""
    start = reverse("volunteers:my-elders")
    with translation.override(language):
        return {
            "id": start,
            "name": _("Home-care volunteer"),
            "short_name": _("Volunteer"),
            "description": _(
                "Your paired elders and your visits, also where there is no signal."
            ),
            "lang": translation.to_locale(language).replace("_", "-"),
            "dir": "ltr",
            "start_url": start,
            "scope": start,
            "display": "standalone",
            "orientation": "portrait",
            "background_color": "#ffffff",
            "theme_color": THEME_COLOR,
            "icons": [
                {"src": static(src), "sizes": sizes, "type": "image/png", "purpose": p}
                for src, sizes, p in ICONS
            ],
        }
