"""The kept contact obligations (``care.models.Obligation``) always equal the
rule's definition (``care.cadence.obligations``), whatever changed: a contact
(through the triggers), an archive or an assessment (through ``elders.kept``),
a birthday (through the nightly run). And they are read within scope."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from care import actions as care_actions
from care import cadence, due_counts, jobs, queries
from care.models import CareCall, DueCount, Obligation, ObligationRun
from care.tests.factories import CareCallFactory, VisitFactory, days_ago
from carecenter.models import Station
from elders import actions as elder_actions
from elders import kept
from elders.eligibility import years_before
from elders.id_numbers import make_id_number
from elders.models import Elder
from elders.tests.factories import FULL_BARTHEL, ElderFactory
from services import actions as service_actions
from services.tests.factories import ServiceRecordFactory

pytestmark = pytest.mark.django_db


def kept_rows(today=None) -> set[tuple]:
    return set(
        Obligation.objects.values_list(
            "elder_id", "station_id", "group", "last_contact", "due_on"
        )
    )


def defined_rows(today=None) -> set[tuple]:
    return {
        (r["pk"], r["station_id"], r["group"], r["last_contact"], r["due_on"])
        for r in cadence.obligations(Elder.objects.all(), today=today)
    }


def counted_directly(today) -> dict[int, tuple[int, int]]:
    """Due and overdue per station counted over the kept rows themselves."""
    soon = today + datetime.timedelta(days=cadence.DUE_SOON_DAYS)
    result: dict[int, list[int]] = {}
    for station_id, due_on in Obligation.objects.values_list("station_id", "due_on"):
        if due_on <= soon:
            figures = result.setdefault(station_id, [0, 0])
            figures[0] += 1
            figures[1] += due_on < today
    return {station: tuple(figures) for station, figures in result.items()}


def assert_counts_kept(today=None) -> None:
    """The home page's kept due counts (``care.due_counts``) equal a count of
    the rows, today and on the days after, before and after a fold."""
    today = today or timezone.localdate()
    for day in (
        today,
        today + datetime.timedelta(days=3),
        today + datetime.timedelta(days=40),
    ):
        assert queries.due_counts(Station.objects.all(), today=day) == counted_directly(
            day
        )


def assert_kept(today=None) -> set[tuple]:
    rows = kept_rows()
    assert rows == defined_rows(today)
    assert_counts_kept()
    return rows


def alone_85(station, days_open=60, **kwargs) -> Elder:
    elder = ElderFactory(
        station=station,
        living_arrangement="alone",
        birth_date=years_before(timezone.localdate(), 85),
        **kwargs,
    )
    Elder.objects.filter(pk=elder.pk).update(created_at=days_ago(days_open))
    return elder


def groups_of(elder) -> set[str]:
    return set(Obligation.objects.filter(elder=elder).values_list("group", flat=True))


def test_the_elders_app_keeps_them_through_its_registry():
    assert cadence.obligations_store in kept.KEPT_FOR_ELDERS


def test_a_new_archive_owes_from_its_opening(cast):
    elder = alone_85(cast.a)
    rows = assert_kept()
    elder.refresh_from_db()
    opened = timezone.localtime(elder.created_at).date()
    assert {(r[2], r[3], r[4]) for r in rows} == {
        ("alone_80", None, opened + datetime.timedelta(days=7)),
        ("special_difficulty", None, opened + datetime.timedelta(days=30)),
    }
    # The archive's opening, moved after the rows were stored, moved them too.
    assert set(Obligation.objects.values_list("since", flat=True)) == {elder.created_at}


def test_a_reached_call_moves_the_call_rule_only(cast):
    elder = alone_85(cast.a)
    care_actions.care_call_log(
        actor=cast.staff_a, elder=elder, called_at=days_ago(3), outcome="well"
    )
    assert_kept()
    row = Obligation.objects.get(elder=elder, group="alone_80")
    assert row.last_contact == CareCall.objects.get().called_at
    visit = Obligation.objects.get(elder=elder, group="special_difficulty")
    assert visit.last_contact is None


def test_an_unanswered_call_changes_nothing(cast):
    elder = alone_85(cast.a)
    before = assert_kept()
    CareCallFactory(elder=elder, called_at=days_ago(1), outcome="no_answer")
    assert assert_kept() == before


def test_a_visit_and_a_service_count_for_both_rules(cast):
    visited, served = alone_85(cast.a), alone_85(cast.a)
    VisitFactory(elder=visited, started_at=days_ago(5))
    ServiceRecordFactory(elder=served, delivered_at=days_ago(2))
    assert_kept()
    assert set(
        Obligation.objects.filter(elder__in=[visited, served]).values_list(
            "last_contact", flat=True
        )
    ).isdisjoint({None})


def test_a_cancelled_service_no_longer_counts(cast):
    elder = alone_85(cast.a)
    record = ServiceRecordFactory(elder=elder, delivered_at=days_ago(2))
    assert Obligation.objects.filter(elder=elder, last_contact=None).count() == 0
    service_actions.service_record_cancel(
        actor=cast.manager_a, record=record, reason="录错"
    )
    assert_kept()
    assert Obligation.objects.filter(elder=elder, last_contact=None).count() == 2


def test_a_deleted_call_goes_back_to_the_one_before(cast):
    elder = alone_85(cast.a)
    CareCallFactory(elder=elder, called_at=days_ago(9))
    last = CareCallFactory(elder=elder, called_at=days_ago(2))
    last.delete()
    assert_kept()
    row = Obligation.objects.get(elder=elder, group="alone_80")
    assert row.due_on == timezone.localtime(days_ago(9)).date() + datetime.timedelta(7)


def test_a_bulk_insert_of_calls_moves_every_elder(cast):
    elders = [alone_85(cast.a) for _ in range(3)]
    CareCall.objects.bulk_create(
        CareCall(
            elder=e,
            station=cast.a,
            called_at=days_ago(i + 1),
            outcome="well",
            called_by=cast.staff_a,
        )
        for i, e in enumerate(elders)
    )
    rows = assert_kept()
    assert len([r for r in rows if r[2] == "alone_80" and r[3] is not None]) == 3


def test_the_triggers_agree_with_the_definition_late_in_the_local_day(cast):
    """A contact at 23:30 local time is due from that local date, not UTC's."""
    elder = alone_85(cast.a)
    local = timezone.localtime(days_ago(4)).replace(hour=23, minute=30)
    VisitFactory(elder=elder, started_at=local)
    Elder.objects.filter(pk=elder.pk).update(
        created_at=timezone.localtime(days_ago(40)).replace(hour=0, minute=10)
    )
    assert_kept()
    row = Obligation.objects.get(elder=elder, group="alone_80")
    assert row.due_on == local.date() + datetime.timedelta(days=7)


