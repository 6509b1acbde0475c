"""The district dashboard's pre-aggregated figures (PRODUCT.md "Supervision").

The dashboard never scans the raw records: it reads ``MonthlyFigure``, one number
per station, month, metric and key, kept current by ``supervision.actions``:

* *flow* metrics (services, feedback, vouchers, volunteer hours) belong to the
  month in which things happened and are recomputed for a range of months;
* *snapshot* metrics (elders, needs, open follow-ups, expiring certificates and
  agreements) describe the stations at the time of the refresh and are stored
  under the month of that refresh. A closed month keeps the snapshot of its last
  refresh.

Averages are stored as a sum and a count (``satisfaction_sum`` and ``feedback``)
so that they add up correctly over stations and months.

Database triggers on the raw tables (migration ``0002_stale_marks``) append a
``StaleMonth`` row for every station-month a write touches, so a late change to
a closed month (a cancelled service, late feedback, an expiry, a visit logged
afterwards) is folded in by the next refresh.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from carecenter.models import Station


class Family(models.TextChoices):
    """The metric families; each is refreshed by one set-based statement."""

    ELDERS = "elders", _("Elders")
    NEEDS = "needs", _("Needs")
    ALERTS = "alerts", _("Follow-ups and expiries")
    SERVICES = "services", _("Services and feedback")
    VOUCHERS = "vouchers", _("Vouchers")
    VOLUNTEERS = "volunteers", _("Volunteer hours")
    CARE = "care", _("Care calls and emergencies")
    ACTIVITIES = "activities", _("Group activities")


#: Families that describe the stations now, stored under the current month.
SNAPSHOT_FAMILIES = (Family.ELDERS, Family.NEEDS, Family.ALERTS)
#: Families that count what happened in each month.
FLOW_FAMILIES = (
    Family.SERVICES,
    Family.VOUCHERS,
    Family.VOLUNTEERS,
    Family.ACTIVITIES,
    Family.CARE,
)


class Metric(models.TextChoices):
    # Snapshot: elders on file (active or in an institution).
    ELDERS = "elders", _("Elders on file")
    ELDERS_AGE = "elders_age", _("Elders by age band")  # key: age band
    ELDERS_CATEGORY = "elders_category", _("Elders by category")  # key: category
    ELDERS_TIER = "elders_tier", _("Elders by tier")  # key: tier today
    NEEDS_SURVEYED = "needs_surveyed", _("Elders surveyed")
    NEEDS = "needs", _("Elders needing a service")  # key: service code
    FOLLOW_UPS_OPEN = "follow_ups_open", _("Open follow-ups")
    CERTIFICATES_EXPIRING = "certificates_expiring", _("Certificates expiring")
    AGREEMENTS_EXPIRING = "agreements_expiring", _("Agreements expiring")
    # Flow: services delivered in the month, not cancelled (key: service code).
    SERVICES = "services", _("Services delivered")
    SERVICE_MINUTES = "service_minutes", _("Service minutes")
    SERVICE_AMOUNT = "service_amount", _("Service amount")
    FEEDBACK = "feedback", _("Services with feedback")
    SATISFACTION_SUM = "satisfaction_sum", _("Sum of satisfaction scores")
    # Flow: voucher ledger by voucher month (key: entry kind, signed sum).
    VOUCHERS = "vouchers", _("Voucher ledger")
    VOUCHER_GRANTS = "voucher_grants", _("Elders granted vouchers")
    VOUCHER_BUDGET = "voucher_budget", _("Yearly voucher budget")  # month: 1 Jan
    # Flow: the volunteers' time bank.
    VOLUNTEER_MINUTES = "volunteer_minutes", _("Volunteer minutes")
    VOLUNTEER_VISITS = "volunteer_visits", _("Volunteer visits")
    # Snapshot: the contact cadence today (key: the group of care.cadence) and
    # the emergencies still open.
    CADENCE_DUE = "cadence_due", _("Priority contacts owed")
    CADENCE_MET = "cadence_met", _("Priority contacts not overdue")
    EMERGENCIES_OPEN = "emergencies_open", _("Open emergencies")
    # Flow: care calls (local month of the call) and emergencies (of the report).
    CARE_CALLS = "care_calls", _("Care calls")
    CARE_CALLS_REACHED = "care_calls_reached", _("Care calls that reached the elder")
    EMERGENCIES = "emergencies", _("Emergencies")
    EMERGENCIES_ANSWERED = "emergencies_answered", _("Emergencies responded to")
    RESPONSE_MINUTES = "response_minutes", _("Sum of response minutes")
    # Flow: group activities held in the month and their attendance (key: kind).
    ACTIVITIES = "activities", _("Group activities held")
    ACTIVITY_ATTENDANCES = "activity_attendances", _("Attendances at activities")


FAMILY_METRICS: dict[str, tuple[str, ...]] = {
    Family.ELDERS: (
        Metric.ELDERS,
        Metric.ELDERS_AGE,
        Metric.ELDERS_CATEGORY,
        Metric.ELDERS_TIER,
    ),
    Family.NEEDS: (Metric.NEEDS_SURVEYED, Metric.NEEDS),
    Family.ALERTS: (
        Metric.FOLLOW_UPS_OPEN,
        Metric.CERTIFICATES_EXPIRING,
        Metric.AGREEMENTS_EXPIRING,
        Metric.CADENCE_DUE,
        Metric.CADENCE_MET,
        Metric.EMERGENCIES_OPEN,
    ),
    Family.SERVICES: (
        Metric.SERVICES,
        Metric.SERVICE_MINUTES,
        Metric.SERVICE_AMOUNT,
        Metric.FEEDBACK,
        Metric.SATISFACTION_SUM,
    ),
    Family.VOUCHERS: (Metric.VOUCHERS, Metric.VOUCHER_GRANTS, Metric.VOUCHER_BUDGET),
    Family.VOLUNTEERS: (Metric.VOLUNTEER_MINUTES, Metric.VOLUNTEER_VISITS),
    Family.CARE: (
        Metric.CARE_CALLS,
        Metric.CARE_CALLS_REACHED,
        Metric.EMERGENCIES,
        Metric.EMERGENCIES_ANSWERED,
        Metric.RESPONSE_MINUTES,
    ),
    Family.ACTIVITIES: (Metric.ACTIVITIES, Metric.ACTIVITY_ATTENDANCES),
}
SNAPSHOT_METRICS = tuple(m for f in SNAPSHOT_FAMILIES for m in FAMILY_METRICS[f])
FLOW_METRICS = tuple(m for f in FLOW_FAMILIES for m in FAMILY_METRICS[f])


class MonthlyFigure(models.Model):
    """One aggregated number: station × month × metric × key.

    Counts, minutes and sums of scores are whole numbers; money has two places.
    A figure that would be zero is not stored.
    """

    station = models.ForeignKey(
        Station, on_delete=models.CASCADE, related_name="+", verbose_name=_("station")
    )
    month = models.DateField(_("month"))
    metric = models.CharField(_("metric"), max_length=32, choices=Metric.choices)
    key = models.CharField(_("key"), max_length=32, blank=True, default="")
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=2)

    station_field = "station"

    class Meta:
        ordering = ["station", "month", "metric", "key"]
        verbose_name = _("monthly figure")
        verbose_name_plural = _("monthly figures")
        constraints = [
            models.UniqueConstraint(
                fields=["station", "month", "metric", "key"],
                name="monthly_figure_unique",
            ),
            models.CheckConstraint(
                condition=Q(month__day=1), name="monthly_figure_month_first_day"
            ),
        ]
        # The district reads all stations for a range of months and metrics.
        indexes = [models.Index(fields=["month", "metric", "station"])]

    def __str__(self) -> str:
        return f"{self.station_id} {self.month:%Y-%m} {self.metric}:{self.key}"


class StaleMonth(models.Model):
    """A station-month of a family changed since the last refresh.

    Appended by database triggers (no unique constraint, so a write never waits
    for another); the refresh deletes the rows it has folded in.
    """

    station_id = models.BigIntegerField(_("station"))
    family = models.CharField(_("family"), max_length=16, choices=Family.choices)
    month = models.DateField(_("month"))
    marked_at = models.DateTimeField(_("marked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("stale month")
        verbose_name_plural = _("stale months")

    def __str__(self) -> str:
        return f"{self.station_id} {self.family} {self.month:%Y-%m}"


class RefreshTrigger(models.TextChoices):
    SCHEDULE = "schedule", _("Schedule")
    COMMAND = "command", _("Command line")
    DEMO = "demo", _("Demo data")


class RefreshRun(models.Model):
    """When the figures were recomputed, over what, and how long it took."""

    trigger = models.CharField(
        _("started by"), max_length=16, choices=RefreshTrigger.choices
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    first_month = models.DateField(_("first month"))
    last_month = models.DateField(_("last month"))
    all_stations = models.BooleanField(_("all stations"), default=True)
    snapshot = models.BooleanField(
        _("snapshot taken"),
        default=False,
        help_text=_("Elders, needs, follow-ups and expiries were recounted."),
    )
    snapshot_on = models.DateField(
        _("elders and needs recounted whole on"),
        null=True,
        blank=True,
        help_text=_(
            "The local day of a whole recount of the elders and needs; later "
            "refreshes that day recount only the stations whose elders or surveys "
            "changed."
        ),
    )
    stale_months = models.PositiveIntegerField(_("changed months folded in"), default=0)
    figures_written = models.PositiveIntegerField(_("figures written"), default=0)
    figures_deleted = models.PositiveIntegerField(_("figures deleted"), default=0)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("dashboard refresh")
        verbose_name_plural = _("dashboard refreshes")
        indexes = [
            models.Index(fields=["-started_at"]),
            # The page's snapshot: the latest one taken up to a month.
            models.Index(
                fields=["-last_month"],
                condition=Q(snapshot=True),
                name="refresh_run_snapshot_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} ({self.get_trigger_display()})"

    @property
    def duration_seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()
