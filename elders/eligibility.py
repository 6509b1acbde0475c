"""Eligibility and service tier: the only place these rules live.

PRODUCT.md, "Eligibility and service tier". An elder is a *service object* on a
date when aged ``service_age``+ on that date and either registered in the
jurisdiction or living there for at least ``residence_years``. Moved-away and
deceased elders are never service objects. Service objects fall into exactly
one tier:

* **free**: three-no and not living in an institution; or aged ``senior_age``+
  and (key preferential-treatment recipient, model worker, or low-income); or
  aged ``senior_age``+, extremely poor and disabled;
* **low-cost**: not free, aged ``senior_age``+, living alone or empty-nest, not
  fully self-caring (latest Barthel score on or before the date below 100) and
  in financial difficulty;
* **paid**: every other service object.

Everyone else is **ineligible**. A manager's override replaces the computed tier,
except that moved-away and deceased elders stay ineligible whatever it says.

Two forms answer the same question and a property test keeps them equal:
``evaluate(elder, on=...)`` for one elder with the reasons, and
``annotate_tier(queryset, on=...)`` for a whole queryset in one SQL statement
(the monthly voucher issuance runs it over up to a million elders).

Ages: someone has reached age N on ``day`` when born on or before
``years_before(day, N)``. Someone born on 29 February therefore turns N on
1 March in a common year, which is also what PostgreSQL's ``age()`` says.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.contrib.postgres.fields import ArrayField
from django.db.models import Case as SqlCase
from django.db.models import (
    CharField,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from elders.models import (
    BarthelAssessment,
    Category,
    Elder,
    EligibilityPolicy,
    LivingArrangement,
    Status,
    Tier,
)

#: Reason codes, in the API's ``reasons`` list, with their explanations.
REASONS = {
    "deceased": _("Deceased"),
    "moved": _("Moved away"),
    "under_service_age": _("Younger than the service age"),
    "not_resident": _("Neither registered here nor resident long enough"),
    "service_object": _("Service object: of age and registered or resident"),
    "three_no": _("Three-no and not living in an institution"),
    "three_no_in_institution": _("Three-no, but living in an institution"),
    "senior_preferential": _("Senior and a key preferential-treatment recipient"),
    "senior_model_worker": _("Senior and a model worker"),
    "senior_low_income": _("Senior and low-income"),
    "senior_extremely_poor_disabled": _("Senior, extremely poor and disabled"),
    "low_cost_criteria": _(
        "Senior, living alone or empty-nest, not fully self-caring, "
        "in financial difficulty"
    ),
    "no_assessment": _("No ability assessment on record, so self-care is presumed"),
    "paid": _("Service object without free or low-cost grounds"),
    "override": _("Tier set by the station manager"),
}

_GONE = (Status.MOVED, Status.DECEASED)
UNKNOWN = object()  # "read the latest assessment from the database"
_SENIOR_FREE = {
    Category.PREFERENTIAL: "senior_preferential",
    Category.MODEL_WORKER: "senior_model_worker",
    Category.LOW_INCOME: "senior_low_income",
}


def years_before(day: datetime.date, years: int) -> datetime.date:
    """The same calendar day ``years`` earlier; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


@dataclass(frozen=True)
class Thresholds:
    service_age: int = 60
    senior_age: int = 75
    residence_years: int = 2

    @classmethod
    def current(cls) -> Thresholds:
        policy = EligibilityPolicy.current()
        return cls(policy.service_age, policy.senior_age, policy.residence_years)


@dataclass
class Eligibility:
    """The answer for one elder on one date."""

    on: datetime.date
    computed_tier: str
    tier: str
    reasons: list[str] = field(default_factory=list)
    override: dict | None = None

    @property
    def eligible(self) -> bool:
        return self.tier != Tier.INELIGIBLE

    def reason_labels(self) -> list[str]:
        return [str(REASONS[code]) for code in self.reasons]


def latest_barthel_total(elder: Elder, on: datetime.date) -> int | None:
    return (
        BarthelAssessment.objects.filter(elder=elder, assessed_on__lte=on)
        .order_by("-assessed_on", "-id")
        .values_list("total", flat=True)
        .first()
    )