def test_an_update_of_the_living_arrangement_and_categories(cast):
    elder = alone_85(cast.a)
    elder = elder_actions.elder_update(
        actor=cast.staff_a,
        elder=elder,
        data={"living_arrangement": "children", "empty_nest": False},
    )
    assert_kept()
    assert groups_of(elder) == set()
    elder_actions.elder_update(
        actor=cast.staff_a, elder=elder, data={"categories": ["left_behind"]}
    )
    assert_kept()
    assert groups_of(elder) == {"special_difficulty"}


@pytest.mark.parametrize("status", ["deceased", "moved", "institution"])
def test_an_archive_no_longer_active_owes_nothing(cast, status):
    elder = alone_85(cast.a)
    elder_actions.elder_update(actor=cast.staff_a, elder=elder, data={"status": status})
    assert_kept()
    assert groups_of(elder) == set()
    elder_actions.elder_update(
        actor=cast.staff_a, elder=elder, data={"status": "active"}
    )
    assert groups_of(elder) == {"alone_80", "special_difficulty"}
    assert_kept()


def test_a_barthel_below_60_and_its_removal(cast):
    elder = ElderFactory(station=cast.a)
    assert groups_of(elder) == set()
    low = {**FULL_BARTHEL, "feeding": 0, "bathing": 0, "transfers": 0, "mobility": 0}
    assessment = elder_actions.assessment_record(
        actor=cast.staff_a,
        elder=elder,
        assessed_on=timezone.localdate(),
        scores=low,
    )
    assert assessment.total < 60
    assert groups_of(elder) == {"barthel_below_60"}
    assert_kept()
    elder_actions.assessment_delete(
        actor=cast.staff_a, assessment=assessment, reason="录错了"
    )
    assert groups_of(elder) == set()
    assert_kept()


