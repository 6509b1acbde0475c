"""API tokens expire and die with the password or the account (INTERFACES.md)."""

import datetime

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/token/"


def obtain(client, username="staff_a", password="pw"):
    return client.post(URL, {"username": username, "password": password})


def call(client, key):
    return client.get(
        "/api/v1/stations/",
        HTTP_AUTHORIZATION=f"Token {key}",
        HTTP_ACCEPT_LANGUAGE="en",
    )


def refused(response) -> bool:
    # 401 with the challenge: the token authentication comes first (DRF's rule).
    return (
        response.status_code == 401
        and response["WWW-Authenticate"] == "Token"
        and "detail" in response.json()
    )


def test_it_returns_the_token_and_when_it_expires(client, cast, settings):
    settings.API_TOKEN_LIFETIME = datetime.timedelta(hours=12)
    body = obtain(client).json()
    expires = parse_datetime(body["expires_at"])
    assert abs(expires - (timezone.now() + datetime.timedelta(hours=12))) < (
        datetime.timedelta(minutes=1)
    )
    assert call(client, body["token"]).status_code == 200
    # asked again before it expires: the same token
    assert obtain(client).json()["token"] == body["token"]


def test_a_wrong_password_gets_no_token(client, cast):
    assert obtain(client, password="nope").status_code == 400
    assert not Token.objects.exists()


def test_an_expired_token_is_refused_and_replaced(client, cast):
    key = obtain(client).json()["token"]
    Token.objects.filter(key=key).update(
        created=timezone.now() - datetime.timedelta(hours=12, seconds=1)
    )
    response = call(client, key)
    assert refused(response) and "expired" in response.json()["detail"]
    assert not Token.objects.filter(key=key).exists()
    fresh = obtain(client).json()["token"]
    assert fresh != key and call(client, fresh).status_code == 200


def test_the_lifetime_is_a_setting(client, cast, settings):
    settings.API_TOKEN_LIFETIME = datetime.timedelta(minutes=5)
    key = obtain(client).json()["token"]
    Token.objects.filter(key=key).update(
        created=timezone.now() - datetime.timedelta(minutes=6)
    )
    assert refused(call(client, key))


def test_a_password_change_revokes_it(client, cast):
    key = obtain(client).json()["token"]
    cast.staff_a.set_password("a-new-long-password-2026")
    cast.staff_a.save()
    assert refused(call(client, key))


def test_a_password_change_through_the_page_revokes_it(client, cast):
    key = obtain(client).json()["token"]
    client.force_login(cast.staff_a)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "pw",
            "new_password1": "Another-long-passphrase-77",
            "new_password2": "Another-long-passphrase-77",
        },
    )
    assert response.status_code == 302
    client.logout()
    assert refused(call(client, key))


def test_deactivation_revokes_it(client, cast):
    key = obtain(client).json()["token"]
    cast.staff_a.is_active = False
    cast.staff_a.save()
    assert not Token.objects.filter(key=key).exists()
    assert refused(call(client, key))


def test_other_users_tokens_live_on(client, cast):
    mine = obtain(client).json()["token"]
    theirs = obtain(client, "staff_b").json()["token"]
    cast.staff_a.set_password("a-new-long-password-2026")
    cast.staff_a.save()
    assert call(client, theirs).status_code == 200
    assert refused(call(client, mine))
