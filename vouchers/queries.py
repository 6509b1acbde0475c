"""Reads of the vouchers pages, API and exports: every one scoped through
``carecenter.scoping`` and costing a fixed number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from carecenter.home import Alert, count_by_station, home_alert, home_counter
from carecenter.scoping import get_visible_or_404, report_stations, visible_to
from elders.models import Elder
from services.models import Provider, ServiceRecord
from services.queries import month_bounds
from vouchers import ledger
from vouchers.models import (
    ZERO,
    Cycle,
    CycleStatus,
    EntryKind,
    Grant,
    IssuanceRun,
    LedgerEntry,
    ReconciliationRun,
    StationBudget,
    add_months,
)

# --- Cycles ---------------------------------------------------------------------------


def cycle_list(*, user, month=None, station=None) -> QuerySet[Cycle]:
    cycles = visible_to(user, Cycle.objects.select_related("station", "approved_by"))
    if month is not None:
        cycles = cycles.filter(month=month)
    if station is not None:
        cycles = cycles.filter(station=station)
    return cycles.order_by("-month", "station__code")


def cycle_detail(*, user, pk: int) -> Cycle:
    return get_visible_or_404(
        user,
        Cycle.objects.select_related("station", "approved_by", "policy"),
        pk=pk,
    )


def cycle_grants(cycle: Cycle, *, tier: str = "") -> QuerySet[Grant]:
    grants = Grant.objects.filter(cycle=cycle).select_related("elder")
    if tier:
        grants = grants.filter(tier=tier)
    return grants.order_by("elder__name", "elder_id")


def cycle_runs(cycle: Cycle) -> QuerySet[IssuanceRun]:
    return cycle.runs.select_related("started_by").order_by("-started_at", "-pk")


@dataclass
class Change:
    elder_id: int
    name: str
    kind: str  # added, removed, changed
    tier: str
    previous_tier: str


_CHANGE_ROWS_SQL = """
SELECT coalesce(cur.elder_id, prev.elder_id), e.name, cur.tier, prev.tier
FROM (SELECT elder_id, tier FROM vouchers_grant
      WHERE station_id = %s AND month = %s) cur
FULL JOIN (SELECT elder_id, tier FROM vouchers_grant
           WHERE station_id = %s AND month = %s) prev
  ON cur.elder_id = prev.elder_id
