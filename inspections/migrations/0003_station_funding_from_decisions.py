"""Each station's funding state from the funding decisions taken so far.

The voucher issuance now reads the station's state (``Station.funded_in``)
instead of the inspections' decision history; this fills the state in from that
history, applying the decisions in the order they were taken with the same rule
as ``carecenter.actions.station_funding_set`` (a decision takes effect on the
first day of the month after it).
"""

import zoneinfo

from django.conf import settings
from django.db import migrations


def _next_month(moment, tz):
    day = moment.astimezone(tz).date()
    index = day.year * 12 + day.month  # the month after, counted from zero
    return day.replace(year=index // 12, month=index % 12 + 1, day=1)


def fill(apps, schema_editor):
    Decision = apps.get_model("inspections", "Decision")
    Station = apps.get_model("carecenter", "Station")
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    state = {}
    for decision in Decision.objects.order_by("decided_at", "pk"):
        stopped_from, restored_from = state.get(decision.station_id, (None, None))
        effective = _next_month(decision.decided_at, tz)
        stopped = stopped_from is not None and stopped_from <= effective and (
            restored_from is None or effective < restored_from
        )
        if decision.decision == "stop" and not stopped:
            state[decision.station_id] = (effective, None)
        elif decision.decision != "stop" and stopped:
            if stopped_from >= effective:
                state[decision.station_id] = (None, None)
            else:
                state[decision.station_id] = (stopped_from, effective)
    for station_id, (stopped_from, restored_from) in state.items():
        Station.objects.filter(pk=station_id).update(
            funding_stopped_from=stopped_from, funding_restored_from=restored_from
        )


class Migration(migrations.Migration):
    dependencies = [
        ("inspections", "0002_schedule"),
        ("carecenter", "0004_station_funding_and_late_records"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
