"""Every write of the services app: validated, transactional, audited.

Pages, the API, admin and ``seed_demo`` call these functions and nothing else.
Each takes the acting user, checks the station with ``require_write`` (404
outside scope, 403 for read-only roles), validates, writes, and leaves the audit
trail (pghistory triggers with the actor and reason attached).
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecenter.audit import audit_context, register_reasons
from carecenter.catalogue import DAY_SHEET_KINDS
from carecenter.models import District, Station, User
from carecenter.scoping import can_write, require_write, scope_of, visible_to
from elders.models import Elder, Status
from services import payment
from services.models import (
    AgreementPrice,
    AgreementStatus,
    Feedback,
    Provider,
    ReturnVisit,
    ReturnVisitOutcome,
    ServiceAgreement,
    ServiceRecord,
    ServiceType,
    VisitFeedback,
)
from services.scans import check_scan
from volunteers.models import Visit, VolunteerStatus
from volunteers.qualifications import missing_certificates

register_reasons(
    {
        "services.agreement_saved": gettext_lazy("agreement saved"),
        "services.feedback_recorded": gettext_lazy("feedback recorded"),
        "services.provider_saved": gettext_lazy("provider saved"),
        "services.return_visit": gettext_lazy("return visit"),
        "services.visit_feedback_recorded": gettext_lazy(
            "feedback on a visit recorded"
        ),
        "services.return_visit_resolved": gettext_lazy(
            "follow-up of a return visit resolved"
        ),
        "services.service_recorded": gettext_lazy("service recorded"),
        "services.late_service_confirmed": gettext_lazy("late service confirmed"),
        "services.record_cancelled": gettext_lazy("service cancelled: %(note)s"),
    }
)

PROVIDER_FIELDS = [
    "name",
    "kind",
    "licence",
    "licence_expires_on",
    "contact_name",
    "contact_phone",
    "address",
    "notes",
    "active",
]
AGREEMENT_FIELDS = [
    "provider",
    "number",
    "starts_on",
    "ends_on",
    "charging_method",
    "status",
    "notes",
]
FEEDBACK_FIELDS = [
    "satisfaction",
    "punctual",
    "attitude",
    "quality",
    "comment",
    "channel",
]


def _apply(obj, data: dict, allowed: list[str]) -> None:
    unknown = set(data) - set(allowed)
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    for name, value in data.items():
        setattr(obj, name, value)


# --- Providers -----------------------------------------------------------------------


@transaction.atomic
def provider_save(
    *, actor: User, station: Station, data: dict, provider: Provider | None = None
) -> Provider:
    """Register a provider at the station, or change one."""
    require_write(actor, station)
    if provider is not None and provider.station_id != station.pk:
        raise ValidationError(_("This provider belongs to another station."))
    provider = provider or Provider(station=station)
    _apply(provider, data, PROVIDER_FIELDS)
    provider.full_clean(exclude=["station"])
    with audit_context(user=actor, reason="services.provider_saved"):
        provider.save()
    return provider


# --- Agreements ----------------------------------------------------------------------


def agreement_in_force(
    *, station_id: int, provider_id: int, service_type_id: int, day: datetime.date
) -> AgreementPrice | None:
    """The agreed price of the agreement in force on ``day`` covering the service.

    When agreements overlap, the one that started last wins.
    """
    return (
        AgreementPrice.objects.select_related("agreement")
        .filter(
            agreement__station_id=station_id,
            agreement__provider_id=provider_id,
            agreement__status=AgreementStatus.ACTIVE,
            agreement__starts_on__lte=day,
            agreement__ends_on__gte=day,
            service_type_id=service_type_id,
        )
        .order_by("-agreement__starts_on", "-agreement_id")
        .first()
    )


@transaction.atomic
def agreement_save(
    *,
    actor: User,
    station: Station,
    data: dict,
    prices: dict[ServiceType, Decimal],
    scan=None,
    agreement: ServiceAgreement | None = None,
) -> ServiceAgreement:
    """Sign (record) an agreement or change one: its services with agreed prices.

    ``prices`` maps every covered service type to its agreed price. ``scan`` is
    an uploaded file (PDF, JPEG or PNG, at most 10 MB) or ``None`` to keep the
    current one.
    """
    require_write(actor, station)
    if agreement is not None:
        if agreement.station_id != station.pk:
            raise ValidationError(_("This agreement belongs to another station."))
        agreement = ServiceAgreement.objects.select_for_update().get(pk=agreement.pk)
    agreement = agreement or ServiceAgreement(station=station, created_by=actor)
    _apply(agreement, data, AGREEMENT_FIELDS)
    errors: dict[str, list] = {}
    provider = agreement.provider if agreement.provider_id else None
    if provider is None:
        errors["provider"] = [_("Choose the provider.")]
    elif provider.station_id != station.pk:
        errors["provider"] = [_("Choose a provider of this station.")]
    if not prices:
        errors["prices"] = [_("An agreement covers at least one service.")]
    for service_type, price in prices.items():
        if price is None or Decimal(price) < 0:
            errors.setdefault("prices", []).append(
                _("The price of %(service)s cannot be negative.")
                % {"service": service_type}
            )
    content_type = None
    if scan is not None:
        try:
            content_type = check_scan(scan)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    try:
        agreement.full_clean(exclude=["station", "provider", "scan", "created_by"])
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    with audit_context(user=actor, reason="services.agreement_saved"):
        if scan is not None:
            agreement.scan.save(scan.name, scan, save=False)
            agreement.scan_content_type = content_type
        agreement.save()
        agreement.prices.exclude(service_type__in=list(prices)).delete()
        for service_type, price in prices.items():
            AgreementPrice.objects.update_or_create(
                agreement=agreement,
                service_type=service_type,
                defaults={"price": Decimal(price).quantize(Decimal("0.01"))},
            )
    return agreement


# --- Service records -----------------------------------------------------------------


def _deliverer_errors(
    *, station: Station, provider, volunteer, staff: User | None
) -> dict[str, list]:
    given = [d for d in (provider, volunteer, staff) if d is not None]
    if len(given) != 1:
        return {
            "__all__": [
                _(
                    "A service is delivered by exactly one provider, volunteer or "
                    "staff member."
                )
            ]
        }
    if provider is not None and (provider.station_id != station.pk):
        return {"provider": [_("Choose a provider of this station.")]}
    if provider is not None and not provider.active:
        return {"provider": [_("This provider is no longer active.")]}
    if volunteer is not None and volunteer.station_id != station.pk:
        return {"volunteer": [_("Choose a volunteer of this station.")]}
    if volunteer is not None and volunteer.status != VolunteerStatus.ACTIVE:
        return {"volunteer": [_("This volunteer is not active.")]}
    if staff is not None and station.pk not in scope_of(staff).work_station_ids:
        return {"staff": [_("Choose a staff member of this station.")]}
    return {}


@transaction.atomic
def service_record_create(
    *,
    actor: User,
    elder: Elder,
    service_type: ServiceType,
    delivered_at: datetime.datetime,
    duration_minutes: int,
    quantity: Decimal = Decimal("1"),
    price: Decimal | None = None,
    provider: Provider | None = None,
    volunteer=None,
    staff: User | None = None,
    notes: str = "",
    client_id: uuid.UUID | None = None,
) -> ServiceRecord:
    """Record one delivered service (PRODUCT.md "Services").

    Refused: a time in the future, an elder who is not active or not visible to
    the actor, more or fewer than one deliverer, and a provider's service not
    covered by an agreement in force on the day. The price defaults to the
    agreed price, else the catalogue's; ``payment.pay`` spends the elder's vouchers
    first and the elder pays the rest. A daily service (``DAY_SHEET_KINDS``) is
    recorded once per elder and day (``service_record_once_a_day``).
    """
    station = elder.station
    require_write(actor, station)
    errors: dict[str, list] = {}
    if not visible_to(actor, Elder.objects.filter(pk=elder.pk)).exists():
        errors["elder"] = [_("Choose an elder of your station.")]
    elif elder.status != Status.ACTIVE:
        errors["elder"] = [
            _("Services are recorded only for active elders (this one is %(s)s).")
            % {"s": elder.get_status_display()}
        ]
    if delivered_at is not None and timezone.is_naive(delivered_at):
        delivered_at = timezone.make_aware(delivered_at)
    if delivered_at is None:
        errors["delivered_at"] = [_("Give the time of the service.")]
    elif delivered_at > timezone.now():
        errors["delivered_at"] = [_("The service cannot be in the future.")]
    if not service_type.active:
        errors["service_type"] = [_("This service is no longer offered.")]
    errors.update(
        _deliverer_errors(
            station=station, provider=provider, volunteer=volunteer, staff=staff
        )
    )
    if volunteer is not None and not errors.get("volunteer") and delivered_at:
        # One rule for who may do a professional service: volunteers' own module.
        if missing_certificates(
            volunteer,
            [service_type.code],
            on=timezone.localtime(delivered_at).date(),
        ):
            errors["volunteer"] = [
                _("This volunteer holds no valid certificate for %(service)s.")
                % {"service": service_type}
            ]
    agreed = None
    if provider is not None and not errors.get("provider") and delivered_at:
        agreed = agreement_in_force(
            station_id=station.pk,
            provider_id=provider.pk,
            service_type_id=service_type.pk,
            day=timezone.localtime(delivered_at).date(),
        )
        if agreed is None:
            errors["service_type"] = [
                _(
                    "No agreement in force on that day covers this service by "
                    "%(provider)s."
                )
                % {"provider": provider}
            ]
    if price is None:
        price = agreed.price if agreed is not None else service_type.default_price
    if price is not None and quantity is not None:
        errors.update(payment.amount_errors(price, quantity))
    record = ServiceRecord(
        station=station,
        elder=elder,
        service_type=service_type,
        provider=provider,
        volunteer=volunteer,
        staff=staff,
        agreement=agreed.agreement if agreed is not None else None,
        delivered_at=delivered_at,
        duration_minutes=duration_minutes,
        quantity=quantity,
        price=price,
        notes=notes,
        recorded_by=actor,
    )
    try:
        record.full_clean(
            exclude=[
                "station",
                "elder",
                "service_type",
                "provider",
                "staff",
                "agreement",
                "recorded_by",
                "volunteer",
            ],
            validate_constraints=False,
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if record.quantity is not None and record.quantity <= 0:
        errors.setdefault("quantity", []).append(_("The quantity must be positive."))
    if service_type.code in DAY_SHEET_KINDS and delivered_at is not None:
        record.service_day = timezone.localtime(delivered_at).date()
        if not errors and _recorded_that_day(record):
            errors["elder"] = [_once_a_day_message(record)]
    record.client_id = client_id
    if record.duration_minutes is not None and record.duration_minutes < 1:
        errors.setdefault("duration_minutes", []).append(
            _("The duration must be at least one minute.")
        )
    if errors:
        raise ValidationError(errors)
    record.needs_confirmation = recorded_late(station, delivered_at)
    if record.needs_confirmation and can_write(actor, station, manager=True):
        # The manager recording it is the one who would confirm it.
        record.confirmed_by, record.confirmed_at = actor, timezone.now()
    with audit_context(user=actor, reason="services.service_recorded"):
        if record.awaits_confirmation:
            # Nothing is paid until the manager confirms it.
            record.voucher_paid = record.self_paid = Decimal("0")
            _insert_record(record)
        else:
            record.voucher_paid = Decimal("0")
            record.self_paid = payment.record_amount(record)
            _insert_record(record)
            if payment.pay(record, actor=actor)[0] > 0:
                record.save(update_fields=["voucher_paid", "self_paid"])
    return record


def _recorded_that_day(record: ServiceRecord) -> bool:
    return ServiceRecord.objects.filter(
        elder_id=record.elder_id,
        service_type_id=record.service_type_id,
        service_day=record.service_day,
        cancelled_at__isnull=True,
    ).exists()


def _once_a_day_message(record: ServiceRecord) -> str:
    return _("%(service)s is already recorded for %(elder)s on %(day)s.") % {
        "service": record.service_type,
        "elder": record.elder,
        "day": record.service_day.isoformat(),
    }


def _insert_record(record: ServiceRecord) -> None:
    """Save a new record; a twin committed meanwhile (the same client id, or the
    same elder, daily service and day) is refused with a message, not a 500."""
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as exc:
        constraint = getattr(getattr(exc, "__cause__", None), "diag", None)
        name = getattr(constraint, "constraint_name", "") or ""
        if "client_id" in name:
            raise ValidationError(
                {"client_id": [_("This client id was already used.")]}
            ) from None
        if name == "service_record_once_a_day":
            raise ValidationError({"elder": [_once_a_day_message(record)]}) from None
        raise


def recorded_late(station: Station, delivered_at: datetime.datetime) -> bool:
    """PRODUCT.md "Vouchers", no back-dated money: a service dated more than the
    district's ``late_record_days`` before today needs the manager's confirmation."""
    days = (
        District.objects.filter(stations=station)
        .values_list("late_record_days", flat=True)
        .get()
    )
    delivered_on = timezone.localtime(delivered_at).date()
    return (timezone.localdate() - delivered_on).days > days


@transaction.atomic
def service_record_confirm(*, actor: User, record: ServiceRecord) -> ServiceRecord:
    """The station manager confirms a service recorded late; it is paid now, from
    the vouchers that were valid on its delivery date, the rest by the elder."""
    require_write(actor, record.station, manager=True)
    record = ServiceRecord.objects.select_for_update().get(pk=record.pk)
    if record.cancelled_at is not None:
        raise ValidationError(_("This record is cancelled."))
    if not record.awaits_confirmation:
        raise ValidationError(_("This record does not await confirmation."))
    record.confirmed_by, record.confirmed_at = actor, timezone.now()
    with audit_context(user=actor, reason="services.late_service_confirmed"):
        record.voucher_paid = Decimal("0")
        record.self_paid = payment.record_amount(record)
        payment.pay(record, actor=actor)
        record.save(
            update_fields=["confirmed_by", "confirmed_at", "voucher_paid", "self_paid"]
        )
    return record


@transaction.atomic
def service_record_cancel(
    *, actor: User, record: ServiceRecord, reason: str
) -> ServiceRecord:
    """Cancel a record; it is kept, marked with who cancelled it, when and why.

    The vouchers it spent go back to the elder (reversal entries).
    """
    require_write(actor, record.station)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the record is cancelled.")})
    record = ServiceRecord.objects.select_for_update().get(pk=record.pk)
    if record.cancelled_at is not None:
        raise ValidationError(_("This record is already cancelled."))
    record.cancelled_at = timezone.now()
    record.cancelled_by = actor
    record.cancel_reason = reason
    with audit_context(user=actor, reason="services.record_cancelled", note=reason):
        record.save(update_fields=["cancelled_at", "cancelled_by", "cancel_reason"])
        payment.refund(record, actor=actor)
    return record


# --- Feedback and return visits -------------------------------------------------------


def _one_feedback_message() -> str:
    return _("This service already has its feedback.")


@transaction.atomic
def feedback_record(*, actor: User, record: ServiceRecord, data: dict) -> Feedback:
    """The feedback form after a service: one per record, scores 1–5."""
    require_write(actor, record.station)
    # The lock makes two simultaneous forms for the same record wait in turn.
    record = ServiceRecord.objects.select_for_update().get(pk=record.pk)
    if record.cancelled_at is not None:
        raise ValidationError(_("A cancelled service takes no feedback."))
    if Feedback.objects.filter(record=record).exists():
        raise ValidationError(_one_feedback_message())
    feedback = Feedback(record=record, recorded_by=actor)
    _apply(feedback, data, FEEDBACK_FIELDS)
    feedback.full_clean(exclude=["record", "recorded_by"], validate_constraints=False)
    with audit_context(user=actor, reason="services.feedback_recorded"):
        try:
            with transaction.atomic():
                feedback.save()
        except IntegrityError:
            raise ValidationError(_one_feedback_message()) from None
        ServiceRecord.objects.filter(pk=record.pk).update(has_feedback=True)
    return feedback


@transaction.atomic
def visit_feedback_record(*, actor: User, visit: Visit, data: dict) -> VisitFeedback:
    """The feedback form after a volunteer's visit: one per visit, scores 1–5."""
    require_write(actor, visit.station)
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    if VisitFeedback.objects.filter(visit=visit).exists():
        raise ValidationError(_("This visit has its feedback already."))
    feedback = VisitFeedback(visit=visit, recorded_by=actor)
    _apply(feedback, data, FEEDBACK_FIELDS)
    feedback.full_clean(exclude=["visit", "recorded_by"], validate_constraints=False)
    with audit_context(user=actor, reason="services.visit_feedback_recorded"):
        feedback.save()
    return feedback


