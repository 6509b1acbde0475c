"""Care calls (电话问候), emergency help (助急) and health readings.

Every row belongs to the elder's station (copied by the actions), so the
station's lists and counters need no join.
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from carecenter.models import District, StationScoped
from elders.models import Elder


class CallKind(models.TextChoices):
    GREETING = "greeting", _("Greeting")
    EMERGENCY = "emergency", _("Emergency")


class CallOutcome(models.TextChoices):
    WELL = "well", _("Reached, all well")
    CONCERN = "concern", _("Reached, a concern")
    NO_ANSWER = "no_answer", _("No answer")


@pghistory.track()
class CareCall(StationScoped):
    """A phone call to an elder by the station's staff."""

    elder = models.ForeignKey(
        Elder,
        on_delete=models.PROTECT,
        related_name="care_calls",
        verbose_name=_("elder"),
    )
    called_at = models.DateTimeField(_("called at"))
    kind = models.CharField(
        _("kind"), max_length=16, choices=CallKind.choices, default=CallKind.GREETING
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=CallOutcome.choices)
    notes = models.TextField(_("notes"), blank=True)
    needs_follow_up = models.BooleanField(_("needs follow-up"), default=False)
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
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    contact_informed = models.BooleanField(
        _("emergency contact informed"), null=True, blank=True
    )
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("called by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-called_at", "-pk"]
        verbose_name = _("care call")
        verbose_name_plural = _("care calls")
        indexes = [
            models.Index(fields=["elder", "-called_at"], name="care_call_elder_idx"),
            models.Index(
                fields=["station", "-called_at"], name="care_call_station_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(responded_at__isnull=True)
                | Q(responded_at__gte=models.F("called_at")),
                name="care_call_response_after_call",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.elder} · {self.called_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("care:call-list") + f"?elder={self.elder_id}"

    @property
    def reached(self) -> bool:
        return self.outcome != CallOutcome.NO_ANSWER

    @property
    def follow_up_open(self) -> bool:
        return self.needs_follow_up and self.resolved_at is None


class CallerRelation(models.TextChoices):
    ELDER = "elder", _("The elder")
    FAMILY = "family", _("Family")
    NEIGHBOUR = "neighbour", _("Neighbour")
    VOLUNTEER = "volunteer", _("Volunteer")
    OTHER = "other", _("Other")


@pghistory.track()
class Emergency(StationScoped):
    """An emergency call for help (助急), open until closed with its outcome."""

    elder = models.ForeignKey(
        Elder,
        on_delete=models.PROTECT,
        related_name="emergencies",
        verbose_name=_("elder"),
    )
    reported_at = models.DateTimeField(_("reported at"))
    caller_name = models.CharField(_("who called"), max_length=50)
    caller_relation = models.CharField(
        _("caller is"), max_length=16, choices=CallerRelation.choices
    )
    what_happened = models.TextField(_("what happened"))
    responder = models.CharField(_("who responded"), max_length=100, blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    contact_informed = models.BooleanField(
        _("emergency contact informed"), default=False
    )
    outcome = models.TextField(_("outcome"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-reported_at", "-pk"]
        verbose_name = _("emergency")
        verbose_name_plural = _("emergencies")
        indexes = [
            models.Index(fields=["elder", "-reported_at"], name="emergency_elder_idx"),
            models.Index(
                fields=["station", "-reported_at"], name="emergency_station_idx"
            ),
            models.Index(
                fields=["station"],
                condition=Q(closed_at__isnull=True),
                name="emergency_open_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(responded_at__isnull=True)
                | Q(responded_at__gte=models.F("reported_at")),
                name="emergency_response_after_report",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True)
                | (~Q(outcome="") & Q(responded_at__isnull=False)),
                name="emergency_closed_with_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.elder} · {self.reported_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("care:emergency-detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def response_minutes(self) -> int | None:
        if self.responded_at is None:
            return None
        return int((self.responded_at - self.reported_at).total_seconds() // 60)


@pghistory.track()
class HealthReading(StationScoped):
    """Blood pressure and/or blood sugar measured by staff.

    Readings taken on a volunteer's visit stay on the visit; the elder's page
    reads both (``care.queries.readings``).
    """

    elder = models.ForeignKey(
        Elder,
        on_delete=models.PROTECT,
        related_name="health_readings",
        verbose_name=_("elder"),
    )
    measured_at = models.DateTimeField(_("measured at"))
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
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-measured_at", "-pk"]
        verbose_name = _("health reading")
        verbose_name_plural = _("health readings")
        indexes = [
            models.Index(fields=["elder", "-measured_at"], name="reading_elder_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(systolic__isnull=True, diastolic__isnull=True)
                | Q(
                    systolic__gt=models.F("diastolic"),
                    systolic__range=(50, 300),
                    diastolic__range=(20, 200),
                ),
                name="reading_blood_pressure_plausible",
            ),
            models.CheckConstraint(
                condition=Q(blood_sugar__isnull=True) | Q(blood_sugar__range=(1, 40)),
                name="reading_blood_sugar_plausible",
            ),
            models.CheckConstraint(
                condition=Q(systolic__isnull=False) | Q(blood_sugar__isnull=False),
                name="reading_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.elder} · {self.measured_at:%Y-%m-%d %H:%M}"


class LastContact(models.Model):
    """Each elder's latest contact by source, kept by database triggers.

    Statement-level triggers on care calls, volunteers' visits and service
    records recompute the rows of the elders a statement touched (migration
    ``care/0003_last_contact``), so bulk and raw writes are caught too and the
    cadence (``care.cadence``) reads one row per elder instead of probing three
    tables. Never written by the application, except for an empty row that
    ``cadence.obligations_store`` inserts to lock on (no contact, as before).
    """

    elder = models.OneToOneField(
        Elder,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="contacted",
        verbose_name=_("elder"),
    )
    call = models.DateTimeField(_("latest call that reached the elder"), null=True)
    visit = models.DateTimeField(_("latest volunteer visit"), null=True)
    service = models.DateTimeField(_("latest service"), null=True)

    station_field = "elder__station"

    class Meta:
        verbose_name = _("latest contact")
        verbose_name_plural = _("latest contacts")

    def __str__(self) -> str:
        return str(self.elder_id)


class Obligation(StationScoped):
    """One contact an elder owes under the cadence, kept instead of computed.

    ``care.cadence.obligations()`` is the rule; this table keeps its rows so
    that "who is due" is an index range per station instead of a computation
    over every elder on each page load. One row per active elder and group
    whose condition the elder meets (unique ``(elder, group)``):

    * membership (the rows, their ``every_days``, ``in_person``, ``since``) is
      re-stored by ``cadence.obligations_store`` whenever an elder or their
      Barthel assessments change (registered with ``elders.kept``) and every
      night for every elder (ages crossing 80; it also heals any drift);
    * ``last_contact`` and ``due_on`` follow every contact through a trigger on
      ``LastContact`` (``cadence.triggers_sql``, migration
      ``care/0005_obligations_kept``) with the formula of ``obligations()``.

    Never written by hand.
    """

    elder = models.ForeignKey(
        Elder,
        on_delete=models.CASCADE,
        related_name="obligations",
        verbose_name=_("elder"),
    )
    # The elder's district, so a supervisor's scope reads this table's own
    # indexed column (``carecenter.scoping``, ``district_field``).
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    group = models.CharField(_("group"), max_length=32)
    every_days = models.PositiveSmallIntegerField(_("every (days)"))
    in_person = models.BooleanField(_("only a visit or a service counts"))
    since = models.DateTimeField(_("archive opened"))
    last_contact = models.DateTimeField(_("last contact"), null=True)
    due_on = models.DateField(_("due on"))

    district_field = "district"

    class Meta:
        verbose_name = _("contact obligation")
        verbose_name_plural = _("contact obligations")
        constraints = [
            models.UniqueConstraint(
                fields=["elder", "group"], name="obligation_elder_group"
            ),
        ]
        indexes = [
            # "Due on or before D" per station is one range; the counts read
            # the index only, and the due list's first page is this order with
            # LIMIT (``group`` last: one order for every page of the list).
            # ``in_person`` rides along for the list of one kind.
            models.Index(
                fields=["station", "due_on", "elder", "group"],
                include=["in_person"],
                name="obligation_station_due",
            ),
            # The same for a supervisor's district.
            models.Index(
                fields=["district", "due_on", "elder", "group"],
                include=["in_person"],
                name="obligation_district_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.elder_id} · {self.group} · {self.due_on}"


class ObligationRun(models.Model):
    """A re-store of every elder's kept ``Obligation`` rows: the day it made
    them true for and how many rows it wrote (the nightly run and its catch-up
    read the latest day)."""

    on = models.DateField(_("obligations of"))
    written = models.PositiveIntegerField(_("rows written"), default=0)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))

    class Meta:
        ordering = ["-on", "-pk"]
        verbose_name = _("obligations run")
        verbose_name_plural = _("obligations runs")

    def __str__(self) -> str:
        return f"{self.on} ({self.written})"


class DueCount(models.Model):
    """A change of how many of a station's obligations fall due on a day: the
    home page's due and overdue counts are sums of these rows, not a count of
    every due obligation of a district on each load (``care.due_counts``).

    Appended by statement-level triggers on ``Obligation`` (one row per station
    and due day a statement changed); the scheduled refresh folds them, and
    folds every day already past into one row dated yesterday: a day that is
    past stays past, so the count of "due before today" is the same from it.
    Never written by hand.
    """

    station_id = models.BigIntegerField(_("station"))
    due_on = models.DateField(_("due on"))
    n = models.BigIntegerField(_("change"))

    class Meta:
        verbose_name = _("due count")
        verbose_name_plural = _("due counts")
        indexes = [
            models.Index(
                fields=["station_id", "due_on"], include=["n"], name="due_count_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.station_id} {self.due_on} {self.n:+d}"
