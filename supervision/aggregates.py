"""The set-based statements that recompute each metric family of ``MonthlyFigure``.

Each family is one ``SELECT`` producing ``(station_id, month, metric, key, value)``
rows straight from the raw tables, wrapped by ``replace_family`` into one
statement that upserts them (``INSERT … ON CONFLICT DO UPDATE``, rewriting only
changed values) and deletes the figures of the same scope that are no longer
produced (a service type whose only record was cancelled, an age band emptied).
Nothing is read into Python and nothing loops over rows.

The rules counted here are the ones of the pages they summarise, and where the
apps define them as querysets they are compiled from those querysets:

* elders on file are active or in an institution (the home page's count), their
  tier is today's as ``elders.eligibility`` keeps it on the archive (the list's);
* needs are each elder's latest survey, like ``elders.queries.needs_summary``;
* follow-ups (visits, return visits that raised a problem, care calls: each
  source under its own key), certificates and agreements expiring are the
  home-page counters' conditions;
* services are counted in the local month of delivery, cancelled ones never;
  feedback and satisfaction belong to the month of the service, like
  ``services.queries.feedback_coverage``;
* vouchers are the ledger's signed sums per kind by voucher month, like
  ``vouchers.queries.monthly_report``; the budget is ``StationBudget``, stored
  under 1 January of its year;
* volunteer hours are the time-bank ledger's minutes by month;
* the contact cadence is ``care.cadence.obligations`` on the day of the refresh,
  read from its kept rows (``care.models.Obligation``)
  (owed, and not overdue, per group); care calls and emergencies belong to the
  local month of the call or the report;
* group activities are counted in the local month of their start, with the
  elders marked as having attended them.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from care.models import CallOutcome, CareCall, Emergency, Obligation
from elders.eligibility import annotate_tier, years_before
from elders.models import Elder, Status
from services.models import (
    AgreementStatus,
    ReturnVisit,
    ReturnVisitOutcome,
    ServiceAgreement,
)
from services.queries import EXPIRY_WARNING_DAYS as AGREEMENT_WARNING_DAYS
from services.queries import month_bounds
from supervision.models import FAMILY_METRICS, Family, Metric, MonthlyFigure
from volunteers.models import Certificate, Visit, VolunteerStatus
from volunteers.queries import expiring_soon

#: Elders counted on the dashboard: the archive's "on file" (home page).
ON_FILE = [Status.ACTIVE, Status.INSTITUTION]

#: Age bands of PRODUCT.md ("Needs survey"), plus the few registered before 60.
AGE_BANDS = ["under-60", "60-69", "70-79", "80-89", "90+"]


@dataclass
class Select:
    """A SQL fragment with its positional parameters."""

    sql: str
    params: list = field(default_factory=list)


def _union(*parts: Select) -> Select:
    return Select(
        "\nUNION ALL\n".join(f"({p.sql})" for p in parts),
        [value for p in parts for value in p.params],
    )


def _counted(queryset, station: str, metric: str, month: datetime.date) -> Select:
    """``(station, month, metric, '', count)`` rows of a queryset, per station."""
    sql, params = (
        queryset.order_by()
        .values(station)
        .annotate(n=Count("pk"))
        .values_list(station, "n")
        .query.sql_with_params()
    )
    return Select(
        f"SELECT q.station, %s::date, %s, '', q.n FROM ({sql}) AS q(station, n)",
        [month, metric, *params],
    )


def _keyed(queryset, station: str, metric: str, key: str, month) -> Select:
    """As ``_counted``, under ``key``."""
    counted = _counted(queryset, station, metric, month)
    return Select(
        counted.sql.replace("%s, '', q.n", "%s, %s, q.n", 1),
        [month, metric, key, *counted.params[2:]],
    )


# --- Snapshot families (stored under the month of the refresh) ----------------------


def _day_end(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
    )


def _on_file(station_ids: Sequence[int], on: datetime.date | None):
    """Elders on file today, or (``on``) at the end of a past day as their history
    tells it: the status of each archive's latest history event by then (an
    archive not yet created then has none)."""
    if on is None:
        return Elder.objects.filter(station_id__in=station_ids, status__in=ON_FILE)
    events = apps.get_model("elders", "ElderEvent").objects
    status_then = Subquery(
        events.filter(pgh_obj_id=OuterRef("pk"), pgh_created_at__lt=_day_end(on))
        .order_by("-pgh_created_at", "-pgh_id")
        .values("status")[:1]
    )
    return (
        Elder.objects.filter(station_id__in=station_ids)
        .alias(status_then=status_then)
        .filter(status_then__in=ON_FILE)
    )


def elders_select(
    station_ids: Sequence[int], month: datetime.date, on: datetime.date | None = None
) -> Select:
    """Elders on file by age band, tier and category: today's, or at the end of
    the past day ``on`` (a back-filled snapshot)."""
    today = on or timezone.localdate()
    if on is None:  # today's: the kept tier
        on_file = (
            Elder.objects.filter(station_id__in=station_ids, status__in=ON_FILE)
            .order_by()
            .values("station_id", "birth_date", "categories", "current_tier")
        )
    else:  # a past day's: the rule evaluated on that day
        on_file = (
            annotate_tier(_on_file(station_ids, on), on=today)
            .order_by()
            .values("station_id", "birth_date", "categories", "tier")
        )
    elders_sql, elders_params = on_file.query.sql_with_params()
    band = (
        "CASE WHEN e.birth_date <= %s THEN '90+' WHEN e.birth_date <= %s THEN '80-89'"
        " WHEN e.birth_date <= %s THEN '70-79' WHEN e.birth_date <= %s THEN '60-69'"
        " ELSE 'under-60' END"
    )
    cutoffs = [years_before(today, n) for n in (90, 80, 70, 60)]
    sql = f"""
        WITH e (station_id, birth_date, categories, tier) AS MATERIALIZED
            ({elders_sql})
        SELECT e.station_id, %s::date, %s, '', count(*) FROM e GROUP BY 1
        UNION ALL
        SELECT e.station_id, %s::date, %s, {band}, count(*) FROM e GROUP BY 1, 4
        UNION ALL
        SELECT e.station_id, %s::date, %s, e.tier, count(*) FROM e GROUP BY 1, 4
        UNION ALL
        SELECT e.station_id, %s::date, %s, c.code, count(*)
        FROM e CROSS JOIN LATERAL (SELECT DISTINCT unnest(e.categories)) AS c(code)
        GROUP BY 1, 4
    """
    return Select(
        sql,
        [
            *elders_params,
            month,
            Metric.ELDERS,
            month,
            Metric.ELDERS_AGE,
            *cutoffs,
            month,
            Metric.ELDERS_TIER,
            month,
            Metric.ELDERS_CATEGORY,
        ],
    )


def needs_select(station_ids: Sequence[int], month: datetime.date) -> Select:
    sql = """
        WITH latest AS MATERIALIZED (
            SELECT DISTINCT ON (s.elder_id) e.station_id, s.needs
            FROM elders_needssurvey s JOIN elders_elder e ON e.id = s.elder_id
            WHERE e.station_id = ANY(%s::bigint[]) AND e.status = ANY(%s::varchar[])
            ORDER BY s.elder_id, s.surveyed_on DESC, s.id DESC
        )
        SELECT station_id, %s::date, %s, '', count(*) FROM latest GROUP BY 1
        UNION ALL
        SELECT l.station_id, %s::date, %s, n.need, count(*)
        FROM latest l CROSS JOIN LATERAL unnest(l.needs) AS n(need)
        GROUP BY 1, 4
    """
    return Select(
        sql,
        [
            list(station_ids),
            [str(s) for s in ON_FILE],
            month,
            Metric.NEEDS_SURVEYED,
            month,
            Metric.NEEDS,
        ],
    )


def alerts_select(station_ids: Sequence[int], month: datetime.date) -> Select:
    today = timezone.localdate()
    parts = [
        _counted(
            Visit.objects.filter(
                station_id__in=station_ids,
                needs_follow_up=True,
                resolved_at__isnull=True,
            ),
            "station_id",
            Metric.FOLLOW_UPS_OPEN,
            month,
        ),
        _counted(
            Certificate.objects.filter(
                expiring_soon(today),
                volunteer__station_id__in=station_ids,
                volunteer__status=VolunteerStatus.ACTIVE,
            ),
            "volunteer__station_id",
            Metric.CERTIFICATES_EXPIRING,
            month,
        ),
        # Follow-ups opened by a return visit's problem or a care call, under
        # their own keys (the visits' are the key "").
        _keyed(
            ReturnVisit.objects.filter(
                record__station_id__in=station_ids,
                outcome=ReturnVisitOutcome.ISSUE,
                resolved_at__isnull=True,
            ),
            "record__station_id",
            Metric.FOLLOW_UPS_OPEN,
            "return_visit",
            month,
        ),
        _keyed(
            CareCall.objects.filter(
                station_id__in=station_ids,
                needs_follow_up=True,
                resolved_at__isnull=True,
            ),
            "station_id",
            Metric.FOLLOW_UPS_OPEN,
            "call",
            month,
        ),
        _counted(
            Emergency.objects.filter(
                station_id__in=station_ids, closed_at__isnull=True
            ),
            "station_id",
            Metric.EMERGENCIES_OPEN,
            month,
        ),
        cadence_select(station_ids, month, today),
        _counted(
            ServiceAgreement.objects.filter(
                station_id__in=station_ids,
                status=AgreementStatus.ACTIVE,
                ends_on__gte=today,
                ends_on__lte=today + datetime.timedelta(days=AGREEMENT_WARNING_DAYS),
            ),
            "station_id",
            Metric.AGREEMENTS_EXPIRING,
            month,
        ),
    ]
    return _union(*parts)


def cadence_select(
    station_ids: Sequence[int], month: datetime.date, today: datetime.date
) -> Select:
    """Per station and group: contacts owed under ``care.cadence`` and those not
    overdue today, from the kept obligations (``care.models.Obligation``: the
    rows of ``cadence.obligations`` for today, one table read instead of the rule
    over every elder of the district)."""
    return Select(
        f"""
        SELECT o.station_id, %s::date, v.metric, o."group", sum(v.value)
        FROM {Obligation._meta.db_table} AS o
        CROSS JOIN LATERAL (VALUES
            (%s, 1::numeric),
            (%s, CASE WHEN o.due_on >= %s THEN 1 ELSE 0 END::numeric)
        ) AS v(metric, value)
        WHERE o.station_id = ANY(%s::bigint[])
        GROUP BY 1, 2, 3, 4
        """,
        [month, Metric.CADENCE_DUE, Metric.CADENCE_MET, today, list(station_ids)],
    )


# --- Flow families (one figure per month in which things happened) -------------------


def services_select(
    station_ids: Sequence[int], first: datetime.date, last: datetime.date
) -> Select:
    """Delivered (not cancelled) services per local month and type, with their
    minutes, amount, and the feedback given on them."""
    start, _ = month_bounds(first)
    _, end = month_bounds(last)
    sql = """
        SELECT g.station_id, g.month, v.metric, v.key, sum(v.value)
        FROM (
            SELECT r.station_id,
                   date_trunc('month', r.delivered_at AT TIME ZONE %s)::date AS month,
                   r.service_type_id,
                   count(*) AS n,
                   sum(r.duration_minutes) AS minutes,
                   sum(r.voucher_paid + r.self_paid) AS amount,
                   count(f.satisfaction) AS feedback,
                   coalesce(sum(f.satisfaction), 0) AS satisfaction
            FROM services_servicerecord r
            -- One probe of the feedback's unique index per record, never a scan
            -- of every feedback form of every month: a scalar subquery is not
            -- turned into a hash join, and OFFSET 0 keeps it from being inlined
            -- (and run once for the count and again for the sum).
            CROSS JOIN LATERAL (
                SELECT (SELECT x.satisfaction FROM services_feedback x
                        WHERE x.record_id = r.id) AS satisfaction
                OFFSET 0
            ) AS f
            WHERE r.station_id = ANY(%s::bigint[])
              AND r.delivered_at >= %s AND r.delivered_at < %s
              AND r.cancelled_at IS NULL
            GROUP BY 1, 2, 3
        ) AS g
        JOIN services_servicetype t ON t.id = g.service_type_id
        CROSS JOIN LATERAL (VALUES
            (%s, t.code, g.n::numeric),
            (%s, t.code, g.minutes::numeric),
            (%s, t.code, g.amount),
            (%s, '', g.feedback::numeric),
            (%s, '', g.satisfaction::numeric)
        ) AS v(metric, key, value)
        GROUP BY 1, 2, 3, 4
    """
    return Select(
        sql,
        [
            timezone.get_default_timezone_name(),
            list(station_ids),
            start,
            end,
            Metric.SERVICES,
            Metric.SERVICE_MINUTES,
            Metric.SERVICE_AMOUNT,
            Metric.FEEDBACK,
            Metric.SATISFACTION_SUM,
        ],
    )


def vouchers_select(
    station_ids: Sequence[int], first: datetime.date, last: datetime.date
) -> Select:
    """The ledger's signed sums per kind and the grants, by voucher month; the
    budgets of the years concerned."""
    sql = """
        WITH l AS MATERIALIZED (
            SELECT station_id, month, kind, sum(amount) AS total, count(*) AS n
            FROM vouchers_ledgerentry
            WHERE station_id = ANY(%s::bigint[]) AND month BETWEEN %s AND %s
            GROUP BY 1, 2, 3
        )
        SELECT station_id, month, %s, kind, total FROM l
        UNION ALL
        SELECT station_id, month, %s, '', n FROM l WHERE kind = 'grant'
        UNION ALL
        SELECT station_id, make_date(year, 1, 1), %s, '', amount
        FROM vouchers_stationbudget
        WHERE station_id = ANY(%s::bigint[]) AND year BETWEEN %s AND %s
    """
    return Select(
        sql,
        [
            list(station_ids),
            first,
            last,
            Metric.VOUCHERS,
            Metric.VOUCHER_GRANTS,
            Metric.VOUCHER_BUDGET,
            list(station_ids),
            first.year,
            last.year,
        ],
    )


def volunteers_select(
    station_ids: Sequence[int], first: datetime.date, last: datetime.date
) -> Select:
    sql = """
        SELECT h.station_id, h.month, v.metric, '', v.value
        FROM (
            SELECT station_id, month, sum(minutes) AS minutes,
                   count(*) FILTER (WHERE kind = 'visit') AS visits
            FROM volunteers_hoursentry
            WHERE station_id = ANY(%s::bigint[]) AND month BETWEEN %s AND %s
            GROUP BY 1, 2
        ) AS h
        CROSS JOIN LATERAL (VALUES (%s, h.minutes::numeric), (%s, h.visits::numeric))
            AS v(metric, value)
    """
    return Select(
        sql,
        [
            list(station_ids),
            first,
            last,
            Metric.VOLUNTEER_MINUTES,
            Metric.VOLUNTEER_VISITS,
        ],
    )


def care_select(
    station_ids: Sequence[int], first: datetime.date, last: datetime.date
) -> Select:
    """Care calls per local month of the call (and those that reached the
    elder); emergencies per local month of the report, those responded to and
    the sum of their response minutes (the mean is the sum over the count)."""
    start, _ = month_bounds(first)
    _, end = month_bounds(last)
    sql = """
        SELECT c.station_id,
               date_trunc('month', c.called_at AT TIME ZONE %s)::date,
               v.metric, '', sum(v.value)
        FROM care_carecall c
        CROSS JOIN LATERAL (VALUES
            (%s, 1::numeric),
            (%s, CASE WHEN c.outcome <> %s THEN 1 ELSE 0 END::numeric)
        ) AS v(metric, value)
        WHERE c.station_id = ANY(%s::bigint[])
          AND c.called_at >= %s AND c.called_at < %s
        GROUP BY 1, 2, 3
        UNION ALL
        SELECT e.station_id,
               date_trunc('month', e.reported_at AT TIME ZONE %s)::date,
               v.metric, '', sum(v.value)
        FROM care_emergency e
        CROSS JOIN LATERAL (VALUES
            (%s, 1::numeric),
            (%s, CASE WHEN e.responded_at IS NULL THEN 0 ELSE 1 END::numeric),
            (%s, coalesce(round(extract(epoch FROM e.responded_at - e.reported_at)
                                / 60), 0)::numeric)
        ) AS v(metric, value)
        WHERE e.station_id = ANY(%s::bigint[])
          AND e.reported_at >= %s AND e.reported_at < %s
        GROUP BY 1, 2, 3
    """
    zone = timezone.get_default_timezone_name()
    return Select(
        sql,
        [
            zone,
            Metric.CARE_CALLS,
            Metric.CARE_CALLS_REACHED,
            CallOutcome.NO_ANSWER,
            list(station_ids),
            start,
            end,
            zone,
            Metric.EMERGENCIES,
            Metric.EMERGENCIES_ANSWERED,
            Metric.RESPONSE_MINUTES,
            list(station_ids),
            start,
            end,
        ],
    )


def activities_select(
    station_ids: Sequence[int], first: datetime.date, last: datetime.date
) -> Select:
    """Group activities held per local month of their start and kind, and the
    elders who attended them (``activities.queries.month_counts``' rule)."""
    start, _ = month_bounds(first)
    _, end = month_bounds(last)
    sql = """
        SELECT a.station_id,
               date_trunc('month', a.starts_at AT TIME ZONE %s)::date,
               v.metric, a.kind, sum(v.value)
        FROM activities_activity a
        CROSS JOIN LATERAL (
            SELECT count(*) AS n FROM activities_participation p
            WHERE p.activity_id = a.id AND p.attended
        ) AS p
        CROSS JOIN LATERAL (VALUES (%s, 1::numeric), (%s, p.n::numeric))
            AS v(metric, value)
        WHERE a.station_id = ANY(%s::bigint[])
          AND a.starts_at >= %s AND a.starts_at < %s
        GROUP BY 1, 2, 3, 4
    """
    return Select(
        sql,
        [
            timezone.get_default_timezone_name(),
            Metric.ACTIVITIES,
            Metric.ACTIVITY_ATTENDANCES,
            list(station_ids),
            start,
            end,
        ],
    )


# --- Writing a family -----------------------------------------------------------------


def follow_ups_then_select(
    station_ids: Sequence[int], month: datetime.date, on: datetime.date
) -> Select:
    """Follow-ups open at the end of the past day ``on``."""
    end = _day_end(on)
    return _counted(
        Visit.objects.filter(
            station_id__in=station_ids, needs_follow_up=True, started_at__lt=end
        ).filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=end)),
        "station_id",
        Metric.FOLLOW_UPS_OPEN,
        month,
    )


