import factory
from factory.django import DjangoModelFactory

from carecenter.models import (
    District,
    LeadingGroupMember,
    Role,
    RoleAssignment,
    Station,
    User,
)


class DistrictFactory(DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"区 {n}")
    # The suites record services of months long gone (their vouchers are of
    # 2026-09); the late-record rule's own tests set the policy they test
    # (services/tests/test_late_records.py). Production's default is 7 days.
    late_record_days = 3650


class StationFactory(DjangoModelFactory):
    class Meta:
        model = Station
        django_get_or_create = ["code"]

    district = factory.SubFactory(DistrictFactory)
    code = factory.Sequence(lambda n: f"S{n:03d}")
    name = factory.Sequence(lambda n: f"第{n}服务站")
    service_phone = "0571-0000 0000"
    building_area = 320


class LeadingGroupMemberFactory(DjangoModelFactory):
    class Meta:
        model = LeadingGroupMember

    station = factory.SubFactory(StationFactory)
    name = factory.Sequence(lambda n: f"成员{n}")
    position = "member"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def user_with_role(username: str, role: str, *, station=None, district=None) -> User:
    user = UserFactory(username=username)
    RoleAssignment.objects.get_or_create(
        user=user, role=role, station=station, district=district
    )
    user.__dict__.pop("role_assignments", None)
    user.__dict__.pop("_carecenter_scope", None)
    return user


__all__ = [
    "DistrictFactory",
    "LeadingGroupMemberFactory",
    "Role",
    "StationFactory",
    "UserFactory",
    "user_with_role",
]
