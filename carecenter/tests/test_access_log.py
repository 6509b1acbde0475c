"""The access log of personal data (PRODUCT.md, "Personal data": revealing a full
number takes a reason and is logged; so are views of an archive and exports)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carecenter import access_log
from carecenter.models import AccessLogEntry
from elders.tests.factories import ElderFactory

pytestmark = pytest.mark.django_db


def entries(**lookup):
    return list(AccessLogEntry.objects.filter(**lookup).order_by("id"))


class TestRecording:
    def test_opening_an_archive_is_one_entry_with_the_address(self, client, cast):
        elder = ElderFactory(station=cast.a)
        client.force_login(cast.staff_a)
        client.get(reverse("elders:detail", args=[elder.pk]), REMOTE_ADDR="10.1.2.3")
        (entry,) = entries()
        assert (entry.user, entry.action, entry.elder_id, entry.station) == (
            cast.staff_a,
            "view",
            elder.pk,
            cast.a,
        )
        assert entry.address == "10.1.2.3"

    def test_the_list_writes_one_row_whatever_its_length(self, client, cast):
        for _n in range(3):
            ElderFactory(station=cast.a)
        client.force_login(cast.staff_a)
        client.get(reverse("elders:list"))
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("elders:list"), {"age_band": "80-89"})
        inserts = [
            q for q in queries if "INSERT" in q["sql"] and "accesslog" in q["sql"]
        ]
        assert len(inserts) == 1
        latest = entries()[-1]
        assert (latest.action, latest.rows) == ("list", 3)
        assert latest.filters == {"age_band": "80-89"}

    def test_a_search_by_id_number_is_kept_without_the_number(self, client, cast):
        elder = ElderFactory(station=cast.a)
        client.force_login(cast.staff_a)
        client.get(reverse("elders:list"), {"q": elder.id_number})
        kept = entries()[-1].filters["q"]
        assert elder.id_number not in kept and kept == "…" + elder.id_number[-4:]

    def test_an_export_says_how_many_rows_and_which_filter(self, client, cast):
        for _n in range(4):
            ElderFactory(station=cast.a)
        client.force_login(cast.staff_a)
        client.get(reverse("elders:export"), {"status": "active"})
        entry = entries()[-1]
        assert (entry.action, entry.rows, entry.what) == ("export", 4, "elders:export")
        assert entry.filters == {"status": "active"}

    def test_the_api_logs_lists_and_reads_too(self, client, cast):
        elder = ElderFactory(station=cast.a)
        client.force_login(cast.staff_a)
        client.get("/api/v1/elders/")
        client.get(f"/api/v1/elders/{elder.pk}/")
        assert [(e.action, e.elder_id, e.rows) for e in entries()] == [
            ("list", None, 1),
            ("view", elder.pk, None),
        ]

    def test_behind_a_trusted_proxy_the_client_address_is_kept(
        self, client, cast, settings
    ):
        settings.ACCESS_LOG_FORWARDED_FOR = True
        client.force_login(cast.staff_a)
        client.get(
            reverse("elders:list"),
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="1.2.3.4, 10.0.0.9",
        )
        assert entries()[-1].address == "10.0.0.9"


class TestReveal:
    def reveal(self, client, user, elder, reason="申请高龄补贴"):
        client.force_login(user)
        return client.post(
            reverse("elders:reveal-id", args=[elder.pk]), {"reason": reason}
        )

    def test_the_manager_reveals_one_number_with_a_reason(self, client, cast):
        elder = ElderFactory(station=cast.a)
        response = self.reveal(client, cast.manager_a, elder)
        assert elder.id_number in response.content.decode()
        (entry,) = entries(action="reveal_id")
        assert (entry.user, entry.elder_id, entry.reason) == (
            cast.manager_a,
            elder.pk,
            "申请高龄补贴",
        )

    def test_without_a_reason_nothing_is_shown_or_logged(self, client, cast):
        elder = ElderFactory(station=cast.a)
        response = self.reveal(client, cast.manager_a, elder, reason="  ")
        assert elder.id_number not in response.content.decode()
        assert entries(action="reveal_id") == []

    def test_staff_may_only_where_the_district_allows(self, client, cast):
        elder = ElderFactory(station=cast.a)
        assert self.reveal(client, cast.staff_a, elder).status_code == 403
        cast.d1.staff_may_reveal_id_numbers = True
        cast.d1.save()
        response = self.reveal(client, cast.staff_a, elder)
        assert elder.id_number in response.content.decode()

    def test_supervisors_volunteers_and_other_stations_may_not(self, client, cast):
        elder = ElderFactory(station=cast.a)
        assert self.reveal(client, cast.supervisor, elder).status_code == 403
        assert self.reveal(client, cast.volunteer_a, elder).status_code == 403
        assert self.reveal(client, cast.staff_b, elder).status_code == 404
        assert entries(action="reveal_id") == []

    def test_the_api_reveals_for_the_manager_and_logs_it(self, client, cast):
        elder = ElderFactory(station=cast.a)
        client.force_login(cast.manager_a)
        url = f"/api/v1/elders/{elder.pk}/reveal-id/"
        assert client.post(url, {}, content_type="application/json").status_code == 400
        response = client.post(
            url, {"reason": "民政核对"}, content_type="application/json"
        )
        assert response.json() == {"id_number": elder.id_number}
        client.force_login(cast.staff_a)
        assert (
            client.post(
                url, {"reason": "想看"}, content_type="application/json"
            ).status_code
            == 403
        )
        assert len(entries(action="reveal_id")) == 1


class TestBrowsing:
    def test_the_manager_reads_the_own_station_and_admins_everything(
        self, client, cast
    ):
        mine, theirs = ElderFactory(station=cast.a), ElderFactory(station=cast.b)
        access_log.record(None, user=cast.staff_a, action="view", elder=mine)
        access_log.record(None, user=cast.staff_b, action="view", elder=theirs)
        access_log.record(None, user=cast.supervisor, action="export", rows=9)
        client.force_login(cast.manager_a)
        page = client.get(reverse("elders:access-log"))
        assert [e.elder_id for e in page.context["entries"]] == [mine.pk]
        assert mine.name in page.content.decode()
        client.force_login(cast.admin)
        page = client.get(reverse("elders:access-log"))
        assert len(page.context["entries"]) == 3

    @pytest.mark.parametrize("who", ["staff_a", "supervisor", "volunteer_a"])
    def test_others_may_not(self, client, cast, who):
        client.force_login(getattr(cast, who))
        assert client.get(reverse("elders:access-log")).status_code == 403
        assert client.get("/api/v1/access-log/").status_code == 403

    def test_the_api_filters_by_elder_with_the_interface_fields(self, client, cast):
        elder, other = ElderFactory(station=cast.a), ElderFactory(station=cast.a)
        access_log.record(None, user=cast.staff_a, action="view", elder=elder)
        access_log.record(None, user=cast.staff_a, action="view", elder=other)
        client.force_login(cast.manager_a)
        body = client.get("/api/v1/access-log/", {"elder": elder.pk}).json()
        assert body["count"] == 1
        row = body["results"][0]
        assert {"user", "at", "action", "elder", "rows", "address"} <= set(row)
        assert (row["user"], row["action"], row["elder"]) == (
            "staff_a",
            "view",
            elder.pk,
        )
        other_station = ElderFactory(station=cast.b)
        access_log.record(None, user=cast.staff_b, action="view", elder=other_station)
        body = client.get("/api/v1/access-log/", {"elder": other_station.pk}).json()
        assert body["count"] == 0

    def test_the_page_costs_the_same_for_few_or_many_entries(self, client, cast):
        elder = ElderFactory(station=cast.a)
        client.force_login(cast.manager_a)
        for _n in range(2):
            access_log.record(None, user=cast.staff_a, action="view", elder=elder)
        client.get(reverse("elders:access-log"))
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("elders:access-log"))
        for _n in range(30):
            access_log.record(
                None,
                user=cast.staff_a,
                action="view",
                elder=ElderFactory(station=cast.a),
            )
        with CaptureQueriesContext(connection) as many:
            client.get(reverse("elders:access-log"))
        assert len(many) == len(few)


class TestRetention:
    def test_the_purge_removes_only_what_is_past_retention(self, cast, settings):
        settings.ACCESS_LOG_RETENTION_DAYS = 30
        now = timezone.now()
        old = access_log.record(None, user=cast.staff_a, action="list", rows=1)
        recent = access_log.record(None, user=cast.staff_a, action="list", rows=2)
        AccessLogEntry.objects.filter(pk=old.pk).update(
            at=now - datetime.timedelta(days=31)
        )
        AccessLogEntry.objects.filter(pk=recent.pk).update(
            at=now - datetime.timedelta(days=29)
        )
        assert access_log.purge(batch=1) == 1
        assert access_log.purge() == 0
        assert list(AccessLogEntry.objects.values_list("pk", flat=True)) == [recent.pk]

    def test_the_task_is_scheduled_nightly(self):
        import importlib

        from django.apps import apps
        from django_celery_beat.models import PeriodicTask

        from carecenter.tasks import purge_access_log

        schedule = importlib.import_module(
            "carecenter.migrations.0003_access_log_purge_schedule"
        )
        schedule.add_schedule(apps, None)
        schedule.add_schedule(apps, None)
        task = PeriodicTask.objects.get(name=schedule.NAME)
        assert task.task == purge_access_log.name
        assert (task.crontab.minute, task.crontab.hour) == ("30", "3")
        assert purge_access_log.delay().get() == 0
