"""The scoping matrix: who sees which station, by page and by API."""

import pytest
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import Http404
from django.urls import reverse

from carecenter.models import LeadingGroupMember, Station
from carecenter.scoping import (
    can_supervise,
    get_visible_or_404,
    require_supervise,
    require_write,
    scope_form_choices,
    supervised_stations,
    visible_to,
    writable_stations,
)
from carecenter.tests.factories import LeadingGroupMemberFactory

pytestmark = pytest.mark.django_db

# user -> the station codes they may read
READS = {
    "staff_a": {"A"},
    "manager_a": {"A"},
    "staff_b": {"B"},
    "supervisor": {"A", "B"},
    "volunteer_a": {"A"},
    "admin": {"A", "B", "C"},
}


@pytest.mark.parametrize("username, expected", READS.items())
def test_it_limits_stations_to_the_users_scope(cast, username, expected):
    user = getattr(cast, username)
    codes = set(visible_to(user, Station.objects.all()).values_list("code", flat=True))
    assert codes == expected


@pytest.mark.parametrize("username, expected", READS.items())
def test_it_answers_404_for_a_station_outside_scope(cast, username, expected):
    user = getattr(cast, username)
    for station in (cast.a, cast.b, cast.c):
        if station.code in expected:
            assert get_visible_or_404(user, Station, pk=station.pk) == station
        else:
            with pytest.raises(Http404):
                get_visible_or_404(user, Station, pk=station.pk)


def test_it_shows_nothing_to_a_user_without_roles(cast, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="pw")
    assert not visible_to(nobody, Station.objects.all()).exists()


def test_it_shows_nothing_to_an_inactive_user(cast):
    cast.staff_a.is_active = False
    assert not visible_to(cast.staff_a, Station.objects.all()).exists()


def test_it_scopes_models_that_reach_their_station_through_a_field(cast):
    LeadingGroupMemberFactory(station=cast.a, name="甲组长")
    LeadingGroupMemberFactory(station=cast.b, name="乙组长")
    LeadingGroupMemberFactory(station=cast.c, name="丙组长")
    names = lambda user: set(
        visible_to(user, LeadingGroupMember.objects.all()).values_list(
            "name", flat=True
        )
    )
    assert names(cast.staff_a) == {"甲组长"}
    assert names(cast.staff_b) == {"乙组长"}
    assert names(cast.supervisor) == {"甲组长", "乙组长"}
    assert names(cast.admin) == {"甲组长", "乙组长", "丙组长"}
    # A volunteer sees only what a model grants volunteers: no leading group.
    assert names(cast.volunteer_a) == set()


def test_a_user_with_two_roles_sees_the_union(cast):
    from carecenter.actions import role_grant
    from carecenter.models import Role

    role_grant(actor=cast.admin, user=cast.staff_a, role=Role.VOLUNTEER, station=cast.c)
    codes = set(
        visible_to(cast.staff_a, Station.objects.all()).values_list("code", flat=True)
    )
    assert codes == {"A", "C"}
    assert set(writable_stations(cast.staff_a).values_list("code", flat=True)) == {"A"}


def test_it_refuses_to_scope_a_model_without_a_station_path(cast):
    from carecenter.models import District

    with pytest.raises(ImproperlyConfigured):
        visible_to(cast.staff_a, District.objects.all())


class TestRequireWrite:
    def test_it_lets_staff_write_their_own_station(self, cast):
        require_write(cast.staff_a, cast.a)

    def test_it_answers_404_for_another_station(self, cast):
        with pytest.raises(Http404):
            require_write(cast.staff_a, cast.b)

    def test_it_answers_403_to_the_read_only_supervisor(self, cast):
        with pytest.raises(PermissionDenied):
            require_write(cast.supervisor, cast.a)

    def test_it_answers_404_to_a_supervisor_of_another_district(self, cast):
        with pytest.raises(Http404):
            require_write(cast.supervisor, cast.c)

    def test_it_answers_403_to_a_volunteer(self, cast):
        with pytest.raises(PermissionDenied):
            require_write(cast.volunteer_a, cast.a)

    def test_it_reserves_manager_actions_for_the_manager(self, cast):
        require_write(cast.manager_a, cast.a, manager=True)
        with pytest.raises(PermissionDenied):
            require_write(cast.staff_a, cast.a, manager=True)

    def test_the_administrator_may_write_anywhere(self, cast):
        require_write(cast.admin, cast.c, manager=True)

    def test_it_logs_the_denial(self, cast, caplog):
        with pytest.raises(Http404):
            require_write(cast.staff_a, cast.b)
        assert "denied" in caplog.text


