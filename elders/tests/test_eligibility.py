"""PRODUCT.md "Eligibility and service tier", pinned at its boundaries.

The single-elder form (``evaluate``) and the SQL form (``annotate_tier``) must
agree for every elder and date: a hypothesis test draws both at random.
"""

import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elders.eligibility import Thresholds, annotate_tier, evaluate, years_before
from elders.models import Category, Elder, EligibilityPolicy, Status, Tier
from elders.tests.factories import BarthelAssessmentFactory, ElderFactory

pytestmark = pytest.mark.django_db

ON = datetime.date(2026, 11, 1)


def tier_both_ways(elder, on=ON, thresholds=None):
    """The tier and its reasons by both forms; the test fails if they disagree."""
    single = evaluate(elder, on=on, thresholds=thresholds)
    row = annotate_tier(
        Elder.objects.filter(pk=elder.pk), on=on, thresholds=thresholds, reasons=True
    )
    sql = row.values_list("computed_tier", "tier", "tier_reasons").get()
    assert sql == (single.computed_tier, single.tier, single.reasons)
    return single


def born(years_ago, days=0, on=ON):
    return years_before(on, years_ago) + datetime.timedelta(days=days)


class TestServiceObject:
    def test_turning_60_on_the_evaluation_date_is_enough(self):
        elder = ElderFactory(birth_date=born(60))
        assert tier_both_ways(elder).tier == Tier.PAID

    def test_turning_60_the_day_after_is_not(self):
        elder = ElderFactory(birth_date=born(60, days=1))
        result = tier_both_ways(elder)
        assert result.tier == Tier.INELIGIBLE
        assert result.reasons == ["under_service_age"]

    def test_exactly_two_years_of_residence_counts(self):
        elder = ElderFactory(hukou_local=False, residence_since=years_before(ON, 2))
        assert tier_both_ways(elder).tier == Tier.PAID

    def test_a_day_short_of_two_years_does_not(self):
        elder = ElderFactory(
            hukou_local=False,
            residence_since=years_before(ON, 2) + datetime.timedelta(1),
        )
        result = tier_both_ways(elder)
        assert result.tier == Tier.INELIGIBLE
        assert "not_resident" in result.reasons

    @pytest.mark.parametrize("status", [Status.DECEASED, Status.MOVED])
    def test_deceased_and_moved_elders_are_ineligible_whatever_else(self, status):
        elder = ElderFactory(status=status, categories=[Category.THREE_NO])
        result = tier_both_ways(elder)
        assert result.tier == Tier.INELIGIBLE
        assert result.reasons == [status]


class TestLeapDayBirths:
    """Born 29 February: in a common year the birthday is reached on 1 March.

    60 is a multiple of 4, so a leap-day birth turns 60 in a leap year; 75 is not,
    so the senior age shows the common-year rule.
    """

    def test_60_on_29_february_of_a_leap_year_not_the_day_before(self):
        elder = ElderFactory(birth_date=datetime.date(1968, 2, 29))
        assert tier_both_ways(elder, on=datetime.date(2028, 2, 29)).tier == Tier.PAID
        assert (
            tier_both_ways(elder, on=datetime.date(2028, 2, 28)).tier == Tier.INELIGIBLE
        )

    def test_75_on_1_march_of_a_common_year_not_on_28_february(self):
        elder = ElderFactory(
            birth_date=datetime.date(1952, 2, 29), categories=[Category.LOW_INCOME]
        )
        assert tier_both_ways(elder, on=datetime.date(2027, 2, 28)).tier == Tier.PAID
        assert tier_both_ways(elder, on=datetime.date(2027, 3, 1)).tier == Tier.FREE

    def test_evaluating_on_29_february(self):
        elder = ElderFactory(birth_date=datetime.date(1968, 2, 28))
        assert tier_both_ways(elder, on=datetime.date(2028, 2, 28)).tier == Tier.PAID
        later = ElderFactory(birth_date=datetime.date(1968, 3, 1))
        assert (
            tier_both_ways(later, on=datetime.date(2028, 2, 29)).tier == Tier.INELIGIBLE
        )


