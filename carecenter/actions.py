"""Writes of the core: roles and a station's funding. Every write leaves an audit
trail with the acting user."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from carecenter.audit import audit_context, register_reasons
from carecenter.models import District, Role, RoleAssignment, Station, User
from carecenter.months import add_months

register_reasons(
    {
        "station.funding_stopped": gettext_lazy("funding stopped: %(note)s"),
        "station.funding_restored": gettext_lazy("funding restored: %(note)s"),
    }
)


@transaction.atomic
def role_grant(
    *,
    actor: User | None,
    user: User,
    role: str,
    station: Station | None = None,
    district: District | None = None,
) -> RoleAssignment:
    """Give ``user`` a role; granting one already held changes nothing."""
    with audit_context(user=actor, reason="role.granted"):
        assignment, _created = RoleAssignment.objects.get_or_create(
            user=user, role=role, station=station, district=district
        )
    user.__dict__.pop("role_assignments", None)
    user.__dict__.pop("_carecenter_scope", None)
    return assignment


@transaction.atomic
def role_revoke(*, actor: User | None, assignment: RoleAssignment, reason: str) -> None:
    with audit_context(user=actor, reason="role.revoked", note=reason):
        assignment.delete()


@transaction.atomic
def station_funding_set(
    *,
    actor: User | None,
    station: Station,
    funded: bool,
    decided_at: datetime.datetime,
    reason: str = "",
) -> Station:
    """Stop or restore a station's funding from the month after ``decided_at``.

    PRODUCT.md "Supervision": the annual inspection's funding decision. The month
    under way when it is taken is not touched. The vouchers app reads the result
    (``Station.funded_in``), so the decision's app and the money's app never
    import each other. Deciding what already holds changes nothing.
    """
    station = Station.objects.select_for_update().get(pk=station.pk)
    effective = add_months(timezone.localtime(decided_at).date().replace(day=1), 1)
    stopped = not station.funded_in(effective)
    if funded == (not stopped):
        return station
    if funded:
        if station.funding_stopped_from >= effective:
            # Stopped and restored before the stop took effect: as if never stopped.
            station.funding_stopped_from = None
            station.funding_restored_from = None
        else:
            station.funding_restored_from = effective
    else:
        station.funding_stopped_from = effective
        station.funding_restored_from = None
    with audit_context(
        user=actor,
        reason="station.funding_restored" if funded else "station.funding_stopped",
        note=reason or "—",
    ):
        station.save(update_fields=["funding_stopped_from", "funding_restored_from"])
    return station


__all__ = ["Role", "role_grant", "role_revoke", "station_funding_set"]
