"""Demo enrolments and day sheets for ``seed_demo``: each station's canteen
lunch, meal delivery and day care, and the sheets of the last three weekdays
taken. Safe to re-run: enrolments are found by elder and service, and a sheet
taken again finds its records by their client ids."""

from __future__ import annotations

import datetime

from django.utils import timezone

from daysheets import actions, queries
from daysheets.models import Enrolment
from elders.models import Elder, Status
from services.models import Provider, ServiceType

#: (service, how many elders, meals, weekdays)
PLAN = [
    ("meal", 14, ["lunch"], [0, 1, 2, 3, 4]),
    ("meal_delivery", 6, ["lunch", "dinner"], [0, 1, 2, 3, 4, 5, 6]),
    ("day_care", 4, [], [0, 2, 4]),
]


def seed_day_sheets(command, stations, users) -> None:
    today = timezone.localdate()
    types = {
        t.code: t for t in ServiceType.objects.filter(code__in=[p[0] for p in PLAN])
    }
    enrolled = taken = 0
    for code, station in sorted(stations.items()):
        staff = users["staff_a"] if code == "DEMO-A" else users["staff_b"]
        elders = list(
            Elder.objects.filter(station=station, status=Status.ACTIVE).order_by("pk")
        )
        offset = 0
        for service, count, meals, weekdays in PLAN:
            for elder in elders[offset : offset + count]:
                if Enrolment.objects.filter(
                    elder=elder, service_type=types[service]
                ).exists():
                    continue
                actions.enrolment_save(
                    actor=staff,
                    elder=elder,
                    data={
                        "service_type": types[service],
                        "weekdays": weekdays,
                        "meals": meals,
                        "starts_on": today - datetime.timedelta(days=30),
                        "notes": "少盐" if elder.pk % 3 == 0 and meals else "",
                    },
                )
                enrolled += 1
            offset += count
        caterer = Provider.objects.filter(
            station=station, name="阳光助老社工服务中心"
        ).first()
        for back in range(1, 6):
            day = today - datetime.timedelta(days=back)
            if day.weekday() >= 5:
                continue
            for service, _count, _meals, _weekdays in PLAN:
                sheet = queries.day_sheet(
                    user=staff, station=station, service_type=types[service], day=day
                )
                if sheet.recorded:
                    continue  # taken already (a second run)
                # Someone is absent now and then: the sheet unticks them.
                lines = [
                    actions.SheetLine(r.elder, r.quantity)
                    for r in sheet.to_take
                    if (r.elder.pk + back) % 7 != 3
                ]
                if not lines:
                    continue
                result = actions.day_sheet_take(
                    actor=staff,
                    station=station,
                    service_type=types[service],
                    day=day,
                    at=datetime.time(11, 30)
                    if service != "day_care"
                    else datetime.time(9, 0),
                    lines=lines,
                    provider=caterer if service != "day_care" else None,
                    duration_minutes=30 if service != "day_care" else 480,
                )
                taken += result.created
    command.stdout.write(f"day sheets: {enrolled} new enrolments, {taken} new records")
