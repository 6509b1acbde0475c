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

``obligations(queryset, today=)`` computes every elder's obligations as one
SQL statement (a ``UNION ALL`` of one ``SELECT`` per rule over the elders joined
to their ``LastContact`` row, which database triggers keep current from calls,
visits and service records), never a query per elder. It is the definition.

The pages read its rows *kept* in ``care.models.Obligation`` (table
``care_obligation``), an index range per station instead of the computation over
every elder on each load:

* ``obligations_store(elders)`` rewrites the kept rows of some elders from
  ``obligations()`` in one statement; the elders app calls it (through
  ``elders.kept``) in the transaction of every change of an elder or of their
  Barthel assessments, and ``obligations_store_all()`` runs every night just
  after midnight (an 80th birthday; it also heals any drift);
* a contact moves ``last_contact`` and ``due_on`` through a trigger on
  ``LastContact`` (``triggers_sql``), with the formula of ``obligations()``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, connections, transaction
from django.db.models import (
    BooleanField,
    CharField,
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

from care.models import Obligation, ObligationRun
from elders.eligibility import years_before
from elders.models import (
    BarthelAssessment,
    Category,
    Elder,
    LivingArrangement,
    Status,
)

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


def _rows(
    elders: QuerySet,
    *,
    today: datetime.date,
    horizon: int | None,
    contact: str | None,
    fields: list[str],
) -> QuerySet:
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
                group=Value(rule.group, output_field=CharField()),
                every_days=Value(rule.every_days, output_field=IntegerField()),
                in_person=Value(rule.contact == VISIT, output_field=BooleanField()),
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
        parts.append(part.values(*fields))
    first, *rest = parts
    return first.union(*rest, all=True)


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
    return _rows(
        elders,
        today=today or timezone.localdate(),
        horizon=horizon,
        contact=contact,
        fields=["pk", "station_id", "group", "last_contact", "due_on"],
    )


# --- Kept rows (care.models.Obligation) -----------------------------------------------

#: ``care_obligation``'s columns in the order of ``_STORED`` (model fields first,
#: then the annotations in their order, as Django selects them).
_COLUMNS = [
    "elder_id",
    "station_id",
    "district_id",
    "since",
    '"group"',
    "every_days",
    "in_person",
    "last_contact",
    "due_on",
]
_STORED = [
    "pk",
    "station_id",
    "district_id",
    "created_at",
    "group",
    "every_days",
    "in_person",
    "last_contact",
    "due_on",
]

#: Serialises the all-elders store (two nights' runs, a run and a migration).
OBLIGATIONS_LOCK = 0x0B11_6A71


def _store(elders: QuerySet, *, today: datetime.date, lock_table: bool) -> int:
    """Make the kept rows of ``elders`` equal to ``obligations(elders)``: one
    statement deletes the rows no longer owed and inserts or updates the others,
    writing only rows that change (so the table, and its index-only reads, stay
    clean). Returns the number of rows inserted, updated or deleted."""
    elders = elders.order_by()
    try:
        ids_sql, ids_params = elders.values("pk").query.sql_with_params()
        fresh_sql, fresh_params = _rows(
            elders, today=today, horizon=None, contact=None, fields=_STORED
        ).query.sql_with_params()
    except EmptyResultSet:  # no elders (``pk__in=[]``): nothing to keep
        return 0
    columns = ", ".join(_COLUMNS)
    kept = ", ".join(f"o.{c}" for c in _COLUMNS[1:])
    new = ", ".join(f"EXCLUDED.{c}" for c in _COLUMNS[1:])
    table = Obligation._meta.db_table
    with connection.cursor() as cursor:
        # A contact logged meanwhile either commits before the rows below are
        # computed (this waits for it) or moves them after this transaction
        # commits (it waits): never is a contact overwritten by an older
        # answer. The nightly run of every elder locks the table; an action,
        # the LastContact rows of its elders — an empty one inserted where the
        # elder has none yet, as the contact triggers do first, so that a
        # first contact logged at the same moment has a row to wait on.
        if lock_table:
            cursor.execute("LOCK TABLE care_lastcontact IN SHARE MODE")
        else:
            cursor.execute(
                f"INSERT INTO care_lastcontact (elder_id) {ids_sql} "
                "ON CONFLICT (elder_id) DO NOTHING",
                ids_params,
            )
            cursor.execute(
                "SELECT count(*) FROM (SELECT 1 FROM care_lastcontact "
                f"WHERE elder_id IN ({ids_sql}) ORDER BY elder_id FOR SHARE) AS l",
                ids_params,
            )
        cursor.execute(
            f"""
            WITH fresh ({columns}) AS ({fresh_sql}),
            gone AS (
                DELETE FROM {table} AS o
                WHERE o.elder_id IN ({ids_sql})
                  AND NOT EXISTS (
                      SELECT 1 FROM fresh AS f
                      WHERE f.elder_id = o.elder_id AND f."group" = o."group"
                  )
                RETURNING 1
            ),
            written AS (
                INSERT INTO {table} AS o ({columns})
                SELECT {columns} FROM fresh
                ON CONFLICT (elder_id, "group") DO UPDATE
                SET ({", ".join(_COLUMNS[1:])}) = ({new})
                WHERE ({kept}) IS DISTINCT FROM ({new})
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM written)
            """,
            [*fresh_params, *ids_params],
        )
        return cursor.fetchone()[0]


def obligations_store(
    elders: QuerySet | Elder, *, today: datetime.date | None = None
) -> int:
    """Keep the ``Obligation`` rows of ``elders`` (a queryset or one elder)
    after a change of them or of their assessments. Called inside the change's
    transaction (``elders.kept``); returns the number of rows written."""
    if isinstance(elders, Elder):
        elders = Elder.objects.filter(pk=elders.pk)
    with transaction.atomic():
        return _store(elders, today=today or timezone.localdate(), lock_table=False)


@transaction.atomic
def obligations_store_all(*, today: datetime.date | None = None) -> int:
    """Every elder's kept rows again (the nightly run, the first fill): an
    80th birthday starts an obligation, and any drift is healed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [OBLIGATIONS_LOCK])
        cursor.execute("SET LOCAL jit = off")
    return _store(
        Elder.objects.all(), today=today or timezone.localdate(), lock_table=True
    )


def obligations_nightly(*, today: datetime.date | None = None) -> ObligationRun:
    """The nightly run (Celery ``care.obligations_nightly``, just after local
    midnight): every elder's kept rows for ``today``, recorded. Safe to repeat:
    a second run writes only what changed meanwhile."""
    today = today or timezone.localdate()
    started = timezone.now()
    with transaction.atomic():
        written = obligations_store_all(today=today)
        return ObligationRun.objects.create(
            on=today, written=written, started_at=started, finished_at=timezone.now()
        )


def triggers_follow_time_zone(sender=None, using="default", **kwargs) -> None:
    """After ``migrate``: the trigger functions again with today's ``TIME_ZONE``
    (a deployment that changes it gets triggers that agree with ``obligations``)."""
    conn = connections[using]
    if Obligation._meta.db_table not in conn.introspection.table_names():
        return
    with conn.cursor() as cursor:
        cursor.execute(triggers_sql(settings.TIME_ZONE))


def triggers_sql(time_zone: str) -> str:
    """The triggers that move the kept rows' ``last_contact`` and ``due_on``.

    They mirror ``obligations()`` (keep the two in step; a test proves they
    agree): the latest contact that counts for the rule — any contact
    (``GREATEST(visit, service, call)``) or, for ``in_person`` rules, a visit
    or a service — else the archive's opening (``since``), taken as a date in
    the project's ``TIME_ZONE``, plus ``every_days``. One fires on the
    ``LastContact`` rows a statement wrote (calls, visits, service records
    through their own triggers), one when an archive's ``created_at`` changes.
    """
    zone = "'" + time_zone.replace("'", "''") + "'"
    return f"""
    CREATE OR REPLACE FUNCTION care_obligation_contacted()
    RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- Mirrors care.cadence.obligations() (the definition of due_on).
        UPDATE care_obligation AS o
        SET last_contact = x.last,
            due_on = (COALESCE(x.last, o.since) AT TIME ZONE {zone})::date
                     + o.every_days
        FROM (
            SELECT k.id,
                   CASE WHEN k.in_person THEN GREATEST(n.visit, n.service)
                        ELSE GREATEST(n.visit, n.service, n.call) END AS last
            FROM new_rows AS n
            JOIN care_obligation AS k ON k.elder_id = n.elder_id
        ) AS x
        WHERE o.id = x.id
          AND (o.last_contact, o.due_on) IS DISTINCT FROM (
              x.last,
              (COALESCE(x.last, o.since) AT TIME ZONE {zone})::date + o.every_days
          );
        RETURN NULL;
    END $$;

    CREATE OR REPLACE FUNCTION care_obligation_opened()
    RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- Mirrors care.cadence.obligations(): an archive never contacted is
        -- due from its opening.
        UPDATE care_obligation AS o
        SET since = NEW.created_at,
            due_on = (
                COALESCE(o.last_contact, NEW.created_at) AT TIME ZONE {zone}
            )::date + o.every_days
        WHERE o.elder_id = NEW.id;
        RETURN NULL;
    END $$;
    """


TRIGGERS = """
CREATE TRIGGER care_obligation_contacted_insert AFTER INSERT ON care_lastcontact
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION care_obligation_contacted();
CREATE TRIGGER care_obligation_contacted_update AFTER UPDATE ON care_lastcontact
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION care_obligation_contacted();
CREATE TRIGGER care_obligation_opened AFTER UPDATE OF created_at ON elders_elder
    FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION care_obligation_opened();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS care_obligation_contacted_insert ON care_lastcontact;
DROP TRIGGER IF EXISTS care_obligation_contacted_update ON care_lastcontact;
DROP TRIGGER IF EXISTS care_obligation_opened ON elders_elder;
DROP FUNCTION IF EXISTS care_obligation_contacted();
DROP FUNCTION IF EXISTS care_obligation_opened();
"""


def due(
    elders: QuerySet,
    *,
    today: datetime.date | None = None,
    contact: str | None = None,
) -> QuerySet:
    """The obligations due within ``DUE_SOON_DAYS`` or overdue, most overdue
    first (then by elder and group: one order for every page)."""
    today = today or timezone.localdate()
    return obligations(
        elders, today=today, horizon=DUE_SOON_DAYS, contact=contact
    ).order_by("due_on", "pk", "group")


def overdue_days(due_on: datetime.date, today: datetime.date) -> int:
    return max(0, (today - due_on).days)
