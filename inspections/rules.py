"""The annual inspection's scoring rules (PRODUCT.md "Supervision"), in one place.

An inspection starts at 100 points. Every indicator that fails takes its
deduction off; the score never goes below 0. The job, the pages, the API and the
tests all read these functions; nothing else re-implements them.

=====================  =============================================  ==========
indicator              passes when                                    deduction
=====================  =============================================  ==========
``area``               building area ≥ 300 m²                          10
``day_care_room``      has a day-care room                             5
``pantry``             has a pantry                                    5
``medical_room``       has a medical room                              5
``entertainment_room`` has an entertainment room                       5
``studio``             has a studio / activity room                    5
``catering_hygiene``   holds a catering hygiene certificate            10
``outdoor_fitness``    has outdoor fitness facilities                  5
``posts``              3 to 5 public-welfare posts (inclusive)         5
``funds_use``          funds used only for facilities and services     20
``service_months``     services delivered in each of the 12 months     10
``feedback_coverage``  ≥ 90 % of the year's services have feedback     10
``satisfaction``       mean satisfaction ≥ 4.0 (of 5)                  10
``voucher_use``        vouchers redeemed 60 %–100 % of the budget      10
``certified``          ≥ 80 % of staff and volunteers certified        10
``trainings``          ≥ 2 training sessions held in the year          5
=====================  =============================================  ==========

Indicators that cannot be judged are *not applicable* and take nothing off:
feedback coverage without any service, satisfaction without any feedback,
voucher use without a budget for the year, and the use of funds until the
supervisor has checked it (the job cannot know it). Percentages are compared
unrounded: 89.99 % of services with feedback fails.

The recommendation follows from the score and the use of funds:

* **recover** when the funds were used for something else than facilities and
  services, whatever the score;
* **stop** funding when the score is below 60;
* **rectify** (continue after rectification) when it is 60 to 79;
* **continue** when it is 80 or more.

The inputs are any object with the figure and checklist attributes of
``inspections.models.Inspection`` (an unsaved one in the tests): these
functions read no database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

START = 100

MIN_AREA = Decimal("300")
POSTS_RANGE = (3, 5)
MIN_FEEDBACK_COVERAGE = Decimal("90")
MIN_SATISFACTION = Decimal("4.0")
VOUCHER_USE_RANGE = (Decimal("60"), Decimal("100"))
MIN_CERTIFIED = Decimal("80")
MIN_TRAININGS = 2
STOP_BELOW = 60
RECTIFY_BELOW = 80


class Recommendation(models.TextChoices):
    CONTINUE = "continue", gettext_lazy("Continue funding")
    RECTIFY = "rectify", gettext_lazy("Continue after rectification")
    STOP = "stop", gettext_lazy("Stop funding")
    RECOVER = "recover", gettext_lazy("Recover funds")


class Group(models.TextChoices):
    FACILITY = "facility", gettext_lazy("Facility standards")
    SERVICE = "service", gettext_lazy("Services and staff")


# --- The pure tests, one per indicator (tested at their boundaries) -------------------


def percent(part, whole) -> Decimal | None:
    """``part`` of ``whole`` in percent, unrounded; ``None`` when ``whole`` is 0."""
    if not whole:
        return None
    return Decimal(part) * 100 / Decimal(whole)


def area_ok(area) -> bool:
    return Decimal(area) >= MIN_AREA


def posts_ok(posts: int) -> bool:
    low, high = POSTS_RANGE
    return low <= posts <= high


def service_months(per_month: Sequence[int]) -> int:
    """How many months of the year had at least one service."""
    return sum(1 for n in per_month if n > 0)


def service_months_ok(per_month: Sequence[int]) -> bool:
    return service_months(per_month) == 12


def feedback_coverage_ok(coverage: Decimal) -> bool:
    return coverage >= MIN_FEEDBACK_COVERAGE


def satisfaction_ok(mean: Decimal) -> bool:
    return Decimal(mean) >= MIN_SATISFACTION


def voucher_use_ok(use: Decimal) -> bool:
    low, high = VOUCHER_USE_RANGE
    return low <= use <= high


def certified_ok(share: Decimal | None) -> bool:
    """No staff or volunteers registered at all fails too."""
    return share is not None and share >= MIN_CERTIFIED


def trainings_ok(held: int) -> bool:
    return held >= MIN_TRAININGS


# --- Indicators -----------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    passed: bool | None  # None: not applicable, nothing taken off
    value: object  # JSON-safe: str, int, bool or None


@dataclass(frozen=True)
class Indicator:
    code: str
    label: object  # lazy translation
    group: str
    points: int
    standard: object  # lazy translation: what passes
    judge: Callable[[object], Outcome]
    unit: str = ""  # "m2", "percent", "rating", "count", "" (present or not)


def _present(field: str) -> Callable[[object], Outcome]:
    def judge(x) -> Outcome:
        value = bool(getattr(x, field))
        return Outcome(value, value)

    return judge


def _number(value: Decimal | None, places: str = "0.1") -> str | None:
    return None if value is None else str(Decimal(value).quantize(Decimal(places)))


def _area(x) -> Outcome:
    return Outcome(area_ok(x.building_area), _number(x.building_area))


def _posts(x) -> Outcome:
    return Outcome(posts_ok(x.public_welfare_posts), x.public_welfare_posts)


def _funds(x) -> Outcome:
    return Outcome(x.funds_used_properly, x.funds_used_properly)


def _service_months(x) -> Outcome:
    # A volunteer's visit is a service delivered: a month with visits counts.
    visits = getattr(x, "visits_per_month", None) or [0] * len(x.services_per_month)
    combined = [a + b for a, b in zip(x.services_per_month, visits, strict=True)]
    return Outcome(service_months_ok(combined), service_months(combined))


def _coverage(x) -> Outcome:
    coverage = percent(x.services_with_feedback, sum(x.services_per_month))
    if coverage is None:
        return Outcome(None, None)
    return Outcome(feedback_coverage_ok(coverage), _number(coverage))


def _satisfaction(x) -> Outcome:
    if x.satisfaction is None:
        return Outcome(None, None)
    return Outcome(satisfaction_ok(x.satisfaction), _number(x.satisfaction, "0.01"))


def _voucher_use(x) -> Outcome:
    use = percent(x.voucher_used, x.voucher_budget) if x.voucher_budget else None
    if use is None:
        return Outcome(None, None)
    return Outcome(voucher_use_ok(use), _number(use))


def _certified(x) -> Outcome:
    share = percent(
        x.staff_certified + x.volunteers_certified, x.staff_total + x.volunteers_total
    )
    return Outcome(certified_ok(share), _number(share))


def _trainings(x) -> Outcome:
    return Outcome(trainings_ok(x.trainings_held), x.trainings_held)


INDICATORS: list[Indicator] = [
    Indicator(
        "area",
        gettext_lazy("Building area"),
        Group.FACILITY,
        10,
        gettext_lazy("at least 300 m²"),
        _area,
        "m2",
    ),
    Indicator(
        "day_care_room",
        gettext_lazy("Day-care room"),
        Group.FACILITY,
        5,
        gettext_lazy("present"),
        _present("has_day_care_room"),
    ),
    Indicator(
        "pantry",
        gettext_lazy("Pantry"),
        Group.FACILITY,
        5,
        gettext_lazy("present"),
        _present("has_pantry"),
    ),
    Indicator(
        "medical_room",
        gettext_lazy("Medical room"),
        Group.FACILITY,
        5,
        gettext_lazy("present"),
        _present("has_medical_room"),
    ),
    Indicator(
        "entertainment_room",
        gettext_lazy("Entertainment room"),
        Group.FACILITY,
        5,
        gettext_lazy("present"),
        _present("has_entertainment_room"),
    ),
    Indicator(
        "studio",
        gettext_lazy("Studio / activity room"),
        Group.FACILITY,
        5,
        gettext_lazy("present"),
        _present("has_studio"),
    ),
    Indicator(
        "catering_hygiene",
        gettext_lazy("Catering hygiene certificate"),
        Group.FACILITY,
        10,
        gettext_lazy("held"),
        _present("has_catering_hygiene_certificate"),
    ),
    Indicator(
        "outdoor_fitness",
        gettext_lazy("Outdoor fitness facilities"),
        Group.FACILITY,
        5,
        gettext_lazy("present"),
        _present("has_outdoor_fitness"),
    ),
    Indicator(
        "posts",
        gettext_lazy("Public-welfare posts"),
        Group.FACILITY,
        5,
        gettext_lazy("3 to 5 posts"),
        _posts,
        "count",
    ),
    Indicator(
        "funds_use",
        gettext_lazy("Funds used only for facilities and services"),
        Group.FACILITY,
        20,
        gettext_lazy("confirmed by the supervisor"),
        _funds,
    ),
    Indicator(
        "service_months",
        gettext_lazy("Months with services"),
        Group.SERVICE,
        10,
        gettext_lazy("services in all 12 months"),
        _service_months,
        "count",
    ),
    Indicator(
        "feedback_coverage",
        gettext_lazy("Services with feedback"),
        Group.SERVICE,
        10,
        gettext_lazy("at least 90%"),
        _coverage,
        "percent",
    ),
    Indicator(
        "satisfaction",
        gettext_lazy("Mean satisfaction"),
        Group.SERVICE,
        10,
        gettext_lazy("at least 4.0 of 5"),
        _satisfaction,
        "rating",
    ),
    Indicator(
        "voucher_use",
        gettext_lazy("Vouchers redeemed against the budget"),
        Group.SERVICE,
        10,
        gettext_lazy("60% to 100% of the budget"),
        _voucher_use,
        "percent",
    ),
    Indicator(
        "certified",
        gettext_lazy("Staff and volunteers certified"),
        Group.SERVICE,
        10,
        gettext_lazy("on 31 December, at least 80%"),
        _certified,
        "percent",
    ),
    Indicator(
        "trainings",
        gettext_lazy("Training sessions held"),
        Group.SERVICE,
        5,
        gettext_lazy("at least 2 in the year"),
        _trainings,
        "count",
    ),
]

BY_CODE: dict[str, Indicator] = {i.code: i for i in INDICATORS}


# --- Assessment -----------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    indicator: Indicator
    passed: bool | None
    value: object

    @property
    def deduction(self) -> int:
        return self.indicator.points if self.passed is False else 0

    @property
    def display_value(self) -> str:
        return display_value(self.indicator, self.value)


@dataclass(frozen=True)
class Assessment:
    results: list[Result]
    score: int
    recommendation: str

    @property
    def deductions(self) -> list[dict]:
        """What is stored with the inspection and given by the API."""
        return [
            {
                "indicator": r.indicator.code,
                "points": r.deduction,
                "value": r.value,
            }
            for r in self.results
            if r.deduction
        ]


def evaluate(source) -> list[Result]:
    """Every indicator judged on ``source``'s figures and checklist."""
    results = []
    for indicator in INDICATORS:
        outcome = indicator.judge(source)
        results.append(Result(indicator, outcome.passed, outcome.value))
    return results


