"""History of changes through pghistory's triggers, with user and reason attached."""

import pytest
from django.urls import reverse
from django.utils import translation

from carecenter.audit import audit_context, history_of
from carecenter.models import Station

pytestmark = pytest.mark.django_db


def test_it_records_who_changed_what_and_why(cast):
    with audit_context(user=cast.manager_a, reason="电话号码更新"):
        cast.a.service_phone = "0571-1234 5678"
        cast.a.save()
    with translation.override("en"):
        latest = history_of(cast.a)[0]
    assert latest.user == cast.manager_a
    assert latest.reason == "电话号码更新"
    assert [(c.label, c.old, c.new) for c in latest.changes] == [
        ("service phone", "0571-0000 0000", "0571-1234 5678")
    ]


def test_it_records_bulk_updates_too(cast):
    Station.objects.filter(pk=cast.a.pk).update(address="新地址 1 号")
    assert history_of(cast.a)[0].changes[0].new == "新地址 1 号"


def test_a_change_through_a_page_records_the_signed_in_user(client, cast):
    cast.admin.is_staff = True
    cast.admin.save()
    client.force_login(cast.admin)
    url = reverse("admin:carecenter_station_change", args=[cast.b.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "district": cast.b.district_id,
            "name": "乙站（新）",
            "leading_group-TOTAL_FORMS": 0,
            "leading_group-INITIAL_FORMS": 0,
        }
    )
    for flag in [f for f in data if f.startswith("has_") or f == "is_active"]:
        if not data[flag]:
            data.pop(flag)
    response = client.post(url, data)
    assert response.status_code == 302, response.content
    latest = history_of(cast.b)[0]
    assert latest.user == cast.admin
    assert any(c.new == "乙站（新）" for c in latest.changes)


def test_the_station_page_shows_its_history(client, cast):
    with audit_context(user=cast.manager_a, reason="测试原因"):
        Station.objects.filter(pk=cast.a.pk).update(public_welfare_posts=5)
    client.force_login(cast.staff_a)
    html = client.get(reverse("station-detail", args=[cast.a.pk])).content.decode()
    assert "测试原因" in html
    assert str(cast.manager_a) in html


def test_reasons_stored_before_codes_still_read_in_the_readers_language(cast):
    import elders.actions  # noqa: F401  (registers the archive's reasons)

    with audit_context(user=cast.staff_a, reason="archive opened"):
        Station.objects.filter(pk=cast.a.pk).update(address="旧原因 1 号")
    with translation.override("zh-hans"):
        assert history_of(cast.a)[0].reason == "建立档案"
    with translation.override("en"):
        assert history_of(cast.a)[0].reason == "archive opened"
