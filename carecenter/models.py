"""Districts, stations, users and their roles: the core every other app builds on."""

from __future__ import annotations

from functools import cached_property

import pghistory
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Role(models.TextChoices):
    """PRODUCT.md, "Who uses it". A user may hold several roles."""

    ADMINISTRATOR = "administrator", _("Administrator")
    SUPERVISOR = "supervisor", _("Supervisor")
    MANAGER = "manager", _("Station manager")
    STAFF = "staff", _("Station staff")
    VOLUNTEER = "volunteer", _("Volunteer")


#: Roles bound to one station; the supervisor is bound to a district.
STATION_ROLES = (Role.MANAGER, Role.STAFF, Role.VOLUNTEER)


@pghistory.track()
class District(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    staff_may_reveal_id_numbers = models.BooleanField(
        _("staff may reveal ID numbers"),
        default=False,
        help_text=_(
            "Station staff may show one elder's whole resident ID number, giving a "
            "reason (each reveal is logged). Managers always may."
        ),
    )
    late_record_days = models.PositiveSmallIntegerField(
        _("days a service may be recorded late"),
        default=7,
        db_default=7,
        validators=[MinValueValidator(0), MaxValueValidator(3650)],
        help_text=_(
            "A service dated further back than this is paid only once the station "
            "manager confirms it."
        ),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def __str__(self) -> str:
        return self.name


class StationKind(models.TextChoices):
    VILLAGE = "village", _("Village")
    COMMUNITY = "community", _("Urban community")


class StationQuerySet(models.QuerySet):
    def visible_to(self, user):
        from carecenter.scoping import visible_to

        return visible_to(user, self)

    def funded_in(self, month):
        """The stations whose funding the annual inspection has not stopped in
        ``month`` (``Station.funded_in`` as a filter)."""
        return self.exclude(funding_stopped_q(month))


def funding_stopped_q(month) -> Q:
    """Stopped in ``month``: from the stop's month on, until it is restored."""
    return Q(funding_stopped_from__lte=month) & (
        Q(funding_restored_from__isnull=True) | Q(funding_restored_from__gt=month)
    )


@pghistory.track()
class Station(models.Model):
    """A community home-care service station (PRODUCT.md, "Stations")."""

    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        related_name="stations",
        verbose_name=_("district"),
    )
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"),
        max_length=16,
        choices=StationKind.choices,
        default=StationKind.COMMUNITY,
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    service_phone = models.CharField(_("service phone"), max_length=32, blank=True)
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
    has_outdoor_fitness = models.BooleanField(
        _("outdoor fitness facilities"), default=False
    )
    has_catering_hygiene_certificate = models.BooleanField(
        _("catering hygiene certificate"), default=False
    )
    public_welfare_posts = models.PositiveSmallIntegerField(
        _("public-welfare posts"), default=0
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The station's funding, as the annual inspection decided it
    # (``carecenter.actions.station_funding_set``): no vouchers are issued for a
    # month from ``funding_stopped_from`` up to, not including,
    # ``funding_restored_from``. Both are first days of months.
    funding_stopped_from = models.DateField(
        _("funding stopped from"), null=True, blank=True
    )
    funding_restored_from = models.DateField(
        _("funding restored from"), null=True, blank=True
    )

    objects = StationQuerySet.as_manager()

    #: Scoping: the path from this model to its station (see carecenter.scoping).
    station_field = ""

    class Meta:
        ordering = ["district__code", "code"]
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        constraints = [
            models.CheckConstraint(
                condition=Q(building_area__gte=0),
                name="station_building_area_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("station-detail", args=[self.pk])

    @classmethod
    def volunteer_scope(cls, user) -> Q:
        """A volunteer sees the station they volunteer for (its name and phone)."""
        from carecenter.scoping import scope_of

        return Q(pk__in=scope_of(user).volunteer_station_ids)

    def funded_in(self, month) -> bool:
        """PRODUCT.md "Supervision": a stopped station receives no vouchers."""
        month = month.replace(day=1)
        stopped = self.funding_stopped_from
        restored = self.funding_restored_from
        return not (
            stopped is not None
            and stopped <= month
            and (restored is None or month < restored)
        )

    @property
    def rooms(self) -> list[tuple[str, bool]]:
        """The five rooms of the facility standard and whether the station has each."""
        names = [
            "has_day_care_room",
            "has_pantry",
            "has_medical_room",
            "has_entertainment_room",
            "has_studio",
        ]
        return [(self._meta.get_field(n).verbose_name, getattr(self, n)) for n in names]


class StationScoped(models.Model):
    """Base of every model that belongs to one station (see carecenter.scoping)."""

    station = models.ForeignKey(
        Station, on_delete=models.PROTECT, related_name="+", verbose_name=_("station")
    )

    station_field = "station"

    class Meta:
        abstract = True


class LeadingGroupPosition(models.TextChoices):
    LEADER = "leader", _("Group leader")
    DEPUTY = "deputy", _("Deputy leader")
    MEMBER = "member", _("Member")


@pghistory.track()
class LeadingGroupMember(models.Model):
    """The station's leading group (组长/副组长/成员)."""

    station = models.ForeignKey(
        Station,
        on_delete=models.CASCADE,
        related_name="leading_group",
        verbose_name=_("station"),
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    position = models.CharField(
        _("position"), max_length=16, choices=LeadingGroupPosition.choices
    )
    title = models.CharField(_("title or unit"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    station_field = "station"

    class Meta:
        ordering = ["station", "position", "name"]
        verbose_name = _("leading group member")
        verbose_name_plural = _("leading group members")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_position_display()})"


@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    exclude=["password", "last_login"],
)
class User(AbstractUser):
    """The custom user. Powers come from role assignments, not from Django groups."""

    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        full = self.get_full_name()
        return full or self.username

    def get_full_name(self) -> str:
        """The name as people write it: family name first and no space in
        Chinese (孙晓梅), given name first in Latin letters (Xiaomei Sun)."""
        first, last = self.first_name.strip(), self.last_name.strip()
        if not (first.isascii() and last.isascii()):
            return f"{last}{first}"
        return f"{first} {last}".strip()

    @cached_property
    def role_assignments(self) -> list[RoleAssignment]:
        return list(self.roles.select_related("station", "district"))

    def has_role(self, role: str) -> bool:
        return any(a.role == role for a in self.role_assignments)

    @property
    def is_administrator(self) -> bool:
        return self.is_active and (
            self.is_superuser or self.has_role(Role.ADMINISTRATOR)
        )

    # An administrator holds every Django permission, so the admin site and its
    # model pages open to the role without maintaining permission rows.
    def has_perm(self, perm, obj=None) -> bool:
        return self.is_administrator or super().has_perm(perm, obj)

    def has_module_perms(self, app_label) -> bool:
        return self.is_administrator or super().has_module_perms(app_label)


@pghistory.track(
    pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent()
)
class RoleAssignment(models.Model):
    """One role of one user, bound to a district (supervisor) or a station."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="roles", verbose_name=_("user")
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("district"),
    )
    station = models.ForeignKey(
        Station,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("station"),
    )
    created_at = models.DateTimeField(_("granted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            # The shape of each role: supervisors hold a district, station roles a
            # station, administrators neither.
            models.CheckConstraint(
                name="role_assignment_shape",
                condition=(
                    Q(
                        role=Role.ADMINISTRATOR,
                        district__isnull=True,
                        station__isnull=True,
                    )
                    | Q(
                        role=Role.SUPERVISOR,
                        district__isnull=False,
                        station__isnull=True,
                    )
                    | Q(
                        role__in=STATION_ROLES,
                        district__isnull=True,
                        station__isnull=False,
                    )
                ),
                violation_error_message=_(
                    "A supervisor needs a district, station roles need a station, "
                    "and an administrator needs neither."
                ),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "district", "station"],
                nulls_distinct=False,
                name="role_assignment_unique",
                violation_error_message=_("This user already holds this role here."),
            ),
        ]

    def __str__(self) -> str:
        where = self.station or self.district
        return f"{self.user} · {self.get_role_display()}" + (
            f" · {where}" if where else ""
        )


class AccessAction(models.TextChoices):
    """What a user did with personal data (PRODUCT.md, "Personal data")."""

    VIEW = "view", _("Viewed an archive")
    LIST = "list", _("Listed archives")
    REVEAL_ID = "reveal_id", _("Revealed an ID number")
    EXPORT = "export", _("Exported")
    HISTORY = "history", _("Read a history")


class AccessLogEntry(models.Model):
    """One request that read personal data: who, what, when, from where.

    One row per request, never one per elder shown: a list or an export records
    how many rows it gave and the filter that chose them. Written by
    ``carecenter.access_log.record``; kept ``ACCESS_LOG_RETENTION_DAYS`` days.
    """

    at = models.DateTimeField(_("at"), default=timezone.now)
    user = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(_("username"), max_length=150)
    action = models.CharField(_("action"), max_length=16, choices=AccessAction.choices)
    station = models.ForeignKey(
        Station,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("station"),
    )
    #: The elder concerned (an id: the core app does not depend on the archives).
    elder_id = models.BigIntegerField(_("elder"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    what = models.CharField(_("what"), max_length=100, blank=True)
    filters = models.JSONField(_("filter"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    address = models.GenericIPAddressField(_("address"), null=True, blank=True)

    #: Scoping: a station's entries are its manager's to read (see scoping).
    station_field = "station"

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        indexes = [
            models.Index(fields=["elder_id", "-at"], name="access_log_elder"),
            models.Index(fields=["station", "-at"], name="access_log_station"),
            models.Index(fields=["at"], name="access_log_at"),
        ]

    def __str__(self) -> str:
        return f"{self.username} {self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class JobState(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class JobStatus(models.Model):
    """The last run of one Celery task, as its worker saw it (``carecenter.jobs``).

    One row per task name, rewritten at every start and end, so the table stays
    as small as the list of jobs. The row ``beat`` is the scheduler's heartbeat.
    """

    task = models.CharField(_("task"), max_length=100, unique=True)
    state = models.CharField(
        _("state"), max_length=16, choices=JobState.choices, default=JobState.RUNNING
    )
    started_at = models.DateTimeField(_("last started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("last finished at"), null=True, blank=True)
    succeeded_at = models.DateTimeField(_("last succeeded at"), null=True, blank=True)
    summary = models.JSONField(_("what it did"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    runs = models.PositiveIntegerField(_("runs"), default=0)

    station_field = None  # the system's, not a station's: administrators only

    class Meta:
        ordering = ["task"]
        verbose_name = _("job status")
        verbose_name_plural = _("job statuses")

    def __str__(self) -> str:
        return self.task

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at and self.finished_at >= self.started_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None


class StationCount(models.Model):
    """A change of one of a station's kept home-page counts (``carecenter.
    home_counts``): the count is the sum of its rows.

    Appended by statement-level triggers on the counted tables (one row per
    station a statement touched), so that a write never waits for another's
    count; ``home_counts.fold`` sums the rows of each count into one.
    """

    station_id = models.BigIntegerField(_("station"))
    key = models.CharField(_("count"), max_length=40)
    n = models.BigIntegerField(_("change"))

    class Meta:
        verbose_name = _("station count")
        verbose_name_plural = _("station counts")
        indexes = [models.Index(fields=["key", "station_id"])]

    def __str__(self) -> str:
        return f"{self.station_id} {self.key} {self.n:+d}"
