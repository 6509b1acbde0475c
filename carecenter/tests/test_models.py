import pytest
from django.db import IntegrityError, transaction

from carecenter.models import Role, RoleAssignment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "role, with_station, with_district",
    [
        (Role.SUPERVISOR, True, False),
        (Role.SUPERVISOR, False, False),
        (Role.STAFF, False, True),
        (Role.MANAGER, False, False),
        (Role.VOLUNTEER, True, True),
        (Role.ADMINISTRATOR, True, False),
    ],
)
def test_the_database_refuses_a_role_of_the_wrong_shape(
    cast, role, with_station, with_district
):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(
            user=cast.staff_b,
            role=role,
            station=cast.b if with_station else None,
            district=cast.d1 if with_district else None,
        )


def test_the_database_refuses_the_same_role_twice(cast):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(
            user=cast.supervisor, role=Role.SUPERVISOR, district=cast.d1
        )


def test_a_user_may_hold_several_roles(cast):
    RoleAssignment.objects.create(
        user=cast.staff_b, role=Role.VOLUNTEER, station=cast.a
    )
    assert cast.staff_b.roles.count() == 2


def test_the_administrator_role_holds_every_permission(cast):
    assert cast.admin.has_perm("carecenter.change_station")
    assert not cast.staff_a.has_perm("carecenter.change_station")
