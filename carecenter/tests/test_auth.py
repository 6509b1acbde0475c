"""Sign-in, lock-out, session lifetime, caching and the admin's door."""

import logging
import time

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def login(client, username, password="pw"):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_it_signs_in_and_lands_on_home(client, cast):
    response = login(client, "staff_a")
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_pages_need_a_signed_in_user(client, cast):
    for name in ["home", "station-list"]:
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_it_logs_success_and_failure_without_the_password(client, cast, caplog):
    caplog.set_level(logging.INFO, logger="carecenter.security")
    login(client, "staff_a", "wrong-secret")
    login(client, "staff_a")
    text = caplog.text
    assert "login failed: username='staff_a'" in text
    assert f"login: user={cast.staff_a.pk}" in text
    assert "wrong-secret" not in text


def test_it_locks_an_account_after_five_failures(client, cast):
    for _ in range(5):
        login(client, "staff_a", "wrong")
    response = login(client, "staff_a")  # the right password no longer helps
    assert response.status_code == 429
    assert "registration/locked_out.html" in [t.name for t in response.templates]


def test_logout_needs_a_post(client, cast):
    client.force_login(cast.staff_a)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_the_session_ends_after_30_idle_minutes(client, cast):
    client.force_login(cast.staff_a)
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    session["_carecenter_session_seen"] = time.time() - 31 * 60
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_the_session_ends_12_hours_after_sign_in_however_active(client, cast):
    client.force_login(cast.staff_a)
    client.get(reverse("home"))
    session = client.session
    session["_carecenter_session_started"] = time.time() - 12 * 3600 - 1
    session.save()
    response = client.get(reverse("home"))
    assert response.status_code == 302


def test_an_active_session_stays_open(client, cast):
    client.force_login(cast.staff_a)
    client.get(reverse("home"))
    session = client.session
    session["_carecenter_session_seen"] = time.time() - 29 * 60
    session.save()
    assert client.get(reverse("home")).status_code == 200


def test_the_idle_clock_is_written_once_a_minute_not_on_every_page(client, cast):
    from django.contrib.sessions.models import Session

    client.force_login(cast.staff_a)
    client.get(reverse("home"))
    key = client.session.session_key
    written = Session.objects.get(session_key=key).expire_date
    client.get(reverse("home"))
    assert Session.objects.get(session_key=key).expire_date == written
    session = client.session
    session["_carecenter_session_seen"] = time.time() - 61
    session.save()
    before = Session.objects.get(session_key=key).expire_date
    client.get(reverse("home"))
    assert Session.objects.get(session_key=key).expire_date > before
    assert client.session["_carecenter_session_seen"] > time.time() - 5


def test_pages_with_personal_data_are_never_cached(client, cast):
    client.force_login(cast.staff_a)
    response = client.get(reverse("station-detail", args=[cast.a.pk]))
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_csrf_is_enforced(cast):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("login"), {"username": "staff_a", "password": "pw"})
    assert response.status_code == 403


def test_password_change(client, cast):
    client.force_login(cast.staff_a)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pw",
            "new_password1": "k7#Lq9-zw!Rt",
            "new_password2": "k7#Lq9-zw!Rt",
        },
    )
    assert response.status_code == 302
    cast.staff_a.refresh_from_db()
    assert cast.staff_a.check_password("k7#Lq9-zw!Rt")


@pytest.mark.parametrize(
    "username", ["staff_a", "manager_a", "supervisor", "volunteer_a"]
)
def test_the_admin_is_closed_to_everyone_but_administrators(client, cast, username):
    user = getattr(cast, username)
    user.is_staff = True  # even Django's staff flag does not open it
    user.save()
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "login" in response.url


def test_the_admin_opens_to_the_administrator_role(client, cast):
    cast.admin.is_staff = True
    cast.admin.save()
    client.force_login(cast.admin)
    assert client.get(reverse("admin:index")).status_code == 200
    assert client.get(reverse("admin:carecenter_station_changelist")).status_code == 200
    assert client.get(reverse("admin:carecenter_user_changelist")).status_code == 200


def test_a_volunteer_starts_on_their_own_elders(client, cast):
    client.force_login(cast.volunteer_a)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("volunteers:my-elders")


def test_staff_who_also_volunteer_keep_the_station_home(client, cast):
    from carecenter.actions import role_grant
    from carecenter.models import Role

    role_grant(actor=None, user=cast.staff_a, role=Role.VOLUNTEER, station=cast.a)
    client.force_login(cast.staff_a)
    assert client.get(reverse("home")).status_code == 200
