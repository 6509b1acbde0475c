"""The home page's "Elders on file" kept by triggers (``carecenter.home_counts``)
instead of counted over the district's elders on every load."""

from django.db import migrations

from carecenter import home_counts

COUNT = {
    "key": "elders_on_file",
    "table": "elders_elder",
    "station": "station_id",
    "condition": "status IN ('active', 'institution')",
}


class Migration(migrations.Migration):
    dependencies = [
        ("elders", "0006_kept_tiers_filled_and_scheduled"),
        ("carecenter", "0008_station_counts"),
    ]

    operations = [
        migrations.RunSQL(
            home_counts.triggers_sql(**COUNT),
            home_counts.drop_sql(key=COUNT["key"], table=COUNT["table"]),
        )
    ]
