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

Today's tier is also *kept* on every elder (``Elder.current_tier``, with the
computed tier and the reasons), so that lists of a million elders filter on an
indexed column instead of evaluating the rule per row. Only this module writes
it, always from ``annotate_tier``: ``tiers_store`` after an action changed an
elder, an assessment or an override (in the action's transaction);
``tiers_nightly`` for the birthdays and residence anniversaries that cross a
threshold overnight; ``tiers_store_all`` when the policy changes. Any other
date (``?on=``, the 1st of a month for vouchers) still evaluates the rule.

Ages: someone has reached age N on ``day`` when born on or before
``years_before(day, N)``. Someone born on 29 February therefore turns N on
1 March in a common year, which is also what PostgreSQL's ``age()`` says.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
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
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elders.models import (
    BarthelAssessment,
    Category,
    Elder,
    EligibilityPolicy,
    LivingArrangement,
    Status,
    Tier,
    TierRun,
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


# --- The kept tier (Elder.current_tier) ---------------------------------------------

#: pg_advisory_xact_lock key of the nightly run and of a policy change ("tiers").
TIERS_LOCK = 0x7469657273


def _store(queryset: QuerySet[Elder], *, on, thresholds, lock_table: bool) -> int:
    """Rewrite the kept tier of ``queryset`` on ``on`` where it changed (one
    ``UPDATE``); returns the number of elders whose tier or reasons changed.

    The rows are locked first (or the table, for a rewrite of every elder), and
    the tiers computed by a later statement: in READ COMMITTED that statement sees
    every write committed by a transaction it waited for, so a concurrent action
    cannot be overwritten by a tier computed before it.
    """
    table = Elder._meta.db_table
    try:
        queryset.values("pk").query.sql_with_params()
    except EmptyResultSet:  # e.g. pk__in=[]: nothing to keep
        return 0
    with connection.cursor() as cursor:
        if lock_table:
            # Writes of elders wait (reads do not) while every tier is rewritten.
            cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        else:
            ids_sql, ids_params = (
                queryset.order_by("pk")
                .select_for_update(no_key=True, of=("self",))
                .values("pk")
                .query.sql_with_params()
            )
            cursor.execute(f"SELECT count(*) FROM ({ids_sql}) AS locked", ids_params)
        fresh_sql, fresh_params = (
            annotate_tier(
                queryset.order_by(), on=on, thresholds=thresholds, reasons=True
            )
            .values("pk", "tier", "computed_tier", "tier_reasons")
            .query.sql_with_params()
        )
        cursor.execute(
            f"""
            UPDATE {table} AS e
            SET current_tier = n.tier, current_computed_tier = n.computed_tier,
                current_tier_reasons = n.reasons
            FROM ({fresh_sql}) AS n (id, tier, computed_tier, reasons)
            WHERE e.id = n.id
              AND (e.current_tier, e.current_computed_tier, e.current_tier_reasons)
                  IS DISTINCT FROM (n.tier, n.computed_tier, n.reasons::varchar[])
            """,
            fresh_params,
        )
        return cursor.rowcount


def tiers_store(elders: QuerySet[Elder] | Elder) -> int:
    """Keep today's tier of ``elders`` (an elder or a queryset) after an action
    changed them, their assessments or their override. Call it inside the
    action's transaction, after the write."""
    if isinstance(elders, Elder):
        elders = Elder.objects.filter(pk=elders.pk)
    with transaction.atomic():
        return _store(
            elders,
            on=timezone.localdate(),
            thresholds=Thresholds.current(),
            lock_table=False,
        )


def _record_run(kind, on, started, looked_at, changed) -> TierRun:
    return TierRun.objects.create(
        kind=kind,
        on=on,
        looked_at=looked_at,
        changed=changed,
        started_at=started,
        finished_at=timezone.now(),
    )


@transaction.atomic
def tiers_store_all(*, on: datetime.date | None = None) -> TierRun:
    """Rewrite the kept tier of every elder (a policy change, a first fill):
    one statement, writing only the tiers that changed."""
    started = timezone.now()
    on = on or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TIERS_LOCK])
        cursor.execute("SET LOCAL jit = off")
    changed = _store(
        Elder.objects.all(), on=on, thresholds=Thresholds.current(), lock_table=True
    )
    return _record_run(TierRun.Kind.ALL, on, started, Elder.objects.count(), changed)


def crossing_thresholds(
    since: datetime.date, on: datetime.date, thresholds: Thresholds
) -> Q:
    """Elders whose age or residence crossed a threshold after ``since`` and up to
    ``on``: reaching the service age or the senior age, or the years of residence
    that make them resident. ``years_before`` never goes back in time as the day
    goes forward, so these are exactly the elders whose answer may differ."""
    t = thresholds

    def crossed(field_name: str, years: int) -> Q:
        return Q(
            **{
                f"{field_name}__gt": years_before(since, years),
                f"{field_name}__lte": years_before(on, years),
            }
        )

    return (
        crossed("birth_date", t.service_age)
        | crossed("birth_date", t.senior_age)
        | (Q(hukou_local=False) & crossed("residence_since", t.residence_years))
    )


@transaction.atomic
def tiers_nightly(*, on: datetime.date | None = None) -> TierRun | None:
    """The nightly run: today's tier for the elders whose birthday (service or
    senior age) or residence anniversary crossed a threshold since the last run's
    day; every elder when no run is on record. Nothing to do: ``None``."""
    on = on or timezone.localdate()
    started = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TIERS_LOCK])
    last = TierRun.objects.order_by("-on").values_list("on", flat=True).first()
    if last is None:
        return tiers_store_all(on=on)
    if last >= on:
        return None
    t = Thresholds.current()
    crossing = Elder.objects.filter(crossing_thresholds(last, on, t))
    looked_at = crossing.count()
    changed = _store(crossing, on=on, thresholds=t, lock_table=False)
    return _record_run(TierRun.Kind.NIGHTLY, on, started, looked_at, changed)