def score(results: Sequence[Result]) -> int:
    return max(0, START - sum(r.deduction for r in results))


def recommend(points: int, *, funds_used_properly: bool | None) -> str:
    if funds_used_properly is False:
        return Recommendation.RECOVER
    if points < STOP_BELOW:
        return Recommendation.STOP
    if points < RECTIFY_BELOW:
        return Recommendation.RECTIFY
    return Recommendation.CONTINUE


def assess(source) -> Assessment:
    """The score, the recommendation and every indicator's result."""
    results = evaluate(source)
    points = score(results)
    return Assessment(
        results=results,
        score=points,
        recommendation=recommend(
            points, funds_used_properly=source.funds_used_properly
        ),
    )


def recommendation_reason(points: int, recommendation: str) -> str:
    """Why the recommendation follows from the score (shown with the deductions)."""
    if recommendation == Recommendation.RECOVER:
        return _("The funds were not used only for facilities and services.")
    if recommendation == Recommendation.STOP:
        return _("Score %(score)d is below %(limit)d.") % {
            "score": points,
            "limit": STOP_BELOW,
        }
    if recommendation == Recommendation.RECTIFY:
        return _("Score %(score)d is from %(low)d to %(high)d.") % {
            "score": points,
            "low": STOP_BELOW,
            "high": RECTIFY_BELOW - 1,
        }
    return _("Score %(score)d is %(limit)d or more.") % {
        "score": points,
        "limit": RECTIFY_BELOW,
    }