def backfill_snapshot(
    cursor, station_ids: Sequence[int], month: datetime.date, on: datetime.date
) -> int:
    """Store the snapshot a month without one would have had at its end, from
    the history kept: elders on file (status, age, tier, categories on ``on``)
    and open follow-ups. Needs and expiring papers are not reconstructed. One
    statement; returns the figures written."""
    fresh = _union(
        elders_select(station_ids, month, on=on),
        follow_ups_then_select(station_ids, month, on),
    )
    table = MonthlyFigure._meta.db_table
    cursor.execute(
        f"""
        INSERT INTO {table} AS f (station_id, month, metric, key, value)
        SELECT station_id, month, metric, key, value
        FROM ({fresh.sql}) AS fresh (station_id, month, metric, key, value)
        WHERE value <> 0
        ON CONFLICT (station_id, month, metric, key)
        DO UPDATE SET value = EXCLUDED.value
        """,
        fresh.params,
    )
    return cursor.rowcount


def _scope(family: str, first: datetime.date, last: datetime.date) -> Select:
    """Which stored figures of ``family`` a refresh of ``first``–``last`` replaces."""
    if family == Family.VOUCHERS:
        return Select(
            "(f.metric <> %s AND f.month BETWEEN %s AND %s)"
            " OR (f.metric = %s AND extract(year FROM f.month) BETWEEN %s AND %s)",
            [
                Metric.VOUCHER_BUDGET,
                first,
                last,
                Metric.VOUCHER_BUDGET,
                first.year,
                last.year,
            ],
        )
    return Select("f.month BETWEEN %s AND %s", [first, last])


