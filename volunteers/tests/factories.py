import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from carecenter.tests.factories import StationFactory
from volunteers.models import Certificate, Pairing, Team, TrainingSession, Volunteer


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    station = factory.SubFactory(StationFactory)
    name = factory.Sequence(lambda n: f"志愿队{n}")
    kind = "young_old"


class VolunteerFactory(DjangoModelFactory):
    class Meta:
        model = Volunteer

    station = factory.SubFactory(StationFactory)
    name = factory.Sequence(lambda n: f"志愿者{n}")
    gender = "F"
    birth_date = datetime.date(1960, 5, 1)
    phone = factory.Sequence(lambda n: f"137 0000 {n:04d}")
    specialties = factory.LazyFunction(lambda: ["chat"])


class CertificateFactory(DjangoModelFactory):
    class Meta:
        model = Certificate

    volunteer = factory.SubFactory(VolunteerFactory)
    kind = "medical"
    number = factory.Sequence(lambda n: f"C{n:05d}")
    issued_on = datetime.date(2024, 1, 1)
    expires_on = None


class TrainingSessionFactory(DjangoModelFactory):
    class Meta:
        model = TrainingSession

    station = factory.SubFactory(StationFactory)
    held_on = datetime.date(2026, 3, 1)
    topic = factory.Sequence(lambda n: f"培训{n}")
    trainer = "陈老师"


class PairingFactory(DjangoModelFactory):
    """An approved, active pairing (the volunteer may log visits)."""

    class Meta:
        model = Pairing

    volunteer = factory.SubFactory(VolunteerFactory)
    elder = factory.SubFactory(
        "elders.tests.factories.ElderFactory",
        station=factory.SelfAttribute("..volunteer.station"),
    )
    station = factory.SelfAttribute("volunteer.station")
    services = factory.LazyFunction(lambda: ["chat"])
    approved_at = factory.LazyFunction(timezone.now)


def hours_ago(hours: float, minutes: int = 0) -> datetime.datetime:
    """A whole-minute moment ``hours`` (and ``minutes``) before now."""
    now = timezone.now().replace(second=0, microsecond=0)
    return now - datetime.timedelta(hours=hours, minutes=minutes)
