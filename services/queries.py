"""Reads of the services app, always from the user's scope, with their joins."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Avg, Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carecenter.home import count_by_station, home_counter
from carecenter.home_counts import KeptCount, declare, kept_counts
from carecenter.models import Station
from carecenter.scoping import get_visible_or_404, report_stations, visible_to
from elders.eligibility import annotate_tier
from elders.models import Elder, Status, Tier
from services.models import (
    AgreementPrice,
    AgreementStatus,
    Feedback,
    Provider,
    ReturnVisit,
    ServiceAgreement,
    ServiceRecord,
    ServiceType,
)
from volunteers.models import Pairing, Visit

#: Agreements ending within this many days are flagged on the station's home page.
EXPIRY_WARNING_DAYS = 30


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The aware start of ``month`` (a date in it) and of the next month."""
    first = month.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    tz = timezone.get_current_timezone()
    return (
        datetime.datetime.combine(first, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(following, datetime.time.min, tzinfo=tz),
    )


# --- Catalogue, providers and agreements ---------------------------------------------


def service_types(*, active_only: bool = True) -> QuerySet[ServiceType]:
    """The catalogue: the same for every station (no station data in it)."""
    queryset = ServiceType.objects.order_by("pk")
    return queryset.filter(active=True) if active_only else queryset


def provider_list(*, user) -> QuerySet[Provider]:
    return visible_to(user, Provider.objects.select_related("station")).order_by(
        "name", "pk"
    )


def provider_detail(*, user, pk: int) -> Provider:
    return get_visible_or_404(user, Provider.objects.select_related("station"), pk=pk)


def _agreements(queryset) -> QuerySet[ServiceAgreement]:
    return queryset.select_related("provider", "station").prefetch_related(
        Prefetch(
            "prices",
            queryset=AgreementPrice.objects.select_related("service_type").order_by(
                "service_type_id"
            ),
        )
    )


def agreement_list(*, user, provider: Provider | None = None) -> QuerySet:
    queryset = visible_to(user, ServiceAgreement.objects.all())
    if provider is not None:
        queryset = queryset.filter(provider=provider)
    return _agreements(queryset).order_by("-starts_on", "-pk")


def agreement_detail(*, user, pk: int) -> ServiceAgreement:
    return get_visible_or_404(user, _agreements(ServiceAgreement.objects.all()), pk=pk)


# --- Service records -----------------------------------------------------------------


def _records(queryset) -> QuerySet[ServiceRecord]:
    return queryset.select_related(
        "elder",
        "station",
        "service_type",
        "provider",
        "volunteer",
        "staff",
        "feedback",
    )


def record_list(
    *,
    user,
    month: datetime.date | None = None,
    service_type: ServiceType | None = None,
    state: str = "",
    q: str = "",
    elder: int | None = None,
) -> QuerySet[ServiceRecord]:
    """The records the user may see, newest first, narrowed by the filters."""
    queryset = visible_to(user, ServiceRecord.objects.all())
    if elder is not None:
        queryset = queryset.filter(elder_id=elder)
    if month is not None:
        start, end = month_bounds(month)
        queryset = queryset.filter(delivered_at__gte=start, delivered_at__lt=end)
    if service_type is not None:
        queryset = queryset.filter(service_type=service_type)
    if state == "cancelled":
        queryset = queryset.filter(cancelled_at__isnull=False)
    elif state == "no_feedback":
        queryset = queryset.filter(has_feedback=False, cancelled_at__isnull=True)
    elif state == "delivered":
        queryset = queryset.filter(cancelled_at__isnull=True)
    elif state == "to_confirm":
        queryset = queryset.filter(AWAITING_CONFIRMATION)
    if q.strip():
        queryset = queryset.filter(elder__name__contains=q.strip())
    return _records(queryset).order_by("-delivered_at", "-pk")


def record_detail(*, user, pk: int) -> ServiceRecord:
    queryset = _records(
        ServiceRecord.objects.select_related(
            "agreement",
            "recorded_by",
            "cancelled_by",
            "confirmed_by",
            "station__district",
            "feedback__recorded_by",
        )
    ).prefetch_related(
        Prefetch(
            "return_visits",
            queryset=ReturnVisit.objects.select_related("visited_by").order_by(
                "-visited_at", "-pk"
            ),
        )
    )
    return get_visible_or_404(user, queryset, pk=pk)


def records_lacking_feedback(*, user) -> QuerySet[ServiceRecord]:
    """Delivered services without their feedback form, the oldest first.

    Reads the partial index ``service_record_no_feedback``.
    """
    queryset = visible_to(
        user,
        ServiceRecord.objects.filter(has_feedback=False, cancelled_at__isnull=True),
    )
    return _records(queryset).order_by("delivered_at", "pk")


#: Volunteers' visits are asked about within this many days; older ones are
#: past asking and leave the list.
VISIT_FEEDBACK_DAYS = 60


def visits_lacking_feedback(*, user) -> QuerySet[Visit]:
    """Volunteers' visits of the last ``VISIT_FEEDBACK_DAYS`` days without their
    feedback form, the oldest first (an anti-join on the one-to-one's index)."""
    since = timezone.now() - datetime.timedelta(days=VISIT_FEEDBACK_DAYS)
    return visible_to(
        user,
        Visit.objects.filter(started_at__gte=since, feedback__isnull=True)
        .select_related("elder", "volunteer", "station")
        .order_by("started_at", "pk"),
    )


@dataclass
class Coverage:
    station: Station
    delivered: int
    with_feedback: int
    satisfaction: Decimal | None

    @property
    def percent(self) -> int | None:
        if not self.delivered:
            return None
        return round(100 * self.with_feedback / self.delivered)


def feedback_coverage(*, user, month: datetime.date) -> list[Coverage]:
    """Per station: services delivered in ``month``, how many have feedback, and the
    mean satisfaction (one grouped query, plus one for the stations)."""
    stations = list(report_stations(user).order_by("code"))
    start, end = month_bounds(month)
    rows = (
        ServiceRecord.objects.filter(
            station__in=[s.pk for s in stations],
            delivered_at__gte=start,
            delivered_at__lt=end,
            cancelled_at__isnull=True,
        )
        .order_by()
        .values("station")
        .annotate(
            delivered=Count("pk"),
            with_feedback=Count("pk", filter=Q(has_feedback=True)),
            satisfaction=Avg("feedback__satisfaction"),
        )
    )
    figures = {row["station"]: row for row in rows}
    result = []
    for station in stations:
        row = figures.get(station.pk, {})
        mean = row.get("satisfaction")
        result.append(
            Coverage(
                station=station,
                delivered=row.get("delivered", 0),
                with_feedback=row.get("with_feedback", 0),
                satisfaction=Decimal(mean).quantize(Decimal("0.1"))
                if mean is not None
                else None,
            )
        )
    return result


def feedback_for(*, user, record_pk: int) -> Feedback:
    return get_visible_or_404(
        user, Feedback.objects.select_related("record"), record_id=record_pk
    )


# --- The public notice (公示) ---------------------------------------------------------


def mask_name(name: str) -> str:
    """王*明: the first and last characters kept, the middle masked; 王* for two."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


@dataclass
class NoticeRow:
    elder_name: str
    volunteer_name: str
    services: list[str]
    schedule: str
    tier: str
    tier_label: str


#: Rows that fit one A4 page in the regular type; longer lists print smaller, up
#: to ``NOTICE_MAX_ROWS`` (measured with Chromium: test_browser.py).
NOTICE_REGULAR_ROWS = 34
NOTICE_MAX_ROWS = 55


@dataclass
class PublicNotice:
    station: Station
    on: datetime.date
    rows: list[NoticeRow]
    charging_methods: list[tuple[str, str]]

    @property
    def dense(self) -> bool:
        return len(self.rows) > NOTICE_REGULAR_ROWS

    @property
    def too_long(self) -> bool:
        return len(self.rows) > NOTICE_MAX_ROWS


def notice_stations(*, user) -> QuerySet[Station]:
    return report_stations(user).filter(is_active=True).order_by("code")


def public_notice(*, user, station_pk: int) -> PublicNotice:
    """The station's paired service objects with masked names (PRODUCT.md "Public
    notice"): their services, service hours and charging method (the tier)."""
    station = get_visible_or_404(user, notice_stations(user=user), pk=station_pk)
    on = timezone.localdate()
    pairings = list(
        Pairing.objects.filter(
            station=station,
            active=True,
            approved_at__isnull=False,
            elder__status=Status.ACTIVE,
        )
        .select_related("volunteer")
        .order_by("elder_id", "pk")
    )
    elders = {
        pk: (name, tier)
        for pk, name, tier in annotate_tier(
            Elder.objects.filter(pk__in={p.elder_id for p in pairings}), on=on
        ).values_list("pk", "name", "tier")
    }
    service_labels = {t.code: t.name for t in ServiceType.objects.all()}
    rows = [
        NoticeRow(
            elder_name=mask_name(elders[p.elder_id][0]),
            volunteer_name=p.volunteer.name,
            services=[service_labels.get(s, s) for s in p.services],
            schedule=p.schedule,
            tier=elders[p.elder_id][1],
            tier_label=Tier(elders[p.elder_id][1]).label,
        )
        for p in pairings
        if p.elder_id in elders
    ]
    return PublicNotice(
        station=station,
        on=on,
        rows=rows,
        charging_methods=[
            (Tier.FREE, _("Free (无偿)")),
            (Tier.LOW_COST, _("Low-cost (低偿)")),
            (Tier.PAID, _("Paid (有偿)")),
        ],
    )


# --- Home page counters ------------------------------------------------------------


@home_counter(
    "agreements_expiring",
    _("Agreements expiring within 30 days"),
    url_name="services:agreements",
    warn=True,
)
def agreements_expiring_counts(stations: QuerySet) -> dict[int, int]:
    today = timezone.localdate()
    return count_by_station(
        ServiceAgreement.objects.filter(
            station__in=stations,
            status=AgreementStatus.ACTIVE,
            ends_on__gte=today,
            ends_on__lte=today + datetime.timedelta(days=EXPIRY_WARNING_DAYS),
        )
    )


#: Recorded late and waiting for the manager (index ``service_record_to_confirm``).
AWAITING_CONFIRMATION = Q(
    needs_confirmation=True, confirmed_at__isnull=True, cancelled_at__isnull=True
)


def records_to_confirm(*, user) -> QuerySet[ServiceRecord]:
    """Services recorded late that wait for the manager, oldest first."""
    return _records(
        visible_to(user, ServiceRecord.objects.filter(AWAITING_CONFIRMATION))
    ).order_by("delivered_at", "pk")


@home_counter(
    "records_to_confirm",
    _("Late services to confirm"),
    url_name="services:records-to-confirm",
    warn=True,
)
def records_to_confirm_counts(stations: QuerySet) -> dict[int, int]:
    return count_by_station(
        ServiceRecord.objects.filter(AWAITING_CONFIRMATION, station__in=stations)
    )


#: Kept by triggers (migration 0004, same values).
LACKING_FEEDBACK = declare(
    KeptCount(
        key="records_lacking_feedback",
        table="services_servicerecord",
        station="station_id",
        condition="NOT has_feedback AND cancelled_at IS NULL",
    )
)


@home_counter(
    "records_lacking_feedback",
    _("Services lacking feedback"),
    url_name="services:feedback-pending",
    warn=True,
)
def records_lacking_feedback_counts(stations: QuerySet) -> dict[int, int]:
    """Read from the kept count, not counted over every record on each load."""
    return kept_counts(stations, LACKING_FEEDBACK.key)


def month_totals(*, user, month: datetime.date) -> dict:
    """Services delivered in ``month`` in the user's scope: count, minutes, amount."""
    start, end = month_bounds(month)
    return visible_to(
        user,
        ServiceRecord.objects.filter(
            delivered_at__gte=start, delivered_at__lt=end, cancelled_at__isnull=True
        ),
    ).aggregate(
        count=Count("pk"),
        minutes=Sum("duration_minutes"),
        self_paid=Sum("self_paid"),
        voucher_paid=Sum("voucher_paid"),
    )