def family_select(
    family: str,
    station_ids: Sequence[int],
    first: datetime.date,
    last: datetime.date,
) -> Select:
    """The fresh figures of ``family``; a snapshot family takes ``first`` as its
    month (the caller passes the current month)."""
    if family == Family.ELDERS:
        return elders_select(station_ids, first)
    if family == Family.NEEDS:
        return needs_select(station_ids, first)
    if family == Family.ALERTS:
        return alerts_select(station_ids, first)
    if family == Family.SERVICES:
        return services_select(station_ids, first, last)
    if family == Family.VOUCHERS:
        return vouchers_select(station_ids, first, last)
    if family == Family.VOLUNTEERS:
        return volunteers_select(station_ids, first, last)
    if family == Family.CARE:
        return care_select(station_ids, first, last)
    if family == Family.ACTIVITIES:
        return activities_select(station_ids, first, last)
    raise ValueError(family)


def replace_family(
    cursor,
    family: str,
    station_ids: Sequence[int],
    first: datetime.date,
    last: datetime.date,
) -> tuple[int, int]:
    """Make the stored figures of ``family`` for these stations and months equal
    to a fresh count, in one statement. Returns (figures written, deleted)."""
    fresh = family_select(family, station_ids, first, last)
    scope = _scope(family, first, last)
    table = MonthlyFigure._meta.db_table
    sql = f"""
        WITH fresh (station_id, month, metric, key, value) AS MATERIALIZED (
            {fresh.sql}
        ), kept AS MATERIALIZED (
            SELECT * FROM fresh WHERE value <> 0
        ), written AS (
            INSERT INTO {table} AS f (station_id, month, metric, key, value)
            SELECT station_id, month, metric, key, value FROM kept
            ON CONFLICT (station_id, month, metric, key)
            DO UPDATE SET value = EXCLUDED.value
            WHERE f.value IS DISTINCT FROM EXCLUDED.value
            RETURNING 1
        ), deleted AS (
            DELETE FROM {table} AS f
            WHERE f.station_id = ANY(%s::bigint[])
              AND f.metric = ANY(%s::varchar[])
              AND ({scope.sql})
              AND NOT EXISTS (
                  SELECT 1 FROM kept k
                  WHERE k.station_id = f.station_id AND k.month = f.month
                    AND k.metric = f.metric AND k.key = f.key)
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM written), (SELECT count(*) FROM deleted)
    """
    params = [
        *fresh.params,
        list(station_ids),
        [str(m) for m in FAMILY_METRICS[family]],
        *scope.params,
    ]
    cursor.execute(sql, params)
    written, deleted = cursor.fetchone()
    return written, deleted