def test_a_birthday_crossing_80_starts_the_weekly_call_on_the_nightly_run(cast):
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    elder = ElderFactory(
        station=cast.a,
        living_arrangement="spouse",
        empty_nest=True,
        birth_date=years_before(tomorrow, 80),
    )
    assert groups_of(elder) == {"special_difficulty"}
    run = cadence.obligations_nightly(today=tomorrow)
    assert groups_of(elder) == {"alone_80", "special_difficulty"}
    assert kept_rows() == defined_rows(tomorrow)
    assert run.on == tomorrow and run.written == 1
    # Safe to repeat: nothing left to write.
    assert cadence.obligations_nightly(today=tomorrow).written == 0


def test_the_nightly_run_heals_drift(cast):
    elder = alone_85(cast.a)
    other = alone_85(cast.b)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE care_obligation SET due_on = due_on + 100 WHERE elder_id = %s",
            [elder.pk],
        )
        cursor.execute("DELETE FROM care_obligation WHERE elder_id = %s", [other.pk])
        cursor.execute(
            "INSERT INTO care_obligation (elder_id, station_id, district_id, "
            '"group", every_days, in_person, since, due_on) '
            "SELECT id, station_id, district_id, 'barthel_below_60', 14, true, "
            "created_at, now()::date FROM elders_elder WHERE id = %s",
            [elder.pk],
        )
    assert kept_rows() != defined_rows()
    assert cadence.obligations_store_all() == 2 + 2 + 1
    assert_kept()


def test_the_catch_up_runs_once_a_day(cast):
    alone_85(cast.a)
    Obligation.objects.all().delete()
    done = jobs.obligations_catch_up(timezone.now())
    assert done == {"on": timezone.localdate().isoformat(), "written": 2}
    assert_kept()
    assert jobs.obligations_catch_up(timezone.now()) is None
    assert ObligationRun.objects.count() == 1


def test_beat_runs_it_just_after_local_midnight():
    # The schedule's data migration (a transactional test may have emptied the
    # beat tables: write it again, it is idempotent).
    schedule = importlib.import_module("care.migrations.0005_obligations_kept")
    schedule.add_schedule(apps, None)
    schedule.add_schedule(apps, None)
    task = PeriodicTask.objects.get(task="care.obligations_nightly")
    assert (task.crontab.hour, task.crontab.minute) == ("0", "1")
    assert str(task.crontab.timezone) == timezone.get_default_timezone_name()


def test_a_roster_import_keeps_them_for_every_row(cast):
    born = years_before(timezone.localdate(), 82)
    rows = [
        (
            n + 2,
            {
                "name": f"导入{n}",
                "gender": "F",
                "birth_date": born,
                "id_number": make_id_number("330102", born, 40 + n, "F"),
                "hukou_local": True,
                "living_arrangement": "alone" if n % 2 else "children",
                "categories": [] if n % 2 else ["disabled"],
            },
        )
        for n in range(4)
    ]
    created = elder_actions.elders_import(actor=cast.staff_a, station=cast.a, rows=rows)
    assert len(created) == 4
    assert_kept()
    assert Obligation.objects.filter(elder__in=created).count() == 2 * 2 + 2


def test_storing_no_elders_writes_nothing(cast):
    alone_85(cast.a)
    assert cadence.obligations_store(Elder.objects.filter(pk__in=[])) == 0
    assert cadence.obligations_store(Elder.objects.none()) == 0
    assert_kept()


def test_removing_an_archive_removes_its_rows(cast):
    elder = alone_85(cast.a)
    Elder.objects.filter(pk=elder.pk).delete()
    assert not Obligation.objects.exists()


# --- Read within scope ---------------------------------------------------------------


@pytest.fixture
def three_stations(cast):
    return {station: alone_85(station) for station in (cast.a, cast.b, cast.c)}


def test_the_due_list_reads_only_the_stations_in_scope(client, cast, three_stations):
    client.force_login(cast.staff_a)
    rows = client.get(reverse("care:due")).context["rows"]
    assert [r.elder for r in rows] == [three_stations[cast.a]]
    client.force_login(cast.supervisor)
    rows = client.get(reverse("care:due")).context["rows"]
    assert {r.elder for r in rows} == {three_stations[cast.a], three_stations[cast.b]}


