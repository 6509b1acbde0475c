"""Today's tier kept on the archive (``Elder.current_tier``): every change that
can move a tier moves the kept one the same day or night, and it always agrees
with ``evaluate()``, the one rule."""

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from elders import actions, eligibility
from elders.eligibility import evaluate, years_before
from elders.models import (
    STORED_TIER_FIELDS,
    Category,
    Elder,
    EligibilityPolicy,
    LivingArrangement,
    Tier,
    TierRun,
)
from elders.tests.factories import FULL_BARTHEL, ElderFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 10)
TOMORROW = TODAY + datetime.timedelta(days=1)


def kept(elder: Elder) -> tuple[str, str, list[str]]:
    elder.refresh_from_db(fields=STORED_TIER_FIELDS)
    return elder.current_tier, elder.current_computed_tier, elder.current_tier_reasons


def assert_agrees(elder: Elder, on: datetime.date) -> None:
    elder = Elder.objects.get(pk=elder.pk)
    answer = evaluate(elder, on=on)
    assert kept(elder) == (answer.tier, answer.computed_tier, answer.reasons)


@pytest.fixture
def today_run():
    """Tonight's run starts from a run that made today's tiers."""
    now = timezone.now()
    TierRun.objects.all().delete()  # (the migration's first fill, on the real date)
    return TierRun.objects.create(
        on=TODAY, kind=TierRun.Kind.ALL, started_at=now, finished_at=now
    )


def test_turning_60_overnight_makes_a_service_object(cast, today_run):
    elder = ElderFactory(station=cast.a, birth_date=years_before(TOMORROW, 60))
    eligibility.tiers_store_all(on=TODAY)
    assert kept(elder)[0] == Tier.INELIGIBLE

    run = eligibility.tiers_nightly(on=TOMORROW)

    assert kept(elder)[0] == Tier.PAID
    assert_agrees(elder, TOMORROW)
    assert (run.looked_at, run.changed) == (1, 1)


def test_turning_75_overnight_with_a_qualifying_category_makes_it_free(cast, today_run):
    elder = ElderFactory(
        station=cast.a,
        birth_date=years_before(TOMORROW, 75),
        categories=[Category.LOW_INCOME],
    )
    eligibility.tiers_store_all(on=TODAY)
    assert kept(elder)[0] == Tier.PAID

    eligibility.tiers_nightly(on=TOMORROW)

    assert kept(elder)[0] == Tier.FREE
    assert_agrees(elder, TOMORROW)


def test_a_residence_anniversary_overnight_makes_a_service_object(cast, today_run):
    elder = ElderFactory(
        station=cast.a,
        hukou_local=False,
        residence_since=years_before(TOMORROW, 2),
    )
    eligibility.tiers_store_all(on=TODAY)
    assert kept(elder)[0] == Tier.INELIGIBLE

    eligibility.tiers_nightly(on=TOMORROW)

    assert kept(elder)[0] == Tier.PAID
    assert_agrees(elder, TOMORROW)


def test_the_nightly_run_looks_only_at_thresholds_crossed_and_catches_up(
    cast, today_run
):
    crossing = [
        ElderFactory(
            station=cast.a,
            birth_date=years_before(TODAY, 60) + datetime.timedelta(days=d),
        )
        for d in (1, 2, 3)
    ]
    quiet = ElderFactory(station=cast.a, birth_date=datetime.date(1950, 1, 1))
    eligibility.tiers_store_all(on=TODAY)
    TierRun.objects.filter(kind=TierRun.Kind.ALL).update(on=TODAY)

    # Two nights missed: the third catches up every birthday since.
    run = eligibility.tiers_nightly(on=TODAY + datetime.timedelta(days=3))

    assert run.looked_at == 3
    for elder in crossing:
        assert kept(elder)[0] == Tier.PAID
    assert kept(quiet)[0] == Tier.PAID
    assert eligibility.tiers_nightly(on=TODAY + datetime.timedelta(days=3)) is None


def test_a_policy_change_rewrites_every_kept_tier(cast):
    young = ElderFactory(
        station=cast.a, birth_date=years_before(timezone.localdate(), 58)
    )
    old = ElderFactory(station=cast.b, birth_date=datetime.date(1940, 1, 1))
    assert kept(young)[0] == Tier.INELIGIBLE
    policy = EligibilityPolicy.current()
    policy.service_age = 55

    changed = actions.eligibility_policy_save(actor=cast.admin, policy=policy)

    assert changed == 1
    assert kept(young)[0] == Tier.PAID
    for elder in (young, old):
        assert_agrees(elder, timezone.localdate())


