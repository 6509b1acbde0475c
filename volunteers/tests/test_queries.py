"""The hours ledger's totals, and the elder scope the app grants volunteers."""

import datetime
from collections import defaultdict

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carecenter.months import add_months
from carecenter.scoping import visible_to
from elders.models import Elder
from elders.tests.factories import ElderFactory
from volunteers import actions, queries
from volunteers.models import HoursEntry
from volunteers.tests.factories import PairingFactory, TeamFactory, VolunteerFactory

pytestmark = pytest.mark.django_db

#: (days ago, minutes, which volunteer); one visit per volunteer and day at most.
VISITS = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=150),
        st.integers(min_value=1, max_value=600),
        st.integers(min_value=0, max_value=2),
    ),
    max_size=14,
    unique_by=lambda visit: (visit[0], visit[2]),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(visits=VISITS)
def test_the_monthly_totals_are_the_sums_of_the_visits(cast, visits):
    """Per volunteer, per team and per month, whatever the visits (hypothesis)."""
    with transaction.atomic():
        team_one, team_two = TeamFactory(station=cast.a), TeamFactory(station=cast.a)
        volunteers = [
            VolunteerFactory(station=cast.a, team=team_one),
            VolunteerFactory(station=cast.a, team=team_one),
            VolunteerFactory(station=cast.a, team=team_two),
        ]
        elder = ElderFactory(station=cast.a)
        for volunteer in volunteers:
            PairingFactory(volunteer=volunteer, elder=elder)
        today = timezone.localdate()
        zone = timezone.get_current_timezone()
        expected = defaultdict(int)
        for days_ago, minutes, index in visits:
            day = today - datetime.timedelta(days=days_ago)
            start = datetime.datetime.combine(day, datetime.time(8), tzinfo=zone)
            actions.visit_log(
                actor=cast.staff_a,
                volunteer=volunteers[index],
                elder=elder,
                started_at=start,
                ended_at=start + datetime.timedelta(minutes=minutes),
            )
            expected[(index, day.replace(day=1))] += minutes

        first = (today - datetime.timedelta(days=150)).replace(day=1)
        report = queries.hours_report(user=cast.staff_a, first=first, last=today)
        got = {
            (next(i for i, v in enumerate(volunteers) if v.pk == row.key), month): n
            for row in report.volunteers
            for month, n in row.minutes.items()
        }
        assert got == dict(expected)
        assert report.total == sum(minutes for _d, minutes, _i in visits)
        teams = {row.key: row for row in report.teams}
        for team, members in ((team_one, (0, 1)), (team_two, (2,))):
            total = sum(n for (i, _m), n in expected.items() if i in members)
            assert (teams[team.pk].total if team.pk in teams else 0) == total
        assert sum(report.month_totals) == report.total
        assert HoursEntry.objects.count() == len(visits)
        transaction.set_rollback(True)


def test_the_report_reads_only_the_callers_stations(cast, crew):
    for actor, volunteer, elder in (
        (cast.staff_a, crew.me, crew.paired),
        (cast.staff_b, crew.volunteer_b, crew.elder_b),
    ):
        start = timezone.now().replace(second=0, microsecond=0) - datetime.timedelta(
            hours=3
        )
        actions.visit_log(
            actor=actor,
            volunteer=volunteer,
            elder=elder,
            started_at=start,
            ended_at=start + datetime.timedelta(minutes=45),
        )
    today = timezone.localdate()
    first = today.replace(day=1) - datetime.timedelta(days=1)
    names = {
        r.name
        for r in queries.hours_report(
            user=cast.staff_a, first=first, last=today
        ).volunteers
    }
    assert names == {"郑晓燕"}
    report = queries.hours_report(user=cast.supervisor, first=first, last=today)
    assert report.total == 90


def test_volunteers_see_the_elders_of_their_approved_active_pairings_only(cast, crew):
    claimed = ElderFactory(station=cast.a)
    PairingFactory(volunteer=crew.me, elder=claimed, approved_at=None)
    ended = ElderFactory(station=cast.a)
    PairingFactory(
        volunteer=crew.me,
        elder=ended,
        active=False,
        ended_on=timezone.localdate(),
        end_reason="搬家",
    )
    # A second (ended) pairing with the same elder does not list it twice.
    PairingFactory(
        volunteer=crew.me,
        elder=crew.paired,
        active=False,
        ended_on=timezone.localdate(),
        end_reason="重新结对",
    )
    seen = list(visible_to(cast.volunteer_a, Elder.objects.all()))
    assert seen == [crew.paired]
    assert visible_to(cast.staff_a, Elder.objects.all()).count() == 4


@pytest.mark.parametrize(
    "month, n, expected",
    [
        (datetime.date(2026, 1, 1), -1, datetime.date(2025, 12, 1)),
        (datetime.date(2026, 11, 1), -11, datetime.date(2025, 12, 1)),
        (datetime.date(2026, 12, 1), 1, datetime.date(2027, 1, 1)),
        (datetime.date(2026, 3, 1), -24, datetime.date(2024, 3, 1)),
    ],
)
def test_add_months(month, n, expected):
    assert add_months(month, n) == expected


def test_the_hours_page_shows_at_most_24_months(client, cast):
    client.force_login(cast.staff_a)
    response = client.get("/volunteers/hours/?from=2020-01&to=2026-06")
    assert response.context["report"].months[0] == datetime.date(2024, 7, 1)
    assert len(response.context["report"].months) == 24
    response = client.get("/volunteers/hours/?from=2026-06&to=2026-01")
    assert len(response.context["report"].months) == 6