def evaluate(
    elder: Elder,
    *,
    on: datetime.date,
    thresholds: Thresholds | None = None,
    barthel_total: int | object | None = UNKNOWN,
) -> Eligibility:
    """The tier of ``elder`` on ``on``, with the reasons that decided it.

    ``barthel_total`` may be passed when already known (``None``: no assessment);
    otherwise the latest assessment on or before ``on`` is read.
    """
    t = thresholds or Thresholds.current()
    computed, reasons = _computed(elder, on, t, barthel_total)
    tier = computed
    override = None
    if elder.tier_override:
        override = {
            "tier": elder.tier_override,
            "reason": elder.tier_override_reason,
            "by": elder.tier_override_by.get_username()
            if elder.tier_override_by
            else None,
            # The person, as pages name people (the login is for the API).
            "by_name": str(elder.tier_override_by) if elder.tier_override_by else "",
            "at": elder.tier_override_at,
        }
        if elder.status not in _GONE:
            tier = elder.tier_override
            reasons = [*reasons, "override"]
    return Eligibility(
        on=on, computed_tier=computed, tier=tier, reasons=reasons, override=override
    )


def _computed(elder, on, t: Thresholds, barthel_total) -> tuple[str, list[str]]:
    if elder.status == Status.DECEASED:
        return Tier.INELIGIBLE, ["deceased"]
    if elder.status == Status.MOVED:
        return Tier.INELIGIBLE, ["moved"]
    reasons = []
    if elder.birth_date > years_before(on, t.service_age):
        reasons.append("under_service_age")
    resident = elder.hukou_local or (
        elder.residence_since is not None
        and elder.residence_since <= years_before(on, t.residence_years)
    )
    if not resident:
        reasons.append("not_resident")
    if reasons:
        return Tier.INELIGIBLE, reasons

    reasons = ["service_object"]
    categories = set(elder.categories)
    senior = elder.birth_date <= years_before(on, t.senior_age)
    free = []
    if Category.THREE_NO in categories:
        if elder.status == Status.INSTITUTION:
            reasons.append("three_no_in_institution")
        else:
            free.append("three_no")
    if senior:
        free += [code for cat, code in _SENIOR_FREE.items() if cat in categories]
        if {Category.EXTREMELY_POOR, Category.DISABLED} <= categories:
            free.append("senior_extremely_poor_disabled")
    if free:
        return Tier.FREE, reasons + free

    alone = elder.living_arrangement == LivingArrangement.ALONE or elder.empty_nest
    if senior and alone and elder.financial_difficulty:
        total = (
            latest_barthel_total(elder, on)
            if barthel_total is UNKNOWN
            else barthel_total
        )
        if total is None:
            return Tier.PAID, [*reasons, "no_assessment", "paid"]
        if total < 100:
            return Tier.LOW_COST, [*reasons, "low_cost_criteria"]
    return Tier.PAID, [*reasons, "paid"]


class _TextArray(Func):
    """``ARRAY[a, b, …]`` without its NULL elements: the reasons that apply."""

    template = "array_remove(ARRAY[%(expressions)s]::varchar[], NULL)"
    arg_joiner = ", "
    output_field = ArrayField(CharField())


