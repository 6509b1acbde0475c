import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from activities import actions


def plan(actor, station, *, days=-1, title="健康讲座", kind="lecture", **data):
    starts_at = timezone.now() + datetime.timedelta(days=days)
    return actions.activity_save(
        actor=actor,
        station=station,
        data={
            "title": title,
            "kind": kind,
            "starts_at": starts_at,
            "place": "活动室",
            "organiser_staff": actor,
            **data,
        },
    )


@pytest.fixture
def api(cast):
    def signed_in(username: str) -> APIClient:
        client = APIClient()
        client.force_login(getattr(cast, username))
        return client

    return signed_in
