"""Triggers that mark the station-months a write touches (``StaleMonth``).

Statement-level ``AFTER`` triggers with transition tables: one insert of the
distinct (station, family, month) of a whole statement, however many rows it
wrote, so bulk and raw writes are caught like the actions' writes. The marks
table has no unique constraint, so a write never waits for another's mark.

A service's month is the local month of ``delivered_at``; the triggers do not
know the deployment's time zone, so they mark the months of the UTC time 14
hours before and after (every time zone lies within), usually the same month.
"""

from django.db import migrations

MARK = """
    INSERT INTO supervision_stalemonth (station_id, family, month, marked_at)
    SELECT DISTINCT {station}, '{family}', m.month, now()
    FROM {rows} {join}
    CROSS JOIN LATERAL (VALUES {months}) AS m(month);
"""
SERVICE_MONTHS = (
    "(date_trunc('month', (r.delivered_at AT TIME ZONE 'UTC')"
    " - interval '14 hours')::date),"
    " (date_trunc('month', (r.delivered_at AT TIME ZONE 'UTC')"
    " + interval '14 hours')::date)"
)

# table, function suffix, family, station expression, join, months, events
TRIGGERS = [
    (
        "services_servicerecord",
        "service_records",
        "services",
        "r.station_id",
        "AS r",
        SERVICE_MONTHS,
        ("INSERT", "UPDATE", "DELETE"),
    ),
    (
        "services_feedback",
        "feedback",
        "services",
        "r.station_id",
        "AS x JOIN services_servicerecord r ON r.id = x.record_id",
        SERVICE_MONTHS,
        ("INSERT", "UPDATE", "DELETE"),
    ),
    (
        "vouchers_ledgerentry",
        "ledger",
        "vouchers",
        "x.station_id",
        "AS x",
        "(x.month)",
        ("INSERT",),  # append-only: UPDATE and DELETE are refused
    ),
    (
        "vouchers_stationbudget",
        "budgets",
        "vouchers",
        "x.station_id",
        "AS x",
        "(make_date(x.year, 1, 1))",
        ("INSERT", "UPDATE", "DELETE"),
    ),
    (
        "volunteers_hoursentry",
        "hours",
        "volunteers",
        "x.station_id",
        "AS x",
        "(x.month)",
        ("INSERT", "UPDATE", "DELETE"),
    ),
]


def _forward() -> str:
    statements = []
    for table, suffix, family, station, join, months, events in TRIGGERS:
        new = MARK.format(
            station=station, family=family, rows="new_rows", join=join, months=months
        )
        old = MARK.format(
            station=station, family=family, rows="old_rows", join=join, months=months
        )
        statements.append(
            f"""
            CREATE OR REPLACE FUNCTION supervision_mark_{suffix}()
            RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP <> 'DELETE' THEN {new} END IF;
                IF TG_OP <> 'INSERT' THEN {old} END IF;
                RETURN NULL;
            END $$;
            """
        )
        for event in events:
            referencing = {
                "INSERT": "NEW TABLE AS new_rows",
                "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                "DELETE": "OLD TABLE AS old_rows",
            }[event]
            statements.append(
                f"""
                CREATE TRIGGER supervision_mark_{event.lower()}
                AFTER {event} ON {table}
                REFERENCING {referencing}
                FOR EACH STATEMENT EXECUTE FUNCTION supervision_mark_{suffix}();
                """
            )
    return "\n".join(statements)


def _backward() -> str:
    statements = []
    for table, suffix, _f, _s, _j, _m, events in TRIGGERS:
        for event in events:
            statements.append(
                f"DROP TRIGGER IF EXISTS supervision_mark_{event.lower()} ON {table};"
            )
        statements.append(f"DROP FUNCTION IF EXISTS supervision_mark_{suffix}();")
    return "\n".join(statements)


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0001_initial"),
        ("services", "0002_seed_service_types"),
        ("vouchers", "0002_schedule"),
        ("volunteers", "0001_initial"),
    ]

    operations = [migrations.RunSQL(_forward(), _backward())]
