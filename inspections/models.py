"""The annual inspection of a station (PRODUCT.md "Supervision").

* ``Inspection``: one per station and year. The job fills in the year's figures
  and pre-fills the facility checklist from the station; the supervisor confirms
  the checklist and decides. The score, recommendation and deductions come from
  ``inspections.rules``. Once decided, the figures and the checklist are frozen:
  the decision was taken on them, and a later refresh must not change what it
  was based on.
* ``Finding``: something the station must rectify (整改) by a deadline;
  ``FindingAnswer``: what the station did, with evidence, and the supervisor's
  re-check of it.
* ``Decision``: every funding decision ever taken, append-only. The inspection
  carries the current one, and each decision sets the station's funding state
  (``carecenter.actions.station_funding_set``), which the voucher issuance reads.

Writes live in ``inspections.actions``, reads in ``inspections.queries``.
"""

from __future__ import annotations

import secrets

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from carecenter.models import StationScoped
from inspections.rules import Recommendation
from services.models import private_storage

MONTHS = 12


def no_services() -> list[int]:
    return [0] * MONTHS


class FundingDecision(models.TextChoices):
    CONTINUE = "continue", _("Continue funding")
    STOP = "stop", _("Stop funding")
    RECOVER = "recover", _("Recover funds")


#: The shape of a decision, the same on the inspection and in the history.
DECISION_SHAPE = (
    Q(decision=FundingDecision.CONTINUE, recover_amount__isnull=True)
    | Q(decision=FundingDecision.STOP, recover_amount__isnull=True)
    & ~Q(decision_reason="")
    | Q(decision=FundingDecision.RECOVER, recover_amount__gt=0) & ~Q(decision_reason="")
)


