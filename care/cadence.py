"""How often each priority group must be contacted: the district's cadence policy.

The one place the rule lives (PRODUCT.md, "A station's day"). The groups follow
the 2022 national guidance on visiting elders with special difficulties (民政部
and nine departments: living alone, empty-nest, left-behind, disabled, severely
disabled, families with special family-planning hardship — a visit every month)
and the district's additions (living alone or empty-nest and 80+: a call every
7 days; a latest Barthel score below 60: a visit every 14 days).

What counts as contact:

* a *call* rule is met by any contact: a care call that reached the elder (an
  unanswered call is not contact), a volunteer's visit, or a service record
  (not cancelled);
* a *visit* rule is met only in person: a volunteer's visit or a service
  record. A call does not replace a visit.

An elder in several groups owes each rule separately and is listed once per
rule. An elder never contacted is due from the day the archive was opened.

``due(queryset, today=)`` computes every elder's obligations as one SQL
statement (a ``UNION ALL`` of one ``SELECT`` per rule over the elders joined to
their ``LastContact`` row, which database triggers keep current from calls,
visits and service records), never a query per elder.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import (
    DateField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Greatest, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elders.eligibility import years_before
from elders.models import BarthelAssessment, Category, LivingArrangement, Status

CALL = "call"
VISIT = "visit"

#: Days before the due day from which an elder is listed as "due".
DUE_SOON_DAYS = 2

SPECIAL_DIFFICULTY_CATEGORIES = [
    Category.LEFT_BEHIND,
    Category.DISABLED,
    Category.SEVERELY_DISABLED,
    Category.FAMILY_PLANNING,
]


@dataclass(frozen=True)
class Rule:
    group: str
    label: object
    every_days: int
    contact: str  # CALL: any contact counts; VISIT: in person only
    condition: Callable[[datetime.date, QuerySet], Q]  # (today, the elders)


def _alone_or_empty_nest() -> Q:
    return Q(living_arrangement=LivingArrangement.ALONE) | Q(empty_nest=True)


RULES: list[Rule] = [
    Rule(
        group="alone_80",
        label=_("Living alone or empty-nest, 80+: a call every 7 days"),
        every_days=7,
        contact=CALL,
        condition=lambda today, elders: (
            _alone_or_empty_nest() & Q(birth_date__lte=years_before(today, 80))
        ),
    ),
    Rule(
        group="barthel_below_60",
        label=_("Barthel score below 60: a visit every 14 days"),
        every_days=14,
        contact=VISIT,
        condition=lambda today, elders: Q(pk__in=_latest_barthel_below(60, elders)),
    ),
    Rule(
        group="special_difficulty",
        label=_("Special difficulties (national guidance): a visit every month"),
        every_days=30,
        contact=VISIT,
        condition=lambda today, elders: (
            _alone_or_empty_nest()
            | Q(categories__overlap=SPECIAL_DIFFICULTY_CATEGORIES)
        ),
    ),
]

GROUPS = {rule.group: rule for rule in RULES}


def group_label(code: str) -> str:
    rule = GROUPS.get(code)
    return str(rule.label) if rule else code


def _latest_barthel_below(score: int, elders: QuerySet) -> QuerySet:
    """The elders among ``elders`` whose latest Barthel total is below ``score``:
    the latest assessment of each (``DISTINCT ON``) once, rather than a lookup
    per elder."""
    latest = (
        BarthelAssessment.objects.filter(elder__in=elders.values("pk"))
        .order_by("elder_id", "-assessed_on", "-id")
        .distinct("elder_id")
        .values("pk")
    )
    return BarthelAssessment.objects.filter(pk__in=latest, total__lt=score).values(
        "elder_id"
    )


def obligations(
    elders: QuerySet,
    *,
    today: datetime.date | None = None,
    horizon: int | None = None,
    contact: str | None = None,
) -> QuerySet:
    """Every (elder, group) obligation of the active ``elders``, as one statement.

    Rows are dicts: ``pk`` (the elder), ``group``, ``last_contact`` (aware
    datetime or None), ``due_on`` (date), ``station_id``. With ``horizon`` only
    the rows due on or before ``today + horizon`` days; with ``contact``
    (``CALL`` or ``VISIT``) only the rules of that kind.
    """
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    base = (
        elders.filter(status=Status.ACTIVE)
        .alias(
            _last_call=F("contacted__call"),
            _last_visit=F("contacted__visit"),
            _last_service=F("contacted__service"),
        )
        .order_by()
    )
    parts = []
    for rule in RULES:
        if contact is not None and rule.contact != contact:
            continue
        in_person = [F("_last_visit"), F("_last_service")]
        sources = [*in_person, F("_last_call")] if rule.contact == CALL else in_person
        last = Greatest(*sources)
        since = Coalesce(last, F("created_at"))
        part = (
            base.filter(rule.condition(today, elders))
            .alias(_last=last)
            .annotate(
                group=Value(rule.group),
                last_contact=F("_last"),
                due_on=ExpressionWrapper(
                    Cast(TruncDate(since, tzinfo=tz), DateField())
                    + Value(rule.every_days, output_field=IntegerField()),
                    output_field=DateField(),
                ),
            )
        )
        if horizon is not None:
            part = part.filter(due_on__lte=today + datetime.timedelta(days=horizon))
        parts.append(part.values("pk", "station_id", "group", "last_contact", "due_on"))
    first, *rest = parts
    return first.union(*rest, all=True)


def due(
    elders: QuerySet,
    *,
    today: datetime.date | None = None,
    contact: str | None = None,
) -> QuerySet:
    """The obligations due within ``DUE_SOON_DAYS`` or overdue, most overdue first."""
    today = today or timezone.localdate()
    return obligations(
        elders, today=today, horizon=DUE_SOON_DAYS, contact=contact
    ).order_by("due_on", "pk")


def overdue_days(due_on: datetime.date, today: datetime.date) -> int:
    return max(0, (today - due_on).days)
