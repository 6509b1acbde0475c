"""What keeps the pages everyone opens fast at district scale: counts capped
beyond a threshold with every page still reachable, the supervisor's scope on
the elder's own district column, a surname search read in index order, and the
home page's counts kept by the database instead of counted per load."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carecenter import home_counts, pagination
from carecenter.models import StationCount
from carecenter.scoping import visible_to
from carecenter.tests.factories import StationFactory
from elders.models import Elder, Status
from elders.tests.factories import ElderFactory

pytestmark = pytest.mark.django_db


def _names(response):
    return [e.name for e in response.context["elders"]]


def _walk(client, url):
    """Every name of a list, following its "Next" pages."""
    names, page = [], 1
    while True:
        response = client.get(
            f"{url}&page={page}" if "?" in url else f"{url}?page={page}"
        )
        names += _names(response)
        if not response.context["page_obj"].has_next():
            return names, response
        page += 1


class TestCappedCounts:
    def test_a_small_list_is_counted_exactly(self, client, cast):
        for n in range(3):
            ElderFactory(station=cast.a, name=f"张{n}")
        client.force_login(cast.staff_a)
        response = client.get(reverse("elders:list"))
        assert response.context["page_obj"].paginator.count == 3
        assert not response.context["page_obj"].paginator.capped
        assert response.context["page_obj"].paginator.count_label == "3"

    def test_beyond_the_cap_it_says_so_and_every_page_is_reached(
        self, client, cast, monkeypatch
    ):
        monkeypatch.setattr(pagination, "COUNT_CAP", 5)
        monkeypatch.setattr("elders.views.PAGE_SIZE", 2)
        made = sorted(f"张{n:02d}" for n in range(11))
        for name in made:
            ElderFactory(station=cast.a, name=name)
        client.force_login(cast.staff_a)

        first = client.get(reverse("elders:list"))
        paginator = first.context["page_obj"].paginator
        assert paginator.capped and paginator.count == 6
        assert paginator.count_label == "5+"
        assert "5+" in first.text
        assert 'id="page-jump"' in first.text  # "Go to page"
        names, last = _walk(client, reverse("elders:list"))
        assert names == made
        assert last.context["page_obj"].number == 6  # past the cap of 5 rows

    def test_a_page_number_past_the_end_falls_back_to_the_first_page(
        self, client, cast, monkeypatch
    ):
        monkeypatch.setattr(pagination, "COUNT_CAP", 2)
        for n in range(4):
            ElderFactory(station=cast.a, name=f"张{n}")
        client.force_login(cast.staff_a)
        response = client.get(reverse("elders:list") + "?page=99")
        assert response.context["page_obj"].number == 1
        response = client.get(reverse("elders:list") + "?page=abc")
        assert response.context["page_obj"].number == 1

    def test_the_count_reads_at_most_the_cap(self, cast, monkeypatch):
        for n in range(7):
            ElderFactory(station=cast.a, name=f"张{n}")
        paginator = pagination.CappedPaginator(Elder.objects.order_by("pk"), 2, cap=3)
        with CaptureQueriesContext(connection) as captured:
            assert paginator.count == 4
        assert "LIMIT 4" in captured.captured_queries[0]["sql"]


class TestSurnameSearch:
    def test_prefix_first_then_the_rest_each_in_pinyin_order_on_every_page(
        self, client, cast, monkeypatch
    ):
        monkeypatch.setattr(pagination, "COUNT_CAP", 4)
        monkeypatch.setattr("elders.views.PAGE_SIZE", 2)
        for name in ["王芳", "王", "李王明", "王大伟", "赵玉王", "孙立", "王桂芳"]:
            ElderFactory(station=cast.a, name=name)
        ElderFactory(station=cast.c, name="王小二")  # another district
        client.force_login(cast.staff_a)
        names, _last = _walk(client, reverse("elders:list") + "?q=王")
        # 王 wáng: the exact name, then dà, fāng, guì; then lǐ before zhào.
        assert names == ["王", "王大伟", "王芳", "王桂芳", "李王明", "赵玉王"]

    def test_a_chosen_sorting_replaces_relevance(self, client, cast):
        import datetime

        ElderFactory(station=cast.a, name="王一", birth_date=datetime.date(1950, 1, 1))
        ElderFactory(station=cast.a, name="李王", birth_date=datetime.date(1955, 1, 1))
        client.force_login(cast.staff_a)
        response = client.get(reverse("elders:list") + "?q=王&ordering=-birth_date")
        assert _names(response) == ["李王", "王一"]

    def test_filters_apply_to_both_parts_and_scope_holds(self, client, cast):
        ElderFactory(station=cast.a, name="王甲", status=Status.DECEASED)
        ElderFactory(station=cast.a, name="王乙")
        ElderFactory(station=cast.b, name="王丙")
        client.force_login(cast.staff_a)
        response = client.get(reverse("elders:list") + "?q=王&status=active")
        assert _names(response) == ["王乙"]
        export = client.get(reverse("elders:export") + "?q=王")
        assert export.status_code == 200


def test_the_supervisor_scope_reads_the_elders_district_without_a_join(cast):
    ElderFactory(station=cast.a)
    ElderFactory(station=cast.c)
    queryset = visible_to(cast.supervisor, Elder.objects.all())
    sql = str(queryset.query)
    assert "carecenter_station" not in sql
    assert '"elders_elder"."district_id" IN' in sql
    assert {e.station_id for e in queryset} == {cast.a.pk}


class TestKeptHomeCounts:
    def _direct(self):
        return {
            s: Elder.objects.filter(
                station_id=s, status__in=[Status.ACTIVE, Status.INSTITUTION]
            ).count()
            for s in Elder.objects.values_list("station_id", flat=True).distinct()
        }

    def _kept(self, cast):
        from carecenter.models import Station

        counts = home_counts.kept_counts(Station.objects.all(), "elders_on_file")
        return {s: n for s, n in counts.items() if n}

    def test_the_elders_count_follows_every_kind_of_write(self, cast):
        one = ElderFactory(station=cast.a)
        two = ElderFactory(station=cast.a)
        ElderFactory(station=cast.b, status=Status.INSTITUTION)
        assert self._kept(cast) == {cast.a.pk: 2, cast.b.pk: 1}
        Elder.objects.filter(pk=one.pk).update(status=Status.DECEASED)
        Elder.objects.filter(pk=two.pk).update(station=cast.b)
        assert (
            self._kept(cast)
            == {cast.b.pk: 2}
            == {k: v for k, v in self._direct().items() if v}
        )
        Elder.objects.filter(station=cast.b).delete()
        assert self._kept(cast) == {}

    def test_folding_keeps_the_counts_and_leaves_one_row_each(self, cast):
        for _n in range(4):
            ElderFactory(station=cast.a)
        before = self._kept(cast)
        home_counts.fold()
        assert self._kept(cast) == before
        assert StationCount.objects.filter(key="elders_on_file").count() == 1

    def test_the_home_page_counts_elders_and_records_from_kept_counts(
        self, client, cast
    ):
        for _n in range(3):
            ElderFactory(station=cast.a)
        client.force_login(cast.supervisor)
        client.get(reverse("home"))
        with CaptureQueriesContext(connection) as few:
            response = client.get(reverse("home"))
        # The kept counts read neither the elders nor the records.
        from carecenter.models import Station
        from elders.queries import active_elder_counts
        from services.queries import records_lacking_feedback_counts

        with CaptureQueriesContext(connection) as kept:
            active_elder_counts(Station.objects.all())
            records_lacking_feedback_counts(Station.objects.all())
        sql = " ".join(q["sql"] for q in kept.captured_queries)
        assert "elders_elder" not in sql
        assert "services_servicerecord" not in sql
        rows = dict((s.pk, c) for s, c in response.context["rows"])
        assert rows[cast.a.pk]["elders"] == 3
        for n in range(20):
            ElderFactory(station=StationFactory(district=cast.d1, code=f"Z{n}"))
        with CaptureQueriesContext(connection) as many:
            client.get(reverse("home"))
        assert len(many) == len(few)


def test_a_surname_search_costs_the_same_for_30_or_90_matches(client, cast):
    for n in range(30):
        ElderFactory(station=cast.a, name=f"王{n:03d}")
    client.force_login(cast.supervisor)
    url = reverse("elders:list") + "?q=王"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(30, 90):
        ElderFactory(station=cast.b, name=f"王{n:03d}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["elders"]) == 25
    assert len(many) == len(few)


class TestCountersReadTogether:
    def test_grouped_counts_are_read_in_one_statement_and_agree(self, cast):
        from carecenter.home import StationCounts, count_by_station

        for station, n in ((cast.a, 3), (cast.b, 1)):
            for _ in range(n):
                ElderFactory(station=station)
        counts = {
            "all": count_by_station(Elder.objects.all()),
            "a": count_by_station(Elder.objects.filter(station=cast.a)),
            "none": count_by_station(Elder.objects.none()),
            "kept": home_counts.kept_counts(
                visible_to(cast.supervisor, cast.a.__class__.objects.all()),
                "elders_on_file",
            ),
        }
        with CaptureQueriesContext(connection) as queries:
            sql, params, part_keys, empty_keys = StationCounts.union(counts)
            parts = StationCounts.run(sql, params, len(part_keys))
        read = dict(zip(part_keys, parts, strict=True))
        assert len(queries.captured_queries) == 1
        assert (part_keys, empty_keys) == (["all", "a", "kept"], ["none"])
        assert read["all"] == {cast.a.pk: 3, cast.b.pk: 1}
        assert read["a"] == {cast.a.pk: 3}
        assert dict(counts["none"]) == {}
        assert read["kept"][cast.a.pk] == 3 and read["kept"][cast.b.pk] == 1
        # Each alone reads the same.
        assert dict(count_by_station(Elder.objects.all())) == read["all"]

    def test_the_home_page_costs_the_same_whatever_the_counters_count(
        self, client, cast
    ):
        client.force_login(cast.supervisor)
        client.get(reverse("home"))

        def statements():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("home")).status_code == 200
            return len(queries.captured_queries)

        few = statements()
        for station in (cast.a, cast.b, cast.c):
            for _ in range(3):
                ElderFactory(station=station)
        assert statements() == few
        # The grouped counters are one statement, not one per counter.
        assert few < 12


class TestCounterStatementKept:
    def test_the_second_page_reuses_the_statement_and_counts_the_same(self, cast):
        from carecenter import home
        from carecenter.models import Station

        stations = Station.objects.all()
        ElderFactory(station=cast.a)
        first = home.counts_for(Station.objects.all())
        assert len(home._statements) == 1
        ElderFactory(station=cast.a)
        ElderFactory(station=cast.b)
        again = home.counts_for(Station.objects.all())
        home.forget_statements()
        fresh = home.counts_for(stations)
        assert again == fresh
        assert again[cast.a.pk]["elders"] == first[cast.a.pk]["elders"] + 1

    def test_a_new_day_builds_the_statement_again(self, cast, monkeypatch):
        import datetime

        from django.utils import timezone

        from carecenter import home
        from carecenter.models import Station

        home.counts_for(Station.objects.all())
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        monkeypatch.setattr(home.timezone, "localdate", lambda *a: tomorrow)
        home.counts_for(Station.objects.all())
        assert len(home._statements) == 2
