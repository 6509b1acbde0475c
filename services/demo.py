"""Demo services for ``seed_demo``: providers, agreements, three months of service
records with their feedback. Safe to re-run: rows are found by natural keys and
records are only added for days that have none yet."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from elders.models import Elder, Status
from services import actions
from services.models import (
    Provider,
    ServiceAgreement,
    ServiceRecord,
    ServiceType,
)

PROVIDERS = [
    # name, kind, licence, contact, phone, services
    (
        "幸福家政服务有限公司",
        "company",
        "统一社会信用代码 91330100MA2H000001",
        "钱经理",
        "0571-8700 1001",
        ["cleaning", "housekeeping", "errands", "repair"],
    ),
    (
        "阳光助老社工服务中心",
        "social_organisation",
        "民非登记证 330100-0021",
        "孙社工",
        "0571-8700 2002",
        ["meal", "meal_delivery", "bathing", "chat", "counselling"],
    ),
    (
        "刘医生",
        "individual",
        "执业医师资格证 110330100000123",
        "刘医生",
        "139 0000 3003",
        ["medical", "health_check", "rehab"],
    ),
]

#: (service, provider index or None for staff, minutes, quantity)
PATTERN = [
    ("meal_delivery", 1, 20, Decimal("1")),
    ("cleaning", 0, 120, Decimal("2")),
    ("health_check", 2, 30, Decimal("1")),
    ("chat", None, 60, Decimal("1")),
    ("bathing", 1, 60, Decimal("1")),
    ("errands", 0, 45, Decimal("1")),
]


def catalogue_ensure() -> None:
    """The catalogue rows of the data migration, added again where missing.

    A test that truncates every table (a transactional test) removes them; the
    migration's own function adds what is missing and changes nothing else.
    """
    import importlib

    from django.apps import apps

    importlib.import_module("services.migrations.0002_seed_service_types").seed(
        apps, None
    )


def seed_services(command, stations, users) -> None:
    catalogue_ensure()
    admin = users["admin"]
    today = timezone.localdate()
    types = {t.code: t for t in ServiceType.objects.all()}
    created = 0
    for code, station in sorted(stations.items()):
        providers = []
        for name, kind, licence, contact, phone, services in PROVIDERS:
            provider = Provider.objects.filter(station=station, name=name).first()
            provider = actions.provider_save(
                actor=admin,
                station=station,
                provider=provider,
                data={
                    "name": name,
                    "kind": kind,
                    "licence": licence,
                    "contact_name": contact,
                    "contact_phone": phone,
                    "active": True,
                },
            )
            starts_on = today.replace(month=1, day=1) - datetime.timedelta(days=180)
            ends_on = today + datetime.timedelta(
                days=20 if name == PROVIDERS[0][0] else 300
            )
            agreement = ServiceAgreement.objects.filter(
                station=station, provider=provider, number=f"{code}-{kind}"
            ).first()
            actions.agreement_save(
                actor=admin,
                station=station,
                agreement=agreement,
                data={
                    "provider": provider,
                    "number": f"{code}-{kind}",
                    "starts_on": starts_on,
                    "ends_on": ends_on,
                    "charging_method": "government" if kind != "company" else "paid",
                    "status": "active",
                },
                prices={
                    types[s]: (types[s].default_price * Decimal("0.9")).quantize(
                        Decimal("0.01")
                    )
                    for s in services
                },
            )
            providers.append(provider)

        staff = users["staff_a"] if code == "DEMO-A" else users["staff_b"]
        elders = list(
            Elder.objects.filter(station=station, status=Status.ACTIVE).order_by("pk")
        )
        for month_back in (2, 1, 0):
            first = today.replace(day=1) - datetime.timedelta(days=month_back * 28)
            first = first.replace(day=1)
            for n, elder in enumerate(elders[:10]):
                day = first + datetime.timedelta(days=(n * 3) % 26)
                if day >= today:
                    continue
                service, who, minutes, quantity = PATTERN[
                    (n + month_back) % len(PATTERN)
                ]
                delivered_at = timezone.make_aware(
                    datetime.datetime.combine(day, datetime.time(9 + n % 8, 0))
                )
                if ServiceRecord.objects.filter(
                    elder=elder, delivered_at=delivered_at
                ).exists():
                    continue
                record = actions.service_record_create(
                    actor=staff,
                    elder=elder,
                    service_type=types[service],
                    delivered_at=delivered_at,
                    duration_minutes=minutes,
                    quantity=quantity,
                    provider=providers[who] if who is not None else None,
                    staff=staff if who is None else None,
                )
                created += 1
                # Most services have their feedback; the recent ones wait for it.
                if month_back or n % 3:
                    actions.feedback_record(
                        actor=staff,
                        record=record,
                        data={
                            "satisfaction": 5 - n % 3,
                            "punctual": n % 4 != 0,
                            "attitude": 5 - n % 2,
                            "quality": 4 + (n % 2),
                            "comment": "服务周到" if n % 2 else "",
                            "channel": ["in_person", "phone", "home_visit"][n % 3],
                        },
                    )
    command.stdout.write(f"services: {created} new service records")
