import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from care.models import CareCall, Emergency, HealthReading
from carecenter.tests.factories import UserFactory
from elders.tests.factories import ElderFactory
from volunteers.models import Visit
from volunteers.tests.factories import VolunteerFactory


def days_ago(days: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


class CareCallFactory(DjangoModelFactory):
    class Meta:
        model = CareCall

    elder = factory.SubFactory(ElderFactory)
    station = factory.SelfAttribute("elder.station")
    called_at = factory.LazyFunction(lambda: days_ago(1))
    outcome = "well"
    called_by = factory.SubFactory(UserFactory)


class EmergencyFactory(DjangoModelFactory):
    class Meta:
        model = Emergency

    elder = factory.SubFactory(ElderFactory)
    station = factory.SelfAttribute("elder.station")
    reported_at = factory.LazyFunction(lambda: days_ago(1))
    caller_name = "邻居"
    caller_relation = "neighbour"
    what_happened = "摔倒"
    recorded_by = factory.SubFactory(UserFactory)


class HealthReadingFactory(DjangoModelFactory):
    class Meta:
        model = HealthReading

    elder = factory.SubFactory(ElderFactory)
    station = factory.SelfAttribute("elder.station")
    measured_at = factory.LazyFunction(lambda: days_ago(1))
    systolic = 130
    diastolic = 80
    blood_sugar = Decimal("6.1")
    recorded_by = factory.SubFactory(UserFactory)


class VisitFactory(DjangoModelFactory):
    """A visit written directly (the volunteers app's rules are tested there)."""

    class Meta:
        model = Visit

    elder = factory.SubFactory(ElderFactory)
    station = factory.SelfAttribute("elder.station")
    volunteer = factory.SubFactory(
        VolunteerFactory, station=factory.SelfAttribute("..station")
    )
    started_at = factory.LazyFunction(lambda: days_ago(1))
    ended_at = factory.LazyAttribute(
        lambda o: o.started_at + datetime.timedelta(minutes=30)
    )
    services = factory.LazyFunction(lambda: ["chat"])
    logged_by = factory.SubFactory(UserFactory)
