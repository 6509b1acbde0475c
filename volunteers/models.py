"""Teams, training, pairings, visits and hours (PRODUCT.md, "Volunteer teams")."""

from __future__ import annotations

import datetime

import pghistory
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    ArrayField,
    DateTimeRangeField,
    RangeBoundary,
    RangeOperators,
)
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carecenter.catalogue import ServiceKind
from carecenter.models import StationScoped
from carecenter.validators import plausible_birth_date
from elders.models import Elder, Gender, age_on


class TsTzRange(models.Func):
    """``tstzrange(start, end, '[)')``: a visit's time, for the overlap rule."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class TeamKind(models.TextChoices):
    """PRODUCT.md: assistance staff, volunteer teams, professional teams."""

    ASSISTANCE = "assistance", _("Assistance staff (助老服务队伍)")
    YOUNG_OLD = "young_old", _("Volunteer team: young-old")
    YOUTH = "youth", _("Volunteer team: youth")
    HOUSEKEEPING = "housekeeping", _("Professional team: housekeeping")
    REPAIR = "repair", _("Professional team: plumbing and electrical repair")
    MEDICAL = "medical", _("Professional team: medical")


PROFESSIONAL_TEAM_KINDS = (TeamKind.HOUSEKEEPING, TeamKind.REPAIR, TeamKind.MEDICAL)


@pghistory.track()
class Team(StationScoped):
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=TeamKind.choices)
    leader = models.ForeignKey(
        "Volunteer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("leader"),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(
                fields=["station", "name"],
                name="team_name_unique_in_station",
                violation_error_message=_(
                    "This station already has a team of this name."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("volunteers:team-detail", args=[self.pk])

    @property
    def is_professional(self) -> bool:
        return self.kind in PROFESSIONAL_TEAM_KINDS

    @classmethod
    def volunteer_scope(cls, user) -> Q:
        """A volunteer sees their own team."""
        return Q(pk__in=Volunteer.objects.filter(user=user).values("team_id"))


class VolunteerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    LEFT = "left", _("Left")


@pghistory.track()
class Volunteer(StationScoped):
    """A registered volunteer; ``user`` is their login when they log visits."""

    team = models.ForeignKey(
        Team,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("team"),
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"), validators=[plausible_birth_date])
    phone = models.CharField(_("phone"), max_length=32)
    occupation = models.CharField(_("occupation"), max_length=100, blank=True)
    specialties = ArrayField(
        models.CharField(max_length=32, choices=ServiceKind.choices),
        verbose_name=_("specialties"),
        default=list,
        blank=True,
    )
    availability = models.CharField(
        _("availability"),
        max_length=200,
        blank=True,
        help_text=_("When the volunteer can serve, e.g. weekday mornings."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=VolunteerStatus.choices,
        default=VolunteerStatus.ACTIVE,
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="volunteer",
        verbose_name=_("login"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        indexes = [
            models.Index(fields=["station", "name"]),
            models.Index(fields=["station", "birth_date"]),
            GinIndex(fields=["specialties"], name="volunteer_specialties_gin"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("volunteers:detail", args=[self.pk])

    @property
    def age(self) -> int:
        return age_on(self.birth_date, timezone.localdate())

    @property
    def specialty_labels(self) -> list[str]:
        return [
            ServiceKind(s).label for s in self.specialties if s in ServiceKind.values
        ]

    @classmethod
    def volunteer_scope(cls, user) -> Q:
        """A volunteer sees their own record."""
        return Q(user=user)


@pghistory.track()
class TrainingSession(StationScoped):
    """Pre-job and continuing training (岗前培训)."""

    held_on = models.DateField(_("held on"))
    topic = models.CharField(_("topic"), max_length=200)
    trainer = models.CharField(_("trainer"), max_length=100)
    hours = models.DecimalField(
        _("hours"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    attendees = models.ManyToManyField(
        Volunteer,
        related_name="training_sessions",
        blank=True,
        verbose_name=_("attendees"),
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")

    def __str__(self) -> str:
        return f"{self.held_on} {self.topic}"


class CertificateKind(models.TextChoices):
    """Certificates; ``volunteers.qualifications`` says which service each allows."""

    PRE_JOB = "pre_job", _("Pre-job training")
    ELDER_CARE = "elder_care", _("Elder-care worker (养老护理员)")
    MEDICAL = "medical", _("Medical practitioner or nurse")
    REHAB = "rehab", _("Rehabilitation therapist")
    ELECTRICIAN = "electrician", _("Electrician or plumber")
    COUNSELLOR = "counsellor", _("Psychological counsellor")
    LAWYER = "lawyer", _("Lawyer or legal worker")
    FIRST_AID = "first_aid", _("First aid")
    OTHER = "other", _("Other")


@pghistory.track()
class Certificate(models.Model):
    volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.CASCADE,
        related_name="certificates",
        verbose_name=_("volunteer"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=CertificateKind.choices)
    number = models.CharField(_("certificate number"), max_length=64, blank=True)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(
        _("expires on"), null=True, blank=True, help_text=_("Empty: does not expire.")
    )
    issuer = models.CharField(_("issued by"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    station_field = "volunteer__station"

    class Meta:
        ordering = ["expires_on", "pk"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        indexes = [models.Index(fields=["expires_on", "volunteer"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(expires_on__gte=models.F("issued_on")),
                name="certificate_expires_after_issue",
                violation_error_message=_(
                    "A certificate cannot expire before it is issued."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}".strip()

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.issued_on <= day and (
            self.expires_on is None or self.expires_on >= day
        )

    @classmethod
    def volunteer_scope(cls, user) -> Q:
        return Q(volunteer__user=user)


@pghistory.track()
class Pairing(StationScoped):
    """A volunteer's pairing with an elder (结对) and its service letter (服务承诺书).

    The volunteer (or staff for them) claims the elder; the station manager
    approves; the letter's signing date is recorded; the pairing ends with a reason.
    """

    volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.PROTECT,
        related_name="pairings",
        verbose_name=_("volunteer"),
    )
    elder = models.ForeignKey(
        Elder,
        on_delete=models.PROTECT,
        related_name="pairings",
        verbose_name=_("elder"),
    )
    services = ArrayField(
        models.CharField(max_length=32, choices=ServiceKind.choices),
        verbose_name=_("services"),
        default=list,
        blank=True,
    )
    schedule = models.CharField(
        _("service hours"),
        max_length=200,
        blank=True,
        help_text=_("When the volunteer visits, e.g. Tuesdays 9:00–11:00."),
    )
    claimed_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("claimed by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    letter_signed_on = models.DateField(_("letter signed on"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.TextField(_("reason for ending"), blank=True)

    class Meta:
        ordering = ["-claimed_at", "-pk"]
        verbose_name = _("pairing")
        verbose_name_plural = _("pairings")
        indexes = [
            models.Index(fields=["station", "active"]),
            models.Index(
                fields=["volunteer", "elder"],
                condition=Q(active=True, approved_at__isnull=False),
                name="pairing_in_force_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "elder"],
                condition=Q(active=True),
                name="pairing_one_active_per_volunteer_and_elder",
                violation_error_message=_(
                    "This volunteer is already paired with this elder."
                ),
            ),
            models.CheckConstraint(
                condition=Q(active=True, ended_on__isnull=True)
                | (Q(active=False, ended_on__isnull=False) & ~Q(end_reason="")),
                name="pairing_ended_with_reason",
                violation_error_message=_(
                    "An ended pairing needs the date and the reason."
                ),
            ),
            models.CheckConstraint(
                condition=Q(letter_signed_on__isnull=True)
                | Q(approved_at__isnull=False),
                name="pairing_letter_after_approval",
                violation_error_message=_(
                    "The service letter is signed after the pairing is approved."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.elder}"

    def get_absolute_url(self) -> str:
        return reverse("volunteers:pairing-detail", args=[self.pk])

    @property
    def in_force(self) -> bool:
        """Active and approved: the volunteer may visit and log visits."""
        return self.active and self.approved_at is not None

    @property
    def state(self) -> str:
        if not self.active:
            return "ended"
        return "approved" if self.approved_at else "claimed"

    @property
    def service_labels(self) -> list[str]:
        return [ServiceKind(s).label for s in self.services if s in ServiceKind.values]

    @classmethod
    def volunteer_scope(cls, user) -> Q:
        """A volunteer sees their own pairings."""
        return Q(volunteer__user=user)


def paired_elder_ids(user) -> models.QuerySet:
    """Ids of the elders of ``user``'s active, approved pairings (a subquery)."""
    return Pairing.objects.filter(
        volunteer__user=user, active=True, approved_at__isnull=False
    ).values("elder_id")


