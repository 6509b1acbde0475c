"""Enrolments in the daily services taken on day sheets (PRODUCT.md "A station's
day"): an elder comes to the canteen, has meals delivered or spends the day in
day care on given weekdays, from a start date to an optional end.

The day sheet itself is no table: it is the enrolments of a station, service and
weekday, and the service records of that day (``ServiceRecord.service_day``).
"""

from __future__ import annotations

import pghistory
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateRangeField, RangeOperators
from django.db import models
from django.db.models import F, Func, Q, Value
from django.utils.translation import gettext_lazy as _

from carecenter.models import StationScoped


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Mon")
    TUESDAY = 1, _("Tue")
    WEDNESDAY = 2, _("Wed")
    THURSDAY = 3, _("Thu")
    FRIDAY = 4, _("Fri")
    SATURDAY = 5, _("Sat")
    SUNDAY = 6, _("Sun")


class Meal(models.TextChoices):
    BREAKFAST = "breakfast", _("breakfast")
    LUNCH = "lunch", _("lunch")
    DINNER = "dinner", _("dinner")


class DateRange(Func):
    function = "daterange"
    output_field = DateRangeField()


@pghistory.track()
class Enrolment(StationScoped):
    """An elder enrolled in a daily service (a subscription)."""

    elder = models.ForeignKey(
        "elders.Elder",
        on_delete=models.PROTECT,
        related_name="enrolments",
        verbose_name=_("elder"),
    )
    service_type = models.ForeignKey(
        "services.ServiceType",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("service"),
    )
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(choices=Weekday.choices),
        verbose_name=_("weekdays"),
    )
    meals = ArrayField(
        models.CharField(max_length=10, choices=Meal.choices),
        blank=True,
        default=list,
        verbose_name=_("meals"),
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["service_type", "elder__name", "pk"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.CheckConstraint(
                name="enrolment_ends_after_start",
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                violation_error_message=_("The end cannot be before the start."),
            ),
            models.CheckConstraint(
                name="enrolment_has_weekdays",
                condition=~Q(weekdays=[]),
                violation_error_message=_("Choose at least one weekday."),
            ),
            # One enrolment per elder and service at any time.
            ExclusionConstraint(
                name="enrolment_no_overlap",
                expressions=[
                    ("elder", RangeOperators.EQUAL),
                    ("service_type", RangeOperators.EQUAL),
                    (
                        DateRange("starts_on", "ends_on", Value("[]")),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                violation_error_message=_(
                    "This elder is already enrolled in this service for those days."
                ),
            ),
        ]
        indexes = [models.Index(fields=["station", "service_type", "starts_on"])]

    def __str__(self) -> str:
        return f"{self.elder} · {self.service_type}"

    def weekday_labels(self) -> list[str]:
        return [str(Weekday(d).label) for d in sorted(self.weekdays)]

    def meal_labels(self) -> list[str]:
        return [str(Meal(m).label) for m in self.meals]
