import datetime

import factory
from factory.django import DjangoModelFactory

from carecenter.tests.factories import StationFactory
from elders.id_numbers import make_id_number
from elders.models import BarthelAssessment, Elder, FamilyContact, NeedsSurvey

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


class ElderFactory(DjangoModelFactory):
    class Meta:
        model = Elder

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


class NeedsSurveyFactory(DjangoModelFactory):
    class Meta:
        model = NeedsSurvey

    elder = factory.SubFactory(ElderFactory)
    surveyed_on = datetime.date(2026, 3, 1)
    needs = factory.LazyFunction(lambda: ["meal", "cleaning"])
