"""A volunteer's visit times: the next visit defaults from the last one's end, an
overlap names the visit in the way, and a visit may cross midnight."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from volunteers import actions
from volunteers.forms import visit_default_times
from volunteers.models import HoursEntry, Visit

pytestmark = pytest.mark.django_db

ZONE = timezone.get_default_timezone()


def at(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=ZONE)


def log(cast, crew, start, end, **fields):
    return actions.visit_log(
        actor=cast.volunteer_a,
        volunteer=crew.me,
        elder=crew.paired,
        started_at=start,
        ended_at=end,
        services=["chat"],
        **fields,
    )


DAY = datetime.date(2026, 10, 14)


class TestDefaults:
    def test_without_visits_it_is_the_last_hour(self):
        assert visit_default_times(at(DAY, 11), None) == (at(DAY, 10), at(DAY, 11))

    def test_after_a_visit_that_ended_earlier_it_starts_at_its_end(self):
        last = (at(DAY, 9, 30), at(DAY, 10, 20))
        assert visit_default_times(at(DAY, 11), last) == (at(DAY, 10, 20), at(DAY, 11))

    def test_after_a_visit_that_ended_just_now_it_is_the_hour_before_it(self):
        last = (at(DAY, 10), at(DAY, 11))
        assert visit_default_times(at(DAY, 11), last) == (at(DAY, 9), at(DAY, 10))

    def test_an_old_visit_changes_nothing(self):
        last = (at(DAY, 7), at(DAY, 8))
        assert visit_default_times(at(DAY, 11), last) == (at(DAY, 10), at(DAY, 11))

    def test_just_after_midnight_the_hour_begins_yesterday(self):
        start, _end = visit_default_times(at(DAY, 0, 20), None)
        assert start == at(DAY - datetime.timedelta(days=1), 23, 20)

    def test_the_visit_form_comes_filled_in_after_the_last_visit(
        self, client, cast, crew
    ):
        now = timezone.localtime().replace(second=0, microsecond=0)
        now = now.replace(minute=now.minute - now.minute % 5)
        if now.hour < 3:
            pytest.skip("the visits would begin yesterday")
        log(cast, crew, now - datetime.timedelta(hours=1), now)
        client.force_login(cast.volunteer_a)
        form = client.get(
            reverse("volunteers:visit-log", args=[crew.paired.pk])
        ).context["form"]
        assert (
            form.fields["start"].initial == (now - datetime.timedelta(hours=2)).time()
        )
        assert form.fields["end"].initial == (now - datetime.timedelta(hours=1)).time()


def test_the_overlap_message_names_the_visit_in_the_way(cast, crew):
    log(cast, crew, at(DAY, 10), at(DAY, 11))
    with pytest.raises(ValidationError) as refused:
        log(cast, crew, at(DAY, 10, 30), at(DAY, 11, 30))
    message = " ".join(refused.value.message_dict["started_at"])
    assert "王桂芳" in message and "10:00" in message and "11:00" in message
    assert Visit.objects.count() == 1


def test_a_visit_may_cross_midnight_from_the_form(client, cast, crew):
    day = timezone.localdate() - datetime.timedelta(days=2)
    client.force_login(cast.volunteer_a)
    url = reverse("volunteers:visit-log", args=[crew.paired.pk])
    answer = client.post(
        url,
        {"day": day.isoformat(), "start": "23:00", "end": "01:30", "services": "chat"},
    )
    assert answer.status_code == 302, answer.context["form"].errors
    visit = Visit.objects.get()
    assert visit.started_at == at(day, 23)
    assert visit.ended_at == at(day + datetime.timedelta(days=1), 1, 30)
    assert HoursEntry.objects.get().minutes == 150
    # The exclusion constraint still holds across midnight.
    answer = client.post(
        url,
        {
            "day": (day + datetime.timedelta(days=1)).isoformat(),
            "start": "01:00",
            "end": "02:00",
            "services": "chat",
        },
    )
    assert answer.status_code == 200
    assert "23:00" in str(answer.context["form"].errors)
    assert Visit.objects.count() == 1


def test_the_same_start_and_end_is_refused(client, cast, crew):
    client.force_login(cast.volunteer_a)
    url = reverse("volunteers:visit-log", args=[crew.paired.pk])
    day = timezone.localdate() - datetime.timedelta(days=1)
    answer = client.post(
        url, {"day": day.isoformat(), "start": "10:00", "end": "10:00"}
    )
    assert "end" in answer.context["form"].errors
    assert not Visit.objects.exists()


def test_the_database_refuses_an_overlap_across_midnight(cast, crew):
    from django.db import IntegrityError, transaction

    log(cast, crew, at(DAY, 23), at(DAY + datetime.timedelta(days=1), 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.create(
            station=cast.a,
            volunteer=crew.me,
            elder=crew.paired,
            started_at=at(DAY + datetime.timedelta(days=1), 0, 30),
            ended_at=at(DAY + datetime.timedelta(days=1), 2),
            services=["chat"],
        )


def test_the_visit_form_offers_only_what_the_volunteer_may_do(client, cast, crew):
    from volunteers.tests.factories import CertificateFactory

    crew.pairing.services = ["chat", "bathing", "medical"]
    crew.pairing.save()
    CertificateFactory(volunteer=crew.me, kind="elder_care")  # bathing, day care
    client.force_login(cast.volunteer_a)
    url = reverse("volunteers:visit-log", args=[crew.paired.pk])
    form = client.get(url).context["form"]
    offered = {code for code, _label in form.fields["services"].choices}
    assert {"chat", "bathing", "day_care"} <= offered
    assert not offered & {"medical", "rehab", "repair", "legal_aid", "counselling"}
    # The pairing's services come ticked, those the volunteer may do.
    assert form.fields["services"].initial == ["chat", "bathing"]
    # A forged post of a service the volunteer holds no certificate for.
    day = timezone.localdate() - datetime.timedelta(days=1)
    answer = client.post(
        url,
        {
            "day": day.isoformat(),
            "start": "09:00",
            "end": "10:00",
            "services": "medical",
        },
    )
    assert "services" in answer.context["form"].errors
    assert not Visit.objects.exists()
