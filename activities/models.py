"""Group activities (PRODUCT.md "A station's day"): cultural and sports
activities, health lectures, free health checks, festival visits — planned,
signed up for and their attendance ticked."""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from carecenter.models import StationScoped


class ActivityKind(models.TextChoices):
    CULTURE = "culture", _("Cultural activity (文体活动)")
    SPORTS = "sports", _("Sports")
    LECTURE = "lecture", _("Health lecture (健康讲座)")
    HEALTH_CHECK = "health_check", _("Free health check (义诊)")
    FESTIVAL = "festival", _("Festival visit")
    OTHER = "other", _("Other")


@pghistory.track()
class Activity(StationScoped):
    title = models.CharField(_("title"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    place = models.CharField(_("place"), max_length=120)
    # Exactly one organiser: a staff member, a volunteer team or a provider.
    organiser_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organised by (staff)"),
    )
    organiser_team = models.ForeignKey(
        "volunteers.Team",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("organised by (volunteer team)"),
    )
    organiser_provider = models.ForeignKey(
        "services.Provider",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="activities",
        verbose_name=_("organised by (provider)"),
    )
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        constraints = [
            models.CheckConstraint(
                name="activity_one_organiser",
                condition=(
                    Q(
                        organiser_staff__isnull=False,
                        organiser_team__isnull=True,
                        organiser_provider__isnull=True,
                    )
                    | Q(
                        organiser_staff__isnull=True,
                        organiser_team__isnull=False,
                        organiser_provider__isnull=True,
                    )
                    | Q(
                        organiser_staff__isnull=True,
                        organiser_team__isnull=True,
                        organiser_provider__isnull=False,
                    )
                ),
                violation_error_message=_(
                    "An activity is organised by one staff member, team or provider."
                ),
            ),
            models.CheckConstraint(
                name="activity_ends_after_start",
                condition=Q(ends_at__isnull=True) | Q(ends_at__gte=F("starts_at")),
                violation_error_message=_("The end cannot be before the start."),
            ),
        ]
        indexes = [models.Index(fields=["station", "-starts_at", "-id"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("activities:detail", args=[self.pk])

    @property
    def organiser(self):
        return self.organiser_staff or self.organiser_team or self.organiser_provider


@pghistory.track()
class Participation(StationScoped):
    """An elder signed up for an activity, or who attended it (or both). The
    station is the activity's, copied so that counts need no join."""

    activity = models.ForeignKey(
        Activity,
        on_delete=models.CASCADE,
        related_name="participations",
        verbose_name=_("activity"),
    )
    elder = models.ForeignKey(
        "elders.Elder",
        on_delete=models.PROTECT,
        related_name="activity_participations",
        verbose_name=_("elder"),
    )
    signed_up = models.BooleanField(_("signed up"), default=False)
    attended = models.BooleanField(_("attended"), default=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "elder"], name="participation_once_per_elder"
            )
        ]
        indexes = [
            models.Index(
                fields=["elder", "activity"],
                name="participation_attended",
                condition=Q(attended=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.elder} · {self.activity}"
