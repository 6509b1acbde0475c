"""The administrator edits the eligibility policy in the Django admin."""

import pytest
from django.urls import reverse

from elders.models import EligibilityPolicy
from elders.tests.factories import ElderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, cast):
    cast.admin.is_staff = True
    cast.admin.save()
    client.force_login(cast.admin)
    return client


def policy_url():
    return reverse("admin:elders_eligibilitypolicy_change", args=[1])


def test_the_policy_list_opens_the_one_policy(admin_client):
    response = admin_client.get(reverse("admin:elders_eligibilitypolicy_changelist"))
    assert response.status_code == 302
    assert response.url == policy_url()
    assert EligibilityPolicy.objects.count() == 1


def test_the_administrator_changes_a_threshold(admin_client):
    EligibilityPolicy.current()
    response = admin_client.post(
        policy_url(), {"service_age": 65, "senior_age": 80, "residence_years": 3}
    )
    assert response.status_code == 302
    policy = EligibilityPolicy.current()
    assert (policy.service_age, policy.senior_age, policy.residence_years) == (
        65,
        80,
        3,
    )


def test_a_senior_age_below_the_service_age_is_refused_and_nothing_changes(
    admin_client,
):
    EligibilityPolicy.current()
    response = admin_client.post(
        policy_url(),
        {"service_age": 70, "senior_age": 65, "residence_years": 2},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert (
        "The senior age cannot be below the service age." in response.content.decode()
    )
    policy = EligibilityPolicy.current()
    assert (policy.service_age, policy.senior_age) == (60, 75)


def test_the_policy_cannot_be_added_or_deleted(admin_client):
    EligibilityPolicy.current()
    add = admin_client.get(reverse("admin:elders_eligibilitypolicy_add"))
    delete = admin_client.get(
        reverse("admin:elders_eligibilitypolicy_delete", args=[1])
    )
    assert add.status_code == 403
    assert delete.status_code == 403


def test_elders_are_read_only_in_the_admin(admin_client, cast):
    elder = ElderFactory(station=cast.a, name="赵淑芬")
    listing = admin_client.get(reverse("admin:elders_elder_changelist"))
    assert "赵淑芬" in listing.content.decode()
    response = admin_client.post(
        reverse("admin:elders_elder_change", args=[elder.pk]), {"name": "改名"}
    )
    assert response.status_code == 403
    elder.refresh_from_db()
    assert elder.name == "赵淑芬"


def test_the_admin_shows_and_searches_only_the_last_four(admin_client, cast):
    elder = ElderFactory(station=cast.a, name="钱秀兰")
    ElderFactory(station=cast.a, name="孙秀兰")
    listing = admin_client.get(
        reverse("admin:elders_elder_changelist"), {"q": elder.id_number[-4:]}
    ).content.decode()
    assert "钱秀兰" in listing and "孙秀兰" not in listing
    assert elder.id_number not in listing
    detail = admin_client.get(
        reverse("admin:elders_elder_change", args=[elder.pk])
    ).content.decode()
    assert elder.id_number not in detail


def test_the_access_log_is_read_only_in_the_admin(admin_client, cast):
    from carecenter import access_log
    from carecenter.models import AccessLogEntry

    entry = access_log.record(None, user=cast.staff_a, action="list", rows=3)
    assert (
        admin_client.get(
            reverse("admin:carecenter_accesslogentry_changelist")
        ).status_code
        == 200
    )
    response = admin_client.post(
        reverse("admin:carecenter_accesslogentry_delete", args=[entry.pk]),
        {"post": "yes"},
    )
    assert response.status_code == 403
    assert AccessLogEntry.objects.filter(pk=entry.pk).exists()
