"""Demo care calls, emergencies and health readings for ``seed_demo``.

Safe to re-run: a station that has any care call already is left alone.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from care import actions
from care.models import CallOutcome, CareCall
from elders.models import Elder, LivingArrangement
from elders.models import Status as ElderStatus
from services import actions as service_actions
from services.models import ReturnVisitOutcome, ServiceRecord

# days ago, hour, outcome, notes
CALLS = [
    (1, 9, CallOutcome.WELL, ""),
    (3, 10, CallOutcome.WELL, ""),
    (9, 9, CallOutcome.CONCERN, "说膝盖疼，约了社区医生"),
    (12, 15, CallOutcome.WELL, ""),
    (2, 9, CallOutcome.NO_ANSWER, ""),
]

# station, days ago, caller, relation, what happened, minutes to respond,
# responder, outcome (None: still open)
EMERGENCIES = [
    (
        "DEMO-A",
        0,
        "邻居王阿姨",
        "neighbour",
        "老人在家中摔倒，起不来",
        12,
        "站点工作人员 + 社区医生",
        None,
    ),
    (
        "DEMO-A",
        6,
        "老人本人",
        "elder",
        "胸闷气短",
        8,
        "120 急救、站点工作人员",
        "送医观察，已出院",
    ),
    (
        "DEMO-A",
        20,
        "女儿",
        "family",
        "联系不上老人",
        25,
        "站点工作人员上门",
        "老人手机没电，一切正常",
    ),
    ("DEMO-B", 10, "老人本人", "elder", "停电，屋里很冷", 30, "村委电工", "已恢复供电"),
]


def seed_care(command, stations, users) -> None:
    now = timezone.now()
    for code, station in stations.items():
        staff = users.get("staff_a" if code == "DEMO-A" else "staff_b")
        if staff is None or CareCall.objects.filter(station=station).exists():
            continue
        elders = list(
            Elder.objects.filter(station=station, status=ElderStatus.ACTIVE)
            .filter(living_arrangement=LivingArrangement.ALONE)
            .order_by("pk")[:8]
        )
        for n, elder in enumerate(elders[: len(CALLS)]):
            days, hour, outcome, notes = CALLS[n]
            called = timezone.localtime(now - datetime.timedelta(days=days)).replace(
                hour=hour, minute=15 + n
            )
            actions.care_call_log(
                actor=staff,
                elder=elder,
                called_at=min(called, now),
                outcome=outcome,
                notes=notes,
                needs_follow_up=outcome == CallOutcome.CONCERN,
            )
        for n, elder in enumerate(elders[:2]):
            for k in range(8):
                actions.reading_record(
                    actor=staff,
                    elder=elder,
                    measured_at=now - datetime.timedelta(days=7 * k + n + 1),
                    systolic=128 + (k * 7 + n * 11) % 30,
                    diastolic=78 + (k * 3 + n * 5) % 14,
                    blood_sugar=Decimal("5.6") + Decimal(k % 4) / 2,
                )
        for row in EMERGENCIES:
            where, days, caller, relation, what, minutes, responder, outcome = row
            if where != code or not elders:
                continue
            reported = now - datetime.timedelta(days=days, minutes=minutes + 30)
            emergency = actions.emergency_record(
                actor=staff,
                elder=elders[(days + 1) % len(elders)],
                reported_at=reported,
                caller_name=caller,
                caller_relation=relation,
                what_happened=what,
                responder=responder,
                responded_at=reported + datetime.timedelta(minutes=minutes),
                contact_informed=outcome is not None,
            )
            if outcome:
                actions.emergency_close(
                    actor=staff, emergency=emergency, outcome=outcome
                )
        # A return visit that found a problem: an open follow-up.
        record = (
            ServiceRecord.objects.filter(station=station, cancelled_at__isnull=True)
            .order_by("-delivered_at")
            .first()
        )
        if record is not None:
            service_actions.return_visit_record(
                actor=staff,
                record=record,
                visited_at=min(
                    now, max(record.delivered_at, now - datetime.timedelta(days=1))
                ),
                channel="phone",
                outcome=ReturnVisitOutcome.ISSUE,
                notes="老人说饭菜偏咸，希望少放盐",
            )
    command.stdout.write("Care calls, emergencies and readings ready.")
