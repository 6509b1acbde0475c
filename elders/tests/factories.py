import datetime

import factory
from factory.django import DjangoModelFactory

from carecenter.tests.factories import StationFactory
from elders import eligibility, kept
from elders.id_numbers import make_id_number
from elders.models import (
    STORED_TIER_FIELDS,
    BarthelAssessment,
    Elder,
    FamilyContact,
    NeedsSurvey,
)

FULL_BARTHEL = {
    "feeding": 10,
    "bathing": 5,
    "grooming": 5,
    "dressing": 10,
    "bowels": 10,
    "bladder": 10,
    "toilet": 10,
    "transfers": 15,
    "mobility": 15,
    "stairs": 10,
}


def keep_tier(elder: Elder) -> None:
    """What the actions do after a write: today's tier kept on the archive, and
    what higher apps keep for the elder (``elders.kept``)."""
    eligibility.tiers_store(elder)
    kept.keep(elder)
    elder.refresh_from_db(fields=STORED_TIER_FIELDS)


class ElderFactory(DjangoModelFactory):
    class Meta:
        model = Elder
        skip_postgeneration_save = True

    station = factory.SubFactory(StationFactory)
    district = factory.SelfAttribute("station.district")
    name = factory.Sequence(lambda n: f"老人{n}")
    gender = "F"
    birth_date = datetime.date(1945, 6, 15)
    id_number = factory.LazyAttributeSequence(
        lambda o, n: make_id_number("330102", o.birth_date, n, o.gender)
    )
    living_arrangement = "spouse"
    hukou_local = True

    @factory.post_generation
    def kept_tier(obj, create, extracted, **kwargs):
        if create:
            keep_tier(obj)


class FamilyContactFactory(DjangoModelFactory):
    class Meta:
        model = FamilyContact

    elder = factory.SubFactory(ElderFactory)
    name = factory.Sequence(lambda n: f"家属{n}")
    relation = "女儿"
    phone = "139 0000 0000"


class BarthelAssessmentFactory(DjangoModelFactory):
    class Meta:
        model = BarthelAssessment
        skip_postgeneration_save = True

    elder = factory.SubFactory(ElderFactory)
    assessed_on = datetime.date(2026, 1, 10)
    feeding = 10
    bathing = 5
    grooming = 5
    dressing = 10
    bowels = 10
    bladder = 10
    toilet = 10
    transfers = 15
    mobility = 15
    stairs = 10

    @factory.post_generation
    def kept_tier(obj, create, extracted, **kwargs):
        if create:
            keep_tier(obj.elder)


class NeedsSurveyFactory(DjangoModelFactory):
    class Meta:
        model = NeedsSurvey

    elder = factory.SubFactory(ElderFactory)
    surveyed_on = datetime.date(2026, 3, 1)
    needs = factory.LazyFunction(lambda: ["meal", "cleaning"])
