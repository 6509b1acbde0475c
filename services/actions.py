"""Every write of the services app: validated, transactional, audited.

Pages, the API, admin and ``seed_demo`` call these functions and nothing else.
Each takes the acting user, checks the station with ``require_write`` (404
outside scope, 403 for read-only roles), validates, writes, and leaves the audit
trail (pghistory triggers with the actor and reason attached).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecenter.audit import audit_context, register_reasons
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
) -> ServiceRecord:
    """Record one delivered service (PRODUCT.md "Services").

    Refused: a time in the future, an elder who is not active or not visible to
    the actor, more or fewer than one deliverer, and a provider's service not
    covered by an agreement in force on the day. The price defaults to the
    agreed price, else the catalogue's; ``payment.pay`` spends the elder's vouchers
    first and the elder pays the rest.
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
            record.save()
        else:
            record.voucher_paid = Decimal("0")
            record.self_paid = payment.record_amount(record)
            record.save()
            if payment.pay(record, actor=actor)[0] > 0:
                record.save(update_fields=["voucher_paid", "self_paid"])
    return record


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
