"""Demo elders for ``seed_demo``: every category and tier present, safe to re-run."""

from __future__ import annotations

import datetime

from django.utils import timezone

from elders import actions
from elders.id_numbers import make_id_number
from elders.models import BarthelAssessment, Elder, NeedsSurvey

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
)
GIVEN_F = [
    "秀英",
    "桂兰",
    "玉兰",
    "淑珍",
    "凤英",
    "秀兰",
    "兰英",
    "桂英",
    "玉梅",
    "素芳",
]
GIVEN_M = [
    "建国",
    "德明",
    "志强",
    "国华",
    "福生",
    "长顺",
    "永祥",
    "文斌",
    "宝山",
    "金海",
]

# (age, gender, living, empty_nest, categories, difficulty, status, barthel, hukou,
#  needs)
PROFILES = [
    (
        82,
        "F",
        "alone",
        True,
        ["three_no"],
        True,
        "active",
        70,
        True,
        ["meal_delivery", "cleaning"],
    ),
    (
        78,
        "M",
        "spouse",
        False,
        ["model_worker"],
        False,
        "active",
        100,
        True,
        ["health_check"],
    ),
    (
        77,
        "F",
        "alone",
        True,
        ["low_income"],
        True,
        "active",
        55,
        True,
        ["meal", "bathing"],
    ),
    (
        88,
        "M",
        "children",
        False,
        ["preferential"],
        False,
        "active",
        45,
        True,
        ["medical", "rehab"],
    ),
    (
        80,
        "F",
        "alone",
        False,
        ["extremely_poor", "disabled"],
        True,
        "active",
        35,
        True,
        ["day_care", "bathing", "medical"],
    ),
    (79, "F", "alone", True, [], True, "active", 80, True, ["meal", "chat"]),
    (76, "M", "spouse", True, [], True, "active", 90, True, ["cleaning", "errands"]),
    (68, "M", "spouse", False, [], False, "active", 100, True, ["culture"]),
    (
        63,
        "F",
        "children",
        False,
        [],
        False,
        "active",
        None,
        True,
        ["health_check", "culture"],
    ),
    (71, "F", "other", False, ["disabled"], False, "active", 85, True, ["mobility"]),
    (
        93,
        "F",
        "children",
        False,
        ["widowed_childless"],
        False,
        "active",
        40,
        True,
        ["medical", "chat"],
    ),
    (
        101,
        "M",
        "children",
        False,
        [],
        False,
        "active",
        30,
        True,
        ["medical", "bathing"],
    ),
    (66, "M", "alone", True, [], False, "active", None, False, ["legal_aid"]),
    (74, "F", "spouse", False, ["low_income"], True, "active", 95, True, ["meal"]),
    (85, "M", "alone", True, [], True, "institution", 50, True, []),
    (90, "F", "alone", False, ["three_no"], True, "institution", 40, True, []),
    (84, "M", "spouse", False, [], False, "moved", 100, True, []),
    (95, "F", "children", False, [], False, "deceased", 20, True, []),
    (58, "F", "spouse", False, [], False, "active", None, True, ["culture"]),
    (61, "M", "spouse", False, [], False, "active", None, False, ["counselling"]),
]


def seed_elders(command, stations, users) -> None:
    today = timezone.localdate()
    created = 0
    for code, count, region, keeper in (
        ("DEMO-A", 20, "330102", "staff_a"),
        ("DEMO-B", 12, "330183", "staff_b"),
    ):
        station = stations[code]
        # The station's own staff keep its archives (and the history says so).
        staff = users[keeper]
        for n in range(count):
            age, gender, living, nest, cats, hard, status, barthel, hukou, needs = (
                PROFILES[n]
            )
            born = datetime.date(today.year - age, (n % 12) + 1, (n * 3) % 27 + 1)
            if born > today.replace(year=today.year - age):
                born = born.replace(year=born.year - 1)
            surname = SURNAMES[(n * 7 + len(code)) % len(SURNAMES)]
            given = (GIVEN_F if gender == "F" else GIVEN_M)[(n + len(code)) % 10]
            id_number = make_id_number(region, born, n + 11, gender)
            data = {
                "name": surname + given,
                "gender": gender,
                "birth_date": born,
                "id_number": id_number,
                "phone": f"13{n % 10}{(code[-1] == 'A' and 5) or 7}{n:03d}{8800 + n}",
                "address": f"{station.address} {n % 6 + 1} 幢 {n + 101} 室",
                "hukou_local": hukou,
                "residence_since": None
                if hukou
                else today.replace(year=today.year - 3 - n % 2),
                "living_arrangement": living,
                "empty_nest": nest,
                "categories": cats,
                "financial_difficulty": hard,
                "health_status": "poor" if (barthel or 100) < 60 else "fair",
                "chronic_conditions": "高血压" if n % 3 == 0 else "",
                "status": status,
            }
            elder = (
                Elder.objects.filter(district=station.district)
                .with_id_number(id_number)
                .first()
            )
            if elder is None:
                elder = actions.elder_register(actor=staff, station=station, data=data)
                created += 1
            else:
                elder = actions.elder_update(actor=staff, elder=elder, data=data)
            assessed_on = today.replace(day=1)
            if (
                barthel is not None
                and not BarthelAssessment.objects.filter(
                    elder=elder, assessed_on=assessed_on
                ).exists()
            ):
                actions.assessment_record(
                    actor=staff,
                    elder=elder,
                    assessed_on=assessed_on,
                    scores=_scores(barthel),
                )
            if needs and not NeedsSurvey.objects.filter(elder=elder).exists():
                actions.needs_survey_record(
                    actor=staff, elder=elder, surveyed_on=assessed_on, needs=needs
                )
    command.stdout.write(f"elders: {created} new archives")


def _scores(total: int) -> dict[str, int]:
    """Item scores that add up to ``total`` (a multiple of 5)."""
    maximum = {
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
    scores = dict(maximum)
    missing = 100 - total
    for item in [
        "stairs",
        "bathing",
        "transfers",
        "mobility",
        "dressing",
        "toilet",
        "grooming",
        "feeding",
        "bladder",
        "bowels",
    ]:
        take = min(missing, scores[item])
        scores[item] -= take
        missing -= take
    return scores