@pghistory.track()
class Visit(StationScoped):
    """One completed visit logged by a volunteer (PRODUCT.md, "Volunteer teams")."""

    volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("volunteer"),
    )
    elder = models.ForeignKey(
        Elder, on_delete=models.PROTECT, related_name="visits", verbose_name=_("elder")
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"))
    services = ArrayField(
        models.CharField(max_length=32, choices=ServiceKind.choices),
        verbose_name=_("services done"),
        default=list,
        blank=True,
    )
    notes = models.TextField(_("notes"), blank=True)
    systolic = models.PositiveSmallIntegerField(
        _("blood pressure, systolic (mmHg)"), null=True, blank=True
    )
    diastolic = models.PositiveSmallIntegerField(
        _("blood pressure, diastolic (mmHg)"), null=True, blank=True
    )
    blood_sugar = models.DecimalField(
        _("blood sugar (mmol/L)"),
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
    )
    needs_follow_up = models.BooleanField(_("needs follow-up"), default=False)
    follow_up_reason = models.TextField(_("follow-up reason"), blank=True)
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
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("logged by"),
    )
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)
    client_id = models.UUIDField(
        _("client id"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Made by the volunteer's phone when the visit was saved there; a visit "
            "sent again with the same id is the same visit."
        ),
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = [
            models.Index(fields=["volunteer", "-started_at"]),
            models.Index(fields=["elder", "-started_at"]),
            models.Index(
                fields=["station", "started_at"],
                condition=Q(needs_follow_up=True, resolved_at__isnull=True),
                name="visit_open_follow_up_idx",
            ),
        ]
        constraints = [
            # A phone that sends a visit again (its answer was lost, the network
            # came back twice) finds it by this id: exactly one row per id.
            models.UniqueConstraint(
                fields=["client_id"],
                name="visit_client_id_unique",
                violation_error_message=_("This visit was sent already."),
            ),
            models.CheckConstraint(
                condition=Q(ended_at__gt=models.F("started_at")),
                name="visit_ends_after_start",
                violation_error_message=_("The visit must end after it starts."),
            ),
            # Two visits of one volunteer never overlap, even when logged at the
            # same moment from two phones.
            ExclusionConstraint(
                name="visit_no_overlap_per_volunteer",
                expressions=[
                    (
                        TsTzRange("started_at", "ended_at", RangeBoundary()),
                        RangeOperators.OVERLAPS,
                    ),
                    ("volunteer", RangeOperators.EQUAL),
                ],
                violation_error_message=_(
                    "This visit overlaps another visit of the same volunteer."
                ),
            ),
            models.CheckConstraint(
                condition=Q(needs_follow_up=False) | ~Q(follow_up_reason=""),
                name="visit_follow_up_has_reason",
                violation_error_message=_("Say why the elder needs a follow-up."),
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True)
                | (Q(needs_follow_up=True) & ~Q(resolution_note="")),
                name="visit_resolved_with_note",
                violation_error_message=_("A follow-up is resolved with a note."),
            ),
            models.CheckConstraint(
                condition=Q(systolic__isnull=True, diastolic__isnull=True)
                | Q(
                    systolic__gt=models.F("diastolic"),
                    systolic__range=(50, 300),
                    diastolic__range=(20, 200),
                ),
                name="visit_blood_pressure_plausible",
                violation_error_message=_(
                    "Give both blood pressure values, systolic above diastolic."
                ),
            ),
            models.CheckConstraint(
                condition=Q(blood_sugar__isnull=True) | Q(blood_sugar__range=(1, 40)),
                name="visit_blood_sugar_plausible",
                violation_error_message=_(
                    "Blood sugar is given in mmol/L, between 1 and 40."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} · {self.elder} · {self.started_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("volunteers:visit-detail", args=[self.pk])

    @property
    def minutes(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds() // 60)

    @property
    def service_labels(self) -> list[str]:
        return [ServiceKind(s).label for s in self.services if s in ServiceKind.values]

    @property
    def follow_up_open(self) -> bool:
        return self.needs_follow_up and self.resolved_at is None

    @classmethod
    def volunteer_scope(cls, user) -> Q:
        """A volunteer sees their own visits."""
        return Q(volunteer__user=user)


class HoursEntryKind(models.TextChoices):
    VISIT = "visit", _("Visit")
    ADJUSTMENT = "adjustment", _("Adjustment")


@pghistory.track()
class HoursEntry(StationScoped):
    """One line of the time-bank ledger: minutes credited to a volunteer for a month.

    A visit credits its minutes in the same transaction that records it (one entry
    per visit, by a unique constraint); monthly totals are sums of entries.
    """

    volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.PROTECT,
        related_name="hours_entries",
        verbose_name=_("volunteer"),
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    minutes = models.IntegerField(_("minutes"))
    kind = models.CharField(_("kind"), max_length=16, choices=HoursEntryKind.choices)
    visit = models.OneToOneField(
        Visit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hours_entry",
        verbose_name=_("visit"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-month", "-pk"]
        verbose_name = _("hours entry")
        verbose_name_plural = _("hours entries")
        indexes = [
            models.Index(fields=["station", "month", "volunteer"]),
            models.Index(fields=["volunteer", "month"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="hours_entry_month_is_first_day",
            ),
            models.CheckConstraint(
                condition=Q(kind=HoursEntryKind.VISIT, visit__isnull=False)
                | Q(kind=HoursEntryKind.ADJUSTMENT, visit__isnull=True) & ~Q(note=""),
                name="hours_entry_kind_shape",
                violation_error_message=_("An adjustment needs a note."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} {self.month:%Y-%m} {self.minutes}"

    @classmethod
    def volunteer_scope(cls, user) -> Q:
        return Q(volunteer__user=user)
