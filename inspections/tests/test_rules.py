"""The scoring rules at their boundaries (inspections/rules.py), without a database."""

from decimal import Decimal

import pytest

from inspections import rules
from inspections.models import Inspection
from inspections.rules import Recommendation


def perfect(**changes) -> Inspection:
    """An unsaved inspection on which every indicator passes."""
    fields = {
        "year": 2025,
        "services_per_month": [20] * 12,
        "services_with_feedback": 240,
        "satisfaction": Decimal("4.50"),
        "voucher_budget": Decimal("10000.00"),
        "voucher_used": Decimal("8000.00"),
        "staff_total": 2,
        "staff_certified": 2,
        "volunteers_total": 8,
        "volunteers_certified": 8,
        "trainings_held": 4,
        "building_area": Decimal("320.0"),
        "has_day_care_room": True,
        "has_pantry": True,
        "has_medical_room": True,
        "has_entertainment_room": True,
        "has_studio": True,
        "has_catering_hygiene_certificate": True,
        "has_outdoor_fitness": True,
        "public_welfare_posts": 4,
        "funds_used_properly": True,
    }
    fields.update(changes)
    return Inspection(**fields)


def deduction_of(code: str, inspection: Inspection) -> int:
    [result] = [r for r in rules.evaluate(inspection) if r.indicator.code == code]
    return result.deduction


def test_a_station_meeting_every_standard_scores_100_and_continues():
    assessment = rules.assess(perfect())
    assert assessment.score == 100
    assert assessment.recommendation == Recommendation.CONTINUE
    assert assessment.deductions == []


def test_every_indicator_has_a_deduction_and_the_table_adds_up():
    assert {i.code for i in rules.INDICATORS} == {
        "area",
        "day_care_room",
        "pantry",
        "medical_room",
        "entertainment_room",
        "studio",
        "catering_hygiene",
        "outdoor_fitness",
        "posts",
        "funds_use",
        "service_months",
        "feedback_coverage",
        "satisfaction",
        "voucher_use",
        "certified",
        "trainings",
    }
    assert all(i.points > 0 for i in rules.INDICATORS)
    # The module docstring's table is the documentation: it lists every points.
    for indicator in rules.INDICATORS:
        assert f"``{indicator.code}``" in rules.__doc__


@pytest.mark.parametrize(
    "area, passes", [("299.9", False), ("300", True), ("300.0", True), ("0", False)]
)
def test_the_building_area_is_at_least_300_square_metres(area, passes):
    assert rules.area_ok(Decimal(area)) is passes
    assert deduction_of("area", perfect(building_area=Decimal(area))) == (
        0 if passes else 10
    )


@pytest.mark.parametrize(
    "posts, passes", [(2, False), (3, True), (4, True), (5, True), (6, False)]
)
def test_three_to_five_public_welfare_posts(posts, passes):
    assert rules.posts_ok(posts) is passes
    assert deduction_of("posts", perfect(public_welfare_posts=posts)) == (
        0 if passes else 5
    )


@pytest.mark.parametrize(
    "room, points",
    [
        ("has_day_care_room", 5),
        ("has_pantry", 5),
        ("has_medical_room", 5),
        ("has_entertainment_room", 5),
        ("has_studio", 5),
        ("has_catering_hygiene_certificate", 10),
        ("has_outdoor_fitness", 5),
    ],
)
def test_each_missing_facility_takes_its_points(room, points):
    assert rules.assess(perfect(**{room: False})).score == 100 - points


def test_months_without_a_service_fail_the_services_indicator():
    assert rules.service_months([1] * 12) == 12
    assert deduction_of("service_months", perfect(services_per_month=[1] * 12)) == 0
    eleven = [5] * 11 + [0]
    assert deduction_of("service_months", perfect(services_per_month=eleven)) == 10


@pytest.mark.parametrize(
    "with_feedback, total, passes",
    [(90, 100, True), (89, 100, False), (899, 1000, False), (100, 100, True)],
)
def test_feedback_coverage_is_at_least_90_percent_unrounded(
    with_feedback, total, passes
):
    per_month = [0] * 12
    per_month[0] = total
    inspection = perfect(
        services_per_month=per_month, services_with_feedback=with_feedback
    )
    assert deduction_of("feedback_coverage", inspection) == (0 if passes else 10)


def test_feedback_coverage_without_services_is_not_applicable():
    results = rules.evaluate(perfect(services_per_month=[0] * 12, satisfaction=None))
    by_code = {r.indicator.code: r for r in results}
    assert by_code["feedback_coverage"].passed is None
    assert by_code["satisfaction"].passed is None
    assert by_code["service_months"].deduction == 10


@pytest.mark.parametrize(
    "mean, passes", [("3.99", False), ("4.00", True), ("5.00", True), ("1.00", False)]
)
def test_mean_satisfaction_is_at_least_4(mean, passes):
    assert rules.satisfaction_ok(Decimal(mean)) is passes
    assert deduction_of("satisfaction", perfect(satisfaction=Decimal(mean))) == (
        0 if passes else 10
    )


