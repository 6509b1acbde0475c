"""Session lifetime and caching rules for pages that show personal data."""

from __future__ import annotations

import time

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _

_STARTED = "_carecenter_session_started"
_SEEN = "_carecenter_session_seen"
#: The idle clock is written when it has moved this many seconds, not on every
#: page: a session saved on each request is a write and a commit per page view.
SEEN_EVERY = 60


def start_session_clocks(request) -> None:
    """Start a new session's clocks at sign-in (saved with the sign-in), so the
    pages after it write nothing until the idle clock has moved a minute."""
    session = getattr(request, "session", None)
    if session is not None:
        now = time.time()
        session[_STARTED] = now
        session[_SEEN] = now


class SessionTimeoutMiddleware:
    """End a session when idle too long or open too long (see settings)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.setdefault(_STARTED, now)
            seen = request.session.get(_SEEN, now)
            idle = settings.SESSION_IDLE_TIMEOUT.total_seconds()
            absolute = settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds()
            if now - seen > idle or now - started > absolute:
                logout(request)
                if request.path.startswith("/api/"):
                    return self.get_response(request)
                messages.info(
                    request, _("Your session has expired. Please sign in again.")
                )
                return redirect_to_login(request.get_full_path())
            if _SEEN not in request.session or now - seen >= SEEN_EVERY:
                request.session[_SEEN] = now
        return self.get_response(request)


class NoStoreMiddleware:
    """Forbid caching of every page served to a signed-in user (personal data)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy (settings.CONTENT_SECURITY_POLICY) on every response.

    One exception: the API's documentation page (Swagger UI, from the
    drf-spectacular-sidecar wheel) carries a ``<style>`` block of its own, so its
    styles may be inline; its scripts, like every page's, may not.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and request.path.startswith("/api/docs/"):
            parts = PolicyParts(
                parts.config,
                {**(parts.update or {}), "style-src": ["'unsafe-inline'"]},
                parts.replace,
                parts.nonce,
            )
        return parts
