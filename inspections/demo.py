"""Demo inspections for ``seed_demo``: last year's inspection of every demo station;
station A's checklist confirmed and funding continued, station B with findings
to rectify (one answered). Safe to run again: nothing is added twice and a
decided inspection is left as it is."""

from __future__ import annotations

import datetime

from django.utils import timezone

from inspections import actions
from inspections.models import Finding


def seed_inspections(command, stations, users) -> None:
    year = timezone.localdate().year - 1
    result = actions.inspections_refresh(year=year, stations=list(stations.values()))
    by_code = {i.station_id: i for i in result.inspections}
    supervisor = users["supervisor"]
    a = by_code[stations["DEMO-A"].pk]
    if not a.is_decided:
        actions.inspection_checklist_confirm(
            actor=supervisor,
            inspection=a,
            data={"funds_used_properly": True, "checklist_notes": "现场核查无误"},
        )
        actions.inspection_decide(
            actor=supervisor,
            inspection=a,
            decision="continue",
            reason="设施达标；服务记录自今年起在本系统登记，去年台账已现场核对",
        )
    b = by_code[stations["DEMO-B"].pk]
    if not Finding.objects.filter(inspection=b).exists():
        deadline = timezone.localdate() + datetime.timedelta(days=30)
        for indicator in ("medical_room", "catering_hygiene"):
            actions.finding_create(
                actor=supervisor,
                inspection=b,
                indicator=indicator,
                text="",
                deadline=deadline,
            )
        first = Finding.objects.filter(inspection=b).order_by("pk").first()
        actions.finding_answer(
            actor=users["staff_b"],
            finding=first,
            text="已腾出东侧房间改建为医务室，配备血压计、血糖仪和急救箱。",
        )
    command.stdout.write(
        f"inspections {year}: {len(result.created)} created, "
        f"{len(result.refreshed)} refreshed, {len(result.frozen)} decided"
    )
