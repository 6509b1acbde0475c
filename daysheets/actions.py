"""Writes of the day sheets: enrolments, and taking a sheet (PRODUCT.md "A
station's day"). Taking a sheet writes its service records through
``services.actions.service_records_batch`` — the same validation, payment
(vouchers first) and late-record rule as one record."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecenter.audit import audit_context, register_reasons
from carecenter.catalogue import DAY_SHEET_KINDS
from carecenter.models import Station, User
from carecenter.scoping import require_write, visible_to
from daysheets.models import Enrolment
from elders.models import Elder, Status
from services.actions import BatchResult, service_records_batch
from services.models import Provider, ServiceType

register_reasons(
    {
        "daysheets.enrolment_saved": gettext_lazy("enrolment saved"),
        "daysheets.enrolment_ended": gettext_lazy("enrolment ended"),
    }
)

ENROLMENT_FIELDS = [
    "service_type",
    "weekdays",
    "meals",
    "starts_on",
    "ends_on",
    "notes",
]
#: The namespace of the client ids of a day sheet's records: one id per station,
#: service, day and elder, so a sheet sent again finds its records.
SHEET_NAMESPACE = uuid.UUID("5c0f8a52-3b8e-4d8e-9f0e-2a7d1c6b4e11")


@transaction.atomic
def enrolment_save(
    *,
    actor: User,
    elder: Elder,
    data: dict,
    enrolment: Enrolment | None = None,
) -> Enrolment:
    """Enrol an elder in a daily service, or change the enrolment."""
    require_write(actor, elder.station)
    if not visible_to(actor, Elder.objects.filter(pk=elder.pk)).exists():
        raise ValidationError({"elder": [_("Choose an elder of your station.")]})
    if enrolment is not None and enrolment.elder_id != elder.pk:
        raise ValidationError(_("This enrolment belongs to another elder."))
    unknown = set(data) - set(ENROLMENT_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    enrolment = enrolment or Enrolment(
        station=elder.station, elder=elder, created_by=actor
    )
    for name, value in data.items():
        setattr(enrolment, name, value)
    errors: dict[str, list] = {}
    if enrolment.elder.status != Status.ACTIVE and enrolment.pk is None:
        errors["elder"] = [_("Only active elders are enrolled.")]
    service_type = enrolment.service_type if enrolment.service_type_id else None
    if service_type is None or service_type.code not in DAY_SHEET_KINDS:
        errors["service_type"] = [_("Choose meal help, meal delivery or day care.")]
    enrolment.weekdays = sorted(set(enrolment.weekdays or []))
    enrolment.meals = list(dict.fromkeys(enrolment.meals or []))
    if not enrolment.weekdays:
        errors["weekdays"] = [_("Choose at least one weekday.")]
    if (
        service_type is not None
        and service_type.code != "day_care"
        and not enrolment.meals
    ):
        errors["meals"] = [_("Choose at least one meal.")]
    try:
        enrolment.full_clean(
            exclude=["station", "elder", "service_type", "created_by"],
            validate_constraints=False,
        )
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if (
        enrolment.ends_on
        and enrolment.starts_on
        and enrolment.ends_on < enrolment.starts_on
    ):
        errors.setdefault("ends_on", []).append(
            _("The end cannot be before the start.")
        )
    if errors:
        raise ValidationError(errors)
    with audit_context(user=actor, reason="daysheets.enrolment_saved"):
        try:
            with transaction.atomic():
                enrolment.save()
        except IntegrityError:
            raise ValidationError(
                _("This elder is already enrolled in this service for those days.")
            ) from None
    return enrolment


@transaction.atomic
def enrolment_end(*, actor: User, enrolment: Enrolment, on: datetime.date) -> Enrolment:
    """End an enrolment on a day (the last day the elder is served)."""
    require_write(actor, enrolment.station)
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if on < enrolment.starts_on:
        raise ValidationError({"ends_on": [_("The end cannot be before the start.")]})
    enrolment.ends_on = on
    with audit_context(user=actor, reason="daysheets.enrolment_ended"):
        enrolment.save(update_fields=["ends_on"])
    return enrolment


@dataclass(frozen=True)
class SheetLine:
    elder: Elder
    quantity: int


def sheet_client_id(*, station: Station, service_type: ServiceType, day, elder_id):
    return uuid.uuid5(
        SHEET_NAMESPACE,
        f"{station.pk}/{service_type.code}/{day.isoformat()}/{elder_id}",
    )


def day_sheet_take(
    *,
    actor: User,
    station: Station,
    service_type: ServiceType,
    day: datetime.date,
    at: datetime.time,
    lines: list[SheetLine],
    provider: Provider | None = None,
    duration_minutes: int = 30,
) -> BatchResult:
    """Record every present elder of a day sheet in one all-or-nothing batch.

    Delivered by ``provider`` when given, else by the acting staff member. Each
    line's client id is derived from the station, service, day and elder, so a
    sheet submitted twice (a double tap, a reload, two tablets) writes nothing
    the second time.
    """
    require_write(actor, station)
    if service_type.code not in DAY_SHEET_KINDS:
        raise ValidationError(_("Choose meal help, meal delivery or day care."))
    delivered_at = timezone.make_aware(datetime.datetime.combine(day, at))
    items = [
        {
            "elder": line.elder,
            "service_type": service_type,
            "delivered_at": delivered_at,
            "duration_minutes": duration_minutes,
            "quantity": line.quantity,
            "provider": provider,
            "staff": None if provider is not None else actor,
            "client_id": sheet_client_id(
                station=station,
                service_type=service_type,
                day=day,
                elder_id=line.elder.pk,
            ),
        }
        for line in lines
    ]
    return service_records_batch(actor=actor, items=items)
