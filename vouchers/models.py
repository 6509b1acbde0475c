"""Service vouchers (PRODUCT.md "Vouchers"): the district's policy, a station's yearly
budget, the monthly cycle of grants, and the ledger every movement is written to.

Money rules kept by the database itself, not only by code:

* a grant for one elder and month exists at most once (``grant_once_per_month``);
* a grant's ``remaining`` stays between 0 and its amount, so nothing is spent twice
  and no balance goes negative;
* ledger rows are append-only: plain PostgreSQL triggers (migration
  ``0003_ledger_kept_by_the_database``) refuse UPDATE, DELETE and TRUNCATE whatever
  the session has set (they are ``ENABLE ALWAYS``, so not even
  ``session_replication_role`` turns them off); corrections are reversal entries;
* a grant's ``remaining`` and ``amount`` agree with its ledger entries: a deferred
  constraint trigger checks every grant written in a transaction at its commit,
  so a bare ``UPDATE … SET remaining`` without its entry fails;
* an entry's sign follows its kind, and a redemption is reversed at most once.

The writes live in ``vouchers.ledger`` (entries) and ``vouchers.actions``
(issuance, approval, expiry).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from carecenter.models import District, StationScoped
from carecenter.months import add_months, month_end
from elders.models import Tier

ZERO = Decimal("0.00")


@pghistory.track()
class VoucherPolicy(models.Model):
    """A district's voucher amounts from a month on; the latest one in force applies."""

    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        related_name="voucher_policies",
        verbose_name=_("district"),
    )
    effective_from = models.DateField(
        _("effective from"), help_text=_("The first day of a month.")
    )
    amount_free = models.DecimalField(
        _("monthly amount, free tier"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("300.00"),
        validators=[MinValueValidator(0)],
    )
    amount_low_cost = models.DecimalField(
        _("monthly amount, low-cost tier"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("150.00"),
        validators=[MinValueValidator(0)],
    )
    validity_months = models.PositiveSmallIntegerField(
        _("validity (months)"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("1: the vouchers expire at the end of the month they are issued."),
    )
    approval_required = models.BooleanField(
        _("approval required"),
        default=False,
        help_text=_(
            "The station manager approves each monthly cycle before its vouchers "
            "can be spent."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    station_field = None  # a district's rule: read through stations, edited in admin

    class Meta:
        ordering = ["district", "-effective_from"]
        verbose_name = _("voucher policy")
        verbose_name_plural = _("voucher policies")
        constraints = [
            models.UniqueConstraint(
                fields=["district", "effective_from"],
                name="voucher_policy_one_per_start",
                violation_error_message=_(
                    "This district already has a policy starting that month."
                ),
            ),
            models.CheckConstraint(
                condition=Q(effective_from__day=1),
                name="voucher_policy_starts_on_the_first",
                violation_error_message=_("A policy starts on the first of a month."),
            ),
            models.CheckConstraint(
                condition=Q(amount_free__gte=0, amount_low_cost__gte=0),
                name="voucher_policy_amounts_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(validity_months__gte=1, validity_months__lte=12),
                name="voucher_policy_validity_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.district} · {self.effective_from:%Y-%m}"

    def amount_for(self, tier: str) -> Decimal:
        """The one place a tier becomes an amount: free and low-cost only."""
        return {Tier.FREE: self.amount_free, Tier.LOW_COST: self.amount_low_cost}.get(
            tier, ZERO
        )

    def expires_on(self, month: datetime.date) -> datetime.date:
        """The last day a grant of ``month`` can be spent."""
        return month_end(add_months(month, self.validity_months - 1))


@pghistory.track()
class StationBudget(StationScoped):
    """What the station may spend on vouchers in a year."""

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    amount = models.DecimalField(
        _("budget"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["station", "-year"]
        verbose_name = _("voucher budget")
        verbose_name_plural = _("voucher budgets")
        constraints = [
            models.UniqueConstraint(
                fields=["station", "year"],
                name="voucher_budget_one_per_year",
                violation_error_message=_(
                    "This station already has a budget for that year."
                ),
            ),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="voucher_budget_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.station} · {self.year}"


class CycleStatus(models.TextChoices):
    GENERATING = "generating", _("Being generated")
    DRAFT = "draft", _("Awaiting approval")
    APPROVED = "approved", _("Approved")


@pghistory.track()
class Cycle(StationScoped):
    """One station's vouchers for one month: its grants, runs and changes."""

    month = models.DateField(_("month"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=CycleStatus.choices,
        default=CycleStatus.GENERATING,
    )
    policy = models.ForeignKey(
        VoucherPolicy,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("policy"),
    )
    grants_count = models.PositiveIntegerField(_("grants"), default=0)
    total_amount = models.DecimalField(
        _("total"), max_digits=14, decimal_places=2, default=0
    )
    free_count = models.PositiveIntegerField(_("free"), default=0)
    low_cost_count = models.PositiveIntegerField(_("low-cost"), default=0)
    added_count = models.PositiveIntegerField(_("added"), default=0)
    removed_count = models.PositiveIntegerField(_("removed"), default=0)
    changed_count = models.PositiveIntegerField(_("tier changed"), default=0)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-month", "station"]
        verbose_name = _("voucher cycle")
        verbose_name_plural = _("voucher cycles")
        constraints = [
            models.UniqueConstraint(
                fields=["station", "month"], name="voucher_cycle_one_per_month"
            ),
            models.CheckConstraint(
                condition=Q(month__day=1), name="voucher_cycle_month_first_day"
            ),
        ]
        indexes = [models.Index(fields=["month", "status"])]

    def __str__(self) -> str:
        return f"{self.station} · {self.month:%Y-%m}"

    def get_absolute_url(self) -> str:
        return reverse("vouchers:cycle", args=[self.pk])

    @property
    def is_spendable(self) -> bool:
        return self.status == CycleStatus.APPROVED


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Monthly schedule")
    CATCH_UP = "catch_up", _("Hourly catch-up")
    COMMAND = "command", _("Command line")
    WEB = "web", _("By hand on the web")
    DEMO = "demo", _("Demo data")


class IssuanceRun(StationScoped):
    """One execution of the issuance for one station-month, with what it did."""

    cycle = models.ForeignKey(
        Cycle, on_delete=models.PROTECT, related_name="runs", verbose_name=_("cycle")
    )
    trigger = models.CharField(
        _("started by"), max_length=16, choices=RunTrigger.choices
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    reason = models.TextField(
        _("reason"),
        blank=True,
        default="",
        db_default="",
        help_text=_("Why an administrator issued a month that had already ended."),
    )
    grants_created = models.PositiveIntegerField(_("grants created"), default=0)
    amount_created = models.DecimalField(
        _("amount issued"), max_digits=14, decimal_places=2, default=0
    )
    free_count = models.PositiveIntegerField(_("free"), default=0)
    free_amount = models.DecimalField(
        _("free amount"), max_digits=14, decimal_places=2, default=0
    )
    low_cost_count = models.PositiveIntegerField(_("low-cost"), default=0)
    low_cost_amount = models.DecimalField(
        _("low-cost amount"), max_digits=14, decimal_places=2, default=0
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("issuance run")
        verbose_name_plural = _("issuance runs")

    def __str__(self) -> str:
        return f"{self.cycle} · {self.started_at:%Y-%m-%d %H:%M}"


class Grant(StationScoped):
    """One elder's vouchers for one month; ``remaining`` is what can still be spent."""

    cycle = models.ForeignKey(
        Cycle, on_delete=models.PROTECT, related_name="grants", verbose_name=_("cycle")
    )
    run = models.ForeignKey(
        IssuanceRun,
        on_delete=models.PROTECT,
        related_name="grants",
        verbose_name=_("issuance run"),
    )
    elder = models.ForeignKey(
        "elders.Elder",
        on_delete=models.PROTECT,
        related_name="voucher_grants",
        verbose_name=_("elder"),
    )
    month = models.DateField(_("month"))
    tier = models.CharField(_("tier"), max_length=16, choices=Tier.choices)
    reasons = ArrayField(
        models.CharField(max_length=40), default=list, verbose_name=_("reasons")
    )
    amount = models.DecimalField(_("amount"), max_digits=8, decimal_places=2)
    remaining = models.DecimalField(_("remaining"), max_digits=8, decimal_places=2)
    expires_on = models.DateField(_("expires on"))
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        ordering = ["-month", "elder"]
        verbose_name = _("voucher grant")
        verbose_name_plural = _("voucher grants")
        constraints = [
            models.UniqueConstraint(
                fields=["elder", "month"], name="grant_once_per_month"
            ),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("amount")),
                name="grant_remaining_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="grant_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(tier__in=[Tier.FREE, Tier.LOW_COST]),
                name="grant_tier_free_or_low_cost",
            ),
        ]
        indexes = [
            models.Index(fields=["cycle", "elder"]),
            models.Index(fields=["station", "month"]),
            models.Index(fields=["month", "station", "elder", "tier"]),
            # What can still be spent or must expire: a small share of all grants.
            models.Index(
                fields=["elder", "expires_on", "id"],
                name="grant_spendable",
                condition=Q(remaining__gt=0),
            ),
            models.Index(
                fields=["expires_on"],
                name="grant_to_expire",
                condition=Q(remaining__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.elder} · {self.month:%Y-%m} · {self.amount}"


class EntryKind(models.TextChoices):
    GRANT = "grant", _("Grant")
    REDEMPTION = "redemption", _("Redemption")
    EXPIRY = "expiry", _("Expiry")
    REVERSAL = "reversal", _("Reversal")


class LedgerEntry(StationScoped):
    """One movement of an elder's vouchers. Never changed, never deleted."""

    elder = models.ForeignKey(
        "elders.Elder",
        on_delete=models.PROTECT,
        related_name="voucher_entries",
        verbose_name=_("elder"),
    )
    grant = models.ForeignKey(
        Grant, on_delete=models.PROTECT, related_name="entries", verbose_name=_("grant")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    amount = models.DecimalField(
        _("amount"),
        max_digits=8,
        decimal_places=2,
        help_text=_("Positive when it adds to the balance, negative when it takes."),
    )
    month = models.DateField(_("voucher month"))
    run = models.ForeignKey(
        IssuanceRun,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("issuance run"),
    )
    service_record = models.ForeignKey(
        "services.ServiceRecord",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="voucher_entries",
        verbose_name=_("service record"),
    )
    reverses = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversals",
        verbose_name=_("reverses"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [
            models.CheckConstraint(
                name="ledger_sign_follows_kind",
                condition=(
                    Q(kind__in=[EntryKind.GRANT, EntryKind.REVERSAL], amount__gt=0)
                    | Q(kind__in=[EntryKind.REDEMPTION, EntryKind.EXPIRY], amount__lt=0)
                ),
            ),
            models.CheckConstraint(
                name="ledger_links_follow_kind",
                condition=(
                    Q(kind=EntryKind.GRANT, run__isnull=False)
                    | Q(kind=EntryKind.REDEMPTION, service_record__isnull=False)
                    | Q(kind=EntryKind.REVERSAL, reverses__isnull=False)
                    | Q(kind=EntryKind.EXPIRY)
                ),
            ),
            models.UniqueConstraint(
                fields=["grant"],
                condition=Q(kind=EntryKind.GRANT),
                name="ledger_one_grant_entry",
            ),
            models.UniqueConstraint(
                fields=["reverses"],
                condition=Q(reverses__isnull=False),
                name="ledger_reversed_once",
            ),
        ]
        indexes = [
            models.Index(fields=["elder", "-created_at", "-id"]),
            models.Index(fields=["station", "month", "kind"]),
            models.Index(
                fields=["service_record"],
                name="ledger_by_service_record",
                condition=Q(service_record__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} · {self.elder}"


class ReconciliationRun(models.Model):
    """One run of the reconciliation (``vouchers.reconcile``) and what it found."""

    station = models.ForeignKey(
        "carecenter.Station",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("station"),
        help_text=_("Empty: every station."),
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    checked = models.JSONField(_("rows checked"), default=dict)
    disagreement_count = models.PositiveIntegerField(_("disagreements"), default=0)
    disagreements = models.JSONField(
        _("disagreements found"),
        default=list,
        help_text=_("The first 200, each with its check, station, subject and detail."),
    )

    station_field = "station"

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")
        indexes = [models.Index(fields=["-started_at"])]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} · {self.disagreement_count}"

    @property
    def ok(self) -> bool:
        return self.disagreement_count == 0

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()
