"""The nightly reconciliation of the voucher money (PRODUCT.md "Non-negotiables":
balances cannot drift from the ledger, and a reconciliation says so every night).

Three checks, each one set-based statement over the whole district (or one
station), read-only:

1. **grants against the ledger**: a grant's ``remaining`` is the sum of its
   entries, its ``amount`` its one grant entry; every entry belongs to the
   grant's elder, station and month;
2. **cycles against their grants**: the counts and the total a cycle shows are
   those of its grants, and every grant lies in its cycle's station and month;
3. **provider statements against their records**: what a service record says
   vouchers paid is what the ledger redeemed for it net of reversals (nothing for
   a cancelled record), its two parts add up to price × quantity, and so each
   provider's monthly statement (the sum of its records) equals the ledger.

The database's triggers already refuse every write that would make these
disagree, so a disagreement means someone went around them (a disabled trigger,
a restored backup, a hand edit as the tables' owner): it is reported, never
repaired here.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from vouchers.models import ReconciliationRun

#: At most this many disagreements are kept on the run (all are counted).
KEPT = 200


@dataclass(frozen=True)
class Disagreement:
    check: str  # grant, entry, cycle, record, statement
    station: str  # the station's code
    subject: str  # "grant 147", "cycle 2026-09", …
    detail: str

    def __str__(self) -> str:
        return f"{self.station} {self.subject}: {self.detail}"


@dataclass
class Reconciliation:
    disagreements: list[Disagreement] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.disagreements


_GRANT_PROBLEMS_SQL = """
WITH entries AS (
    SELECT grant_id,
           sum(amount) AS total,
           coalesce(sum(amount) FILTER (WHERE kind = 'grant'), 0) AS granted,
           count(*) FILTER (WHERE kind = 'grant') AS grant_entries
    FROM vouchers_ledgerentry
    GROUP BY grant_id
)
SELECT g.id, s.code, g.elder_id, g.month, g.amount, g.remaining,
       coalesce(e.total, 0), coalesce(e.granted, 0), coalesce(e.grant_entries, 0)
FROM vouchers_grant g
JOIN carecenter_station s ON s.id = g.station_id
LEFT JOIN entries e ON e.grant_id = g.id
WHERE {scope}
  AND (coalesce(e.total, 0) <> g.remaining
       OR coalesce(e.granted, 0) <> g.amount
       OR coalesce(e.grant_entries, 0) <> 1)
ORDER BY g.id
"""

_ENTRY_PROBLEMS_SQL = """
SELECT e.id, s.code, e.grant_id, e.kind, e.amount
FROM vouchers_ledgerentry e
JOIN vouchers_grant g ON g.id = e.grant_id
JOIN carecenter_station s ON s.id = g.station_id
WHERE {scope}
  AND (e.elder_id <> g.elder_id OR e.station_id <> g.station_id
       OR e.month <> g.month)
ORDER BY e.id
"""

_CYCLE_PROBLEMS_SQL = """
WITH grants AS (
    SELECT g.cycle_id,
           count(*) AS n,
           count(*) FILTER (WHERE g.tier = 'free') AS free,
           count(*) FILTER (WHERE g.tier = 'low_cost') AS low_cost,
           sum(g.amount) AS total,
           count(*) FILTER (WHERE g.station_id <> c.station_id
                               OR g.month <> c.month) AS misplaced
    FROM vouchers_grant g
    JOIN vouchers_cycle c ON c.id = g.cycle_id
    GROUP BY g.cycle_id
)
SELECT c.id, s.code, c.month, c.grants_count, c.free_count, c.low_cost_count,
       c.total_amount, coalesce(t.n, 0), coalesce(t.free, 0),
       coalesce(t.low_cost, 0), coalesce(t.total, 0), coalesce(t.misplaced, 0)
