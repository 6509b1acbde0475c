"""Who may see and change what: the one scoping mechanism (PRODUCT.md, roles).

Every page, form choice list, export, API endpoint and job goes through here.

* ``visible_to(user, queryset)`` narrows any station-scoped queryset to what the
  user may read. A model declares how it reaches its station with the class
  attribute ``station_field`` (``""`` for ``Station`` itself, ``"station"`` for
  models that inherit ``StationScoped``, ``"elder__station"`` for an elder's
  family contacts, …). A model without ``station_field`` cannot be scoped and
  raises ``ImproperlyConfigured``: nothing leaks by omission. A model that
  carries its own district column names it with ``district_field``, so that a
  supervisor's scope filters on it instead of joining the stations.
* Volunteers see only what the model grants them through the classmethod
  ``volunteer_scope(user) -> Q | None`` (``None``: nothing). ``Station`` grants a
  volunteer their own station; the elder model grants the elders paired with
  the volunteer.
* ``get_visible_or_404`` answers 404 for another station's object exactly as
  for a missing one; ``require_write`` answers 404 outside the scope and 403 to
  a read-only role (supervisor, volunteer, or staff where a manager is needed).
* ``can_supervise`` / ``require_supervise`` are the one exception to "supervisors
  only read": the supervisor of a station's district (and the administrator)
  inspects the station and decides its funding (PRODUCT.md, "Supervision").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from carecenter.models import Role, Station

security_log = logging.getLogger("carecenter.security")


@dataclass(frozen=True)
class Scope:
    """The stations and districts a user's roles reach."""

    everything: bool = False
    supervised_district_ids: frozenset[int] = frozenset()
    staff_station_ids: frozenset[int] = frozenset()
    manager_station_ids: frozenset[int] = frozenset()
    volunteer_station_ids: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not (
            self.everything
            or self.supervised_district_ids
            or self.staff_station_ids
            or self.manager_station_ids
            or self.volunteer_station_ids
        )

    @property
    def work_station_ids(self) -> frozenset[int]:
        """Stations whose data the user keeps (manager or staff)."""
        return self.staff_station_ids | self.manager_station_ids