def test_only_an_administrator_changes_the_policy(cast):
    policy = EligibilityPolicy.current()
    policy.service_age = 55
    with pytest.raises(PermissionDenied):
        actions.eligibility_policy_save(actor=cast.manager_a, policy=policy)
    assert EligibilityPolicy.current().service_age == 60


def test_an_override_changes_the_kept_tier_at_once(cast):
    elder = ElderFactory(station=cast.a)
    assert kept(elder)[0] == Tier.PAID

    actions.tier_override_set(
        actor=cast.manager_a, elder=elder, tier=Tier.FREE, reason="家庭突发困难"
    )
    assert kept(elder)[:2] == (Tier.FREE, Tier.PAID)
    assert_agrees(elder, timezone.localdate())

    actions.tier_override_clear(actor=cast.manager_a, elder=elder, reason="已恢复")
    assert kept(elder)[0] == Tier.PAID
    assert_agrees(elder, timezone.localdate())


def test_a_new_assessment_changes_the_kept_tier_at_once(cast):
    elder = ElderFactory(
        station=cast.a,
        birth_date=datetime.date(1940, 3, 3),
        living_arrangement=LivingArrangement.ALONE,
        financial_difficulty=True,
    )
    assert kept(elder)[0] == Tier.PAID
    assert "no_assessment" in kept(elder)[2]

    assessment = actions.assessment_record(
        actor=cast.staff_a,
        elder=elder,
        assessed_on=timezone.localdate(),
        scores={**FULL_BARTHEL, "stairs": 0},
    )
    assert kept(elder)[0] == Tier.LOW_COST
    assert_agrees(elder, timezone.localdate())

    actions.assessment_delete(actor=cast.staff_a, assessment=assessment, reason="录错")
    assert kept(elder)[0] == Tier.PAID
    assert_agrees(elder, timezone.localdate())


def test_an_archive_change_changes_the_kept_tier_at_once(cast):
    elder = ElderFactory(station=cast.a)
    actions.elder_update(
        actor=cast.staff_a, elder=elder, data={"categories": [Category.THREE_NO]}
    )
    assert kept(elder)[0] == Tier.FREE
    assert_agrees(elder, timezone.localdate())


def test_keeping_the_tier_writes_no_history(cast):
    elder = ElderFactory(station=cast.a, birth_date=years_before(TOMORROW, 60))
    events = apps.get_model("elders", "ElderEvent").objects.filter(pgh_obj_id=elder.pk)
    before = events.count()
    eligibility.tiers_store_all(on=TOMORROW)
    assert kept(elder)[0] == Tier.PAID
    assert events.count() == before


def test_saving_an_archive_read_earlier_keeps_todays_tier(cast):
    elder = ElderFactory(station=cast.a, birth_date=years_before(TOMORROW, 60))
    stale = Elder.objects.get(pk=elder.pk)
    eligibility.tiers_store_all(on=TOMORROW)
    stale.phone = "139 1111 2222"
    stale.save()
    assert kept(elder)[0] == Tier.PAID


def test_the_list_filters_on_the_kept_tier(client, cast):
    free = ElderFactory(station=cast.a, name="甲免费", categories=[Category.THREE_NO])
    ElderFactory(station=cast.a, name="乙有偿")
    client.force_login(cast.staff_a)
    response = client.get("/elders/?tier=free")
    assert [e.pk for e in response.context["elders"]] == [free.pk]
    assert response.context["elders"][0].tier == Tier.FREE


def test_the_eligibility_endpoint_evaluates_another_day(client, cast):
    elder = ElderFactory(
        station=cast.a, birth_date=years_before(timezone.localdate(), 59)
    )
    client.force_login(cast.staff_a)
    later = years_before(timezone.localdate(), -1)
    today = client.get(f"/api/v1/elders/{elder.pk}/eligibility/").json()
    next_year = client.get(
        f"/api/v1/elders/{elder.pk}/eligibility/?on={later:%Y-%m-%d}"
    ).json()
    assert today["tier"] == Tier.INELIGIBLE == kept(elder)[0]
    assert next_year["tier"] == Tier.PAID


def test_the_nightly_job_runs_from_the_schedule_and_catches_up(cast):
    from carecenter import jobs
    from elders.tasks import tiers_nightly

    ElderFactory(station=cast.a)
    TierRun.objects.all().delete()
    assert tiers_nightly.delay().get()["looked_at"] >= 1  # no run yet: every elder
    assert tiers_nightly.delay().get() == {"done": False}
    done = jobs.run_catch_ups()
    assert done["elders.tiers_nightly"] is None
