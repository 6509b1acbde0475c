"""The access log of personal data: who read which elder, revealed an ID number,
listed or exported archives, when and from which address (PRODUCT.md, "Personal
data").

``record`` writes one row per request (never one per row shown): a list or an
export gives its row count and its filter. The filter is kept without anything
that looks like a resident ID number (a search by number is kept as its last
four characters). ``purge`` removes entries older than
``ACCESS_LOG_RETENTION_DAYS``, a batch at a time; beat runs it nightly.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from carecenter.models import AccessAction, AccessLogEntry

#: Query parameters that say nothing about what was read.
_NOISE = {"csrfmiddlewaretoken", "page", "format"}
_ID_LIKE = re.compile(r"\d{6,17}[\dXx]")
PURGE_BATCH = 10_000


def client_address(request) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or behind a trusted proxy
    (``ACCESS_LOG_FORWARDED_FOR``) the last address it appended."""
    if request is None:
        return None
    if getattr(settings, "ACCESS_LOG_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR") or None


def redact(value: str) -> str:
    """A filter value without ID numbers in it: each kept as ``…`` + last four."""
    return _ID_LIKE.sub(lambda m: "…" + m.group(0)[-4:].upper(), value)


def clean_filters(params: Mapping | None) -> dict:
    """What a list or export was filtered by, fit to be kept."""
    if not params:
        return {}
    out = {}
    for key in params:
        if key in _NOISE:
            continue
        values = params.getlist(key) if hasattr(params, "getlist") else [params[key]]
        values = [redact(str(v))[:100] for v in values if str(v) != ""]
        if values:
            out[key[:40]] = values[0] if len(values) == 1 else values[:20]
    return out


def record(
    request,
    *,
    action: str,
    user=None,
    station=None,
    elder=None,
    rows: int | None = None,
    what: str = "",
    filters: Mapping | None = None,
    reason: str = "",
) -> AccessLogEntry:
    """Write one entry. ``request`` gives the user and address (None for a
    command: pass ``user``). ``elder``: an archive (its id and station)."""
    if action not in AccessAction.values:
        raise ValueError(f"unknown access action {action!r}")
    user = user if user is not None else getattr(request, "user", None)
    if elder is not None and station is None:
        station = elder.station_id
    entry = AccessLogEntry(
        user=user if getattr(user, "is_authenticated", False) else None,
        username=user.get_username() if user is not None else "",
        action=action,
        station_id=getattr(station, "pk", station),
        elder_id=getattr(elder, "pk", elder),
        rows=rows,
        what=what[:100],
        filters=clean_filters(filters),
        reason=reason,
        address=client_address(request),
    )
    entry.save()
    return entry


def retention_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    days = settings.ACCESS_LOG_RETENTION_DAYS
    return (now or timezone.now()) - datetime.timedelta(days=days)


def purge(*, now: datetime.datetime | None = None, batch: int = PURGE_BATCH) -> int:
    """Delete entries past the retention period; returns how many.

    A batch per statement and transaction (over the index on ``at``), so a purge
    after a long pause never holds a long lock, and an interrupted purge is
    simply run again.
    """
    cutoff = retention_cutoff(now)
    table = AccessLogEntry._meta.db_table
    total = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"""DELETE FROM {table} WHERE id IN (
                        SELECT id FROM {table} WHERE at < %s
                        ORDER BY at LIMIT %s FOR UPDATE SKIP LOCKED)""",
                [cutoff, batch],
            )
            deleted = cursor.rowcount
        total += deleted
        if deleted < batch:
            return total