def scope_of(user) -> Scope:
    """The user's scope, computed once per user object (one query for the roles)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Scope()
    cached = user.__dict__.get("_carecenter_scope")
    if cached is not None:
        return cached
    by_role: dict[str, set[int]] = {role: set() for role in Role.values}
    for assignment in user.role_assignments:
        target = assignment.district_id or assignment.station_id
        if target is not None:
            by_role[assignment.role].add(target)
    scope = Scope(
        everything=user.is_administrator,
        supervised_district_ids=frozenset(by_role[Role.SUPERVISOR]),
        staff_station_ids=frozenset(by_role[Role.STAFF]),
        manager_station_ids=frozenset(by_role[Role.MANAGER]),
        volunteer_station_ids=frozenset(by_role[Role.VOLUNTEER]),
    )
    user.__dict__["_carecenter_scope"] = scope
    return scope


def _station_path(model: type[models.Model]) -> str:
    path = getattr(model, "station_field", None)
    if path is None:
        raise ImproperlyConfigured(
            f"{model.__name__} has no station_field and cannot be scoped by station."
        )
    return path


def scope_filter(user, model: type[models.Model]) -> Q | None:
    """The ``Q`` limiting ``model`` to what ``user`` may read; ``None``: no limit."""
    scope = scope_of(user)
    if scope.everything:
        return None
    path = _station_path(model)
    station = path or "pk"
    # A model that carries its district (``district_field``, e.g. the elder's
    # own indexed column) is scoped by it without a join through the stations.
    district = getattr(model, "district_field", None) or (
        f"{path}__district" if path else "district"
    )
    condition = Q(pk__in=[])
    if scope.work_station_ids:
        condition |= Q(**{f"{station}__in": scope.work_station_ids})
    if scope.supervised_district_ids:
        condition |= Q(**{f"{district}__in": scope.supervised_district_ids})
    if scope.volunteer_station_ids:
        granted = getattr(model, "volunteer_scope", None)
        volunteer_q = granted(user) if granted else None
        if volunteer_q is not None:
            condition |= volunteer_q
    return condition


def visible_to(user, queryset: models.QuerySet) -> models.QuerySet:
    """``queryset`` narrowed to the rows ``user`` may read."""
    if scope_of(user).is_empty:
        return queryset.none()
    condition = scope_filter(user, queryset.model)
    return queryset if condition is None else queryset.filter(condition)


def get_visible_or_404(user, queryset, **lookup):
    """The one object matching ``lookup`` within the user's scope, else 404.

    Another station's object answers exactly like a missing one; the attempt is
    logged (without the lookup values, which could be personal data).
    """
    if isinstance(queryset, type) and issubclass(queryset, models.Model):
        queryset = queryset._default_manager.all()
    try:
        return visible_to(user, queryset).get(**lookup)
    except queryset.model.DoesNotExist:
        if queryset.filter(**lookup).exists():
            security_log.warning(
                "denied: user=%s read %s outside scope",
                getattr(user, "pk", None),
                queryset.model._meta.label,
            )
        raise Http404(_("Not found.")) from None


def can_write(user, station: Station, *, manager: bool = False) -> bool:
    scope = scope_of(user)
    if scope.everything:
        return True
    if station.pk in scope.manager_station_ids:
        return True
    return not manager and station.pk in scope.staff_station_ids


def require_write(user, station: Station, *, manager: bool = False) -> None:
    """Raise unless ``user`` may change ``station``'s data.

    404 when the station is outside the user's scope altogether, 403 when the user
    may only read it (supervisor, volunteer, or staff where a manager is needed).
    """
    if can_write(user, station, manager=manager):
        return
    visible = visible_to(user, Station.objects.filter(pk=station.pk)).exists()
    security_log.warning(
        "denied: user=%s write to station=%s (%s)",
        getattr(user, "pk", None),
        station.pk,
        "read-only" if visible else "outside scope",
    )
    if not visible:
        raise Http404(_("Not found."))
    if manager:
        raise PermissionDenied(_("Only the station manager may do this."))
    raise PermissionDenied(
        _("You may view this station's records but not change them.")
    )


def can_supervise(user, station: Station) -> bool:
    """May ``user`` inspect ``station`` and decide its funding?

    The one rule for supervision writes (PRODUCT.md, "Who uses it": supervisors
    are read-only except inspections): a supervisor of the station's district, or
    an administrator. Station roles never supervise, not even their own station.
    """
    scope = scope_of(user)
    return scope.everything or station.district_id in scope.supervised_district_ids


def require_supervise(user, station: Station) -> None:
    """Raise unless ``user`` supervises ``station``: 404 outside the user's scope,
    403 for the station's own staff, managers and volunteers."""
    if can_supervise(user, station):
        return
    visible = visible_to(user, Station.objects.filter(pk=station.pk)).exists()
    security_log.warning(
        "denied: user=%s supervise station=%s (%s)",
        getattr(user, "pk", None),
        station.pk,
        "not a supervisor" if visible else "outside scope",
    )
    if not visible:
        raise Http404(_("Not found."))
    raise PermissionDenied(_("Only the district's supervisor may do this."))


def supervised_stations(user) -> models.QuerySet:
    """The stations ``user`` supervises (see ``can_supervise``)."""
    scope = scope_of(user)
    stations = Station.objects.all()
    if scope.everything:
        return stations
    return stations.filter(district__in=scope.supervised_district_ids)


def report_stations(user) -> models.QuerySet:
    """Stations whose reports and lists the user may read as staff or supervisor.

    Volunteers' grants do not count: a volunteer reads only what is paired with
    them, never a station's figures.
    """
    scope = scope_of(user)
    stations = Station.objects.all()
    if scope.everything:
        return stations
    return stations.filter(
        Q(pk__in=scope.work_station_ids) | Q(district__in=scope.supervised_district_ids)
    )


def _station_id(station) -> int | None:
    return getattr(station, "pk", station)


