"""The dashboard's care figures (pre-aggregated by supervision.aggregates)
against direct counts, scoped to the reader's stations."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from care import cadence
from care.models import CareCall, Emergency
from care.tests.factories import CareCallFactory, EmergencyFactory, days_ago
from elders.eligibility import years_before
from elders.models import Elder
from elders.tests.factories import ElderFactory
from supervision.actions import figures_refresh_recent
from supervision.models import StaleMonth
from supervision.queries import dashboard

pytestmark = pytest.mark.django_db


def alone_85(station):
    elder = ElderFactory(
        station=station,
        living_arrangement="alone",
        birth_date=years_before(timezone.localdate(), 85),
    )
    Elder.objects.filter(pk=elder.pk).update(created_at=days_ago(90))
    return elder


@pytest.fixture
def seeded(cast):
    for station, n in ((cast.a, 3), (cast.b, 2), (cast.c, 4)):
        for i in range(n):
            elder = alone_85(station)
            CareCallFactory(
                elder=elder,
                called_at=days_ago(i * 5 + 1),
                outcome="no_answer" if i == 1 else "well",
                called_by=cast.admin,
            )
            reported = days_ago(i + 1)
            EmergencyFactory(
                elder=elder,
                reported_at=reported,
                responded_at=reported + datetime.timedelta(minutes=10 * (i + 1)),
                responder="x",
                recorded_by=cast.admin,
            )
        # Still open, never responded to.
        EmergencyFactory(elder=elder, reported_at=days_ago(0.1), recorded_by=cast.admin)
    figures_refresh_recent()
    return cast


def _dash(user):
    today = timezone.localdate()
    first = (today.replace(day=1) - datetime.timedelta(days=45)).replace(day=1)
    return dashboard(user=user, first=first, last=today.replace(day=1))


def test_the_figures_match_direct_counts(seeded):
    cast = seeded
    dash = _dash(cast.supervisor)
    since = timezone.now() - datetime.timedelta(days=45)
    for station in (cast.a, cast.b):
        f = dash.by_station[station.pk]
        calls = CareCall.objects.filter(station=station)
        assert f.care_calls == calls.count()
        assert f.care_calls_reached == calls.exclude(outcome="no_answer").count()
        emergencies = list(
            Emergency.objects.filter(station=station, reported_at__gte=since)
        )
        assert f.emergencies == len(emergencies)
        assert f.emergencies_open == sum(1 for e in emergencies if e.is_open)
        minutes = [e.response_minutes for e in emergencies if e.responded_at]
        assert f.response_mean_minutes == round(sum(minutes) / len(minutes))
        rows = list(cadence.obligations(Elder.objects.filter(station=station)))
        assert f.cadence_due == len(rows)
        today = timezone.localdate()
        assert f.cadence_met == sum(1 for r in rows if r["due_on"] >= today)
    assert (
        dash.totals.care_calls
        == CareCall.objects.filter(station__in=[cast.a, cast.b]).count()
    )


def test_the_district_dashboard_shows_the_care_table_of_its_stations(client, seeded):
    client.force_login(seeded.supervisor)
    html = client.get(reverse("supervision:district")).content.decode()
    assert "dashboard-care" in html
    assert 'data-station="A"' in html and 'data-station="B"' in html
    assert 'data-station="C"' not in html


def test_a_late_call_in_an_older_month_is_marked_for_the_next_refresh(cast):
    elder = alone_85(cast.a)
    StaleMonth.objects.all().delete()
    CareCallFactory(elder=elder, called_at=days_ago(100), called_by=cast.admin)
    assert StaleMonth.objects.filter(station_id=cast.a.pk, family="care").exists()