JOIN elders_elder e ON e.id = coalesce(cur.elder_id, prev.elder_id)
WHERE cur.elder_id IS NULL OR prev.elder_id IS NULL OR cur.tier <> prev.tier
ORDER BY e.name, e.id
LIMIT %s
"""


def cycle_changes(cycle: Cycle, *, limit: int = 500) -> list[Change]:
    """Elders added, removed or with another tier against last month (one query)."""
    previous = add_months(cycle.month, -1)
    with connection.cursor() as cursor:
        cursor.execute(
            _CHANGE_ROWS_SQL,
            [cycle.station_id, cycle.month, cycle.station_id, previous, limit],
        )
        rows = cursor.fetchall()
    changes = []
    for elder_id, name, tier, previous_tier in rows:
        kind = (
            "added"
            if previous_tier is None
            else "removed"
            if tier is None
            else ("changed")
        )
        changes.append(Change(elder_id, name, kind, tier or "", previous_tier or ""))
    return changes


@home_counter(
    "cycles_to_approve",
    _("Voucher cycles awaiting approval"),
    url_name="vouchers:cycles",
    warn=True,
    waiting=True,
)
def cycles_to_approve_counts(stations: QuerySet) -> dict[int, int]:
    return count_by_station(
        Cycle.objects.filter(station__in=stations, status=CycleStatus.DRAFT)
    )


# --- Grants (API) ---------------------------------------------------------------------


def grant_list(*, user, month: datetime.date | None = None) -> QuerySet[Grant]:
    grants = visible_to(user, Grant.objects.select_related("elder"))
    if month is not None:
        grants = grants.filter(month=month)
    return grants.order_by("-month", "elder_id")


# --- One elder's vouchers -------------------------------------------------------------


@dataclass
class ElderVouchers:
    elder: Elder
    balance: Decimal
    spendable: Decimal
    grants: list[Grant]


def elder_vouchers(*, user, elder_pk: int, on: datetime.date) -> ElderVouchers:
    elder = get_visible_or_404(
        user, Elder.objects.select_related("station"), pk=elder_pk
    )
    grants = list(
        Grant.objects.filter(elder=elder)
        .select_related("cycle")
        .order_by("-month")[:24]
    )
    return ElderVouchers(
        elder=elder,
        balance=ledger.balance(elder.pk),
        spendable=ledger.spendable(elder.pk, on),
        grants=grants,
    )


def elder_entries(elder: Elder) -> QuerySet[LedgerEntry]:
    return (
        LedgerEntry.objects.filter(elder=elder)
        .select_related("actor", "service_record__service_type")
        .order_by("-created_at", "-pk")
    )


# --- The station's monthly report -----------------------------------------------------


@dataclass
class ReportRow:
    station: object
    granted: Decimal = ZERO
    grants: int = 0
    redeemed: Decimal = ZERO
    reversed: Decimal = ZERO
    expired: Decimal = ZERO
    budget: Decimal | None = None
    year_to_date: Decimal = ZERO

    @property
    def net_redeemed(self) -> Decimal:
        return self.redeemed - self.reversed

    @property
    def outstanding(self) -> Decimal:
        return self.granted - self.net_redeemed - self.expired

    @property
    def budget_used_percent(self) -> int | None:
        if not self.budget:
            return None
        return round(self.year_to_date * 100 / self.budget)


@dataclass
class MonthlyReport:
    month: datetime.date
    rows: list[ReportRow] = field(default_factory=list)

    def total(self, name: str) -> Decimal:
        return sum((getattr(r, name) or ZERO for r in self.rows), ZERO)

    @property
    def totals(self) -> dict:
        names = ["granted", "grants", "net_redeemed", "expired", "outstanding"]
        names += ["budget", "year_to_date"]
        return {name: self.total(name) for name in names}


def monthly_report(*, user, month: datetime.date, station=None) -> MonthlyReport:
    """Per station: the month's vouchers issued, redeemed, expired, and the year's
    issuance against the budget. Three queries, however many stations."""
    stations = report_stations(user).filter(is_active=True).order_by("code")
    if station is not None:
        stations = stations.filter(pk=station.pk)
    rows = {s.pk: ReportRow(station=s) for s in stations}
    sums = (
        LedgerEntry.objects.filter(station__in=rows, month=month)
        .values("station_id", "kind")
        .annotate(total=Sum("amount"), n=Count("pk"))
        .order_by()
    )
    for item in sums:
        row = rows[item["station_id"]]
        total = item["total"]
        if item["kind"] == EntryKind.GRANT:
            row.granted, row.grants = total, item["n"]
        elif item["kind"] == EntryKind.REDEMPTION:
            row.redeemed = -total
        elif item["kind"] == EntryKind.REVERSAL:
            row.reversed = total
        else:
            row.expired = -total
    year_start = month.replace(month=1)
    for station_id, total in (
        LedgerEntry.objects.filter(
            station__in=rows,
            kind=EntryKind.GRANT,
            month__gte=year_start,
            month__lte=month,
        )
        .values("station_id")
        .annotate(total=Sum("amount"))
        .values_list("station_id", "total")
        .order_by()
    ):
        rows[station_id].year_to_date = total
    for station_id, amount in StationBudget.objects.filter(
        station__in=rows, year=month.year
    ).values_list("station_id", "amount"):
        rows[station_id].budget = amount
    return MonthlyReport(month=month, rows=list(rows.values()))


# --- Provider statements --------------------------------------------------------------


@dataclass
class StatementLine:
    provider: Provider
    records: int
    voucher_paid: Decimal
    self_paid: Decimal

    @property
    def total(self) -> Decimal:
        return self.voucher_paid + self.self_paid


def _statement_records(user, month: datetime.date) -> QuerySet[ServiceRecord]:
    start, end = month_bounds(month)
    return visible_to(user, ServiceRecord.objects.all()).filter(
        provider__isnull=False,
        cancelled_at__isnull=True,
        delivered_at__gte=start,
        delivered_at__lt=end,
    )


def provider_statements(*, user, month: datetime.date, station=None) -> list:
    """Per provider: the month's services paid by vouchers (what the government owes
    under the purchase agreement) and by the elders. Two queries."""
    records = _statement_records(user, month)
    if station is not None:
        records = records.filter(station=station)
    sums = list(
        records.values("provider_id")
        .annotate(
            n=Count("pk"),
            vouchers=Coalesce(Sum("voucher_paid"), ZERO),
            own=Coalesce(Sum("self_paid"), ZERO),
        )
        .filter(Q(vouchers__gt=0))
        .order_by()
    )
    providers = Provider.objects.select_related("station").in_bulk(
        [s["provider_id"] for s in sums]
    )
    lines = [
        StatementLine(providers[s["provider_id"]], s["n"], s["vouchers"], s["own"])
        for s in sums
    ]
    return sorted(
        lines, key=lambda line: (line.provider.station.code, line.provider.name)
    )


@dataclass
class StatementTotals:
    """How the statements add up to the monthly report (PRODUCT.md "Vouchers"):
    the providers' voucher-paid services, plus those the station's own staff and
    volunteers delivered (no provider, so on no provider's statement), against
    the report's vouchers redeemed net of reversals."""

    providers: Decimal
    station_records: int
    station_vouchers: Decimal
    station_own: Decimal
    report_redeemed: Decimal

    @property
    def total(self) -> Decimal:
        return self.providers + self.station_vouchers

    @property
    def difference(self) -> Decimal:
        return self.report_redeemed - self.total


def statement_totals(
    *, user, month: datetime.date, lines: list, station=None
) -> StatementTotals:
    """Two queries: the station-delivered services, the report's redemptions."""
    start, end = month_bounds(month)
    records = visible_to(user, ServiceRecord.objects.all()).filter(
        provider__isnull=True,
        cancelled_at__isnull=True,
        delivered_at__gte=start,
        delivered_at__lt=end,
        voucher_paid__gt=0,
    )
    if station is not None:
        records = records.filter(station=station)
    own = records.aggregate(
        n=Count("pk"),
        vouchers=Coalesce(Sum("voucher_paid"), ZERO),
        own=Coalesce(Sum("self_paid"), ZERO),
    )
    report = monthly_report(user=user, month=month, station=station)
    return StatementTotals(
        providers=sum((line.voucher_paid for line in lines), ZERO),
        station_records=own["n"],
        station_vouchers=own["vouchers"],
        station_own=own["own"],
        report_redeemed=report.total("net_redeemed"),
    )


@dataclass
class Statement:
    provider: Provider
    month: datetime.date
    records: list[ServiceRecord]

    @property
    def voucher_paid(self) -> Decimal:
        return sum((r.voucher_paid for r in self.records), ZERO)

    @property
    def self_paid(self) -> Decimal:
        return sum((r.self_paid for r in self.records), ZERO)


def provider_statement(*, user, provider_pk: int, month: datetime.date) -> Statement:
    """One provider's statement: every voucher-paid service of the month."""
    provider = get_visible_or_404(
        user, Provider.objects.select_related("station"), pk=provider_pk
    )
    records = list(
        _statement_records(user, month)
        .filter(provider=provider, voucher_paid__gt=0)
        .select_related("elder", "service_type")
        .order_by("delivered_at", "pk")
    )
    return Statement(provider=provider, month=month, records=records)


# --- Reconciliation (administrators) --------------------------------------------------


def reconciliation_runs(*, limit: int = 30) -> list[ReconciliationRun]:
    return list(ReconciliationRun.objects.select_related("station")[:limit])


@home_alert
def reconciliation_alert() -> list[Alert]:
    """The latest reconciliation of every station, when it found a disagreement."""
    latest = ReconciliationRun.objects.filter(station__isnull=True).first()
    if latest is None or latest.ok:
        return []
    return [
        Alert(
            gettext(
                "The voucher reconciliation of %(at)s found %(n)d disagreements "
                "between the money tables. See which, and tell the station."
            )
            % {
                "at": timezone.localtime(latest.started_at).strftime("%Y-%m-%d %H:%M"),
                "n": latest.disagreement_count,
            },
            reverse("vouchers:reconciliation"),
        )
    ]
