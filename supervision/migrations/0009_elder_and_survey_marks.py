"""Marks for the snapshot: a write of elders or needs surveys appends the
station to ``StaleMonth`` (families ``elders`` and ``needs``, this month), so the
scheduled refresh recounts only those stations between its daily whole recount.
Same statement-level triggers as 0002_stale_marks."""

from django.db import migrations

MARK = """
    INSERT INTO supervision_stalemonth (station_id, family, month, marked_at)
    SELECT DISTINCT {station}, '{family}', date_trunc('month', now())::date, now()
    FROM {rows} {join};
"""

# table, function suffix, family, station expression, join
TRIGGERS = [
    ("elders_elder", "elders", "elders", "x.station_id", "AS x"),
    (
        "elders_needssurvey",
        "needs_surveys",
        "needs",
        "e.station_id",
        "AS x JOIN elders_elder e ON e.id = x.elder_id",
    ),
]


def _forward() -> str:
    statements = []
    for table, suffix, family, station, join in TRIGGERS:
        new = MARK.format(station=station, family=family, rows="new_rows", join=join)
        old = MARK.format(station=station, family=family, rows="old_rows", join=join)
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
        for event, referencing in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
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
    for table, suffix, *_rest in TRIGGERS:
        for event in ("insert", "update", "delete"):
            statements.append(
                f"DROP TRIGGER IF EXISTS supervision_mark_{event} ON {table};"
            )
        statements.append(f"DROP FUNCTION IF EXISTS supervision_mark_{suffix}();")
    return "\n".join(statements)


class Migration(migrations.Migration):
    dependencies = [
        ("supervision", "0008_refresh_snapshot_day"),
        ("elders", "0007_elders_on_file_kept_count"),
    ]

    operations = [migrations.RunSQL(_forward(), _backward())]
