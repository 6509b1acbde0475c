"""Writes of the core: roles. Every write leaves an audit trail with the acting user."""

from __future__ import annotations

from django.db import transaction

from carecenter.audit import audit_context
from carecenter.models import District, Role, RoleAssignment, Station, User


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


__all__ = ["Role", "role_grant", "role_revoke"]