def may_read_archive(user, elder) -> bool:
    """May ``user`` read ``elder``'s archive as staff rather than as a volunteer?

    The station's staff and manager, the district's supervisors and
    administrators read the birth date and a masked ID number. A user who sees the
    elder only as a paired volunteer reads neither (PRODUCT.md, "Personal data").
    ``elder`` needs ``station_id`` and ``district_id`` (both on the archive).
    """
    scope = scope_of(user)
    return (
        scope.everything
        or elder.station_id in scope.work_station_ids
        or elder.district_id in scope.supervised_district_ids
    )


def may_see_id_numbers(user, station) -> bool:
    """Whole resident ID numbers are for the station's manager and administrators.

    Everyone else sees at most the last four characters (``elders.id_numbers``)
    in pages, exports and the API. ``station``: a station or its id.
    """
    scope = scope_of(user)
    return scope.everything or _station_id(station) in scope.manager_station_ids


def may_see_some_id_numbers(user) -> bool:
    """Whether ``user`` sees any station's whole ID numbers (to load them at all)."""
    scope = scope_of(user)
    return scope.everything or bool(scope.manager_station_ids)


def may_reveal_id_number(user, station: Station) -> bool:
    """May ``user`` reveal one whole ID number of ``station``, giving a reason?

    The station's manager and administrators; the station's staff too where the
    district's policy allows it (``District.staff_may_reveal_id_numbers``).
    """
    if may_see_id_numbers(user, station):
        return True
    return (
        station.pk in scope_of(user).staff_station_ids
        and station.district.staff_may_reveal_id_numbers
    )


def may_browse_access_log(user) -> bool:
    """The access log: station managers (their stations) and administrators."""
    scope = scope_of(user)
    return scope.everything or bool(scope.manager_station_ids)


def access_log_stations(user) -> models.QuerySet:
    """Stations whose access log ``user`` may browse (see ``may_read_access_log``)."""
    scope = scope_of(user)
    if scope.everything:
        return Station.objects.all()
    return Station.objects.filter(pk__in=scope.manager_station_ids)


def writable_stations(user, *, manager: bool = False) -> models.QuerySet:
    """Stations whose data ``user`` may change: every station field's choices."""
    scope = scope_of(user)
    stations = Station.objects.filter(is_active=True)
    if scope.everything:
        return stations
    ids = scope.manager_station_ids if manager else scope.work_station_ids
    return stations.filter(pk__in=ids)


def require_some_writable_station(user) -> None:
    """Raise 403 unless ``user`` may change the data of at least one station (for
    pages that create a record before its station is chosen)."""
    if not writable_stations(user).exists():
        raise PermissionDenied(_("You may view these records but not change them."))


def scope_form_choices(form, user) -> None:
    """Narrow every model-choice field of ``form`` to what ``user`` may see."""
    for field in form.fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is None:
            continue
        if queryset.model is Station:
            field.queryset = queryset & writable_stations(user)
        elif getattr(queryset.model, "station_field", None) is not None:
            field.queryset = visible_to(user, queryset)


def is_station_reader(user) -> bool:
    """Staff, managers, supervisors and administrators: readers of station records."""
    scope = scope_of(user)
    return bool(
        scope.everything or scope.work_station_ids or scope.supervised_district_ids
    )


def station_reader_required(view):
    """For pages of station records: signed in, and not only a volunteer (403)."""
    from functools import wraps

    from django.contrib.auth.decorators import login_required

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not is_station_reader(request.user):
            security_log.warning(
                "denied: user=%s page %s", request.user.pk, request.path
            )
            raise PermissionDenied(_("This page is for station staff and supervisors."))
        return view(request, *args, **kwargs)

    return wrapper


class ScopedQuerysetMixin:
    """For class-based views: ``get_queryset`` (and so ``get_object``) within scope."""

    def get_queryset(self):
        return visible_to(self.request.user, super().get_queryset())


class ScopedFormMixin:
    """For create/update views: the form's choice lists within scope."""

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        scope_form_choices(form, self.request.user)
        return form
