"""The home page's "Services lacking feedback" kept by triggers
(``carecenter.home_counts``) instead of counted over millions of records on
every load."""

from django.db import migrations

from carecenter import home_counts

COUNT = {
    "key": "records_lacking_feedback",
    "table": "services_servicerecord",
    "station": "station_id",
    "condition": "NOT has_feedback AND cancelled_at IS NULL",
}


class Migration(migrations.Migration):
    dependencies = [
        ("services", "0006_visit_feedback"),
        ("carecenter", "0008_station_counts"),
    ]

    operations = [
        migrations.RunSQL(
            home_counts.triggers_sql(**COUNT),
            home_counts.drop_sql(key=COUNT["key"], table=COUNT["table"]),
        )
    ]