@pghistory.track(exclude=["refreshed_at"])
class Inspection(StationScoped):
    """One station's annual inspection: figures, checklist, score and decision."""

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )

    # Figures of the year, computed by the job (inspections.figures).
    services_per_month = ArrayField(
        models.PositiveIntegerField(),
        size=MONTHS,
        default=no_services,
        verbose_name=_("services per month"),
    )
    # Volunteers' visits are services too, shown on their own line; a month
    # with a visit is a month with services (inspections.rules).
    visits_per_month = ArrayField(
        models.PositiveIntegerField(),
        size=MONTHS,
        default=no_services,
        verbose_name=_("volunteer visits per month"),
    )
    services_with_feedback = models.PositiveIntegerField(
        _("services with feedback"), default=0
    )
    satisfaction = models.DecimalField(
        _("mean satisfaction"), max_digits=3, decimal_places=2, null=True, blank=True
    )
    voucher_budget = models.DecimalField(
        _("voucher budget"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    voucher_issued = models.DecimalField(
        _("vouchers issued"), max_digits=14, decimal_places=2, default=0
    )
    voucher_used = models.DecimalField(
        _("vouchers redeemed"),
        max_digits=14,
        decimal_places=2,
        default=0,
        help_text=_("Redemptions net of reversals (cancelled services)."),
    )
    staff_total = models.PositiveIntegerField(_("assistance staff"), default=0)
    staff_certified = models.PositiveIntegerField(_("staff certified"), default=0)
    volunteers_total = models.PositiveIntegerField(_("volunteers"), default=0)
    volunteers_certified = models.PositiveIntegerField(
        _("volunteers certified"), default=0
    )
    trainings_held = models.PositiveIntegerField(_("training sessions held"), default=0)
    activities_held = models.PositiveIntegerField(
        _("group activities held"), default=0, db_default=0
    )
    activity_attendances = models.PositiveIntegerField(
        _("attendances at group activities"), default=0, db_default=0
    )
    refreshed_at = models.DateTimeField(_("figures computed at"), null=True)

    # The facility checklist: pre-filled from the station, confirmed by the supervisor.
    building_area = models.DecimalField(
        _("building area (m²)"),
        max_digits=8,
        decimal_places=1,
        default=0,
        validators=[MinValueValidator(0)],
    )
    has_day_care_room = models.BooleanField(_("day-care room"), default=False)
    has_pantry = models.BooleanField(_("pantry"), default=False)
    has_medical_room = models.BooleanField(_("medical room"), default=False)
    has_entertainment_room = models.BooleanField(_("entertainment room"), default=False)
    has_studio = models.BooleanField(_("studio / activity room"), default=False)
    has_catering_hygiene_certificate = models.BooleanField(
        _("catering hygiene certificate"), default=False
    )
    has_outdoor_fitness = models.BooleanField(
        _("outdoor fitness facilities"), default=False
    )
    public_welfare_posts = models.PositiveSmallIntegerField(
        _("public-welfare posts"), default=0
    )
    funds_used_properly = models.BooleanField(
        _("funds used only for facilities and services"),
        null=True,
        blank=True,
        help_text=_("Empty until the supervisor has checked it."),
    )
    checklist_notes = models.TextField(_("checklist notes"), blank=True)
    checklist_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("checklist confirmed by"),
    )
    checklist_confirmed_at = models.DateTimeField(
        _("checklist confirmed at"), null=True, blank=True
    )

    # What inspections.rules makes of the figures and the checklist.
    score = models.PositiveSmallIntegerField(
        _("score"), default=100, validators=[MaxValueValidator(100)]
    )
    recommendation = models.CharField(
        _("recommendation"),
        max_length=16,
        choices=Recommendation.choices,
        default=Recommendation.CONTINUE,
    )
    deductions = models.JSONField(_("deductions"), default=list, blank=True)

    # The current decision; every decision is kept in ``Decision``.
    decision = models.CharField(
        _("decision"), max_length=16, choices=FundingDecision.choices, blank=True
    )
    decision_reason = models.TextField(_("reason"), blank=True)
    recover_amount = models.DecimalField(
        _("amount to recover"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-year", "station__code"]
        verbose_name = _("annual inspection")
        verbose_name_plural = _("annual inspections")
        constraints = [
            models.UniqueConstraint(
                fields=["station", "year"], name="inspection_one_per_station_year"
            ),
            models.CheckConstraint(
                condition=Q(score__lte=100), name="inspection_score_at_most_100"
            ),
            models.CheckConstraint(
                name="inspection_decision_shape",
                condition=Q(
                    decision="",
                    recover_amount__isnull=True,
                    decided_at__isnull=True,
                    decided_by__isnull=True,
                )
                | DECISION_SHAPE & Q(decided_at__isnull=False),
            ),
            models.CheckConstraint(
                name="inspection_decided_after_checklist",
                condition=Q(decision="") | Q(checklist_confirmed_at__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["year", "station"])]

    def __str__(self) -> str:
        return f"{self.station} · {self.year}"

    def get_absolute_url(self) -> str:
        return reverse("inspections:detail", args=[self.pk])

    @property
    def is_decided(self) -> bool:
        return bool(self.decision)

    @property
    def checklist_confirmed(self) -> bool:
        return self.checklist_confirmed_at is not None

    @property
    def services_total(self) -> int:
        return sum(self.services_per_month)

    @property
    def visits_total(self) -> int:
        return sum(self.visits_per_month or [])

    @property
    def feedback_coverage(self):
        from inspections.rules import percent

        return percent(self.services_with_feedback, self.services_total)

    @property
    def voucher_use(self):
        from inspections.rules import percent

        return percent(self.voucher_used, self.voucher_budget or 0)

    @property
    def certified_share(self):
        from inspections.rules import percent

        return percent(
            self.staff_certified + self.volunteers_certified,
            self.staff_total + self.volunteers_total,
        )


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Awaiting the station's answer")
    ANSWERED = "answered", _("Awaiting re-check")
    ACCEPTED = "accepted", _("Rectified")


#: Findings still to be dealt with by the station or the supervisor.
PENDING_FINDING = (FindingStatus.OPEN, FindingStatus.ANSWERED)


@pghistory.track()
class Finding(StationScoped):
    """Something the station must rectify (整改) by a deadline."""

    inspection = models.ForeignKey(
        Inspection,
        on_delete=models.PROTECT,
        related_name="findings",
        verbose_name=_("inspection"),
    )
    indicator = models.CharField(
        _("indicator"),
        max_length=32,
        blank=True,
        help_text=_("Empty for a finding outside the scored indicators."),
    )
    text = models.TextField(_("finding"))
    deadline = models.DateField(_("rectify by"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=FindingStatus.choices,
        default=FindingStatus.OPEN,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sent by"),
    )
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("rectified at"), null=True, blank=True)

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        constraints = [
            models.CheckConstraint(
                condition=~Q(text=""), name="finding_text_not_empty"
            ),
            models.CheckConstraint(
                name="finding_closed_when_accepted",
                condition=Q(status=FindingStatus.ACCEPTED, closed_at__isnull=False)
                | Q(
                    status__in=[FindingStatus.OPEN, FindingStatus.ANSWERED],
                    closed_at__isnull=True,
                ),
            ),
        ]
        indexes = [
            models.Index(
                fields=["station", "deadline"],
                name="finding_pending",
                condition=Q(status__in=["open", "answered"]),
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]

    def get_absolute_url(self) -> str:
        return f"{self.inspection.get_absolute_url()}#finding-{self.pk}"

    @property
    def indicator_label(self) -> str:
        from inspections.rules import BY_CODE

        indicator = BY_CODE.get(self.indicator)
        return str(indicator.label) if indicator else ""


def evidence_path(answer: FindingAnswer, filename: str) -> str:
    """``inspections/<station>/<random>.<ext>``: nothing guessable, no one's name."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"inspections/{answer.station_id}/{secrets.token_urlsafe(18)}.{extension}"


class RecheckResult(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    NOT_ACCEPTED = "not_accepted", _("Not accepted")


@pghistory.track()
class FindingAnswer(StationScoped):
    """The station's answer to a finding (what it did, with evidence) and the
    supervisor's re-check of it. A finding not accepted is answered again."""

    finding = models.ForeignKey(
        Finding,
        on_delete=models.PROTECT,
        related_name="answers",
        verbose_name=_("finding"),
    )
    text = models.TextField(_("what the station did"))
    evidence = models.FileField(
        _("evidence"),
        storage=private_storage,
        upload_to=evidence_path,
        max_length=200,
        blank=True,
    )
    evidence_content_type = models.CharField(max_length=32, blank=True, editable=False)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("answered by"),
    )
    answered_at = models.DateTimeField(_("answered at"), auto_now_add=True)
    result = models.CharField(
        _("re-check"), max_length=16, choices=RecheckResult.choices, blank=True
    )
    recheck_note = models.TextField(_("re-check note"), blank=True)
    rechecked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("re-checked by"),
    )
    rechecked_at = models.DateTimeField(_("re-checked at"), null=True, blank=True)

    class Meta:
        ordering = ["answered_at", "pk"]
        verbose_name = _("rectification answer")
        verbose_name_plural = _("rectification answers")
        constraints = [
            models.CheckConstraint(
                condition=~Q(text=""), name="finding_answer_text_not_empty"
            ),
            models.CheckConstraint(
                name="finding_answer_recheck_shape",
                condition=Q(result="", rechecked_at__isnull=True)
                | Q(result=RecheckResult.ACCEPTED, rechecked_at__isnull=False)
                | Q(result=RecheckResult.NOT_ACCEPTED, rechecked_at__isnull=False)
                & ~Q(recheck_note=""),
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60]


@pgtrigger.register(
    pgtrigger.Protect(
        name="decision_append_only",
        operation=pgtrigger.Update | pgtrigger.Delete,
    )
)
class Decision(StationScoped):
    """One funding decision, as taken; never changed. A later one supersedes it."""

    inspection = models.ForeignKey(
        Inspection,
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("inspection"),
    )
    decision = models.CharField(
        _("decision"), max_length=16, choices=FundingDecision.choices
    )
    decision_reason = models.TextField(_("reason"), blank=True)
    recover_amount = models.DecimalField(
        _("amount to recover"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    score = models.PositiveSmallIntegerField(_("score"))
    recommendation = models.CharField(
        _("recommendation"), max_length=16, choices=Recommendation.choices
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"))

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("funding decision")
        verbose_name_plural = _("funding decisions")
        constraints = [
            models.CheckConstraint(condition=DECISION_SHAPE, name="decision_shape"),
        ]
        indexes = [models.Index(fields=["station", "-decided_at", "-id"])]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} · {self.inspection}"