def _conditions(*, on: datetime.date, thresholds: Thresholds):
    """The rules as ``Q`` objects over an elder, shared by the tier and its reasons.

    Every condition is positive, so a NULL (no residence date, no assessment)
    never qualifies an elder for a tier.
    """
    t = thresholds
    service_cutoff = years_before(on, t.service_age)
    senior_cutoff = years_before(on, t.senior_age)
    residence_cutoff = years_before(on, t.residence_years)
    latest_barthel = Subquery(
        BarthelAssessment.objects.filter(elder=OuterRef("pk"), assessed_on__lte=on)
        .order_by("-assessed_on", "-id")
        .values("total")[:1]
    )
    c = SimpleNamespace(latest_barthel=latest_barthel)
    c.gone = Q(status__in=_GONE)
    c.of_age = Q(birth_date__lte=service_cutoff)
    c.resident = Q(hukou_local=True) | Q(residence_since__lte=residence_cutoff)
    c.service_object = (
        Q(status__in=[Status.ACTIVE, Status.INSTITUTION]) & c.of_age & c.resident
    )
    c.senior = Q(birth_date__lte=senior_cutoff)
    c.three_no = Q(categories__contains=[Category.THREE_NO])
    c.senior_free = {
        code: c.senior & Q(categories__contains=[category])
        for category, code in _SENIOR_FREE.items()
    }
    c.senior_poor_disabled = c.senior & Q(
        categories__contains=[Category.EXTREMELY_POOR, Category.DISABLED]
    )
    c.free = (
        (c.three_no & Q(status=Status.ACTIVE))
        | (c.senior & Q(categories__overlap=list(_SENIOR_FREE)))
        | c.senior_poor_disabled
    )
    c.low_cost_grounds = (
        c.senior
        & (Q(living_arrangement=LivingArrangement.ALONE) | Q(empty_nest=True))
        & Q(financial_difficulty=True)
    )
    c.low_cost = c.low_cost_grounds & Q(_latest_barthel__lt=100)
    c.not_low_cost = (
        ~c.low_cost_grounds
        | Q(_latest_barthel__isnull=True)
        | Q(_latest_barthel__gte=100)
    )
    return c


def _computed_tier_sql(*, on: datetime.date, thresholds: Thresholds):
    """The computed tier as one SQL ``CASE``, and the latest-Barthel subquery."""
    c = _conditions(on=on, thresholds=thresholds)
    return SqlCase(
        When(c.service_object & c.free, then=Value(Tier.FREE)),
        When(c.service_object & c.low_cost, then=Value(Tier.LOW_COST)),
        When(c.service_object, then=Value(Tier.PAID)),
        default=Value(Tier.INELIGIBLE),
        output_field=CharField(),
    ), c.latest_barthel


def _reasons_sql(*, on: datetime.date, thresholds: Thresholds):
    """The reason codes of ``evaluate``, in its order, as one SQL array."""
    c = _conditions(on=on, thresholds=thresholds)
    so = c.service_object
    not_free = so & ~c.free

    def code(condition, reason):
        return SqlCase(When(condition, then=Value(reason)), output_field=CharField())

    return _TextArray(
        code(Q(status=Status.DECEASED), "deceased"),
        code(Q(status=Status.MOVED), "moved"),
        code(~c.gone & ~c.of_age, "under_service_age"),
        code(~c.gone & ~c.resident, "not_resident"),
        code(so, "service_object"),
        code(so & c.three_no & Q(status=Status.INSTITUTION), "three_no_in_institution"),
        code(so & c.three_no & Q(status=Status.ACTIVE), "three_no"),
        *[code(so & q, reason) for reason, q in c.senior_free.items()],
        code(so & c.senior_poor_disabled, "senior_extremely_poor_disabled"),
        code(
            not_free & c.low_cost_grounds & Q(_latest_barthel__isnull=True),
            "no_assessment",
        ),
        code(not_free & c.low_cost, "low_cost_criteria"),
        code(not_free & c.not_low_cost, "paid"),
        code(~c.gone & ~Q(tier_override=""), "override"),
    )


def annotate_tier(
    queryset: QuerySet[Elder],
    *,
    on: datetime.date,
    thresholds: Thresholds | None = None,
    reasons: bool = False,
) -> QuerySet[Elder]:
    """``queryset`` with ``computed_tier`` and ``tier`` (override applied) on ``on``,
    and with ``reasons=True`` also ``tier_reasons``, the codes ``evaluate`` gives.

    One statement, however many elders.
    """
    t = thresholds or Thresholds.current()
    computed, latest_barthel = _computed_tier_sql(on=on, thresholds=t)
    queryset = queryset.alias(_latest_barthel=latest_barthel).annotate(
        computed_tier=computed,
        tier=SqlCase(
            When(Q(status__in=_GONE), then=Value(Tier.INELIGIBLE)),
            When(~Q(tier_override=""), then=F("tier_override")),
            default=F("computed_tier"),
            output_field=CharField(),
        ),
    )
    if reasons:
        queryset = queryset.annotate(tier_reasons=_reasons_sql(on=on, thresholds=t))
    return queryset