def display_value(indicator: Indicator, value) -> str:
    """An indicator's value for people: "299.9 m²", "85.0%", "missing", …"""
    if value is None:
        if indicator.code == "funds_use":
            return _("not checked yet")
        if indicator.code == "certified":
            return _("no staff or volunteers registered")
        return _("not applicable")
    if indicator.unit == "m2":
        return _("%(value)s m²") % {"value": value}
    if indicator.unit == "percent":
        return f"{value}%"
    if indicator.unit in ("rating", "count"):
        return str(value)
    return _("yes") if value else _("no")


@dataclass(frozen=True)
class Deduction:
    """A stored deduction, ready for a page: label, value, standard, points."""

    code: str
    label: str
    value: str
    standard: str
    points: int


def describe(deductions: Sequence[dict]) -> list[Deduction]:
    """The stored deductions of an inspection, with their labels and values."""
    described = []
    for item in deductions:
        indicator = BY_CODE.get(item.get("indicator"))
        if indicator is None:  # an indicator retired since: keep its points
            described.append(
                Deduction(item.get("indicator", ""), "", "", "", item["points"])
            )
            continue
        described.append(
            Deduction(
                indicator.code,
                str(indicator.label),
                display_value(indicator, item.get("value")),
                str(indicator.standard),
                item["points"],
            )
        )
    return described
