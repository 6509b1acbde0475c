"""The supervisor's checklist, rectification and decision, and who may do what."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, InternalError, transaction
from django.http import Http404
from pghistory.models import Events

from inspections import actions
from inspections.models import (
    Decision,
    Finding,
    FindingStatus,
    FundingDecision,
    Inspection,
)
from inspections.rules import Recommendation
from inspections.tests.conftest import confirm, decide, later

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def send(inspection, supervisor, text="医务室未配备", deadline=None, indicator=""):
    return actions.finding_create(
        actor=supervisor,
        inspection=inspection,
        text=text,
        deadline=deadline or later(30),
        indicator=indicator,
    )


def answer(finding, user, text="已整改", evidence=None):
    return actions.finding_answer(
        actor=user, finding=finding, text=text, evidence=evidence
    )


class TestChecklist:
    def test_the_supervisor_confirms_it_and_the_score_follows(self, cast, inspected):
        inspection = inspected["A"]
        before = inspection.score
        confirmed = confirm(
            inspection,
            cast.supervisor,
            building_area=Decimal("280"),
            checklist_notes="实测面积不足",
        )
        assert confirmed.checklist_confirmed_by == cast.supervisor
        assert confirmed.building_area == Decimal("280.0")
        assert confirmed.score == before - 10
        assert "area" in [d["indicator"] for d in confirmed.deductions]

    def test_misused_funds_recommend_recovery(self, cast, inspected):
        confirmed = confirm(inspected["A"], cast.supervisor, funds_used_properly=False)
        assert confirmed.recommendation == Recommendation.RECOVER

    def test_the_use_of_funds_must_be_answered(self, cast, inspected):
        with pytest.raises(ValidationError) as error:
            confirm(inspected["A"], cast.supervisor, funds_used_properly=None)
        assert "funds_used_properly" in error.value.message_dict
        assert not Inspection.objects.get(pk=inspected["A"].pk).checklist_confirmed

    @pytest.mark.parametrize("username", ["staff_a", "manager_a", "volunteer_a"])
    def test_the_stations_own_users_may_not_confirm_it(self, cast, inspected, username):
        with pytest.raises(PermissionDenied):
            confirm(inspected["A"], getattr(cast, username))

    def test_another_districts_supervisor_finds_nothing(self, cast, inspected):
        with pytest.raises(Http404):
            confirm(inspected["C"], cast.supervisor)


class TestRectification:
    def test_a_finding_goes_to_the_station_answered_and_accepted(self, cast, inspected):
        finding = send(inspected["A"], cast.supervisor)
        assert finding.status == FindingStatus.OPEN
        reply = answer(finding, cast.staff_a, evidence=SimpleUploadedFile("p.png", PNG))
        finding.refresh_from_db()
        assert finding.status == FindingStatus.ANSWERED
        assert reply.evidence.name.startswith(f"inspections/{cast.a.pk}/")
        assert reply.evidence_content_type == "image/png"
        actions.answer_recheck(actor=cast.supervisor, answer=reply, accepted=True)
        finding.refresh_from_db()
        assert finding.status == FindingStatus.ACCEPTED
        assert finding.closed_at is not None

    def test_an_answer_not_accepted_goes_back_to_the_station(self, cast, inspected):
        finding = send(inspected["A"], cast.supervisor)
        reply = answer(finding, cast.manager_a)
        with pytest.raises(ValidationError):
            actions.answer_recheck(actor=cast.supervisor, answer=reply, accepted=False)
        actions.answer_recheck(
            actor=cast.supervisor, answer=reply, accepted=False, note="缺少照片"
        )
        finding.refresh_from_db()
        assert finding.status == FindingStatus.OPEN
        second = answer(finding, cast.staff_a, text="补充了照片")
        assert [a.pk for a in finding.answers.all()] == [reply.pk, second.pk]

    def test_a_finding_about_an_indicator_says_what_was_found(self, cast, inspected):
        finding = send(inspected["A"], cast.supervisor, text="", indicator="trainings")
        assert finding.text == (
            "Training sessions held: 0 (standard: at least 2 in the year)."
        )

    def test_a_finding_needs_text_and_a_deadline_after_today(self, cast, inspected):
        with pytest.raises(ValidationError) as error:
            send(inspected["A"], cast.supervisor, text="", deadline=later(0))
        assert set(error.value.message_dict) == {"text", "deadline"}
        with pytest.raises(ValidationError):
            send(inspected["A"], cast.supervisor, indicator="nonsense")
        assert not Finding.objects.exists()

    def test_only_the_supervisor_sends_and_rechecks(self, cast, inspected):
        with pytest.raises(PermissionDenied):
            send(inspected["A"], cast.manager_a)
        finding = send(inspected["A"], cast.supervisor)
        reply = answer(finding, cast.staff_a)
        with pytest.raises(PermissionDenied):
            actions.answer_recheck(actor=cast.manager_a, answer=reply, accepted=True)

    def test_only_the_stations_staff_answer(self, cast, inspected):
        finding = send(inspected["A"], cast.supervisor)
        with pytest.raises(PermissionDenied):
            answer(finding, cast.supervisor)
        with pytest.raises(PermissionDenied):
            answer(finding, cast.volunteer_a)
        with pytest.raises(Http404):
            answer(finding, cast.staff_b)

    @pytest.mark.parametrize(
        "name, content",
        [
            ("evil.png", b"<html><script>alert(1)</script>"),
            ("scan.pdf", PNG),  # a PNG named .pdf
            ("big.png", PNG + b"\0" * (10 * 1024 * 1024)),
        ],
    )
    def test_evidence_must_be_a_real_pdf_jpeg_or_png(
        self, cast, inspected, name, content
    ):
        finding = send(inspected["A"], cast.supervisor)
        with pytest.raises(ValidationError) as error:
            answer(finding, cast.staff_a, evidence=SimpleUploadedFile(name, content))
        assert "evidence" in error.value.message_dict
        finding.refresh_from_db()
        assert finding.status == FindingStatus.OPEN


class TestDecision:
    def test_it_needs_the_checklist_confirmed_first(self, cast, inspected):
        with pytest.raises(ValidationError):
            decide(inspected["A"], cast.supervisor)
        assert not Decision.objects.exists()

    def test_continue_is_recorded_with_its_audit_trail(self, cast, inspected):
        inspection = confirm(inspected["A"], cast.supervisor)
        record = decide(inspection, cast.supervisor, "continue", "设施达标")
        inspection.refresh_from_db()
        assert inspection.decision == FundingDecision.CONTINUE
        assert inspection.decided_by == cast.supervisor
        assert (record.score, record.recommendation) == (
            inspection.score,
            inspection.recommendation,
        )
        event = (
            Events.objects.tracks(inspection).filter(pgh_diff__has_key="decision").get()
        )
        assert event.pgh_context["user"] == cast.supervisor.pk
        assert event.pgh_context["reason"] == "inspections.decided.continue"
        assert "设施达标" in event.pgh_context["params"]["note"]
        assert event.pgh_diff["decision"] == ["", "continue"]

    def test_stop_needs_a_reason(self, cast, inspected):
        inspection = confirm(inspected["A"], cast.supervisor)
        with pytest.raises(ValidationError) as error:
            decide(inspection, cast.supervisor, "stop")
        assert "reason" in error.value.message_dict
        decide(inspection, cast.supervisor, "stop", "连续两年未达标")
        assert Inspection.objects.get(pk=inspection.pk).decision == "stop"

    @pytest.mark.parametrize(
        "amount, reason, field",
        [
            (None, "挪用经费", "recover_amount"),
            ("0", "挪用经费", "recover_amount"),
            ("-5", "挪用经费", "recover_amount"),
            ("12000", "", "reason"),
            ("abc", "挪用经费", "recover_amount"),
        ],
    )
    def test_recover_needs_an_amount_above_zero_and_a_reason(
        self, cast, inspected, amount, reason, field
    ):
        inspection = confirm(inspected["A"], cast.supervisor)
        with pytest.raises(ValidationError) as error:
            decide(inspection, cast.supervisor, "recover", reason, amount)
        assert field in error.value.message_dict
        assert not Decision.objects.exists()

    def test_recover_keeps_the_amount(self, cast, inspected):
        inspection = confirm(inspected["A"], cast.supervisor)
        decide(inspection, cast.supervisor, "recover", "经费用于非服务支出", "12000.5")
        inspection.refresh_from_db()
        assert inspection.recover_amount == Decimal("12000.50")

    def test_only_a_recovery_has_an_amount(self, cast, inspected):
        inspection = confirm(inspected["A"], cast.supervisor)
        with pytest.raises(ValidationError):
            decide(inspection, cast.supervisor, "continue", "", "100")

    @pytest.mark.parametrize("username", ["staff_a", "manager_a", "volunteer_a"])
    def test_the_stations_own_users_may_not_decide(self, cast, inspected, username):
        inspection = confirm(inspected["A"], cast.supervisor)
        with pytest.raises(PermissionDenied):
            decide(inspection, getattr(cast, username))
        with pytest.raises(Http404):
            decide(inspected["C"], cast.supervisor)

    def test_it_waits_for_answers_to_be_rechecked(self, cast, inspected):
        inspection = confirm(inspected["A"], cast.supervisor)
        finding = send(inspection, cast.supervisor)
        with pytest.raises(ValidationError, match="deadline"):
            decide(inspection, cast.supervisor)
        reply = answer(finding, cast.staff_a)
        with pytest.raises(ValidationError, match="Re-check"):
            decide(inspection, cast.supervisor)
        actions.answer_recheck(actor=cast.supervisor, answer=reply, accepted=True)
        decide(inspection, cast.supervisor)

    def test_an_unanswered_finding_past_its_deadline_does_not_block(
        self, cast, inspected
    ):
        inspection = confirm(inspected["A"], cast.supervisor)
        finding = send(inspection, cast.supervisor)
        Finding.objects.filter(pk=finding.pk).update(deadline=later(-2))
        decide(inspection, cast.supervisor, "stop", "逾期未整改")

    def test_changing_a_decision_needs_a_reason_and_keeps_the_first(
        self, cast, inspected
    ):
        inspection = confirm(inspected["A"], cast.supervisor)
        decide(inspection, cast.supervisor, "stop", "未达标")
        with pytest.raises(ValidationError):
            decide(inspection, cast.supervisor, "continue")
        decide(inspection, cast.supervisor, "continue", "整改到位，恢复拨款")
        assert list(
            Decision.objects.order_by("decided_at").values_list("decision", flat=True)
        ) == ["stop", "continue"]
        assert Inspection.objects.get(pk=inspection.pk).decision == "continue"

    def test_a_decided_checklist_cannot_change(self, cast, inspected):
        inspection = confirm(inspected["A"], cast.supervisor)
        decide(inspection, cast.supervisor)
        with pytest.raises(ValidationError):
            confirm(inspection, cast.supervisor, has_pantry=False)

    def test_decisions_are_never_changed_or_deleted(self, cast, inspected):
        inspection = confirm(inspected["A"], cast.supervisor)
        decide(inspection, cast.supervisor)
        with pytest.raises(InternalError), transaction.atomic():
            Decision.objects.update(decision="stop")
        with pytest.raises(InternalError), transaction.atomic():
            Decision.objects.all().delete()
        assert Decision.objects.get().decision == "continue"

    def test_the_database_refuses_a_stop_without_a_reason(self, cast, inspected):
        with pytest.raises(IntegrityError), transaction.atomic():
            Inspection.objects.filter(pk=inspected["A"].pk).update(
                decision="stop",
                decided_at=inspected["A"].created_at,
                checklist_confirmed_at=inspected["A"].created_at,
            )
