import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from elders.tests.factories import ElderFactory
from services.models import (
    AgreementPrice,
    Feedback,
    Provider,
    ServiceAgreement,
    ServiceRecord,
    ServiceType,
)


def service_type(code: str) -> ServiceType:
    """The catalogue row seeded by the data migration."""
    return ServiceType.objects.get(code=code)


class ProviderFactory(DjangoModelFactory):
    class Meta:
        model = Provider

    station = factory.SubFactory("carecenter.tests.factories.StationFactory")
    name = factory.Sequence(lambda n: f"服务商{n}")
    kind = "company"
    contact_phone = "0571-8700 0000"


class AgreementFactory(DjangoModelFactory):
    """An agreement in force today; ``prices={"meal": "10.00"}`` sets its services."""

    class Meta:
        model = ServiceAgreement
        skip_postgeneration_save = True

    provider = factory.SubFactory(ProviderFactory)
    station = factory.SelfAttribute("provider.station")
    starts_on = factory.LazyFunction(
        lambda: timezone.localdate() - datetime.timedelta(days=100)
    )
    ends_on = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=200)
    )
    charging_method = "government"
    status = "active"

    @factory.post_generation
    def prices(obj, create, extracted, **kwargs):
        if not create:
            return
        for code, price in (extracted or {"meal": "10.00"}).items():
            AgreementPrice.objects.create(
                agreement=obj, service_type=service_type(code), price=Decimal(price)
            )


class ServiceRecordFactory(DjangoModelFactory):
    """A record delivered by a provider of the elder's station (no agreement check)."""

    class Meta:
        model = ServiceRecord

    elder = factory.SubFactory(ElderFactory)
    station = factory.SelfAttribute("elder.station")
    service_type = factory.LazyFunction(lambda: service_type("meal"))
    provider = factory.SubFactory(
        ProviderFactory, station=factory.SelfAttribute("..station")
    )
    delivered_at = factory.LazyFunction(
        lambda: timezone.now() - datetime.timedelta(days=2)
    )
    duration_minutes = 30
    quantity = Decimal("1")
    price = Decimal("12.00")
    self_paid = Decimal("12.00")


class FeedbackFactory(DjangoModelFactory):
    class Meta:
        model = Feedback

    record = factory.SubFactory(ServiceRecordFactory)
    satisfaction = 5
    punctual = True
    attitude = 5
    quality = 4
    channel = "phone"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        feedback = super()._create(model_class, *args, **kwargs)
        ServiceRecord.objects.filter(pk=feedback.record_id).update(has_feedback=True)
        return feedback
