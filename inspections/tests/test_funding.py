"""A stopped station gets no vouchers from the next issuance on; continue restores
it. Tested through the issuance itself (``month_issue``) and its command."""

import datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from carecenter.models import Station
from carecenter.months import add_months
from inspections.tests.conftest import confirm, decide
from vouchers import actions as voucher_actions
from vouchers.models import Cycle, Grant, IssuanceRun, RunTrigger
from vouchers.tests.conftest import free_elder, issue

pytestmark = pytest.mark.django_db

FEB = datetime.date(2026, 2, 1)
MAR = datetime.date(2026, 3, 1)
APR = datetime.date(2026, 4, 1)


def stations_without_funding(month: datetime.date) -> set[int]:
    """The stations the issuance leaves out in ``month`` (their funding state)."""
    funded = Station.objects.funded_in(month).values_list("pk", flat=True)
    return set(Station.objects.exclude(pk__in=funded).values_list("pk", flat=True))


def at(*args) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(*args))


def decided_on(inspection, supervisor, decision, when, reason="理由"):
    """A decision taken at ``when``."""
    with mock.patch("django.utils.timezone.now", return_value=when):
        decide(inspection, supervisor, decision, reason)


@pytest.fixture
def elders(cast):
    return {code: free_elder(getattr(cast, code.lower())) for code in "AB"}


@pytest.fixture
def stopped_in_february(cast, inspected, elders):
    """Station A's funding stopped on 10 February 2026 (local time)."""
    inspection = confirm(inspected["A"], cast.supervisor)
    decided_on(inspection, cast.supervisor, "stop", at(2026, 2, 10, 15))
    return inspection


def test_the_month_under_way_is_still_issued(cast, stopped_in_february):
    result = issue(month=FEB, stations=[cast.a, cast.b])
    assert [c.station for c in result.cycles] == [cast.a, cast.b]
    assert result.stopped == []


def test_from_the_next_month_a_stopped_station_gets_nothing(cast, stopped_in_february):
    result = issue(month=MAR, stations=None)
    assert result.stopped == [cast.a]
    assert not Cycle.objects.filter(station=cast.a, month=MAR).exists()
    assert not IssuanceRun.objects.filter(station=cast.a).exists()
    assert not Grant.objects.filter(station=cast.a).exists()
    assert Grant.objects.filter(station=cast.b, month=MAR).count() == 1


def test_the_first_instant_of_the_month_counts_as_that_month(cast, inspected, elders):
    inspection = confirm(inspected["A"], cast.supervisor)
    decided_on(inspection, cast.supervisor, "stop", at(2026, 3, 1, 0, 0))
    assert stations_without_funding(MAR) == set()
    assert stations_without_funding(APR) == {cast.a.pk}


def test_a_later_continue_restores_funding(cast, stopped_in_february):
    decided_on(
        stopped_in_february, cast.supervisor, "continue", at(2026, 3, 15, 9), "整改到位"
    )
    assert issue(month=MAR, stations=[cast.a]).stopped == [cast.a]
    result = issue(month=APR, stations=[cast.a])
    assert result.stopped == []
    assert Grant.objects.filter(station=cast.a, month=APR).count() == 1
    # Issuing March again later still answers as it did then.
    assert issue(month=MAR, stations=[cast.a]).stopped == [cast.a]


def test_recover_does_not_stop_funding(cast, inspected, elders):
    inspection = confirm(inspected["A"], cast.supervisor)
    decide(inspection, cast.supervisor, "recover", "挪用经费", "500")
    next_month = timezone.localdate().replace(day=1) + datetime.timedelta(days=32)
    assert stations_without_funding(next_month.replace(day=1)) == set()


def test_the_latest_decision_wins_across_years(cast, elders):
    from inspections import actions

    for year in (2024, 2025):
        actions.inspections_refresh(year=year, stations=[cast.a])
    from inspections.tests.conftest import inspection_of

    old = confirm(inspection_of(cast.a, 2024), cast.supervisor)
    new = confirm(inspection_of(cast.a, 2025), cast.supervisor)
    decided_on(new, cast.supervisor, "stop", at(2026, 1, 20, 9))
    decided_on(old, cast.supervisor, "continue", at(2026, 2, 20, 9), "复核")
    assert stations_without_funding(FEB) == {cast.a.pk}
    assert stations_without_funding(MAR) == set()


@pytest.fixture
def stopped_today(cast, inspected, elders):
    """Station A's funding stopped today: from next month on."""
    inspection = confirm(inspected["A"], cast.supervisor)
    decide(inspection, cast.supervisor, "stop", "经费挪用")
    return add_months(timezone.localdate().replace(day=1), 1)


def test_the_issue_vouchers_command_skips_and_says_so(cast, stopped_today, capsys):
    month = f"{stopped_today:%Y-%m}"
    call_command("issue_vouchers", month=month)
    out = capsys.readouterr().out
    assert f"A {month}: funding stopped by the annual inspection" in out
    assert f"B {month}: 1 new grants" in out
    assert not Grant.objects.filter(station=cast.a).exists()
    call_command("issue_vouchers", month=month, station="A")
    assert "to 0 stations" in capsys.readouterr().out


def test_a_manager_issuing_by_hand_is_told_why(cast, stopped_today):
    with pytest.raises(ValidationError, match="stopped"):
        voucher_actions.cycle_issue(
            actor=cast.manager_a,
            station=cast.a,
            month=stopped_today,
            trigger=RunTrigger.WEB,
        )
    assert not Cycle.objects.filter(station=cast.a, month=stopped_today).exists()
    # This month, under way when the decision was taken, is still issued.
    this_month = add_months(stopped_today, -1)
    voucher_actions.cycle_issue(
        actor=cast.manager_a, station=cast.a, month=this_month, trigger=RunTrigger.WEB
    )
    assert Grant.objects.filter(station=cast.a, month=this_month).count() == 1


def test_the_station_s_funding_state_follows_the_decision(cast, stopped_today):
    cast.a.refresh_from_db()
    assert cast.a.funding_stopped_from == stopped_today
    assert cast.a.funding_restored_from is None
    assert not cast.a.funded_in(stopped_today)
    assert cast.a.funded_in(add_months(stopped_today, -1))


def test_it_is_one_query(cast, stopped_in_february, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(Station.objects.funded_in(MAR))