class TestFree:
    def test_three_no_at_home_is_free_at_any_service_age(self):
        elder = ElderFactory(birth_date=born(61), categories=[Category.THREE_NO])
        result = tier_both_ways(elder)
        assert result.tier == Tier.FREE
        assert "three_no" in result.reasons

    def test_three_no_in_an_institution_is_not_free(self):
        elder = ElderFactory(
            birth_date=born(61),
            categories=[Category.THREE_NO],
            status=Status.INSTITUTION,
        )
        result = tier_both_ways(elder)
        assert result.tier == Tier.PAID
        assert "three_no_in_institution" in result.reasons

    @pytest.mark.parametrize(
        "category", [Category.PREFERENTIAL, Category.MODEL_WORKER, Category.LOW_INCOME]
    )
    def test_turning_75_on_the_date_with_a_qualifying_category(self, category):
        assert tier_both_ways(
            ElderFactory(birth_date=born(75), categories=[category])
        ).tier == (Tier.FREE)
        younger = ElderFactory(birth_date=born(75, days=1), categories=[category])
        assert tier_both_ways(younger).tier == Tier.PAID

    def test_75_extremely_poor_and_disabled(self):
        both = [Category.EXTREMELY_POOR, Category.DISABLED]
        assert (
            tier_both_ways(ElderFactory(birth_date=born(75), categories=both)).tier
            == Tier.FREE
        )
        only_poor = ElderFactory(
            birth_date=born(80), categories=[Category.EXTREMELY_POOR]
        )
        assert tier_both_ways(only_poor).tier == Tier.PAID


class TestLowCost:
    def low_cost_candidate(self, **overrides):
        fields = {
            "birth_date": born(75),
            "living_arrangement": "alone",
            "financial_difficulty": True,
        }
        fields.update(overrides)
        return ElderFactory(**fields)

    def test_senior_alone_dependent_and_in_difficulty(self):
        elder = self.low_cost_candidate()
        BarthelAssessmentFactory(elder=elder, assessed_on=ON, stairs=5)  # 95
        result = tier_both_ways(elder)
        assert result.tier == Tier.LOW_COST
        assert "low_cost_criteria" in result.reasons

    def test_empty_nest_counts_like_living_alone(self):
        elder = self.low_cost_candidate(living_arrangement="spouse", empty_nest=True)
        BarthelAssessmentFactory(elder=elder, assessed_on=ON, stairs=0)
        assert tier_both_ways(elder).tier == Tier.LOW_COST

    def test_fully_self_caring_is_paid(self):
        elder = self.low_cost_candidate()
        BarthelAssessmentFactory(elder=elder, assessed_on=ON)  # 100
        assert tier_both_ways(elder).tier == Tier.PAID

    def test_the_latest_assessment_on_or_before_the_date_decides(self):
        elder = self.low_cost_candidate(birth_date=born(76))
        BarthelAssessmentFactory(
            elder=elder, assessed_on=ON - datetime.timedelta(90), stairs=0
        )
        BarthelAssessmentFactory(
            elder=elder, assessed_on=ON - datetime.timedelta(10)
        )  # 100
        BarthelAssessmentFactory(
            elder=elder, assessed_on=ON + datetime.timedelta(1), stairs=0
        )
        assert tier_both_ways(elder).tier == Tier.PAID
        assert (
            tier_both_ways(elder, on=ON - datetime.timedelta(30)).tier == Tier.LOW_COST
        )

    def test_without_an_assessment_self_care_is_presumed(self):
        result = tier_both_ways(self.low_cost_candidate())
        assert result.tier == Tier.PAID
        assert "no_assessment" in result.reasons

    def test_without_financial_difficulty_it_is_paid(self):
        elder = self.low_cost_candidate(financial_difficulty=False)
        BarthelAssessmentFactory(elder=elder, assessed_on=ON, stairs=0)
        assert tier_both_ways(elder).tier == Tier.PAID

    def test_free_grounds_win_over_low_cost(self):
        elder = self.low_cost_candidate(categories=[Category.LOW_INCOME])
        BarthelAssessmentFactory(elder=elder, assessed_on=ON, stairs=0)
        assert tier_both_ways(elder).tier == Tier.FREE


