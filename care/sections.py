"""The elder's page: the whole of their care (PRODUCT.md, "A station's day").

Each section reads the latest ``LATEST`` rows in one or two queries and links
to a list filtered to the elder, so the page costs the same for an elder with
three records as for one with three thousand
(``care/tests/test_sections.py``).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from care import queries
from care.models import CareCall, Emergency
from carecenter.scoping import can_write, visible_to
from elders.sections import elder_section
from services.models import ServiceRecord
from volunteers.models import Pairing, Visit
from vouchers import ledger
from vouchers.models import Grant

LATEST = 10

# Orders: services 10, contacts 20, readings 30, pairings 40, vouchers 50,
# follow-ups 70; 60 is the place of the activities an elder attended
# (``templates/elders/_activities_attended.html``, registered by its app).
CHART_POINTS = 30


def _link(name: str, elder, **params) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"elder": elder.pk, **params}.items())
    return f"{reverse(name)}?{query}"


@elder_section("services", "care/sections/_services.html", order=10)
def services_section(user, elder):
    records = list(
        visible_to(user, ServiceRecord.objects.filter(elder=elder))
        .select_related("service_type", "provider", "volunteer", "staff", "feedback")
        .order_by("-delivered_at", "-pk")[:LATEST]
    )
    return {
        "title": _("Services received"),
        "records": records,
        "all_url": _link("services:records", elder),
    }


@elder_section("contacts", "care/sections/_contacts.html", order=20)
def contacts_section(user, elder):
    visits = list(
        visible_to(user, Visit.objects.filter(elder=elder))
        .select_related("volunteer", "feedback")
        .order_by("-started_at", "-pk")[:LATEST]
    )
    calls = list(
        visible_to(user, CareCall.objects.filter(elder=elder))
        .select_related("called_by")
        .order_by("-called_at", "-pk")[:LATEST]
    )
    return {
        "title": _("Visits and care calls"),
        "visits": visits,
        "calls": calls,
        "visits_url": _link("volunteers:visits", elder),
        "calls_url": _link("care:call-list", elder),
        "can_call": can_write(user, elder.station),
        "call_url": reverse("care:call-log", args=[elder.pk]),
    }


@elder_section("readings", "care/sections/_readings.html", order=30)
def readings_section(user, elder):
    points = queries.readings(user=user, elder=elder, limit=CHART_POINTS)
    chart = {
        "labels": [
            timezone.localtime(p.measured_at).strftime("%m-%d")
            for p in reversed(points)
        ],
        "systolic": [p.systolic for p in reversed(points)],
        "diastolic": [p.diastolic for p in reversed(points)],
        "sugar": [
            float(p.blood_sugar) if p.blood_sugar is not None else None
            for p in reversed(points)
        ],
        "names": {
            "systolic": str(_("Systolic")),
            "diastolic": str(_("Diastolic")),
            "sugar": str(_("Blood sugar")),
        },
    }
    return {
        "title": _("Blood pressure and blood sugar"),
        "readings": points[:LATEST],
        "chart": chart,
        "chart_id": f"readings-chart-{elder.pk}",
        "chart_data_id": f"readings-chart-{elder.pk}-data",
        "all_url": reverse("care:reading-list") + f"?elder={elder.pk}",
        "can_add": can_write(user, elder.station),
        "add_url": reverse("care:reading-add", args=[elder.pk]),
        "scripts": ["vendor/chartjs/chart.umd.min.js", "care/readings.js"],
    }


@elder_section("pairings", "care/sections/_pairings.html", order=40)
def pairings_section(user, elder):
    pairings = list(
        visible_to(user, Pairing.objects.filter(elder=elder))
        .select_related("volunteer")
        .order_by("-active", "-claimed_at", "-pk")[:LATEST]
    )
    return {
        "title": _("Pairings"),
        "pairings": pairings,
        "all_url": _link("volunteers:pairings", elder),
    }


@elder_section("vouchers", "care/sections/_vouchers.html", order=50)
def vouchers_section(user, elder):
    grants = list(
        visible_to(user, Grant.objects.filter(elder=elder)).order_by("-month")[:LATEST]
    )
    return {
        "title": _("Vouchers"),
        "grants": grants,
        "balance": ledger.balance(elder.pk),
        "all_url": reverse("vouchers:elder", args=[elder.pk]),
    }


@elder_section("follow_ups", "care/sections/_follow_ups.html", order=70)
def follow_ups_section(user, elder):
    emergencies = list(
        visible_to(user, Emergency.objects.filter(elder=elder)).order_by(
            "-reported_at", "-pk"
        )[:LATEST]
    )
    return {
        "title": _("Follow-ups and emergencies"),
        "follow_ups": queries.open_follow_ups(user=user, elder=elder.pk, limit=LATEST),
        "emergencies": emergencies,
        "follow_ups_url": _link("care:follow-ups", elder),
        "emergencies_url": _link("care:emergency-list", elder),
    }
