"""Demo teams, volunteers, training, pairings and visits for ``seed_demo``.

Safe to re-run: every row is found by its natural key first, and visits are
logged only for a volunteer who has none yet.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from elders.models import Elder
from elders.models import Status as ElderStatus
from volunteers import actions
from volunteers.models import (
    Certificate,
    Pairing,
    Team,
    TrainingSession,
    Visit,
    Volunteer,
)

TEAMS = {
    "DEMO-A": [
        ("幸福里助老服务队", "assistance"),
        ("银龄志愿服务队", "young_old"),
        ("青春志愿服务队", "youth"),
        ("家政服务队", "housekeeping"),
        ("水电维修队", "repair"),
        ("医护服务队", "medical"),
    ],
    "DEMO-B": [
        ("桃源村银龄志愿队", "young_old"),
        ("桃源村青年志愿队", "youth"),
    ],
}

# station, name, gender, age, occupation, team, specialties, certificates
# (kind, expires in days or None), username
VOLUNTEERS = [
    ("DEMO-A", "郑晓燕", "F", 62, "退休教师", "银龄志愿服务队",
     ["chat", "health_check", "errands"], [("pre_job", None)], "volunteer_a"),
    ("DEMO-A", "林志明", "M", 24, "大学生", "青春志愿服务队",
     ["culture", "errands", "chat"], [("pre_job", None)], None),
    ("DEMO-A", "何丽华", "F", 45, "社区护士", "医护服务队",
     ["medical", "health_check", "rehab"], [("medical", 400), ("first_aid", 20)], None),
    ("DEMO-A", "罗建军", "M", 51, "电工", "水电维修队",
     ["repair"], [("electrician", 25)], None),
    ("DEMO-A", "梁秀梅", "F", 48, "家政服务员", "家政服务队",
     ["cleaning", "housekeeping", "bathing"], [("elder_care", 700)], None),
    ("DEMO-A", "宋国强", "M", 66, "退休工人", "幸福里助老服务队",
     ["meal_delivery", "mobility", "chat"], [], None),
    ("DEMO-A", "唐雅琪", "F", 19, "高中生", "青春志愿服务队",
     ["culture", "chat"], [], None),
    ("DEMO-B", "韩德福", "M", 64, "退休村干部", "桃源村银龄志愿队",
     ["chat", "errands"], [], None),
    ("DEMO-B", "冯小雨", "F", 22, "大学生", "桃源村青年志愿队",
     ["culture", "health_check"], [], None),
]  # fmt: skip


LEADERS = {
    ("DEMO-A", "银龄志愿服务队"): "郑晓燕",
    ("DEMO-A", "医护服务队"): "何丽华",
    ("DEMO-B", "桃源村银龄志愿队"): "韩德福",
}


def _birth(age: int, n: int, today: datetime.date) -> datetime.date:
    return datetime.date(today.year - age - 1, (n % 12) + 1, (n * 5) % 27 + 1)


def seed_volunteers(command, stations, users) -> None:
    admin = users["admin"]
    today = timezone.localdate()
    teams: dict[tuple[str, str], Team] = {}
    for code, specs in TEAMS.items():
        station = stations[code]
        for name, kind in specs:
            team = Team.objects.filter(station=station, name=name).first()
            if team is None:
                team = actions.team_save(
                    actor=admin, station=station, data={"name": name, "kind": kind}
                )
            teams[(code, name)] = team

    volunteers: dict[str, Volunteer] = {}
    for n, spec in enumerate(VOLUNTEERS):
        code, name, gender, age, job, team_name, specialties, certs, username = spec
        station = stations[code]
        data = {
            "name": name,
            "gender": gender,
            "birth_date": _birth(age, n, today),
            "phone": f"137 {n:04d} {6600 + n}",
            "occupation": job,
            "team": teams[(code, team_name)],
            "specialties": specialties,
            "availability": "工作日上午" if age >= 55 else "周末",
            "status": "active",
        }
        volunteer = Volunteer.objects.filter(station=station, name=name).first()
        if volunteer is None:
            volunteer = actions.volunteer_register(
                actor=admin, station=station, data=data
            )
        for kind, days in certs:
            if not Certificate.objects.filter(volunteer=volunteer, kind=kind).exists():
                actions.certificate_save(
                    actor=admin,
                    volunteer=volunteer,
                    data={
                        "kind": kind,
                        "number": f"{kind.upper()}-{2024}{n:04d}",
                        "issued_on": today - datetime.timedelta(days=365),
                        "expires_on": today + datetime.timedelta(days=days)
                        if days
                        else None,
                        "issuer": "示范区民政局",
                    },
                )
        if username and username in users:
            actions.volunteer_link_login(
                actor=admin, volunteer=volunteer, user=users[username]
            )
        volunteers[name] = volunteer

    for key, leader in LEADERS.items():
        team = teams[key]
        if team.leader_id is None:
            actions.team_save(
                actor=admin,
                station=team.station,
                team=team,
                data={"leader": volunteers[leader]},
            )

    station_a = stations["DEMO-A"]
    topic = "岗前培训：居家上门服务规范与安全"
    if not TrainingSession.objects.filter(station=station_a, topic=topic).exists():
        actions.training_session_save(
            actor=admin,
            station=station_a,
            data={
                "held_on": today - datetime.timedelta(days=60),
                "topic": topic,
                "trainer": "示范区社工站 陈老师",
                "hours": 4,
            },
            attendees=[v for v in volunteers.values() if v.station_id == station_a.pk],
        )

    elders = list(
        Elder.objects.filter(station=station_a, status=ElderStatus.ACTIVE).order_by(
            "name", "pk"
        )[:5]
    )
    main = volunteers["郑晓燕"]
    plans = [
        (main, elders[0:3], ["chat", "health_check"], "每周二、周五 9:00–11:00", True),
        (main, elders[3:4], ["errands"], "每周六上午", False),
        (
            volunteers["何丽华"],
            elders[0:1],
            ["medical", "health_check"],
            "每月第一周",
            True,
        ),
    ]
    for volunteer, paired, services, schedule, approve in plans:
        for elder in paired:
            pairing = Pairing.objects.filter(
                volunteer=volunteer, elder=elder, active=True
            ).first()
            if pairing is None:
                pairing = actions.pairing_claim(
                    actor=admin,
                    volunteer=volunteer,
                    elder=elder,
                    services=services,
                    schedule=schedule,
                )
            if approve and pairing.approved_at is None:
                pairing = actions.pairing_approve(actor=admin, pairing=pairing)
            if approve and pairing.letter_signed_on is None:
                actions.pairing_sign_letter(
                    actor=admin, pairing=pairing, signed_on=today
                )

    created = 0
    if elders and not Visit.objects.filter(volunteer=main).exists():
        now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
        for n in range(12):
            start = now - datetime.timedelta(days=3 + n * 9, hours=n % 3)
            elder = elders[n % 3]
            flagged = n == 0
            actions.visit_log(
                actor=admin,
                volunteer=main,
                elder=elder,
                started_at=start,
                ended_at=start + datetime.timedelta(minutes=60 + 15 * (n % 4)),
                services=["chat", "health_check"] if n % 2 else ["chat"],
                notes="陪老人聊天，情绪良好。" if not flagged else "老人说最近头晕。",
                systolic=128 + n if n % 2 else None,
                diastolic=82 if n % 2 else None,
                needs_follow_up=flagged,
                follow_up_reason="头晕两天，建议家属带去社区卫生服务中心"
                if flagged
                else "",
            )
            created += 1
    command.stdout.write(
        f"volunteers: {len(volunteers)} volunteers, {created} new visits"
    )
