"""Demo group activities for ``seed_demo``: a health lecture, a free health check,
a calligraphy class, a taiji morning, a festival visit — in the last two months
with their attendance, and two to come with sign-ups. Safe to re-run: activities
are found by station, title and start, and attendance is idempotent."""

from __future__ import annotations

import datetime

from django.utils import timezone

from activities import actions
from activities.models import Activity
from elders.models import Elder, Status
from services.models import Provider
from volunteers.models import Team

#: (title, kind, place, days from today, hour, organiser: staff/team/provider)
PLAN = [
    ("高血压防治健康讲座", "lecture", "活动室", -40, 9, "staff"),
    ("社区义诊：量血压测血糖", "health_check", "医务室", -33, 8, "provider"),
    ("书法兴趣班", "culture", "书画室", -26, 14, "team"),
    ("太极拳晨练", "sports", "小广场", -19, 7, "team"),
    ("重阳节走访慰问", "festival", "入户走访", -12, 10, "staff"),
    ("防诈骗知识讲座", "lecture", "活动室", -5, 9, "staff"),
    ("冬季养生讲座", "lecture", "活动室", 3, 9, "provider"),
    ("合唱排练", "culture", "活动室", 6, 15, "team"),
]


def seed_activities(command, stations, users) -> None:
    now = timezone.localtime()
    made = 0
    for code, station in sorted(stations.items()):
        staff = users["staff_a"] if code == "DEMO-A" else users["staff_b"]
        elders = list(
            Elder.objects.filter(station=station, status=Status.ACTIVE)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        team = Team.objects.filter(station=station).order_by("pk").first()
        doctor = Provider.objects.filter(station=station, kind="individual").first()
        for n, (title, kind, place, days, hour, by) in enumerate(PLAN):
            starts_at = (now + datetime.timedelta(days=days)).replace(
                hour=hour, minute=0, second=0, microsecond=0
            )
            organiser = {
                "staff": {"organiser_staff": staff},
                "team": {"organiser_team": team}
                if team
                else {"organiser_staff": staff},
                "provider": {"organiser_provider": doctor}
                if doctor
                else {"organiser_staff": staff},
            }[by]
            activity = Activity.objects.filter(
                station=station, title=title, starts_at__date=starts_at.date()
            ).first()
            if activity is None:
                activity = actions.activity_save(
                    actor=staff,
                    station=station,
                    data={
                        "title": title,
                        "kind": kind,
                        "starts_at": starts_at,
                        "ends_at": starts_at + datetime.timedelta(hours=2),
                        "place": place,
                        **organiser,
                    },
                )
                made += 1
            group = elders[n % 5 :: 2][: 8 + 3 * (n % 4)]
            actions.activity_sign_up(actor=staff, activity=activity, elder_ids=group)
            if days < 0:
                actions.activity_attendance_mark(
                    actor=staff,
                    activity=activity,
                    elder_ids=[pk for i, pk in enumerate(group) if i % 5 != 4],
                )
    command.stdout.write(f"activities: {made} new activities")