def test_the_api_reads_only_the_stations_in_scope(client, cast, three_stations):
    client.force_login(cast.staff_b)
    body = client.get("/api/v1/care-due/").json()
    assert {r["elder"] for r in body["results"]} == {three_stations[cast.b].pk}
    assert body["count"] == 2


def test_the_counts_read_only_the_stations_given(cast, three_stations):
    counts = queries.due_counts(Station.objects.filter(pk__in=[cast.a.pk, cast.b.pk]))
    assert set(counts) == {cast.a.pk, cast.b.pk}
    assert counts[cast.a.pk] == (2, 2)  # opened 60 days ago: both overdue
    client_counts = queries.due_counts(Station.objects.filter(pk=cast.c.pk))
    assert set(client_counts) == {cast.c.pk}


def test_the_kept_reads_match_the_definition(cast, three_stations):
    VisitFactory(elder=three_stations[cast.a], started_at=days_ago(29))
    today = timezone.localdate()
    for contact in (None, cadence.CALL, cadence.VISIT):
        kept_due = list(
            queries.due_obligations(user=cast.admin, today=today, contact=contact)
        )
        defined = list(cadence.due(Elder.objects.all(), today=today, contact=contact))
        assert kept_due == defined
    counts = queries.due_counts(Station.objects.all(), today=today)
    for station in (cast.a, cast.b, cast.c):
        rows = list(cadence.due(Elder.objects.filter(station=station), today=today))
        late = [r for r in rows if r["due_on"] < today]
        assert counts.get(station.pk, (0, 0)) == (len(rows), len(late))


def test_the_due_counts_fold_the_past_into_one_row_and_count_the_same(cast):
    for days_open in (3, 20, 45, 90, 400):
        alone_85(cast.a, days_open=days_open)
    elder = alone_85(cast.b, days_open=10)
    CareCallFactory(elder=elder, called_at=days_ago(1))
    assert_kept()
    today = timezone.localdate()
    later = today + datetime.timedelta(days=9)
    before = queries.due_counts(Station.objects.all(), today=later)
    assert due_counts.fold(today=later) > 0
    assert queries.due_counts(Station.objects.all(), today=later) == before
    assert before == counted_directly(later)
    # One row for every day already past, per station; the rest are days ahead.
    past = DueCount.objects.filter(due_on__lt=later)
    assert past.count() == past.values("station_id").distinct().count()
    assert set(past.values_list("due_on", flat=True)) == {
        later - datetime.timedelta(days=1)
    }
    # A contact after the fold still moves the counts by its own change.
    CareCallFactory(elder=elder, called_at=days_ago(0.1))
    assert queries.due_counts(Station.objects.all(), today=later) == counted_directly(
        later
    )


def test_the_scheduled_refresh_folds_the_due_counts(cast):
    from supervision.actions import figures_refresh_recent

    for days_open in (3, 20, 45):
        alone_85(cast.a, days_open=days_open)
    assert DueCount.objects.count() > 2
    figures_refresh_recent()
    assert DueCount.objects.filter(due_on__lt=timezone.localdate()).count() <= 1
    assert_counts_kept()


def test_the_home_page_reads_the_kept_due_counts_not_the_obligations(
    client, cast, django_assert_max_num_queries
):
    for days_open in (3, 20, 45):
        alone_85(cast.a, days_open=days_open)
    client.force_login(cast.supervisor)
    with connection.execute_wrapper(_refuse_counting_obligations):
        response = client.get(reverse("home"))
    assert response.status_code == 200


def _refuse_counting_obligations(execute, sql, params, many, context):
    assert not ("care_obligation" in sql and "count(" in sql.lower()), sql
    return execute(sql, params, many, context)


def test_a_recount_after_a_bulk_load_starts_the_due_counts_from_the_rows(cast):
    from carecenter import home_counts

    for days_open in (3, 20, 45):
        alone_85(cast.a, days_open=days_open)
    DueCount.objects.all().delete()  # as if loaded with the triggers off
    assert queries.due_counts(Station.objects.all()) == {}
    home_counts.recount()
    assert_counts_kept()
