"""Care services (PRODUCT.md "Services" and "Public notice").

The catalogue (``ServiceType``), the providers and the agreements a station signs
with them, the services delivered to elders (``ServiceRecord``), the feedback form
filled after every service and the staff's return visits (回访).
"""

from __future__ import annotations

from decimal import Decimal

import pghistory
from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from carecenter.catalogue import ServiceKind
from carecenter.models import StationScoped


class Unit(models.TextChoices):
    VISIT = "visit", _("visit")
    HOUR = "hour", _("hour")
    MEAL = "meal", _("meal")


@pghistory.track()
class ServiceType(models.Model):
    """One service of the catalogue; the administrator edits names, units and prices.

    The rows are seeded by a data migration from ``carecenter.catalogue.ServiceKind``:
    the codes are stable, everything else is editable.
    """

    code = models.CharField(
        _("code"), max_length=32, unique=True, choices=ServiceKind.choices
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    unit = models.CharField(_("unit"), max_length=8, choices=Unit.choices)
    default_price = models.DecimalField(
        _("default price"),
        max_digits=8,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        constraints = [
            models.CheckConstraint(
                condition=Q(default_price__gte=0),
                name="service_type_price_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the language of the request."""
        language = (get_language() or "zh-hans").lower()
        return self.name_zh if language.startswith("zh") else self.name_en


class ProviderKind(models.TextChoices):
    SOCIAL_ORGANISATION = "social_organisation", _("Social organisation")
    COMPANY = "company", _("Company")
    INDIVIDUAL = "individual", _("Individual")


@pghistory.track()
class Provider(StationScoped):
    """A unit or an individual that delivers services under an agreement."""

    name = models.CharField(pgettext_lazy("organisation", "name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=24, choices=ProviderKind.choices)
    licence = models.CharField(
        _("licence or qualification"),
        max_length=200,
        blank=True,
        help_text=_(
            "Business licence or registration number for a unit; the qualification "
            "certificate for an individual."
        ),
    )
    licence_expires_on = models.DateField(
        _("licence valid until"), null=True, blank=True
    )
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        indexes = [models.Index(fields=["station", "name"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("services:provider-detail", args=[self.pk])


class ChargingMethod(models.TextChoices):
    FREE = "free", _("Free (无偿)")
    LOW_COST = "low_cost", _("Low-cost (低偿)")
    PAID = "paid", _("Paid (有偿)")
    GOVERNMENT = "government", _("Government-purchased (政府购买)")


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("In force")
    TERMINATED = "terminated", _("Terminated")


class PrivateStorage(FileSystemStorage):
    """Files under ``MEDIA_ROOT/private``: never served, read through a scoped view."""

    def __init__(self, **kwargs):
        kwargs.pop("base_url", None)
        super().__init__(**kwargs)

    @property
    def base_location(self):
        return self._value_or_setting(self._location, settings.MEDIA_ROOT + "/private")

    def url(self, name):
        raise ValueError("Private files have no public URL.")


def private_storage() -> PrivateStorage:
    return PrivateStorage()


def scan_path(agreement: ServiceAgreement, filename: str) -> str:
    """``agreements/<station>/<random>.<ext>``: nothing guessable, no user's name."""
    import secrets

    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"agreements/{agreement.station_id}/{secrets.token_urlsafe(18)}.{extension}"


@pghistory.track()
class ServiceAgreement(StationScoped):
    """A signed service agreement between the station and a provider."""

    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        related_name="agreements",
        verbose_name=_("provider"),
    )
    number = models.CharField(_("agreement number"), max_length=50, blank=True)
    starts_on = models.DateField(_("valid from"))
    ends_on = models.DateField(_("valid until"))
    charging_method = models.CharField(
        _("charging method"), max_length=16, choices=ChargingMethod.choices
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AgreementStatus.choices,
        default=AgreementStatus.ACTIVE,
    )
    service_types = models.ManyToManyField(
        ServiceType,
        through="AgreementPrice",
        related_name="agreements",
        verbose_name=_("services"),
    )
    scan = models.FileField(
        _("signed scan"),
        storage=private_storage,
        upload_to=scan_path,
        max_length=200,
        blank=True,
    )
    scan_content_type = models.CharField(max_length=32, blank=True, editable=False)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("service agreement")
        verbose_name_plural = _("service agreements")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")),
                name="agreement_period_in_order",
                violation_error_message=_("The agreement cannot end before it starts."),
            ),
        ]
        indexes = [
            models.Index(fields=["station", "status", "ends_on"]),
            models.Index(fields=["provider", "status", "starts_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.starts_on:%Y-%m-%d}–{self.ends_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("services:agreement-detail", args=[self.pk])

    def in_force_on(self, day) -> bool:
        return self.status == AgreementStatus.ACTIVE and (
            self.starts_on <= day <= self.ends_on
        )


@pghistory.track()
class AgreementPrice(models.Model):
    """One service of an agreement with its agreed price."""

    agreement = models.ForeignKey(
        ServiceAgreement,
        on_delete=models.CASCADE,
        related_name="prices",
        verbose_name=_("agreement"),
    )
    service_type = models.ForeignKey(
        ServiceType,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("service type"),
    )
    price = models.DecimalField(
        _("agreed price"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )

    station_field = "agreement__station"

    class Meta:
        ordering = ["service_type_id"]
        verbose_name = _("agreed price")
        verbose_name_plural = _("agreed prices")
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "service_type"],
                name="agreement_price_unique",
            ),
            models.CheckConstraint(
                condition=Q(price__gte=0), name="agreement_price_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_type}: {self.price}"


class DeliveredBy(models.TextChoices):
    PROVIDER = "provider", _("Provider")
    VOLUNTEER = "volunteer", _("Volunteer")
    STAFF = "staff", _("Station staff")


@pghistory.track()
class ServiceRecord(StationScoped):
    """One delivered service to one elder (PRODUCT.md "Services").

    Exactly one of provider, volunteer and staff delivered it. The amounts paid by
    vouchers and by the elder come from ``services.payment.pay``.
    A cancelled record is kept, marked with who cancelled it, when and why.
    """

    elder = models.ForeignKey(
        "elders.Elder",
        on_delete=models.PROTECT,
        related_name="service_records",
        verbose_name=_("elder"),
    )
    service_type = models.ForeignKey(
        ServiceType,
        on_delete=models.PROTECT,
        related_name="records",
        verbose_name=_("service type"),
    )
    provider = models.ForeignKey(
        Provider,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="records",
        verbose_name=_("provider"),
    )
    volunteer = models.ForeignKey(
        "volunteers.Volunteer",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_records",
        verbose_name=_("volunteer"),
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("staff member"),
    )
    agreement = models.ForeignKey(
        ServiceAgreement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="records",
        verbose_name=_("agreement"),
    )
    delivered_at = models.DateTimeField(_("delivered at"))
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), validators=[MaxValueValidator(24 * 60)]
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=6,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0)],
    )
    price = models.DecimalField(
        _("unit price"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    voucher_paid = models.DecimalField(
        _("paid by vouchers"), max_digits=10, decimal_places=2, default=0
    )
    self_paid = models.DecimalField(
        _("paid by the elder"), max_digits=10, decimal_places=2, default=0
    )
    notes = models.TextField(_("notes"), blank=True)
    # Kept by feedback_record in the same transaction as the feedback: the list of
    # records lacking feedback reads a small partial index instead of anti-joining
    # millions of rows.
    has_feedback = models.BooleanField(_("feedback given"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    # A service dated further back than the district allows (``District.
    # late_record_days``) waits for the station manager: it is paid, from the
    # vouchers valid on its delivery date, only once confirmed.
    needs_confirmation = models.BooleanField(
        _("needs the manager's confirmation"), default=False, db_default=False
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    # The id the sender gave the record (a day sheet, a tablet, the batch API): a
    # repeat of the same id returns the record written then and writes nothing.
    client_id = models.UUIDField(_("client id"), null=True, blank=True, unique=True)
    # Set on the daily services taken on day sheets (meals, meal delivery, day
    # care): the local day, kept once per elder and service by the constraint
    # ``service_record_once_a_day``.
    service_day = models.DateField(_("service day"), null=True, blank=True)

    class Meta:
        ordering = ["-delivered_at", "-pk"]
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        constraints = [
            models.CheckConstraint(
                name="service_record_one_deliverer",
                condition=(
                    Q(
                        provider__isnull=False,
                        volunteer__isnull=True,
                        staff__isnull=True,
                    )
                    | Q(
                        provider__isnull=True,
                        volunteer__isnull=False,
                        staff__isnull=True,
                    )
                    | Q(
                        provider__isnull=True,
                        volunteer__isnull=True,
                        staff__isnull=False,
                    )
                ),
                violation_error_message=_(
                    "A service is delivered by exactly one provider, volunteer or "
                    "staff member."
                ),
            ),
            models.CheckConstraint(
                name="service_record_quantity_positive", condition=Q(quantity__gt=0)
            ),
            models.CheckConstraint(
                name="service_record_amounts_non_negative",
                condition=Q(voucher_paid__gte=0) & Q(self_paid__gte=0),
            ),
            models.CheckConstraint(
                name="service_record_confirmed_when_needed",
                condition=Q(needs_confirmation=True)
                | Q(confirmed_at__isnull=True, confirmed_by__isnull=True),
            ),
            models.CheckConstraint(
                name="service_record_cancel_has_reason",
                condition=Q(cancelled_at__isnull=True) | ~Q(cancel_reason=""),
                violation_error_message=_("Cancelling a record needs a reason."),
            ),
            models.UniqueConstraint(
                fields=["elder", "service_type", "service_day"],
                condition=Q(service_day__isnull=False, cancelled_at__isnull=True),
                name="service_record_once_a_day",
                violation_error_message=_(
                    "This service is already recorded for this elder on that day."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["station", "-delivered_at", "-id"]),
            models.Index(fields=["elder", "-delivered_at"]),
            # The home page's "recorded today" from day sheets: only their records
            # carry a service day, so the index is small and no load scans the rest.
            models.Index(
                fields=["service_day", "station"],
                name="service_record_sheet_day",
                condition=Q(service_day__isnull=False, cancelled_at__isnull=True),
            ),
            models.Index(
                fields=["station", "delivered_at", "id"],
                name="service_record_to_confirm",
                condition=Q(
                    needs_confirmation=True,
                    confirmed_at__isnull=True,
                    cancelled_at__isnull=True,
                ),
            ),
            models.Index(
                fields=["station", "delivered_at", "id"],
                name="service_record_no_feedback",
                condition=Q(has_feedback=False, cancelled_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.delivered_at)
        return f"{self.elder} · {self.service_type} · {when:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("services:record-detail", args=[self.pk])

    @property
    def amount(self):
        if self.awaits_confirmation:  # nothing paid yet: what it will cost
            return (self.price * self.quantity).quantize(Decimal("0.01"))
        return self.voucher_paid + self.self_paid

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def awaits_confirmation(self) -> bool:
        """Recorded late and not yet confirmed by the manager (nor cancelled)."""
        return (
            self.needs_confirmation
            and self.confirmed_at is None
            and self.cancelled_at is None
        )

    @property
    def delivered_by(self) -> str:
        if self.provider_id:
            return DeliveredBy.PROVIDER
        if self.volunteer_id:
            return DeliveredBy.VOLUNTEER
        return DeliveredBy.STAFF

    @property
    def delivered_by_label(self) -> str:
        return DeliveredBy(self.delivered_by).label

    @property
    def deliverer(self):
        return self.provider or self.volunteer or self.staff


class Channel(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    HOME_VISIT = "home_visit", _("Home visit")


def _score(label):
    return models.PositiveSmallIntegerField(
        label, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )


@pghistory.track()
class Feedback(models.Model):
    """The feedback form filled after every service (one per record)."""

    record = models.OneToOneField(
        ServiceRecord,
        on_delete=models.CASCADE,
        related_name="feedback",
        verbose_name=_("service record"),
    )
    satisfaction = _score(_("satisfaction"))
    punctual = models.BooleanField(_("on time"))
    attitude = _score(_("attitude"))
    quality = _score(_("quality"))
    comment = models.TextField(_("comment"), blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    station_field = "record__station"

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.CheckConstraint(
                name="feedback_scores_1_to_5",
                condition=Q(satisfaction__range=(1, 5))
                & Q(attitude__range=(1, 5))
                & Q(quality__range=(1, 5)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record}: {self.satisfaction}/5"


@pghistory.track()
class VisitFeedback(models.Model):
    """The feedback form after a volunteer's visit (one per visit): a visit is a
    service delivered, so it is asked about like one."""

    visit = models.OneToOneField(
        "volunteers.Visit",
        on_delete=models.CASCADE,
        related_name="feedback",
        verbose_name=_("visit"),
    )
    satisfaction = _score(_("satisfaction"))
    punctual = models.BooleanField(_("on time"))
    attitude = _score(_("attitude"))
    quality = _score(_("quality"))
    comment = models.TextField(_("comment"), blank=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    station_field = "visit__station"

    class Meta:
        verbose_name = _("feedback on a visit")
        verbose_name_plural = _("feedback on visits")
        constraints = [
            models.CheckConstraint(
                name="visit_feedback_scores_1_to_5",
                condition=Q(satisfaction__range=(1, 5))
                & Q(attitude__range=(1, 5))
                & Q(quality__range=(1, 5)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit}: {self.satisfaction}/5"


class ReturnVisitOutcome(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied, nothing to follow up")
    ISSUE = "issue", _("Raised a problem")
    UNREACHABLE = "unreachable", _("Could not be reached")


@pghistory.track()
class ReturnVisit(models.Model):
    """A return visit (回访) by staff about one delivered service."""

    record = models.ForeignKey(
        ServiceRecord,
        on_delete=models.CASCADE,
        related_name="return_visits",
        verbose_name=_("service record"),
    )
    visited_at = models.DateTimeField(_("visited at"))
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    outcome = models.CharField(
        _("outcome"), max_length=16, choices=ReturnVisitOutcome.choices
    )
    notes = models.TextField(_("notes"), blank=True)
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("visited by"),
    )
    # A return visit that raised a problem is a follow-up until staff resolve it.
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    station_field = "record__station"

    class Meta:
        ordering = ["-visited_at", "-pk"]
        indexes = [
            models.Index(
                fields=["visited_at"],
                condition=Q(outcome="issue", resolved_at__isnull=True),
                name="return_visit_open_issue",
            ),
        ]
        verbose_name = _("return visit")
        verbose_name_plural = _("return visits")

    def __str__(self) -> str:
        return f"{self.record} · {self.get_outcome_display()}"

    @property
    def follow_up_open(self) -> bool:
        return self.outcome == ReturnVisitOutcome.ISSUE and self.resolved_at is None
