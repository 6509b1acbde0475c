"""Whether a station receives vouchers, after the annual inspection's decisions.

PRODUCT.md "Supervision": the supervisor may stop a station's funding. The one
rule, read by the monthly issuance (``vouchers.actions.month_issue``): a station
whose latest funding decision taken *before the first day of the month* is
**stop** gets no vouchers that month. The month already begun when the decision
is taken is left alone; a later **continue** (or **recover**) decision restores
funding from the next month on. Decisions are read from their append-only
history, so issuing a past month again gives the answer it gave then.
"""

from __future__ import annotations

import datetime

from inspections.models import Decision, FundingDecision
from services.queries import month_bounds


def stations_without_funding(month: datetime.date, station_ids=None) -> set[int]:
    """The stations whose funding is stopped in ``month`` (one query)."""
    start, _end = month_bounds(month)
    latest = Decision.objects.filter(decided_at__lt=start)
    if station_ids is not None:
        latest = latest.filter(station__in=list(station_ids))
    latest = latest.order_by("station_id", "-decided_at", "-pk").distinct("station_id")
    return {
        station_id
        for station_id, decision in latest.values_list("station_id", "decision")
        if decision == FundingDecision.STOP
    }
