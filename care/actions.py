"""Every write of the care app: validated, transactional, audited.

Staff and managers of the elder's station write (``require_write``: 404 outside
scope, 403 for read-only roles); the row takes the elder's station.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from care.models import (
    CallerRelation,
    CallKind,
    CallOutcome,
    CareCall,
    Emergency,
    HealthReading,
)
from carecenter.audit import audit_context, register_reasons
from carecenter.models import User
from carecenter.scoping import require_write, visible_to
from carecenter.validators import reading_errors
from elders.models import Elder
from elders.models import Status as ElderStatus
from services import actions as service_actions
from volunteers import actions as volunteer_actions

register_reasons(
    {
        "care.call_logged": gettext_lazy("care call logged"),
        "care.call_follow_up_resolved": gettext_lazy("follow-up of a call resolved"),
        "care.emergency_recorded": gettext_lazy("emergency recorded"),
        "care.emergency_updated": gettext_lazy("emergency response recorded"),
        "care.emergency_closed": gettext_lazy("emergency closed"),
        "care.reading_recorded": gettext_lazy("health reading recorded"),
    }
)

#: Clock drift between a phone or PC and the server that is still "now".
FUTURE_SLACK = datetime.timedelta(minutes=5)


def _check_elder(actor: User, elder: Elder, errors: dict) -> None:
    require_write(actor, elder.station)
    if not visible_to(actor, Elder.objects.filter(pk=elder.pk)).exists():
        errors["elder"] = [_("Choose an elder of your station.")]
    elif elder.status != ElderStatus.ACTIVE:
        errors["elder"] = [
            _("Only active elders can be recorded (this one is %(s)s).")
            % {"s": elder.get_status_display()}
        ]


def _check_time(field: str, value, errors: dict, *, label: str) -> None:
    if value is None:
        errors.setdefault(field, []).append(_("Give the %(what)s.") % {"what": label})
    elif value > timezone.now() + FUTURE_SLACK:
        errors.setdefault(field, []).append(_("This time is in the future."))


@transaction.atomic
def care_call_log(
    *,
    actor: User,
    elder: Elder,
    called_at: datetime.datetime | None = None,
    kind: str = CallKind.GREETING,
    outcome: str,
    notes: str = "",
    needs_follow_up: bool = False,
    responded_at: datetime.datetime | None = None,
    contact_informed: bool | None = None,
) -> CareCall:
    """Log one phone call to an elder (PRODUCT.md "A station's day")."""
    errors: dict[str, list] = {}
    _check_elder(actor, elder, errors)
    called_at = called_at or timezone.now()
    _check_time("called_at", called_at, errors, label=_("time of the call"))
    if kind not in CallKind.values:
        errors["kind"] = [_("Choose greeting or emergency.")]
    if outcome not in CallOutcome.values:
        errors["outcome"] = [_("Choose the outcome of the call.")]
    notes = (notes or "").strip()
    if needs_follow_up and not notes:
        errors["notes"] = [_("Say why the elder needs a follow-up.")]
    if kind != CallKind.EMERGENCY:
        responded_at, contact_informed = None, None
    if responded_at is not None:
        _check_time("responded_at", responded_at, errors, label=_("response time"))
        if called_at and responded_at < called_at:
            errors.setdefault("responded_at", []).append(
                _("The response cannot come before the call.")
            )
    if errors:
        raise ValidationError(errors)
    call = CareCall(
        station=elder.station,
        elder=elder,
        called_at=called_at,
        kind=kind,
        outcome=outcome,
        notes=notes,
        needs_follow_up=needs_follow_up,
        responded_at=responded_at,
        contact_informed=contact_informed,
        called_by=actor,
    )
    with audit_context(user=actor, reason="care.call_logged"):
        call.save()
    return call


def _emergency_errors(
    *, reported_at, responded_at, caller_name: str, what_happened: str, errors: dict
) -> None:
    _check_time("reported_at", reported_at, errors, label=_("time of the call"))
    if not (caller_name or "").strip():
        errors["caller_name"] = [_("Say who called.")]
    if not (what_happened or "").strip():
        errors["what_happened"] = [_("Say what happened.")]
    if responded_at is not None:
        _check_time("responded_at", responded_at, errors, label=_("response time"))
        if reported_at and responded_at < reported_at:
            errors.setdefault("responded_at", []).append(
                _("The response cannot come before the call.")
            )


@transaction.atomic
def emergency_record(
    *,
    actor: User,
    elder: Elder,
    reported_at: datetime.datetime | None = None,
    caller_name: str,
    caller_relation: str,
    what_happened: str,
    responder: str = "",
    responded_at: datetime.datetime | None = None,
    contact_informed: bool = False,
) -> Emergency:
    """Open an emergency (助急); it stays on the station's home page until closed."""
    errors: dict[str, list] = {}
    _check_elder(actor, elder, errors)
    reported_at = reported_at or timezone.now()
    _emergency_errors(
        reported_at=reported_at,
        responded_at=responded_at,
        caller_name=caller_name,
        what_happened=what_happened,
        errors=errors,
    )
    if caller_relation not in CallerRelation.values:
        errors["caller_relation"] = [_("Say who the caller is.")]
    if errors:
        raise ValidationError(errors)
    emergency = Emergency(
        station=elder.station,
        elder=elder,
        reported_at=reported_at,
        caller_name=caller_name.strip(),
        caller_relation=caller_relation,
        what_happened=what_happened.strip(),
        responder=(responder or "").strip(),
        responded_at=responded_at,
        contact_informed=contact_informed,
        recorded_by=actor,
    )
    with audit_context(user=actor, reason="care.emergency_recorded"):
        emergency.save()
    return emergency