@pytest.mark.parametrize(
    "used, passes",
    [
        ("5999.99", False),
        ("6000.00", True),
        ("10000.00", True),
        ("10000.01", False),
        ("0.00", False),
    ],
)
def test_vouchers_redeemed_are_60_to_100_percent_of_the_budget(used, passes):
    inspection = perfect(voucher_budget=Decimal("10000.00"), voucher_used=Decimal(used))
    assert deduction_of("voucher_use", inspection) == (0 if passes else 10)


def test_voucher_use_without_a_budget_is_not_applicable():
    for budget in (None, Decimal("0.00")):
        [result] = [
            r
            for r in rules.evaluate(perfect(voucher_budget=budget))
            if r.indicator.code == "voucher_use"
        ]
        assert (result.passed, result.deduction) == (None, 0)


@pytest.mark.parametrize(
    "certified, total, passes",
    [(8, 10, True), (7, 10, False), (79, 100, False), (0, 0, False)],
)
def test_at_least_80_percent_of_staff_and_volunteers_certified(
    certified, total, passes
):
    inspection = perfect(
        staff_total=0,
        staff_certified=0,
        volunteers_total=total,
        volunteers_certified=certified,
    )
    assert deduction_of("certified", inspection) == (0 if passes else 10)


def test_staff_and_volunteers_count_together():
    inspection = perfect(
        staff_total=2, staff_certified=0, volunteers_total=8, volunteers_certified=8
    )
    assert deduction_of("certified", inspection) == 0  # 8 of 10


@pytest.mark.parametrize("held, passes", [(0, False), (1, False), (2, True)])
def test_at_least_two_training_sessions(held, passes):
    assert deduction_of("trainings", perfect(trainings_held=held)) == (
        0 if passes else 5
    )


def test_the_use_of_funds_is_not_judged_until_the_supervisor_checks_it():
    unchecked = rules.assess(perfect(funds_used_properly=None))
    assert unchecked.score == 100
    assert unchecked.recommendation == Recommendation.CONTINUE
    misused = rules.assess(perfect(funds_used_properly=False))
    assert misused.score == 80
    assert misused.recommendation == Recommendation.RECOVER


@pytest.mark.parametrize(
    "points, expected",
    [
        (100, Recommendation.CONTINUE),
        (80, Recommendation.CONTINUE),
        (79, Recommendation.RECTIFY),
        (60, Recommendation.RECTIFY),
        (59, Recommendation.STOP),
        (0, Recommendation.STOP),
    ],
)
def test_the_recommendation_follows_the_score(points, expected):
    assert rules.recommend(points, funds_used_properly=True) == expected
    assert rules.recommend(points, funds_used_properly=False) == (
        Recommendation.RECOVER
    )


def test_the_score_never_goes_below_zero():
    worst = perfect(
        building_area=Decimal("10"),
        has_day_care_room=False,
        has_pantry=False,
        has_medical_room=False,
        has_entertainment_room=False,
        has_studio=False,
        has_catering_hygiene_certificate=False,
        has_outdoor_fitness=False,
        public_welfare_posts=0,
        funds_used_properly=False,
        services_per_month=[0] * 12,
        services_with_feedback=0,
        satisfaction=None,
        voucher_used=Decimal("0"),
        staff_total=0,
        staff_certified=0,
        volunteers_total=0,
        volunteers_certified=0,
        trainings_held=0,
    )
    assert rules.assess(worst).score == 0


def test_each_deduction_is_listed_with_its_value():
    assessment = rules.assess(
        perfect(building_area=Decimal("299.9"), public_welfare_posts=6)
    )
    assert assessment.score == 85
    assert assessment.deductions == [
        {"indicator": "area", "points": 10, "value": "299.9"},
        {"indicator": "posts", "points": 5, "value": 6},
    ]
    described = rules.describe(assessment.deductions)
    assert [(d.label, d.value, d.points) for d in described] == [
        ("Building area", "299.9 m²", 10),
        ("Public-welfare posts", "6", 5),
    ]


def test_the_recommendation_gives_its_reason():
    assert "below 60" in rules.recommendation_reason(55, Recommendation.STOP)
    assert "60 to 79" in rules.recommendation_reason(70, Recommendation.RECTIFY)
    assert "80 or more" in rules.recommendation_reason(90, Recommendation.CONTINUE)


def test_a_month_with_only_volunteer_visits_is_a_month_with_services():
    eleven = [5] * 11 + [0]
    visits = [0] * 11 + [3]
    inspection = perfect(services_per_month=eleven, visits_per_month=visits)
    assert deduction_of("service_months", inspection) == 0
    inspection = perfect(services_per_month=eleven, visits_per_month=[1] * 11 + [0])
    assert deduction_of("service_months", inspection) == 10