@transaction.atomic
def return_visit_record(
    *,
    actor: User,
    record: ServiceRecord,
    visited_at: datetime.datetime,
    channel: str,
    outcome: str,
    notes: str = "",
) -> ReturnVisit:
    """Log a return visit (回访) about a service, with its outcome."""
    require_write(actor, record.station)
    if visited_at is not None and timezone.is_naive(visited_at):
        visited_at = timezone.make_aware(visited_at)
    visit = ReturnVisit(
        record=record,
        visited_at=visited_at,
        channel=channel,
        outcome=outcome,
        notes=notes,
        visited_by=actor,
    )
    errors: dict[str, list] = {}
    try:
        visit.full_clean(exclude=["record", "visited_by"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if visited_at is not None and visited_at > timezone.now():
        errors.setdefault("visited_at", []).append(
            _("The return visit cannot be in the future.")
        )
    elif visited_at is not None and visited_at < record.delivered_at:
        errors.setdefault("visited_at", []).append(
            _("The return visit cannot be before the service.")
        )
    if outcome == ReturnVisitOutcome.ISSUE and not (notes or "").strip():
        # The problem is what the follow-up must act on.
        errors.setdefault("notes", []).append(_("Say what the problem is."))
    if errors:
        raise ValidationError(errors)
    with audit_context(user=actor, reason="services.return_visit"):
        visit.save()
    return visit


@transaction.atomic
def return_visit_follow_up_resolve(
    *, actor: User, return_visit: ReturnVisit, note: str
) -> ReturnVisit:
    """Staff close the follow-up that a return visit's problem opened."""
    require_write(actor, return_visit.record.station)
    return_visit = ReturnVisit.objects.select_for_update().get(pk=return_visit.pk)
    if return_visit.outcome != ReturnVisitOutcome.ISSUE:
        raise ValidationError(_("This return visit raised no problem."))
    if return_visit.resolved_at is not None:
        raise ValidationError(_("This follow-up is resolved already."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"resolution_note": _("Say what was done.")})
    return_visit.resolved_at = timezone.now()
    return_visit.resolved_by = actor
    return_visit.resolution_note = note
    with audit_context(user=actor, reason="services.return_visit_resolved"):
        return_visit.save(
            update_fields=["resolved_at", "resolved_by", "resolution_note"]
        )
    return return_visit


# --- Batches of records (day sheets, the batch API) -----------------------------------


class BatchErrors(ValidationError):
    """A batch refused whole: ``by_index`` maps an item's index to its errors."""

    def __init__(self, by_index: dict[int, dict[str, list]]):
        self.by_index = by_index
        super().__init__(
            {
                str(i): [str(m) for ms in e.values() for m in ms]
                for i, e in by_index.items()
            }
        )


@dataclass
class BatchResult:
    records: list[ServiceRecord]  # in the order of the items
    created: int
    existing: int


BATCH_FIELDS = {
    "elder",
    "service_type",
    "delivered_at",
    "duration_minutes",
    "quantity",
    "price",
    "provider",
    "volunteer",
    "staff",
    "notes",
    "client_id",
}


@transaction.atomic
def service_records_batch(*, actor: User, items: list[dict]) -> BatchResult:
    """Record many services at once (a day sheet): all or nothing.

    Each item is what ``service_record_create`` takes, with a ``client_id``; each
    record is written by that one action, so it is validated and paid (vouchers
    first) exactly as a single record, and a late one awaits the manager's
    confirmation the same way. An item whose ``client_id`` was seen before
    returns the record written then and writes nothing. Any invalid item refuses
    the whole batch (``BatchErrors``, by index) and nothing is written.
    Batches of one station are taken one at a time (a transaction-level advisory
    lock), so the same sheet sent four times at once is written once; the
    database's unique constraints hold even without the lock.
    """
    errors: dict[int, dict[str, list]] = {}
    seen: dict[uuid.UUID, int] = {}
    for index, item in enumerate(items):
        unknown = set(item) - BATCH_FIELDS
        if unknown:
            errors[index] = {
                "__all__": [
                    _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}
                ]
            }
        client_id = item.get("client_id")
        if client_id is None:
            errors.setdefault(index, {})["client_id"] = [
                _("Give every record of a batch its client id.")
            ]
        elif client_id in seen:
            errors.setdefault(index, {})["client_id"] = [
                _("The same client id is given twice in this batch.")
            ]
        else:
            seen[client_id] = index
    if errors:
        raise BatchErrors(errors)
    station_ids = sorted({item["elder"].station_id for item in items})
    for station_id in station_ids:
        require_write(actor, Station.objects.get(pk=station_id))
    with connection.cursor() as cursor:
        for station_id in station_ids:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext('services.batch'), %s)",
                [station_id],
            )
    existing = {
        r.client_id: r
        for r in ServiceRecord.objects.select_related("station", "service_type").filter(
            client_id__in=list(seen)
        )
    }
    visible = set(
        visible_to(
            actor,
            ServiceRecord.objects.filter(pk__in=[r.pk for r in existing.values()]),
        ).values_list("pk", flat=True)
    )
    records: list[ServiceRecord | None] = []
    created = 0
    for index, item in enumerate(items):
        found = existing.get(item["client_id"])
        if found is not None:
            if found.pk not in visible:
                # Another station's record: refused like an id never seen.
                errors[index] = {"client_id": [_("This client id was already used.")]}
            records.append(found)
            continue
        try:
            with transaction.atomic():
                record = service_record_create(actor=actor, **item)
        except ValidationError as exc:
            errors[index] = (
                exc.message_dict
                if hasattr(exc, "error_dict")
                else {"__all__": exc.messages}
            )
            records.append(None)
            continue
        records.append(record)
        created += 1
    if errors:
        raise BatchErrors(errors)
    return BatchResult(records=records, created=created, existing=len(items) - created)
