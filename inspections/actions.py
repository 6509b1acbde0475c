"""Every write of the annual inspection: validated, transactional, audited.

* ``inspections_refresh``: the January job (and ``run_annual_inspection``)
  creates or refreshes every station's inspection of a year. Idempotent: one
  advisory lock per year, the rows upserted (``ON CONFLICT DO UPDATE``). A
  decided inspection is left exactly as it was decided — its figures, checklist,
  score and decision are frozen — and a checklist the supervisor has confirmed is
  kept (the figures and the score around it are still refreshed).
* The supervisor's writes (checklist, findings, re-checks, the decision) go
  through ``carecenter.scoping.require_supervise``; the station's answers
  through ``require_write``.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carecenter.actions import station_funding_set
from carecenter.audit import audit_context, register_reasons
from carecenter.models import Station, User
from carecenter.scoping import require_supervise, require_write
from inspections import rules
from inspections.evidence import check_evidence
from inspections.figures import Figures, figures_for
from inspections.models import (
    PENDING_FINDING,
    Decision,
    Finding,
    FindingAnswer,
    FindingStatus,
    FundingDecision,
    Inspection,
    RecheckResult,
)

log = logging.getLogger("carecenter.inspections")

register_reasons(
    {
        "inspections.annual_inspection_refresh": gettext_lazy(
            "annual inspection refresh"
        ),
        "inspections.inspection_checklist_confirmed": gettext_lazy(
            "inspection checklist confirmed"
        ),
        "inspections.inspection_finding_sent": gettext_lazy("inspection finding sent"),
        "inspections.rectification_answered": gettext_lazy("rectification answered"),
        "inspections.rectification_re_checked": gettext_lazy(
            "rectification re-checked"
        ),
        "inspections.decided.continue": gettext_lazy(
            "funding decision: continue: %(note)s"
        ),
        "inspections.decided.stop": gettext_lazy("funding decision: stop: %(note)s"),
        "inspections.decided.recover": gettext_lazy(
            "funding decision: recover: %(note)s"
        ),
    }
)

#: Advisory-lock namespace of the annual refresh (with the year as second key).
_LOCK_SPACE = 0x696E73  # "ins"

#: The checklist fields, pre-filled from the station's fields of the same name.
STATION_CHECKLIST = [
    "building_area",
    "has_day_care_room",
    "has_pantry",
    "has_medical_room",
    "has_entertainment_room",
    "has_studio",
    "has_catering_hygiene_certificate",
    "has_outdoor_fitness",
    "public_welfare_posts",
]
CHECKLIST_FIELDS = [*STATION_CHECKLIST, "funds_used_properly", "checklist_notes"]
_ASSESSMENT_FIELDS = ["score", "recommendation", "deductions"]


def _assess_into(inspection: Inspection) -> None:
    assessment = rules.assess(inspection)
    inspection.score = assessment.score
    inspection.recommendation = assessment.recommendation
    inspection.deductions = assessment.deductions


# --- The yearly refresh ---------------------------------------------------------------


@dataclass
class RefreshResult:
    year: int
    created: list[Inspection] = field(default_factory=list)
    refreshed: list[Inspection] = field(default_factory=list)
    frozen: list[Inspection] = field(default_factory=list)

    @property
    def inspections(self) -> list[Inspection]:
        return sorted(
            self.created + self.refreshed + self.frozen, key=lambda i: i.station_id
        )


def inspections_refresh(
    *, year: int, stations=None, actor: User | None = None
) -> RefreshResult:
    """Create or refresh ``year``'s inspection of ``stations`` (default: every
    active station) with the year's figures, the checklist pre-filled from the
    station, the score and the recommendation. Safe to repeat.

    With an ``actor`` (a supervisor's "refresh" button) every station must be one
    the actor supervises.
    """
    if year >= timezone.localdate().year:
        raise ValidationError(_("A year is inspected once it has ended."))
    if stations is None:
        stations = Station.objects.filter(is_active=True)
    stations = sorted(stations, key=lambda s: s.pk)
    if actor is not None:
        for station in stations:
            require_supervise(actor, station)
    result = RefreshResult(year=year)
    if not stations:
        return result
    with (
        transaction.atomic(),
        audit_context(user=actor, reason="inspections.annual_inspection_refresh"),
    ):
        with connection.cursor() as cursor:
            # A second run of the same year waits here, then refreshes the same rows.
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_SPACE, year])
        existing = {
            i.station_id: i
            for i in Inspection.objects.select_for_update().filter(
                year=year, station__in=[s.pk for s in stations]
            )
        }
        figures = figures_for(year, [s.pk for s in stations])
        now = timezone.now()
        rows = []
        for station in stations:
            inspection = existing.get(station.pk)
            if inspection is not None and inspection.is_decided:
                result.frozen.append(inspection)
                continue
            if inspection is None:
                inspection = Inspection(station=station, year=year)
                result.created.append(inspection)
            else:
                result.refreshed.append(inspection)
            _fill(inspection, station, figures[station.pk], now)
            rows.append(inspection)
        if rows:
            Inspection.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["station", "year"],
                update_fields=[
                    *Figures.FIELDS,
                    "refreshed_at",
                    *STATION_CHECKLIST,
                    *_ASSESSMENT_FIELDS,
                ],
            )
    log.info(
        "annual inspection %s: %d created, %d refreshed, %d frozen (decided)",
        year,
        len(result.created),
        len(result.refreshed),
        len(result.frozen),
    )
    return result


def _fill(inspection: Inspection, station: Station, figures: Figures, now) -> None:
    for name in Figures.FIELDS:
        setattr(inspection, name, getattr(figures, name))
    inspection.refreshed_at = now
    if not inspection.checklist_confirmed:
        for name in STATION_CHECKLIST:
            setattr(inspection, name, getattr(station, name))
    _assess_into(inspection)


# --- The supervisor's checklist -----------------------------------------------------


def _lock(inspection: Inspection) -> Inspection:
    return (
        Inspection.objects.select_for_update()
        .select_related("station")
        .get(pk=inspection.pk)
    )


def _refuse_if_decided(inspection: Inspection) -> None:
    if inspection.is_decided:
        raise ValidationError(
            _(
                "This inspection is decided: its figures and checklist are frozen as "
                "they were when it was decided."
            )
        )


@transaction.atomic
def inspection_checklist_confirm(
    *, actor: User, inspection: Inspection, data: dict
) -> Inspection:
    """The supervisor confirms (or corrects) the facility checklist on site.

    ``data`` holds every checklist field; ``funds_used_properly`` must be answered.
    The score and the recommendation follow at once.
    """
    require_supervise(actor, inspection.station)
    inspection = _lock(inspection)
    _refuse_if_decided(inspection)
    unknown = set(data) - set(CHECKLIST_FIELDS)
    if unknown:
        raise ValidationError(
            _("Unknown fields: %(f)s") % {"f": ", ".join(sorted(unknown))}
        )
    for name, value in data.items():
        setattr(inspection, name, value)
    errors = {}
    if inspection.funds_used_properly is None:
        errors["funds_used_properly"] = [
            _("Say whether the funds were used only for facilities and services.")
        ]
    try:
        inspection.full_clean(
            exclude=[
                "station",
                "checklist_confirmed_by",
                "decided_by",
                "deductions",
                "services_per_month",
            ],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    inspection.checklist_confirmed_by = actor
    inspection.checklist_confirmed_at = timezone.now()
    _assess_into(inspection)
    with audit_context(user=actor, reason="inspections.inspection_checklist_confirmed"):
        inspection.save(
            update_fields=[
                *CHECKLIST_FIELDS,
                "checklist_confirmed_by",
                "checklist_confirmed_at",
                *_ASSESSMENT_FIELDS,
            ]
        )
    return inspection


# --- Rectification (整改) ------------------------------------------------------------


@transaction.atomic
def finding_create(
    *,
    actor: User,
    inspection: Inspection,
    text: str,
    deadline: datetime.date | None,
    indicator: str = "",
) -> Finding:
    """The supervisor sends a finding back to the station to rectify by a deadline.

    With an indicator and no text, the text says what the indicator found.
    """
    require_supervise(actor, inspection.station)
    inspection = _lock(inspection)
    errors: dict[str, list] = {}
    text = (text or "").strip()
    if indicator and indicator not in rules.BY_CODE:
        errors["indicator"] = [_("Choose an indicator of the inspection.")]
    elif indicator and not text:
        result = next(
            r for r in rules.evaluate(inspection) if r.indicator.code == indicator
        )
        text = _("%(indicator)s: %(value)s (standard: %(standard)s).") % {
            "indicator": result.indicator.label,
            "value": result.display_value,
            "standard": result.indicator.standard,
        }
    if not text:
        errors["text"] = [_("Say what the station must rectify.")]
    if deadline is None:
        errors["deadline"] = [_("Give the deadline.")]
    elif deadline <= timezone.localdate():
        errors["deadline"] = [_("The deadline must be after today.")]
    if errors:
        raise ValidationError(errors)
    with audit_context(user=actor, reason="inspections.inspection_finding_sent"):
        return Finding.objects.create(
            station=inspection.station,
            inspection=inspection,
            indicator=indicator,
            text=text,
            deadline=deadline,
            created_by=actor,
        )


@transaction.atomic
def finding_answer(
    *, actor: User, finding: Finding, text: str, evidence=None
) -> FindingAnswer:
    """The station says what it did about a finding, with evidence (PDF, JPEG or
    PNG, at most 10 MB, stored privately); the finding awaits the re-check."""
    require_write(actor, finding.station)
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    errors: dict[str, list] = {}
    if finding.status != FindingStatus.OPEN:
        raise ValidationError(
            _("This finding is not awaiting an answer.")
            if finding.status == FindingStatus.ANSWERED
            else _("This finding is rectified already.")
        )
    text = (text or "").strip()
    if not text:
        errors["text"] = [_("Say what the station did.")]
    content_type = ""
    if evidence is not None:
        try:
            content_type = check_evidence(evidence)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    answer = FindingAnswer(
        station=finding.station,
        finding=finding,
        text=text,
        answered_by=actor,
        evidence_content_type=content_type,
    )
    with audit_context(user=actor, reason="inspections.rectification_answered"):
        if evidence is not None:
            answer.evidence.save(evidence.name, evidence, save=False)
        answer.save()
        finding.status = FindingStatus.ANSWERED
        finding.save(update_fields=["status"])
    return answer


@transaction.atomic
def answer_recheck(
    *, actor: User, answer: FindingAnswer, accepted: bool, note: str = ""
) -> FindingAnswer:
    """The supervisor re-checks the station's answer: accepted closes the finding,
    not accepted (with a note saying why) sends it back to the station."""
    require_supervise(actor, answer.station)
    finding = Finding.objects.select_for_update().get(pk=answer.finding_id)
    answer = FindingAnswer.objects.select_for_update().get(pk=answer.pk)
    if finding.status != FindingStatus.ANSWERED or answer.result:
        raise ValidationError(_("This answer is not awaiting a re-check."))
    note = (note or "").strip()
    if not accepted and not note:
        raise ValidationError(
            {"note": [_("Say why the rectification is not accepted.")]}
        )
    now = timezone.now()
    answer.result = RecheckResult.ACCEPTED if accepted else RecheckResult.NOT_ACCEPTED
    answer.recheck_note = note
    answer.rechecked_by = actor
    answer.rechecked_at = now
    finding.status = FindingStatus.ACCEPTED if accepted else FindingStatus.OPEN
    finding.closed_at = now if accepted else None
    with audit_context(user=actor, reason="inspections.rectification_re_checked"):
        answer.save(
            update_fields=["result", "recheck_note", "rechecked_by", "rechecked_at"]
        )
        finding.save(update_fields=["status", "closed_at"])
    return answer


# --- The decision ---------------------------------------------------------------------


def _amount(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValidationError(
            {"recover_amount": [_("Give the amount in yuan, e.g. 1200.00.")]}
        ) from None


@transaction.atomic
def inspection_decide(
    *,
    actor: User,
    inspection: Inspection,
    decision: str,
    reason: str = "",
    recover_amount=None,
) -> Decision:
    """The supervisor decides: continue funding, stop it, or recover an amount.

    Refused until the checklist is confirmed, while an answer awaits its re-check,
    and while a finding is still within its deadline without an answer. Stop needs
    a reason; recover an amount above zero and a reason; changing a decision
    needs a reason too. Stopped funding takes effect from the first month that
    begins after the decision (``carecenter.actions.station_funding_set``).
    """
    require_supervise(actor, inspection.station)
    inspection = _lock(inspection)
    reason = (reason or "").strip()
    amount = _amount(recover_amount)
    errors: dict[str, list] = {}
    if decision not in FundingDecision.values:
        errors["decision"] = [_("Choose continue, stop or recover.")]
    if decision in (FundingDecision.STOP, FundingDecision.RECOVER) and not reason:
        errors["reason"] = [_("Give the reason for this decision.")]
    if inspection.is_decided and not reason:
        errors["reason"] = [_("Give the reason for changing the decision.")]
    if decision == FundingDecision.RECOVER:
        if amount is None or amount <= 0:
            errors["recover_amount"] = [_("Give the amount to recover (above zero).")]
    elif amount is not None:
        errors["recover_amount"] = [_("Only a recovery has an amount.")]
    if errors:
        raise ValidationError(errors)
    if not inspection.checklist_confirmed:
        raise ValidationError(_("Confirm the facility checklist first."))
    pending = list(inspection.findings.filter(status__in=PENDING_FINDING))
    if any(f.status == FindingStatus.ANSWERED for f in pending):
        raise ValidationError(_("Re-check the station's answers first."))
    waiting = [f.deadline for f in pending if f.deadline >= timezone.localdate()]
    if waiting:
        raise ValidationError(
            _(
                "A finding is still within its deadline (%(deadline)s) without an "
                "answer: wait for the station's answer or the deadline."
            )
            % {"deadline": min(waiting).isoformat()}
        )
    now = timezone.now()
    record = Decision(
        station=inspection.station,
        inspection=inspection,
        decision=decision,
        decision_reason=reason,
        recover_amount=amount if decision == FundingDecision.RECOVER else None,
        score=inspection.score,
        recommendation=inspection.recommendation,
        decided_by=actor,
        decided_at=now,
    )
    inspection.decision = record.decision
    inspection.decision_reason = record.decision_reason
    inspection.recover_amount = record.recover_amount
    inspection.decided_by = actor
    inspection.decided_at = now
    with audit_context(
        user=actor, reason=f"inspections.decided.{decision}", note=reason or "—"
    ):
        record.save()
        # The station's funding state, which the voucher issuance reads.
        station_funding_set(
            actor=actor,
            station=inspection.station,
            funded=decision != FundingDecision.STOP,
            decided_at=now,
            reason=reason,
        )
        inspection.save(
            update_fields=[
                "decision",
                "decision_reason",
                "recover_amount",
                "decided_by",
                "decided_at",
            ]
        )
    log.info("inspection %s decided by user=%s: %s", inspection.pk, actor.pk, decision)
    return record