# user -> the station codes they supervise (inspections, funding decisions)
SUPERVISES = {
    "staff_a": set(),
    "manager_a": set(),
    "staff_b": set(),
    "supervisor": {"A", "B"},
    "volunteer_a": set(),
    "admin": {"A", "B", "C"},
}


class TestSupervise:
    @pytest.mark.parametrize("username, expected", SUPERVISES.items())
    def test_only_the_districts_supervisor_and_the_administrator_supervise(
        self, cast, username, expected
    ):
        user = getattr(cast, username)
        allowed = {s.code for s in (cast.a, cast.b, cast.c) if can_supervise(user, s)}
        assert allowed == expected
        codes = set(supervised_stations(user).values_list("code", flat=True))
        assert codes == expected

    def test_it_answers_403_to_the_stations_own_manager(self, cast):
        with pytest.raises(PermissionDenied):
            require_supervise(cast.manager_a, cast.a)

    def test_it_answers_404_outside_the_users_scope(self, cast):
        with pytest.raises(Http404):
            require_supervise(cast.manager_a, cast.b)
        with pytest.raises(Http404):
            require_supervise(cast.supervisor, cast.c)

    def test_it_answers_403_to_a_volunteer(self, cast):
        with pytest.raises(PermissionDenied):
            require_supervise(cast.volunteer_a, cast.a)

    def test_the_supervisor_passes_for_the_district(self, cast):
        require_supervise(cast.supervisor, cast.b)
        require_supervise(cast.admin, cast.c)

    def test_an_inactive_supervisor_supervises_nothing(self, cast):
        cast.supervisor.is_active = False
        cast.supervisor.__dict__.pop("_carecenter_scope", None)
        assert not can_supervise(cast.supervisor, cast.a)


def test_form_choices_offer_only_writable_stations(cast):
    from django import forms

    class StationChoiceForm(forms.Form):
        station = forms.ModelChoiceField(queryset=Station.objects.all())
        member = forms.ModelChoiceField(queryset=LeadingGroupMember.objects.all())

    LeadingGroupMemberFactory(station=cast.b)
    form = StationChoiceForm()
    scope_form_choices(form, cast.staff_a)
    assert list(form.fields["station"].queryset) == [cast.a]
    assert not form.fields["member"].queryset.exists()

    bound = StationChoiceForm(data={"station": cast.b.pk})
    scope_form_choices(bound, cast.staff_a)
    assert not bound.is_valid()
    assert "station" in bound.errors


# --- The same matrix over HTML pages and the API ---------------------------------


@pytest.mark.parametrize("username, expected", READS.items())
def test_the_station_page_answers_404_outside_scope(client, cast, username, expected):
    client.force_login(getattr(cast, username))
    for station in (cast.a, cast.b, cast.c):
        response = client.get(reverse("station-detail", args=[station.pk]))
        assert response.status_code == (200 if station.code in expected else 404)


def test_the_station_list_page_lists_only_the_district(client, cast):
    client.force_login(cast.supervisor)
    response = client.get(reverse("station-list"))
    assert response.status_code == 200
    assert [s.code for s in response.context["stations"]] == ["A", "B"]
    assert "丙站" not in response.content.decode()


def test_the_home_page_shows_only_own_station(client, cast):
    client.force_login(cast.staff_b)
    html = client.get(reverse("home")).content.decode()
    assert "乙站" in html
    assert "甲站" not in html and "丙站" not in html


@pytest.mark.parametrize("username, expected", READS.items())
def test_the_api_lists_only_stations_in_scope(client, cast, username, expected):
    client.force_login(getattr(cast, username))
    response = client.get("/api/v1/stations/")
    assert response.status_code == 200
    assert {row["code"] for row in response.json()["results"]} == expected


@pytest.mark.parametrize("username, expected", READS.items())
def test_the_api_answers_404_for_a_station_outside_scope(
    client, cast, username, expected
):
    client.force_login(getattr(cast, username))
    for station in (cast.a, cast.b, cast.c):
        response = client.get(f"/api/v1/stations/{station.pk}/")
        assert response.status_code == (200 if station.code in expected else 404)