FROM vouchers_cycle c
JOIN carecenter_station s ON s.id = c.station_id
LEFT JOIN grants t ON t.cycle_id = c.id
WHERE {scope}
  AND c.status <> 'generating'
  AND (c.grants_count <> coalesce(t.n, 0)
       OR c.free_count <> coalesce(t.free, 0)
       OR c.low_cost_count <> coalesce(t.low_cost, 0)
       OR c.total_amount <> coalesce(t.total, 0)
       OR coalesce(t.misplaced, 0) > 0)
ORDER BY c.month, s.code
"""

_RECORDS_SQL = """
WITH ledger AS (
    SELECT service_record_id, -sum(amount) AS paid
    FROM vouchers_ledgerentry
    WHERE service_record_id IS NOT NULL
    GROUP BY service_record_id
), records AS (
    SELECT r.id, r.station_id, r.provider_id,
           date_trunc('month', r.delivered_at AT TIME ZONE %(tz)s)::date AS month,
           r.cancelled_at IS NOT NULL AS cancelled,
           r.needs_confirmation AND r.confirmed_at IS NULL AS awaiting,
           r.voucher_paid, r.self_paid,
           round(r.price * r.quantity, 2) AS amount,
           coalesce(l.paid, 0) AS ledger_paid
    FROM services_servicerecord r
    LEFT JOIN ledger l ON l.service_record_id = r.id
    WHERE {scope}
)
SELECT r.id, s.code, r.provider_id, r.month, r.cancelled, r.awaiting,
       r.voucher_paid, r.self_paid, r.amount, r.ledger_paid
FROM records r
JOIN carecenter_station s ON s.id = r.station_id
WHERE (NOT r.cancelled AND r.voucher_paid <> r.ledger_paid)
   OR (r.cancelled AND r.ledger_paid <> 0)
   OR (NOT r.awaiting AND r.voucher_paid + r.self_paid <> r.amount)
ORDER BY r.id
"""

_STATEMENTS_SQL = """
WITH ledger AS (
    SELECT service_record_id, -sum(amount) AS paid
    FROM vouchers_ledgerentry
    WHERE service_record_id IS NOT NULL
    GROUP BY service_record_id
)
SELECT s.code, r.provider_id,
       date_trunc('month', r.delivered_at AT TIME ZONE %(tz)s)::date AS month,
       sum(r.voucher_paid), sum(coalesce(l.paid, 0))
FROM services_servicerecord r
JOIN carecenter_station s ON s.id = r.station_id
LEFT JOIN ledger l ON l.service_record_id = r.id
WHERE {scope} AND r.provider_id IS NOT NULL AND r.cancelled_at IS NULL
GROUP BY 1, 2, 3
HAVING sum(r.voucher_paid) <> sum(coalesce(l.paid, 0))
ORDER BY 3, 1, 2
"""

_COUNTS_SQL = """
SELECT (SELECT count(*) FROM vouchers_grant WHERE {grants}),
       (SELECT count(*) FROM vouchers_cycle WHERE {cycles}),
       (SELECT count(*) FROM services_servicerecord WHERE {records})
