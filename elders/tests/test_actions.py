import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from carecenter.audit import history_of
from elders import actions
from elders.id_numbers import make_id_number
from elders.models import Elder, FamilyContact, Tier
from elders.tests.factories import ElderFactory, FamilyContactFactory

pytestmark = pytest.mark.django_db


def elder_data(**overrides):
    data = {
        "name": "王秀兰",
        "gender": "F",
        "birth_date": datetime.date(1944, 3, 8),
        "id_number": make_id_number("330102", datetime.date(1944, 3, 8), 7, "F"),
        "phone": "138 1111 2222",
        "address": "幸福路 1 号",
        "hukou_local": True,
        "residence_since": None,
        "living_arrangement": "alone",
        "empty_nest": True,
        "categories": ["low_income"],
        "financial_difficulty": True,
        "health_status": "fair",
        "chronic_conditions": "高血压",
        "status": "active",
    }
    data.update(overrides)
    return data


class TestElderRegister:
    def test_it_opens_an_archive_with_an_audited_history(self, cast):
        elder = actions.elder_register(
            actor=cast.staff_a, station=cast.a, data=elder_data()
        )
        assert elder.district == cast.d1
        entry = history_of(elder)[0]
        assert entry.user == cast.staff_a and entry.label == "insert"

    def test_it_refuses_a_bad_id_and_writes_nothing(self, cast):
        data = elder_data(id_number="330102194403080071")
        with pytest.raises(ValidationError) as exc:
            actions.elder_register(actor=cast.staff_a, station=cast.a, data=data)
        assert "id_number" in exc.value.message_dict
        assert not Elder.objects.exists()

    def test_it_refuses_an_id_registered_in_the_same_district(self, cast):
        actions.elder_register(actor=cast.staff_a, station=cast.a, data=elder_data())
        with pytest.raises(ValidationError) as exc:
            actions.elder_register(
                actor=cast.staff_b, station=cast.b, data=elder_data()
            )
        assert "already registered" in exc.value.message_dict["id_number"][0]

    def test_the_same_id_may_exist_in_another_district(self, cast):
        from carecenter.actions import role_grant
        from carecenter.models import Role

        actions.elder_register(actor=cast.staff_a, station=cast.a, data=elder_data())
        role_grant(actor=cast.admin, user=cast.staff_b, role=Role.STAFF, station=cast.c)
        actions.elder_register(actor=cast.staff_b, station=cast.c, data=elder_data())
        assert Elder.objects.count() == 2

    def test_it_needs_a_residence_date_for_non_local_households(self, cast):
        with pytest.raises(ValidationError) as exc:
            actions.elder_register(
                actor=cast.staff_a, station=cast.a, data=elder_data(hukou_local=False)
            )
        assert "residence_since" in exc.value.message_dict

    def test_it_refuses_another_station(self, cast):
        with pytest.raises(Http404):
            actions.elder_register(
                actor=cast.staff_b, station=cast.a, data=elder_data()
            )

    def test_it_refuses_the_read_only_supervisor(self, cast):
        with pytest.raises(PermissionDenied):
            actions.elder_register(
                actor=cast.supervisor, station=cast.a, data=elder_data()
            )
        assert not Elder.objects.exists()


class TestTierOverride:
    def test_only_the_manager_overrides(self, cast):
        elder = ElderFactory(station=cast.a)
        with pytest.raises(PermissionDenied):
            actions.tier_override_set(
                actor=cast.staff_a, elder=elder, tier=Tier.FREE, reason="理由"
            )

    def test_it_needs_a_reason(self, cast):
        elder = ElderFactory(station=cast.a)
        with pytest.raises(ValidationError):
            actions.tier_override_set(
                actor=cast.manager_a, elder=elder, tier=Tier.FREE, reason=" "
            )

    def test_it_is_audited_with_its_reason(self, cast):
        elder = ElderFactory(station=cast.a)
        actions.tier_override_set(
            actor=cast.manager_a,
            elder=elder,
            tier=Tier.FREE,
            reason="子女失联，生活困难",
        )
        entry = history_of(elder)[0]
        assert entry.user == cast.manager_a
        assert entry.reason_code == "elder.tier_override_set"
        assert entry.reason == "tier override: 子女失联，生活困难"
        actions.tier_override_clear(actor=cast.manager_a, elder=elder, reason="已核实")
        elder.refresh_from_db()
        assert elder.tier_override == "" and elder.tier_override_by is None


class TestRelatedRecords:
    def test_one_emergency_contact_at_a_time(self, cast):
        elder = ElderFactory(station=cast.a)
        first = FamilyContactFactory(elder=elder, is_emergency=True)
        actions.family_contact_save(
            actor=cast.staff_a,
            elder=elder,
            data={
                "name": "李强",
                "relation": "儿子",
                "phone": "139",
                "is_emergency": True,
            },
        )
        first.refresh_from_db()
        assert not first.is_emergency
        assert FamilyContact.objects.filter(elder=elder, is_emergency=True).count() == 1

    def test_the_assessment_total_and_level_are_computed(self, cast):
        elder = ElderFactory(station=cast.a)
        scores = dict.fromkeys(
            [
                "feeding",
                "bathing",
                "grooming",
                "dressing",
                "bowels",
                "bladder",
                "toilet",
                "transfers",
                "mobility",
                "stairs",
            ],
            5,
        )
        assessment = actions.assessment_record(
            actor=cast.staff_a,
            elder=elder,
            assessed_on=datetime.date(2026, 5, 1),
            scores=scores,
        )
        assert assessment.total == 50
        assert assessment.level == "moderate"

    @pytest.mark.parametrize(
        "total, level",
        [
            (100, "independent"),
            (99, "mild"),
            (61, "mild"),
            (60, "moderate"),
            (41, "moderate"),
            (40, "severe"),
            (0, "severe"),
        ],
    )
    def test_the_barthel_levels(self, total, level):
        from elders.models import barthel_level

        assert barthel_level(total) == level

    def test_it_refuses_a_score_off_the_scale(self, cast):
        elder = ElderFactory(station=cast.a)
        scores = {
            "feeding": 7,
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
        with pytest.raises(ValidationError) as exc:
            actions.assessment_record(
                actor=cast.staff_a,
                elder=elder,
                assessed_on=datetime.date(2026, 5, 1),
                scores=scores,
            )
        assert "feeding" in exc.value.message_dict
        assert not elder.assessments.exists()

    def test_the_survey_refuses_unknown_services(self, cast):
        elder = ElderFactory(station=cast.a)
        with pytest.raises(ValidationError):
            actions.needs_survey_record(
                actor=cast.staff_a,
                elder=elder,
                surveyed_on=datetime.date(2026, 5, 1),
                needs=["spa"],
            )
