"""The archive's history names the real actor and reason (PRODUCT.md, "Personal
data": the history of every change names the real actor), reads in the reader's
language and local time, and keeps ID numbers masked."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from carecenter.audit import audit_context, history_of
from elders import actions, queries
from elders.id_numbers import make_id_number
from elders.models import Elder, FamilyContact
from elders.tests.factories import (
    BarthelAssessmentFactory,
    ElderFactory,
    FamilyContactFactory,
    NeedsSurveyFactory,
)

pytestmark = pytest.mark.django_db


def _history(user, elder):
    return queries.elder_history(user=user, elder=Elder.objects.get(pk=elder.pk))


class TestActors:
    def test_nested_actions_each_name_their_own_actor_and_reason(self, cast):
        elder = ElderFactory(station=cast.a)
        other = ElderFactory(station=cast.b)
        with audit_context(user=cast.admin, reason="demo_data"):
            actions.elder_update(
                actor=cast.staff_a, elder=elder, data={"phone": "138 1111 0000"}
            )
            with audit_context(user=cast.staff_b, reason="elder.updated"):
                actions.elder_update(
                    actor=cast.staff_b, elder=other, data={"phone": "139 2222 0000"}
                )
            # back in the outer context after the inner one ended
            actions.tier_override_set(
                actor=cast.manager_a, elder=elder, tier="free", reason="子女失联"
            )
            Elder.objects.filter(pk=elder.pk).update(address="外层地址 1 号")
        mine = history_of(elder)
        assert [(e.user, e.reason_code) for e in mine[:3]] == [
            (cast.admin, "demo_data"),
            (cast.manager_a, "elder.tier_override_set"),
            (cast.staff_a, "elder.updated"),
        ]
        assert history_of(other)[0].user == cast.staff_b

    def test_a_request_and_the_action_inside_it_keep_apart(self, client, cast):
        elder = ElderFactory(station=cast.a)
        client.force_login(cast.manager_a)
        response = client.post(
            reverse("elders:tier-override", args=[elder.pk]),
            {"tier": "free", "reason": "独居困难"},
        )
        assert response.status_code == 302
        latest = history_of(elder)[0]
        assert latest.user == cast.manager_a
        assert latest.reason_code == "elder.tier_override_set"

    def test_a_bulk_update_made_by_an_action_names_its_actor(self, cast):
        elder = ElderFactory(station=cast.a)
        first = FamilyContactFactory(elder=elder, is_emergency=True)
        actions.family_contact_save(
            actor=cast.staff_a,
            elder=elder,
            data={
                "name": "新联系人",
                "relation": "儿子",
                "phone": "1",
                "is_emergency": True,
            },
        )
        entries = [
            e
            for e in _history(cast.staff_a, elder)
            if e.subject_key == "familycontact" and e.action == "update"
        ]
        assert len(entries) == 1  # the old emergency contact, unflagged by update()
        assert entries[0].user == cast.staff_a
        assert entries[0].reason_code == "family_contact.saved"
        assert entries[0].name.startswith(first.name)

    @pytest.mark.parametrize("kind", ["contact", "assessment", "survey"])
    def test_deletes_are_kept_with_actor_and_reason(self, cast, kind):
        elder = ElderFactory(station=cast.a)
        if kind == "contact":
            record = FamilyContactFactory(elder=elder, name="李四")
            actions.family_contact_delete(actor=cast.staff_a, contact=record)
            subject, code = "familycontact", "family_contact.removed"
        elif kind == "assessment":
            record = BarthelAssessmentFactory(elder=elder)
            actions.assessment_delete(
                actor=cast.staff_a, assessment=record, reason="录错了老人"
            )
            subject, code = "barthelassessment", "assessment.removed"
        else:
            record = NeedsSurveyFactory(elder=elder)
            actions.needs_survey_delete(
                actor=cast.staff_a, survey=record, reason="重复录入"
            )
            subject, code = "needssurvey", "needs_survey.removed"
        # (One test transaction: every event has the same time, so find it.)
        (removed,) = [e for e in _history(cast.staff_a, elder) if e.action == "delete"]
        assert removed.subject_key == subject
        assert (removed.user, removed.reason_code) == (cast.staff_a, code)

    def test_a_removal_needs_a_reason_and_another_station_cannot(self, cast):
        from django.core.exceptions import ValidationError
        from django.http import Http404

        record = BarthelAssessmentFactory(elder=ElderFactory(station=cast.a))
        with pytest.raises(ValidationError):
            actions.assessment_delete(actor=cast.staff_a, assessment=record, reason=" ")
        with pytest.raises(Http404):
            actions.assessment_delete(
                actor=cast.staff_b, assessment=record, reason="不是我站的"
            )
        assert type(record).objects.filter(pk=record.pk).exists()

    def test_seed_demo_names_each_station_s_own_staff(self):
        call_command("seed_demo", password="demo-pw")
        call_command("seed_demo", password="demo-pw")  # a second run changes no actor
        from carecenter.models import User

        staff = {
            "DEMO-A": User.objects.get(username="staff_a"),
            "DEMO-B": User.objects.get(username="staff_b"),
        }
        elders = Elder.objects.select_related("station")
        assert elders.count() == 32
        for elder in elders:
            created = [e for e in history_of(elder) if e.action == "create"]
            assert len(created) == 1
            assert created[0].user == staff[elder.station.code], elder
            assert created[0].reason_code == "elder.registered"


class TestReadable:
    def test_labels_choices_names_and_local_time_in_both_languages(self, cast):
        cast.manager_a.first_name, cast.manager_a.last_name = "站长", "赵"
        cast.manager_a.save()
        elder = ElderFactory(station=cast.a, living_arrangement="spouse")
        actions.elder_update(
            actor=cast.manager_a,
            elder=elder,
            data={"living_arrangement": "alone", "financial_difficulty": True},
        )
        with translation.override("zh-hans"):
            entry = _history(cast.staff_a, elder)[0]
            lines = {c.label: (c.old, c.new) for c in entry.changes}
            assert lines["居住情况"] == ("与配偶同住", "独居")
            assert lines["经济困难"] == ("否", "是")
            assert entry.actor_name == str(cast.manager_a)
            assert entry.reason == "修改档案"
        with translation.override("en"):
            entry = _history(cast.staff_a, elder)[0]
            lines = {c.label: (c.old, c.new) for c in entry.changes}
            assert lines["living arrangement"] == ("With spouse", "Lives alone")
            assert entry.reason == "archive updated"
        assert entry.at.tzinfo is not None
        assert entry.at.utcoffset() == datetime.timedelta(hours=8)  # Asia/Shanghai

    def test_the_panel_renders_in_both_languages(self, client, cast):
        elder = ElderFactory(station=cast.a, living_arrangement="spouse")
        actions.elder_update(
            actor=cast.staff_a, elder=elder, data={"living_arrangement": "alone"}
        )
        moment = timezone.localtime(history_of(elder)[0].at)
        client.force_login(cast.staff_a)
        url = reverse("elders:detail", args=[elder.pk])
        zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "居住情况" in zh and "与配偶同住" in zh and "修改档案" in zh
        assert str(cast.staff_a) in zh
        assert moment.strftime("%H:%M") in zh
        client.cookies.load({"django_language": "en"})
        en = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "living arrangement" in en and "With spouse" in en
        assert "archive updated" in en
        assert "low_cost" not in en and "True" not in en

    def test_the_id_number_reads_masked_and_a_correction_says_so(self, cast):
        born = datetime.date(1945, 6, 15)
        elder = ElderFactory(
            station=cast.a, id_number=make_id_number("330102", born, 7, "F")
        )
        # a correction in the region that keeps the last four characters
        corrected = next(
            number
            for region in (f"3301{n:02d}" for n in range(3, 100))
            if (number := make_id_number(region, born, 7, "F"))[-4:]
            == elder.id_number[-4:]
        )
        actions.elder_update(
            actor=cast.manager_a, elder=elder, data={"id_number": corrected}
        )
        again = make_id_number("330103", born, 8, "F")
        actions.elder_update(
            actor=cast.manager_a, elder=elder, data={"id_number": again}
        )
        entries = _history(cast.manager_a, elder)
        lines = [c for e in entries[:2] for c in e.changes]
        assert [c.field for c in lines] == ["id_number_last4", "id_number_last4"]
        assert lines[0].old == "**************" + corrected[-4:]
        assert lines[0].new == "**************" + again[-4:]
        assert "corrected" in lines[1].new
        for entry in entries:
            for change in entry.changes:
                for value in (change.old, change.new, change.raw_old, change.raw_new):
                    assert corrected not in str(value) and again not in str(value)

    def test_volunteers_do_not_read_it(self, cast):
        from django.core.exceptions import PermissionDenied

        elder = ElderFactory(station=cast.a)
        with pytest.raises(PermissionDenied):
            queries.elder_history(user=cast.volunteer_a, elder=elder)


class TestApi:
    def test_it_returns_the_interface_shape(self, client, cast):
        elder = ElderFactory(station=cast.a)
        actions.elder_update(
            actor=cast.staff_a, elder=elder, data={"living_arrangement": "alone"}
        )
        FamilyContact.objects.create(
            elder=elder, name="王五", relation="女儿", phone="1"
        )
        client.force_login(cast.supervisor)
        rows = client.get(f"/api/v1/elders/{elder.pk}/history/").json()
        update = next(
            r for r in rows if r["object"] == "elder" and r["action"] == "update"
        )
        assert set(update) >= {"at", "actor", "action", "changes", "reason"}
        assert update["actor"] == "staff_a"
        assert update["changes"]["living_arrangement"] == ["spouse", "alone"]
        assert update["reason"]

    def test_it_masks_the_id_number_for_the_manager_too(self, client, cast):
        born = datetime.date(1945, 6, 15)
        elder = ElderFactory(
            station=cast.a, id_number=make_id_number("330102", born, 3, "F")
        )
        new = make_id_number("330102", born, 4, "F")
        actions.elder_update(actor=cast.manager_a, elder=elder, data={"id_number": new})
        client.force_login(cast.manager_a)
        body = client.get(f"/api/v1/elders/{elder.pk}/history/").content.decode()
        assert new not in body and elder.id_number not in body
        assert new[-4:] in body

    def test_another_station_is_404_and_volunteers_403(self, client, cast):
        from volunteers.tests.factories import PairingFactory, VolunteerFactory

        elder = ElderFactory(station=cast.a)
        client.force_login(cast.staff_b)
        assert client.get(f"/api/v1/elders/{elder.pk}/history/").status_code == 404
        volunteer = VolunteerFactory(station=cast.a, user=cast.volunteer_a)
        PairingFactory(volunteer=volunteer, elder=elder)
        client.force_login(cast.volunteer_a)
        assert client.get(f"/api/v1/elders/{elder.pk}/history/").status_code == 403