"""


def _scope(column: str, station_ids) -> str:
    if station_ids is None:
        return "TRUE"
    return f"{column} = ANY(%(stations)s)"


def _month(value: datetime.date) -> str:
    return f"{value:%Y-%m}"


def reconcile(*, station_ids: list[int] | None = None) -> Reconciliation:
    """Every disagreement between the money tables (read-only, five statements).

    Runs in one REPEATABLE READ transaction so that the checks see one moment
    even while services are being recorded.
    """
    started = time.monotonic()
    result = Reconciliation()
    found = result.disagreements
    params = {"stations": station_ids, "tz": settings.TIME_ZONE}
    outermost = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if outermost:  # inside a caller's transaction, that one's snapshot holds
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        cursor.execute(
            _COUNTS_SQL.format(
                grants=_scope("station_id", station_ids),
                cycles=_scope("station_id", station_ids),
                records=_scope("station_id", station_ids),
            ),
            params,
        )
        grants, cycles, records = cursor.fetchone()
        result.checked = {"grants": grants, "cycles": cycles, "records": records}

        cursor.execute(
            _GRANT_PROBLEMS_SQL.format(scope=_scope("g.station_id", station_ids)),
            params,
        )
        for gid, code, elder, month, amount, left, total, granted, n in cursor:
            if n != 1:
                detail = f"{n} grant entries instead of 1"
            elif granted != amount:
                detail = f"amount {amount} but its grant entry is {granted}"
            else:
                detail = f"remaining {left} but its ledger entries add up to {total}"
            found.append(
                Disagreement(
                    "grant",
                    code,
                    f"grant {gid} (elder {elder}, {_month(month)})",
                    detail,
                )
            )

        cursor.execute(
            _ENTRY_PROBLEMS_SQL.format(scope=_scope("g.station_id", station_ids)),
            params,
        )
        for eid, code, gid, kind, amount in cursor:
            found.append(
                Disagreement(
                    "entry",
                    code,
                    f"ledger entry {eid} ({kind} {amount})",
                    f"its elder, station or month is not those of grant {gid}",
                )
            )

        cursor.execute(
            _CYCLE_PROBLEMS_SQL.format(scope=_scope("c.station_id", station_ids)),
            params,
        )
        for row in cursor:
            cid, code, month, n, free, low, total, gn, gfree, glow, gtotal, bad = row
            details = []
            if (n, free, low) != (gn, gfree, glow):
                details.append(
                    f"shows {n} grants ({free} free, {low} low-cost), "
                    f"has {gn} ({gfree} free, {glow} low-cost)"
                )
            if total != gtotal:
                details.append(f"shows ¥{total}, its grants add up to ¥{gtotal}")
            if bad:
                details.append(f"{bad} grants of another station or month")
            found.append(
                Disagreement(
                    "cycle",
                    code,
                    f"cycle {cid} ({_month(month)})",
                    "; ".join(details),
                )
            )

        cursor.execute(
            _RECORDS_SQL.format(scope=_scope("r.station_id", station_ids)), params
        )
        for row in cursor:
            rid, code, _provider, month, cancelled, _awaiting = row[:6]
            voucher, own, amount, ledger_paid = row[6:]
            if cancelled and ledger_paid != 0:
                detail = f"cancelled, yet the ledger still holds ¥{ledger_paid} of it"
            elif voucher != ledger_paid:
                detail = (
                    f"paid ¥{voucher} by vouchers, the ledger redeemed ¥{ledger_paid}"
                )
            else:
                detail = f"¥{voucher} + ¥{own} is not its amount ¥{amount}"
            found.append(
                Disagreement(
                    "record",
                    code,
                    f"service record {rid} ({_month(month)})",
                    detail,
                )
            )

        cursor.execute(
            _STATEMENTS_SQL.format(scope=_scope("r.station_id", station_ids)),
            params,
        )
        for code, provider, month, stated, redeemed in cursor:
            found.append(
                Disagreement(
                    "statement",
                    code,
                    f"provider {provider} statement {_month(month)}",
                    f"records say ¥{stated} paid by vouchers, the ledger ¥{redeemed}",
                )
            )
    result.seconds = time.monotonic() - started
    return result


def reconcile_and_record(*, station=None) -> tuple[Reconciliation, ReconciliationRun]:
    """Reconcile and keep the outcome for the administrator's home page."""
    started_at = timezone.now()
    result = reconcile(station_ids=[station.pk] if station is not None else None)
    run = ReconciliationRun.objects.create(
        station=station,
        started_at=started_at,
        finished_at=timezone.now(),
        checked=result.checked,
        disagreement_count=len(result.disagreements),
        disagreements=[
            {
                "check": d.check,
                "station": d.station,
                "subject": d.subject,
                "detail": d.detail,
            }
            for d in result.disagreements[:KEPT]
        ],
    )
    return result, run
