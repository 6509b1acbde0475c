"""Group activities: planning, bulk sign-up and attendance, scoping, pages, API,
and the figures that count them."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from activities import actions, queries
from activities.models import Activity, Participation
from activities.tests.conftest import plan
from carecenter.home import count_by_station
from elders.tests.factories import ElderFactory
from inspections.figures import figures_for
from services.tests.factories import ProviderFactory
from supervision import actions as supervision_actions
from supervision.models import Metric, MonthlyFigure

pytestmark = pytest.mark.django_db


class TestPlanning:
    def test_one_organiser_of_the_station(self, cast):
        with pytest.raises(ValidationError):
            plan(cast.staff_a, cast.a, organiser_staff=None)
        with pytest.raises(ValidationError) as refused:
            plan(
                cast.staff_a,
                cast.a,
                organiser_staff=None,
                organiser_provider=ProviderFactory(station=cast.b),
            )
        assert "organiser_provider" in refused.value.message_dict
        with pytest.raises(ValidationError) as refused:
            plan(cast.staff_a, cast.a, organiser_staff=cast.staff_b)
        assert "organiser_staff" in refused.value.message_dict
        activity = plan(
            cast.staff_a,
            cast.a,
            organiser_staff=None,
            organiser_provider=ProviderFactory(station=cast.a),
        )
        assert activity.organiser.station == cast.a

    def test_the_end_is_not_before_the_start(self, cast):
        with pytest.raises(ValidationError) as refused:
            plan(
                cast.staff_a,
                cast.a,
                ends_at=timezone.now() - datetime.timedelta(days=3),
            )
        assert "ends_at" in refused.value.message_dict

    def test_another_station_and_read_only_roles_cannot_plan(self, cast):
        with pytest.raises(Http404):
            plan(cast.staff_b, cast.a, organiser_staff=None)
        with pytest.raises(PermissionDenied):
            plan(cast.supervisor, cast.a, organiser_staff=None)
        assert not Activity.objects.exists()


class TestAttendance:
    def test_thirty_ticked_in_one_statement_and_idempotent(self, cast):
        activity = plan(cast.staff_a, cast.a)
        elders = [ElderFactory(station=cast.a) for _ in range(30)]
        with CaptureQueriesContext(connection) as captured:
            actions.activity_attendance_mark(
                actor=cast.staff_a, activity=activity, elder_ids=[e.pk for e in elders]
            )
        inserts = [
            q for q in captured if 'INSERT INTO "activities_participation"' in q["sql"]
        ]
        assert len(inserts) == 1
        actions.activity_attendance_mark(
            actor=cast.staff_a, activity=activity, elder_ids=[e.pk for e in elders]
        )
        assert Participation.objects.filter(attended=True).count() == 30

    def test_sign_up_then_attendance_keeps_both(self, cast):
        activity = plan(cast.staff_a, cast.a)
        a, b, c = (ElderFactory(station=cast.a) for _ in range(3))
        actions.activity_sign_up(
            actor=cast.staff_a, activity=activity, elder_ids=[a.pk, b.pk]
        )
        actions.activity_attendance_mark(
            actor=cast.staff_a, activity=activity, elder_ids=[b.pk, c.pk], only=True
        )
        rows = {
            p.elder_id: (p.signed_up, p.attended) for p in Participation.objects.all()
        }
        assert rows == {a.pk: (True, False), b.pk: (True, True), c.pk: (False, True)}
        # The sheet's submit is the whole attendance: unticking unmarks.
        actions.activity_attendance_mark(
            actor=cast.staff_a, activity=activity, elder_ids=[c.pk], only=True
        )
        assert list(
            Participation.objects.filter(attended=True).values_list(
                "elder_id", flat=True
            )
        ) == [c.pk]

    def test_another_stations_elder_refuses_the_whole_list(self, cast):
        activity = plan(cast.staff_a, cast.a)
        ours = ElderFactory(station=cast.a)
        theirs = ElderFactory(station=cast.b)
        with pytest.raises(ValidationError):
            actions.activity_attendance_mark(
                actor=cast.staff_a, activity=activity, elder_ids=[ours.pk, theirs.pk]
            )
        with pytest.raises(ValidationError):
            actions.activity_sign_up(
                actor=cast.staff_a, activity=activity, elder_ids=[ours.pk, theirs.pk]
            )
        assert not Participation.objects.exists()

    def test_no_attendance_before_the_start(self, cast):
        activity = plan(cast.staff_a, cast.a, days=2)
        with pytest.raises(ValidationError):
            actions.activity_attendance_mark(
                actor=cast.staff_a,
                activity=activity,
                elder_ids=[ElderFactory(station=cast.a).pk],
            )

    def test_staff_of_another_station_cannot_take_it(self, cast):
        activity = plan(cast.staff_a, cast.a)
        with pytest.raises(Http404):
            actions.activity_attendance_mark(
                actor=cast.staff_b,
                activity=activity,
                elder_ids=[ElderFactory(station=cast.a).pk],
            )


class TestApi:
    def test_it_lists_only_the_callers_stations(self, cast, api):
        plan(cast.staff_a, cast.a, title="甲站讲座")
        plan(cast.staff_b, cast.b, title="乙站讲座")
        titles = [
            a["title"]
            for a in api("staff_a").get("/api/v1/activities/").json()["results"]
        ]
        assert titles == ["甲站讲座"]
        titles = {
            a["title"]
            for a in api("supervisor").get("/api/v1/activities/").json()["results"]
        }
        assert titles == {"甲站讲座", "乙站讲座"}

    def test_create_it(self, cast, api):
        response = api("staff_a").post(
            "/api/v1/activities/",
            {
                "station": "A",
                "title": "义诊",
                "kind": "health_check",
                "starts_at": timezone.now().isoformat(),
                "place": "医务室",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert Activity.objects.get().organiser_staff == cast.staff_a
        response = api("staff_a").post(
            "/api/v1/activities/",
            {
                "station": "B",
                "title": "x",
                "kind": "other",
                "starts_at": timezone.now().isoformat(),
                "place": "x",
            },
            format="json",
        )
        assert response.status_code == 400
        assert Activity.objects.count() == 1

    def test_attendance_is_idempotent_and_scoped(self, cast, api):
        activity = plan(cast.staff_a, cast.a)
        ours = [ElderFactory(station=cast.a) for _ in range(3)]
        theirs = ElderFactory(station=cast.b, name="乙站老人")
        url = f"/api/v1/activities/{activity.pk}/attendance/"
        client = api("staff_a")
        for _ in range(2):
            response = client.post(url, {"elders": [e.pk for e in ours]}, format="json")
            assert response.status_code == 200
            assert sorted(r["elder"] for r in response.json()) == sorted(
                e.pk for e in ours
            )
        refused = client.post(url, {"elders": [ours[0].pk, theirs.pk]}, format="json")
        assert refused.status_code == 400
        assert "乙站老人" not in refused.content.decode()
        assert Participation.objects.count() == 3
        assert len(client.get(url).json()) == 3

    def test_another_stations_activity_is_not_found(self, cast, api):
        activity = plan(cast.staff_b, cast.b)
        url = f"/api/v1/activities/{activity.pk}/attendance/"
        assert api("staff_a").get(url).status_code == 404
        response = api("staff_a").post(
            url, {"elders": [ElderFactory(station=cast.a).pk]}, format="json"
        )
        assert response.status_code == 404
        assert not Participation.objects.exists()

    def test_the_supervisor_reads_but_cannot_write(self, cast, api):
        activity = plan(cast.staff_a, cast.a)
        url = f"/api/v1/activities/{activity.pk}/attendance/"
        assert api("supervisor").get(url).status_code == 200
        response = api("supervisor").post(
            url, {"elders": [ElderFactory(station=cast.a).pk]}, format="json"
        )
        assert response.status_code == 403
        assert not Participation.objects.exists()

    def test_volunteers_see_no_activities(self, cast, api):
        plan(cast.staff_a, cast.a)
        assert api("volunteer_a").get("/api/v1/activities/").json()["results"] == []


class TestPages:
    def test_the_list_costs_the_same_queries_whatever_its_length(self, client, cast):
        client.force_login(cast.staff_a)

        def queries_for_list() -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(reverse("activities:list")).status_code == 200
            return len(captured)

        plan(cast.staff_a, cast.a)
        few = queries_for_list()
        for n in range(15):
            activity = plan(cast.staff_a, cast.a, title=f"活动{n}")
            actions.activity_attendance_mark(
                actor=cast.staff_a,
                activity=activity,
                elder_ids=[ElderFactory(station=cast.a).pk],
            )
        assert queries_for_list() == few

    def test_another_stations_pages_answer_404(self, client, cast):
        activity = plan(cast.staff_b, cast.b, title="乙站讲座")
        client.force_login(cast.staff_a)
        assert (
            client.get(reverse("activities:detail", args=[activity.pk])).status_code
            == 404
        )
        assert (
            client.get(reverse("activities:edit", args=[activity.pk])).status_code
            == 404
        )
        response = client.post(
            reverse("activities:detail", args=[activity.pk]),
            {"elders": [ElderFactory(station=cast.b).pk], "what": "attendance"},
        )
        assert response.status_code == 404
        assert "乙站讲座" not in client.get(reverse("activities:list")).content.decode()
        assert not Participation.objects.exists()

    def test_a_forged_elder_of_another_station_writes_nothing(self, client, cast):
        activity = plan(cast.staff_a, cast.a)
        ours = ElderFactory(station=cast.a)
        client.force_login(cast.staff_a)
        client.post(
            reverse("activities:detail", args=[activity.pk]),
            {
                "elders": [ours.pk, ElderFactory(station=cast.b).pk],
                "what": "attendance",
            },
        )
        assert not Participation.objects.exists()

    def test_volunteers_get_403(self, client, cast):
        client.force_login(cast.volunteer_a)
        assert client.get(reverse("activities:list")).status_code == 403

    def test_the_attendance_sheet_offers_the_regulars(self, client, cast):
        before = plan(cast.staff_a, cast.a, days=-20)
        regular = ElderFactory(station=cast.a, name="常客")
        ElderFactory(station=cast.b, name="他站常客")
        actions.activity_attendance_mark(
            actor=cast.staff_a, activity=before, elder_ids=[regular.pk]
        )
        today = plan(cast.staff_a, cast.a, title="今天")
        client.force_login(cast.staff_a)
        html = client.get(
            reverse("activities:detail", args=[today.pk])
        ).content.decode()
        assert "常客" in html and "他站常客" not in html

    def test_the_elder_page_shows_the_latest_ten_at_constant_cost(self, client, cast):
        elder = ElderFactory(station=cast.a)
        client.force_login(cast.staff_a)
        url = reverse("elders:detail", args=[elder.pk])

        def queries_for_page() -> int:
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            return len(captured), response.content.decode()

        first = plan(cast.staff_a, cast.a, title="第一次", days=-30)
        actions.activity_attendance_mark(
            actor=cast.staff_a, activity=first, elder_ids=[elder.pk]
        )
        queries_for_page()  # the session's first page costs a few more
        few, _html = queries_for_page()
        for n in range(12):
            activity = plan(cast.staff_a, cast.a, title=f"活动{n:02d}", days=-n - 1)
            actions.activity_attendance_mark(
                actor=cast.staff_a, activity=activity, elder_ids=[elder.pk]
            )
        many, html = queries_for_page()
        assert many == few
        assert (
            html.count('href="/activities/') - html.count('href="/activities/?') >= 10
        )
        assert "活动00" in html and "第一次" not in html


class TestFigures:
    @pytest.fixture
    def held(self, cast):
        now = timezone.now()
        for station, actor in ((cast.a, cast.staff_a), (cast.b, cast.staff_b)):
            for n, kind in enumerate(["lecture", "health_check", "culture", "lecture"]):
                activity = plan(
                    actor, station, title=f"{kind}{n}", kind=kind, days=-n * 9
                )
                elders = [ElderFactory(station=station).pk for _ in range(n + 1)]
                actions.activity_attendance_mark(
                    actor=actor, activity=activity, elder_ids=elders
                )
        return now

    def direct(self, station, start, end):
        activities = Activity.objects.filter(
            station=station, starts_at__gte=start, starts_at__lt=end
        )
        return (
            activities.count(),
            Participation.objects.filter(
                activity__in=activities, attended=True
            ).count(),
        )

    def test_the_dashboard_counts_them(self, cast, held):
        from services.queries import month_bounds

        month = timezone.localdate().replace(day=1)
        first = (month - datetime.timedelta(days=60)).replace(day=1)
        supervision_actions.figures_refresh(first=first, last=month)
        for station in (cast.a, cast.b):
            m = first
            while m <= month:
                start, end = month_bounds(m)
                stored = {
                    metric: sum(
                        MonthlyFigure.objects.filter(
                            station=station, month=m, metric=metric
                        ).values_list("value", flat=True)
                    )
                    for metric in (Metric.ACTIVITIES, Metric.ACTIVITY_ATTENDANCES)
                }
                assert (
                    int(stored[Metric.ACTIVITIES]),
                    int(stored[Metric.ACTIVITY_ATTENDANCES]),
                ) == self.direct(station, start, end)
                m = (m + datetime.timedelta(days=32)).replace(day=1)
        assert MonthlyFigure.objects.filter(metric=Metric.ACTIVITIES).exists()

    def test_a_late_attendance_marks_its_month_for_the_next_refresh(self, cast, held):
        from supervision.models import StaleMonth

        StaleMonth.objects.all().delete()
        activity = Activity.objects.filter(station=cast.a).order_by("starts_at").first()
        actions.activity_attendance_mark(
            actor=cast.staff_a,
            activity=activity,
            elder_ids=[ElderFactory(station=cast.a).pk],
        )
        assert StaleMonth.objects.filter(
            station_id=cast.a.pk, family="activities"
        ).exists()

    def test_the_inspection_counts_them(self, cast, held):
        from inspections.figures import year_bounds

        year = timezone.localdate().year
        figures = figures_for(year, [cast.a.pk, cast.b.pk])
        start, end = year_bounds(year)
        for station in (cast.a, cast.b):
            assert (
                figures[station.pk].activities_held,
                figures[station.pk].activity_attendances,
            ) == self.direct(station, start, end)

    def test_the_home_page_counts_them(self, cast, held):
        from carecenter.models import Station
        from services.queries import month_bounds

        start, end = month_bounds(timezone.localdate())
        stations = Station.objects.filter(pk__in=[cast.a.pk, cast.b.pk])
        held_counts = queries.activities_this_month(stations)
        came_counts = queries.attendances_this_month(stations)
        for station in (cast.a, cast.b):
            assert (
                held_counts.get(station.pk, 0),
                came_counts.get(station.pk, 0),
            ) == self.direct(station, start, end)
        assert count_by_station(Activity.objects.none()) == {}


def test_those_signed_up_are_ticked_until_attendance_is_taken(client, cast):
    activity = plan(cast.staff_a, cast.a)
    signed = [ElderFactory(station=cast.a) for _ in range(3)]
    actions.activity_sign_up(
        actor=cast.staff_a, activity=activity, elder_ids=[e.pk for e in signed]
    )
    client.force_login(cast.staff_a)
    url = reverse("activities:detail", args=[activity.pk])
    assert client.get(url).content.decode().count(" checked") == 3
    client.post(url, {"elders": [signed[0].pk], "what": "attendance"})
    assert client.get(url).content.decode().count(" checked") == 1