def _locked_open(actor: User, emergency: Emergency) -> Emergency:
    require_write(actor, emergency.station)
    emergency = Emergency.objects.select_for_update().get(pk=emergency.pk)
    if emergency.closed_at is not None:
        raise ValidationError(_("This emergency is closed already."))
    return emergency


@transaction.atomic
def emergency_respond(
    *,
    actor: User,
    emergency: Emergency,
    responder: str,
    responded_at: datetime.datetime | None,
    contact_informed: bool,
) -> Emergency:
    """Record who responded and when, and whether the emergency contact was told."""
    emergency = _locked_open(actor, emergency)
    errors: dict[str, list] = {}
    responder = (responder or "").strip()
    if not responder:
        errors["responder"] = [_("Say who responded.")]
    if responded_at is None:
        errors["responded_at"] = [_("Give the time of the response.")]
    _emergency_errors(
        reported_at=emergency.reported_at,
        responded_at=responded_at,
        caller_name=emergency.caller_name,
        what_happened=emergency.what_happened,
        errors=errors,
    )
    if errors:
        raise ValidationError(errors)
    emergency.responder = responder
    emergency.responded_at = responded_at
    emergency.contact_informed = contact_informed
    with audit_context(user=actor, reason="care.emergency_updated"):
        emergency.save(update_fields=["responder", "responded_at", "contact_informed"])
    return emergency


@transaction.atomic
def emergency_close(
    *,
    actor: User,
    emergency: Emergency,
    outcome: str,
    contact_informed: bool | None = None,
) -> Emergency:
    """Close an emergency with its outcome; it must have been responded to."""
    emergency = _locked_open(actor, emergency)
    outcome = (outcome or "").strip()
    errors: dict[str, list] = {}
    if not outcome:
        errors["outcome"] = [_("Say how the emergency ended.")]
    if emergency.responded_at is None:
        errors["responded_at"] = [
            _("Record who responded and when before closing the emergency.")
        ]
    if errors:
        raise ValidationError(errors)
    emergency.outcome = outcome
    if contact_informed is not None:
        emergency.contact_informed = contact_informed
    emergency.closed_at = timezone.now()
    emergency.closed_by = actor
    with audit_context(user=actor, reason="care.emergency_closed"):
        emergency.save(
            update_fields=["outcome", "contact_informed", "closed_at", "closed_by"]
        )
    return emergency


@transaction.atomic
def reading_record(
    *,
    actor: User,
    elder: Elder,
    measured_at: datetime.datetime | None = None,
    systolic: int | None = None,
    diastolic: int | None = None,
    blood_sugar: Decimal | None = None,
    notes: str = "",
) -> HealthReading:
    """Record a blood pressure and/or blood sugar reading taken by staff."""
    errors: dict[str, list] = {}
    _check_elder(actor, elder, errors)
    measured_at = measured_at or timezone.now()
    _check_time("measured_at", measured_at, errors, label=_("time of the reading"))
    for field, message in reading_errors(
        systolic=systolic, diastolic=diastolic, blood_sugar=blood_sugar
    ).items():
        errors.setdefault(field, []).append(message)
    if systolic is None and blood_sugar is None:
        errors.setdefault("systolic", []).append(
            _("Give a blood pressure or a blood sugar value.")
        )
    if errors:
        raise ValidationError(errors)
    reading = HealthReading(
        station=elder.station,
        elder=elder,
        measured_at=measured_at,
        systolic=systolic,
        diastolic=diastolic,
        blood_sugar=blood_sugar,
        notes=(notes or "").strip(),
        recorded_by=actor,
    )
    with audit_context(user=actor, reason="care.reading_recorded"):
        reading.save()
    return reading


@transaction.atomic
def call_follow_up_resolve(*, actor: User, call: CareCall, note: str) -> CareCall:
    """Staff close the follow-up that a care call asked for."""
    require_write(actor, call.station)
    call = CareCall.objects.select_for_update().get(pk=call.pk)
    if not call.needs_follow_up:
        raise ValidationError(_("This call did not ask for a follow-up."))
    if call.resolved_at is not None:
        raise ValidationError(_("This follow-up is resolved already."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"resolution_note": _("Say what was done.")})
    call.resolved_at = timezone.now()
    call.resolved_by = actor
    call.resolution_note = note
    with audit_context(user=actor, reason="care.call_follow_up_resolved"):
        call.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
    return call


def follow_up_resolve(*, actor: User, item, note: str):
    """Resolve an open follow-up of any source (``care.queries.FollowUp``)."""
    if item.kind == "visit":
        return volunteer_actions.follow_up_resolve(
            actor=actor, visit=item.obj, note=note
        )
    if item.kind == "return_visit":
        return service_actions.return_visit_follow_up_resolve(
            actor=actor, return_visit=item.obj, note=note
        )
    return call_follow_up_resolve(actor=actor, call=item.obj, note=note)
