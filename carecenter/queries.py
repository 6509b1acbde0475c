"""Reads of stations and districts, always starting from the user's scope."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from carecenter.home import count_by_station, home_counter
from carecenter.models import LeadingGroupMember, Role, RoleAssignment, Station
from carecenter.scoping import get_visible_or_404, visible_to


def station_list(*, user) -> QuerySet[Station]:
    return visible_to(user, Station.objects.filter(is_active=True)).select_related(
        "district"
    )


def station_detail(*, user, pk: int) -> Station:
    return get_visible_or_404(user, Station.objects.select_related("district"), pk=pk)


def leading_group(*, user, station: Station) -> QuerySet[LeadingGroupMember]:
    return visible_to(user, LeadingGroupMember.objects.filter(station=station))


@home_counter("staff", _("Staff on the roster"))
def staff_counts(stations: QuerySet) -> dict[int, int]:
    return count_by_station(
        RoleAssignment.objects.filter(
            station__in=stations,
            role__in=[Role.MANAGER, Role.STAFF],
            user__is_active=True,
        ),
        distinct="user",
    )


@home_counter("volunteer_logins", _("Volunteer accounts"))
def volunteer_login_counts(stations: QuerySet) -> dict[int, int]:
    return count_by_station(
        RoleAssignment.objects.filter(
            station__in=stations, role=Role.VOLUNTEER, user__is_active=True
        )
    )
