"""The elder pages: scoping, masking, forms, query counts, the needs summary."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from elders.id_numbers import make_id_number, mask
from elders.models import Elder, Tier
from elders.tests.factories import (
    BarthelAssessmentFactory,
    ElderFactory,
    FamilyContactFactory,
    NeedsSurveyFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def elders(cast):
    return {
        "a": ElderFactory(station=cast.a, name="甲老人"),
        "b": ElderFactory(station=cast.b, name="乙老人"),
        "c": ElderFactory(station=cast.c, name="丙老人"),
    }


READS = {
    "staff_a": {"a"},
    "manager_a": {"a"},
    "staff_b": {"b"},
    "supervisor": {"a", "b"},
    "admin": {"a", "b", "c"},
}


def detail_pages(elder):
    contact = FamilyContactFactory(elder=elder)
    return [
        reverse("elders:detail", args=[elder.pk]),
        reverse("elders:edit", args=[elder.pk]),
        reverse("elders:contact-add", args=[elder.pk]),
        reverse("elders:contact-edit", args=[elder.pk, contact.pk]),
        reverse("elders:assessment-add", args=[elder.pk]),
        reverse("elders:survey-add", args=[elder.pk]),
        reverse("elders:tier-override", args=[elder.pk]),
    ]


@pytest.mark.parametrize("username, expected", READS.items())
def test_the_list_shows_only_elders_in_scope(client, cast, elders, username, expected):
    client.force_login(getattr(cast, username))
    response = client.get(reverse("elders:list"))
    assert {e.name for e in response.context["elders"]} == {
        elders[key].name for key in expected
    }


@pytest.mark.parametrize("username, expected", READS.items())
def test_every_elder_page_answers_404_outside_scope(
    client, cast, elders, username, expected
):
    client.force_login(getattr(cast, username))
    for key, elder in elders.items():
        for url in detail_pages(elder):
            response = client.get(url)
            if key not in expected:
                assert response.status_code == 404, url
            else:
                assert response.status_code in (200, 403), url


def test_volunteers_do_not_open_the_archive_pages(client, cast, elders):
    client.force_login(cast.volunteer_a)
    assert client.get(reverse("elders:list")).status_code == 403
    assert (
        client.get(reverse("elders:detail", args=[elders["a"].pk])).status_code == 403
    )
    assert client.get(reverse("elders:needs-summary")).status_code == 403


def test_the_supervisor_reads_but_cannot_write(client, cast, elders):
    client.force_login(cast.supervisor)
    assert (
        client.get(reverse("elders:detail", args=[elders["a"].pk])).status_code == 200
    )
    response = client.post(
        reverse("elders:edit", args=[elders["a"].pk]), {"name": "改"}
    )
    assert response.status_code == 403
    html = client.get(reverse("elders:detail", args=[elders["a"].pk])).content.decode()
    assert reverse("elders:edit", args=[elders["a"].pk]) not in html


class TestMasking:
    def test_staff_see_the_id_masked_everywhere(self, client, cast, elders):
        elder = elders["a"]
        client.force_login(cast.staff_a)
        for url in [reverse("elders:list"), reverse("elders:detail", args=[elder.pk])]:
            html = client.get(url).content.decode()
            assert elder.id_number not in html
            assert mask(elder.id_number) in html

    def test_the_page_masks_it_for_the_manager_too_until_revealed(
        self, client, cast, elders
    ):
        client.force_login(cast.manager_a)
        url = reverse("elders:detail", args=[elders["a"].pk])
        html = client.get(url).content.decode()
        assert elders["a"].id_number not in html
        assert reverse("elders:reveal-id", args=[elders["a"].pk]) in html

    def test_the_edit_form_keeps_the_number_when_left_masked(
        self, client, cast, elders
    ):
        elder = elders["a"]
        client.force_login(cast.staff_a)
        form = client.get(reverse("elders:edit", args=[elder.pk])).context["form"]
        assert (
            elder.id_number
            not in client.get(reverse("elders:edit", args=[elder.pk])).content.decode()
        )
        data = {k: v for k, v in form.initial.items() if v is not None}
        data.update({"name": "甲老人（改）", "categories": []})
        data = {k: v for k, v in data.items() if not isinstance(v, bool) or v}
        response = client.post(reverse("elders:edit", args=[elder.pk]), data)
        assert response.status_code == 302, response.context["form"].errors
        refreshed = Elder.objects.get(pk=elder.pk)
        assert refreshed.name == "甲老人（改）"
        assert refreshed.id_number == elder.id_number


class TestCreate:
    def post(self, client, **overrides):
        born = datetime.date(1948, 9, 9)
        data = {
            "name": "赵建华",
            "gender": "M",
            "birth_date": born.isoformat(),
            "id_number": make_id_number("330102", born, 42, "M"),
            "hukou_local": "on",
            "living_arrangement": "spouse",
            "status": "active",
        }
        data.update(overrides)
        return client.post(reverse("elders:create"), data)

    def test_staff_open_an_archive_for_their_station(self, client, cast):
        client.force_login(cast.staff_a)
        response = self.post(client, station=cast.a.pk)
        elder = Elder.objects.get()
        assert response.status_code == 302 and response.url == elder.get_absolute_url()
        assert elder.station == cast.a

    def test_a_bad_id_is_answered_on_the_field_and_nothing_is_written(
        self, client, cast
    ):
        client.force_login(cast.staff_a)
        response = self.post(client, station=cast.a.pk, id_number="330102194809090420")
        assert response.status_code == 200
        assert "id_number" in response.context["form"].errors
        assert not Elder.objects.exists()

    def test_another_stations_choice_is_refused(self, client, cast):
        client.force_login(cast.staff_a)
        response = self.post(client, station=cast.b.pk)
        assert "station" in response.context["form"].errors
        assert not Elder.objects.exists()


def test_the_tier_override_page_is_for_the_manager(client, cast, elders):
    url = reverse("elders:tier-override", args=[elders["a"].pk])
    client.force_login(cast.staff_a)
    assert client.post(url, {"tier": "free", "reason": "x"}).status_code == 403
    client.force_login(cast.manager_a)
    assert client.post(url, {"tier": "free", "reason": "困难"}).status_code == 302
    html = client.get(reverse("elders:detail", args=[elders["a"].pk])).content.decode()
    assert "困难" in html


def test_an_assessment_through_the_form_changes_the_tier(client, cast):
    elder = ElderFactory(
        station=cast.a,
        birth_date=datetime.date(1940, 1, 1),
        living_arrangement="alone",
        financial_difficulty=True,
    )
    client.force_login(cast.staff_a)
    detail = reverse("elders:detail", args=[elder.pk])
    assert client.get(detail).context["eligibility"].tier == Tier.PAID
    scores = {
        "feeding": 10,
        "bathing": 0,
        "grooming": 5,
        "dressing": 5,
        "bowels": 10,
        "bladder": 10,
        "toilet": 5,
        "transfers": 10,
        "mobility": 10,
        "stairs": 0,
    }
    response = client.post(
        reverse("elders:assessment-add", args=[elder.pk]),
        {"assessed_on": datetime.date.today().isoformat(), "notes": "", **scores},
    )
    assert response.status_code == 302
    assert client.get(detail).context["eligibility"].tier == Tier.LOW_COST


class TestQueryCounts:
    def test_the_list_costs_the_same_for_3_or_40_elders(self, client, cast):
        client.force_login(cast.supervisor)
        for _n in range(3):
            ElderFactory(station=cast.a)
        client.get(reverse("elders:list"))
        with CaptureQueriesContext(connection) as few:
            client.get(reverse("elders:list") + "?tier=paid&ordering=-birth_date")
        for _n in range(37):
            ElderFactory(station=cast.b)
        with CaptureQueriesContext(connection) as many:
            response = client.get(
                reverse("elders:list") + "?tier=paid&ordering=-birth_date"
            )
        assert len(response.context["elders"]) == 25
        assert len(many) == len(few)

    def test_the_detail_costs_the_same_with_more_records(self, client, cast):
        elder = ElderFactory(station=cast.a)
        client.force_login(cast.staff_a)
        url = reverse("elders:detail", args=[elder.pk])
        client.get(url)
        # (Inside the test's one transaction the rows written after a request
        # carry that request's audit context, so the first ones come after one too.)
        FamilyContactFactory(elder=elder)
        BarthelAssessmentFactory(elder=elder)
        NeedsSurveyFactory(elder=elder)
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            client.get(url)
        for _n in range(5):
            FamilyContactFactory(elder=elder)
            BarthelAssessmentFactory(elder=elder)
            NeedsSurveyFactory(elder=elder)
        with CaptureQueriesContext(connection) as many:
            client.get(url)
        assert len(many) == len(few)


class TestFilters:
    def test_search_by_name_phone_and_id_tail(self, client, cast):
        one = ElderFactory(station=cast.a, name="钱玉梅", phone="138 0000 5555")
        ElderFactory(station=cast.a, name="孙立")
        client.force_login(cast.staff_a)
        for q in ["玉梅", "5555", one.id_number[-4:]]:
            names = [
                e.name
                for e in client.get(reverse("elders:list"), {"q": q}).context["elders"]
            ]
            assert names == ["钱玉梅"], q

    def test_a_chinese_search_puts_the_exact_name_then_the_surname_first(
        self, client, cast
    ):
        for name in ["张王芳", "王芳英", "王芳", "李芳王", "芳王", "王小明"]:
            ElderFactory(station=cast.a, name=name)
        client.force_login(cast.staff_a)

        def found(q, **params):
            response = client.get(reverse("elders:list"), {"q": q, **params})
            return [e.name for e in response.context["elders"]]

        assert found("王芳") == ["王芳", "王芳英", "张王芳"]
        # Surname first, then the rest; each group in pinyin order.
        assert found("王") == ["王芳", "王芳英", "王小明", "芳王", "李芳王", "张王芳"]
        assert found(" 王 芳 ") == found("王芳")  # spaces typed by hand do not count
        assert found("王芳", ordering="-name") == ["张王芳", "王芳英", "王芳"]
        assert found("小明王") == []

    def test_age_band_and_tier(self, client, cast):
        today = datetime.date.today()
        ElderFactory(
            station=cast.a, name="九十", birth_date=today.replace(year=today.year - 91)
        )
        ElderFactory(
            station=cast.a,
            name="六十五",
            birth_date=today.replace(year=today.year - 65),
            categories=["three_no"],
        )
        client.force_login(cast.staff_a)
        get = lambda **q: [
            e.name for e in client.get(reverse("elders:list"), q).context["elders"]
        ]
        assert get(age_band="90+") == ["九十"]
        assert get(age_band="60-69") == ["六十五"]
        assert get(tier="free") == ["六十五"]
        assert get(category="three_no") == ["六十五"]


class TestNeedsSummary:
    def test_it_counts_the_latest_survey_by_band_and_group(self, client, cast):
        today = datetime.date.today()
        old = ElderFactory(
            station=cast.a,
            birth_date=today.replace(year=today.year - 101),
            living_arrangement="alone",
            categories=["disabled"],
        )
        young = ElderFactory(
            station=cast.a, birth_date=today.replace(year=today.year - 63)
        )
        NeedsSurveyFactory(
            elder=old, surveyed_on=today - datetime.timedelta(100), needs=["repair"]
        )
        NeedsSurveyFactory(elder=old, surveyed_on=today, needs=["meal", "medical"])
        NeedsSurveyFactory(elder=young, surveyed_on=today, needs=["meal"])
        ElderFactory(station=cast.b)  # never surveyed
        other = ElderFactory(station=cast.c)
        NeedsSurveyFactory(elder=other, surveyed_on=today, needs=["meal"])

        client.force_login(cast.staff_a)
        summary = client.get(reverse("elders:needs-summary")).context["summary"]
        assert summary.surveyed == {
            "90+": 1,
            "60-69": 1,
            "empty_nest_alone": 1,
            "disabled": 1,
            "centenarian": 1,
        }
        assert summary.counts[("90+", "meal")] == 1
        assert summary.counts[("60-69", "meal")] == 1
        assert summary.counts[("centenarian", "medical")] == 1
        assert ("90+", "repair") not in summary.counts  # an older survey does not count

    def test_the_supervisor_sums_the_district_only(self, client, cast):
        for station in (cast.a, cast.b, cast.c):
            NeedsSurveyFactory(elder=ElderFactory(station=station), needs=["chat"])
        client.force_login(cast.supervisor)
        summary = client.get(reverse("elders:needs-summary")).context["summary"]
        assert (
            sum(n for (group, need), n in summary.counts.items() if need == "chat") == 2
        )


class TestElderPicker:
    """The search behind the elder pickers of the service record and pairing forms."""

    def test_it_finds_active_elders_of_the_users_stations(self, client, cast):
        from elders.tests.factories import ElderFactory

        ElderFactory(station=cast.a, name="王秀英")
        ElderFactory(station=cast.a, name="王建国", status="deceased")
        ElderFactory(station=cast.b, name="王桂兰")
        client.force_login(cast.staff_a)
        response = client.get(reverse("elders:pick"), {"q": "王"})
        assert [e.name for e in response.context["elders"]] == ["王秀英"]

    def test_it_narrows_to_a_station(self, client, cast):
        from elders.tests.factories import ElderFactory

        ElderFactory(station=cast.a, name="李明")
        other = ElderFactory(station=cast.b, name="李华")
        client.force_login(cast.supervisor)
        response = client.get(reverse("elders:pick"), {"q": "李", "station": cast.b.pk})
        assert response.context["elders"] == [other]

    def test_an_empty_query_lists_nobody_and_volunteers_are_refused(self, client, cast):
        client.force_login(cast.staff_a)
        assert client.get(reverse("elders:pick"), {"q": " "}).context["elders"] == []
        client.force_login(cast.volunteer_a)
        assert client.get(reverse("elders:pick"), {"q": "王"}).status_code == 403

    def test_the_picker_never_names_an_elder_outside_the_scope(self, client, cast):
        from elders.tests.factories import ElderFactory

        hidden = ElderFactory(station=cast.b, name="赵秘密")
        client.force_login(cast.staff_a)
        page = client.get(reverse("services:record-create"), {"elder": hidden.pk})
        assert "赵秘密" not in page.content.decode()
        mine = ElderFactory(station=cast.a, name="赵大爷")
        page = client.get(reverse("services:record-create"), {"elder": mine.pk})
        assert "赵大爷" in page.content.decode()

    def test_the_service_form_no_longer_lists_every_elder(self, client, cast):
        from elders.tests.factories import ElderFactory

        for n in range(30):
            ElderFactory(station=cast.a, name=f"老人甲{n}")
        client.force_login(cast.staff_a)
        html = client.get(reverse("services:record-create")).content.decode()
        assert "老人甲2" not in html


def test_every_barthel_score_shows_its_standard_description(client, cast):
    from django.utils.html import escape

    from elders.models import BARTHEL_DESCRIPTIONS, BARTHEL_ITEMS

    for item, (_label, scale) in BARTHEL_ITEMS.items():
        assert set(BARTHEL_DESCRIPTIONS[item]) == set(scale), item
    elder = ElderFactory(station=cast.a)
    client.force_login(cast.staff_a)
    url = reverse("elders:assessment-add", args=[elder.pk])
    html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content
    html = html.decode()
    for item, scores in BARTHEL_DESCRIPTIONS.items():
        for score, text in scores.items():
            assert escape(f"{score} · {text}") in html, (item, score)


def test_the_override_box_names_the_manager_not_their_login(client, cast):
    from elders import actions

    cast.manager_a.first_name, cast.manager_a.last_name = "站长", "赵"
    cast.manager_a.save()
    elder = ElderFactory(station=cast.a)
    actions.tier_override_set(
        actor=cast.manager_a, elder=elder, tier=Tier.FREE, reason="家中突发困难"
    )
    client.force_login(cast.staff_a)
    html = client.get(reverse("elders:detail", args=[elder.pk])).content.decode()
    assert str(cast.manager_a) in html
    assert "manager_a" not in html