class TestOverride:
    def test_the_override_replaces_the_computed_tier(self, cast):
        elder = ElderFactory(
            tier_override=Tier.LOW_COST,
            tier_override_reason="独居且行动不便",
            tier_override_by=cast.manager_a,
        )
        result = tier_both_ways(elder)
        assert (result.computed_tier, result.tier) == (Tier.PAID, Tier.LOW_COST)
        assert result.override["reason"] == "独居且行动不便"
        assert result.override["by"] == "manager_a"

    def test_no_override_makes_the_deceased_eligible(self):
        elder = ElderFactory(
            status=Status.DECEASED, tier_override=Tier.FREE, tier_override_reason="x"
        )
        assert tier_both_ways(elder).tier == Tier.INELIGIBLE


class TestPolicy:
    def test_the_thresholds_come_from_the_policy(self):
        policy = EligibilityPolicy.current()
        policy.service_age = 65
        policy.save()
        elder = ElderFactory(birth_date=born(64))
        assert tier_both_ways(elder).tier == Tier.INELIGIBLE
        policy.service_age = 60
        policy.save()
        assert tier_both_ways(elder).tier == Tier.PAID

    def test_the_defaults_are_those_of_the_product(self):
        assert Thresholds.current() == Thresholds(60, 75, 2)


# --- The two forms agree, whatever the elder and the date ---------------------------

elders = st.fixed_dictionaries(
    {
        "birth_date": st.dates(datetime.date(1920, 1, 1), datetime.date(1975, 12, 31)),
        "hukou_local": st.booleans(),
        "residence_since": st.one_of(
            st.none(), st.dates(datetime.date(2015, 1, 1), datetime.date(2027, 12, 31))
        ),
        "living_arrangement": st.sampled_from(["alone", "spouse", "children", "other"]),
        "empty_nest": st.booleans(),
        "categories": st.lists(
            st.sampled_from(Category.values), unique=True, max_size=4
        ),
        "financial_difficulty": st.booleans(),
        "status": st.sampled_from(Status.values),
        "override": st.sampled_from(["", *Tier.values]),
        "barthel": st.lists(
            st.tuples(
                st.dates(datetime.date(2024, 1, 1), datetime.date(2027, 12, 31)),
                st.sampled_from([0, 5, 10]),
            ),
            max_size=3,
        ),
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=elders, on=st.dates(datetime.date(2024, 1, 1), datetime.date(2028, 12, 31)))
def test_the_single_and_set_forms_always_agree(spec, on):
    spec = dict(spec)
    assessments = spec.pop("barthel")
    override = spec.pop("override")
    if not spec["hukou_local"] and spec["residence_since"] is None:
        spec["residence_since"] = datetime.date(2020, 1, 1)
    elder = ElderFactory(
        **spec, tier_override=override, tier_override_reason="理由" if override else ""
    )
    for assessed_on, stairs in assessments:
        BarthelAssessmentFactory(elder=elder, assessed_on=assessed_on, stairs=stairs)
    tier_both_ways(elder, on=on)
    elder.delete()


def test_the_set_form_is_one_statement(django_assert_num_queries):
    for n in range(30):
        ElderFactory(birth_date=born(60 + n))
    EligibilityPolicy.current()
    with django_assert_num_queries(2):  # the policy and the elders
        tiers = list(
            annotate_tier(Elder.objects.all(), on=ON).values_list("tier", flat=True)
        )
    assert len(tiers) == 30
