"""A small district with a few months of everything the dashboard counts, written
through the apps' own actions (services, feedback, cancellations, vouchers,
visits) and factories, drawn at random with a fixed seed."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from carecenter.models import Role
from carecenter.tests.factories import user_with_role
from elders.tests.factories import (
    BarthelAssessmentFactory,
    ElderFactory,
    NeedsSurveyFactory,
)
from services import actions as service_actions
from services.tests.factories import AgreementFactory, ProviderFactory, service_type
from supervision.actions import this_month
from supervision.models import Metric, MonthlyFigure, RefreshRun
from volunteers import actions as volunteer_actions
from volunteers.tests.factories import (
    CertificateFactory,
    PairingFactory,
    VolunteerFactory,
)
from vouchers import actions as voucher_actions
from vouchers.models import RunTrigger, StationBudget, add_months

#: The months the data spans: the current one and the three before it.
MONTHS_BACK = 3
SERVICE_CODES = ["meal", "cleaning", "chat", "errands", "health_check"]
NEEDS = ["meal", "cleaning", "bathing", "medical", "chat", "day_care"]


def local(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def service_days(month: datetime.date, rng: random.Random) -> datetime.date:
    """A day of ``month`` that is not in the future."""
    today = timezone.localdate()
    last = today.day - 1 if month == this_month() else 28
    return month.replace(day=rng.randint(1, max(1, last)))


def build_district(cast, *, seed: int = 2026) -> SimpleNamespace:
    rng = random.Random(seed)
    today = timezone.localdate()
    current = this_month()
    months = [add_months(current, -n) for n in range(MONTHS_BACK, -1, -1)]
    staff = {
        cast.a.pk: cast.staff_a,
        cast.b.pk: cast.staff_b,
        cast.c.pk: user_with_role("staff_c", Role.STAFF, station=cast.c),
    }
    stations = [cast.a, cast.b, cast.c]
    elders = {}
    for station in stations:
        people = []
        for n in range(8):
            categories = rng.sample(
                ["three_no", "low_income", "disabled", "model_worker", "preferential"],
                rng.randint(0, 2),
            )
            elder = ElderFactory(
                station=station,
                birth_date=datetime.date(
                    rng.choice([1930, 1941, 1950, 1958, 1963, 1970]),
                    rng.randint(1, 12),
                    rng.randint(1, 28),
                ),
                categories=categories,
                living_arrangement=rng.choice(["alone", "spouse", "children"]),
                financial_difficulty=rng.random() < 0.4,
                status="institution" if n == 7 else "active",
            )
            if rng.random() < 0.5:
                BarthelAssessmentFactory(
                    elder=elder, assessed_on=datetime.date(2026, 1, 5), stairs=0
                )
            for _survey in range(rng.randint(0, 2)):
                NeedsSurveyFactory(
                    elder=elder,
                    surveyed_on=today - datetime.timedelta(days=rng.randint(1, 400)),
                    needs=rng.sample(NEEDS, rng.randint(0, 3)),
                )
            people.append(elder)
        # Gone elders are not on file and get no services.
        ElderFactory(station=station, status="deceased")
        ElderFactory(station=station, status="moved", categories=["three_no"])
        elders[station.pk] = people
        StationBudget.objects.create(
            station=station, year=today.year, amount=Decimal("50000.00")
        )
    for month in months:
        voucher_actions.month_issue(
            month=month, stations=stations, trigger=RunTrigger.COMMAND
        )
    # One provider with an agreement at A, for services delivered by a unit.
    provider = ProviderFactory(station=cast.a, name="甲站服务社")
    AgreementFactory(
        provider=provider,
        prices={"meal": "15.00", "cleaning": "40.00"},
        starts_on=add_months(current, -MONTHS_BACK),
        ends_on=today + datetime.timedelta(days=20),  # expiring soon
    )
    records = []
    for month in months:
        for station in stations:
            active = [e for e in elders[station.pk] if e.status == "active"]
            for _n in range(rng.randint(2, 6)):
                elder = rng.choice(active)
                code = rng.choice(SERVICE_CODES)
                by_provider = station == cast.a and code in ("meal", "cleaning")
                record = service_actions.service_record_create(
                    actor=staff[station.pk],
                    elder=elder,
                    service_type=service_type(code),
                    delivered_at=local(service_days(month, rng), rng.randint(8, 17)),
                    duration_minutes=rng.choice([20, 30, 45, 60, 90]),
                    quantity=Decimal(rng.choice(["1", "1", "2"])),
                    provider=provider if by_provider else None,
                    staff=None if by_provider else staff[station.pk],
                )
                records.append(record)
                if rng.random() < 0.7:
                    service_actions.feedback_record(
                        actor=staff[station.pk],
                        record=record,
                        data={
                            "satisfaction": rng.randint(1, 5),
                            "punctual": True,
                            "attitude": rng.randint(1, 5),
                            "quality": rng.randint(1, 5),
                            "channel": "phone",
                        },
                    )
    # Some services were cancelled (with their vouchers given back).
    cancelled = rng.sample(records, 4)
    for record in cancelled:
        service_actions.service_record_cancel(
            actor=staff[record.station_id], record=record, reason="登记错误"
        )
    # Volunteers' visits (the hours ledger), some asking for a follow-up.
    for station in stations:
        volunteer = VolunteerFactory(station=station)
        CertificateFactory(
            volunteer=volunteer,
            kind="first_aid",
            expires_on=today + datetime.timedelta(days=rng.choice([10, 25, 90])),
        )
        elder = next(e for e in elders[station.pk] if e.status == "active")
        PairingFactory(volunteer=volunteer, elder=elder)
        for month in months:
            start = local(service_days(month, rng), 9)
            volunteer_actions.visit_log(
                actor=staff[station.pk],
                volunteer=volunteer,
                elder=elder,
                started_at=start,
                ended_at=start + datetime.timedelta(minutes=rng.choice([30, 60, 75])),
                services=["chat"],
                needs_follow_up=rng.random() < 0.5,
                follow_up_reason="血压偏高",
            )
    voucher_actions.vouchers_expire(today)
    return SimpleNamespace(
        months=months,
        first=months[0],
        last=months[-1],
        stations=stations,
        elders=elders,
        records=records,
        cancelled=cancelled,
        staff=staff,
        provider=provider,
    )


@pytest.fixture
def district(cast):
    return build_district(cast)


def figure(station, month, metric, key="", value=1):
    return MonthlyFigure.objects.create(
        station=station, month=month, metric=metric, key=key, value=Decimal(value)
    )


@pytest.fixture
def figures(cast):
    """Hand-made figures: this month's snapshot and two months of services."""
    month = this_month()
    previous = add_months(month, -1)
    for station, n in ((cast.a, 10), (cast.b, 20), (cast.c, 40)):
        figure(station, month, Metric.ELDERS, value=n)
        figure(station, month, Metric.ELDERS_TIER, "free", n // 2)
        figure(station, month, Metric.ELDERS_AGE, "70-79", n)
        figure(station, month, Metric.FOLLOW_UPS_OPEN, value=1)
        for m in (previous, month):
            figure(station, m, Metric.SERVICES, "meal", n)
            figure(station, m, Metric.SERVICE_MINUTES, "meal", n * 30)
            figure(station, m, Metric.FEEDBACK, value=n // 2)
            figure(station, m, Metric.SATISFACTION_SUM, value=n * 2)
            figure(station, m, Metric.VOUCHERS, "grant", n * 300)
            figure(station, m, Metric.VOUCHERS, "redemption", -n * 10)
            figure(station, m, Metric.VOLUNTEER_MINUTES, value=n * 6)
        figure(station, month.replace(month=1), Metric.VOUCHER_BUDGET, value=99000)
    now = timezone.now()
    RefreshRun.objects.create(
        trigger="schedule",
        started_at=now,
        finished_at=now,
        first_month=previous,
        last_month=month,
        snapshot=True,
    )
    return month
